import NightdeskIngest
import NightdeskStructured

/// A job type's token limits against its output schema: every request of `submit --type`
/// asks for the schema, so a `max_tokens` below the bytes of its shortest valid document
/// could not be made to close (a token writes at least one byte). Refused before anything
/// is read or queued, as `submit` and `serve` refuse such a request line.
enum JobTypeBudget {
  struct TooSmall: Error, CustomStringConvertible {
    var description: String
  }

  static func check(_ type: JobType) throws {
    let schema: StructuredSchema
    do { schema = try StructuredSchema.compile(type.outputSchema.json) } catch {
      throw TooSmall(description: "\(type.file): output_schema: \(error)")
    }
    let limits = [("limits.max_tokens", type.limits.maxTokens, "a chunk's answer"),
                  ("limits.synthesis_max_tokens", type.limits.synthesisMaxTokens, "the synthesis")]
    for (field, maxTokens, what) in limits where maxTokens < schema.shortestDocument {
      throw TooSmall(description:
        "\(type.file): \(field) is \(maxTokens), below \(schema.shortestDocument), the length in bytes of the shortest "
          + "document the \(type.name) output_schema allows: \(what) could not be sure to close within max_tokens; "
          + "raise \(field) to \(schema.shortestDocument) or more")
    }
  }
}
