import Foundation
import NightdeskModel
import NightdeskStructured
import NightdeskSupport
import NightdeskTestSupport
import NightdeskTokenizer

/// The real vocabularies and the schemas the suites share; each is built once per run.
enum StructuredFixtures {
  static let qwenResult = Result {
    try Tokenizer(spec: TokenizerSpec(huggingFaceFolder: TestPaths.fixture("qwen3-tiny")))
  }
  static let qwenVocabularyResult = Result { TokenVocabulary(tokenizer: try qwenResult.get()) }
  static let smolLM2Result = Result {
    try Tokenizer(spec: TokenizerSpec(gguf: GGUFFile(url: TestPaths.requireSmolLM2())))
  }
  static let smolLM2VocabularyResult = Result { TokenVocabulary(tokenizer: try smolLM2Result.get()) }

  /// Tokenizer and vocabulary by name: "qwen3" or "smollm2".
  static func model(_ name: String) throws -> (tokenizer: Tokenizer, vocabulary: TokenVocabulary) {
    name == "qwen3"
      ? (try qwenResult.get(), try qwenVocabularyResult.get())
      : (try smolLM2Result.get(), try smolLM2VocabularyResult.get())
  }

  /// One token per byte and an end token (256): the automaton seen byte by byte.
  static let bytes = TokenVocabulary(tokenBytes: (0..<256).map { [UInt8($0)] } + [[]], endTokens: [256])

  static func schema(_ text: String, whitespace: StructuredSchema.Whitespace = .single) throws -> StructuredSchema {
    try StructuredSchema.compile(try JSONParser.parse(text), whitespace: whitespace)
  }

  /// A job type's output: nested objects, optional properties, enums, nullable fields.
  static let annualReport = """
    {"type": "object", "additionalProperties": false,
     "required": ["company", "year", "sentiment", "risks"],
     "properties": {
       "company": {"type": "string", "maxLength": 40},
       "year": {"type": "integer"},
       "revenue": {"type": "number", "description": "in millions"},
       "sentiment": {"enum": ["positive", "neutral", "negative"]},
       "risks": {"type": "array", "maxItems": 3, "items": {
         "type": "object", "additionalProperties": false, "required": ["risk", "severity"],
         "properties": {"risk": {"type": "string", "maxLength": 60}, "severity": {"type": "integer"},
                        "page": {"type": ["integer", "null"]}}}},
       "audited": {"type": "boolean"},
       "note": {"anyOf": [{"type": "string", "maxLength": 20}, {"type": "null"}]}}}
    """
  static let tags = """
    {"type": "array", "minItems": 1, "maxItems": 4, "items": {"type": "string", "minLength": 2, "maxLength": 10}}
    """
  static let entities = """
    {"$defs": {"entity": {"type": "object", "properties": {
        "name": {"type": "string", "maxLength": 30}, "ticker": {"type": ["string", "null"], "maxLength": 6},
        "score": {"type": "number"}, "kind": {"const": "company"}}, "required": ["name", "score"]}},
     "type": "object", "properties": {"entities": {"type": "array", "items": {"$ref": "#/$defs/entity"}, "maxItems": 3},
       "done": {"type": "boolean"}}, "required": ["entities", "done"]}
    """
  static let summary = """
    {"type": "object", "properties": {"summary": {"type": "string"}}, "required": ["summary"]}
    """
  static let number = #"{"type": "number"}"#

  static let all: [(name: String, text: String)] = [
    ("annualReport", annualReport), ("tags", tags), ("entities", entities), ("summary", summary), ("number", number),
  ]
}

/// What a constrained random walk produced.
struct WalkOutcome {
  var text: [UInt8]
  var steps: Int
  var problems: [String]
  var closedByBudget = false
}

enum RandomWalk {
  /// Picks among the allowed tokens until the end token is taken (or `maximumSteps`),
  /// noting any step with nothing allowed and any refused token. Uniformly, except that
  /// one step in four picks among the allowed tokens that close something (`"`, `]`, `}`
  /// or the end): a uniform walk over 151k tokens seldom closes a free string.
  /// With a `budget`, the mask is given the tokens left and the walk stops there: it
  /// must then stand at a whole document, ended or not.
  static func run(
    schema: StructuredSchema, vocabulary: TokenVocabulary, seed: UInt64, maximumSteps: Int = 3000, budget: Int? = nil
  ) -> WalkOutcome {
    let maximumSteps = budget ?? maximumSteps
    var random = SplitMix64(seed: seed)
    var constraint = TokenConstraint(schema: schema, vocabulary: vocabulary)
    var mask = TokenMask(count: vocabulary.count)
    var problems: [String] = []
    var steps = 0
    while !constraint.isFinished, steps < maximumSteps {
      constraint.allowedTokens(into: &mask, tokensLeft: budget.map { $0 - steps })
      let allowed = mask.allowedIDs
      guard !allowed.isEmpty else {
        problems.append("dead end after \(String(decoding: constraint.text, as: UTF8.self).debugDescription)")
        break
      }
      var choices = allowed
      if random.next() % 4 == 0 {
        let closing = allowed.filter { id in
          vocabulary.endTokens.contains(id) || vocabulary.bytes(of: Int(id)).contains { $0 == 0x22 || $0 == 0x5D || $0 == 0x7D }
        }
        if !closing.isEmpty { choices = closing }
      }
      let token = Int(choices[Int(random.next() % UInt64(choices.count))])
      do {
        try constraint.accept(token: token)
      } catch {
        problems.append("allowed token \(token) refused: \(error)")
        break
      }
      steps += 1
    }
    let ended = constraint.isFinished || (budget != nil && constraint.isComplete)
    if !ended, problems.isEmpty { problems.append("not finished after \(steps) steps") }
    return WalkOutcome(text: constraint.text, steps: steps, problems: problems, closedByBudget: constraint.closedByBudget)
  }
}

/// Whitespace outside strings: the longest run, and whether the text starts or ends with it.
func whitespaceOutsideStrings(_ text: [UInt8]) -> (longestRun: Int, atEdges: Bool) {
  var inString = false, escaped = false, run = 0, longest = 0
  for byte in text {
    if inString {
      if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
      continue
    }
    if byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D {
      run += 1
      longest = max(longest, run)
    } else {
      run = 0
      if byte == UInt8(ascii: "\"") { inString = true }
    }
  }
  let edge: (UInt8?) -> Bool = { $0.map { [0x20, 0x0A, 0x09, 0x0D].contains($0) } ?? false }
  return (longest, edge(text.first) || edge(text.last))
}
