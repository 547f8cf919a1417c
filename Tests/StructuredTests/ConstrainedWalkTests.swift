import NightdeskStructured
import NightdeskSupport
import NightdeskTestSupport
import PropertyBased
import Testing

/// Constrained decoding with the real Qwen3 and SmolLM2 vocabularies.
@Suite struct ConstrainedWalkTests {
  /// Random walks over allowed tokens never meet a dead end and always end in JSON that
  /// parses and validates, with at most one whitespace byte between tokens.
  @Test(arguments: ["qwen3", "smollm2"]) func randomWalksEndInSchemaValidJSON(model: String) async throws {
    let vocabulary = try StructuredFixtures.model(model).vocabulary
    let schemas = try StructuredFixtures.all.map { try StructuredFixtures.schema($0.text) }
    await propertyCheck(count: 40, input: Gen.int(in: 0...(schemas.count - 1)), Gen.uint64(in: 0...UInt64.max)) {
      index, seed in
      let outcome = RandomWalk.run(schema: schemas[index], vocabulary: vocabulary, seed: seed)
      let text = String(decoding: outcome.text, as: UTF8.self)
      #expect(outcome.problems.isEmpty, "\(StructuredFixtures.all[index].name) seed \(seed): \(outcome.problems)")
      #expect(schemas[index].validate(text: outcome.text).isEmpty, "\(text.debugDescription)")
      let whitespace = whitespaceOutsideStrings(outcome.text)
      #expect(whitespace.longestRun <= 1 && !whitespace.atEdges, "\(text.debugDescription)")
    }
  }

  /// The mask (trie walk, string classes, cache) is exactly the set of tokens `accept`
  /// takes one by one, at every state of a few walks.
  @Test(arguments: ["qwen3", "smollm2"]) func masksAreExactlyTheAcceptedTokens(model: String) throws {
    let vocabulary = try StructuredFixtures.model(model).vocabulary
    for (name, text) in [("annualReport", StructuredFixtures.annualReport), ("tags", StructuredFixtures.tags)] {
      let schema = try StructuredFixtures.schema(text)
      var random = SplitMix64(seed: 7)
      var constraint = TokenConstraint(schema: schema, vocabulary: vocabulary)
      var mask = TokenMask(count: vocabulary.count)
      var checked = 0
      for step in 0..<400 where !constraint.isFinished {
        constraint.allowedTokens(into: &mask)
        if step % 7 == 0 || step < 6 {
          var expected = TokenMask(count: vocabulary.count)
          for id in 0..<vocabulary.count {
            var copy = constraint
            if (try? copy.accept(token: id)) != nil { expected.insert(id) }
          }
          let missing = expected.allowedIDs.filter { !mask[Int($0)] }.prefix(5)
          let extra = mask.allowedIDs.filter { !expected[Int($0)] }.prefix(5)
          let same = mask == expected  // compared as a Bool: a failure prints the differences, not two masks
          #expect(same, "\(name) step \(step) after \(String(decoding: constraint.text, as: UTF8.self).debugDescription): missing \(Array(missing)), extra \(Array(extra))")
          checked += 1
        }
        let allowed = mask.allowedIDs
        try #require(!allowed.isEmpty)
        try constraint.accept(token: Int(allowed[Int(random.next() % UInt64(allowed.count))]))
      }
      #expect(checked >= 6)
    }
  }

  /// Valid values, written as `JSONWriter` writes them (one space after `,` and `:`) and
  /// tokenized by the model's own tokenizer, are allowed token by token, then the end.
  @Test(arguments: ["qwen3", "smollm2"]) func validTextsTokenizedByTheModelAreAccepted(model: String) throws {
    let (tokenizer, vocabulary) = try StructuredFixtures.model(model)
    var mask = TokenMask(count: vocabulary.count)
    for (name, text) in StructuredFixtures.all {
      let schema = try StructuredFixtures.schema(text)
      var generator = ValueGenerator(root: try JSONParser.parse(text), random: SplitMix64(seed: 99))
      for round in 0..<25 {
        let value = generator.value(try JSONParser.parse(text))
        let json = JSONWriter.string(value)
        #expect(schema.validate(value).isEmpty, "\(name): generator made \(json)")
        let ids = tokenizer.encode(json, allowSpecial: false)
        #expect(tokenizer.decodeBytes(ids) == Array(json.utf8))
        var constraint = TokenConstraint(schema: schema, vocabulary: vocabulary)
        for (position, id) in (ids + [tokenizer.stopTokenIDs[0]]).enumerated() {
          constraint.allowedTokens(into: &mask)
          guard mask[Int(id)] else {
            Issue.record("\(name) round \(round): token \(position) (\(id)) of \(json.debugDescription) not allowed")
            break
          }
          try constraint.accept(token: Int(id))
        }
        #expect(constraint.isFinished)
      }
    }
  }
}
