/// Strings, numbers and literals: the lexical half of the automaton.
extension JSONMachine {
  /// The most digits the decoder writes in a number's integer part, its fraction and its
  /// exponent: enough for any 64-bit integer up to 10^18 and finite doubles, and a bound
  /// on how long a number can run.
  static let maximumIntegerDigits: Int32 = 18
  static let maximumFractionDigits: Int32 = 18
  static let maximumExponentDigits: Int32 = 2

  // MARK: Strings

  /// UTF-8 continuation ranges (RFC 3629): the byte after E0, ED, F0 and F4 is narrower,
  /// which rules out overlong forms, surrogates and code points above U+10FFFF.
  @inline(__always)
  static func continuationAllowed(_ range: Int32, _ byte: UInt8) -> Bool {
    switch range {
    case 1: return (0xA0...0xBF).contains(byte)
    case 2: return (0x80...0x9F).contains(byte)
    case 3: return (0x90...0xBF).contains(byte)
    case 4: return (0x80...0x8F).contains(byte)
    default: return (0x80...0xBF).contains(byte)
    }
  }

  /// For a UTF-8 lead byte: the continuation bytes that follow (times 8) plus the range
  /// of the first of them; -1 for a byte that cannot lead a character.
  @inline(__always)
  static func leadPending(_ byte: UInt8) -> Int32 {
    switch byte {
    case 0xC2...0xDF: return 1 << 3
    case 0xE0: return 2 << 3 | 1
    case 0xED: return 2 << 3 | 2
    case 0xE1...0xEF: return 2 << 3
    case 0xF0: return 3 << 3 | 3
    case 0xF1...0xF3: return 3 << 3
    case 0xF4: return 3 << 3 | 4
    default: return -1
    }
  }

  @inline(__always)
  static func isHex(_ byte: UInt8) -> Bool {
    (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
  }

  mutating func string(_ state: inout ParseState, _ byte: UInt8) -> Bool {
    switch state.top.phase {
    case Phase.stringBody:
      let shape = grammar.node(state.top.node)
      if byte == UInt8(ascii: "\"") {
        guard state.top.count >= shape.low else { return false }
        pop(&state)
        return true
      }
      guard byte >= 0x20, shape.high < 0 || state.top.count < shape.high else { return false }
      // Each character counts at its first byte (a lead byte or the backslash).
      if byte == UInt8(ascii: "\\") {
        state.top.phase = Phase.stringEscape
      } else if byte >= 0x80 {
        let pending = Self.leadPending(byte)
        guard pending >= 0 else { return false }
        state.top.phase = Phase.stringUTF8
        state.top.aux = pending
      }
      state.top.count += 1
      return true
    case Phase.stringUTF8:
      let pending = state.top.aux
      guard Self.continuationAllowed(pending & 7, byte) else { return false }
      let left = (pending >> 3) - 1
      if left == 0 { state.top.phase = Phase.stringBody } else { state.top.aux = left << 3 }
      return true
    case Phase.stringEscape:
      switch byte {
      case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
        UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
        state.top.phase = Phase.stringBody
        return true
      case UInt8(ascii: "u"):
        state.top.phase = Phase.stringHex
        state.top.aux = 0
        return true
      default: return false
      }
    default:  // stringHex: aux = digits so far, plus 8 when the first was D
      guard Self.isHex(byte) else { return false }
      let digits = state.top.aux & 7
      var flags = state.top.aux & 8
      if digits == 0, byte | 0x20 == UInt8(ascii: "d") { flags = 8 }
      // \uD800–\uDFFF would be half a surrogate pair: refused, so every escape is a whole character.
      if digits == 1, flags != 0, byte > UInt8(ascii: "7") { return false }
      if digits == 3 {
        state.top.phase = Phase.stringBody
      } else {
        state.top.aux = (digits + 1) | flags
      }
      return true
    }
  }

  // MARK: Numbers

  @inline(__always)
  static func numberCanEnd(_ phase: UInt8) -> Bool {
    phase == Phase.numberZero || phase == Phase.numberInteger || phase == Phase.numberFraction
      || phase == Phase.numberExponentDigits
  }

  @inline(__always)
  private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }

  /// One byte of JSON's number grammar; `.ended` when the number is complete and the byte
  /// belongs to what follows it.
  func number(_ frame: inout Frame, _ byte: UInt8) -> Step {
    let digit = Self.isDigit(byte)
    switch frame.phase {
    case Phase.numberStart, Phase.numberMinus:
      if byte == UInt8(ascii: "-"), frame.phase == Phase.numberStart {
        frame.phase = Phase.numberMinus
      } else if byte == UInt8(ascii: "0") {
        frame.phase = Phase.numberZero
      } else if digit {
        frame.phase = Phase.numberInteger
        frame.count = 1
      } else {
        return .rejected
      }
      return .consumed
    case Phase.numberZero, Phase.numberInteger:
      if digit {
        guard frame.phase == Phase.numberInteger, frame.count < Self.maximumIntegerDigits else { return .rejected }
        frame.count += 1
        return .consumed
      }
      return fractionOrExponent(&frame, byte)
    case Phase.numberDot, Phase.numberFraction:
      if digit {
        guard frame.phase == Phase.numberDot || frame.count < Self.maximumFractionDigits else { return .rejected }
        frame.count = frame.phase == Phase.numberDot ? 1 : frame.count + 1
        frame.phase = Phase.numberFraction
        return .consumed
      }
      guard frame.phase == Phase.numberFraction else { return .rejected }
      if byte | 0x20 == UInt8(ascii: "e") {
        frame.phase = Phase.numberExponent
        return .consumed
      }
      return .ended
    case Phase.numberExponent, Phase.numberExponentSign:
      if digit {
        frame.phase = Phase.numberExponentDigits
        frame.count = 1
        return .consumed
      }
      guard frame.phase == Phase.numberExponent, byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") else {
        return .rejected
      }
      frame.phase = Phase.numberExponentSign
      return .consumed
    default:  // numberExponentDigits
      guard digit else { return .ended }
      guard frame.count < Self.maximumExponentDigits else { return .rejected }
      frame.count += 1
      return .consumed
    }
  }

  @inline(__always)
  private func fractionOrExponent(_ frame: inout Frame, _ byte: UInt8) -> Step {
    guard frame.aux == 0 else { return .ended }  // integers stop at their digits
    if byte == UInt8(ascii: ".") {
      frame.phase = Phase.numberDot
      return .consumed
    }
    if byte | 0x20 == UInt8(ascii: "e") {
      frame.phase = Phase.numberExponent
      return .consumed
    }
    return .ended
  }

  // MARK: Literals

  /// One byte of an enum or const text; `.ended` after a whole text when the byte does
  /// not continue a longer one.
  func literal(_ frame: inout Frame, _ byte: UInt8) -> Step {
    let next = grammar.trie.child(frame.aux, byte)
    if next >= 0 {
      frame.aux = next
      return .consumed
    }
    return grammar.trie.terminal[Int(frame.aux)] >= 0 ? .ended : .rejected
  }
}
