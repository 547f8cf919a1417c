import NightdeskQueue
import NightdeskSupport

/// The models a batch's lines must fit: `serve --model`, else those the queue's workers
/// registered (as `submit` checks), read again for each batch since workers come and go.
/// A registered model is opened once per file and tokenizer, not once per batch.
final class ModelContexts: Sendable {
  private let fixed: [ContextFit]?
  /// By path, context and tokenizer digest; nil where the file is not here or differs.
  private let opened = LockedValue<[String: ContextFit?]>([:])

  init(fixed: ContextFit?) {
    self.fixed = fixed.map { [$0] }
  }

  func fits(_ client: QueueClient) throws -> [ContextFit] {
    if let fixed { return fixed }
    var seenPaths = Set<String>()
    return try client.registeredModels().filter { seenPaths.insert($0.path).inserted }.compactMap { registration in
      let key = "\(registration.path)\n\(registration.contextLength)\n\(registration.tokenizerDigest)"
      if let known = opened.withLock({ $0[key] }) { return known }
      let fit = ContextFit.matching(registration)
      opened.withLock { $0[key] = fit }
      return fit
    }
  }
}
