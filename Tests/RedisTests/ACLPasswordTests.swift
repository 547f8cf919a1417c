import NightdeskRedis
import NightdeskTestSupport
import Testing

/// ACL password hashes (`#<sha256>`): FIPS 180-4's vectors, and Redis itself accepting the
/// password behind a hash it was given.
@Suite struct ACLPasswordTests {
  @Test func hashesMatchTheStandardVectors() {
    #expect(ACLPassword.hashRule("abc") == "#ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(ACLPassword.hashRule("") == "#e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    // Several blocks.
    #expect(ACLPassword.hashRule(String(repeating: "a", count: 1000))
      == "#41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
  }

  @Test func redisLetsInTheUserWhosePasswordWasGivenAsAHash() throws {
    let server = try RedisServerProcess()
    let admin = try RedisConnection(url: server.url)
    let password = "pw-" + String(repeating: "x", count: 70)
    _ = try admin.command("ACL", "SETUSER", "hashed", "on", ACLPassword.hashRule(password), "~*", "+@all")
    #expect(try admin.command("AUTH", "hashed", password).string == "OK")
  }
}
