/// Character references of HTML: numeric (`&#8212;`, `&#x2014;`) and the named ones
/// that reports and news use. An unknown or malformed reference stays as written.
enum HTMLEntities {
  static let named: [String: String] = [
    "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{00A0}",
    "ndash": "\u{2013}", "mdash": "\u{2014}", "hellip": "\u{2026}", "lsquo": "\u{2018}", "rsquo": "\u{2019}",
    "sbquo": "\u{201A}", "ldquo": "\u{201C}", "rdquo": "\u{201D}", "bdquo": "\u{201E}", "laquo": "\u{00AB}",
    "raquo": "\u{00BB}", "bull": "\u{2022}", "middot": "\u{00B7}", "euro": "\u{20AC}", "pound": "\u{00A3}",
    "yen": "\u{00A5}", "cent": "\u{00A2}", "copy": "\u{00A9}", "reg": "\u{00AE}", "trade": "\u{2122}",
    "deg": "\u{00B0}", "plusmn": "\u{00B1}", "times": "\u{00D7}", "divide": "\u{00F7}", "minus": "\u{2212}",
    "permil": "\u{2030}", "sect": "\u{00A7}", "para": "\u{00B6}", "shy": "\u{00AD}", "zwnj": "\u{200C}",
    "zwj": "\u{200D}", "thinsp": "\u{2009}", "ensp": "\u{2002}", "emsp": "\u{2003}", "frac12": "\u{00BD}",
    "frac14": "\u{00BC}", "frac34": "\u{00BE}", "auml": "ä", "ouml": "ö", "uuml": "ü", "Auml": "Ä",
    "Ouml": "Ö", "Uuml": "Ü", "szlig": "ß", "eacute": "é", "egrave": "è", "ecirc": "ê", "aacute": "á",
    "agrave": "à", "acirc": "â", "iacute": "í", "oacute": "ó", "uacute": "ú", "ntilde": "ñ", "ccedil": "ç",
    "Eacute": "É", "oslash": "ø", "aring": "å", "aelig": "æ", "Oslash": "Ø", "Aring": "Å", "AElig": "Æ",
  ]

  /// `text` with its character references replaced.
  static func decode(_ text: String) -> String {
    guard text.contains("&") else { return text }
    var out = ""
    out.reserveCapacity(text.utf8.count)
    var rest = text[...]
    while let amp = rest.firstIndex(of: "&") {
      out += rest[..<amp]
      let after = rest[rest.index(after: amp)...]
      // A reference is short: the longest name above has 6 letters, a number 8 digits.
      if let semicolon = after.prefix(12).firstIndex(of: ";"), let value = reference(after[..<semicolon]) {
        out += value
        rest = after[after.index(after: semicolon)...]
      } else {
        out += "&"
        rest = after
      }
    }
    out += rest
    return out
  }

  private static func reference(_ body: Substring) -> String? {
    if body.hasPrefix("#") {
      let digits = body.dropFirst()
      let value: UInt32?
      if digits.first == "x" || digits.first == "X" {
        value = UInt32(digits.dropFirst(), radix: 16)
      } else {
        value = UInt32(digits, radix: 10)
      }
      guard let value else { return nil }
      // NUL, surrogates and values past Unicode are U+FFFD, as browsers do.
      guard value != 0, let scalar = Unicode.Scalar(value) else { return "\u{FFFD}" }
      return String(Character(scalar))
    }
    return named[String(body)]
  }
}
