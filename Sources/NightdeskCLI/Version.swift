/// The release `nightdesk --version` names: the one place the version lives, raised
/// with each release (operators compare it across workers before and after an upgrade).
enum NightdeskVersion {
  static let number = "0.6.0"
  /// What `--version` prints: `nightdesk 0.6.0`.
  static var line: String { "nightdesk \(number)" }
}
