import NightdeskObservability
import Testing

@Suite struct LogRedactionTests {
  @Test func passwordsInURLsNeverReachALogLine() {
    #expect(LogRedaction.redact("connecting to redis://:s3cret@db:6379/0 failed")
            == "connecting to redis://:***@db:6379/0 failed")
    #expect(LogRedaction.redact("redis://user:p@ss/w@host:1/2") == "redis://user:***@host:1/2")
    #expect(LogRedaction.redact("unix:///tmp/r.sock?db=2&password=hunter2&user=u")
            == "unix:///tmp/r.sock?db=2&password=***&user=u")
    #expect(LogRedaction.redact("redis://db.internal:6379/0 and a@b") == "redis://db.internal:6379/0 and a@b")
    #expect(LogRedaction.redact("plain text") == "plain text")
  }
}
