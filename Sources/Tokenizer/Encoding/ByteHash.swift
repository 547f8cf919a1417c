/// A fast non-cryptographic hash of a short byte string (pieces are a few bytes),
/// reading eight bytes at a time.
@inline(__always)
func hashBytes(_ start: UnsafePointer<UInt8>, _ count: Int) -> UInt64 {
  var h: UInt64 = 0x9E37_79B9_7F4A_7C15 &+ UInt64(truncatingIfNeeded: count)
  let raw = UnsafeRawPointer(start)
  var i = 0
  while i + 8 <= count {
    h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
    h ^= h >> 31
    i += 8
  }
  if i < count {
    var tail: UInt64 = 0
    var shift: UInt64 = 0
    while i < count {
      tail |= UInt64(start[i]) << shift
      shift += 8
      i += 1
    }
    h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
  }
  h ^= h >> 29
  return h &* 0xBF58_476D_1CE4_E5B9
}
