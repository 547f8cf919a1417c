// AVX-512 dequantization and dot products. Each mirrors its scalar reference in
// dequantize_ref.c / dot_ref.c operation for operation (same roundings, same
// lane assignment and reduction order), so tests can demand bit equality.
#pragma clang fp contract(off)

#if defined(__x86_64__)
#include "../../kernel_table.h"
#include "../../quant_blocks.h"
#include "avx512.h"

ND_AVX512_BEGIN

// 16 bytes widened to 16 int32 lanes.
static inline __m512i u8x16(const uint8_t *p) { return _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)p)); }
static inline __m512i i8x16(const uint8_t *p) { return _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)p)); }
static inline __m512 ps(__m512i v) { return _mm512_cvtepi32_ps(v); }
static inline __m512i low4(__m512i v) { return _mm512_and_si512(v, _mm512_set1_epi32(0xF)); }
static inline __m512i high4(__m512i v) { return _mm512_srli_epi32(v, 4); }

// The pairwise tree of nd_lane_tree, in registers.
static inline float tree16(__m512 v) {
  __m256 s8 = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  return _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1)));
}

// Q5 high bits: bit j (lanes 0..15, shift 0) or bit j+16 (shift 16) of qh, as 0 or 16.
static inline __m512i q5_high(uint32_t qh, int shift) {
  const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  __m512i bits = _mm512_srlv_epi32(_mm512_set1_epi32((int)qh), _mm512_add_epi32(lanes, _mm512_set1_epi32(shift)));
  return _mm512_slli_epi32(_mm512_and_si512(bits, _mm512_set1_epi32(1)), 4);
}

// MARK: dequantization of plain float rows (block formats below, with the dot products)



void nd_dequantize_row_f16_avx512(const void *src, float *dst, int64_t n) {
  const uint8_t *p = src;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(dst + i, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(p + 2 * i))));
  for (; i < n; i++) dst[i] = nd_half(p + 2 * i);
}

void nd_dequantize_row_bf16_avx512(const void *src, float *dst, int64_t n) {
  const uint8_t *p = src;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512i w = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(p + 2 * i)));
    _mm512_storeu_ps(dst + i, _mm512_castsi512_ps(_mm512_slli_epi32(w, 16)));
  }
  for (; i < n; i++) dst[i] = nd_bf16_to_f32(nd_rd16(p + 2 * i));
}

// Q6_K's 16 integer quants of sub-block s (0..15), offset by -32.
static inline __m512i q6_group(const uint8_t *blk, int s) {
  const int h = s / 8, t = s % 8;
  const __m512i ql = u8x16(blk + 64 * h + 32 * ((t / 2) % 2) + 16 * (t % 2));
  const __m512i qh = u8x16(blk + 128 + 32 * h + 16 * (t % 2));
  const __m512i lo = _mm512_and_si512(_mm512_srlv_epi32(ql, _mm512_set1_epi32(4 * (t / 4))), _mm512_set1_epi32(0xF));
  const __m512i hi = _mm512_and_si512(_mm512_srlv_epi32(qh, _mm512_set1_epi32(2 * (t / 2))), _mm512_set1_epi32(3));
  return _mm512_sub_epi32(_mm512_or_si512(lo, _mm512_slli_epi32(hi, 4)), _mm512_set1_epi32(32));
}

// MARK: dot products and matrix-vector products
//
// Weights are decoded 32 at a time exactly as the dequantizers above decode
// them, then fed to one 16-lane fused multiply-add chain per row (the order of
// nd_quants.h). Eight rows (four for K-quants) run interleaved: their chains are independent, which
// hides the multiply-add latency without changing any row's order.

typedef struct { __m512 lo, hi; } nd_w32;

// f16 -> f32 with F16C: exact, like nd_f16_to_f32, and cheaper per block.
static inline float half(const uint8_t *p) { return _cvtsh_ss(nd_rd16(p)); }

// The 16 (or 32) values a 4-bit (5-bit) index can stand for, rounded exactly as the
// reference rounds each weight; a permute then looks 16 weights up at once
// (vpermps reads only the low 4 bits of each index, vpermt2ps the low 5).
static inline __m512 iota16(float first) {
  return _mm512_add_ps(_mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), _mm512_set1_ps(first));
}

static inline __attribute__((always_inline)) nd_w32 w32_q4_0(const uint8_t *blk, int g) {
  (void)g;
  const __m512 table = _mm512_mul_ps(iota16(-8), _mm512_set1_ps(half(blk)));  // (q - 8) * d
  const __m512i q = u8x16(blk + 2);
  return (nd_w32){_mm512_permutexvar_ps(q, table), _mm512_permutexvar_ps(high4(q), table)};
}

static inline __attribute__((always_inline)) nd_w32 w32_q4_1(const uint8_t *blk, int g) {
  (void)g;
  // d and m are adjacent halves: one load and one conversion for both (exact, as half()).
  const __m128 dm = _mm_cvtph_ps(_mm_cvtsi32_si128((int)nd_rd32(blk)));
  const __m512 d = _mm512_broadcastss_ps(dm), m = _mm512_broadcastss_ps(_mm_movehdup_ps(dm));
  // The 16 values a nibble can stand for, q·d + m rounded as the reference rounds them,
  // then one permute per 16 weights (vpermps reads only an index's low 4 bits).
  // One fused multiply-add gives the reference's bits: q·d is exact in float32 (a
  // 4-bit q times a half's 11-bit significand), so only the addition rounds.
  const __m512 table = _mm512_fmadd_ps(_mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), d, m);
  const __m512i q = u8x16(blk + 4);
  return (nd_w32){_mm512_permutexvar_ps(q, table), _mm512_permutexvar_ps(high4(q), table)};
}

// Q5_0 / Q5_1: 5-bit quants, (q - 16)·d or q·d + m, through a 32-entry table.
static inline __attribute__((always_inline)) nd_w32 w32_q5(const uint8_t *qs, uint32_t qh, float d, float m, int hasMin) {
  const __m512 dv = _mm512_set1_ps(d), mv = _mm512_set1_ps(m);
  __m512 low = _mm512_mul_ps(iota16(hasMin ? 0 : -16), dv), high = _mm512_mul_ps(iota16(hasMin ? 16 : 0), dv);
  if (hasMin) { low = _mm512_add_ps(low, mv); high = _mm512_add_ps(high, mv); }
  const __m512i q = u8x16(qs);
  return (nd_w32){_mm512_permutex2var_ps(low, _mm512_or_si512(low4(q), q5_high(qh, 0)), high),
                  _mm512_permutex2var_ps(low, _mm512_or_si512(high4(q), q5_high(qh, 16)), high)};
}

static inline __attribute__((always_inline)) nd_w32 w32_q5_0(const uint8_t *blk, int g) {
  (void)g;
  return w32_q5(blk + 6, nd_rd32(blk + 2), half(blk), 0, 0);
}

static inline __attribute__((always_inline)) nd_w32 w32_q5_1(const uint8_t *blk, int g) {
  (void)g;
  return w32_q5(blk + 8, nd_rd32(blk + 4), half(blk), half(blk + 2), 1);
}

static inline __attribute__((always_inline)) nd_w32 w32_q8_0(const uint8_t *blk, int g) {
  (void)g;
  const __m512 d = _mm512_set1_ps(half(blk));
  return (nd_w32){_mm512_mul_ps(ps(i8x16(blk + 2)), d), _mm512_mul_ps(ps(i8x16(blk + 18)), d)};
}

// Q4_K / Q5_K group g = sub-block g (32 elements): (d*sc) * q - dmin*m, through a table.
static inline __attribute__((always_inline)) nd_w32 w32_k_scale_min(const uint8_t *blk, int g, int hasHigh) {
  uint8_t sc, m;
  nd_scale_min_k4(g, blk + 4, &sc, &m);
  const __m512 ds = _mm512_set1_ps(half(blk) * (float)sc), ms = _mm512_set1_ps(half(blk + 2) * (float)m);
  const uint8_t *bytes = blk + (hasHigh ? 48 : 16) + 32 * (g / 2);
  __m512i lo = u8x16(bytes), hi = u8x16(bytes + 16);
  if (g & 1) { lo = high4(lo); hi = high4(hi); }
  if (!hasHigh) {
    const __m512 table = _mm512_sub_ps(_mm512_mul_ps(ds, iota16(0)), ms);
    return (nd_w32){_mm512_permutexvar_ps(lo, table), _mm512_permutexvar_ps(hi, table)};
  }
  // Q5_K: two tables and a two-source permute measured slower than converting.
  const __m512i shift = _mm512_set1_epi32(g), one = _mm512_set1_epi32(1);
  lo = _mm512_or_si512(low4(lo), _mm512_slli_epi32(_mm512_and_si512(_mm512_srlv_epi32(u8x16(blk + 16), shift), one), 4));
  hi = _mm512_or_si512(low4(hi), _mm512_slli_epi32(_mm512_and_si512(_mm512_srlv_epi32(u8x16(blk + 32), shift), one), 4));
  return (nd_w32){_mm512_sub_ps(_mm512_mul_ps(ds, ps(lo)), ms), _mm512_sub_ps(_mm512_mul_ps(ds, ps(hi)), ms)};
}
static inline __attribute__((always_inline)) nd_w32 w32_q4_K(const uint8_t *blk, int g) { return w32_k_scale_min(blk, g, 0); }
static inline __attribute__((always_inline)) nd_w32 w32_q5_K(const uint8_t *blk, int g) { return w32_k_scale_min(blk, g, 1); }

// Q6_K group g = sub-blocks 2g and 2g + 1 (16 elements each): (d*sc) * q.
static inline __attribute__((always_inline)) nd_w32 w32_q6_K(const uint8_t *blk, int g) {
  const int8_t *scales = (const int8_t *)(blk + 192);
  const float d = half(blk + 208);
  return (nd_w32){_mm512_mul_ps(_mm512_set1_ps(d * (float)scales[2 * g]), ps(q6_group(blk, 2 * g))),
                  _mm512_mul_ps(_mm512_set1_ps(d * (float)scales[2 * g + 1]), ps(q6_group(blk, 2 * g + 1)))};
}

// How many groups of R rows ahead the block kernels prefetch.
#ifndef ND_PREFETCH_GROUPS
#define ND_PREFETCH_GROUPS 2
#endif

// R rows (1..8, a constant after inlining) of a block format with E elements
// (G = E / 32 groups) and BYTES bytes per block.
#define ND_BLOCK_ROWS(T, E, BYTES)                                                              \
  static inline __attribute__((always_inline)) void rows_##T(const uint8_t *w, int64_t rb, const int R, \
                                                             const float *x, int64_t n, float *y) { \
    __m512 acc[8];                                                                              \
    for (int r = 0; r < R; r++) acc[r] = _mm512_setzero_ps();                                  \
    for (int64_t b = 0; b < n / (E); b++) {                                                     \
      /* The R rows after the next R, a block's share of them per block: each row is a short */ \
      /* stream, too short for the hardware prefetchers to ramp up on in time. */               \
      for (int64_t o = b * R * (BYTES); o < (b + 1) * R * (BYTES); o += 64)                     \
        _mm_prefetch((const char *)w + ND_PREFETCH_GROUPS * R * rb + o, _MM_HINT_T0);           \
      for (int g = 0; g < (E) / 32; g++) {                                                      \
        const float *xg = x + b * (E) + 32 * g;                                                 \
        const __m512 x0 = _mm512_loadu_ps(xg), x1 = _mm512_loadu_ps(xg + 16);                   \
        for (int r = 0; r < R; r++) {                                                           \
          const nd_w32 v = w32_##T(w + r * rb + b * (BYTES), g);                                \
          acc[r] = _mm512_fmadd_ps(v.hi, x1, _mm512_fmadd_ps(v.lo, x0, acc[r]));                \
        }                                                                                       \
      }                                                                                         \
    }                                                                                           \
    for (int r = 0; r < R; r++) y[r] = tree16(acc[r]);                                          \
  }

// Plain float rows: 16 at a time, a partial last chunk zero-padded by masked loads.
static inline __attribute__((always_inline)) __m512 w16_f32(const uint8_t *p, int64_t i, __mmask16 k) {
  return _mm512_maskz_loadu_ps(k, (const float *)p + i);
}
static inline __attribute__((always_inline)) __m512 w16_f16(const uint8_t *p, int64_t i, __mmask16 k) {
  return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(k, p + 2 * i));
}
static inline __attribute__((always_inline)) __m512 w16_bf16(const uint8_t *p, int64_t i, __mmask16 k) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(k, p + 2 * i)), 16));
}

#define ND_PLAIN_ROWS(T)                                                                        \
  static inline __attribute__((always_inline)) void rows_##T(const uint8_t *w, int64_t rb, const int R, \
                                                             const float *x, int64_t n, float *y) { \
    __m512 acc[8];                                                                              \
    for (int r = 0; r < R; r++) acc[r] = _mm512_setzero_ps();                                  \
    for (int64_t i = 0; i < n; i += 16) {                                                       \
      const __mmask16 k = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);   \
      const __m512 xv = _mm512_maskz_loadu_ps(k, x + i);                                        \
      for (int r = 0; r < R; r++) acc[r] = _mm512_fmadd_ps(w16_##T(w + r * rb, i, k), xv, acc[r]); \
    }                                                                                           \
    for (int r = 0; r < R; r++) y[r] = tree16(acc[r]);                                          \
  }

// Eight rows at a time with 32 registers; the K-quant decoders need more registers
// of their own, and four rows measured faster for them.
#define ND_MATVEC(T) ND_DEFINE_MATVEC(nd_matvec_##T##_avx512, nd_dot_##T##_f32_avx512, rows_##T, 8)
#define ND_MATVEC4(T) ND_DEFINE_MATVEC(nd_matvec_##T##_avx512, nd_dot_##T##_f32_avx512, rows_##T, 4)

// Dequantization of block formats: the same group decoders, stored instead of dotted.
#define ND_DEQUANTIZE(T, E, BYTES)                                                              \
  void nd_dequantize_row_##T##_avx512(const void *src, float *y, int64_t n) {                           \
    for (int64_t b = 0; b < n / (E); b++) {                                                     \
      for (int g = 0; g < (E) / 32; g++) {                                                      \
        const nd_w32 v = w32_##T((const uint8_t *)src + b * (BYTES), g);                        \
        _mm512_storeu_ps(y + b * (E) + 32 * g, v.lo);                                           \
        _mm512_storeu_ps(y + b * (E) + 32 * g + 16, v.hi);                                      \
      }                                                                                         \
    }                                                                                           \
  }

#define nd_dequantize_row_f32_avx512 nd_dequantize_row_f32_ref
ND_PLAIN_ROWS(f32) ND_MATVEC(f32)
ND_PLAIN_ROWS(f16) ND_MATVEC(f16)
ND_PLAIN_ROWS(bf16) ND_MATVEC(bf16)
ND_BLOCK_ROWS(q4_0, ND_QK, ND_Q4_0_BYTES) ND_MATVEC(q4_0) ND_DEQUANTIZE(q4_0, ND_QK, ND_Q4_0_BYTES)
ND_BLOCK_ROWS(q4_1, ND_QK, ND_Q4_1_BYTES) ND_MATVEC(q4_1) ND_DEQUANTIZE(q4_1, ND_QK, ND_Q4_1_BYTES)
ND_BLOCK_ROWS(q5_0, ND_QK, ND_Q5_0_BYTES) ND_MATVEC(q5_0) ND_DEQUANTIZE(q5_0, ND_QK, ND_Q5_0_BYTES)
ND_BLOCK_ROWS(q5_1, ND_QK, ND_Q5_1_BYTES) ND_MATVEC(q5_1) ND_DEQUANTIZE(q5_1, ND_QK, ND_Q5_1_BYTES)
ND_BLOCK_ROWS(q8_0, ND_QK, ND_Q8_0_BYTES) ND_MATVEC(q8_0) ND_DEQUANTIZE(q8_0, ND_QK, ND_Q8_0_BYTES)
ND_BLOCK_ROWS(q4_K, ND_QK_K, ND_Q4_K_BYTES) ND_MATVEC4(q4_K) ND_DEQUANTIZE(q4_K, ND_QK_K, ND_Q4_K_BYTES)
ND_BLOCK_ROWS(q5_K, ND_QK_K, ND_Q5_K_BYTES) ND_MATVEC4(q5_K) ND_DEQUANTIZE(q5_K, ND_QK_K, ND_Q5_K_BYTES)
ND_BLOCK_ROWS(q6_K, ND_QK_K, ND_Q6_K_BYTES) ND_MATVEC4(q6_K) ND_DEQUANTIZE(q6_K, ND_QK_K, ND_Q6_K_BYTES)

ND_AVX512_END

/// The AVX-512 kernels of every type (plain float rows dequantize as the references do).
void nd_fill_quants_avx512(nd_quant_kernels *q) {
  int index = 0;
#define ND_ENTRY(T) q[index++] = (nd_quant_kernels){nd_dequantize_row_##T##_avx512, nd_dot_##T##_f32_avx512, nd_matvec_##T##_avx512};
  ND_QUANT_KERNELS(ND_ENTRY)
#undef ND_ENTRY
}

#endif
