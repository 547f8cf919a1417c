import NightdeskStructured
import NightdeskSupport
import NightdeskTestSupport
import Testing

/// The automaton byte by byte: a vocabulary of the 256 single bytes and an end token.
@Suite struct AutomatonTests {
  /// Whether `text` followed by the end token is accepted.
  static func accepts(_ schema: StructuredSchema, _ text: String) -> Bool {
    var constraint = TokenConstraint(schema: schema, vocabulary: StructuredFixtures.bytes)
    do {
      for byte in text.utf8 { try constraint.accept(token: Int(byte)) }
      try constraint.accept(token: 256)
      return true
    } catch {
      return false
    }
  }

  static func acceptsBytes(_ schema: StructuredSchema, _ bytes: [UInt8]) -> Bool {
    var constraint = TokenConstraint(schema: schema, vocabulary: StructuredFixtures.bytes)
    do {
      for byte in bytes { try constraint.accept(token: Int(byte)) }
      try constraint.accept(token: 256)
      return true
    } catch {
      return false
    }
  }

  @Test func annualReportTexts() throws {
    let schema = try StructuredFixtures.schema(StructuredFixtures.annualReport)
    let accepted = [
      #"{"company":"Acme","year":2024,"sentiment":"neutral","risks":[]}"#,
      #"{"company": "Acme", "year": -3, "revenue": 1.5e+3, "sentiment": "negative", "risks": [{"risk": "rates", "severity": 2, "page": null}], "audited": true, "note": "ok"}"#,
      "{\n\"company\": \"\\u00e9\\n\\\"q\\\"\",\n\"year\": 0,\n\"sentiment\": \"positive\",\n\"risks\": [ ]\n}",
      #"{"company":"日本語 ✓ 😀","year":123456789012345678,"sentiment":"neutral","risks":[{"risk":"","severity":1,"page":7}],"note":null}"#,
    ]
    for text in accepted {
      #expect(Self.accepts(schema, text), "\(text)")
      #expect(schema.validate(try JSONParser.parse(text)).isEmpty)
    }
    let refused = [
      #" {"company":"Acme","year":2024,"sentiment":"neutral","risks":[]}"#,  // leading space
      #"{"company":"Acme","year":2024,"sentiment":"neutral","risks":[]} "#,  // trailing space
      #"{"company":  "Acme","year":2024,"sentiment":"neutral","risks":[]}"#,  // two spaces
      "{\"company\":\n \"Acme\",\"year\":2024,\"sentiment\":\"neutral\",\"risks\":[]}",  // newline and indent
      #"{"year":2024,"company":"Acme","sentiment":"neutral","risks":[]}"#,  // out of schema order
      #"{"company":"Acme","year":2024,"sentiment":"neutral"}"#,  // required risks missing
      #"{"company":"Acme","year":2024,"sentiment":"neutral","risks":[],"extra":1}"#,
      #"{"company":"Acme","year":2024.0,"sentiment":"neutral","risks":[]}"#,  // integer with a fraction
      #"{"company":"Acme","year":1234567890123456789,"sentiment":"neutral","risks":[]}"#,  // 19 digits
      #"{"company":"Acme","year":01,"sentiment":"neutral","risks":[]}"#,
      #"{"company":"Acme","year":2024,"sentiment":"Neutral","risks":[]}"#,
      #"{"company":"Acme","year":2024,"sentiment":"neutral","risks":[{"risk":"a","severity":1},{"risk":"b","severity":1},{"risk":"c","severity":1},{"risk":"d","severity":1}]}"#,
      #"{"company":"\ud800","year":2024,"sentiment":"neutral","risks":[]}"#,  // half a surrogate pair
      #"{"company":"\x","year":2024,"sentiment":"neutral","risks":[]}"#,
      "{\"company\":\"tab\there\",\"year\":2024,\"sentiment\":\"neutral\",\"risks\":[]}",  // raw control byte
      #"{"company":"12345678901234567890123456789012345678901","year":1,"sentiment":"neutral","risks":[]}"#,  // 41 > maxLength 40
      #"{"company":"Acme","year":2024,"sentiment":"neutral","risks":[],}"#,
      #"{"company":"Acme","year":2024,"sentiment":"neutral","risks":[],"revenue":1}"#,  // revenue's place has passed
      #"{"company":"Acme","year":2024,"sentiment":"neutral","risks":[]"#,  // unfinished
    ]
    for text in refused { #expect(!Self.accepts(schema, text), "\(text)") }
  }

  @Test func invalidUTF8IsRefusedInsideStrings() throws {
    let schema = try StructuredFixtures.schema(#"{"type": "string"}"#)
    #expect(Self.acceptsBytes(schema, [0x22, 0xC3, 0xA9, 0x22]))  // é
    #expect(Self.acceptsBytes(schema, [0x22, 0xF0, 0x9F, 0x98, 0x80, 0x22]))  // 😀
    for bad: [UInt8] in [[0x22, 0xC3, 0x22], [0x22, 0x80, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22],
                         [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0xFF, 0x22], [0x22, 0xE0, 0x80, 0x80, 0x22]] {
      #expect(!Self.acceptsBytes(schema, bad), "\(bad)")
    }
  }

  @Test func scalarsAndLimits() throws {
    let number = try StructuredFixtures.schema(StructuredFixtures.number)
    for text in ["0", "-0", "12.5", "1e5", "1E-05", "-3.25e+12", "123456789012345678.123456789012345678e99"] {
      #expect(Self.accepts(number, text), "\(text)")
    }
    for text in ["", "-", "01", "1.", ".5", "1e", "1e+", "+1", "1e100", "1234567890123456789", "NaN", "1 "] {
      #expect(!Self.accepts(number, text), "\(text)")
    }
    let tags = try StructuredFixtures.schema(StructuredFixtures.tags)
    #expect(Self.accepts(tags, #"["ab", "cdefghijkl"]"#))
    #expect(!Self.accepts(tags, "[]"))
    #expect(!Self.accepts(tags, #"["a"]"#))
    #expect(!Self.accepts(tags, #"["abcdefghijk"]"#))
    #expect(!Self.accepts(tags, #"["ab","ab","ab","ab","ab"]"#))
    let compact = try StructuredFixtures.schema(StructuredFixtures.tags, whitespace: .none)
    #expect(Self.accepts(compact, #"["ab","cd"]"#))
    #expect(!Self.accepts(compact, #"["ab", "cd"]"#))
    let literal = try StructuredFixtures.schema(#"{"enum": [1, 12, "a\"b", {"k": [true, null]}]}"#)
    for text in ["1", "12", #""a\"b""#, #"{"k":[true,null]}"#] { #expect(Self.accepts(literal, text), "\(text)") }
    for text in ["2", "123", #"{"k": [true, null]}"#] { #expect(!Self.accepts(literal, text), "\(text)") }
  }

  /// No state of a walk is a dead end: every byte-level walk ends, with one valid text;
  /// with `.none`, without whitespace outside strings. On a thread of its own, as the
  /// walks of `ConstrainedWalkTests`.
  @Test(arguments: StructuredFixtures.all.map(\.name)) func byteWalksEndInValidText(name: String) async throws {
    let text = StructuredFixtures.all.first { $0.name == name }!.text
    let problems = try await onOwnThread { () throws -> [String] in
      var problems: [String] = []
      for (whitespace, longest) in [(StructuredSchema.Whitespace.single, 1), (.none, 0)] {
        let schema = try StructuredFixtures.schema(text, whitespace: whitespace)
        for seed in UInt64(1)...30 {
          let outcome = RandomWalk.run(schema: schema, vocabulary: StructuredFixtures.bytes, seed: seed, maximumSteps: 20_000)
          let written = String(decoding: outcome.text, as: UTF8.self).debugDescription
          problems += outcome.problems.map { "seed \(seed): \($0)" }
          problems += schema.validate(text: outcome.text).map { "\(written): \($0)" }
          if whitespaceOutsideStrings(outcome.text).longestRun > longest { problems.append("whitespace in \(written)") }
        }
      }
      return problems
    }
    #expect(problems.isEmpty, "\(problems.prefix(5))")
  }

  /// A long output pushes thousands of frames; the arena is compacted on the way and the
  /// stack below stays right (the inner arrays still close, the end comes after the last).
  @Test func longOutputsKeepTheirStackThroughCompaction() throws {
    let schema = try StructuredFixtures.schema(
      #"{"type": "array", "items": {"type": "array", "maxItems": 2, "items": {"type": "integer"}}}"#)
    let text = "[" + Array(repeating: "[1,2]", count: 3000).joined(separator: ",") + ",[3]]"
    #expect(Self.accepts(schema, text))
    #expect(!Self.accepts(schema, String(text.dropLast())))
    #expect(!Self.accepts(schema, "[" + Array(repeating: "[1,2]", count: 3000).joined(separator: ",") + ",[3,4,5]]"))
  }

  @Test func theEndTokenComesOnlyAfterAWholeValueAndNothingAfterIt() throws {
    let schema = try StructuredFixtures.schema(StructuredFixtures.number)
    var constraint = TokenConstraint(schema: schema, vocabulary: StructuredFixtures.bytes)
    var mask = TokenMask(count: StructuredFixtures.bytes.count)
    constraint.allowedTokens(into: &mask)
    #expect(!mask[256] && !constraint.isComplete)
    #expect(throws: ConstraintError.tokenNotAllowed(token: 256, afterBytes: 0)) { try constraint.accept(token: 256) }
    try constraint.accept(token: Int(UInt8(ascii: "7")))
    constraint.allowedTokens(into: &mask)
    #expect(mask[256] && constraint.isComplete && mask[Int(UInt8(ascii: "0"))] && !mask[Int(UInt8(ascii: " "))])
    try constraint.accept(token: 256)
    #expect(constraint.isFinished && constraint.text == Array("7".utf8))
    constraint.allowedTokens(into: &mask)
    #expect(mask.allowedCount == 0)
    #expect(throws: ConstraintError.finished(token: 55)) { try constraint.accept(token: 55) }
  }
}

@Suite struct TokenMaskTests {
  /// `apply` leaves exactly the allowed logits, over word edges and padding rows.
  @Test func applyLeavesExactlyTheAllowedLogits() {
    var random = SplitMix64(seed: 5)
    for count in [1, 63, 64, 65, 200] {
      var mask = TokenMask(count: count)
      let pattern = random.next()
      for id in 0..<count where (pattern >> UInt64(id % 64)) & 1 == 1 || id % 64 == 63 || (id >= 64 && id < 128) {
        mask.insert(id)
      }
      var logits = [Float](repeating: 1, count: count + 7)
      logits.withUnsafeMutableBufferPointer { mask.apply(to: $0) }
      for (id, logit) in logits.enumerated() {
        #expect((logit == 1) == mask[id], "count \(count) id \(id)")
      }
    }
  }

  /// `argmax` is the argmax of the logits `apply` leaves, NaN aside.
  @Test func argmaxAgreesWithApplyingTheMask() {
    var random = SplitMix64(seed: 11)
    for round in 0..<200 {
      let count = 1 + Int(random.next() % 300)
      var mask = TokenMask(count: count)
      for id in 0..<count where random.next() % 5 == 0 { mask.insert(id) }
      if round % 2 == 0 { for id in 0..<min(count, 128) { mask.insert(id) } }  // whole words allowed
      var logits = (0..<count).map { _ in Float(Int(random.next() % 41) - 20) }
      if round % 7 == 0 { logits[Int(random.next() % UInt64(count))] = .nan }
      let picked = logits.withUnsafeBufferPointer { mask.argmax($0) }
      var masked = logits
      masked.withUnsafeMutableBufferPointer { mask.apply(to: $0) }
      let allowed = mask.allowedIDs.map(Int.init).filter { !logits[$0].isNaN }
      let expected = allowed.max { logits[$0] < logits[$1] || (logits[$0] == logits[$1] && $0 > $1) }
      if mask.allowedCount == 0 {
        #expect(picked == nil)
      } else if let expected {
        #expect(picked == expected, "round \(round)")
        #expect(masked[expected] == logits[expected])
      } else {
        #expect(picked.map { mask[$0] } == true)
      }
    }
  }
}
