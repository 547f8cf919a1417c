import NightdeskSupport
import Testing

/// The JSON every CLI contract prints, and the parser's errors, which point at the place.
@Suite struct JSONTests {
  @Test func writesNumbersAsTheContractsExpect() {
    #expect(JSONWriter.string(.int(-42)) == "-42")
    #expect(JSONWriter.string(.double(2)) == "2.0")
    #expect(JSONWriter.string(.double(0.1)) == "0.1")
    // A float32 widened to double prints Python's digits for it.
    #expect(JSONWriter.string(.double(Double(Float(0.1)))) == "0.10000000149011612")
    #expect(JSONWriter.string(.double(1e300)) == "1e+300")
    #expect(JSONWriter.string(.double(.nan)) == "null" && JSONWriter.string(.double(.infinity)) == "null")
  }

  @Test func escapesWhatJSONRequiresAndNothingElse() {
    #expect(JSONWriter.string(.string("a\"b\\c\nd\te\r\u{01}\u{1F}é€😀")) == "\"a\\\"b\\\\c\\nd\\te\\r\\u0001\\u001fé€😀\"")
    let object: JSONValue = .object(JSONObject(["b": 1, "a": [nil, true]]))
    #expect(JSONWriter.string(object) == "{\"b\": 1, \"a\": [null, true]}", "keys keep their order")
  }

  @Test func whatIsWrittenParsesBackToTheSameValue() throws {
    let value: JSONValue = .object(JSONObject(["text": .string("line\nnext \"quoted\" \u{7}"), "n": .double(0.25),
                                               "list": [1, "é"]]))
    #expect(try JSONParser.parse(JSONWriter.string(value)) == value)
  }

  @Test(arguments: [("{\"a\": 1,\n  \"b\": }", 2, 8), ("[1, 2", 1, 6), ("{\"a\" 1}", 1, 6), ("\"\\x\"", 1, 2)])
  func parseErrorsNameTheLineAndColumn(text: String, line: Int, column: Int) {
    #expect { try JSONParser.parse(text) } throws: { error in
      guard let error = error as? JSONParseError else { return false }
      return error.line == line && abs(error.column - column) <= 1 && error.description.contains("line \(line)")
    }
  }

  @Test func nestingPastTheLimitIsAnErrorNotACrash() {
    let depth = JSONParser.maximumDepth + 10
    let deep = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
    #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
  }
}
