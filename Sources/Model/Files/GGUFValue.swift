/// GGUF's metadata value types, numbered as in the file.
public enum GGUFValueType: UInt32, Sendable, CaseIterable {
  case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6
  case bool = 7, string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

  /// Bytes per value for fixed-size types; nil for strings and arrays.
  var fixedSize: Int? {
    switch self {
    case .uint8, .int8, .bool: return 1
    case .uint16, .int16: return 2
    case .uint32, .int32, .float32: return 4
    case .uint64, .int64, .float64: return 8
    case .string, .array: return nil
    }
  }

  /// The fewest bytes one value can occupy (a string's length prefix, an array's type + count).
  var minimumSize: Int {
    switch self {
    case .string: return 8
    case .array: return 12
    default: return fixedSize ?? 1
    }
  }
}

/// One metadata value. Arrays are not decoded while the header is parsed — a
/// 151,936-entry vocabulary would be boxed element by element for nothing —
/// but located and bounds-checked; `GGUFFile` decodes them on request into
/// plain `[String]`, `[Int]` or `[Double]`.
public enum GGUFValue: Sendable, Equatable {
  case uint(UInt64)
  case int(Int64)
  case float(Double)
  case bool(Bool)
  case string(String)
  case array(GGUFArray)

  var typeName: String {
    switch self {
    case .uint: return "an unsigned integer"
    case .int: return "a signed integer"
    case .float: return "a float"
    case .bool: return "a bool"
    case .string: return "a string"
    case .array(let a): return "an array of \(a.count) \(a.elementType)"
    }
  }
}

/// Where an array's elements sit in the file.
public struct GGUFArray: Sendable, Equatable {
  public let elementType: GGUFValueType
  public let count: Int
  /// File offset of the first element.
  let offset: Int
  /// Bytes of all elements (checked to lie within the file).
  let byteCount: Int
}
