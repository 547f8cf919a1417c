import NightdeskTokenizer
import Testing

@Suite struct ThinkingSplitTests {
  @Test func aThinkBlockIsKeptApartFromTheAnswer() {
    let split = ThinkingSplit(generated: "<think>\nRevenue rose; check units.\n</think>\n\nRevenue was $4.2bn.")
    #expect(split == ThinkingSplit(reasoning: "Revenue rose; check units.", answer: "Revenue was $4.2bn."))
  }

  @Test func anAnswerWithoutABlockIsTheAnswer() {
    #expect(ThinkingSplit(generated: "Plain answer.\n") == ThinkingSplit(reasoning: nil, answer: "Plain answer.\n"))
    // An answer that merely mentions the tags later is not reasoning.
    let quoted = "Use <think> tags like <think>x</think>."
    #expect(ThinkingSplit(generated: quoted).answer == quoted)
  }

  @Test func aGenerationCutInsideTheBlockHasNoAnswer() {
    #expect(ThinkingSplit(generated: "<think>\nStill thinking") == ThinkingSplit(reasoning: "Still thinking", answer: ""))
  }

  @Test func aBlockThePromptOpenedEndsAtTheFirstClose() {
    #expect(ThinkingSplit(generated: "steps\n</think>\n\nanswer") == ThinkingSplit(reasoning: "steps", answer: "answer"))
  }

  @Test func anEmptyBlockGivesAnEmptyReasoning() {
    #expect(ThinkingSplit(generated: "<think>\n\n</think>\n\nok") == ThinkingSplit(reasoning: "", answer: "ok"))
  }
}
