import NightdeskKernels
import NightdeskModel
import Testing

/// Paged attention against its scalar reference, bit for bit, whatever the
/// grouping of rows into tasks: a prefill tile, decode rows whose tables share
/// their first blocks (and then diverge), a row with a table of its own, each
/// row alone, on one and two threads.
@Suite("Paged attention kernel")
struct AttentionKernelTests {
  struct Shape: CustomTestStringConvertible, Sendable {
    let headDim: Int, heads: Int, kvHeads: Int, blockSize: Int, format: Int32
    var testDescription: String { "head_dim \(headDim), \(heads)/\(kvHeads) heads, blocks of \(blockSize), format \(format)" }
  }

  static let shapes: [Shape] = [
    Shape(headDim: 64, heads: 9, kvHeads: 3, blockSize: 16, format: Int32(ND_KV_F32)),
    Shape(headDim: 64, heads: 9, kvHeads: 3, blockSize: 16, format: Int32(ND_KV_F16)),
    Shape(headDim: 128, heads: 4, kvHeads: 2, blockSize: 16, format: Int32(ND_KV_BF16)),
    Shape(headDim: 32, heads: 4, kvHeads: 2, blockSize: 8, format: Int32(ND_KV_F32)),
    Shape(headDim: 40, heads: 2, kvHeads: 1, blockSize: 5, format: Int32(ND_KV_F16)),
    Shape(headDim: 64, heads: 6, kvHeads: 2, blockSize: 32, format: Int32(ND_KV_F32)),
    Shape(headDim: 40, heads: 8, kvHeads: 1, blockSize: 16, format: Int32(ND_KV_BF16)),
  ]

  /// A step's rows: (block table index, position).
  static let rows: [(table: Int, position: Int)] =
    (0..<37).map { (0, 3 + $0) } + [(1, 50), (2, 61), (3, 47), (4, 20), (1, 51)]

  func randomFloats(_ count: Int, seed: UInt64) -> [Float] {
    var state = seed
    return (0..<count).map { _ in
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return Float(Int64(bitPattern: state >> 11) % 2000 - 1000) / 997
    }
  }

  @Test("grouped attention at every level equals the per-row scalar reference bit for bit", arguments: shapes)
  func matchesReference(shape: Shape) {
    for level in KernelLevel.supported { matchesReference(shape: shape, level: level) }
  }

  func matchesReference(shape: Shape, level: KernelLevel) {
    let bs = shape.blockSize, hd = shape.headDim
    let blocksPerTable = 70 / bs + 1
    // Tables 1-3 share their first three blocks (a cached prefix), then diverge; 0 and 4 stand alone.
    let tables: [[Int32]] = (0..<5).map { t in
      (0..<blocksPerTable).map { b in Int32(1 <= t && t <= 3 && b < 3 ? 100 + b : 200 + t * blocksPerTable + b) }
    }
    let blocks = 200 + 5 * blocksPerTable
    let tokenWidth = shape.kvHeads * hd, elements = blocks * bs * tokenWidth
    let elementBytes = shape.format == Int32(ND_KV_F32) ? 4 : 2
    let keys = UnsafeMutableRawPointer.allocate(byteCount: elements * elementBytes, alignment: 64)
    let values = UnsafeMutableRawPointer.allocate(byteCount: elements * elementBytes, alignment: 64)
    defer { keys.deallocate(); values.deallocate() }
    nd_kv_store(randomFloats(elements, seed: 3), keys, Int64(elements), shape.format)
    nd_kv_store(randomFloats(elements, seed: 4).map { $0 * 3 }, values, Int64(elements), shape.format)
    let rows = Self.rows
    let q = randomFloats(rows.count * shape.heads * hd, seed: 5).map { $0 * 4 }
    let positions = rows.map { Int64($0.position) }
    let flat = tables.flatMap { $0 }
    let width = shape.heads * hd

    func run(_ selected: [Int], threads: Int, reference: Bool = false) -> [Float] {
      var out = [Float](repeating: .nan, count: selected.count * width)
      let rowQ = selected.flatMap { q[($0 * width)..<(($0 + 1) * width)] }
      let rowPositions = selected.map { positions[$0] }
      let maxKeys = Int64(rowPositions.max()! + 1)
      let perThread = nd_attention_scratch_floats(maxKeys, Int64(bs), Int64(hd))
      var scratch = [Float](repeating: 0, count: Int(perThread) * threads)
      let pool = nd_pool_create(Int32(threads), 0)
      defer { nd_pool_destroy(pool) }
      // Every pointer the job holds must outlive the kernel call, hence the nested scopes.
      flat.withUnsafeBufferPointer { tablesBuffer in
        let rowTables: [UnsafePointer<Int32>?] = selected.map { tablesBuffer.baseAddress! + rows[$0].table * blocksPerTable }
        rowTables.withUnsafeBufferPointer { rowTables in
          rowQ.withUnsafeBufferPointer { rowQ in
            rowPositions.withUnsafeBufferPointer { rowPositions in
              out.withUnsafeMutableBufferPointer { out in
                scratch.withUnsafeMutableBufferPointer { scratch in
                  var job = nd_attention_job(
                    rows: Int64(selected.count), heads: Int64(shape.heads), kv_heads: Int64(shape.kvHeads),
                    head_dim: Int64(hd), block_size: Int64(bs), q: rowQ.baseAddress, out: out.baseAddress,
                    k_cache: keys, v_cache: values, kv_format: shape.format, positions: rowPositions.baseAddress,
                    block_tables: rowTables.baseAddress, scale: 1 / Float(hd).squareRoot(),
                    scratch: scratch.baseAddress, scratch_per_thread: perThread)
                  if reference { nd_attention_ref(&job) } else { nd_attention_with(level.table, pool, &job) }
                }
              }
            }
          }
        }
      }
      return out
    }

    let all = Array(rows.indices)
    let expected = run(all, threads: 1, reference: true).map(\.bitPattern)
    #expect(run(all, threads: 1).map(\.bitPattern) == expected, "\(level)")
    #expect(run(all, threads: 2).map(\.bitPattern) == expected, "\(level)")
    // The decode rows alone, and in another order, give the same bits.
    for row in [37, 38, 39, 40, 41] {
      #expect(run([row], threads: 2).map(\.bitPattern) == Array(expected[(row * width)..<((row + 1) * width)]))
    }
    let shuffled = [41, 39, 38, 37, 40]
    #expect(run(shuffled, threads: 1).map(\.bitPattern) == shuffled.flatMap { expected[($0 * width)..<(($0 + 1) * width)] })
  }

  @Test("a strided store writes each element where a plain store of it would, and nothing between",
        arguments: [Int32(ND_KV_F32), Int32(ND_KV_F16), Int32(ND_KV_BF16)])
  func stridedStore(format: Int32) {
    let n = 40, stride = 5, bytes = format == Int32(ND_KV_F32) ? 4 : 2
    let source = randomFloats(n, seed: 9)
    var strided = [UInt8](repeating: 0, count: n * stride * bytes)
    var plain = [UInt8](repeating: 0, count: n * bytes)
    nd_kv_store_strided(source, &strided, Int64(n), Int64(stride), format)
    nd_kv_store(source, &plain, Int64(n), format)
    for i in 0..<(n * stride) {
      let expected = i % stride == 0 ? Array(plain[(i / stride * bytes)..<((i / stride + 1) * bytes)]) : [UInt8](repeating: 0, count: bytes)
      #expect(Array(strided[(i * bytes)..<((i + 1) * bytes)]) == expected, "element \(i)")
    }
  }

  @Test("a store in runs writes each run where a plain store of it would, and nothing between",
        arguments: [Int32(ND_KV_F32), Int32(ND_KV_F16), Int32(ND_KV_BF16)])
  func runsStore(format: Int32) {
    let runs = 3, run = 8, stride = 20, bytes = format == Int32(ND_KV_F32) ? 4 : 2
    let source = randomFloats(runs * run, seed: 10)
    var spread = [UInt8](repeating: 0, count: runs * stride * bytes)
    var plain = [UInt8](repeating: 0, count: runs * run * bytes)
    nd_kv_store_runs(source, &spread, Int64(runs), Int64(run), Int64(stride), format)
    nd_kv_store(source, &plain, Int64(runs * run), format)
    for i in 0..<(runs * stride) {
      let (r, e) = i.quotientAndRemainder(dividingBy: stride), from = (r * run + e) * bytes
      let expected = e < run ? Array(plain[from..<(from + bytes)]) : [UInt8](repeating: 0, count: bytes)
      #expect(Array(spread[(i * bytes)..<((i + 1) * bytes)]) == expected, "element \(i)")
    }
  }
}
