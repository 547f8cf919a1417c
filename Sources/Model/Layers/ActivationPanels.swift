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
  }

  deinit { pointer.deallocate() }
}
