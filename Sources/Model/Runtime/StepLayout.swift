/// Where every row of a forward batch goes: its sequence's block table, its
/// absolute position, and which rows produce logits. Built once per step and
/// validated, so the kernels can trust every index they are given.
struct StepLayout {
  /// [rows] absolute position of each row.
  var positions: [Int64]
  /// All chunks' block tables, concatenated.
  var tables: [Int32]
  /// [rows] offset of the row's block table in `tables`.
  var tableOffsets: [Int]
  /// Rows whose logits are wanted, in chunk order.
  var logitRows: [Int]
  /// Keys the longest row attends to.
  var maxKeys: Int

  init(batch: ForwardBatch, vocabularySize: Int, blockCount: Int, blockSize: Int, maxPositions: Int) throws {
    let rows = batch.tokens.count
    positions = [Int64](repeating: -1, count: rows)
    tableOffsets = [Int](repeating: 0, count: rows)
    tables = []
    logitRows = []
    maxKeys = 0
    for (index, token) in batch.tokens.enumerated() where token < 0 || Int(token) >= vocabularySize {
      throw ModelRuntimeError.invalidBatch("token \(token) at row \(index) is outside the vocabulary (0..<\(vocabularySize))")
    }
    for (c, chunk) in batch.chunks.enumerated() {
      guard chunk.rows.lowerBound >= 0, chunk.rows.upperBound <= rows, !chunk.rows.isEmpty else {
        throw ModelRuntimeError.invalidBatch("chunk \(c) has rows \(chunk.rows), the batch has \(rows) tokens")
      }
      guard chunk.startPosition >= 0 else { throw ModelRuntimeError.invalidBatch("chunk \(c) starts at position \(chunk.startPosition)") }
      let end = chunk.startPosition + chunk.rows.count
      guard end <= maxPositions else {
        throw ModelRuntimeError.invalidBatch("chunk \(c) reaches position \(end), beyond the model's \(maxPositions)")
      }
      guard chunk.blockTable.count * blockSize >= end else {
        throw ModelRuntimeError.invalidBatch("chunk \(c): \(chunk.blockTable.count) blocks of \(blockSize) cannot hold \(end) tokens")
      }
      for block in chunk.blockTable.prefix((end + blockSize - 1) / blockSize) where block < 0 || Int(block) >= blockCount {
        throw ModelRuntimeError.invalidBatch("chunk \(c) uses block \(block), the KV storage has \(blockCount)")
      }
      let offset = tables.count
      tables += chunk.blockTable
      for (i, row) in chunk.rows.enumerated() {
        guard positions[row] < 0 else { throw ModelRuntimeError.invalidBatch("row \(row) belongs to two chunks") }
        positions[row] = Int64(chunk.startPosition + i)
        tableOffsets[row] = offset
      }
      maxKeys = max(maxKeys, end)
      if chunk.wantsLogits { logitRows.append(chunk.rows.upperBound - 1) }
    }
    if let orphan = positions.firstIndex(where: { $0 < 0 }) {
      throw ModelRuntimeError.invalidBatch("row \(orphan) belongs to no chunk")
    }
  }
}
