import Foundation
import NightdeskKernels

/// A quantized weight repacked once, at load, into the 16-row panels the 8-bit-activation
/// kernels multiply (nd_q8act.h): the same bytes as the stored rows, reordered so a
/// product needs no unpacking transposes at run time. Owned by its Linear for the
/// model's life; immutable after init.
final class ActivationPanels: Sendable {
  // Written only in init, then read-only, shared by the forward passes of every thread.
  nonisolated(unsafe) let pointer: UnsafeMutableRawPointer
  let bytes: Int

  init(weight: TensorView, format: Int32) {
    bytes = Int(nd_q8act_packed_bytes(format, Int64(weight.rows), Int64(weight.columns)))
    pointer = .allocate(byteCount: max(bytes, 64), alignment: 64)
    nd_q8act_pack(format, UnsafeRawPointer(weight.data.baseAddress), Int64(weight.rowBytes), Int64(weight.rows),
                  Int64(weight.columns), pointer)
    Self.releaseResidentPages(of: weight.data)
  }

  /// The stored rows are not read again for products once repacked: their pages of the
  /// read-only file mapping leave the resident set (a later read, such as an embedding
  /// row of a tied head, faults them back in from the page cache), so the panels do not
  /// double the weights' memory.
  private static func releaseResidentPages(of data: UnsafeRawBufferPointer) {
    guard let base = data.baseAddress else { return }
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let start = (Int(bitPattern: base) + page - 1) / page * page
    let end = (Int(bitPattern: base) + data.count) / page * page
    guard end > start, let pointer = UnsafeMutableRawPointer(bitPattern: start) else { return }
    madvise(pointer, end - start, MADV_DONTNEED)
  }

  deinit { pointer.deallocate() }
}
