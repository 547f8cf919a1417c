import NightdeskStructured
import NightdeskSupport
import Testing

@Suite struct SchemaCompileTests {
  @Test func theSharedSchemasCompile() throws {
    for (name, text) in StructuredFixtures.all {
      #expect(throws: Never.self, "\(name)") { try StructuredFixtures.schema(text) }
    }
  }

  /// Each refused schema, with the exact message that names the keyword and where it is.
  static let refusals: [(schema: String, message: String)] = [
    (#"{"type": "object", "properties": {"x": {"type": "object", "patternProperties": {"^a": {"type": "string"}}}}}"#,
     #"unsupported schema keyword "patternProperties" at $.properties.x"#),
    (#"{"type": "integer", "minimum": 0}"#, #"unsupported schema keyword "minimum" at $"#),
    (#"{"type": "array", "items": {"type": "string", "pattern": "^[A-Z]+$"}}"#,
     #"unsupported schema keyword "pattern" at $.items"#),
    (#"{"type": "object", "properties": {"a b": {"type": "string", "format": "date"}}}"#,
     #"unsupported schema keyword "format" at $.properties["a b"]"#),
    (#"{"type": "object", "additionalProperties": true}"#,
     #"unsupported schema keyword "additionalProperties" at $: only false is supported (absent means false)"#),
    (#"{"type": "string", "items": {"type": "string"}}"#,
     #"unsupported schema keyword "items" at $: it does not apply to type string"#),
    (#"{"anyOf": [{"type": "string"}, {"type": "string", "maxLength": 3}]}"#,
     #"unsupported schema keyword "anyOf" at $: alternatives 0 and 1 can both start with "\""; only alternatives that differ in their first character (different JSON types) are supported"#),
    (#"{"allOf": [{"type": "string"}]}"#, #"unsupported schema keyword "allOf" at $"#),
    (#"{"type": "array", "items": {"type": "string"}, "minItems": 3, "maxItems": 2}"#,
     "schema at $ allows no value: minItems 3 is above maxItems 2"),
    (#"{"type": "object", "properties": {}, "required": ["a"]}"#,
     #"schema at $ allows no value: required property "a" is not in properties (and no other may appear)"#),
    (##"{"$defs": {"n": {"type": "array", "items": {"$ref": "#/$defs/n"}}}, "$ref": "#/$defs/n"}"##,
     ##"schema at $.$defs.n.items is beyond the structured-output limits: $ref "#/$defs/n" is recursive; recursive schemas are not supported"##),
    (#"{"type": "array"}"#, #"invalid value of schema keyword "items" at $: an array schema needs "items" (one schema for every item)"#),
    (#"{"description": "anything"}"#,
     #"invalid value of schema keyword "type" at $: a schema needs "type" (or enum, const, anyOf, oneOf or $ref)"#),
    (#"{"type": "string", "enum": ["a", 1]}"#, "schema at $ allows no value: the value 1 is not of type string"),
  ]

  @Test(arguments: 0..<refusals.count) func unsupportedSchemasAreRefusedNamingTheKeyword(index: Int) throws {
    let (text, message) = Self.refusals[index]
    do {
      _ = try StructuredFixtures.schema(text)
      Issue.record("compiled: \(text)")
    } catch let error as SchemaError {
      #expect(error.description == message)
    }
  }

  @Test func compilingATypicalJobSchemaTakesUnderAMillisecond() throws {
    let document = try JSONParser.parse(StructuredFixtures.annualReport)
    var times: [UInt64] = []
    for _ in 0..<200 {
      let start = ContinuousClock.now
      _ = try StructuredSchema.compile(document)
      let elapsed = ContinuousClock.now - start
      times.append(UInt64(elapsed.components.attoseconds / 1_000_000_000) + UInt64(elapsed.components.seconds) * 1_000_000_000)
    }
    let median = times.sorted()[times.count / 2]
    #expect(median < 1_000_000, "median compile \(median) ns")
  }

  @Test func validatorReportsEveryViolationWithItsPath() throws {
    let schema = try StructuredFixtures.schema(StructuredFixtures.annualReport)
    let good = try JSONParser.parse(#"""
      {"risks": [{"severity": 2, "risk": "rates", "page": null}], "company": "Acme", "year": 2024.0,
       "sentiment": "neutral", "note": null}
      """#)
    #expect(schema.validate(good).isEmpty, "\(schema.validate(good))")
    let bad = try JSONParser.parse(#"""
      {"company": "Acme", "year": 2024.5, "sentiment": "upbeat", "extra": 1,
       "risks": [{"risk": "x", "page": "7"}, {"risk": "y", "severity": 1}, {"risk": "z", "severity": 1}, {"risk": "w", "severity": 1}]}
      """#)
    let found = Set(schema.validate(bad).map(\.description))
    let expected: Set<String> = [
      "$: unexpected property \"extra\" (additionalProperties is false)",
      "$.year: expected an integer, found a number",
      "$.sentiment: \"upbeat\" is not one of \"positive\", \"neutral\", \"negative\"",
      "$.risks: 4 items, more than maxItems 3",
      "$.risks[0]: missing required property \"severity\"",
      "$.risks[0].page: matches none of the 2 alternatives",
      "$.risks[0].page: expected an integer, found a string",
    ]
    #expect(found == expected)
    #expect(schema.validate(text: Array("{\"company\": ".utf8)).count == 1)
  }
}
