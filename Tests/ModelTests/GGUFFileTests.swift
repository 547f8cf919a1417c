import Foundation
import Testing
@testable import NightdeskModel
import NightdeskTestSupport

@Suite struct GGUFFileTests {
  static let qwen3TinyURL = TestPaths.fixture("qwen3-tiny/qwen3-tiny-Q8_0.gguf")

  @Test func qwen3TinyMetadataMatchesTheFixtureReadme() throws {
    let started = Date()
    let gguf = try GGUFFile(url: Self.qwen3TinyURL)
    let parseSeconds = Date().timeIntervalSince(started)
    print("qwen3-tiny GGUF header parsed in \(Int(parseSeconds * 1000)) ms")
    #expect(gguf.version == 3)
    #expect(try gguf.string("general.architecture") == "qwen3")
    #expect(try gguf.int("qwen3.block_count") == 3)
    #expect(try gguf.int("qwen3.context_length") == 40960)
    #expect(try gguf.int("qwen3.embedding_length") == 64)
    #expect(try gguf.int("qwen3.feed_forward_length") == 192)
    #expect(try gguf.int("qwen3.attention.head_count") == 4)
    #expect(try gguf.int("qwen3.attention.head_count_kv") == 2)
    #expect(try gguf.int("qwen3.attention.key_length") == 32)
    #expect(try gguf.int("qwen3.attention.value_length") == 32)
    #expect(try gguf.float("qwen3.rope.freq_base") == 1e6)
    #expect(try gguf.float("qwen3.attention.layer_norm_rms_epsilon") == Double(Float(1e-6)))
    #expect(try gguf.int("general.file_type") == 7)
    #expect(try gguf.string("tokenizer.ggml.model") == "gpt2")
    #expect(try gguf.string("tokenizer.ggml.pre") == "qwen2")
    #expect(try gguf.int("tokenizer.ggml.bos_token_id") == 151643)
    #expect(try gguf.int("tokenizer.ggml.eos_token_id") == 151645)
    #expect(try gguf.int("tokenizer.ggml.padding_token_id") == 151643)
    #expect(try gguf.bool("tokenizer.ggml.add_bos_token") == false)
    #expect(try gguf.string("tokenizer.chat_template")?.contains("<|im_start|>") == true)

    let tokens = try #require(try gguf.stringArray("tokenizer.ggml.tokens"))
    #expect(tokens.count == 151936)
    #expect(tokens[151644] == "<|im_start|>")
    #expect(tokens[151669] == "[PAD151669]")
    let types = try #require(try gguf.intArray("tokenizer.ggml.token_type"))
    #expect(types.count == 151936)
    #expect(types.filter { $0 == 3 }.count == 20)
    #expect(types.filter { $0 == 4 }.count == 6)
    #expect(types.filter { $0 == 5 }.count == 267)
    #expect(try gguf.stringArray("tokenizer.ggml.merges")?.count == 151387)
    // Wrong-type access is an error naming the key, not a crash or a nil.
    #expect(throws: ModelFileError.self) { try gguf.int("general.architecture") }
    #expect(try gguf.string("no.such.key") == nil)

    #expect(gguf.tensorInfos.count == 35)
    #expect(!gguf.hasTensor("output.weight"))
    let embedding = try gguf.tensor(named: "token_embd.weight")
    #expect(embedding.type == .q8_0)
    #expect(embedding.shape == [151936, 64])
    #expect(embedding.data.count == 151936 * 2 * 34)
    let q = try gguf.tensor(named: "blk.0.attn_q.weight")
    #expect(q.type == .q8_0 && q.shape == [128, 64])
    let o = try gguf.tensor(named: "blk.2.attn_output.weight")
    #expect(o.shape == [64, 128])
    let qNorm = try gguf.tensor(named: "blk.1.attn_q_norm.weight")
    #expect(qNorm.type == .f32 && qNorm.shape == [32])
    #expect(try gguf.tensor(named: "output_norm.weight").shape == [64])
    #expect(gguf.dataOffset % gguf.alignment == 0)
  }

  @Test func smolLM2MetadataMatchesTheFixtureReadme() throws {
    let url = try TestPaths.requireSmolLM2()
    let started = Date()
    let gguf = try GGUFFile(url: url)
    print("SmolLM2 GGUF header parsed in \(Int(Date().timeIntervalSince(started) * 1000)) ms")
    #expect(try gguf.string("general.architecture") == "llama")
    #expect(try gguf.int("llama.block_count") == 30)
    #expect(try gguf.int("llama.embedding_length") == 576)
    #expect(try gguf.int("llama.feed_forward_length") == 1536)
    #expect(try gguf.int("llama.attention.head_count") == 9)
    #expect(try gguf.int("llama.attention.head_count_kv") == 3)
    #expect(try gguf.float("llama.rope.freq_base") == 100000)
    #expect(try gguf.int("llama.rope.dimension_count") == 64)
    #expect(try gguf.float("llama.attention.layer_norm_rms_epsilon") == Double(Float(1e-5)))
    #expect(try gguf.int("llama.context_length") == 8192)
    #expect(try gguf.string("tokenizer.ggml.pre") == "smollm")
    #expect(try gguf.stringArray("tokenizer.ggml.tokens")?.count == 49152)
    #expect(try gguf.int("tokenizer.ggml.eos_token_id") == 2)
    #expect(!gguf.hasTensor("output.weight"))
    let embedding = try gguf.tensor(named: "token_embd.weight")
    #expect(embedding.type == .q8_0 && embedding.shape == [49152, 576])
    let q = try gguf.tensor(named: "blk.0.attn_q.weight")
    #expect(q.type == .q4_1 && q.shape == [576, 576])
    let k = try gguf.tensor(named: "blk.29.attn_k.weight")
    #expect(k.type == .q4_1 && k.shape == [192, 576])
    #expect(try gguf.tensor(named: "blk.0.ffn_down.weight").shape == [576, 1536])
    #expect(try gguf.tensor(named: "blk.0.attn_norm.weight").type == .f32)
    #expect(throws: ModelFileError.self) { try gguf.tensor(named: "blk.30.attn_q.weight") }
  }
}
