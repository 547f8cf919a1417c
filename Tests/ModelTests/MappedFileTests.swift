import Foundation
import Testing
@testable import NightdeskModel
import NightdeskTestSupport

@Suite struct MappedFileTests {
  func writeTemp(_ bytes: [UInt8]) throws -> URL {
    let dir = try TestPaths.temporaryDirectory("mapped")
    let url = dir.appendingPathComponent("f.bin")
    try Data(bytes).write(to: url)
    return url
  }

  @Test func readsLittleEndianValuesAndStrings() throws {
    let url = try writeTemp([0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x80, 0x3F, 0x68, 0x69])
    let file = try MappedFile(url: url)
    #expect(file.count == 10)
    var r = file.reader()
    #expect(try r.u32() == 0x0403_0201)
    #expect(try r.f32() == 1.0)
    #expect(try r.string(byteCount: 2, maxLength: 10) == "hi")
    #expect(r.isAtEnd)
    #expect(throws: ModelFileError.self) { try r.u8() }
  }

  @Test func rejectsReadsPastTheEnd() throws {
    let url = try writeTemp([1, 2, 3])
    let file = try MappedFile(url: url)
    var r = file.reader()
    do {
      _ = try r.u64("the tensor count")
      Issue.record("read past the end")
    } catch let error as ModelFileError {
      #expect(error.kind == .truncated)
      #expect(error.description.contains("the tensor count"))
      #expect(error.description.contains(url.path))
    }
    #expect(r.offset == 0)
    #expect(throws: ModelFileError.self) { try r.string(byteCount: 4, maxLength: 100) }
    #expect(throws: ModelFileError.self) { try r.string(byteCount: 2, maxLength: 1) }
    #expect(throws: ModelFileError.self) { try r.skip(-1) }
  }

  @Test func slicesAreBoundsCheckedWithoutOverflow() throws {
    let url = try writeTemp(Array(0..<16))
    let file = try MappedFile(url: url)
    #expect(try file.slice(offset: 4, count: 12).count == 12)
    #expect(try file.slice(offset: 16, count: 0).count == 0)
    #expect(throws: ModelFileError.self) { try file.slice(offset: 4, count: 13) }
    #expect(throws: ModelFileError.self) { try file.slice(offset: -1, count: 1) }
    #expect(throws: ModelFileError.self) { try file.slice(offset: Int.max, count: Int.max) }
    #expect(throws: ModelFileError.self) { try file.slice(offset: 1, count: Int.max) }
  }

  @Test func emptyAndMissingFiles() throws {
    let url = try writeTemp([])
    let file = try MappedFile(url: url)
    #expect(file.count == 0)
    var r = file.reader()
    #expect(throws: ModelFileError.self) { try r.u8() }
    let missing = url.deletingLastPathComponent().appendingPathComponent("missing.gguf")
    #expect(throws: ModelFileError.self) { try MappedFile(url: missing) }
  }

  @Test func invalidUTF8IsAnError() throws {
    let url = try writeTemp([0xFF, 0xFE])
    let file = try MappedFile(url: url)
    var r = file.reader()
    #expect(throws: ModelFileError.self) { try r.string(byteCount: 2, maxLength: 10) }
  }
}
