import ArgumentParser
import Foundation
import NightdeskQueue
import NightdeskRedis
import NightdeskSupport

/// `nightdesk desk create|limits`: desks kept apart in one Redis.
struct DeskCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "desk",
    abstract: "Keep desks apart: a queue, Redis users and limits per desk.",
    discussion: """
      A desk is a queue: its jobs, results and limits live under its own key prefix \
      nd:{NAME}:, and its members use --queue NAME (or NIGHTDESK_QUEUE=NAME). Its Redis \
      users (producer, worker, viewer) can touch only that prefix, so one desk cannot read, \
      cancel or retry another's work; Redis refuses it, and nightdesk names the desk and \
      the operation refused.

      Examples:
        nightdesk desk create credit --dir /etc/nightdesk/desks/credit
        nightdesk desk create credit --dir DIR --apply --max-batch-jobs 5000 --redis redis://nd-admin@db:6379/0
        nightdesk desk limits credit --max-batches-in-flight 3
      """,
    subcommands: [DeskCreateCommand.self, DeskLimitsCommand.self])
}

struct DeskCreateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "create",
    abstract: "Make a desk's Redis users (passwords in files) and print their ACL lines, or apply them.",
    usage: "nightdesk desk create <name> --dir <dir> [--apply] [<options>]",
    discussion: """
      Each role's password is made once (64 hex digits) and kept in DIR/USER.password, \
      mode 600 (an existing file is kept, so running it again changes nothing); nothing \
      secret is printed. Standard output gets one ACL-file line per user, its password as \
      a SHA-256 hash: add them to the users.acl of Ops/redis/make-acl and ACL LOAD, or \
      give --apply to send them to the Redis of --redis (as a user allowed ACL SETUSER, \
      e.g. nd-admin), where ACL SAVE keeps them when the server has an ACL file.

      Limits given here (--max-...) are stored in the desk's Redis keys and checked at \
      submit; `nightdesk desk limits` shows and changes them.

      A desk's members then connect as its users, e.g. \
      --redis redis://nd-desk-credit-producer@db:6379/0 --queue credit with \
      NIGHTDESK_REDIS_PASSWORD_FILE=DIR/nd-desk-credit-producer.password.
      """)

  @OptionGroup(title: "Redis (for --apply and limits)") var redis: RedisOptions
  @Argument(help: ArgumentHelp("The desk's name: its queue, keys nd:{NAME}:.", valueName: "name")) var name: String
  @Option(help: ArgumentHelp("Folder for the password files (made mode 700).", valueName: "dir")) var dir: String
  @Flag(help: "Send the users to Redis (ACL SETUSER, then ACL SAVE) instead of only printing them.") var apply = false
  @OptionGroup(title: "Limits") var limits: DeskLimitOptions

  func run() throws {
    let desk = try deskKeys(name)
    let users = DeskUsers(desk: desk)
    let passwords = try DeskUsers.Role.allCases.map { role in
      try DeskPasswordFile.readOrMake(folder: dir, user: users.user(role))
    }
    for (role, password) in zip(DeskUsers.Role.allCases, passwords) { print(users.aclLine(role, password: password)) }
    let note = { (text: String) in FileHandle.standardError.write(Data("desk \(name): \(text)\n".utf8)) }
    note("passwords in \(dir)/USER.password (mode 600), for the users \(DeskUsers.Role.allCases.map(users.user).joined(separator: ", "))")
    guard apply || !limits.limits.isEmpty else {
      note("add the lines above to users.acl (Ops/redis/make-acl) and run ACL LOAD, or run again with --apply")
      return
    }
    let client = try adminClient(redis, desk, purpose: "desk create")
    if apply {
      for (role, password) in zip(DeskUsers.Role.allCases, passwords) {
        do { _ = try client.redis.command(users.setUser(role, password: password)) } catch {
          throw CommandFailure("ACL SETUSER \(users.user(role)) was refused: \(error) (connect as a user allowed ACL, e.g. nd-admin)")
        }
      }
      do {
        _ = try client.redis.command("ACL", "SAVE")
        note("applied the users and saved them to the server's ACL file")
      } catch {
        note("applied the users; not saved (\(error)): add the lines above to the server's ACL file too, or they end with the server")
      }
    }
    if !limits.limits.isEmpty {
      try client.setDeskLimits(limits.limits)
      note("limits set: " + limits.limits.pairs.map { "\($0.field) \($0.value)" }.joined(separator: ", "))
    }
  }
}

struct DeskLimitsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "limits",
    abstract: "Show a desk's limits, or set them (--max-...), or remove them (--clear).",
    usage: "nightdesk desk limits <name> [--max-... N] [--clear] [--json] [<options>]",
    discussion: """
      Limits are checked at submit, each refusal naming the desk, the limit, its value and \
      what the submission asked for. A limit not given is left as it is.

      Examples:
        nightdesk desk limits credit
        nightdesk desk limits credit --max-document-bytes 20000000 --max-job-tokens 8192 --json
      """)

  @OptionGroup(title: "Redis") var redis: RedisOptions
  @Argument(help: ArgumentHelp("The desk's name.", valueName: "name")) var name: String
  @OptionGroup(title: "Limits") var limits: DeskLimitOptions
  @Flag(help: "Remove every limit first.") var clear = false
  @Flag(help: "Print the limits as one JSON object.") var json = false

  func run() throws {
    let client = try adminClient(redis, try deskKeys(name), purpose: "desk limits")
    if clear || !limits.limits.isEmpty { try client.setDeskLimits(limits.limits, clear: clear) }
    let current = try client.deskLimits()
    if json {
      var object = JSONObject()
      for pair in current.pairs { object[pair.field] = .int(Int64(pair.value)) }
      printJSON(.object(object))
    } else if current.isEmpty {
      print("desk \(name): no limits")
    } else {
      for pair in current.pairs { print("\(pair.field) \(pair.value)") }
    }
  }
}

private func deskKeys(_ name: String) throws -> QueueKeys {
  do { return try QueueKeys(namespace: name) } catch { throw ValidationError("desk name: \(error)") }
}

private func adminClient(_ redis: RedisOptions, _ desk: QueueKeys, purpose: String) throws -> QueueClient {
  let client = QueueClient(redis: try redis.connect(clientName: "nightdesk-desk"), keys: desk)
  client.operation = purpose
  return client
}
