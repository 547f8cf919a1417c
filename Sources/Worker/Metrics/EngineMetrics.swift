import Metrics
import NightdeskEngine
import NightdeskSupport

/// The engine's figures as metrics, from its step observer (on the step thread, so
/// kept to a few counter updates): tokens (counters, so a rate is tokens per
/// second), the batch each step ran, step latency, KV blocks in use, the prefix cache's
/// hit ratio and preemptions.
public enum EngineMetrics {
  public static func observe(_ engine: Engine) {
    let promptTokens = Counter(label: "nightdesk_prompt_tokens_total")
    let generatedTokens = Counter(label: "nightdesk_generated_tokens_total")
    let reusedTokens = Counter(label: "nightdesk_prefix_reused_tokens_total")
    let preemptions = Counter(label: "nightdesk_engine_preemptions_total")
    let batchSequences = Gauge(label: "nightdesk_engine_batch_sequences")
    let batchTokens = Gauge(label: "nightdesk_engine_batch_tokens")
    let stepLatency = Timer(label: "nightdesk_engine_step_seconds")
    let kvBlocksUsed = Gauge(label: "nightdesk_kv_blocks_used")
    let kvBlocksTotal = Gauge(label: "nightdesk_kv_blocks_total")
    let prefixHitRatio = Gauge(label: "nightdesk_prefix_cache_hit_ratio")
    kvBlocksTotal.record(engine.statistics.kvBlockCount)
    let last = LockedValue(engine.statistics)
    engine.observeSteps { [engine] step in
      let totals = engine.statistics
      let previous = last.withLock { value in
        defer { value = totals }
        return value
      }
      promptTokens.increment(by: max(0, totals.promptTokens - previous.promptTokens))
      generatedTokens.increment(by: max(0, totals.generatedTokens - previous.generatedTokens))
      reusedTokens.increment(by: max(0, totals.prefixReusedTokens - previous.prefixReusedTokens))
      preemptions.increment(by: max(0, totals.preemptions - previous.preemptions))
      batchSequences.record(step.sequences)
      batchTokens.record(step.prefillTokens + step.decodeTokens)
      stepLatency.recordNanoseconds(Int64(step.stepSeconds * 1e9))
      kvBlocksUsed.record(step.kvBlocksUsed)
      prefixHitRatio.record(totals.prefixHitRatio)
    }
  }
}
