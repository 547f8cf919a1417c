import NightdeskSupport

/// A compiled schema as flat tables the byte automaton reads: one `GrammarNode` per
/// place a value can stand, the property lists of objects, small byte tries for
/// property names and literal values, and the first-byte dispatch of `anyOf`.
/// Immutable once built, so every request with the schema shares it.
struct Grammar: Sendable {
  enum Kind: UInt8, Sendable {
    case object, array, string, number, integer, literals, choice
  }

  struct Node: Sendable {
    var kind: Kind
    /// array: the items node; literals: the literal trie's root; object: the names trie's root.
    var child: Int32 = -1
    /// array: minItems; string: minLength.
    var low: Int32 = 0
    /// array: maxItems; string: maxLength; -1 for none.
    var high: Int32 = -1
    /// object: first index in the property tables; choice: offset in `choiceTable`;
    /// literals: index in `literalValues`.
    var table: Int32 = 0
    /// object: its property count.
    var width: Int32 = 0
    /// object: first index in `slotAllowed` / `slotClosable` (width + 1 entries).
    var slots: Int32 = 0
  }

  var nodes: [Node] = []
  var root: Int32 = 0

  // MARK: Objects. Properties are emitted in schema order, each optional one or skipped.
  /// The value node of each property. // [all objects' properties]
  var propertyNodes: [Int32] = []
  var propertyNames: [String] = []
  var propertyRequired: [Bool] = []
  /// For an object that has emitted properties before position p: the properties that may
  /// come next (bit j: property j), those from p up to and including the first required one.
  /// // [per object: width + 1]
  var slotAllowed: [UInt64] = []
  /// Whether `}` may come after position p: no required property at or after p. // [per object: width + 1]
  var slotClosable: [Bool] = []

  /// The bytes of each property's key, quotes excluded. // [all objects' properties]
  var propertyKeyLengths: [Int32] = []

  /// The shortest completions (`Grammar+Shortest.swift`), measured once the nodes are built.
  var shortest = ShortestTexts()

  /// The values a literals node (enum, const, boolean, null) allows, for validation. // [literal sets]
  var literalValues: [[JSONValue]] = []

  // MARK: anyOf: the alternative (a node) that a value's first byte selects, -1 for none.
  var choiceTable: [Int32] = []  // [choices, 256]

  // MARK: Byte tries for property names (escaped, without quotes) and literal texts.
  var trie = ByteTrie()

  func node(_ index: Int32) -> Node { nodes[Int(index)] }
}

/// Small byte tries (property names, enum texts) in one table. A node's edges are sorted
/// by byte; `terminal` is the property index (names) or 0 (literals) where a key or text
/// ends there; `below` is the set of properties whose names pass through the node, so a
/// key is only let down a path that can still reach a property allowed at that point.
struct ByteTrie: Sendable {
  var edgeStart: [Int32] = []  // [nodes]
  var edgeCount: [Int32] = []  // [nodes]
  var terminal: [Int32] = []  // [nodes]
  var below: [UInt64] = []  // [nodes]
  /// Bytes from the trie's root to the node. // [nodes]
  var depth: [Int32] = []
  /// The fewest bytes from the node to the end of a word. // [nodes]
  var shortest: [Int32] = []
  var edgeByte: [UInt8] = []  // [edges]
  var edgeChild: [Int32] = []  // [edges]

  @inline(__always)
  func child(_ node: Int32, _ byte: UInt8) -> Int32 {
    let start = Int(edgeStart[Int(node)])
    for edge in start..<(start + Int(edgeCount[Int(node)])) where edgeByte[edge] == byte {
      return edgeChild[edge]
    }
    return -1
  }

  /// Adds a trie of `words` (word i marked with `marks[i]`) and returns its root.
  mutating func add(_ words: [[UInt8]], marks: [Int32]) -> Int32 {
    // Built as nested dictionaries first, then laid out with sorted edges.
    var children: [[UInt8: Int]] = [[:]]
    var ends: [Int32] = [-1]
    var sets: [UInt64] = [0]
    for (index, word) in words.enumerated() {
      var node = 0
      let bit: UInt64 = marks[index] < 64 ? 1 << UInt64(marks[index]) : 0
      sets[0] |= bit
      for byte in word {
        if let next = children[node][byte] {
          node = next
        } else {
          children.append([:])
          ends.append(-1)
          sets.append(0)
          children[node][byte] = children.count - 1
          node = children.count - 1
        }
        sets[node] |= bit
      }
      if ends[node] < 0 { ends[node] = marks[index] }
    }
    let base = Int32(edgeStart.count)
    // Children are made after their parents: depths forward, shortest endings backward.
    var depths = [Int32](repeating: 0, count: children.count)
    var shortestEnds = ends.map { $0 >= 0 ? Int32(0) : Int32.max }
    for node in children.indices {
      for next in children[node].values { depths[next] = depths[node] + 1 }
    }
    for node in children.indices.reversed() {
      for next in children[node].values where shortestEnds[next] < Int32.max {
        shortestEnds[node] = min(shortestEnds[node], shortestEnds[next] + 1)
      }
    }
    depth += depths
    shortest += shortestEnds
    for node in children.indices {
      edgeStart.append(Int32(edgeByte.count))
      edgeCount.append(Int32(children[node].count))
      terminal.append(ends[node])
      below.append(sets[node])
      for (byte, next) in children[node].sorted(by: { $0.key < $1.key }) {
        edgeByte.append(byte)
        edgeChild.append(base + Int32(next))
      }
    }
    return base
  }
}
