import NightdeskRequests

extension StructuredSchema {
  /// Refuses a request whose `response_format` schema the compiler refuses, naming the
  /// keyword (`unsupported schema keyword "pattern" at $.properties.id`), so that such a
  /// request is sent back at submit rather than failing in the night.
  public static func check(_ request: ChatRequest) throws(SchemaError) {
    guard let schema = request.responseFormat?.schema else { return }
    _ = try compile(schema)
  }
}
