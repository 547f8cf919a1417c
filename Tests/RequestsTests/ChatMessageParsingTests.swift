import NightdeskRequests
import NightdeskSupport
import Testing

@Suite struct ChatMessageParsingTests {
  @Test func readsStringsNullsAndTextParts() throws {
    let json = try JSONParser.parse(
      #"[{"role": "system", "content": null}, {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},"#
        + #" {"role": "assistant", "content": "x", "reasoning_content": "r"}]"#)
    #expect(
      try ChatMessage.list(fromJSON: json) == [
        ChatMessage(role: "system", content: ""), ChatMessage(role: "user", content: "ab"),
        ChatMessage(role: "assistant", content: "x", reasoningContent: "r"),
      ])
  }

  @Test func rejectsWhatItCannotRender() throws {
    let image = try JSONParser.parse(#"[{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]"#)
    #expect(throws: RequestError.self) { try ChatMessage.list(fromJSON: image) }
    #expect(throws: RequestError.self) { try ChatMessage.list(fromJSON: JSONParser.parse(#"[{"content": "x"}]"#)) }
    #expect(throws: RequestError.self) { try ChatMessage.list(fromJSON: JSONParser.parse(#"{"role": "user"}"#)) }
  }
}
