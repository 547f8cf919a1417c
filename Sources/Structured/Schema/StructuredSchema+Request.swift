import NightdeskRequests

extension StructuredSchema {
  /// Refuses a request whose `response_format` schema the compiler refuses, naming the
  /// keyword (`unsupported schema keyword "pattern" at $.properties.id`), so that such a
  /// request is sent back at submit rather than failing in the night; and one whose
  /// `max_tokens` is below the schema's shortest document (`checkBudget`).
  public static func check(_ request: ChatRequest) throws(SchemaError) {
    guard let schema = request.responseFormat?.schema else { return }
    try compile(schema).checkBudget(maxTokens: request.sampling.maxTokens)
  }

  /// Refuses a budget that could not close even the shortest valid document: every
  /// budget at least `shortestDocument` ends schema-valid under the engine's mask.
  public func checkBudget(maxTokens: Int) throws(SchemaError) {
    guard maxTokens >= shortestDocument else {
      throw SchemaError(code: .budgetTooSmall(maxTokens: maxTokens, shortest: shortestDocument), path: "$", message: "")
    }
  }
}
