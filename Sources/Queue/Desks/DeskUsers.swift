import NightdeskRedis

/// A desk's Redis ACL users, one per role, each confined to the desk's keys
/// (`~nd:{NAME}:*`) and the commands its role needs. The rights follow
/// `Ops/redis/make-acl`'s roles of the same names, narrowed to one desk:
///
/// | user | may |
/// | --- | --- |
/// | `nd-desk-NAME-producer` | read and write the desk's keys through the queue's scripts: submit, cancel, retry, status, results |
/// | `nd-desk-NAME-worker` | the same, and read `maxmemory-policy` (a worker refuses a Redis that could evict) |
/// | `nd-desk-NAME-viewer` | read only: status, list, results, watch; a script that would write is refused |
///
/// No user may run a `@dangerous` command (FLUSHALL, KEYS, CONFIG SET, ...) or `SCAN`,
/// which would list other desks' key names.
public struct DeskUsers: Sendable {
  public enum Role: String, Sendable, CaseIterable {
    case producer, worker, viewer
  }

  public let keys: QueueKeys

  public init(desk: QueueKeys) { keys = desk }

  public func user(_ role: Role) -> String { "nd-desk-\(keys.namespace)-\(role.rawValue)" }

  /// The role's rules, as ACL SETUSER takes them (one argument each).
  public func rules(_ role: Role) -> [String] {
    var rules = ["resetchannels", "resetkeys", "~\(keys.prefix)*", "-@all", "+@read"]
    if role != .viewer { rules.append("+@write") }
    rules += ["+@connection", "-@dangerous", "-scan", "+info"]
    if role == .worker { rules.append("+config|get") }
    return rules + ["+evalsha", "+script|load", "+time"]
  }

  /// The user's line for an ACL file: its password as a SHA-256 hash, never in clear.
  public func aclLine(_ role: Role, password: String) -> String {
    (["user", user(role), "on", ACLPassword.hashRule(password)] + rules(role)).joined(separator: " ")
  }

  /// `ACL SETUSER` of the user, from scratch (`reset`), with the same rules as `aclLine`.
  public func setUser(_ role: Role, password: String) -> RedisCommand {
    RedisCommand(["ACL", "SETUSER", user(role), "reset", "on", ACLPassword.hashRule(password)] + rules(role))
  }
}
