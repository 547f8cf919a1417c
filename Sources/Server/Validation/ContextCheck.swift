import NightdeskModel
import NightdeskRequests
import NightdeskTokenizer

/// Checks a request against the model the night runs (`serve --model`): its prompt,
/// rendered by the model's chat template, and its `max_tokens` must fit the model's
/// context. A line that cannot is refused when the batch is created, with its number,
/// instead of failing on a worker hours later.
struct ContextCheck: Sendable {
  let model: ServedModel
  let template: ChatTemplate

  init(model: ServedModel) throws {
    self.model = model
    template = try model.chatTemplate()
  }

  func check(_ request: ChatRequest) throws(RequestError) {
    let prompt: [Int32]
    do {
      prompt = try model.promptIDs(for: request.messages, template: template, enableThinking: request.enableThinking)
    } catch {
      throw RequestError("body.messages", "cannot be rendered for \(model.package.name): \(error)")
    }
    let context = model.config.maxPositions
    guard prompt.count + request.sampling.maxTokens <= context else {
      throw RequestError(
        "body.messages",
        "the prompt is \(prompt.count) tokens and max_tokens \(request.sampling.maxTokens); together they exceed "
          + "the context of \(model.package.name) (\(context) tokens)")
    }
  }
}
