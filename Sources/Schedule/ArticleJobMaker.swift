import NightdeskIngest
import NightdeskQueue

/// Turns one article into its jobs, the way `submit --type` does (chunk jobs and a
/// synthesis job, one map-reduce group). The command supplies it: chunking needs the
/// model's tokenizer, which this module does not load.
public protocol ArticleJobMaker {
  /// The jobs of `document` in the group `group`; throws with the reason when the
  /// article cannot be submitted (more chunks than the job type allows).
  func jobs(for document: Document, group: String) throws -> [JobSpec]
}
