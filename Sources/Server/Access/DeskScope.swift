import NightdeskQueue

/// Where a desk's work goes in the queue. Today a desk is what `submit --desk` sets:
/// the jobs' `desk` field in the shared queue; the API's own files and batches are
/// kept per desk apart from that. Kept in one place so that per-desk key prefixes can
/// replace it.
enum DeskScope {
  static let defaultDesk = "default"

  /// The queue's desk for an API desk (the jobs' `desk`, as `submit --desk` sets it).
  static func queueDesk(_ desk: String) -> String { desk }

  /// The job defaults a desk's batch is queued with.
  static func jobDefaults(desk: String, deadline: Double?) -> JobDefaults {
    JobDefaults(priority: .normal, desk: queueDesk(desk), deadline: deadline)
  }

  static func isValidDesk(_ desk: String) -> Bool {
    !desk.isEmpty && desk.utf8.count <= 64
      && desk.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
  }
}
