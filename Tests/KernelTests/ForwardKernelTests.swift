import Foundation
import NightdeskKernels
import NightdeskModel
import Testing

/// The forward kernels against their scalar references, and the property the
/// engine's determinism rests on: a row's product does not depend on the rows beside it.
@Suite("Forward kernels")
struct ForwardKernelTests {
  func randomFloats(_ count: Int, seed: UInt64) -> [Float] {
    var state = seed
    return (0..<count).map { _ in
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return Float(Int64(bitPattern: state >> 11) % 2000 - 1000) / 997
    }
  }

  @Test("fixed-order matmul: every level equals the scalar reference bit for bit; rows independent of m",
        arguments: [(1, 5, 64), (7, 9, 576), (13, 6, 37), (64, 33, 1536), (37, 12, 1000), (100, 7, 1536)])
  func matmul(m: Int, n: Int, k: Int) {
    for level in KernelLevel.supported { matmul(m: m, n: n, k: k, table: level.table) }
  }

  func matmul(m: Int, n: Int, k: Int, table: OpaquePointer?) {
    let a = randomFloats(m * k, seed: 1), w = randomFloats(n * k, seed: 2)
    var fast = [Float](repeating: 0, count: m * n), reference = fast
    nd_matmul_nt_with(table, a, Int64(k), w, Int64(k), &fast, Int64(n), Int64(m), Int64(n), Int64(k), 0)
    nd_matmul_nt_ref(a, Int64(k), w, Int64(k), &reference, Int64(n), Int64(m), Int64(n), Int64(k), 0)
    #expect(fast.map(\.bitPattern) == reference.map(\.bitPattern))
    // Each row alone gives the same bits as within the block of m rows.
    for row in 0..<m {
      var single = [Float](repeating: 0, count: n)
      a.withUnsafeBufferPointer { ap in
        nd_matmul_nt_with(table, ap.baseAddress! + row * k, Int64(k), w, Int64(k), &single, Int64(n), 1, Int64(n), Int64(k), 0)
      }
      #expect(single.map(\.bitPattern) == Array(fast[(row * n)..<((row + 1) * n)]).map(\.bitPattern))
    }
  }

  @Test("exponential: every level equals the scalar reference and stays within 2e-7 relative of exp",
        arguments: KernelLevel.supported)
  func exponential(level: KernelLevel) {
    let x = (0..<4000).map { Float($0) / 40 - 90 } + [-Float.infinity, -200, 100]
    var y = [Float](repeating: 0, count: x.count)
    nd_exp_with(level.table, x, &y, Int64(x.count))
    for (xi, yi) in zip(x, y) {
      #expect(yi.bitPattern == nd_expf_ref(xi).bitPattern, "exp(\(xi))")
      if xi > -87, xi < 88 {
        let exact = Foundation.exp(Double(xi))
        #expect(abs(Double(yi) - exact) <= 2e-7 * exact, "exp(\(xi)) = \(yi), exact \(exact)")
      }
    }
  }

  @Test("argmax: the first largest value, NaN never chosen, over lengths around the vector width",
        arguments: [0, 1, 15, 16, 17, 49152, 49159])
  func argmaxMatchesScan(count: Int) {
    // Few distinct values, so ties across lanes and the tail are common.
    var values = randomFloats(count, seed: UInt64(count) + 3).map { ($0 * 4).rounded() }
    if count > 20 {
      values[count / 3] = .nan
      values[count - 2] = values.max()!  // a tie after the first maximum, in the tail
    }
    var expected = 0
    var best = -Float.infinity
    for (index, value) in values.enumerated() where value > best {
      expected = index
      best = value
    }
    #expect(argmax(values) == expected)
    #expect(argmax([-Float.infinity, -Float.infinity]) == 0)
    #expect(argmax([Float.nan, 1, 2, 2]) == 2)
    for level in KernelLevel.supported {
      #expect(Int(nd_argmax_with(level.table, values, Int64(count))) == expected, "\(level)")
    }
  }
}
