/// How a log line is written: `text` for a person at a terminal, `json` for a log
/// collector (one object per line).
public enum LogFormat: String, Sendable, CaseIterable {
  case text
  case json
}
