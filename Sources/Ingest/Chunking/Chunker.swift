import NightdeskTokenizer

/// Cuts documents into chunks by the tokens of the model in use, on paragraph
/// boundaries (a paragraph longer than a chunk is cut at sentence, then line, then
/// word boundaries), with the configured overlap, every chunk keeping the locations
/// of its text. Pure: the same document and options give the same chunks.
public struct Chunker: Sendable {
  /// Tokens of a text, as the model counts them.
  public let countTokens: @Sendable (String) -> Int

  public init(countTokens: @escaping @Sendable (String) -> Int) { self.countTokens = countTokens }

  /// Counts with `tokenizer`; document text is untrusted, so special-token strings count as plain text.
  public init(tokenizer: Tokenizer) {
    countTokens = { tokenizer.encode($0, allowSpecial: false).count }
  }

  /// A unit of packing: a paragraph, or a piece of one that alone exceeds the target.
  struct Piece {
    var text: String
    var tokens: Int
    var paragraph: Int
    var location: SourceLocation
  }

  /// The document's chunks (none for a document without text).
  public func chunks(of document: Document, options: ChunkingOptions) -> [Chunk] {
    let paragraphs = document.paragraphs
    guard paragraphs.contains(where: { !$0.text.allSatisfy(\.isWhitespace) }) else { return [] }
    if let budget = options.contextBudget {
      let whole = document.text
      let tokens = countTokens(whole)
      if tokens <= budget {
        return [Chunk(index: 0, text: whole, paragraphs: 0...(paragraphs.count - 1), tokenCount: tokens,
                      locations: paragraphs.map(\.location))]
      }
    }
    let pieces = self.pieces(of: paragraphs, target: max(options.targetTokens, 1))
    return pack(pieces, options: options)
  }

  /// The packing, as ranges of pieces: greedy up to the target (the separator between
  /// pieces counted), then the next chunk starts at the longest tail of this one that
  /// fits in the overlap, and always after this one's start, so the packing advances.
  static func ranges(tokens: [Int], separator: Int, target: Int, overlap: Int) -> [Range<Int>] {
    var ranges: [Range<Int>] = []
    var start = 0
    while start < tokens.count {
      var end = start + 1
      var used = tokens[start]
      while end < tokens.count, used + separator + tokens[end] <= target {
        used += separator + tokens[end]
        end += 1
      }
      ranges.append(start..<end)
      if end == tokens.count { break }
      var next = end
      var tail = 0
      while next - 1 > start, tail + tokens[next - 1] + (tail > 0 ? separator : 0) <= overlap {
        tail += tokens[next - 1] + (tail > 0 ? separator : 0)
        next -= 1
      }
      start = next
    }
    return ranges
  }

  func pack(_ pieces: [Piece], options: ChunkingOptions) -> [Chunk] {
    let separator = countTokens(Document.paragraphSeparator)
    let ranges = Self.ranges(tokens: pieces.map(\.tokens), separator: separator, target: options.targetTokens,
                             overlap: options.overlapTokens)
    return ranges.enumerated().map { index, range in
      let slice = pieces[range]
      let text = slice.map(\.text).joined(separator: Document.paragraphSeparator)
      return Chunk(index: index, text: text, paragraphs: slice.first!.paragraph...slice.last!.paragraph,
                   tokenCount: countTokens(text), locations: slice.map(\.location))
    }
  }

  /// Paragraphs as pieces, each at most `target` tokens.
  func pieces(of paragraphs: [Paragraph], target: Int) -> [Piece] {
    var pieces: [Piece] = []
    for (index, paragraph) in paragraphs.enumerated() where !paragraph.text.allSatisfy(\.isWhitespace) {
      let tokens = countTokens(paragraph.text)
      if tokens <= target {
        pieces.append(Piece(text: paragraph.text, tokens: tokens, paragraph: index, location: paragraph.location))
        continue
      }
      for text in split(paragraph.text, target: target) {
        pieces.append(Piece(text: text, tokens: countTokens(text), paragraph: index, location: paragraph.location))
      }
    }
    return pieces
  }

  /// `text` cut into consecutive pieces of at most `target` tokens that join back into
  /// it: at sentence and line ends, else at spaces, else between characters.
  func split(_ text: String, target: Int) -> [String] {
    var pieces: [String] = []
    var current = ""
    func add(_ unit: String, words: Bool) {
      if countTokens(unit) > target {
        if !current.isEmpty { pieces.append(current) }
        current = ""
        if !words {
          for word in Self.words(of: unit) { add(word, words: true) }
        } else {
          let parts = cutByCharacters(unit, target: target)
          pieces += parts.dropLast()
          current = parts.last ?? ""
        }
      } else if current.isEmpty {
        current = unit
      } else if countTokens(current + unit) <= target {
        current += unit
      } else {
        pieces.append(current)
        current = unit
      }
    }
    for unit in Self.sentences(of: text) { add(unit, words: false) }
    if !current.isEmpty { pieces.append(current) }
    return pieces
  }

  /// Pieces of `text` of at most `target` tokens, as long as possible (binary search:
  /// tokens grow with length).
  func cutByCharacters(_ text: String, target: Int) -> [String] {
    var pieces: [String] = []
    var rest = Substring(text)
    while !rest.isEmpty {
      if countTokens(String(rest)) <= target { pieces.append(String(rest)); break }
      var low = 1, high = rest.count
      while low < high {
        let mid = (low + high + 1) / 2
        if countTokens(String(rest.prefix(mid))) <= target { low = mid } else { high = mid - 1 }
      }
      pieces.append(String(rest.prefix(low)))
      rest = rest.dropFirst(low)
    }
    return pieces
  }

  /// Sentences (ending in `.`, `!` or `?` and a space) and lines, with their trailing
  /// whitespace, so that concatenating them gives back the text.
  static func sentences(of text: String) -> [String] {
    var units: [String] = []
    var current = ""
    var previous: Character = " "
    for character in text {
      current.append(character)
      if character == "\n" || (character == " " && ".!?".contains(previous)) {
        units.append(current)
        current = ""
      }
      previous = character
    }
    if !current.isEmpty { units.append(current) }
    return units
  }

  /// Words with their trailing space.
  static func words(of text: String) -> [String] {
    var words: [String] = []
    var current = ""
    for character in text {
      current.append(character)
      if character == " " || character == "\n" {
        words.append(current)
        current = ""
      }
    }
    if !current.isEmpty { words.append(current) }
    return words
  }
}
