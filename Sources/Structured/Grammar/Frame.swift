/// What kind of value a frame is inside.
enum FrameKind: UInt8, Sendable {
  /// The bottom frame: the whole text, before (phase 0) or after (phase 1) its value.
  case document
  case object, array, string, number, literal
}

/// Phases of each frame kind (`Frame.phase`).
enum Phase {
  // object: `{` seen → key or `}`; inside a key; before `:`; before the value; after it; after `,`.
  static let objectStart: UInt8 = 0, objectKey: UInt8 = 1, objectColon: UInt8 = 2, objectValue: UInt8 = 3
  static let objectAfter: UInt8 = 4, objectNext: UInt8 = 5
  // array: `[` seen → item or `]`; after an item; after `,`.
  static let arrayStart: UInt8 = 0, arrayAfter: UInt8 = 1, arrayNext: UInt8 = 2
  // string: between characters; inside a multi-byte character; after `\`; inside `\uXXXX`.
  static let stringBody: UInt8 = 0, stringUTF8: UInt8 = 1, stringEscape: UInt8 = 2, stringHex: UInt8 = 3
  // number: JSON's number grammar, one phase per state of its automaton.
  static let numberStart: UInt8 = 0, numberMinus: UInt8 = 1, numberZero: UInt8 = 2, numberInteger: UInt8 = 3
  static let numberDot: UInt8 = 4, numberFraction: UInt8 = 5, numberExponent: UInt8 = 6
  static let numberExponentSign: UInt8 = 7, numberExponentDigits: UInt8 = 8
}

/// Where the automaton stands inside one open value. 16 bytes, so that the mask walk
/// copies a whole state per vocabulary-trie node for nothing.
struct Frame: Hashable, Sendable {
  var kind: FrameKind
  var phase: UInt8 = 0
  /// A whitespace byte was already used at the current gap between tokens.
  var spaced: Bool = false
  /// The grammar node of this value.
  var node: Int32
  /// object: the next property position; array: items begun; string: characters;
  /// number: digits in the current part.
  var count: Int32 = 0
  /// object: the names-trie node inside a key, then the chosen property; string: the
  /// pending UTF-8 bytes or hex digits; number: 1 for an integer; literal: the trie node.
  var aux: Int32 = 0
}

/// The automaton's whole state: the innermost open value, and the rest of the stack as
/// a link into a `FrameArena` (frames there are never changed, only appended, so a state
/// is a small value that can be copied and dropped freely).
struct ParseState: Sendable {
  var top: Frame
  /// Index of the enclosing frame in the arena, -1 at the bottom.
  var parent: Int32
}

/// The frames below the top of every live state: a persistent stack, appended to on
/// push and read on pop.
struct ArenaEntry: Sendable {
  var frame: Frame
  var parent: Int32
  /// The fewest bytes that close this frame and every one below it (fixed, as the frame is).
  var below: Int32
}
