// Keys and values written into the paged KV cache in its storage format.
#include <string.h>

#include "nd_forward.h"

/// IEEE half of a float's bits, rounded to nearest even (overflow to infinity, NaN kept).
static uint16_t nd_f32_to_f16(uint32_t x) {
  const uint32_t sign = (x >> 16) & 0x8000u, exponent = (x >> 23) & 0xFFu;
  uint32_t mantissa = x & 0x7FFFFFu;
  if (exponent == 0xFF) return (uint16_t)(sign | 0x7C00u | (mantissa ? 0x200u : 0));
  const int e = (int)exponent - 127 + 15;
  if (e >= 31) return (uint16_t)(sign | 0x7C00u);
  uint32_t shift, half;
  if (e <= 0) {  // subnormal half (or zero)
    if (e < -10) return (uint16_t)sign;
    mantissa |= 0x800000u;
    shift = (uint32_t)(14 - e);
    half = mantissa >> shift;
  } else {
    shift = 13;
    half = ((uint32_t)e << 10) | (mantissa >> 13);
  }
  const uint32_t rest = mantissa & ((1u << shift) - 1), midpoint = 1u << (shift - 1);
  if (rest > midpoint || (rest == midpoint && (half & 1u))) half++;  // may carry into the exponent: correct
  return (uint16_t)(sign | half);
}

/// One float in a 16-bit KV format (f16, or bf16 rounded to nearest even, NaN kept).
static inline uint16_t nd_kv_narrow(float value, int format) {
  uint32_t bits;
  memcpy(&bits, &value, 4);
  if (format != ND_KV_BF16) return nd_f32_to_f16(bits);
  if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((bits >> 16) | 0x40);
  return (uint16_t)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}

void nd_kv_store(const float *src, void *dst, int64_t n, int format) {
  if (format == ND_KV_F32) {
    memcpy(dst, src, (size_t)n * sizeof(float));
    return;
  }
  uint16_t *out = dst;
  for (int64_t i = 0; i < n; i++) out[i] = nd_kv_narrow(src[i], format);
}

void nd_kv_store_strided(const float *src, void *dst, int64_t n, int64_t stride, int format) {
  if (format == ND_KV_F32) {
    for (int64_t i = 0; i < n; i++) ((float *)dst)[i * stride] = src[i];
    return;
  }
  uint16_t *out = dst;
  for (int64_t i = 0; i < n; i++) out[i * stride] = nd_kv_narrow(src[i], format);
}

void nd_kv_store_runs(const float *src, void *dst, int64_t runs, int64_t run, int64_t stride, int format) {
  const int64_t elem = format == ND_KV_F32 ? 4 : 2;
  for (int64_t r = 0; r < runs; r++) nd_kv_store(src + r * run, (char *)dst + r * stride * elem, run, format);
}
