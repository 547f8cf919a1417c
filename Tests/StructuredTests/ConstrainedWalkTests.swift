import NightdeskStructured
import NightdeskSupport
import NightdeskTestSupport
import PropertyBased
import Testing

/// Constrained decoding with the real Qwen3 and SmolLM2 vocabularies. The work runs on
/// threads of its own (`onOwnThread`): inline it would hold the few cooperative threads
/// for seconds and stall the suites beside it. Problems come back as text and are
/// recorded here, where the test's context is.
@Suite struct ConstrainedWalkTests {
  /// Random walks over allowed tokens never meet a dead end and always end in JSON that
  /// parses and validates, with at most one whitespace byte between tokens.
  @Test(arguments: ["qwen3", "smollm2"]) func randomWalksEndInSchemaValidJSON(model: String) async throws {
    let vocabulary = try await onOwnThread { try StructuredFixtures.model(model).vocabulary }
    let schemas = try StructuredFixtures.all.map { try StructuredFixtures.schema($0.text) }
    await propertyCheck(count: 40, input: Gen.int(in: 0...(schemas.count - 1)), Gen.uint64(in: 0...UInt64.max)) {
      index, seed in
      let schema = schemas[index]
      let problems = try await onOwnThread { () -> [String] in
        let outcome = RandomWalk.run(schema: schema, vocabulary: vocabulary, seed: seed)
        let text = String(decoding: outcome.text, as: UTF8.self).debugDescription
        var problems = outcome.problems
        problems += schema.validate(text: outcome.text).map { "invalid \(text): \($0)" }
        let whitespace = whitespaceOutsideStrings(outcome.text)
        if whitespace.longestRun > 1 || whitespace.atEdges { problems.append("whitespace runs in \(text)") }
        return problems
      }
      #expect(problems.isEmpty, "\(StructuredFixtures.all[index].name) seed \(seed): \(problems.prefix(3))")
    }
  }

  /// The mask (trie walk, string classes, cache) is exactly the set of tokens `accept`
  /// takes one by one, at states along a walk.
  @Test(arguments: ["qwen3", "smollm2"]) func masksAreExactlyTheAcceptedTokens(model: String) async throws {
    let problems = try await onOwnThread { () throws -> [String] in
      let vocabulary = try StructuredFixtures.model(model).vocabulary
      var problems: [String] = []
      for (name, text) in [("annualReport", StructuredFixtures.annualReport), ("tags", StructuredFixtures.tags)] {
        let schema = try StructuredFixtures.schema(text)
        var random = SplitMix64(seed: 7)
        var constraint = TokenConstraint(schema: schema, vocabulary: vocabulary)
        var mask = TokenMask(count: vocabulary.count)
        var checked = 0
        for step in 0..<400 where !constraint.isFinished {
          constraint.allowedTokens(into: &mask)
          if step < 4 || step % 11 == 0, checked < 6 {
            var expected = TokenMask(count: vocabulary.count)
            for id in 0..<vocabulary.count {
              var copy = constraint
              if (try? copy.accept(token: id)) != nil { expected.insert(id) }
            }
            if mask != expected {
              let missing = expected.allowedIDs.filter { !mask[Int($0)] }.prefix(5)
              let extra = mask.allowedIDs.filter { !expected[Int($0)] }.prefix(5)
              let after = String(decoding: constraint.text, as: UTF8.self).debugDescription
              problems.append("\(name) step \(step) after \(after): missing \(Array(missing)), extra \(Array(extra))")
            }
            checked += 1
          }
          let allowed = mask.allowedIDs
          guard !allowed.isEmpty else {
            problems.append("\(name): nothing allowed at step \(step)")
            break
          }
          try constraint.accept(token: Int(allowed[Int(random.next() % UInt64(allowed.count))]))
        }
        if checked < 4 { problems.append("\(name): only \(checked) states checked") }
      }
      return problems
    }
    #expect(problems.isEmpty, "\(problems.prefix(5))")
  }

  /// Valid values, written as `JSONWriter` writes them (one space after `,` and `:`) and
  /// tokenized by the model's own tokenizer, are allowed token by token, then the end.
  @Test(arguments: ["qwen3", "smollm2"]) func validTextsTokenizedByTheModelAreAccepted(model: String) async throws {
    let problems = try await onOwnThread { () throws -> [String] in
      let (tokenizer, vocabulary) = try StructuredFixtures.model(model)
      var mask = TokenMask(count: vocabulary.count)
      var problems: [String] = []
      for (name, text) in StructuredFixtures.all {
        let schema = try StructuredFixtures.schema(text)
        var generator = ValueGenerator(root: try JSONParser.parse(text), random: SplitMix64(seed: 99))
        for round in 0..<25 {
          let value = generator.value(try JSONParser.parse(text))
          let json = JSONWriter.string(value)
          if !schema.validate(value).isEmpty { problems.append("\(name): the generator made \(json)") }
          let ids = tokenizer.encode(json, allowSpecial: false)
          if tokenizer.decodeBytes(ids) != Array(json.utf8) { problems.append("\(name): \(json) does not round-trip") }
          var constraint = TokenConstraint(schema: schema, vocabulary: vocabulary)
          for (position, id) in (ids + [tokenizer.stopTokenIDs[0]]).enumerated() {
            constraint.allowedTokens(into: &mask)
            guard mask[Int(id)] else {
              problems.append("\(name) round \(round): token \(position) (\(id)) of \(json.debugDescription) not allowed")
              break
            }
            try constraint.accept(token: Int(id))
          }
          if !constraint.isFinished { problems.append("\(name) round \(round): \(json.debugDescription) not finished") }
        }
      }
      return problems
    }
    #expect(problems.isEmpty, "\(problems.prefix(5))")
  }
}
