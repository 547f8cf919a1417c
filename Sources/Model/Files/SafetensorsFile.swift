import Foundation
import NightdeskSupport

/// One `.safetensors` file, memory-mapped: an 8-byte little-endian header
/// length, a JSON header `{name: {dtype, shape, data_offsets: [begin, end]}}`,
/// then the tensor bytes (offsets relative to the end of the header). Every
/// entry is validated against the file when it is opened, so a truncated or
/// edited file is rejected with the tensor's name before any kernel reads it.
public final class SafetensorsFile: Sendable {
  public struct Entry: Sendable, Equatable {
    public var name: String
    public var type: TensorType
    public var shape: [Int]
    /// Absolute byte range in the file.
    public var fileOffset: Int
    public var byteCount: Int
  }

  /// Headers larger than this are not model files (real ones are a few hundred KiB).
  static let maximumHeaderBytes = 100 << 20

  public let mapped: MappedFile
  public let entries: [String: Entry]
  /// Tensor names in header order.
  public let tensorNames: [String]

  public var path: String { mapped.path }

  public convenience init(url: URL) throws {
    try self.init(file: MappedFile(url: url))
  }

  public init(file: MappedFile) throws {
    mapped = file
    let path = file.path
    var reader = file.reader()
    guard file.count >= 8 else {
      throw ModelFileError(.truncated, file: path, "a safetensors file starts with an 8-byte header length; the file has \(file.count) bytes")
    }
    let headerLength = try reader.u64("the header length")
    guard headerLength >= 2, headerLength <= UInt64(Self.maximumHeaderBytes) else {
      throw ModelFileError(.badMagic, file: path,
                           "header length \(headerLength) is not plausible: this is not a safetensors file, or it is corrupt")
    }
    let headerBytes = try file.slice(offset: 8, count: Int(headerLength), tensor: nil)
    let dataStart = 8 + Int(headerLength)
    let json: JSONValue
    do {
      json = try JSONParser.parse(headerBytes)
    } catch {
      throw ModelFileError(.malformed, file: path, "the JSON header is invalid: \(error)")
    }
    guard let object = json.objectValue else {
      throw ModelFileError(.malformed, file: path, "the header must be a JSON object, found \(json.kindName)")
    }
    var entries: [String: Entry] = [:]
    var names: [String] = []
    for (name, value) in object.pairs where name != "__metadata__" {
      let entry = try Self.entry(name: name, value: value, path: path, dataStart: dataStart, fileSize: file.count)
      entries[name] = entry
      names.append(name)
    }
    self.entries = entries
    tensorNames = names
  }

  private static func entry(name: String, value: JSONValue, path: String, dataStart: Int, fileSize: Int) throws -> Entry {
    func fail(_ kind: ModelFileError.Kind, _ detail: String) -> ModelFileError {
      ModelFileError(kind, file: path, tensor: name, detail)
    }
    guard let dtype = value["dtype"]?.stringValue else { throw fail(.malformed, "missing or non-string 'dtype'") }
    guard let type = TensorType(safetensorsDType: dtype) else {
      throw fail(.unsupportedTensorType, "dtype \(dtype) is not supported (BF16, F16 and F32 are)")
    }
    guard let shapeValues = value["shape"]?.arrayValue else { throw fail(.malformed, "missing or non-array 'shape'") }
    var shape: [Int] = []
    var elements = 1
    for dim in shapeValues {
      guard let d = dim.intValue, d >= 0, d <= 1 << 40 else { throw fail(.malformed, "shape \(shapeValues) has an invalid dimension") }
      shape.append(d)
      let (product, overflow) = elements.multipliedReportingOverflow(by: d)
      guard !overflow, product <= 1 << 40 else { throw fail(.malformed, "shape \(shape) is absurdly large") }
      elements = product
    }
    guard let offsets = value["data_offsets"]?.arrayValue, offsets.count == 2,
          let begin = offsets[0].intValue, let end = offsets[1].intValue, begin >= 0, end >= begin else {
      throw fail(.malformed, "'data_offsets' must be two increasing non-negative integers")
    }
    let expected = elements * (type.byteCount(elements: 1) ?? 0)
    guard end - begin == expected else {
      throw fail(.malformed, "data_offsets [\(begin), \(end)) hold \(end - begin) bytes, but \(dtype) \(shape) needs \(expected)")
    }
    // Offsets come from the file: add them without trapping on overflow.
    let (start, overflow) = dataStart.addingReportingOverflow(begin)
    guard !overflow, MappedFile.checkedRange(offset: start, count: end - begin, limit: fileSize) != nil else {
      throw fail(.outOfBounds, "bytes [\(begin), \(end)) of the data section pass the end of the file (\(fileSize) bytes): truncated download?")
    }
    return Entry(name: name, type: type, shape: shape, fileOffset: start, byteCount: end - begin)
  }

  public func hasTensor(_ name: String) -> Bool { entries[name] != nil }

  /// A zero-copy view of the tensor (valid while this file lives).
  public func tensor(named name: String) throws -> TensorView {
    guard let entry = entries[name] else {
      throw ModelFileError(.missingTensor, file: path, tensor: name, "the file has no tensor of this name (it has \(entries.count) tensors)")
    }
    let data = try mapped.slice(offset: entry.fileOffset, count: entry.byteCount, tensor: name)
    return TensorView(name: name, type: entry.type, shape: entry.shape, data: data)
  }
}
