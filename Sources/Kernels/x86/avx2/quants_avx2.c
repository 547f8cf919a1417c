// AVX2 (+FMA, F16C) dequantization and dot products for CPUs without AVX-512.
// The 16 logical lanes of nd_quants.h live in two 8-lane registers (lanes 0-7
// and 8-15), so every result is bit-identical to the AVX-512 kernels and the
// scalar references.
#pragma clang fp contract(off)

#if defined(__x86_64__)
#include "../../kernel_table.h"
#include "../../quant_blocks.h"
#include "avx2.h"

ND_AVX2_BEGIN

typedef struct { __m256 v[4]; } nd_w32x4;  // weights 0-7, 8-15, 16-23, 24-31 of a group

static inline __m256i u8x8(const uint8_t *p) { return _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p)); }
static inline __m256i i8x8(const uint8_t *p) { return _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p)); }
static inline __m256 ps8(__m256i v) { return _mm256_cvtepi32_ps(v); }
static inline __m256i low4x8(__m256i v) { return _mm256_and_si256(v, _mm256_set1_epi32(0xF)); }
static inline __m256i high4x8(__m256i v) { return _mm256_srli_epi32(v, 4); }
static inline float half2(const uint8_t *p) { return _cvtsh_ss(nd_rd16(p)); }

// Bits `first` .. `first + 7` of qh as 0 or 16 in eight lanes.
static inline __m256i q5_high8(uint32_t qh, int first) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  __m256i bits = _mm256_srlv_epi32(_mm256_set1_epi32((int)qh), _mm256_add_epi32(lanes, _mm256_set1_epi32(first)));
  return _mm256_slli_epi32(_mm256_and_si256(bits, _mm256_set1_epi32(1)), 4);
}

// 16 nibbles of qs[0..15] as four vectors: low nibbles (elements 0-15), then high (16-31).
static inline void nibbles32(const uint8_t *qs, __m256i q[4]) {
  const __m256i a = u8x8(qs), b = u8x8(qs + 8);
  q[0] = low4x8(a); q[1] = low4x8(b); q[2] = high4x8(a); q[3] = high4x8(b);
}

static inline nd_w32x4 scale_offset(const __m256i q[4], float d, float m, int hasMin) {
  nd_w32x4 w;
  const __m256 dv = _mm256_set1_ps(d), mv = _mm256_set1_ps(m);
  // q·d is exact in float32 (a 5-bit q times a half's 11-bit significand), so one fused
  // multiply-add rounds q·d + m exactly as the reference's product-then-sum does.
  for (int k = 0; k < 4; k++) w.v[k] = hasMin ? _mm256_fmadd_ps(ps8(q[k]), dv, mv) : _mm256_mul_ps(ps8(q[k]), dv);
  return w;
}

static inline nd_w32x4 w32x4_q4_0(const uint8_t *blk, int g) {
  (void)g;
  __m256i q[4];
  nibbles32(blk + 2, q);
  for (int k = 0; k < 4; k++) q[k] = _mm256_sub_epi32(q[k], _mm256_set1_epi32(8));
  return scale_offset(q, half2(blk), 0, 0);
}

static inline nd_w32x4 w32x4_q4_1(const uint8_t *blk, int g) {
  (void)g;
  __m256i q[4];
  nibbles32(blk + 4, q);
  return scale_offset(q, half2(blk), half2(blk + 2), 1);
}

static inline void q5_quants(const uint8_t *qs, uint32_t qh, int offset, __m256i q[4]) {
  nibbles32(qs, q);
  for (int k = 0; k < 4; k++) {
    q[k] = _mm256_sub_epi32(_mm256_or_si256(q[k], q5_high8(qh, 8 * k)), _mm256_set1_epi32(offset));
  }
}

static inline nd_w32x4 w32x4_q5_0(const uint8_t *blk, int g) {
  (void)g;
  __m256i q[4];
  q5_quants(blk + 6, nd_rd32(blk + 2), 16, q);
  return scale_offset(q, half2(blk), 0, 0);
}

static inline nd_w32x4 w32x4_q5_1(const uint8_t *blk, int g) {
  (void)g;
  __m256i q[4];
  q5_quants(blk + 8, nd_rd32(blk + 4), 0, q);
  return scale_offset(q, half2(blk), half2(blk + 2), 1);
}

static inline nd_w32x4 w32x4_q8_0(const uint8_t *blk, int g) {
  (void)g;
  __m256i q[4];
  for (int k = 0; k < 4; k++) q[k] = i8x8(blk + 2 + 8 * k);
  return scale_offset(q, half2(blk), 0, 0);
}

// Q4_K / Q5_K sub-block g: (d*sc) * q - dmin*m.
static inline nd_w32x4 w32x4_k_scale_min(const uint8_t *blk, int g, int hasHigh) {
  uint8_t sc, m;
  nd_scale_min_k4(g, blk + 4, &sc, &m);
  const __m256 ds = _mm256_set1_ps(half2(blk) * (float)sc), ms = _mm256_set1_ps(half2(blk + 2) * (float)m);
  const uint8_t *bytes = blk + (hasHigh ? 48 : 16) + 32 * (g / 2);
  nd_w32x4 w;
  for (int k = 0; k < 4; k++) {
    __m256i q = u8x8(bytes + 8 * k);
    q = (g & 1) ? high4x8(q) : low4x8(q);
    if (hasHigh) {
      const __m256i h = _mm256_srlv_epi32(u8x8(blk + 16 + 8 * k), _mm256_set1_epi32(g));
      q = _mm256_or_si256(q, _mm256_slli_epi32(_mm256_and_si256(h, _mm256_set1_epi32(1)), 4));
    }
    w.v[k] = _mm256_fmsub_ps(ds, ps8(q), ms);  // (d·sc)·q is exact (22 bits): one rounding, as the reference's
  }
  return w;
}
static inline nd_w32x4 w32x4_q4_K(const uint8_t *blk, int g) { return w32x4_k_scale_min(blk, g, 0); }
static inline nd_w32x4 w32x4_q5_K(const uint8_t *blk, int g) { return w32x4_k_scale_min(blk, g, 1); }

// Q6_K group g = sub-blocks 2g, 2g + 1 of 16: (d*sc) * (q - 32).
static inline nd_w32x4 w32x4_q6_K(const uint8_t *blk, int g) {
  const int8_t *scales = (const int8_t *)(blk + 192);
  const float d = half2(blk + 208);
  nd_w32x4 w;
  for (int k = 0; k < 4; k++) {
    const int s = 2 * g + k / 2, h = s / 8, t = s % 8, part = 8 * (k % 2);
    const __m256i ql = u8x8(blk + 64 * h + 32 * ((t / 2) % 2) + 16 * (t % 2) + part);
    const __m256i qh = u8x8(blk + 128 + 32 * h + 16 * (t % 2) + part);
    const __m256i lo = _mm256_and_si256(_mm256_srlv_epi32(ql, _mm256_set1_epi32(4 * (t / 4))), _mm256_set1_epi32(0xF));
    const __m256i hi = _mm256_and_si256(_mm256_srlv_epi32(qh, _mm256_set1_epi32(2 * (t / 2))), _mm256_set1_epi32(3));
    const __m256i q = _mm256_sub_epi32(_mm256_or_si256(lo, _mm256_slli_epi32(hi, 4)), _mm256_set1_epi32(32));
    w.v[k] = _mm256_mul_ps(_mm256_set1_ps(d * (float)scales[s]), ps8(q));
  }
  return w;
}

// R rows of a block format, two 8-lane accumulators per row.
#define ND_BLOCK_ROWS_AVX2(T, E, BYTES)                                                         \
  static inline __attribute__((always_inline)) void rows2_##T(const uint8_t *w, int64_t rb, const int R, \
                                                              const float *x, int64_t n, float *y) { \
    __m256 lo[4], hi[4];                                                                        \
    for (int r = 0; r < 4; r++) lo[r] = hi[r] = _mm256_setzero_ps();                             \
    for (int64_t b = 0; b < n / (E); b++) {                                                     \
      /* The R rows after the next R, a block's share of them per block (see quants_avx512.c). */ \
      for (int64_t o = b * R * (BYTES); o < (b + 1) * R * (BYTES); o += 64)                     \
        _mm_prefetch((const char *)w + 2 * R * rb + o, _MM_HINT_T0);                            \
      for (int g = 0; g < (E) / 32; g++) {                                                      \
        const float *xg = x + b * (E) + 32 * g;                                                 \
        const __m256 x0 = _mm256_loadu_ps(xg), x1 = _mm256_loadu_ps(xg + 8);                    \
        const __m256 x2 = _mm256_loadu_ps(xg + 16), x3 = _mm256_loadu_ps(xg + 24);              \
        for (int r = 0; r < R; r++) {                                                           \
          const nd_w32x4 v = w32x4_##T(w + r * rb + b * (BYTES), g);                            \
          lo[r] = _mm256_fmadd_ps(v.v[2], x2, _mm256_fmadd_ps(v.v[0], x0, lo[r]));              \
          hi[r] = _mm256_fmadd_ps(v.v[3], x3, _mm256_fmadd_ps(v.v[1], x1, hi[r]));              \
        }                                                                                       \
      }                                                                                         \
    }                                                                                           \
    for (int r = 0; r < R; r++) y[r] = nd_tree16x2(lo[r], hi[r]);                                  \
  }                                                                                             \
  void nd_dequantize_row_##T##_avx2(const void *src, float *y, int64_t n) {                     \
    for (int64_t b = 0; b < n / (E); b++)                                                       \
      for (int g = 0; g < (E) / 32; g++) {                                                      \
        const nd_w32x4 v = w32x4_##T((const uint8_t *)src + b * (BYTES), g);                    \
        for (int k = 0; k < 4; k++) _mm256_storeu_ps(y + b * (E) + 32 * g + 8 * k, v.v[k]);     \
      }                                                                                         \
  }

// Plain float rows, 16 at a time; a partial last chunk is copied into zero-padded buffers.
static inline void w16_f32_avx2(const uint8_t *p, int64_t i, __m256 *a, __m256 *b) {
  *a = _mm256_loadu_ps((const float *)p + i); *b = _mm256_loadu_ps((const float *)p + i + 8);
}
static inline void w16_f16_avx2(const uint8_t *p, int64_t i, __m256 *a, __m256 *b) {
  *a = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p + 2 * i)));
  *b = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p + 2 * i + 16)));
}
static inline void w16_bf16_avx2(const uint8_t *p, int64_t i, __m256 *a, __m256 *b) {
  *a = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(p + 2 * i))), 16));
  *b = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(p + 2 * i + 16))), 16));
}

#define ND_PLAIN_ROWS_AVX2(T, ELEMENT_BYTES)                                                    \
  static inline __attribute__((always_inline)) void rows2_##T(const uint8_t *w, int64_t rb, const int R, \
                                                              const float *x, int64_t n, float *y) { \
    __m256 lo[4], hi[4];                                                                        \
    for (int r = 0; r < 4; r++) lo[r] = hi[r] = _mm256_setzero_ps();                             \
    int64_t i = 0;                                                                              \
    for (; i + 16 <= n; i += 16) {                                                              \
      const __m256 x0 = _mm256_loadu_ps(x + i), x1 = _mm256_loadu_ps(x + i + 8);                \
      for (int r = 0; r < R; r++) {                                                             \
        __m256 a, b;                                                                            \
        w16_##T##_avx2(w + r * rb, i, &a, &b);                                                  \
        lo[r] = _mm256_fmadd_ps(a, x0, lo[r]);                                                  \
        hi[r] = _mm256_fmadd_ps(b, x1, hi[r]);                                                  \
      }                                                                                         \
    }                                                                                           \
    if (i < n) {                                                                                \
      uint8_t wpad[16 * (ELEMENT_BYTES)] = {0};                                                 \
      float xpad[16] = {0};                                                                     \
      memcpy(xpad, x + i, (size_t)(n - i) * sizeof(float));                                     \
      const __m256 x0 = _mm256_loadu_ps(xpad), x1 = _mm256_loadu_ps(xpad + 8);                  \
      for (int r = 0; r < R; r++) {                                                             \
        __m256 a, b;                                                                            \
        memcpy(wpad, w + r * rb + i * (ELEMENT_BYTES), (size_t)(n - i) * (ELEMENT_BYTES));      \
        w16_##T##_avx2(wpad, 0, &a, &b);                                                        \
        lo[r] = _mm256_fmadd_ps(a, x0, lo[r]);                                                  \
        hi[r] = _mm256_fmadd_ps(b, x1, hi[r]);                                                  \
      }                                                                                         \
    }                                                                                           \
    for (int r = 0; r < R; r++) y[r] = nd_tree16x2(lo[r], hi[r]);                                  \
  }                                                                                             \
  void nd_dequantize_row_##T##_avx2(const void *src, float *y, int64_t n) {                     \
    int64_t i = 0;                                                                              \
    for (; i + 16 <= n; i += 16) {                                                              \
      __m256 a, b;                                                                              \
      w16_##T##_avx2(src, i, &a, &b);                                                           \
      _mm256_storeu_ps(y + i, a);                                                               \
      _mm256_storeu_ps(y + i + 8, b);                                                           \
    }                                                                                           \
    nd_dequantize_row_##T##_ref((const uint8_t *)src + i * (ELEMENT_BYTES), y + i, n - i);      \
  }

#define ND_MATVEC_AVX2(T) ND_DEFINE_MATVEC(nd_matvec_##T##_avx2, nd_dot_##T##_f32_avx2, rows2_##T, 4)

ND_PLAIN_ROWS_AVX2(f32, 4) ND_MATVEC_AVX2(f32)
ND_PLAIN_ROWS_AVX2(f16, 2) ND_MATVEC_AVX2(f16)
ND_PLAIN_ROWS_AVX2(bf16, 2) ND_MATVEC_AVX2(bf16)
ND_BLOCK_ROWS_AVX2(q4_0, ND_QK, ND_Q4_0_BYTES) ND_MATVEC_AVX2(q4_0)
ND_BLOCK_ROWS_AVX2(q4_1, ND_QK, ND_Q4_1_BYTES) ND_MATVEC_AVX2(q4_1)
ND_BLOCK_ROWS_AVX2(q5_0, ND_QK, ND_Q5_0_BYTES) ND_MATVEC_AVX2(q5_0)
ND_BLOCK_ROWS_AVX2(q5_1, ND_QK, ND_Q5_1_BYTES) ND_MATVEC_AVX2(q5_1)
ND_BLOCK_ROWS_AVX2(q8_0, ND_QK, ND_Q8_0_BYTES) ND_MATVEC_AVX2(q8_0)
ND_BLOCK_ROWS_AVX2(q4_K, ND_QK_K, ND_Q4_K_BYTES) ND_MATVEC_AVX2(q4_K)
ND_BLOCK_ROWS_AVX2(q5_K, ND_QK_K, ND_Q5_K_BYTES) ND_MATVEC_AVX2(q5_K)
ND_BLOCK_ROWS_AVX2(q6_K, ND_QK_K, ND_Q6_K_BYTES) ND_MATVEC_AVX2(q6_K)

ND_AVX2_END

/// The AVX2 kernels of every type.
void nd_fill_quants_avx2(nd_quant_kernels *q) {
  int index = 0;
#define ND_ENTRY(T) q[index++] = (nd_quant_kernels){nd_dequantize_row_##T##_avx2, nd_dot_##T##_f32_avx2, nd_matvec_##T##_avx2};
  ND_QUANT_KERNELS(ND_ENTRY)
#undef ND_ENTRY
}

#endif
