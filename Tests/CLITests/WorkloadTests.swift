import NightdeskRequests
import NightdeskSupport
import Testing
import NightdeskEngine
import NightdeskModel
import NightdeskTestSupport
@testable import NightdeskCLI

@Suite struct WorkloadTests {
  @Test func promptLinesReadInputsAndSamplingFields() throws {
    let line = try PromptLine(
      line: #"{"id": "a", "messages": [{"role": "user", "content": "hi"}], "temperature": 0.5, "stop": "END", "max_tokens": 7, "logprobs": true, "top_logprobs": 2}"#,
      number: 1, defaults: .greedy)
    #expect(line.input == .messages([.init(role: "user", content: "hi")]))
    #expect(line.sampling.temperature == 0.5 && line.sampling.maxTokens == 7 && line.sampling.logprobs == 2)
    #expect(line.sampling.stopStrings == ["END"])
    #expect(line.id == "a")
    let ids = try PromptLine(line: #"{"prompt_ids": [1, 2]}"#, number: 2, defaults: .greedy)
    #expect(ids.input == .ids([1, 2]) && ids.sampling == .greedy)
  }

  @Test(arguments: [
    (#"{"prompt": "x", "temperature": "hot"}"#, "temperature"),
    (#"{"prompt": "x", "prompt_ids": [1]}"#, "exactly one"),
    (#"{"prompt": "x", "top_p": 2}"#, "top_p"),
    (#"{"prompt_ids": [1, "b"]}"#, "prompt_ids[1]"),
    (#"[1]"#, "object"),
    (#"{"prompt": "x""#, "line 3"),
  ])
  func badLinesNameTheLineAndField(line: String, mention: String) {
    do {
      _ = try PromptLine(line: line, number: 3, defaults: .greedy)
      Issue.record("accepted \(line)")
    } catch {
      #expect(error.message.contains("line 3"))
      #expect(error.message.contains(mention), "\(error.message)")
    }
  }

  @Test func benchWorkloadSharesThePrefixAndReportsIt() async throws {
    let workload = BenchWorkload(requests: 6, prefixTokens: 24, suffixTokens: 3, generatedTokens: 5, concurrency: 4)
    let requests = workload.makeRequests(tokens: 0..<32)
    #expect(requests.count == 6 && requests.allSatisfy { $0.prompt.count == 27 })
    #expect(Set(requests.map { Array($0.prompt.prefix(24)) }).count == 1)
    #expect(Set(requests.map { Array($0.prompt.suffix(3)) }).count > 1)
    // The qwen3-tiny fixture (ids 0..<32 are ordinary tokens of its vocabulary), with the
    // small blocks and batches the engine's toy tests use.
    let model = try ModelPackage.open(TestPaths.fixture("qwen3-tiny").path).loadModel(threads: 1)
    let blockBytes = model.kvBytesPerBlock(blockSize: 4, precision: .f32)
    let engine = try Engine(
      model: model,
      configuration: EngineConfiguration(
        blockSize: 4, kvMemoryBytes: 256 * blockBytes,
        scheduler: SchedulerConfiguration(maxBatchTokens: 32, maxSequences: 8)))
    let report = try await workload.run(requests, on: engine)
    #expect(report.promptTokens == 6 * 27 && report.generatedTokens == 30)
    // The document is computed once: every request but the first reuses its 24 tokens.
    #expect(report.prefixReusedTokens == 5 * 24)
    #expect(report.json["wall_s"]?.doubleValue ?? 0 > 0)
    for key in ["prompt_tokens_per_s", "generated_tokens_per_s", "peak_rss_bytes", "kv_bytes", "decode_only_tokens_per_s"] {
      #expect(report.json[key] != nil)
    }
    // With 4 in flight, the last 2 requests prefill while others decode; the rest of
    // the decoding runs in steps without prefill, each a token per running request.
    #expect(report.decodeOnly.steps > 0 && report.decodeOnly.tokens >= report.decodeOnly.steps)
    #expect(report.decodeOnly.tokens < report.generatedTokens)
    #expect(report.decodeOnly.seconds > 0 && report.decodeOnly.seconds <= report.busySeconds)
    await engine.shutdown()
  }
}
