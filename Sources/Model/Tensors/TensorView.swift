/// A weight tensor as it sits in a memory-mapped model file: no copy is made.
/// `shape` is row-major, outermost first (`[rows, columns]` for a matrix: a
/// PyTorch Linear weight `[out_features, in_features]`, and GGUF's `ne=[in, out]`
/// reversed). Rows are contiguous, so one row can be dequantized on its own.
///
/// The view is valid while the file that made it stays open (model objects own
/// their files); it is `@unchecked Sendable` because the mapping is read-only.
public struct TensorView: @unchecked Sendable {
  public let name: String
  public let type: TensorType
  public let shape: [Int]
  public let data: UnsafeRawBufferPointer

  public init(name: String, type: TensorType, shape: [Int], data: UnsafeRawBufferPointer) {
    self.name = name
    self.type = type
    self.shape = shape
    self.data = data
  }

  public var elementCount: Int { shape.reduce(1, *) }
  /// Elements per row (the innermost dimension).
  public var columns: Int { shape.last ?? 1 }
  /// Number of rows (all outer dimensions flattened).
  public var rows: Int { shape.count <= 1 ? 1 : shape.dropLast().reduce(1, *) }
  public var rowBytes: Int { type.byteCount(elements: columns) ?? 0 }

  /// The bytes of row `row`.
  public func rowData(_ row: Int) -> UnsafeRawPointer {
    precondition(row >= 0 && row < rows, "row \(row) out of range for \(name) with \(rows) rows")
    return data.baseAddress! + row * rowBytes
  }
}
