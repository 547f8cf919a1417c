import Foundation
import NightdeskIngest
import Testing

/// Social dumps: JSON arrays (streamed), wrapper objects, JSON Lines, nested replies.
@Suite struct SocialReaderTests {
  @Test func threadsAreFlattenedDepthFirstWithPostIDs() throws {
    let result = SocialReader.readJSON(IngestFixtures.sample("social-novapay-2026-11-27.json"))
    #expect(result.errors.isEmpty, "\(result.errors)")
    #expect(result.documents.count == 3)
    let thread = result.documents[0]
    #expect(thread.kind == .socialThread)
    #expect(thread.metadata["author"] == "quietledger")
    #expect(thread.paragraphs.map(\.location.post) == ["p1", "p1-1", "p1-1-1", "p1-2"])
    #expect(thread.paragraphs.allSatisfy { $0.location.item == 1 })
    #expect(thread.paragraphs[2].text == "@novapay_help: Sorry about this. A fix is rolling out now; no funds are affected.")
    #expect(result.documents[2].paragraphs.first?.text.hasPrefix("@hgm_investor: Harrowgate Mills down 3%") == true)
  }

  @Test func jsonLinesOfPosts() throws {
    let result = SocialReader.readJSONL(IngestFixtures.sample("social-novapay-2026-11-27.jsonl"))
    #expect(result.errors.isEmpty)
    #expect(result.documents.map { $0.paragraphs.count } == [2, 1])
    #expect(DocumentReader().read(IngestFixtures.sample("social-novapay-2026-11-27.jsonl")).documents.count == 2)
  }

  @Test func aTruncatedArrayKeepsTheCompletePosts() throws {
    let text = #"[{"id": 1, "text": "one"}, {"id": 2, "text": "two"}, {"id": 3, "te"#
    let path = try IngestFixtures.write(text, named: "cut.json")
    let result = SocialReader.readJSON(path)
    #expect(result.documents.count == 2)
    #expect(result.errors.map(\.description) == [
      "\(path): byte \(text.utf8.count): invalid JSON: element 3 starting at byte 53 is not complete: the file ends at byte \(text.utf8.count) (truncated?)",
    ])
  }

  @Test func aBadPostIsReportedByItemAndByteAndTheOthersAreKept() throws {
    let text = #"[{"text": "ok"}, {"text": tru}, 42, {"text": "also ok", "replies": [{"text": 5}]}]"#
    let path = try IngestFixtures.write(text, named: "bad.json")
    let result = SocialReader.readJSON(path)
    #expect(result.documents.map { $0.paragraphs.map(\.text) } == [["ok"], ["also ok"]])
    let errors = result.errors.map(\.description)
    #expect(errors.count == 3, "\(errors)")
    #expect(errors[0].hasPrefix("\(path): item 2 (byte 17): invalid JSON at byte"))
    #expect(errors[1] == "\(path): item 3 (byte 32): expected a post object, found an integer")
  }

  @Test func deepRepliesAreCutAtTheLimit() throws {
    var post = #"{"id": "leaf", "text": "deepest"}"#
    for depth in (0..<10).reversed() { post = #"{"id": "d\#(depth)", "text": "level \#(depth)", "replies": [\#(post)]}"# }
    let path = try IngestFixtures.write("[\(post)]", named: "deep.json")
    let result = SocialReader.readJSON(path, limits: InputLimits(maxDepth: 4))
    #expect(result.documents.first?.paragraphs.count == 5)
    #expect(result.errors.first?.reason == "post d4: replies nest deeper than 4 levels; the deeper ones are left out")
  }

  @Test func wrapperObjectsAndEmptyOrNonJSONFiles() throws {
    let wrapped = try IngestFixtures.write(#"{"posts": [{"text": "a"}, {"text": "b"}]}"#, named: "wrapped.json")
    #expect(SocialReader.readJSON(wrapped).documents.count == 2)
    let empty = try IngestFixtures.write("  ", named: "empty.json")
    #expect(SocialReader.readJSON(empty).errors.map(\.reason) == ["not a JSON array or object: the file is empty"])
    let emptyArray = try IngestFixtures.write("[]", named: "none.json")
    #expect(SocialReader.readJSON(emptyArray).errors.map(\.reason) == ["no posts: the array is empty"])
    let invalidObject = try IngestFixtures.write(#"{"posts": [}"#, named: "bad-object.json")
    #expect(SocialReader.readJSON(invalidObject).errors.first?.description.hasPrefix("\(invalidObject): byte 12: invalid JSON at line 1, column 12:") == true)
  }

  @Test func aLargeArrayIsStreamed() throws {
    let posts = (1...5_000).map { #"{"id": "\#($0)", "author": "user\#($0 % 97)", "text": "post number \#($0) about NovaPay", "replies": [{"text": "reply to \#($0)"}]}"# }
    let path = try IngestFixtures.write("[\n" + posts.joined(separator: ",\n") + "\n]\n", named: "large.json")
    let clock = ContinuousClock()
    var result = ReadResult()
    let elapsed = clock.measure { result = SocialReader.readJSON(path) }
    #expect(result.errors.isEmpty)
    #expect(result.documents.count == 5_000)
    #expect(result.documents.last?.paragraphs.map(\.location.post) == ["5000", "5000.1"])
    #expect(elapsed < .seconds(30))
  }
}
