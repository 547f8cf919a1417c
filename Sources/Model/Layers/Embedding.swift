/// Token embedding lookup: each row is dequantized on its own.
struct Embedding {
  let table: TensorView

  /// Writes the embedding of each token to consecutive rows of `out` ([tokens, hidden]).
  func lookup(_ tokens: [Int32], into out: UnsafeMutablePointer<Float>) {
    let hidden = table.columns
    let kernel = table.kernels.dequantize
    for (row, token) in tokens.enumerated() {
      kernel(table.rowData(Int(token)), out + row * hidden, Int64(hidden))
    }
  }
}
