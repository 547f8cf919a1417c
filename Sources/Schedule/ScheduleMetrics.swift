import Foundation
import Metrics

/// What the scheduler counts per entry, through swift-metrics (served as Prometheus text
/// by `schedule --metrics-port`; no-ops when no backend was chosen). Counters are totals
/// since the scheduler started; the last run is a Unix time, so an alert can ask how
/// long ago an entry last ran.
struct ScheduleMetrics {
  /// Records one entry's finished pass (a pass stopped halfway counts its articles, not a run).
  static func record(_ report: PassReport, at date: Date) {
    let entry = [("entry", report.entry)]
    if !report.stopped {
      Counter(label: "nightdesk_schedule_runs_total", dimensions: entry).increment()
      Gauge(label: "nightdesk_schedule_last_run_timestamp_seconds", dimensions: entry).record(date.timeIntervalSince1970)
    }
    Counter(label: "nightdesk_schedule_articles_queued_total", dimensions: entry).increment(by: report.queuedArticles)
    Counter(label: "nightdesk_schedule_jobs_queued_total", dimensions: entry).increment(by: report.queuedJobs)
    Counter(label: "nightdesk_schedule_articles_seen_total", dimensions: entry).increment(by: report.seenArticles)
    Counter(label: "nightdesk_schedule_errors_total", dimensions: entry).increment(by: report.errors.count)
  }

  /// A pass that could not run at all (Redis away): counted apart from an entry's errors.
  static func recordFailedPass() {
    Counter(label: "nightdesk_schedule_failed_passes_total").increment()
  }
}
