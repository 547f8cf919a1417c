import Foundation
import NightdeskIngest
import NightdeskRequests
import NightdeskStructured
import NightdeskSupport
import NightdeskTestSupport
import PropertyBased
import Testing

/// Budget-aware masking: told the tokens a request has left, the mask lets through only
/// tokens after which the document can still close, so any budget of at least the
/// schema's shortest document ends in a whole, schema-valid value.
@Suite struct BudgetTests {
  /// Nested objects, required properties after optional ones, minItems at two levels and
  /// a minLength: every part of the shortest completion.
  static let nested = """
    {"type": "object", "additionalProperties": false, "required": ["groups", "label"],
     "properties": {
       "note": {"type": "string"},
       "groups": {"type": "array", "minItems": 2, "items": {
         "type": "object", "additionalProperties": false, "required": ["name", "tags"],
         "properties": {"weight": {"type": "number"}, "name": {"type": "string", "minLength": 1},
                        "tags": {"type": "array", "minItems": 1, "items": {"enum": ["alpha", "be", true]}}}}},
       "label": {"type": "string", "minLength": 3, "maxLength": 80}}}
    """

  /// The shipped job types' output schemas, as `submit --type` sends them.
  static func jobTypeSchemas() throws -> [(name: String, text: String)] {
    let folder = TestPaths.repositoryRoot.appendingPathComponent("Jobs/types").path
    return try ["annual-report", "news-digest", "social-sentiment", "contract-risk"].map { name in
      (name, JSONWriter.string(try JobType.named(name, folder: folder).outputSchema.json))
    }
  }

  /// The completion left after `prefix`, fed byte by byte.
  static func shortest(_ schema: StructuredSchema, after prefix: String) throws -> Int {
    var constraint = TokenConstraint(schema: schema, vocabulary: StructuredFixtures.bytes)
    for byte in prefix.utf8 { try constraint.accept(token: Int(byte)) }
    return constraint.shortestCompletion
  }

  @Test func shortestCompletionsOfStatesAreTheBytesOfTheShortestEnding() throws {
    let tags = try StructuredFixtures.schema(StructuredFixtures.tags)
    #expect(tags.shortestDocument == 6)  // ["aa"]
    #expect(try Self.shortest(tags, after: "[\"a") == 3)  // a"]
    #expect(try Self.shortest(tags, after: "[\"abc") == 2)  // "]
    #expect(try Self.shortest(tags, after: "[\"ab\", ") == 5)  // "aa"]
    #expect(try Self.shortest(tags, after: "[\"ab\"") == 1)  // ]
    #expect(try Self.shortest(tags, after: "[\"\\u00") == 2 + 2 + 1)  // e9a"]

    let number = try StructuredFixtures.schema(StructuredFixtures.number)
    #expect(try Self.shortest(number, after: "-") == 1)
    #expect(try Self.shortest(number, after: "-12") == 0)
    #expect(try Self.shortest(number, after: "1.") == 1)
    #expect(try Self.shortest(number, after: "1e+") == 1)

    // {"groups":[{"name":"a","tags":["be"]},{"name":"a","tags":["be"]}],"label":"aaa"}
    let nested = try StructuredFixtures.schema(Self.nested)
    #expect(nested.shortestDocument == 80)
    // te":"" then the 80 bytes of the document without "note".
    #expect(try Self.shortest(nested, after: "{\"no") == 6 + 80)
    // ue ] } then a second group (,{...}) and ] then ,"label":"aaa"}
    #expect(try Self.shortest(nested, after: "{\"groups\": [{\"name\": \"x\", \"tags\": [tr") == 2 + 1 + 1 + 28 + 15)
    // a" then ,"tags":["be"]} then ] then ,"label":"aaa"}
    #expect(try Self.shortest(nested, after: "{\"groups\": [{\"name\": \"x\", \"tags\": [true]}, {\"name\": \"") == 2 + 15 + 1 + 15)
  }

  /// Random walks under the mask with any budget from the shortest document up end
  /// schema-valid within it: finished by the end token, or complete when the budget ends.
  @Test(arguments: ["qwen3", "smollm2"]) func randomWalksWithAnyBudgetEndSchemaValid(model: String) async throws {
    let vocabulary = try await onOwnThread { try StructuredFixtures.model(model).vocabulary }
    let named = StructuredFixtures.all + [("nested", Self.nested)] + (try Self.jobTypeSchemas())
    let schemas = try named.map { try StructuredFixtures.schema($0.text) }
    await propertyCheck(
      count: 60, input: Gen.int(in: 0...(schemas.count - 1)), Gen.int(in: 0...40), Gen.uint64(in: 0...UInt64.max)
    ) { index, extra, seed in
      let schema = schemas[index]
      let budget = schema.shortestDocument + extra
      let problems = try await onOwnThread { () -> [String] in
        let outcome = RandomWalk.run(schema: schema, vocabulary: vocabulary, seed: seed, budget: budget)
        let text = String(decoding: outcome.text, as: UTF8.self).debugDescription
        var problems = outcome.problems
        problems += schema.validate(text: outcome.text).map { "invalid \(text): \($0)" }
        if outcome.steps > budget { problems.append("\(outcome.steps) tokens for a budget of \(budget)") }
        return problems
      }
      #expect(problems.isEmpty, "\(named[index].name) budget \(budget) seed \(seed): \(problems.prefix(3))")
    }
  }

  /// A budgeted mask holds exactly the tokens after which the document can still close in
  /// the tokens then left: checked against every token of the vocabulary, fed one by one,
  /// at each step of random walks (inside strings, where the mask is built from the
  /// precomputed string classes, and between values, where it walks the vocabulary).
  @Test(arguments: ["qwen3", "smollm2"]) func budgetedMasksAreExactlyTheTokensThatCanStillClose(model: String) async throws {
    let vocabulary = try await onOwnThread { try StructuredFixtures.model(model).vocabulary }
    let labels = """
      {"type": "object", "additionalProperties": false, "required": ["title", "tags"],
       "properties": {"title": {"type": "string", "minLength": 6, "maxLength": 40},
                      "tags": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 2}}}}
      """
    let schemas = [try StructuredFixtures.schema(Self.nested), try StructuredFixtures.schema(labels)]
    let problems = try await onOwnThread { () -> [String] in
      var problems: [String] = []
      for (index, schema) in schemas.enumerated() {
        var random = SplitMix64(seed: UInt64(17 + index))
        var constraint = TokenConstraint(schema: schema, vocabulary: vocabulary)
        var mask = TokenMask(count: vocabulary.count)
        for step in 0..<24 where !constraint.isFinished {
          // What each token would leave to write, nil where it cannot follow.
          let left: [Int?] = (0..<vocabulary.count).map { id in
            var next = constraint
            guard (try? next.accept(token: id)) != nil else { return nil }
            return next.isFinished ? 0 : next.shortestCompletion
          }
          let shortest = constraint.shortestCompletion
          for tokensLeft in max(shortest, 1)...(shortest + 4) {
            var budgeted = constraint
            budgeted.allowedTokens(into: &mask, tokensLeft: tokensLeft)
            var expected = TokenMask(count: vocabulary.count)
            for (id, bytes) in left.enumerated() where bytes.map({ $0 <= tokensLeft - 1 }) ?? false { expected.insert(id) }
            if mask != expected {
              let text = String(decoding: constraint.text, as: UTF8.self).debugDescription
              problems.append("schema \(index) step \(step) after \(text), \(tokensLeft) tokens left: "
                + "mask has \(mask.allowedCount) tokens, \(expected.allowedCount) can close")
            }
          }
          constraint.allowedTokens(into: &mask)
          let allowed = mask.allowedIDs
          guard !allowed.isEmpty else { break }
          try constraint.accept(token: Int(allowed[Int(random.next() % UInt64(allowed.count))]))
        }
      }
      return problems
    }
    #expect(problems.count == 0, "\(problems.prefix(4))")
  }

  /// The exact shortest budget closes every schema, and a walk that had to be cut short
  /// says so.
  @Test func theShortestBudgetClosesAndIsReportedAsClosedByTheBudget() throws {
    let vocabulary = try StructuredFixtures.model("smollm2").vocabulary
    for (name, text) in StructuredFixtures.all + [("nested", Self.nested)] + (try Self.jobTypeSchemas()) {
      let schema = try StructuredFixtures.schema(text)
      let outcome = RandomWalk.run(schema: schema, vocabulary: vocabulary, seed: 3, budget: schema.shortestDocument)
      #expect(outcome.problems.isEmpty, "\(name): \(outcome.problems)")
      #expect(schema.validate(text: outcome.text).isEmpty, "\(name): \(String(decoding: outcome.text, as: UTF8.self))")
      #expect(outcome.steps <= schema.shortestDocument, "\(name)")
    }
    let summary = try StructuredFixtures.schema(StructuredFixtures.summary)
    let cut = RandomWalk.run(schema: summary, vocabulary: vocabulary, seed: 5, budget: 20)
    #expect(cut.closedByBudget && cut.problems.isEmpty && summary.validate(text: cut.text).isEmpty)
  }

  /// A budget that can no longer close the document (one `submit` refuses) leaves the
  /// mask as it is without one, so the answer is cut as before rather than stuck.
  @Test func aBudgetTooSmallToCloseLeavesTheMaskAsWithoutOne() throws {
    let vocabulary = StructuredFixtures.bytes
    var constraint = TokenConstraint(schema: try StructuredFixtures.schema(Self.nested), vocabulary: vocabulary)
    for byte in "{\"".utf8 { try constraint.accept(token: Int(byte)) }
    #expect(constraint.shortestCompletion == 78)  // groups":[...],"label":"aaa"}
    var free = TokenMask(count: vocabulary.count), budgeted = TokenMask(count: vocabulary.count)
    constraint.allowedTokens(into: &free)
    constraint.allowedTokens(into: &budgeted, tokensLeft: 77)
    #expect(budgeted == free && free[Int(UInt8(ascii: "n"))] && !constraint.closedByBudget)
    // Exactly enough: "note" would take 8 bytes more, so only "groups" is left.
    constraint.allowedTokens(into: &budgeted, tokensLeft: 78)
    #expect(budgeted.allowedIDs == [Int32(UInt8(ascii: "g"))] && constraint.closedByBudget)
  }

  /// A budget below the shortest document is refused up front, naming both numbers.
  @Test func aBudgetBelowTheShortestDocumentIsRefused() throws {
    let schema = try JSONParser.parse(Self.nested)
    let request = { (maxTokens: Int) in
      ChatRequest(customID: "q", messages: [.user("x")], sampling: SamplingParameters(maxTokens: maxTokens),
                  responseFormat: .jsonSchema(name: "nested", schema: schema))
    }
    #expect(throws: Never.self) { try StructuredSchema.check(request(80)) }
    do {
      try StructuredSchema.check(request(79))
      Issue.record("max_tokens 79 was taken")
    } catch {
      #expect(error.code == .budgetTooSmall(maxTokens: 79, shortest: 80))
      #expect("\(error)".contains("max_tokens 79") && "\(error)".contains("80"), "\(error)")
    }
  }
}
