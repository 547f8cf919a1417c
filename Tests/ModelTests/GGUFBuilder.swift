import Foundation

/// Writes small GGUF files byte by byte, so tests can make precise corruptions
/// (a string length past the end, an absurd array count) and synthetic models
/// of architectures we have no fixture for.
struct GGUFBuilder {
  enum Value {
    case u32(UInt32)
    case u64(UInt64)
    case i32(Int32)
    case f32(Float)
    case bool(Bool)
    case string(String)
    case strings([String])
    case i32s([Int32])
    /// An array header with any element type and count, followed by `bytes` as is.
    case rawArray(elementType: UInt32, count: UInt64, bytes: [UInt8])
  }

  struct Tensor {
    var name: String
    /// GGUF order: fastest-varying first.
    var ne: [UInt64]
    var ggmlType: UInt32
    var data: [UInt8]
  }

  var version: UInt32 = 3
  var metadata: [(String, Value)] = []
  var tensors: [Tensor] = []
  var alignment = 32

  /// Byte offsets recorded while building, for targeted corruption.
  struct Layout {
    var tensorTable = 0
    var tensorTypeFields: [String: Int] = [:]
    var tensorOffsetFields: [String: Int] = [:]
    var valueOffsets: [String: Int] = [:]
    var data = 0
  }

  /// Replaces the value of `key`, or appends it.
  mutating func set(_ key: String, _ value: Value) {
    if let i = metadata.firstIndex(where: { $0.0 == key }) { metadata[i].1 = value } else { metadata.append((key, value)) }
  }

  func build() -> (bytes: [UInt8], layout: Layout) {
    var out: [UInt8] = []
    var layout = Layout()
    func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
    func putString(_ s: String) { put(UInt64(s.utf8.count)); out += Array(s.utf8) }
    out += Array("GGUF".utf8)
    put(version)
    put(UInt64(tensors.count))
    put(UInt64(metadata.count))
    for (key, value) in metadata {
      putString(key)
      layout.valueOffsets[key] = out.count
      switch value {
      case .u32(let v): put(UInt32(4)); put(v)
      case .u64(let v): put(UInt32(10)); put(v)
      case .i32(let v): put(UInt32(5)); put(v)
      case .f32(let v): put(UInt32(6)); put(v.bitPattern)
      case .bool(let v): put(UInt32(7)); put(UInt8(v ? 1 : 0))
      case .string(let s): put(UInt32(8)); putString(s)
      case .strings(let a): put(UInt32(9)); put(UInt32(8)); put(UInt64(a.count)); a.forEach(putString)
      case .i32s(let a): put(UInt32(9)); put(UInt32(5)); put(UInt64(a.count)); a.forEach { put($0) }
      case .rawArray(let type, let count, let bytes): put(UInt32(9)); put(type); put(count); out += bytes
      }
    }
    layout.tensorTable = out.count
    var offset = 0
    var offsets: [Int] = []
    for t in tensors {
      offsets.append(offset)
      offset += (t.data.count + alignment - 1) / alignment * alignment
    }
    for (t, dataOffset) in zip(tensors, offsets) {
      putString(t.name)
      put(UInt32(t.ne.count))
      t.ne.forEach { put($0) }
      layout.tensorTypeFields[t.name] = out.count
      put(t.ggmlType)
      layout.tensorOffsetFields[t.name] = out.count
      put(UInt64(dataOffset))
    }
    while out.count % alignment != 0 { out.append(0) }
    layout.data = out.count
    for t in tensors {
      out += t.data
      while out.count % alignment != 0 { out.append(0) }
    }
    return (out, layout)
  }

  /// A complete tiny model of `architecture` with F32 weights (all zeros).
  /// `biases`: q/k/v bias tensors (qwen2 always has them), each element i holding i + 1.
  static func tinyModel(architecture: String, extra: [(String, Value)] = [], tied: Bool = true,
                        biases: Bool = false) -> GGUFBuilder {
    let hidden: UInt64 = 32, heads: UInt64 = 2, kvHeads: UInt64 = 1, headDim: UInt64 = 16, ffn: UInt64 = 64
    let vocab = ["a", "b", "c", "ab", "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>"]
    var b = GGUFBuilder()
    b.metadata = [
      ("general.architecture", .string(architecture)),
      ("\(architecture).block_count", .u32(1)),
      ("\(architecture).context_length", .u32(4096)),
      ("\(architecture).embedding_length", .u32(UInt32(hidden))),
      ("\(architecture).feed_forward_length", .u32(UInt32(ffn))),
      ("\(architecture).attention.head_count", .u32(UInt32(heads))),
      ("\(architecture).attention.head_count_kv", .u32(UInt32(kvHeads))),
      ("\(architecture).rope.freq_base", .f32(10000)),
      ("\(architecture).attention.layer_norm_rms_epsilon", .f32(1e-5)),
      ("tokenizer.ggml.model", .string("gpt2")),
      ("tokenizer.ggml.pre", .string("default")),
      ("tokenizer.ggml.tokens", .strings(vocab)),
      ("tokenizer.ggml.token_type", .i32s([1, 1, 1, 1, 3, 3, 3, 4])),
      ("tokenizer.ggml.merges", .strings(["a b"])),
      ("tokenizer.ggml.eos_token_id", .u32(6)),
    ] + extra
    func f32(_ name: String, _ ne: [UInt64]) -> Tensor {
      Tensor(name: name, ne: ne, ggmlType: 0, data: [UInt8](repeating: 0, count: 4 * Int(ne.reduce(1, *))))
    }
    let v = UInt64(vocab.count)
    b.tensors = [f32("token_embd.weight", [hidden, v]), f32("output_norm.weight", [hidden])]
    if !tied { b.tensors.append(f32("output.weight", [hidden, v])) }
    b.tensors += [
      f32("blk.0.attn_norm.weight", [hidden]),
      f32("blk.0.attn_q.weight", [hidden, heads * headDim]),
      f32("blk.0.attn_k.weight", [hidden, kvHeads * headDim]),
      f32("blk.0.attn_v.weight", [hidden, kvHeads * headDim]),
      f32("blk.0.attn_output.weight", [heads * headDim, hidden]),
      f32("blk.0.ffn_norm.weight", [hidden]),
      f32("blk.0.ffn_gate.weight", [hidden, ffn]),
      f32("blk.0.ffn_up.weight", [hidden, ffn]),
      f32("blk.0.ffn_down.weight", [ffn, hidden]),
    ]
    if architecture == "qwen2" || biases {
      func counting(_ name: String, _ count: UInt64) -> Tensor {
        Tensor(name: name, ne: [count], ggmlType: 0, data: (0..<Int(count)).flatMap { i in
          withUnsafeBytes(of: Float(i + 1).bitPattern.littleEndian) { Array($0) }
        })
      }
      b.tensors += [counting("blk.0.attn_q.bias", heads * headDim), counting("blk.0.attn_k.bias", kvHeads * headDim),
                    counting("blk.0.attn_v.bias", kvHeads * headDim)]
    }
    return b
  }
}

extension Array where Element == UInt8 {
  mutating func patch<T: FixedWidthInteger>(_ value: T, at offset: Int) {
    Swift.withUnsafeBytes(of: value.littleEndian) { bytes in
      for (i, byte) in bytes.enumerated() { self[offset + i] = byte }
    }
  }
}
