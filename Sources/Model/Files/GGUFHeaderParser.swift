/// Parses a GGUF v2/v3 header — magic, version, metadata, tensor table — from a
/// mapped file. Nothing is trusted: every count is checked against the bytes
/// left before anything is allocated for it, every tensor's byte range against
/// the file size.
struct GGUFHeaderParser {
  static let magic: UInt32 = 0x4655_4747  // "GGUF" read as little-endian uint32
  static let maxKeyLength = 65_535
  static let maxStringLength = 64 << 20
  static let maxTensorNameLength = 1_024
  static let maxDimensions = 4
  static let maxArrayNesting = 8
  static let defaultAlignment = 32

  struct Header {
    var version: UInt32
    var metadataKeys: [String]
    var metadata: [String: GGUFValue]
    var tensors: [GGUFTensorInfo]
    var tensorIndex: [String: Int]
    var alignment: Int
    var tensorTableOffset: Int
    var dataOffset: Int
  }

  /// A tensor-table entry before the data section's start is known.
  struct PendingTensor {
    var name: String
    var type: TensorType
    var shape: [Int]
    /// Relative to the data section.
    var offset: UInt64
    var bytes: Int
  }

  let file: MappedFile
  var reader: ByteReader

  init(file: MappedFile) {
    self.file = file
    self.reader = file.reader()
  }

  func error(_ kind: ModelFileError.Kind, tensor: String? = nil, key: String? = nil, _ detail: String) -> ModelFileError {
    ModelFileError(kind, file: file.path, tensor: tensor, key: key, detail)
  }

  mutating func parse() throws -> Header {
    guard file.count >= 4 else {
      throw error(.truncated, "the file has \(file.count) bytes, too few for a GGUF header")
    }
    let magic = try reader.u32("the magic number")
    guard magic == Self.magic else {
      let found = file.bytes.prefix(4).map { byte in
        let hex = String(byte, radix: 16)
        return hex.count == 1 ? "0" + hex : hex
      }.joined(separator: " ")
      throw error(.badMagic, "not a GGUF file: expected magic 'GGUF' (47 47 55 46), found \(found)")
    }
    let version = try reader.u32("the GGUF version")
    try checkVersion(version)
    let tensorCount = try checkedCount(try reader.u64("the tensor count"), minimumSize: 32, what: "tensor count")
    let kvCount = try checkedCount(try reader.u64("the metadata count"), minimumSize: 13, what: "metadata count")

    var keys: [String] = []
    keys.reserveCapacity(kvCount)
    var metadata: [String: GGUFValue] = [:]
    for index in 0..<kvCount {
      let key = try readString(maxLength: Self.maxKeyLength, what: "the key of metadata entry \(index)")
      do {
        let rawType = try reader.u32("the value type")
        let value = try readValue(typeID: rawType, depth: 0)
        guard metadata.updateValue(value, forKey: key) == nil else {
          throw error(.malformed, "the key appears twice in the metadata")
        }
        keys.append(key)
      } catch let e as ModelFileError {
        throw e.attributed(key: key)
      }
    }

    let alignment = try readAlignment(metadata)
    let tensorTableOffset = reader.offset
    var tensors: [GGUFTensorInfo] = []
    tensors.reserveCapacity(tensorCount)
    var raw: [PendingTensor] = []
    raw.reserveCapacity(tensorCount)
    var index: [String: Int] = [:]
    for i in 0..<tensorCount {
      let entry = try readTensorInfo(number: i)
      guard index.updateValue(i, forKey: entry.name) == nil else {
        throw error(.malformed, tensor: entry.name, "the tensor name appears twice in the tensor table")
      }
      raw.append(entry)
    }
    let (aligned, overflow) = reader.offset.addingReportingOverflow(alignment - 1)
    let dataOffset = overflow ? Int.max : aligned / alignment * alignment
    for entry in raw {
      guard entry.offset % UInt64(alignment) == 0 else {
        throw error(.malformed, tensor: entry.name,
                    "data offset \(entry.offset) is not a multiple of the alignment \(alignment)")
      }
      guard entry.offset <= UInt64(Int.max),
            let range = MappedFile.checkedRange(offset: dataOffset, count: Int(entry.offset), limit: Int.max),
            MappedFile.checkedRange(offset: range.upperBound, count: entry.bytes, limit: file.count) != nil
      else {
        throw error(.outOfBounds, tensor: entry.name,
                    "\(entry.type.rawValue) \(entry.shape) needs \(entry.bytes) bytes at data offset \(entry.offset) "
                    + "(file offset \(dataOffset) + \(entry.offset)), past the end of the file (\(file.count) bytes); "
                    + "the file is truncated or corrupt")
      }
      tensors.append(GGUFTensorInfo(name: entry.name, type: entry.type, shape: entry.shape,
                                    fileOffset: range.upperBound, byteCount: entry.bytes))
    }
    return Header(version: version, metadataKeys: keys, metadata: metadata, tensors: tensors,
                  tensorIndex: index, alignment: alignment, tensorTableOffset: tensorTableOffset,
                  dataOffset: dataOffset)
  }

  func checkVersion(_ version: UInt32) throws {
    switch version {
    case 2, 3: return
    case 1:
      throw error(.unsupportedVersion,
                  "GGUF version 1 (2023, 32-bit counts) is not supported; re-convert the model with a current llama.cpp")
    default:
      if [2, 3].contains(version.byteSwapped) {
        throw error(.unsupportedVersion, "this is a big-endian GGUF (version \(version.byteSwapped)); only little-endian files are supported")
      }
      throw error(.unsupportedVersion, "GGUF version \(version) is not supported (expected 2 or 3)")
    }
  }

  /// A count read from the file, accepted only if that many items of at least
  /// `minimumSize` bytes could fit in what is left of the file.
  func checkedCount(_ raw: UInt64, minimumSize: Int, what: String) throws -> Int {
    guard raw <= UInt64(reader.remaining / minimumSize) else {
      throw error(.malformed, "\(what) \(raw) is impossible: only \(reader.remaining) bytes remain after offset "
                  + "\(reader.offset); the file is truncated or corrupt")
    }
    return Int(raw)
  }

  mutating func readString(maxLength: Int, what: @autoclosure () -> String) throws -> String {
    let length = try reader.u64("the length of \(what())")
    return try reader.string(byteCount: length, maxLength: maxLength, what())
  }

  func valueType(_ id: UInt32) throws -> GGUFValueType {
    guard let type = GGUFValueType(rawValue: id) else {
      throw error(.malformed, "unknown metadata value type \(id) (valid: 0–12)")
    }
    return type
  }

  mutating func readValue(typeID: UInt32, depth: Int) throws -> GGUFValue {
    switch try valueType(typeID) {
    case .uint8: return .uint(UInt64(try reader.u8()))
    case .int8: return .int(Int64(try reader.i8()))
    case .uint16: return .uint(UInt64(try reader.u16()))
    case .int16: return .int(Int64(try reader.i16()))
    case .uint32: return .uint(UInt64(try reader.u32()))
    case .int32: return .int(Int64(try reader.i32()))
    case .uint64: return .uint(try reader.u64())
    case .int64: return .int(try reader.i64())
    case .float32: return .float(Double(try reader.f32()))
    case .float64: return .float(try reader.f64())
    case .bool: return .bool(try reader.u8("a bool") != 0)
    case .string: return .string(try readString(maxLength: Self.maxStringLength, what: "a string value"))
    case .array: return .array(try locateArray(depth: depth))
    }
  }

  /// Reads an array's element type and count, checks the elements lie in the
  /// file and skips over them without decoding.
  mutating func locateArray(depth: Int) throws -> GGUFArray {
    guard depth < Self.maxArrayNesting else {
      throw error(.malformed, "arrays nested more than \(Self.maxArrayNesting) deep")
    }
    let elementType = try valueType(try reader.u32("an array's element type"))
    let count = try checkedCount(try reader.u64("an array's length"), minimumSize: elementType.minimumSize,
                          what: "array length")
    let start = reader.offset
    if let size = elementType.fixedSize {
      try reader.skip(count * size, "the array's elements")  // count * size <= remaining, checked above
    } else if elementType == .string {
      for i in 0..<count {
        let length = try reader.u64("the length of array string \(i)")
        guard length <= UInt64(Self.maxStringLength) else {
          throw error(.malformed, "array string \(i) claims \(length) bytes; at most \(Self.maxStringLength) are allowed")
        }
        try reader.skip(Int(length), "array string \(i)")
      }
    } else {
      for _ in 0..<count {
        _ = try locateArray(depth: depth + 1)
      }
    }
    return GGUFArray(elementType: elementType, count: count, offset: start, byteCount: reader.offset - start)
  }

  func readAlignment(_ metadata: [String: GGUFValue]) throws -> Int {
    guard let value = metadata["general.alignment"] else { return Self.defaultAlignment }
    guard case .uint(let a) = value, a > 0, a <= 1 << 20, a & (a - 1) == 0 else {
      throw error(.malformed, key: "general.alignment", "expected a power of two up to 1 MiB, found \(value)")
    }
    return Int(a)
  }

  mutating func readTensorInfo(number: Int) throws -> PendingTensor {
    let name = try readString(maxLength: Self.maxTensorNameLength, what: "the name of tensor \(number)")
    do {
      let dimCount = try reader.u32("the dimension count")
      guard dimCount >= 1, dimCount <= Self.maxDimensions else {
        throw error(.malformed, "has \(dimCount) dimensions; expected 1 to \(Self.maxDimensions)")
      }
      var ne: [Int] = []
      var elements = 1
      for d in 0..<Int(dimCount) {
        let dim = try reader.u64("dimension \(d)")
        guard dim <= UInt64(Int.max) else { throw error(.malformed, "dimension \(d) is \(dim), too large") }
        let (product, overflow) = elements.multipliedReportingOverflow(by: Int(dim))
        guard !overflow else { throw error(.malformed, "the element count of dimensions \(ne + [Int(dim)]) overflows") }
        elements = product
        ne.append(Int(dim))
      }
      let typeID = try reader.u32("the tensor type")
      let offset = try reader.u64("the data offset")
      guard let type = TensorType(ggmlType: typeID) else {
        throw error(.unsupportedTensorType,
                    "ggml type \(typeID) (\(GGMLTypeName.name(typeID))) is not supported; Nightdesk loads \(GGMLTypeName.supported)")
      }
      guard ne[0] % type.blockElements == 0, let bytes = type.byteCount(elements: elements) else {
        throw error(.malformed, "row length \(ne[0]) is not a multiple of the \(type.rawValue) block size \(type.blockElements)")
      }
      return PendingTensor(name: name, type: type, shape: Array(ne.reversed()), offset: offset, bytes: bytes)
    } catch let e as ModelFileError {
      throw e.attributed(tensor: name)
    }
  }
}
