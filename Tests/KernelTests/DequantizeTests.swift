import NightdeskSupport
import Foundation
import Testing
import NightdeskKernels
@testable import NightdeskModel
import NightdeskTestSupport

/// Every GGUF block type against the `gguf` package's reference dequantizers
/// (Tests/Fixtures/quants), bit for bit; SIMD against scalar, bit for bit.
@Suite struct DequantizeTests {
  struct QuantFixture {
    let type: TensorType
    let blocks: Int
    let bytes: [UInt8]
    let expected: [Float]
  }

  static func fixture(_ type: TensorType) throws -> QuantFixture {
    let dir = TestPaths.fixture("quants")
    let index = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("index.json")))
    let entry = try #require(((index as? [String: Any])?["types"] as? [String: Any])?[type.rawValue] as? [String: Any])
    #expect(entry["block_elements"] as? Int == type.blockElements)
    #expect(entry["block_bytes"] as? Int == type.blockBytes)
    let blocks = try #require(entry["blocks"] as? Int)
    let bytes = [UInt8](try Data(contentsOf: dir.appendingPathComponent("\(type.rawValue).bin")))
    let f32 = try Data(contentsOf: dir.appendingPathComponent("\(type.rawValue).f32"))
    #expect(bytes.count == blocks * type.blockBytes)
    #expect(f32.count == blocks * type.blockElements * 4)
    let expected = f32.withUnsafeBytes { raw in
      (0..<(f32.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
    }
    return QuantFixture(type: type, blocks: blocks, bytes: bytes, expected: expected)
  }

  static let fixtureTypes = TensorType.allCases.filter { $0 != .f32 }

  /// Every kernel level this machine can run, named for messages.
  static var implementations: [(String, KernelLevel)] { KernelLevel.supported.map { ($0.name, $0) } }

  static func mismatches(_ a: [Float], _ b: [Float]) -> [Int] {
    zip(a, b).enumerated().filter { $0.element.0.bitPattern != $0.element.1.bitPattern }.map(\.offset)
  }

  @Test(arguments: fixtureTypes)
  func dequantizationIsBitIdenticalToTheReference(_ type: TensorType) throws {
    let fx = try Self.fixture(type)
    let n = fx.expected.count
    for (label, implementation) in Self.implementations {
      var out = [Float](repeating: .nan, count: n)
      fx.bytes.withUnsafeBytes { src in
        out.withUnsafeMutableBufferPointer { QuantKernels(type, level: implementation).dequantize(src.baseAddress, $0.baseAddress, Int64(n)) }
      }
      let bad = Self.mismatches(out, fx.expected)
      let badCount = bad.count
      #expect(badCount == 0, "\(type) \(label): \(bad.count) of \(n) values differ, first at \(bad.first ?? -1): \(bad.first.map { "\(out[$0]) vs \(fx.expected[$0])" } ?? "")")
    }
  }

  @Test(arguments: fixtureTypes)
  func tensorViewRowsMatchTheReference(_ type: TensorType) throws {
    let fx = try Self.fixture(type)
    let rows = 4
    let columns = fx.expected.count / rows
    try fx.bytes.withUnsafeBytes { src in
      let view = TensorView(name: "fixture.\(type.rawValue)", type: type, shape: [rows, columns], data: src)
      #expect(view.rowBytes * rows == fx.bytes.count)
      #expect(view.dequantizedRow(2) == Array(fx.expected[(2 * columns)..<(3 * columns)]))
      var out = [Float](repeating: .nan, count: 2 * columns)
      out.withUnsafeMutableBufferPointer { view.dequantizeRows(1..<3, into: $0) }
      let badCount = Self.mismatches(out, Array(fx.expected[columns..<(3 * columns)])).count
      #expect(badCount == 0)
      // The fused dot product against the dequantized row, in double precision.
      let x = (0..<columns).map { Float(sin(Double($0) * 0.37)) }
      let row = try #require(Optional(Array(fx.expected[(3 * columns)..<(4 * columns)])))
      let exact = zip(row, x).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
      let magnitude = zip(row, x).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
      let fused = x.withUnsafeBufferPointer { view.dot(row: 3, $0) }
      #expect(abs(Double(fused) - exact) <= 1e-5 * magnitude + 1e-30, "\(type): dot \(fused) vs \(exact)")
    }
  }

  /// The documented order, spelled out in Swift over the dequantized row: lane
  /// i % 16, fused multiply-adds in increasing i, zero padding, pairwise tree.
  static func fixedOrderDot(_ w: [Float], _ x: [Float]) -> Float {
    var lanes = [Float](repeating: 0, count: 16)
    let padded = (w.count + 15) / 16 * 16
    for i in 0..<padded {
      let (a, b) = i < w.count ? (w[i], x[i]) : (0, 0)
      lanes[i % 16] = lanes[i % 16].addingProduct(a, b)
    }
    var width = 8
    while width >= 1 {
      for l in 0..<width { lanes[l] = lanes[l] + lanes[l + width] }
      width /= 2
    }
    return lanes[0]
  }

  @Test(arguments: TensorType.allCases)
  func dotsFollowTheFixedOrderInEveryImplementation(_ type: TensorType) throws {
    var generator = SplitMix64(seed: 0x5EED &+ UInt64(type.blockBytes))
    let lengths = type.isQuantized ? [type.blockElements, 3 * type.blockElements]
                                   : [1, 5, 16, 17, 63, 64, 65, 200, 576]
    let scalar = QuantKernels(type, level: .generic)
    let all = Self.implementations.map { QuantKernels(type, level: $0.1) }
    for n in lengths {
      let rows = 11  // a full group of eight (or two of four) interleaved rows plus a remainder
      let rowBytes = n / type.blockElements * type.blockBytes
      let bytes = Self.withFiniteScales((0..<(rows * rowBytes)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }, type)
      let x = (0..<n).map { _ in Float(Double(generator.next() % 2001) / 1000 - 1) }
      var mismatches: [String] = []
      bytes.withUnsafeBytes { w in
        x.withUnsafeBufferPointer { xs in
          let matvecs = all.map { kernels in
            var y = [Float](repeating: .nan, count: rows)
            y.withUnsafeMutableBufferPointer { kernels.matvec(w.baseAddress, Int64(rowBytes), Int64(rows), xs.baseAddress, Int64(n), $0.baseAddress) }
            return y
          }
          for r in 0..<rows {
            let row = w.baseAddress! + r * rowBytes
            var dequantized = [Float](repeating: 0, count: n)
            dequantized.withUnsafeMutableBufferPointer { scalar.dequantize(row, $0.baseAddress, Int64(n)) }
            let expected = Self.fixedOrderDot(dequantized, x)
            // The forward pass's f32 product must agree, so decode (fused) and prefill (tiles) match.
            let forward = nd_dot_fixed(dequantized, xs.baseAddress, Int64(n))
            if forward.bitPattern != expected.bitPattern {
              mismatches.append("n=\(n) row \(r): nd_dot_fixed \(forward) vs \(expected)")
            }
            let results = all.map { $0.dot(row, xs.baseAddress, Int64(n)) } + matvecs.map { $0[r] }
            if !expected.isFinite || results.contains(where: { $0.bitPattern != expected.bitPattern }) {
              mismatches.append("n=\(n) row \(r): expected \(expected), got \(results)")
            }
          }
        }
      }
      #expect(mismatches.isEmpty, "\(type): \(mismatches.prefix(3))")
    }
  }

  @Test(arguments: KernelLevel.supported)
  func f16ConversionIsExactForEveryHalf(level: KernelLevel) {
    var halves = (0..<65536).map { UInt16($0) }
    var simd = [Float](repeating: 0, count: 65536)
    var scalar = simd
    halves.withUnsafeMutableBytes { src in
      simd.withUnsafeMutableBufferPointer { QuantKernels(.f16, level: level).dequantize(src.baseAddress, $0.baseAddress, 65536) }
      scalar.withUnsafeMutableBufferPointer { nd_dequantize_row_f16_ref(src.baseAddress, $0.baseAddress, 65536) }
    }
    var wrong = 0
    for h in 0..<65536 {
      let expected = Float(Float16(bitPattern: UInt16(h)))
      for value in [simd[h], scalar[h], nd_f16_to_f32(UInt16(h))] {
        let ok = expected.isNaN ? value.isNaN : value.bitPattern == expected.bitPattern
        if !ok { wrong += 1 }
      }
    }
    #expect(wrong == 0)
    #expect(nd_f16_to_f32(0x0001) == 0x1p-24)  // smallest subnormal
    #expect(nd_f16_to_f32(0x83FF) == -1023 * 0x1p-24)  // largest negative subnormal
  }

  /// Random blocks with their f16 scale fields replaced by small finite values,
  /// so the dot products stay finite (as in the fixtures).
  static func withFiniteScales(_ bytes: [UInt8], _ type: TensorType) -> [UInt8] {
    let scaleOffsets: [Int]
    switch type {
    case .f32, .f16, .bf16: return bytes.enumerated().map { i, b in
      // Clear the top exponent bits of each element (no inf/NaN, moderate magnitude).
      let width = type == .f32 ? 4 : 2
      return i % width == width - 1 ? b & 0x3F : b
    }
    case .q4_0, .q5_0, .q8_0: scaleOffsets = [0]
    case .q4_1, .q5_1, .q4_K, .q5_K: scaleOffsets = [0, 2]
    case .q6_K: scaleOffsets = [208]
    }
    var out = bytes
    for block in 0..<(bytes.count / type.blockBytes) {
      for offset in scaleOffsets {
        let i = block * type.blockBytes + offset
        out[i + 1] &= 0x1F  // exponent <= 7: |scale| < 2^-8
      }
    }
    return out
  }
}
