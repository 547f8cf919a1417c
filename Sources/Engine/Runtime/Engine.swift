import Foundation
import NightdeskModel
import NightdeskStructured
import NightdeskSupport

/// A continuous-batching engine over one model. Any number of tasks submit
/// requests and read their events; one dedicated thread owns the model and the KV
/// memory and runs steps back to back while there is work, and sleeps when there
/// is none.
///
/// ```swift
/// let engine = try Engine(model: model, configuration: .init(eosTokenIDs: eos), textDecoder: { tokenizer.makeStreamingDecoder() })
/// let generation = engine.submit(GenerationRequest(prompt: ids, sampling: .greedy))
/// for try await event in generation.events { ... }
/// await engine.shutdown()
/// ```
public final class Engine: Sendable {
  private let mailbox = Mailbox()
  private let ids = LockedValue<UInt64>(0)
  private let stats: LockedValue<EngineStatistics>
  private let progressTable = LockedValue<[RequestID: RequestProgress]>([:])
  private let stepObserver = LockedValue<(@Sendable (StepStatistics) -> Void)?>(nil)
  /// Model facts callers need before any request (sizing prompts, reports).
  public let modelConfig: ModelConfig
  public let modelIdentity: String
  public let configuration: EngineConfiguration

  /// Sets up the KV memory for `model` and starts the step thread. The model is
  /// handed over (`sending`): from here on only the step thread touches it.
  public init(
    model: sending any LanguageModel, configuration: EngineConfiguration,
    textDecoder: (@Sendable () -> any TokenTextDecoder)? = nil,
    vocabulary: (@Sendable () -> TokenVocabulary)? = nil
  ) throws(EngineError) {
    try configuration.validate()
    let bytesPerBlock = model.kvBytesPerBlock(blockSize: configuration.blockSize, precision: configuration.kvPrecision)
    let budget =
      configuration.kvMemoryBytes
      ?? EngineConfiguration.defaultKVMemory(bytesPerToken: max(1, bytesPerBlock / configuration.blockSize))
    let blockCount = bytesPerBlock > 0 ? budget / bytesPerBlock : 0
    guard blockCount >= 1 else {
      throw EngineError(.configuration,
        "KV memory of \(ByteCount.format(budget)) holds no block of \(configuration.blockSize) tokens "
        + "(\(ByteCount.format(bytesPerBlock)) each); raise --kv-memory")
    }
    let kv: any KVStorage
    do {
      kv = try model.makeKVStorage(
        blockCount: min(blockCount, Int(Int32.max) - 1), blockSize: configuration.blockSize,
        precision: configuration.kvPrecision)
    } catch {
      throw EngineError(.configuration, "could not allocate \(ByteCount.format(budget)) of KV memory: \(error)")
    }
    modelConfig = model.config
    modelIdentity = model.identity
    self.configuration = configuration
    let core = EngineCore(
      model: model, kv: kv, configuration: configuration, makeDecoder: textDecoder, makeVocabulary: vocabulary)
    stats = LockedValue(core.statistics)
    let loop = StepLoop(
      core: core, mailbox: mailbox, stats: stats, progress: progressTable, observer: stepObserver)
    let thread = Thread { loop.run() }
    thread.name = "nightdesk-engine"
    thread.stackSize = 8 << 20
    thread.start()
  }

  deinit {
    mailbox.requestStop(.immediate)
  }

  /// Queues a request. Its events arrive on `events`; dropping the stream (or
  /// cancelling the task reading it) cancels the request.
  public func submit(_ request: GenerationRequest) -> Generation {
    let id = RequestID(ids.withLock { value in
      value += 1
      return value
    })
    let (events, continuation) = AsyncThrowingStream.makeStream(of: GenerationEvent.self, throwing: (any Error).self)
    let mailbox = self.mailbox
    continuation.onTermination = { termination in
      if case .cancelled = termination { mailbox.cancel(id) }
    }
    progressTable.withLock {
      $0[id] = RequestProgress(
        phase: .waiting, promptTokens: request.prompt.count, promptTokensDone: 0, generatedTokens: 0,
        prefixReusedTokens: 0)
    }
    if !mailbox.post(.init(id: id, request: request, continuation: continuation)) {
      progressTable.withLock { $0[id] = nil }
      continuation.finish(throwing: EngineError(.stopped, "the engine is stopping and takes no new requests"))
    }
    return Generation(id: id, events: events)
  }

  /// Stops a request; its stream ends with `.finished(reason: .cancelled)` and its
  /// KV blocks are free once the step in progress ends.
  public func cancel(_ id: RequestID) {
    mailbox.cancel(id)
  }

  /// Where a request stands; nil once it has finished (or was never submitted).
  public func progress(of id: RequestID) -> RequestProgress? {
    progressTable.withLock { $0[id] }
  }

  /// Totals and the latest step.
  public var statistics: EngineStatistics { stats.current }

  /// Called on the step thread after every step; keep it short.
  public func observeSteps(_ observer: (@Sendable (StepStatistics) -> Void)?) {
    stepObserver.withLock { $0 = observer }
  }

  /// Stops the engine and waits for its thread to end. Graceful: requests already
  /// submitted run to the end, new ones are refused. Otherwise every request ends
  /// at once with an `EngineError(.stopped)`.
  public func shutdown(graceful: Bool = true) async {
    mailbox.requestStop(graceful ? .graceful : .immediate)
    await mailbox.waitForExit()
  }
}

/// The step thread's body. It alone holds the core (model, KV memory, state).
private final class StepLoop: @unchecked Sendable {
  // @unchecked: `core` is not Sendable. It is created by `Engine.init`, handed to
  // this object before the thread starts, and from then on used only by `run()` on
  // the step thread; `Engine` keeps no reference to it. The other members are Sendable.
  private let core: EngineCore
  private let mailbox: Mailbox
  private let stats: LockedValue<EngineStatistics>
  private let progress: LockedValue<[RequestID: RequestProgress]>
  private let observer: LockedValue<(@Sendable (StepStatistics) -> Void)?>

  init(
    core: EngineCore, mailbox: Mailbox, stats: LockedValue<EngineStatistics>,
    progress: LockedValue<[RequestID: RequestProgress]>, observer: LockedValue<(@Sendable (StepStatistics) -> Void)?>
  ) {
    self.core = core
    self.mailbox = mailbox
    self.stats = stats
    self.progress = progress
    self.observer = observer
  }

  func run() {
    var idle = 0.0
    while true {
      let delivery = mailbox.collect(wait: core.isIdle)
      idle += delivery.waited
      for submission in delivery.submissions {
        core.accept(submission.id, submission.request, submission.continuation)
      }
      for id in delivery.cancellations { core.cancel(id) }
      if delivery.stop == .immediate {
        core.failAll(EngineError(.stopped, "the engine was stopped before the request finished"))
        publish(nil)
        break
      }
      if core.isIdle {
        publish(nil)
        if delivery.stop == .graceful { break }
        continue
      }
      let step = core.step(idleSeconds: idle)
      publish(step)
      if step != nil {
        idle = 0
      } else if !core.isIdle {
        // Nothing could be scheduled (should not happen); do not spin the core.
        Thread.sleep(forTimeInterval: 0.001)
        idle += 0.001
      }
    }
    mailbox.markExited()
  }

  private func publish(_ step: StepStatistics?) {
    let snapshot = core.statistics
    stats.withLock { $0 = snapshot }
    let (updates, finished) = core.drainReports()
    if !updates.isEmpty || !finished.isEmpty {
      progress.withLock { table in
        for (id, value) in updates { table[id] = value }
        for id in finished { table[id] = nil }
      }
    }
    if let step, let observe = observer.current { observe(step) }
  }
}
