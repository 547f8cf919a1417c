/// The Unicode classes the split patterns test: `\p{L}`, `\p{N}`, `\s` and `[\r\n]`.
///
/// The regexes are implemented by hand (see `PreTokenizer`), so classifying a
/// scalar must be cheap: BMP scalars are looked up in a 64 KiB table built once
/// from the standard library's Unicode properties; astral scalars (emoji,
/// historic scripts, math alphanumerics) ask the properties directly.
struct CharacterClass: OptionSet, Sendable {
  let rawValue: UInt8

  /// General category L (Lu, Ll, Lt, Lm, Lo).
  static let letter = CharacterClass(rawValue: 1)
  /// General category N (Nd, Nl, No).
  static let number = CharacterClass(rawValue: 2)
  /// The White_Space property, which is what `\s` means in Unicode regexes.
  static let whitespace = CharacterClass(rawValue: 4)
  /// `\r` or `\n` (also whitespace).
  static let newline = CharacterClass(rawValue: 8)

  // Combinations as constants: an array literal of an OptionSet is built at run
  // time through generic SetAlgebra code, far too slow for a per-scalar test.
  static let letterNumberWhitespace = CharacterClass(rawValue: 1 | 2 | 4)
  static let numberNewline = CharacterClass(rawValue: 2 | 8)

  /// Neither whitespace, letter nor number: `[^\s\p{L}\p{N}]`.
  @inline(__always)
  var isOther: Bool { rawValue & Self.letterNumberWhitespace.rawValue == 0 }

  static func of(_ value: UInt32) -> CharacterClass {
    if value < 0x10000 { return CharacterClass(rawValue: basicPlane[Int(value)]) }
    guard let scalar = Unicode.Scalar(value) else { return [] }
    return compute(scalar)
  }

  private static let basicPlane: [UInt8] = {
    var table = [UInt8](repeating: 0, count: 0x10000)
    for value in 0..<0x10000 {
      if let scalar = Unicode.Scalar(UInt32(value)) { table[value] = compute(scalar).rawValue }
    }
    return table
  }()

  private static func compute(_ scalar: Unicode.Scalar) -> CharacterClass {
    var result: CharacterClass = []
    switch scalar.properties.generalCategory {
    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
      result.insert(.letter)
    case .decimalNumber, .letterNumber, .otherNumber:
      result.insert(.number)
    default:
      break
    }
    if scalar.properties.isWhitespace { result.insert(.whitespace) }
    if scalar == "\r" || scalar == "\n" { result.insert(.newline) }
    return result
  }
}
