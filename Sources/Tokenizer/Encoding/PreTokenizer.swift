/// Splits plain text (the parts between added tokens) into the pieces BPE runs on.
///
/// Each pattern is a hand-written scanner that returns exactly the matches of the
/// reference regex (leftmost alternative first, greedy with backtracking) — a
/// regex engine would be several times slower and Foundation's lacks `\p{L}` on
/// every platform. The scanners walk UTF-8 bytes and classify one scalar at a time.
///
/// Qwen2 (`qwen2`), one digit per piece, case-insensitive contractions:
///   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
/// Llama 3 (`llama3`), Qwen2's with `\p{N}{1,3}` for `\p{N}`.
/// GPT-2 (`gpt2`):
///   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
/// llama.cpp's `smollm`: every `\p{N}` scalar is a piece of its own, and GPT-2's
/// pattern runs separately on each stretch between them (so its lookahead stops there).
struct PreTokenizer: Sendable {
  let kind: PreTokenizerKind

  /// Calls `piece(start, end)` for each piece of `text`, in order; the pieces tile the text.
  func split(_ text: UnsafeBufferPointer<UInt8>, _ piece: (Int, Int) -> Void) {
    let scanner = Scanner(bytes: text)
    switch kind {
    case .qwen2, .llama3:
      let digits = kind == .llama3 ? 3 : 1
      var position = 0
      while position < text.count {
        let end = scanner.qwenPieceEnd(from: position, digitsPerPiece: digits)
        piece(position, end)
        position = end
      }
    case .gpt2:
      scanner.gpt2Pieces(from: 0, to: text.count, piece)
    case .smollm:
      var stretchStart = 0
      var position = 0
      while position < text.count {
        let scalar = scanner.scalar(at: position)
        if scalar.cls.contains(.number) {
          scanner.gpt2Pieces(from: stretchStart, to: position, piece)
          piece(position, position + scalar.length)
          stretchStart = position + scalar.length
        }
        position += scalar.length
      }
      scanner.gpt2Pieces(from: stretchStart, to: text.count, piece)
    }
  }
}

/// One decoded scalar: its value, its class and its UTF-8 length.
struct ScannedScalar {
  var value: UInt32
  var cls: CharacterClass
  var length: Int
}

private let apostrophe: UInt32 = 0x27
private let space: UInt32 = 0x20

struct Scanner {
  let bytes: UnsafeBufferPointer<UInt8>

  /// Decodes the scalar at `i` (the text is valid UTF-8: it came from a Swift String).
  @inline(__always)
  func scalar(at i: Int) -> ScannedScalar {
    let b0 = UInt32(bytes[i])
    if b0 < 0x80 { return ScannedScalar(value: b0, cls: asciiClasses[Int(b0)], length: 1) }
    var value: UInt32
    var length: Int
    if b0 < 0xE0 {
      value = b0 & 0x1F; length = 2
    } else if b0 < 0xF0 {
      value = b0 & 0x0F; length = 3
    } else {
      value = b0 & 0x07; length = 4
    }
    guard i + length <= bytes.count else { return ScannedScalar(value: 0xFFFD, cls: [], length: 1) }
    for k in 1..<length { value = (value << 6) | (UInt32(bytes[i + k]) & 0x3F) }
    return ScannedScalar(value: value, cls: CharacterClass.of(value), length: length)
  }

  /// End of the run of scalars from `i` (below `end`) whose class intersects `cls`.
  @inline(__always)
  func runEnd(from i: Int, to end: Int, while cls: CharacterClass) -> Int {
    var j = i
    while j < end {
      let s = scalar(at: j)
      if s.cls.isDisjoint(with: cls) { break }
      j += s.length
    }
    return j
  }

  /// End of the run of `[^\s\p{L}\p{N}]` scalars from `i`.
  @inline(__always)
  func otherRunEnd(from i: Int, to end: Int) -> Int {
    var j = i
    while j < end {
      let s = scalar(at: j)
      if !s.cls.isOther { break }
      j += s.length
    }
    return j
  }

  /// Length of an English contraction suffix starting at the apostrophe at `i`, if any.
  func contractionLength(at i: Int, to end: Int, caseInsensitive: Bool) -> Int? {
    guard i + 1 < end else { return nil }
    let first = scalar(at: i + 1)
    var c1 = first.value
    if caseInsensitive {
      if c1 == 0x17F { c1 = 0x73 }  // ſ folds to s under Unicode case-insensitive matching
      if c1 >= 0x41, c1 <= 0x5A { c1 += 0x20 }
    }
    switch c1 {
    case 0x73, 0x74, 0x6D, 0x64: return 1 + first.length  // s t m d
    case 0x72, 0x76, 0x6C:  // r v l, which need a second letter: re ve ll
      let secondAt = i + 1 + first.length
      guard secondAt < end else { return nil }
      var c2 = UInt32(bytes[secondAt])
      if caseInsensitive, c2 >= 0x41, c2 <= 0x5A { c2 += 0x20 }
      let wanted: UInt32 = c1 == 0x6C ? 0x6C : 0x65
      return c2 == wanted ? 2 + first.length : nil
    default:
      return nil
    }
  }

  /// The whitespace alternatives shared by both patterns, for a run starting at `i`
  /// (Qwen's `\s*[\r\n]+` first when `throughLastNewline`):
  /// `\s+(?!\S)` leaves the last whitespace scalar for the next piece unless the run
  /// reaches the end; `\s+` takes a lone whitespace scalar.
  @inline(__always)
  func whitespacePieceEnd(from i: Int, to end: Int, throughLastNewline: Bool) -> Int {
    var j = i
    var lastStart = i
    var newlineEnd: Int? = nil
    while j < end {
      let s = scalar(at: j)
      if !s.cls.contains(.whitespace) { break }
      if s.cls.contains(.newline) { newlineEnd = j + 1 }
      lastStart = j
      j += s.length
    }
    // `\s*[\r\n]+` backtracks to the last newline of the run and takes it.
    if throughLastNewline, let newlineEnd { return newlineEnd }
    if j == end || lastStart == i { return j }
    return lastStart
  }

  // MARK: Qwen2

  /// `digitsPerPiece` is 1 for Qwen2's `\p{N}` and 3 for Llama 3's `\p{N}{1,3}`.
  func qwenPieceEnd(from i: Int, digitsPerPiece: Int) -> Int {
    let end = bytes.count
    let first = scalar(at: i)
    if first.value == apostrophe, let n = contractionLength(at: i, to: end, caseInsensitive: true) {
      return i + n
    }
    let afterFirst = i + first.length
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if first.cls.contains(.letter) { return runEnd(from: afterFirst, to: end, while: .letter) }
    if first.cls.isDisjoint(with: .numberNewline), afterFirst < end,
      scalar(at: afterFirst).cls.contains(.letter)
    {
      return runEnd(from: afterFirst, to: end, while: .letter)
    }
    // \p{N} or \p{N}{1,3}
    if first.cls.contains(.number) {
      var j = afterFirst
      for _ in 1..<digitsPerPiece where j < end {
        let next = scalar(at: j)
        guard next.cls.contains(.number) else { break }
        j += next.length
      }
      return j
    }
    //  ?[^\s\p{L}\p{N}]+[\r\n]*
    var punctuationStart: Int? = nil
    if first.cls.isOther {
      punctuationStart = i
    } else if first.value == space, afterFirst < end, scalar(at: afterFirst).cls.isOther {
      punctuationStart = afterFirst
    }
    if let start = punctuationStart {
      let j = otherRunEnd(from: start, to: end)
      return runEnd(from: j, to: end, while: .newline)
    }
    // \s*[\r\n]+ | \s+(?!\S) | \s+
    return whitespacePieceEnd(from: i, to: end, throughLastNewline: true)
  }

  // MARK: GPT-2

  func gpt2Pieces(from start: Int, to end: Int, _ piece: (Int, Int) -> Void) {
    var i = start
    while i < end {
      let next = gpt2PieceEnd(from: i, to: end)
      piece(i, next)
      i = next
    }
  }

  func gpt2PieceEnd(from i: Int, to end: Int) -> Int {
    let first = scalar(at: i)
    if first.value == apostrophe, let n = contractionLength(at: i, to: end, caseInsensitive: false) {
      return i + n
    }
    var bodyStart = i
    var body = first
    if first.value == space, i + 1 < end {
      let second = scalar(at: i + 1)
      if !second.cls.contains(.whitespace) {
        bodyStart = i + 1
        body = second
      }
    }
    if body.cls.contains(.letter) { return runEnd(from: bodyStart + body.length, to: end, while: .letter) }
    if body.cls.contains(.number) { return runEnd(from: bodyStart + body.length, to: end, while: .number) }
    if body.cls.isOther { return otherRunEnd(from: bodyStart + body.length, to: end) }
    return whitespacePieceEnd(from: i, to: end, throughLastNewline: false)
  }
}

/// Classes of the 128 ASCII scalars, so the common case needs no table of 64 Ki.
private let asciiClasses: [CharacterClass] = (0..<128).map { CharacterClass.of(UInt32($0)) }
