import Foundation
import NightdeskQueue
import NightdeskSupport
import NightdeskTestSupport
import Testing

/// Two desks on one real redis-server with ACLs: `desk create --apply` makes each desk's
/// users, and desk A's producer can neither read, cancel nor retry desk B's jobs; Redis
/// refuses it and nightdesk names the desk and the operation.
@Suite(.serialized) struct DeskIsolationTests {
  static let adminPassword = "admin-\(UInt64.random(in: 0...UInt64.max))"

  struct Desks {
    let server: RedisServerProcess
    let folder: URL

    var address: String { "127.0.0.1:\(server.port ?? 0)" }

    /// `nightdesk ARGUMENTS` as `user` (its password from the desk's file) on `queue`.
    func run(as user: String, desk: String, queue: String, _ arguments: [String]) async throws -> NightdeskBinary.Outcome {
      try await NightdeskBinary.run(arguments + ["--queue", queue], environment: [
        "NIGHTDESK_REDIS_URL": "redis://\(user)@\(address)/0",
        "NIGHTDESK_REDIS_PASSWORD_FILE": folder.appendingPathComponent(desk).appendingPathComponent("\(user).password").path,
      ])
    }

    func admin(_ arguments: [String]) async throws -> NightdeskBinary.Outcome {
      try await NightdeskBinary.run(arguments + ["--redis", "redis://\(address)/0"],
                                    environment: ["NIGHTDESK_REDIS_PASSWORD": DeskIsolationTests.adminPassword])
    }
  }

  static func makeDesks(_ names: [String]) async throws -> Desks {
    let server = try RedisServerProcess(.init(tcp: true, requirePassword: adminPassword))
    let desks = Desks(server: server, folder: try TestPaths.temporaryDirectory("desks"))
    for name in names {
      let dir = desks.folder.appendingPathComponent(name).path
      let created = try await desks.admin(["desk", "create", name, "--dir", dir, "--apply"])
      #expect(created.status == 0, "\(created.stderr)")
      #expect(created.stdout.split(separator: "\n").count == 3, "\(created.stdout)")
      #expect(created.stdout.contains("user nd-desk-\(name)-producer on #"))
      #expect(created.stdout.contains("~nd:{\(name)}:*"))
      for role in ["producer", "worker", "viewer"] {
        let path = "\(dir)/nd-desk-\(name)-\(role).password"
        let password = try String(contentsOfFile: path, encoding: .utf8)
        #expect(password.count == 64)
        // Never printed: not in the ACL lines, not in the notes.
        #expect(!created.stdout.contains(password) && !created.stderr.contains(password))
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600, "\(path) has mode \(String(mode ?? 0, radix: 8))")
      }
    }
    return desks
  }

  @Test func aDesksProducerCannotReadCancelOrRetryAnotherDesksJobs() async throws {
    let desks = try await Self.makeDesks(["a", "b"])
    let document = try TestPaths.temporaryDirectory("desk-doc").appendingPathComponent("report.txt")
    try Data("Revenue was 10.".utf8).write(to: document)
    let submitB = try await desks.run(as: "nd-desk-b-producer", desk: "b", queue: "b",
      ["submit", "--document", document.path, "--question", "Revenue?", "--json"])
    #expect(submitB.status == 0, "\(submitB.stderr)")
    let batchB = try #require(try JSONParser.parse(submitB.stdout)["batch"]?.stringValue)
    let submitA = try await desks.run(as: "nd-desk-a-producer", desk: "a", queue: "a",
      ["submit", "--document", document.path, "--question", "Revenue?", "--json"])
    #expect(submitA.status == 0, "\(submitA.stderr)")

    // Desk A's producer, pointed at desk B's queue, is refused each operation by name.
    for operation in [["results", batchB, "--format", "openai"], ["status", batchB], ["cancel", batchB], ["retry", batchB],
                      ["submit", "--document", document.path, "--question", "q?"]] {
      let outcome = try await desks.run(as: "nd-desk-a-producer", desk: "a", queue: "b", operation)
      #expect(outcome.status != 0, "\(operation[0]) of desk b's batch by desk a's producer succeeded: \(outcome.stdout)")
      #expect(outcome.stderr.contains("desk 'b' refused \(operation[0])"), "\(operation[0]): \(outcome.stderr)")
      #expect(outcome.stderr.contains("NOPERM") || outcome.stderr.contains("can't"), "\(outcome.stderr)")
    }
    // Desk B's job was not touched, and its own producer still reads it.
    let status = try await desks.run(as: "nd-desk-b-producer", desk: "b", queue: "b", ["status", batchB, "--json"])
    #expect(status.status == 0, "\(status.stderr)")
    #expect(try JSONParser.parse(status.stdout)["queued"] == .int(1), "\(status.stdout)")
    // A desk's viewer reads its own desk but cannot cancel there either.
    let viewerCancel = try await desks.run(as: "nd-desk-b-viewer", desk: "b", queue: "b", ["cancel", batchB])
    #expect(viewerCancel.status != 0 && viewerCancel.stderr.contains("desk 'b' refused cancel"), "\(viewerCancel.stderr)")
    // Desk B's worker runs desk B's job.
    let worker = try await desks.run(as: "nd-desk-b-worker", desk: "b", queue: "b", ["worker", "--echo", "--drain"])
    #expect(worker.status == 0, "\(worker.stderr)")
    let done = try await desks.run(as: "nd-desk-b-viewer", desk: "b", queue: "b", ["status", batchB, "--json"])
    #expect(try JSONParser.parse(done.stdout)["succeeded"] == .int(1), "\(done.stdout) \(done.stderr)")
  }

  @Test func creatingADeskAgainKeepsItsPasswords() async throws {
    let desks = try await Self.makeDesks(["c"])
    let dir = desks.folder.appendingPathComponent("c").path
    let before = try String(contentsOfFile: "\(dir)/nd-desk-c-worker.password", encoding: .utf8)
    let printed = try await NightdeskBinary.run(["desk", "create", "c", "--dir", dir])
    #expect(printed.status == 0, "\(printed.stderr)")
    #expect(try String(contentsOfFile: "\(dir)/nd-desk-c-worker.password", encoding: .utf8) == before)
    #expect(printed.stderr.contains("ACL LOAD"), "\(printed.stderr)")
  }
}

/// A desk's users have the rights of `Ops/redis/make-acl`'s roles of the same names, only
/// narrowed to the desk's keys (and without SCAN): the two must not drift apart.
@Suite struct DeskRulesTests {
  @Test func deskRolesAreMakeACLRolesNarrowedToTheDesk() throws {
    let process = Process()
    process.executableURL = TestPaths.repositoryRoot.appendingPathComponent("Ops/redis/make-acl")
    process.arguments = ["--example"]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    let users = DeskUsers(desk: try QueueKeys(namespace: "main"))
    for role in DeskUsers.Role.allCases {
      let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("user nd-\(role.rawValue) ") })
      // "user NAME on #HASH rules...": the rules.
      let fleetRules = line.split(separator: " ").dropFirst(4).map(String.init)
      let deskRules = users.rules(role).filter { $0 != "resetkeys" && $0 != "-scan" }
      #expect(deskRules == fleetRules, "\(role): desk \(deskRules) vs make-acl \(fleetRules)")
    }
  }
}
