import NightdeskSupport
import Foundation
import Testing
@testable import NightdeskModel
import NightdeskTestSupport

/// Hand-built safetensors files with precise damage (the fixture-copy cases —
/// truncation, absurd header length, unknown dtype, config mismatch — live in
/// SafetensorsLoadingTests). Each must give a ModelFileError naming the file
/// and the tensor, never a crash; run under `--sanitize=address` too.
@Suite struct CorruptSafetensorsTests {
  /// An 8-byte header length, the JSON header, then `data`.
  static func file(header: String, data: [UInt8]) -> [UInt8] {
    let json = Array(header.utf8)
    var out: [UInt8] = []
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { out += $0 }
    return out + json + data
  }

  static let goodHeader = #"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
    + #""b":{"dtype":"BF16","shape":[2,2],"data_offsets":[8,16]}}"#
  static let good = file(header: goodHeader, data: (0..<16).map { UInt8($0) })

  static func load(_ url: URL) throws {
    let file = try SafetensorsFile(url: url)
    for name in file.tensorNames {
      let view = try file.tensor(named: name)
      _ = view.dequantizedRow(view.rows - 1)
    }
  }

  @discardableResult
  static func expectError(_ bytes: [UInt8], _ kind: ModelFileError.Kind, tensor: String? = nil, mentioning: String? = nil,
                          sourceLocation: SourceLocation = #_sourceLocation) throws -> ModelFileError? {
    try CorruptModelFileTests.expectError(bytes, kind, tensor: tensor, mentioning: mentioning, load: load,
                                          sourceLocation: sourceLocation)
  }

  @Test func theUndamagedFileLoads() throws {
    let dir = try TestPaths.temporaryDirectory("st-good")
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("model.safetensors")
    try Data(Self.good).write(to: url)
    let file = try SafetensorsFile(url: url)
    #expect(file.tensorNames == ["a", "b"])
    #expect(try file.tensor(named: "b").shape == [2, 2])
  }

  @Test func headerProblems() throws {
    try Self.expectError([1, 0, 0], .truncated, mentioning: "8-byte header length")
    try Self.expectError(Self.file(header: #"{"a": {"dtype": "#, data: []), .malformed, mentioning: "JSON header is invalid")
    try Self.expectError(Self.file(header: "[1, 2]", data: []), .malformed, mentioning: "JSON object")
    var longer = Self.good
    longer.patch(UInt64(Self.good.count), at: 0)  // a header length past the end of the file
    try Self.expectError(longer, .outOfBounds, mentioning: "the file has \(Self.good.count) bytes")
  }

  @Test func entryProblemsNameTheTensor() throws {
    func entry(_ json: String, data: Int = 16) -> [UInt8] {
      Self.file(header: "{\"t\":\(json)}", data: [UInt8](repeating: 0, count: data))
    }
    try Self.expectError(entry(#"{"dtype":"F64","shape":[2],"data_offsets":[0,16]}"#), .unsupportedTensorType,
                         tensor: "t", mentioning: "F64")
    try Self.expectError(entry(#"{"dtype":"F32","shape":[3],"data_offsets":[0,8]}"#), .malformed,
                         tensor: "t", mentioning: "needs 12")
    try Self.expectError(entry(#"{"dtype":"F32","shape":[4],"data_offsets":[0,16]}"#, data: 12), .outOfBounds,
                         tensor: "t", mentioning: "end of the file")
    // Offsets near Int.max: the sum with the header size must not overflow.
    try Self.expectError(entry(#"{"dtype":"F32","shape":[1],"data_offsets":[9223372036854775800,9223372036854775804]}"#),
                         .outOfBounds, tensor: "t")
    try Self.expectError(entry(#"{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}"#), .malformed, tensor: "t")
    try Self.expectError(entry(#"{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}"#), .malformed, tensor: "t")
    try Self.expectError(entry(#"{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,4]}"#),
                         .malformed, tensor: "t")
    try Self.expectError(entry(#"{"dtype":"F32","data_offsets":[0,4]}"#), .malformed, tensor: "t", mentioning: "shape")
    try Self.expectError(entry(#"{"dtype":"F32","shape":[1],"data_offsets":[0]}"#), .malformed, tensor: "t")
  }

  @Test func missingTensorRequested() throws {
    let dir = try TestPaths.temporaryDirectory("st-missing")
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("model.safetensors")
    try Data(Self.good).write(to: url)
    let file = try SafetensorsFile(url: url)
    #expect(throws: ModelFileError(.missingTensor, file: url.path, tensor: "c",
                                   "the file has no tensor of this name (it has 2 tensors)")) {
      try file.tensor(named: "c")
    }
  }

  /// Every truncation and random damage: a ModelFileError or a clean load, nothing else.
  @Test func truncationsAndRandomDamage() throws {
    let dir = try TestPaths.temporaryDirectory("st-damage")
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("model.safetensors")
    var failures: [String] = []
    func attempt(_ bytes: [UInt8], _ label: String, mustFail: Bool) throws {
      try Data(bytes).write(to: url)
      do {
        try Self.load(url)
        if mustFail { failures.append("\(label) loaded") }
      } catch is ModelFileError {
      } catch {
        failures.append("\(label): \(error)")
      }
    }
    for length in 0..<Self.good.count {
      try attempt(Array(Self.good.prefix(length)), "length \(length)", mustFail: true)
    }
    var generator = SplitMix64(seed: 77)
    for i in 0..<300 {
      var copy = Self.good
      let at = Int(generator.next() % UInt64(copy.count - 16))  // damage the length and the header
      copy[at] = UInt8(truncatingIfNeeded: generator.next())
      try attempt(copy, "damage \(i) at \(at)", mustFail: false)
    }
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }
}
