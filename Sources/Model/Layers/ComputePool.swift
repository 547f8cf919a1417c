import Foundation
import NightdeskKernels

/// The threads one model computes with: the calling (step) thread plus
/// `threads - 1` workers that spin briefly, then sleep (see `nd_pool_create`).
/// Work is split over output columns, never over a reduction, so results do
/// not depend on the thread count. The pool also carries the kernel level its
/// model computes with (every level gives the same bits).
final class ComputePool {
  let raw: OpaquePointer?
  let threads: Int
  let level: KernelLevel
  /// The level's kernel table, for the `_with` calls.
  let kernels: OpaquePointer?

  init(threads: Int, level: KernelLevel = .active, spinMicroseconds: Int = 50) {
    raw = nd_pool_create(Int32(max(1, threads)), Int32(spinMicroseconds))
    self.threads = Int(nd_pool_threads(raw))
    self.level = level
    kernels = level.table
    precondition(kernels != nil, "kernel level \(level) is not supported by this CPU")
  }

  deinit { nd_pool_destroy(raw) }

  /// Threads to use by default: NIGHTDESK_THREADS, else every core.
  static var defaultThreadCount: Int {
    if let text = ProcessInfo.processInfo.environment["NIGHTDESK_THREADS"], let n = Int(text), n > 0 { return min(n, 64) }
    return max(1, ProcessInfo.processInfo.activeProcessorCount)
  }
}

/// A growable float buffer that owns its memory (activations, scratch, tables).
final class FloatBuffer {
  private(set) var pointer: UnsafeMutablePointer<Float>
  private(set) var count: Int

  init(count: Int = 0) {
    self.count = max(count, 1)
    pointer = .allocate(capacity: self.count)
    pointer.initialize(repeating: 0, count: self.count)
  }

  convenience init(_ values: [Float]) {
    self.init(count: values.count)
    values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
  }

  deinit { pointer.deallocate() }

  /// Makes room for at least `needed` floats; old contents are not kept.
  func reserve(_ needed: Int) {
    guard needed > count else { return }
    pointer.deallocate()
    count = max(needed, count * 3 / 2)
    pointer = .allocate(capacity: count)
    pointer.initialize(repeating: 0, count: count)
  }
}
