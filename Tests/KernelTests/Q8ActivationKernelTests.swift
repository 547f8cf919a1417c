import NightdeskSupport
import Foundation
import NightdeskKernels
import NightdeskModel
import NightdeskTestSupport
import Testing

/// The 8-bit-activation kernels (nd_q8act.h): VNNI against the scalar reference bit
/// for bit, each row's result independent of the rows beside it (also through
/// nd_linear on a thread pool), and close to the exact float product.
@Suite("8-bit-activation kernels")
struct Q8ActivationKernelTests {
  /// A stored weight format: its kernel-table index, block size, and the byte offsets of its
  /// f16 scale fields (the first a block's scale, any other its min).
  struct Format {
    let name: String
    let index: Int32
    let blockElements: Int
    let blockBytes: Int
    let scaleOffsets: [Int]
    func rowBytes(_ k: Int) -> Int { k / blockElements * blockBytes }
  }

  static let formats = [
    Format(name: "q4_0", index: 3, blockElements: 32, blockBytes: 18, scaleOffsets: [0]),
    Format(name: "q4_1", index: 4, blockElements: 32, blockBytes: 20, scaleOffsets: [0, 2]),
    Format(name: "q8_0", index: 7, blockElements: 32, blockBytes: 34, scaleOffsets: [0]),
    Format(name: "q4_K", index: 8, blockElements: 256, blockBytes: 144, scaleOffsets: [0, 2]),
    Format(name: "q5_K", index: 9, blockElements: 256, blockBytes: 176, scaleOffsets: [0, 2]),
    Format(name: "q6_K", index: 10, blockElements: 256, blockBytes: 210, scaleOffsets: [208]),
  ]

  func randomFloats(_ count: Int, _ rng: inout SplitMix64) -> [Float] {
    (0..<count).map { _ in Float(Int64(rng.next() >> 40) - (1 << 23)) / Float(1 << 23) * 3 }
  }

  /// `rows` stored weight rows of `k` elements: random integers (and K-quant sub-block scales),
  /// realistic f16 scales.
  func randomRows(_ format: Format, rows: Int, k: Int, _ rng: inout SplitMix64) -> [UInt8] {
    var bytes = (0..<(rows * format.rowBytes(k))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    for block in stride(from: 0, to: bytes.count, by: format.blockBytes) {
      for (field, offset) in format.scaleOffsets.enumerated() {
        let value = field == 0 ? Float(rng.next() % 1000 + 10) / 20000 : -Float(rng.next() % 1000) / 4000
        let bits = Float16(value).bitPattern
        bytes[block + offset] = UInt8(bits & 0xFF)
        bytes[block + offset + 1] = UInt8(bits >> 8)
      }
    }
    return bytes
  }

  /// `x` quantized by `level`'s kernel (nil: the reference), one scale per `span` elements.
  func quantized(_ x: [Float], m: Int, k: Int, span: Int = 32, level: KernelLevel? = .generic) -> [UInt8] {
    var out = [UInt8](repeating: 0xA5, count: m * Int(nd_q8act_row_bytes(Int64(k))))
    if let level {
      nd_q8act_quantize_with(level.table, x, Int64(k), Int64(m), Int64(k), Int64(span), &out)
    } else {
      nd_q8act_quantize_ref(x, Int64(k), Int64(m), Int64(k), Int64(span), &out)
    }
    return out
  }

  @Test("activation quantizer: every level equals the reference byte for byte",
        arguments: [(32, 32), (96, 32), (576, 32), (1536, 32), (256, 256), (1536, 256)])
  func quantizer(k: Int, span: Int) {
    var rng = SplitMix64(seed: UInt64(k))
    var x = randomFloats(5 * k, &rng)
    for i in 0..<span { x[i] = 0 }  // an all-zero span
    x[span + 8] = 1e-30
    for level in KernelLevel.supported {
      #expect(quantized(x, m: 5, k: k, span: span, level: level) == quantized(x, m: 5, k: k, span: span, level: nil),
              "\(level)")
    }
  }

  @Test("a K-quant activation row has one scale per 256 elements: the largest |x| of the span over 127")
  func spanScale() {
    var rng = SplitMix64(seed: 7)
    var x = randomFloats(512, &rng)
    x[300] = 50  // the second span's largest
    let row = quantized(x, m: 1, k: 512, span: Int(nd_q8act_span(Int32(ND_Q8ACT_Q4_K))))
    let dx = row.withUnsafeBytes { raw in (0..<16).map { raw.load(fromByteOffset: 512 + 4 * $0, as: Float.self) } }
    #expect(Set(dx[0..<8]).count == 1 && Set(dx[8..<16]).count == 1)
    #expect(dx[8] == 50 / 127 && dx[0] == x[0..<256].map { abs($0) }.max()! / 127)
    #expect(nd_q8act_span(Int32(ND_Q8ACT_Q4_0)) == 32)
  }

  @Test("where the CPU has AVX-512 VNNI, the AVX-512 level runs the VNNI product (so these tests cover it)")
  func vnniIsUsedWhereThere() {
    #expect(KernelLevel.generic.int8Kernel == "scalar")
    if KernelLevel.avx512.isSupported && nd_cpu_has("avx512vnni") != 0 {
      #expect(KernelLevel.avx512.int8Kernel == "avx512-vnni")
    }
  }

  /// `rows` stored rows repacked into panels (nd_q8act_pack).
  func packed(_ w: [UInt8], type: Int32, rowBytes: Int, rows: Int, k: Int) -> [UInt8] {
    var out = [UInt8](repeating: 0xA5, count: Int(nd_q8act_packed_bytes(type, Int64(rows), Int64(k))))
    nd_q8act_pack(type, w, Int64(rowBytes), Int64(rows), Int64(k), &out)
    return out
  }

  @Test("integer-block products: every level's packed panels equal the reference from the stored rows bit for bit; a row alone, or a panel range, equals it within m rows",
        arguments: [(1, 9, 96), (3, 70, 576), (4, 5, 64), (13, 37, 576), (6, 8, 32), (9, 48, 1536), (5, 21, 256),
                    (2, 33, 1024)])
  func products(m: Int, rows: Int, k: Int) {
    for level in KernelLevel.supported { products(m: m, rows: rows, k: k, level: level) }
  }

  func products(m: Int, rows: Int, k: Int, level: KernelLevel) {
    let table = level.table
    for format in Self.formats where k % format.blockElements == 0 {
      var rng = SplitMix64(seed: UInt64(m * 1000 + rows + k))
      let type = nd_q8act_type_for_kernel_index(format.index)
      let rowBytes = format.rowBytes(k)
      let w = randomRows(format, rows: rows, k: k, &rng)
      let panels = packed(w, type: type, rowBytes: rowBytes, rows: rows, k: k)
      let x = randomFloats(m * k, &rng)
      let xq = quantized(x, m: m, k: k, span: Int(nd_q8act_span(type)), level: level)
      for accumulate: Int32 in [0, 1] {
        let start = randomFloats(m * rows, &rng)
        var fast = start, scalar = start, reference = start
        nd_q8act_matmul_with(table, type, panels, 0, Int64(rows), xq, Int64(m), Int64(k), &fast, Int64(rows), accumulate)
        nd_q8act_matmul_packed_ref(type, panels, 0, Int64(rows), xq, Int64(m), Int64(k), &scalar, Int64(rows), accumulate)
        nd_q8act_matmul_ref(type, w, Int64(rowBytes), Int64(rows), xq, Int64(m), Int64(k), &reference, Int64(rows), accumulate)
        #expect(fast.map(\.bitPattern) == reference.map(\.bitPattern), "\(level) \(format.name) accumulate \(accumulate)")
        #expect(scalar.map(\.bitPattern) == reference.map(\.bitPattern), "\(format.name) scalar accumulate \(accumulate)")
      }
      var all = [Float](repeating: 0, count: m * rows)
      nd_q8act_matmul_with(table, type, panels, 0, Int64(rows), xq, Int64(m), Int64(k), &all, Int64(rows), 0)
      let xrow = Int(nd_q8act_row_bytes(Int64(k)))
      for i in 0..<m {
        var single = [Float](repeating: 0, count: rows)
        xq.withUnsafeBufferPointer { xp in
          nd_q8act_matmul_with(table, type, panels, 0, Int64(rows), xp.baseAddress! + i * xrow, 1, Int64(k), &single, Int64(rows), 0)
        }
        #expect(single.map(\.bitPattern) == all[(i * rows)..<((i + 1) * rows)].map(\.bitPattern), "\(level) \(format.name) row \(i)")
      }
      // Panel ranges, as the pool's tasks split a weight: each writes only its own columns.
      var pieces = [Float](repeating: .nan, count: m * rows)
      for r0 in stride(from: 0, to: rows, by: 16) {
        nd_q8act_matmul_with(table, type, panels, Int64(r0), Int64(min(r0 + 16, rows)), xq, Int64(m), Int64(k), &pieces, Int64(rows), 0)
      }
      #expect(pieces.map(\.bitPattern) == all.map(\.bitPattern), "\(level) \(format.name) panel by panel")
    }
  }

  /// The only difference from the float product is the activation rounding: per block
  /// |error| <= |d_w| · sum|q_w| · d_x / 2 (half a quantization step per element).
  @Test("integer-block products stay within the activation rounding of the float product")
  func closeToFloat() {
    let rows = 24
    for format in Self.formats {
      let k = format.blockElements == 32 ? 576 : 768
      var rng = SplitMix64(seed: 99)
      let w = randomRows(format, rows: rows, k: k, &rng)
      let x = randomFloats(k, &rng)
      let type = nd_q8act_type_for_kernel_index(format.index)
      let span = Int(nd_q8act_span(type))
      let xq = quantized(x, m: 1, k: k, span: span)
      let rowBytes = format.rowBytes(k)
      var y = [Float](repeating: 0, count: rows)
      nd_q8act_matmul(type, packed(w, type: type, rowBytes: rowBytes, rows: rows, k: k), 0, Int64(rows), xq, 1, Int64(k), &y, Int64(rows), 0)
      let kernels = nd_quant_kernels_for(format.index, Int32(ND_LEVEL_GENERIC))
      for r in 0..<rows {
        var dequantized = [Float](repeating: 0, count: k)
        w.withUnsafeBytes { kernels.dequantize!($0.baseAddress! + r * rowBytes, &dequantized, Int64(k)) }
        let exact = zip(dequantized, x).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        var bound = 1e-5
        for b in 0..<(k / 32) {
          let scaled = x[(b * 32 / span * span)..<(b * 32 / span * span + span)]  // the elements sharing its scale
          let step = Double(scaled.map { abs($0) }.max()!) / 127
          bound += step / 2 * dequantized[(b * 32)..<(b * 32 + 32)].reduce(0.0) { $0 + abs(Double($1)) }
        }
        #expect(abs(Double(y[r]) - exact) <= bound, "\(format.name) row \(r): \(y[r]) vs \(exact), bound \(bound)")
      }
    }
  }

  @Test("nd_linear with 8-bit activations: a row's outputs are the same alone and in a batch, on 2 threads")
  func linearBatchInvariant() throws {
    let k = 576, n = 200, m = 11
    var rng = SplitMix64(seed: 7)
    let w = randomRows(Self.formats[1], rows: n, k: k, &rng)
    let x = randomFloats(m * k, &rng)
    let bias = randomFloats(n, &rng)
    let panels = packed(w, type: nd_q8act_type_for_kernel_index(4), rowBytes: k / 32 * 20, rows: n, k: k)
    let pool = try #require(nd_pool_create(2, 50))
    defer { nd_pool_destroy(pool) }
    let scratchPerThread = nd_linear_scratch_floats(Int64(k))
    var scratch = [Float](repeating: 0, count: Int(scratchPerThread) * 2)
    func run(rows: Int, from row: Int) -> [Float] {
      var y = [Float](repeating: 0.5, count: rows * n)
      w.withUnsafeBytes { wp in
        panels.withUnsafeBytes { pp in
          x.withUnsafeBufferPointer { xp in
            bias.withUnsafeBufferPointer { bp in
              y.withUnsafeMutableBufferPointer { yp in
                var job = nd_linear_job(
                  weights: wp.baseAddress, row_bytes: Int64(k / 32 * 20), decode: nd_dequantize_row_q4_1_ref, matvec: nd_matvec_q4_1_ref,
                  n: Int64(n), k: Int64(k), x: xp.baseAddress! + row * k, ldx: Int64(k), y: yp.baseAddress, ldy: Int64(n),
                  bias: bp.baseAddress, accumulate: 1, act_q8: nd_q8act_type_for_kernel_index(4), act_q8_panels: pp.baseAddress)
                #expect(nd_linear(pool, &job, 1, Int64(rows), &scratch, scratchPerThread) == 0)
              }
            }
          }
        }
      }
      return y
    }
    let batch = run(rows: m, from: 0)
    for row in 0..<m {
      #expect(run(rows: 1, from: row).map(\.bitPattern) == batch[(row * n)..<((row + 1) * n)].map(\.bitPattern))
    }
  }
}
