import Foundation
import Testing
@testable import NightdeskModel
import NightdeskTokenizer
import NightdeskTestSupport

/// Corrupted copies of model files: each must give a clear `ModelFileError`
/// naming the file and, where it applies, the tensor or key — never a crash or
/// an out-of-bounds read (run under `--sanitize=address` too).
@Suite struct CorruptModelFileTests {
  /// Everything a model load does with a GGUF, down to reading the last row of every tensor.
  static func loadEverything(_ url: URL) throws {
    let gguf = try GGUFFile(url: url)
    let config = try ModelConfig(gguf: gguf)
    _ = try ModelWeights(source: gguf, config: config, naming: .gguf)
    _ = try TokenizerSpec(gguf: gguf)
    for name in gguf.tensorNames {
      let tensor = try gguf.tensor(named: name)
      var row = [Float](repeating: 0, count: tensor.columns)
      row.withUnsafeMutableBufferPointer { tensor.dequantizeRow(tensor.rows - 1, into: $0) }
    }
  }

  /// Writes `bytes` to a temporary file, loads it, and checks the error.
  @discardableResult
  static func expectError(_ bytes: [UInt8], _ kind: ModelFileError.Kind, tensor: String? = nil, key: String? = nil,
                          mentioning: String? = nil, load: (URL) throws -> Void = loadEverything,
                          sourceLocation: SourceLocation = #_sourceLocation) throws -> ModelFileError? {
    let dir = try TestPaths.temporaryDirectory("corrupt")
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("model.gguf")
    try Data(bytes).write(to: url)
    do {
      try load(url)
      Issue.record("expected a \(kind) error, but the file loaded", sourceLocation: sourceLocation)
      return nil
    } catch let error as ModelFileError {
      #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
      #expect(error.file == url.path && error.description.hasPrefix(url.path), sourceLocation: sourceLocation)
      if let tensor { #expect(error.tensor == tensor, "\(error)", sourceLocation: sourceLocation) }
      if let key { #expect(error.key == key, "\(error)", sourceLocation: sourceLocation) }
      if let mentioning { #expect(error.description.contains(mentioning), "\(error)", sourceLocation: sourceLocation) }
      return error
    }
  }

  /// The fixture's bytes; a missing or unreadable fixture fails the test that reads it
  /// (by name), instead of trapping on an empty array and taking the whole run down.
  static func qwen3TinyBytes() throws -> [UInt8] {
    let bytes = [UInt8](try Data(contentsOf: GGUFFileTests.qwen3TinyURL))
    try #require(bytes.count > 4096, "the qwen3-tiny fixture is too short: \(bytes.count) bytes")
    return bytes
  }

  static func firstIndex(of needle: String, in haystack: [UInt8]) -> Int? {
    let n = Array(needle.utf8)
    guard n.count <= haystack.count else { return nil }
    return (0...(haystack.count - n.count)).first { i in haystack[i] == n[0] && Array(haystack[i..<(i + n.count)]) == n }
  }

  // MARK: the real qwen3-tiny Q8_0 GGUF, corrupted

  @Test func truncatedAtEveryStage() throws {
    let bytes = try Self.qwen3TinyBytes()
    let gguf = try GGUFFile(url: GGUFFileTests.qwen3TinyURL)
    try Self.expectError(Array(bytes.prefix(3)), .truncated, mentioning: "too few for a GGUF header")
    try Self.expectError(Array(bytes.prefix(6)), .truncated, mentioning: "the GGUF version")
    try Self.expectError(Array(bytes.prefix(12)), .truncated, mentioning: "the tensor count")
    try Self.expectError(Array(bytes.prefix(20)), .malformed, mentioning: "tensor count 35 is impossible")
    let inMetadata = try Self.expectError(Array(bytes.prefix(gguf.tensorTableOffset / 2)), .malformed)
    #expect(inMetadata?.key != nil)  // the array whose length no longer fits is named
    // Inside the first tensor's dimensions.
    let nameLength = Int(bytes[gguf.tensorTableOffset])
    let firstTensor = gguf.tensorInfos[0].name
    try Self.expectError(Array(bytes.prefix(gguf.tensorTableOffset + 8 + nameLength + 6)), .truncated, tensor: firstTensor)
    // Inside the data section: the tensor stored last no longer fits.
    let last = try #require(gguf.tensorInfos.max { $0.fileOffset < $1.fileOffset })
    try Self.expectError(Array(bytes.prefix(bytes.count - 100)), .outOfBounds, tensor: last.name, mentioning: "truncated")
  }

  @Test func wrongMagicAndVersions() throws {
    let original = try Self.qwen3TinyBytes()
    var bytes = original
    bytes[0] = UInt8(ascii: "X")
    try Self.expectError(bytes, .badMagic, mentioning: "58 47 55 46")
    for (version, message) in [(UInt32(1), "version 1"), (4, "version 4"), (UInt32(3).byteSwapped, "big-endian")] {
      var copy = original
      copy.patch(version, at: 4)
      try Self.expectError(copy, .unsupportedVersion, mentioning: message)
    }
  }

  @Test func unknownTensorTypeAndOffsetsPastTheEnd() throws {
    let gguf = try GGUFFile(url: GGUFFileTests.qwen3TinyURL)
    let first = gguf.tensorInfos[0]
    // name length, name, n_dims, dims, then the type and the offset.
    let typeField = gguf.tensorTableOffset + 8 + first.name.utf8.count + 4 + 8 * first.shape.count
    let original = try Self.qwen3TinyBytes()
    var bytes = original
    bytes.patch(UInt32(16), at: typeField)
    try Self.expectError(bytes, .unsupportedTensorType, tensor: first.name, mentioning: "IQ2_XXS")
    bytes = original
    bytes.patch(UInt32(99), at: typeField)
    try Self.expectError(bytes, .unsupportedTensorType, tensor: first.name, mentioning: "ggml type 99")
    bytes = original
    bytes.patch(UInt64(bytes.count / 32 * 32), at: typeField + 4)
    try Self.expectError(bytes, .outOfBounds, tensor: first.name)
    bytes.patch(UInt64.max - 31, at: typeField + 4)
    try Self.expectError(bytes, .outOfBounds, tensor: first.name)
    bytes.patch(UInt64(7), at: typeField + 4)
    try Self.expectError(bytes, .malformed, tensor: first.name, mentioning: "alignment")
    // A dimension so large that the tensor cannot fit.
    bytes = original
    bytes.patch(UInt64(1) << 40, at: typeField - 8)
    try Self.expectError(bytes, .outOfBounds, tensor: first.name)
  }

  @Test func shapesThatDisagreeWithTheMetadata() throws {
    var bytes = try Self.qwen3TinyBytes()
    for key in ["qwen3.attention.key_length", "qwen3.attention.value_length"] {
      let at = try #require(Self.firstIndex(of: key, in: bytes)) + key.utf8.count
      #expect(bytes[at] == 4)  // uint32
      bytes.patch(UInt32(16), at: at + 4)
    }
    try Self.expectError(bytes, .shapeMismatch, tensor: "blk.0.attn_q.weight", mentioning: "expected shape [64, 64]")
  }

  @Test func missingTensorRequested() throws {
    let gguf = try GGUFFile(url: GGUFFileTests.qwen3TinyURL)
    #expect(throws: ModelFileError(.missingTensor, file: gguf.path, tensor: "output.weight",
                                   "the file has no tensor of this name (it has 35 tensors)")) {
      try gguf.tensor(named: "output.weight")
    }
  }
}
