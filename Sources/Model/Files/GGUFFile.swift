import Foundation

/// A GGUF (v2 or v3) model file, memory-mapped: metadata, the tensor table,
/// and zero-copy views of the tensors. Parsing reads only the header; tensor
/// data stays in the page cache until a kernel touches it.
public final class GGUFFile: Sendable {
  public let mapped: MappedFile
  public let version: UInt32
  /// Metadata keys in file order.
  public let metadataKeys: [String]
  public let metadata: [String: GGUFValue]
  /// The tensor table in file order.
  public let tensorInfos: [GGUFTensorInfo]
  public let alignment: Int
  /// File offset where the data section starts.
  public let dataOffset: Int
  /// File offset where the tensor table starts (after the metadata).
  public let tensorTableOffset: Int
  private let tensorIndex: [String: Int]

  public var path: String { mapped.path }
  public var tensorNames: [String] { tensorInfos.map(\.name) }

  public convenience init(url: URL) throws {
    try self.init(file: MappedFile(url: url))
  }

  public init(file: MappedFile) throws {
    var parser = GGUFHeaderParser(file: file)
    let header = try parser.parse()
    mapped = file
    version = header.version
    metadataKeys = header.metadataKeys
    metadata = header.metadata
    tensorInfos = header.tensors
    tensorIndex = header.tensorIndex
    alignment = header.alignment
    dataOffset = header.dataOffset
    tensorTableOffset = header.tensorTableOffset
  }

  func error(_ kind: ModelFileError.Kind, tensor: String? = nil, key: String? = nil, _ detail: String) -> ModelFileError {
    ModelFileError(kind, file: path, tensor: tensor, key: key, detail)
  }

  // MARK: Tensors

  public func hasTensor(_ name: String) -> Bool { tensorIndex[name] != nil }

  public func tensorInfo(named name: String) -> GGUFTensorInfo? {
    tensorIndex[name].map { tensorInfos[$0] }
  }

  /// A view of the tensor's bytes in the mapping (valid while this file lives).
  public func tensor(named name: String) throws -> TensorView {
    guard let info = tensorInfo(named: name) else {
      throw error(.missingTensor, tensor: name, "the file has no tensor of this name (it has \(tensorInfos.count) tensors)")
    }
    let data = try mapped.slice(offset: info.fileOffset, count: info.byteCount, tensor: name)
    return TensorView(name: name, type: info.type, shape: info.shape, data: data)
  }

  // MARK: Metadata (nil when the key is absent; an error when it has the wrong type)

  public func value(_ key: String) -> GGUFValue? { metadata[key] }

  public func string(_ key: String) throws -> String? {
    guard let value = metadata[key] else { return nil }
    guard case .string(let s) = value else { throw wrongType(key, value, expected: "a string") }
    return s
  }

  public func int(_ key: String) throws -> Int? {
    guard let value = metadata[key] else { return nil }
    switch value {
    case .uint(let u) where u <= UInt64(Int.max): return Int(u)
    case .int(let i): return Int(i)
    default: throw wrongType(key, value, expected: "an integer that fits in Int")
    }
  }

  /// Floats, and integers (some converters write whole numbers as ints).
  public func float(_ key: String) throws -> Double? {
    guard let value = metadata[key] else { return nil }
    switch value {
    case .float(let f): return f
    case .uint(let u): return Double(u)
    case .int(let i): return Double(i)
    default: throw wrongType(key, value, expected: "a number")
    }
  }

  public func bool(_ key: String) throws -> Bool? {
    guard let value = metadata[key] else { return nil }
    guard case .bool(let b) = value else { throw wrongType(key, value, expected: "a bool") }
    return b
  }

  public func stringArray(_ key: String) throws -> [String]? {
    guard let array = try array(key, expected: "an array of strings", where: { $0 == .string }) else { return nil }
    var reader = mapped.reader(at: array.offset)
    var result: [String] = []
    result.reserveCapacity(array.count)
    do {
      for i in 0..<array.count {
        let length = try reader.u64("the length of element \(i)")
        result.append(try reader.string(byteCount: length, maxLength: GGUFHeaderParser.maxStringLength, "element \(i)"))
      }
    } catch let e as ModelFileError {
      throw e.attributed(key: key)
    }
    return result
  }

  /// Any integer array, widened to Int (uint64 values above Int.max are an error).
  public func intArray(_ key: String) throws -> [Int]? {
    guard let array = try array(key, expected: "an array of integers", where: { $0.isInteger }) else { return nil }
    let base = array.offset
    let bytes = mapped.bytes
    func load<T: FixedWidthInteger>(_: T.Type) -> [Int]? {
      var out = [Int](repeating: 0, count: array.count)
      for i in 0..<array.count {
        let v = T(littleEndian: bytes.loadUnaligned(fromByteOffset: base + i * MemoryLayout<T>.size, as: T.self))
        guard let w = Int(exactly: v) else { return nil }
        out[i] = w
      }
      return out
    }
    let result: [Int]?
    switch array.elementType {
    case .uint8: result = load(UInt8.self)
    case .int8: result = load(Int8.self)
    case .uint16: result = load(UInt16.self)
    case .int16: result = load(Int16.self)
    case .uint32: result = load(UInt32.self)
    case .int32: result = load(Int32.self)
    case .uint64: result = load(UInt64.self)
    default: result = load(Int64.self)
    }
    guard let result else { throw error(.malformed, key: key, "an element does not fit in a signed 64-bit integer") }
    return result
  }

  public func floatArray(_ key: String) throws -> [Double]? {
    guard let array = try array(key, expected: "an array of floats", where: { $0 == .float32 || $0 == .float64 })
    else { return nil }
    let bytes = mapped.bytes
    return (0..<array.count).map { i in
      array.elementType == .float32
        ? Double(Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: array.offset + 4 * i, as: UInt32.self))))
        : Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: array.offset + 8 * i, as: UInt64.self)))
    }
  }

  /// The length of an array without decoding it (e.g. the vocabulary size).
  public func arrayCount(_ key: String) -> Int? {
    guard case .array(let a) = metadata[key] else { return nil }
    return a.count
  }

  private func array(_ key: String, expected: String, where accepts: (GGUFValueType) -> Bool) throws -> GGUFArray? {
    guard let value = metadata[key] else { return nil }
    guard case .array(let array) = value, accepts(array.elementType) else {
      throw wrongType(key, value, expected: expected)
    }
    return array
  }

  private func wrongType(_ key: String, _ value: GGUFValue, expected: String) -> ModelFileError {
    error(.malformed, key: key, "expected \(expected), found \(value.typeName)")
  }
}

extension GGUFValueType {
  var isInteger: Bool {
    switch self {
    case .uint8, .int8, .uint16, .int16, .uint32, .int32, .uint64, .int64: return true
    default: return false
    }
  }
}
