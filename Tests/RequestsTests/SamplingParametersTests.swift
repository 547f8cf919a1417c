import NightdeskRequests
import NightdeskSupport
import Testing

@Suite struct SamplingParametersTests {
  @Test func validationNamesTheField() {
    #expect(throws: RequestError.self) { try SamplingParameters(topP: 0).validate() }
    do {
      try SamplingParameters(temperature: -1).validate()
      Issue.record("negative temperature accepted")
    } catch {
      #expect(error.description.contains("temperature"))
    }
  }
  /// One set of limits, the OpenAI API's, wherever the parameters come from.
  @Test func limitsAreTheOpenAIOnes() throws {
    #expect(throws: Never.self) { try SamplingParameters(temperature: 2, topP: 1, presencePenalty: -2).validate() }
    for bad in [SamplingParameters(temperature: 2.5), SamplingParameters(frequencyPenalty: 2.1), SamplingParameters(logprobs: 21),
                SamplingParameters(stopStrings: ["a", "b", "c", "d", "e"])] {
      #expect(throws: RequestError.self) { try bad.validate() }
    }
    do {
      _ = try SamplingParameters(json: JSONObject(["temperature": .int(3)]), at: "job.requests[0]")
      Issue.record("temperature 3 accepted")
    } catch {
      #expect(error.description == "job.requests[0].temperature is 3.0; it must be in 0...2")
    }
  }

  /// Fields beyond OpenAI's five are stored only when set, so a plain request's
  /// stored JSON is what it always was; a set one reads back equal.
  @Test func jsonWritesOnlyWhatIsSetAndReadsBack() throws {
    let plain = SamplingParameters(temperature: 0.7, seed: 5, maxTokens: 20)
    #expect(plain.json.objectValue?.pairs.map { $0.0 } == ["temperature", "top_p", "seed", "max_tokens"])
    let rich = SamplingParameters(temperature: 0.5, topK: 40, minP: 0.05, repetitionPenalty: 1.1, seed: 9,
                                  stopStrings: ["END"], stopTokenIDs: [7], ignoreEOS: true, logprobs: 3)
    #expect(try SamplingParameters(json: rich.json.objectValue ?? JSONObject()) == rich)
  }
}
