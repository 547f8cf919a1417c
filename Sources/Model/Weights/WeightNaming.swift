/// The logical weights of a decoder-only transformer.
public enum WeightRole: String, Sendable, CaseIterable {
  case embedding, finalNorm, lmHead
  case attentionNorm, q, k, v, o, qNorm, kNorm, qBias, kBias, vBias
  case ffnNorm, gate, up, down
}

/// How each file format names the logical weights.
public enum WeightNaming: Sendable {
  /// `model.layers.N.self_attn.q_proj.weight`, …
  case huggingFace
  /// llama.cpp's `blk.N.attn_q.weight`, …
  case gguf

  public func name(_ role: WeightRole, layer: Int? = nil) -> String {
    switch self {
    case .huggingFace:
      let p = "model.layers.\(layer ?? 0)."
      switch role {
      case .embedding: return "model.embed_tokens.weight"
      case .finalNorm: return "model.norm.weight"
      case .lmHead: return "lm_head.weight"
      case .attentionNorm: return p + "input_layernorm.weight"
      case .q: return p + "self_attn.q_proj.weight"
      case .k: return p + "self_attn.k_proj.weight"
      case .v: return p + "self_attn.v_proj.weight"
      case .o: return p + "self_attn.o_proj.weight"
      case .qNorm: return p + "self_attn.q_norm.weight"
      case .kNorm: return p + "self_attn.k_norm.weight"
      case .qBias: return p + "self_attn.q_proj.bias"
      case .kBias: return p + "self_attn.k_proj.bias"
      case .vBias: return p + "self_attn.v_proj.bias"
      case .ffnNorm: return p + "post_attention_layernorm.weight"
      case .gate: return p + "mlp.gate_proj.weight"
      case .up: return p + "mlp.up_proj.weight"
      case .down: return p + "mlp.down_proj.weight"
      }
    case .gguf:
      let p = "blk.\(layer ?? 0)."
      switch role {
      case .embedding: return "token_embd.weight"
      case .finalNorm: return "output_norm.weight"
      case .lmHead: return "output.weight"
      case .attentionNorm: return p + "attn_norm.weight"
      case .q: return p + "attn_q.weight"
      case .k: return p + "attn_k.weight"
      case .v: return p + "attn_v.weight"
      case .o: return p + "attn_output.weight"
      case .qNorm: return p + "attn_q_norm.weight"
      case .kNorm: return p + "attn_k_norm.weight"
      case .qBias: return p + "attn_q.bias"
      case .kBias: return p + "attn_k.bias"
      case .vBias: return p + "attn_v.bias"
      case .ffnNorm: return p + "ffn_norm.weight"
      case .gate: return p + "ffn_gate.weight"
      case .up: return p + "ffn_up.weight"
      case .down: return p + "ffn_down.weight"
      }
    }
  }
}
