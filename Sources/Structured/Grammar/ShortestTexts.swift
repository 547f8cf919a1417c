/// The fewest bytes that complete a value, per grammar node and per place inside an
/// object: what budget-aware masking compares with the tokens a request has left. Every
/// shortest text is ASCII without whitespace (minimal strings are `minLength` plain
/// characters), so each of its bytes is a token of any byte-level vocabulary.
struct ShortestTexts: Sendable {
  /// A value that can never be completed (only while measuring: a schema's every node can).
  static let unreachable = Int.max / 8

  /// The shortest whole value of each node, first byte to last. // [nodes]
  var value: [Int] = []
  /// For an object that has passed position p (`Frame.count`): the bytes that close it,
  /// each later required property with its comma, then `}`. Indexed like `slotAllowed`. // [per object: width + 1]
  var objectTail: [Int] = []
  /// `"name":value` at its shortest, without a comma. // [all objects' properties]
  var property: [Int] = []

  init() {}

  init(_ grammar: Grammar) {
    value = [Int](repeating: Self.unreachable, count: grammar.nodes.count)
    objectTail = [Int](repeating: Self.unreachable, count: grammar.slotAllowed.count)
    property = [Int](repeating: Self.unreachable, count: grammar.propertyNodes.count)
    // Nodes mostly come after the nodes they contain ($refs are shared, never recursive):
    // a few passes settle every value.
    var changed = true
    while changed {
      changed = false
      for index in grammar.nodes.indices {
        let measured = measure(grammar, Int32(index))
        if measured < value[index] {
          value[index] = measured
          changed = true
        }
      }
    }
  }

  private mutating func measure(_ grammar: Grammar, _ index: Int32) -> Int {
    let node = grammar.node(index)
    switch node.kind {
    case .string: return 2 + Int(node.low)
    case .number, .integer: return 1
    case .literals: return Int(grammar.trie.shortest[Int(node.child)])
    case .choice:
      var best = Self.unreachable
      for byte in 0..<256 {
        let alternative = grammar.choiceTable[Int(node.table) + byte]
        if alternative >= 0 { best = min(best, value[Int(alternative)]) }
      }
      return best
    case .array:
      let low = Int(node.low)
      guard low == 0 || value[Int(node.child)] < Self.unreachable else { return Self.unreachable }
      return low == 0 ? 2 : 1 + low * value[Int(node.child)] + (low - 1) + 1
    case .object:
      let width = Int(node.width)
      for position in 0..<width {
        let at = Int(node.table) + position
        property[at] = min(
          Self.unreachable, 2 + Int(grammar.propertyKeyLengths[at]) + 1 + value[Int(grammar.propertyNodes[at])])
      }
      var tail = 1
      objectTail[Int(node.slots) + width] = tail
      for position in (0..<width).reversed() {
        let at = Int(node.table) + position
        if grammar.propertyRequired[at] { tail = min(Self.unreachable, tail + 1 + property[at]) }
        objectTail[Int(node.slots) + position] = tail
      }
      return 1 + opened(grammar, node, count: 0)
    }
  }

  /// An object right after `{` (or a `,`, when `mustKey`): its shortest rest.
  func opened(_ grammar: Grammar, _ node: Grammar.Node, count: Int32, mustKey: Bool = false) -> Int {
    let slot = Int(node.slots + count)
    var best = !mustKey && grammar.slotClosable[slot] ? 1 : Self.unreachable
    var allowed = grammar.slotAllowed[slot]
    while allowed != 0 {
      let position = allowed.trailingZeroBitCount
      best = min(best, property[Int(node.table) + position] + objectTail[Int(node.slots) + position + 1])
      allowed &= allowed - 1
    }
    return best
  }
}

extension JSONMachine {
  /// The fewest bytes that turn `state`'s text into a whole schema-valid document: 0
  /// exactly when it can end. Constant time: the frames below the top carry their sum.
  @inline(__always)
  func shortestCompletion(_ state: ParseState) -> Int {
    shortestClose(state.top) + (state.parent >= 0 ? Int(arena[Int(state.parent)].below) : 0)
  }

  /// The fewest bytes that complete the value `frame` stands in (for an enclosing frame:
  /// the rest after its open child value).
  func shortestClose(_ frame: Frame) -> Int {
    let shortest = grammar.shortest
    let node = grammar.node(frame.node)
    switch frame.kind {
    case .document:
      return frame.phase == 0 ? shortest.value[Int(frame.node)] : 0
    case .object:
      switch frame.phase {
      case Phase.objectStart: return shortest.opened(grammar, node, count: frame.count)
      case Phase.objectNext: return shortest.opened(grammar, node, count: frame.count, mustKey: true)
      case Phase.objectKey:
        // The key so far can still become any allowed property whose name passes through here.
        var best = ShortestTexts.unreachable
        var candidates = grammar.slotAllowed[Int(node.slots + frame.count)] & grammar.trie.below[Int(frame.aux)]
        let typed = Int(grammar.trie.depth[Int(frame.aux)])
        while candidates != 0 {
          let position = candidates.trailingZeroBitCount
          let at = Int(node.table) + position
          let rest = shortest.property[at] - 1 - typed + shortest.objectTail[Int(node.slots) + position + 1]
          best = min(best, rest)
          candidates &= candidates - 1
        }
        return best
      case Phase.objectColon, Phase.objectValue:
        let at = Int(node.table + frame.aux)
        let value = shortest.value[Int(grammar.propertyNodes[at])]
        let colon = frame.phase == Phase.objectColon ? 1 : 0
        return colon + value + shortest.objectTail[Int(node.slots + frame.aux) + 1]
      default:  // objectAfter
        return shortest.objectTail[Int(node.slots + frame.count)]
      }
    case .array:
      let item = shortest.value[Int(node.child)]
      let missing = max(Int(node.low - frame.count), 0)
      switch frame.phase {
      case Phase.arrayStart: return missing == 0 ? 1 : missing * item + (missing - 1) + 1
      case Phase.arrayAfter: return missing * (item + 1) + 1
      default: return item + max(missing - 1, 0) * (item + 1) + 1  // arrayNext
      }
    case .string:
      let rest = max(Int(node.low - frame.count), 0) + 1
      switch frame.phase {
      case Phase.stringBody: return rest
      case Phase.stringUTF8: return Int(frame.aux >> 3) + rest
      case Phase.stringEscape: return 1 + rest
      default: return 4 - Int(frame.aux & 7) + rest  // stringHex
      }
    case .number:
      return Self.numberCanEnd(frame.phase) ? 0 : 1
    case .literal:
      return Int(grammar.trie.shortest[Int(frame.aux)])
    }
  }
}
