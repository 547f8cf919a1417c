// Keys and values written into the paged KV cache in its storage format.
#include <string.h>

#include "nd_forward.h"

static inline float nd_bits_float(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}
static inline uint32_t nd_float_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

/// IEEE half of a float's bits, rounded to nearest even (overflow to infinity, NaN quiet with no
/// payload). Without branches, so the compiler vectorizes the loops below (a branching version
/// cost 4 times as much, a few per cent of a batched decode step); checked equal to the
/// branching one on all 2^32 inputs.
static inline uint16_t nd_f32_to_f16(uint32_t x) {
  const uint32_t sign = (x >> 16) & 0x8000u, a = x & 0x7FFFFFFFu;
  // A normal half: the exponent rebiased, the 13 dropped bits rounded to nearest even.
  const uint32_t normal = (a - ((uint32_t)(127 - 15) << 23) + 0xFFFu + ((a >> 13) & 1u)) >> 13;
  // A subnormal half (or zero): adding 0.5 lines its last place up with the float's, and the
  // adder rounds to nearest even (the default rounding; flush-to-zero is never set).
  const float magic = nd_bits_float((uint32_t)(127 - 1) << 23);
  const uint32_t small = nd_float_bits(nd_bits_float(a) + magic) - nd_float_bits(magic);
  uint32_t half = a < ((uint32_t)(127 - 14) << 23) ? small : normal;
  half = a >= ((uint32_t)(127 + 16) << 23) ? 0x7C00u : half;  // too large: infinity
  half = a > 0x7F800000u ? 0x7E00u : half;                    // NaN
  return (uint16_t)(sign | half);
}

/// A float in bf16, rounded to nearest even (NaN kept, quiet).
static inline uint16_t nd_f32_to_bf16(uint32_t bits) {
  if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((bits >> 16) | 0x40);
  return (uint16_t)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}

// The format is chosen outside the loops, so each loop is one conversion the compiler vectorizes.
#define ND_NARROW_LOOP(n, out_index, in_index)                                                    \
  if (format == ND_KV_BF16)                                                                       \
    for (int64_t i = 0; i < (n); i++) out[out_index] = nd_f32_to_bf16(nd_float_bits(src[in_index])); \
  else                                                                                            \
    for (int64_t i = 0; i < (n); i++) out[out_index] = nd_f32_to_f16(nd_float_bits(src[in_index]));

void nd_kv_store(const float *src, void *dst, int64_t n, int format) {
  if (format == ND_KV_F32) {
    memcpy(dst, src, (size_t)n * sizeof(float));
    return;
  }
  uint16_t *out = dst;
  ND_NARROW_LOOP(n, i, i)
}

void nd_kv_store_strided(const float *src, void *dst, int64_t n, int64_t stride, int format) {
  if (format == ND_KV_F32) {
    for (int64_t i = 0; i < n; i++) ((float *)dst)[i * stride] = src[i];
    return;
  }
  uint16_t *out = dst;
  ND_NARROW_LOOP(n, i * stride, i)
}

void nd_kv_store_runs(const float *src, void *dst, int64_t runs, int64_t run, int64_t stride, int format) {
  const int64_t elem = format == ND_KV_F32 ? 4 : 2;
  for (int64_t r = 0; r < runs; r++) nd_kv_store(src + r * run, (char *)dst + r * stride * elem, run, format);
}
