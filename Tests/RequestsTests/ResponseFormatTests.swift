import NightdeskRequests
import NightdeskSupport
import Testing

@Suite struct ResponseFormatTests {
  static let schema = #"{"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]}"#

  @Test func aJSONSchemaAndThinkingSurviveTheStoredForm() throws {
    let body = try JSONParser.parse(
      #"{"messages": [{"role": "user", "content": "q"}], "response_format": {"type": "json_schema", "json_schema": "#
        + #"{"name": "answer", "schema": \#(Self.schema), "strict": true}}, "chat_template_kwargs": {"enable_thinking": false}}"#)
    let request = try ChatRequest(json: body, at: "request")
    #expect(request.responseFormat == .jsonSchema(name: "answer", schema: try JSONParser.parse(Self.schema)))
    #expect(request.enableThinking == false)
    #expect(try ChatRequest(json: request.json, at: "stored") == request)
  }

  @Test func textIsNoFormatAndPlainRequestsStoreAsBefore() throws {
    let body = try JSONParser.parse(#"{"messages": [{"role": "user", "content": "q"}], "response_format": {"type": "text"}}"#)
    let request = try ChatRequest(json: body, at: "request")
    #expect(request.responseFormat == nil && request.enableThinking == nil)
    #expect(request.json["response_format"] == nil && request.json["chat_template_kwargs"] == nil)
  }

  @Test(arguments: [
    (#"{"type": "json_object"}"#, "request.response_format.type 'json_object' is not supported; give a json_schema"),
    (#"{"type": "json_schema"}"#, "request.response_format.json_schema is missing or not an object"),
    (#"{"type": "json_schema", "json_schema": {"schema": 3}}"#, "request.response_format.json_schema.schema is missing or not an object"),
    (#"{"type": "json_schema", "json_schema": {"schema": {}, "strict": false}}"#,
     "request.response_format.json_schema.strict must be true: answers are always held to the schema"),
    (#"{"type": "xml"}"#, "request.response_format.type is 'xml'; expected text or json_schema"),
  ])
  func badFormatsAreRefusedNamingTheField(format: String, message: String) throws {
    let body = try JSONParser.parse(#"{"messages": [{"role": "user", "content": "q"}], "response_format": \#(format)}"#)
    #expect(throws: RequestError.self) { try ChatRequest(json: body, at: "request") }
    do { _ = try ChatRequest(json: body, at: "request") } catch { #expect(error.description == message) }
  }

  @Test func unknownTemplateArgumentsAreRefused() throws {
    let body = try JSONParser.parse(#"{"messages": [{"role": "user", "content": "q"}], "chat_template_kwargs": {"tools": []}}"#)
    do {
      _ = try ChatRequest(json: body, at: "request")
      Issue.record("accepted an unknown template argument")
    } catch {
      #expect(error.description == "request.chat_template_kwargs.tools is not supported (supported: enable_thinking)")
    }
  }
}
