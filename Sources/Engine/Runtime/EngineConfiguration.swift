import Foundation
import NightdeskModel

/// How an engine is set up. Validated once, by `Engine.init`.
public struct EngineConfiguration: Sendable, Equatable {
  /// Tokens per KV block.
  public var blockSize: Int
  /// Bytes of KV memory; nil picks `defaultKVMemory`.
  public var kvMemoryBytes: Int?
  public var kvPrecision: KVPrecision
  public var scheduler: SchedulerConfiguration
  /// Tokens that end generation unless a request says `ignoreEOS`.
  public var eosTokenIDs: [Int32]
  /// Context length limit; nil uses the model's.
  public var maxContext: Int?
  /// Reuse the KV of prompt prefixes seen before. Off only for A/B comparisons.
  public var prefixCaching: Bool

  /// - Parameters:
  ///   - blockSize: 16 tokens, small enough that a partly filled last block wastes
  ///     little, large enough that block tables stay short.
  ///   - kvPrecision: f32, the reference precision.
  public init(
    blockSize: Int = 16, kvMemoryBytes: Int? = nil, kvPrecision: KVPrecision = .f32,
    scheduler: SchedulerConfiguration = SchedulerConfiguration(), eosTokenIDs: [Int32] = [], maxContext: Int? = nil,
    prefixCaching: Bool = true
  ) {
    self.prefixCaching = prefixCaching
    self.blockSize = blockSize
    self.kvMemoryBytes = kvMemoryBytes
    self.kvPrecision = kvPrecision
    self.scheduler = scheduler
    self.eosTokenIDs = eosTokenIDs
    self.maxContext = maxContext
  }

  public func validate() throws(EngineError) {
    guard (1...1024).contains(blockSize) else {
      throw EngineError(.configuration, "block size is \(blockSize); it must be in 1...1024 (--block-size)")
    }
    guard scheduler.maxBatchTokens >= blockSize else {
      throw EngineError(.configuration,
        "max batch tokens (\(scheduler.maxBatchTokens)) must be at least one block (\(blockSize)) (--max-batch-tokens)")
    }
    guard scheduler.maxSequences >= 1 else {
      throw EngineError(.configuration, "max sequences is \(scheduler.maxSequences); it must be at least 1")
    }
    if let bytes = kvMemoryBytes, bytes <= 0 {
      throw EngineError(.configuration, "KV memory is \(bytes) bytes; it must be positive (--kv-memory)")
    }
  }

  /// Room for 64Ki tokens of context (e.g. 64 requests of 1,024 tokens, with
  /// space left for cached prefixes), but at most a quarter of the memory
  /// available now and at least 64 MiB. The memory is committed only as blocks are
  /// first written, so an unused budget costs address space, not RAM.
  public static func defaultKVMemory(bytesPerToken: Int, available: Int? = availableMemory()) -> Int {
    let wanted = 65_536 * bytesPerToken
    let quarter = (available ?? 4 << 30) / 4
    return max(min(wanted, quarter), 64 << 20)
  }

  /// MemAvailable from /proc/meminfo, if readable.
  public static func availableMemory() -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
      let fields = line.split(separator: " ")
      if fields.count >= 2, let kib = Int(fields[1]) { return kib * 1024 }
    }
    return nil
  }
}
