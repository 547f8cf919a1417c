/// The byte automaton: a pushdown machine over a `Grammar` that accepts exactly the JSON
/// texts valid against the schema, in the shape `StructuredSchema` documents (property
/// order, bounded whitespace, bounded number digits). `feed` consumes one byte or refuses
/// it; a refused byte leaves `state` undefined, so callers feed copies.
struct JSONMachine: Sendable {
  let grammar: Grammar
  let allowsSpace: Bool
  /// The enclosing frames of every state made from this machine. // [pushes so far]
  var arena: [ArenaEntry] = []

  init(schema: StructuredSchema) {
    grammar = schema.grammar
    allowsSpace = schema.whitespace == .single
    arena.reserveCapacity(256)
  }

  var start: ParseState { ParseState(top: Frame(kind: .document, node: grammar.root), parent: -1) }

  enum Step { case consumed, rejected, ended }

  @inline(__always)
  mutating func push(_ state: inout ParseState, _ frame: Frame) {
    arena.append(entry(state.top, parent: state.parent))
    state.parent = Int32(arena.count - 1)
    state.top = frame
  }

  /// An arena entry for `frame` over `parent`, with its completion length summed in.
  @inline(__always)
  func entry(_ frame: Frame, parent: Int32) -> ArenaEntry {
    let below = shortestClose(frame) + (parent >= 0 ? Int(arena[Int(parent)].below) : 0)
    return ArenaEntry(frame: frame, parent: parent, below: Int32(clamping: below))
  }

  @inline(__always)
  func pop(_ state: inout ParseState) {
    let entry = arena[Int(state.parent)]
    state.top = entry.frame
    state.parent = entry.parent
  }

  /// Consumes `byte`, or returns false when no valid text continues with it.
  mutating func feed(_ state: inout ParseState, _ byte: UInt8) -> Bool {
    while true {
      switch state.top.kind {
      case .document:
        guard state.top.phase == 0 else { return false }
        state.top.phase = 1
        return begin(&state, state.top.node, byte)
      case .object: return object(&state, byte)
      case .array: return array(&state, byte)
      case .string: return string(&state, byte)
      case .number:
        switch number(&state.top, byte) {
        case .consumed: return true
        case .rejected: return false
        case .ended: pop(&state)  // the number is complete: the byte is the enclosing value's
        }
      case .literal:
        switch literal(&state.top, byte) {
        case .consumed: return true
        case .rejected: return false
        case .ended: pop(&state)
        }
      }
    }
  }

  /// Whether the text may end here: the value is complete (a number or literal that
  /// could go on counts as complete).
  func canEnd(_ state: ParseState) -> Bool {
    var state = state
    while true {
      switch state.top.kind {
      case .document: return state.top.phase == 1
      case .number:
        guard Self.numberCanEnd(state.top.phase) else { return false }
        pop(&state)
      case .literal:
        guard grammar.trie.terminal[Int(state.top.aux)] >= 0 else { return false }
        pop(&state)
      default: return false
      }
    }
  }

  /// Starts a value of `node` with its first byte (the enclosing frame already stands
  /// after the value).
  private mutating func begin(_ state: inout ParseState, _ node: Int32, _ byte: UInt8) -> Bool {
    var index = node
    var shape = grammar.node(index)
    while shape.kind == .choice {
      index = grammar.choiceTable[Int(shape.table) + Int(byte)]
      guard index >= 0 else { return false }
      shape = grammar.node(index)
    }
    switch shape.kind {
    case .object:
      guard byte == UInt8(ascii: "{") else { return false }
      push(&state, Frame(kind: .object, phase: Phase.objectStart, node: index))
      return true
    case .array:
      guard byte == UInt8(ascii: "[") else { return false }
      push(&state, Frame(kind: .array, phase: Phase.arrayStart, node: index))
      return true
    case .string:
      guard byte == UInt8(ascii: "\"") else { return false }
      push(&state, Frame(kind: .string, phase: Phase.stringBody, node: index))
      return true
    case .number, .integer:
      var frame = Frame(kind: .number, phase: Phase.numberStart, node: index, aux: shape.kind == .integer ? 1 : 0)
      guard number(&frame, byte) == .consumed else { return false }
      push(&state, frame)
      return true
    case .literals:
      var frame = Frame(kind: .literal, node: index, aux: shape.child)
      guard literal(&frame, byte) == .consumed else { return false }
      push(&state, frame)
      return true
    case .choice:
      return false  // resolved above
    }
  }

  @inline(__always)
  static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A }

  /// A whitespace byte at a gap: at most one per gap.
  @inline(__always)
  private func space(_ frame: inout Frame) -> Bool {
    guard allowsSpace, !frame.spaced else { return false }
    frame.spaced = true
    return true
  }

  // MARK: Containers

  private mutating func object(_ state: inout ParseState, _ byte: UInt8) -> Bool {
    let shape = grammar.node(state.top.node)
    let phase = state.top.phase
    if Self.isSpace(byte), phase != Phase.objectKey { return space(&state.top) }
    let slot = Int(shape.slots + state.top.count)
    switch phase {
    case Phase.objectStart, Phase.objectNext:
      if byte == UInt8(ascii: "\""), grammar.slotAllowed[slot] != 0 {
        state.top.phase = Phase.objectKey
        state.top.aux = shape.child
        state.top.spaced = false
        return true
      }
      guard phase == Phase.objectStart, byte == UInt8(ascii: "}"), grammar.slotClosable[slot] else { return false }
      pop(&state)
      return true
    case Phase.objectKey:
      let allowed = grammar.slotAllowed[slot]
      if byte == UInt8(ascii: "\"") {
        let property = grammar.trie.terminal[Int(state.top.aux)]
        guard property >= 0, allowed & (1 << UInt64(property)) != 0 else { return false }
        state.top.aux = property
        state.top.phase = Phase.objectColon
        return true
      }
      let next = grammar.trie.child(state.top.aux, byte)
      guard next >= 0, grammar.trie.below[Int(next)] & allowed != 0 else { return false }
      state.top.aux = next
      return true
    case Phase.objectColon:
      guard byte == UInt8(ascii: ":") else { return false }
      state.top.phase = Phase.objectValue
      state.top.spaced = false
      return true
    case Phase.objectValue:
      let property = state.top.aux
      state.top.count = property + 1
      state.top.phase = Phase.objectAfter
      state.top.spaced = false
      return begin(&state, grammar.propertyNodes[Int(shape.table + property)], byte)
    default:  // objectAfter
      if byte == UInt8(ascii: ","), grammar.slotAllowed[slot] != 0 {
        state.top.phase = Phase.objectNext
        state.top.spaced = false
        return true
      }
      guard byte == UInt8(ascii: "}"), grammar.slotClosable[slot] else { return false }
      pop(&state)
      return true
    }
  }

  private mutating func array(_ state: inout ParseState, _ byte: UInt8) -> Bool {
    if Self.isSpace(byte) { return space(&state.top) }
    let shape = grammar.node(state.top.node)
    switch state.top.phase {
    case Phase.arrayAfter:
      if byte == UInt8(ascii: ","), shape.high < 0 || state.top.count < shape.high {
        state.top.phase = Phase.arrayNext
        state.top.spaced = false
        return true
      }
      guard byte == UInt8(ascii: "]"), state.top.count >= shape.low else { return false }
      pop(&state)
      return true
    default:  // arrayStart, arrayNext: an item (or, at the start, `]`)
      if byte == UInt8(ascii: "]") {
        guard state.top.phase == Phase.arrayStart, shape.low == 0 else { return false }
        pop(&state)
        return true
      }
      guard shape.high < 0 || state.top.count < shape.high else { return false }
      state.top.count += 1
      state.top.phase = Phase.arrayAfter
      state.top.spaced = false
      return begin(&state, shape.child, byte)
    }
  }
}
