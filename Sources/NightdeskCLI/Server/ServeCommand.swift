import ArgumentParser
import Foundation
import NightdeskModel
import NightdeskObservability
import NightdeskQueue
import NightdeskRedis
import NightdeskServer
import NightdeskSupport

/// `nightdesk serve`: the OpenAI Files and Batch API over HTTP, on the queue in Redis.
struct ServeCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Serve the OpenAI Files and Batch API over HTTP, backed by the queue in Redis.",
    usage: "nightdesk serve [--host <host>] [--port <port>] [<options>]",
    discussion: """
      Point a desk's OpenAI scripts at http://HOST:PORT/v1: they upload a JSONL file \
      (POST /v1/files, purpose=batch), create a batch (POST /v1/batches with input_file_id, \
      endpoint /v1/chat/completions, completion_window such as 24h, metadata), poll it \
      (GET /v1/batches/ID), cancel it (POST /v1/batches/ID/cancel), list them (GET \
      /v1/batches?after=ID&limit=N) and download the output and error files (GET \
      /v1/files/ID/content). Workers (`nightdesk worker`) run the jobs as for `submit`. \
      POST /v1/chat/completions runs one request through the queue at high priority \
      (with stream: true, as server-sent events once a worker has answered). The \
      live dashboard is at http://HOST:PORT/: batches by desk with progress, tokens/s \
      and ETA, jobs by state, failures with their reasons, workers with their models.

      The server keeps nothing in memory: files and batches live in Redis beside the \
      queue, so any number of `serve` processes and workers share one night. A batch's \
      lines are checked when it is created: refused lines are listed in its `errors` with \
      their numbers and the rest run. When its completion window passes, its unfinished \
      requests are cancelled and go to its error file, and it ends `expired`.

      API keys: NIGHTDESK_API_KEYS_FILE names a file of `KEY DESK` lines (never a flag, so \
      keys stay out of `ps` and shell history). Each key sees only its desk's files and \
      batches; a missing or wrong key gets 401. Without the variable there is no auth, \
      which is allowed on a loopback address (127.0.0.1, the default) only.

      Logs go to stderr through swift-log (--log-format text|json, --log-level): one \
      access line per request at info (method, path without its query, status, ms, and \
      the desk its key stands for; never the key). --metrics-port serves /metrics \
      (Prometheus: requests by route and status, a latency histogram per route, the \
      queue's jobs by state) and /health (200 while Redis answers, else 503) on a port \
      of their own, apart from the API and its keys.

      Examples:
        nightdesk serve --port 8080 --redis redis://db.internal:6379/0
        nightdesk serve --log-format json --metrics-port 9466
        NIGHTDESK_API_KEYS_FILE=/etc/nightdesk/api-keys \\
            nightdesk serve --host 0.0.0.0
        OPENAI_BASE_URL=http://127.0.0.1:8080/v1 OPENAI_API_KEY=unused \\
            python desk_script.py
      """)

  @OptionGroup(title: "Redis and queue") var queue: QueueOptions

  @Option(help: ArgumentHelp("The address to listen on.", valueName: "host"))
  var host = "127.0.0.1"

  @Option(help: ArgumentHelp("The port to listen on.", valueName: "port"))
  var port = 8080

  @Option(name: .customLong("max-file-size"), help: ArgumentHelp(
    "The largest file an upload may hold (e.g. 64MiB); a larger one gets 413. Files are kept whole in Redis.",
    valueName: "size"))
  var maxFileSize = "64MiB"

  @Option(help: ArgumentHelp(
    "Check every batch line against this model (.gguf or folder): a prompt and max_tokens that do not fit its "
      + "context are refused with the line's number. Without it, lines are checked against the models the "
      + "queue's workers registered (when their files are here too).", valueName: "path"))
  var model: String?

  @Option(help: ArgumentHelp("How long files and finished batches stay in Redis (e.g. 36h, 7d).", valueName: "duration"))
  var retention: String = "7d"

  @OptionGroup(title: "Logs") var logging: LoggingOptions
  @OptionGroup(title: "Metrics and health") var metrics: MetricsOptions

  func validate() throws {
    guard (0...65535).contains(port) else { throw ValidationError("--port \(port) is not a port (0...65535)") }
    do { _ = try ByteCount.parse(maxFileSize) } catch { throw ValidationError("--max-file-size: \(error)") }
  }

  func run() async throws {
    let logger = try logging.logger("nightdesk.serve")
    let access: AccessPolicy
    if let path = ProcessInfo.processInfo.environment[APIKeys.fileVariable], !path.isEmpty {
      access = .keys(try APIKeys.load(path: path))
    } else {
      access = .openOnLoopback
    }
    let target = try queue.redis.target()
    let url = try target.prepare()
    // An unreachable or unsafe Redis is reported before the port opens.
    let client = QueueClient(redis: try target.connect(options: RedisConnection.Options(clientName: "nightdesk-serve")),
                             keys: try queue.keys)
    try client.checkEvictionPolicy()
    var configuration = ServerConfiguration(
      host: host, port: port, redis: url, queue: try queue.keys, access: access,
      limits: ServerLimits(maxFileBytes: try ByteCount.parse(maxFileSize)),
      retentionSeconds: max(1, Int(try parseDuration(retention, option: "--retention").rounded(.up))))
    configuration.model = try model.map { try ServedModel.open($0) }
    configuration.logger = logger
    do { try configuration.validate() } catch { throw CommandFailure("\(error)") }
    let address = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    let auth: String
    switch access {
    case .keys(let keys): auth = "\(keys.count) API key(s)"
    case .openOnLoopback: auth = "no auth (loopback only; set \(APIKeys.fileVariable) for keys)"
    }
    let banner = "nightdesk serve: listening on \(address) (\(target), queue \(configuration.queue.namespace), \(auth)"
      + (model.map { ", batches checked against \($0)" } ?? "") + ")"
    let watch = try metrics.port(ProcessInfo.processInfo.environment) == nil
      ? nil : RedisWatch(url: url, keys: configuration.queue, name: "nightdesk-serve-health")
    let metricsServer = try await metrics.start(health: { watch?.problems ?? [] }, logger: logger)
    watch?.start()
    defer { watch?.stop() }
    let namespace = configuration.queue.namespace
    try await APIServer.run(configuration) { logger.info("\(banner)", metadata: ["queue": "\(namespace)"]) }
    await metricsServer?.stop()
  }
}
