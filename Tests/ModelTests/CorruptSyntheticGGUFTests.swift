import NightdeskSupport
import Foundation
import Testing
@testable import NightdeskModel
import NightdeskTestSupport

/// Corruptions that need a hand-built GGUF: precise lengths and counts, and
/// every truncation point / random byte damage of a whole (tiny) model.
extension CorruptModelFileTests {
  static let tiny = GGUFBuilder.tinyModel(architecture: "llama")

  @Test func tinySyntheticModelLoads() throws {
    let (bytes, _) = Self.tiny.build()
    let dir = try TestPaths.temporaryDirectory("tiny-gguf")
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("tiny.gguf")
    try Data(bytes).write(to: url)
    try Self.loadEverything(url)
  }

  @Test func stringLengthsPastTheEnd() throws {
    var (bytes, layout) = Self.tiny.build()
    let valueOffset = try #require(layout.valueOffsets["general.architecture"])
    bytes.patch(UInt64(1) << 40, at: valueOffset + 4)
    try Self.expectError(bytes, .malformed, key: "general.architecture", mentioning: "at most")
    bytes.patch(UInt64(bytes.count), at: valueOffset + 4)
    try Self.expectError(bytes, .truncated, key: "general.architecture")
    // A key's own length.
    (bytes, layout) = Self.tiny.build()
    bytes.patch(UInt64(1) << 50, at: 24)
    try Self.expectError(bytes, .malformed, mentioning: "the key of metadata entry 0")
  }

  @Test func absurdCountsAndTypes() throws {
    func variant(_ value: GGUFBuilder.Value, key: String = "test.value") -> [UInt8] {
      var b = Self.tiny
      b.metadata.append((key, value))
      return b.build().bytes
    }
    try Self.expectError(variant(.rawArray(elementType: 4, count: 1 << 62, bytes: [])), .malformed,
                         key: "test.value", mentioning: "array length")
    try Self.expectError(variant(.rawArray(elementType: 8, count: 1 << 40, bytes: [])), .malformed,
                         key: "test.value", mentioning: "array length")
    try Self.expectError(variant(.rawArray(elementType: 13, count: 1, bytes: [])), .malformed,
                         key: "test.value", mentioning: "value type 13")
    // Arrays of arrays nested deeper than any real file: element type 9, count 1, again and again.
    var nested: [UInt8] = []
    for _ in 0..<20 { nested += [9, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0] }
    try Self.expectError(variant(.rawArray(elementType: 9, count: 1, bytes: nested)), .malformed,
                         key: "test.value", mentioning: "nested")
    try Self.expectError(variant(.u32(64), key: "general.architecture"), .malformed,
                         key: "general.architecture", mentioning: "appears twice")
    try Self.expectError(variant(.u32(33), key: "general.alignment"), .malformed, key: "general.alignment")
    try Self.expectError(variant(.string("x"), key: "llama.rope.freq_base"), .malformed,
                         key: "llama.rope.freq_base")
    // Header counts.
    var bytes = Self.tiny.build().bytes
    bytes.patch(UInt64(1) << 50, at: 8)
    try Self.expectError(bytes, .malformed, mentioning: "tensor count")
    bytes = Self.tiny.build().bytes
    bytes.patch(UInt64.max, at: 16)
    try Self.expectError(bytes, .malformed, mentioning: "metadata count")
  }

  @Test func badTensorGeometry() throws {
    func variant(_ tensor: GGUFBuilder.Tensor) -> [UInt8] {
      var b = Self.tiny
      b.tensors.append(tensor)
      return b.build().bytes
    }
    try Self.expectError(variant(.init(name: "five.d", ne: [1, 1, 1, 1, 1], ggmlType: 0, data: [0, 0, 0, 0])),
                         .malformed, tensor: "five.d", mentioning: "5 dimensions")
    try Self.expectError(variant(.init(name: "odd.q8", ne: [33], ggmlType: 8, data: [UInt8](repeating: 0, count: 68))),
                         .malformed, tensor: "odd.q8", mentioning: "multiple of the Q8_0 block size")
    try Self.expectError(variant(.init(name: "huge", ne: [1 << 40, 1 << 40], ggmlType: 0, data: [])),
                         .malformed, tensor: "huge", mentioning: "overflows")
    var b = Self.tiny
    b.tensors.append(b.tensors[0])
    try Self.expectError(b.build().bytes, .malformed, tensor: "token_embd.weight", mentioning: "twice")
  }

  @Test func configProblemsNameTheKeyOrTensor() throws {
    try Self.expectError(GGUFBuilder.tinyModel(architecture: "gptneox").build().bytes, .unsupportedArchitecture,
                         key: "general.architecture", mentioning: "gptneox")
    var b = Self.tiny
    b.metadata.removeAll { $0.0 == "llama.block_count" }
    try Self.expectError(b.build().bytes, .missingKey, key: "llama.block_count")
    b = Self.tiny
    b.set("llama.attention.head_count_kv", .u32(0))
    try Self.expectError(b.build().bytes, .malformed, key: "llama.attention.head_count_kv")
    b.set("llama.attention.head_count_kv", .u32(3))
    try Self.expectError(b.build().bytes, .malformed, key: "llama.attention.head_count_kv", mentioning: "not a multiple")
    b = Self.tiny
    b.tensors.removeAll { $0.name == "blk.0.ffn_down.weight" }
    try Self.expectError(b.build().bytes, .missingTensor, tensor: "blk.0.ffn_down.weight")
    b = Self.tiny
    b.set("tokenizer.ggml.eos_token_id", .u32(999))
    try Self.expectError(b.build().bytes, .malformed, key: "tokenizer.ggml.eos_token_id", mentioning: "outside the vocabulary")
    b = Self.tiny
    b.set("llama.rope.scaling.type", .string("linear"))
    try Self.expectError(b.build().bytes, .unsupportedArchitecture, key: "llama.rope.scaling.type")
  }

  /// Truncations are errors: at every byte of the header and tensor table (where the parser
  /// works), at both sides of every tensor's data boundary, and every 61st byte of the data.
  @Test func truncationsAtEveryHeaderByteAndEveryTensorBoundaryAreErrors() throws {
    let (bytes, layout) = Self.tiny.build()
    var boundaries: [Int] = []
    var offset = layout.data
    for tensor in Self.tiny.tensors {
      boundaries += [offset, offset + 1, offset + tensor.data.count - 1]
      offset += (tensor.data.count + 31) / 32 * 32
    }
    let dataEnd = offset - (Self.tiny.tensors.last.map { ($0.data.count + 31) / 32 * 32 - $0.data.count } ?? 0)
    let cuts = Set(Array(0..<layout.data) + boundaries + Array(stride(from: layout.data, to: dataEnd, by: 61)))
      .filter { $0 < dataEnd }.sorted()
    #expect(cuts.count > layout.data, "every header byte is a cut point")
    let dir = try TestPaths.temporaryDirectory("truncations")
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("t.gguf")
    var unexpected: [String] = []
    for length in cuts {
      try Data(bytes.prefix(length)).write(to: url)
      do {
        try Self.loadEverything(url)
        unexpected.append("length \(length) loaded")
      } catch is ModelFileError {
      } catch {
        unexpected.append("length \(length): \(error)")
      }
    }
    #expect(unexpected.isEmpty, "\(unexpected.prefix(5))")
  }

  /// Random damage to the header either loads or gives a ModelFileError — nothing else.
  @Test func randomHeaderDamageNeverCrashes() throws {
    let (bytes, layout) = Self.tiny.build()
    var generator = SplitMix64(seed: 20261129)
    let dir = try TestPaths.temporaryDirectory("damage")
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("d.gguf")
    var loaded = 0, rejected = 0
    for _ in 0..<250 {
      var copy = bytes
      for _ in 0..<Int(generator.next() % 4 + 1) {
        let at = Int(generator.next() % UInt64(layout.data))
        copy[at] = UInt8(truncatingIfNeeded: generator.next())
      }
      try Data(copy).write(to: url)
      do {
        try Self.loadEverything(url)
        loaded += 1
      } catch is ModelFileError {
        rejected += 1
      }
    }
    #expect(rejected > 60)
    print("random header damage: \(rejected) rejected with a ModelFileError, \(loaded) still loadable")
  }
}
