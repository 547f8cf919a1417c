/// Row access in f32: quantized weights are expanded block by block, one row or
/// a few rows at a time, never the whole tensor. Buffer sizes are the caller's
/// invariants (preconditions); the tensor's own geometry was validated when the
/// file was opened.
extension TensorView {
  public var kernels: QuantKernels { QuantKernels(type) }

  /// Writes row `row` (`columns` floats) to `out`.
  public func dequantizeRow(_ row: Int, into out: UnsafeMutableBufferPointer<Float>) {
    precondition(out.count >= columns, "\(name): output holds \(out.count) floats, a row has \(columns)")
    kernels.dequantize(rowData(row), out.baseAddress, Int64(columns))
  }

  /// Writes rows `range` one after another to `out`: `[range.count, columns]`.
  public func dequantizeRows(_ range: Range<Int>, into out: UnsafeMutableBufferPointer<Float>) {
    precondition(range.lowerBound >= 0 && range.upperBound <= rows, "\(name): rows \(range) out of 0..<\(rows)")
    precondition(out.count >= range.count * columns,
                 "\(name): output holds \(out.count) floats, \(range.count) rows need \(range.count * columns)")
    let kernel = kernels.dequantize
    for (i, row) in range.enumerated() {
      kernel(rowData(row), out.baseAddress! + i * columns, Int64(columns))
    }
  }

  /// Row `row` as a new array (tests, embeddings lookups).
  public func dequantizedRow(_ row: Int) -> [Float] {
    [Float](unsafeUninitializedCapacity: columns) { buffer, count in
      dequantizeRow(row, into: buffer)
      count = columns
    }
  }

  /// row · x, with the kernels' fixed reduction order.
  public func dot(row: Int, _ x: UnsafeBufferPointer<Float>) -> Float {
    precondition(x.count >= columns, "\(name): vector has \(x.count) floats, a row has \(columns)")
    return kernels.dot(rowData(row), x.baseAddress, Int64(columns))
  }

  /// y[i] = row(range.lowerBound + i) · x for every row in `range` (decode's matrix-vector product).
  public func matvec(rows range: Range<Int>, _ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>) {
    precondition(range.lowerBound >= 0 && range.upperBound <= rows, "\(name): rows \(range) out of 0..<\(rows)")
    precondition(x.count >= columns, "\(name): vector has \(x.count) floats, a row has \(columns)")
    precondition(y.count >= range.count, "\(name): output holds \(y.count) floats for \(range.count) rows")
    guard !range.isEmpty else { return }
    kernels.matvec(rowData(range.lowerBound), Int64(rowBytes), Int64(range.count), x.baseAddress, Int64(columns),
                   y.baseAddress)
  }
}
