import ArgumentParser
import NightdeskQueue

/// `--max-document-bytes`, `--max-job-tokens`, `--max-batch-jobs`, `--max-batches-in-flight`:
/// a desk's limits, checked at submit.
struct DeskLimitOptions: ParsableArguments {
  @Option(help: ArgumentHelp("Bytes of text a document may have (a job's longest prompt; a --type document's chunks added up).", valueName: "n"))
  var maxDocumentBytes: Int?
  @Option(help: ArgumentHelp("Tokens a job may ask to generate (its requests' max_tokens added up).", valueName: "n"))
  var maxJobTokens: Int?
  @Option(help: ArgumentHelp("Jobs one submission may queue.", valueName: "n"))
  var maxBatchJobs: Int?
  @Option(help: ArgumentHelp("Unfinished batches the desk may have at once.", valueName: "n"))
  var maxBatchesInFlight: Int?

  var limits: DeskLimits {
    DeskLimits(maxDocumentBytes: maxDocumentBytes, maxJobTokens: maxJobTokens, maxBatchJobs: maxBatchJobs,
               maxBatchesInFlight: maxBatchesInFlight)
  }

  func validate() throws {
    for (name, value) in zip(DeskLimits.fields, [maxDocumentBytes, maxJobTokens, maxBatchJobs, maxBatchesInFlight]) {
      if let value, value < 1 {
        throw ValidationError("--\(name.replacingOccurrences(of: "_", with: "-")) must be at least 1 (got \(value))")
      }
    }
  }
}
