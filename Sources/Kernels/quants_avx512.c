// AVX-512 dequantization and dot products. Each mirrors its scalar reference in
// dequantize_ref.c / dot_ref.c operation for operation (same roundings, same
// lane assignment and reduction order), so tests can demand bit equality.
// Without AVX-512 the public names run the references.
#pragma clang fp contract(off)

#include "quant_blocks.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
#include <immintrin.h>

int nd_quants_simd_enabled(void) { return 1; }

// 16 bytes widened to 16 int32 lanes.
static inline __m512i u8x16(const uint8_t *p) { return _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)p)); }
static inline __m512i i8x16(const uint8_t *p) { return _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)p)); }
static inline __m512 ps(__m512i v) { return _mm512_cvtepi32_ps(v); }
static inline __m512i low4(__m512i v) { return _mm512_and_si512(v, _mm512_set1_epi32(0xF)); }
static inline __m512i high4(__m512i v) { return _mm512_srli_epi32(v, 4); }

// The pairwise tree of nd_tree16, in registers.
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

// MARK: dequantization

void nd_dequantize_row_f32(const void *src, float *dst, int64_t n) { nd_dequantize_row_f32_ref(src, dst, n); }

void nd_dequantize_row_f16(const void *src, float *dst, int64_t n) {
  const uint8_t *p = src;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(dst + i, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(p + 2 * i))));
  for (; i < n; i++) dst[i] = nd_half(p + 2 * i);
}

void nd_dequantize_row_bf16(const void *src, float *dst, int64_t n) {
  const uint8_t *p = src;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512i w = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(p + 2 * i)));
    _mm512_storeu_ps(dst + i, _mm512_castsi512_ps(_mm512_slli_epi32(w, 16)));
  }
  for (; i < n; i++) dst[i] = nd_bf16_to_f32(nd_rd16(p + 2 * i));
}

void nd_dequantize_row_q4_0(const void *src, float *y, int64_t n) {
  const __m512i eight = _mm512_set1_epi32(8);
  for (int64_t b = 0; b < n / ND_QK; b++, y += ND_QK) {
    const uint8_t *blk = (const uint8_t *)src + b * ND_Q4_0_BYTES;
    const __m512 d = _mm512_set1_ps(nd_half(blk));
    const __m512i q = u8x16(blk + 2);
    _mm512_storeu_ps(y, _mm512_mul_ps(ps(_mm512_sub_epi32(low4(q), eight)), d));
    _mm512_storeu_ps(y + 16, _mm512_mul_ps(ps(_mm512_sub_epi32(high4(q), eight)), d));
  }
}

void nd_dequantize_row_q4_1(const void *src, float *y, int64_t n) {
  for (int64_t b = 0; b < n / ND_QK; b++, y += ND_QK) {
    const uint8_t *blk = (const uint8_t *)src + b * ND_Q4_1_BYTES;
    const __m512 d = _mm512_set1_ps(nd_half(blk)), m = _mm512_set1_ps(nd_half(blk + 2));
    const __m512i q = u8x16(blk + 4);
    _mm512_storeu_ps(y, _mm512_add_ps(_mm512_mul_ps(ps(low4(q)), d), m));
    _mm512_storeu_ps(y + 16, _mm512_add_ps(_mm512_mul_ps(ps(high4(q)), d), m));
  }
}

void nd_dequantize_row_q5_0(const void *src, float *y, int64_t n) {
  const __m512i sixteen = _mm512_set1_epi32(16);
  for (int64_t b = 0; b < n / ND_QK; b++, y += ND_QK) {
    const uint8_t *blk = (const uint8_t *)src + b * ND_Q5_0_BYTES;
    const __m512 d = _mm512_set1_ps(nd_half(blk));
    const uint32_t qh = nd_rd32(blk + 2);
    const __m512i q = u8x16(blk + 6);
    __m512i lo = _mm512_sub_epi32(_mm512_or_si512(low4(q), q5_high(qh, 0)), sixteen);
    __m512i hi = _mm512_sub_epi32(_mm512_or_si512(high4(q), q5_high(qh, 16)), sixteen);
    _mm512_storeu_ps(y, _mm512_mul_ps(ps(lo), d));
    _mm512_storeu_ps(y + 16, _mm512_mul_ps(ps(hi), d));
  }
}

void nd_dequantize_row_q5_1(const void *src, float *y, int64_t n) {
  for (int64_t b = 0; b < n / ND_QK; b++, y += ND_QK) {
    const uint8_t *blk = (const uint8_t *)src + b * ND_Q5_1_BYTES;
    const __m512 d = _mm512_set1_ps(nd_half(blk)), m = _mm512_set1_ps(nd_half(blk + 2));
    const uint32_t qh = nd_rd32(blk + 4);
    const __m512i q = u8x16(blk + 8);
    __m512i lo = _mm512_or_si512(low4(q), q5_high(qh, 0)), hi = _mm512_or_si512(high4(q), q5_high(qh, 16));
    _mm512_storeu_ps(y, _mm512_add_ps(_mm512_mul_ps(ps(lo), d), m));
    _mm512_storeu_ps(y + 16, _mm512_add_ps(_mm512_mul_ps(ps(hi), d), m));
  }
}

void nd_dequantize_row_q8_0(const void *src, float *y, int64_t n) {
  for (int64_t b = 0; b < n / ND_QK; b++, y += ND_QK) {
    const uint8_t *blk = (const uint8_t *)src + b * ND_Q8_0_BYTES;
    const __m512 d = _mm512_set1_ps(nd_half(blk));
    _mm512_storeu_ps(y, _mm512_mul_ps(ps(i8x16(blk + 2)), d));
    _mm512_storeu_ps(y + 16, _mm512_mul_ps(ps(i8x16(blk + 18)), d));
  }
}

// Q4_K / Q5_K: y = (d*sc) * q - (dmin*m), 8 sub-blocks of 32.
static void dequantize_k_scale_min(const uint8_t *src, int blockBytes, int hasHigh, float *y, int64_t n) {
  for (int64_t b = 0; b < n / ND_QK_K; b++) {
    const uint8_t *blk = src + b * blockBytes;
    const float d = nd_half(blk), dmin = nd_half(blk + 2);
    const uint8_t *scales = blk + 4, *qh = blk + 16, *ql = blk + (hasHigh ? 48 : 16);
    for (int s = 0; s < 8; s++, y += 32) {
      uint8_t sc, m;
      nd_scale_min_k4(s, scales, &sc, &m);
      const __m512 ds = _mm512_set1_ps(d * (float)sc), ms = _mm512_set1_ps(dmin * (float)m);
      const uint8_t *bytes = ql + 32 * (s / 2);
      for (int half = 0; half < 2; half++) {
        __m512i q = u8x16(bytes + 16 * half);
        q = (s & 1) ? high4(q) : low4(q);
        if (hasHigh) {
          __m512i h = _mm512_srlv_epi32(u8x16(qh + 16 * half), _mm512_set1_epi32(s));
          q = _mm512_or_si512(q, _mm512_slli_epi32(_mm512_and_si512(h, _mm512_set1_epi32(1)), 4));
        }
        _mm512_storeu_ps(y + 16 * half, _mm512_sub_ps(_mm512_mul_ps(ds, ps(q)), ms));
      }
    }
  }
}

void nd_dequantize_row_q4_K(const void *src, float *y, int64_t n) { dequantize_k_scale_min(src, ND_Q4_K_BYTES, 0, y, n); }
void nd_dequantize_row_q5_K(const void *src, float *y, int64_t n) { dequantize_k_scale_min(src, ND_Q5_K_BYTES, 1, y, n); }

// Q6_K's 16 integer quants of sub-block s (0..15), offset by -32.
static inline __m512i q6_group(const uint8_t *blk, int s) {
  const int h = s / 8, t = s % 8;
  const __m512i ql = u8x16(blk + 64 * h + 32 * ((t / 2) % 2) + 16 * (t % 2));
  const __m512i qh = u8x16(blk + 128 + 32 * h + 16 * (t % 2));
  const __m512i lo = _mm512_and_si512(_mm512_srlv_epi32(ql, _mm512_set1_epi32(4 * (t / 4))), _mm512_set1_epi32(0xF));
  const __m512i hi = _mm512_and_si512(_mm512_srlv_epi32(qh, _mm512_set1_epi32(2 * (t / 2))), _mm512_set1_epi32(3));
  return _mm512_sub_epi32(_mm512_or_si512(lo, _mm512_slli_epi32(hi, 4)), _mm512_set1_epi32(32));
}

void nd_dequantize_row_q6_K(const void *src, float *y, int64_t n) {
  for (int64_t b = 0; b < n / ND_QK_K; b++) {
    const uint8_t *blk = (const uint8_t *)src + b * ND_Q6_K_BYTES;
    const int8_t *scales = (const int8_t *)(blk + 192);
    const float d = nd_half(blk + 208);
    for (int s = 0; s < 16; s++, y += 16) {
      _mm512_storeu_ps(y, _mm512_mul_ps(_mm512_set1_ps(d * (float)scales[s]), ps(q6_group(blk, s))));
    }
  }
}

// MARK: dot products

// F32 / F16 / BF16: chunk c of 16 into accumulator c % 4, a partial last chunk zero-padded.
#define DOT_PLAIN(NAME, LOAD, LOAD_MASKED)                                        \
  float NAME(const void *row, const float *x, int64_t n) {                        \
    const uint8_t *p = row;                                                       \
    __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()}; \
    int64_t c = 0;                                                                \
    for (; (c + 4) * 16 <= n; c += 4) {                                           \
      for (int k = 0; k < 4; k++) {                                               \
        const int64_t i = (c + k) * 16;                                           \
        acc[k] = _mm512_fmadd_ps(LOAD, _mm512_loadu_ps(x + i), acc[k]);          \
      }                                                                           \
    }                                                                             \
    for (; c * 16 < n; c++) {                                                     \
      const int64_t i = c * 16;                                                   \
      const __mmask16 mask = (n - i >= 16) ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1); \
      acc[c & 3] = _mm512_fmadd_ps(LOAD_MASKED, _mm512_maskz_loadu_ps(mask, x + i), acc[c & 3]); \
    }                                                                             \
    return tree16(_mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3]))); \
  }

DOT_PLAIN(nd_dot_f32_f32, _mm512_loadu_ps((const float *)(p + 4 * i)),
          _mm512_maskz_loadu_ps(mask, (const float *)(p + 4 * i)))
DOT_PLAIN(nd_dot_f16_f32, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(p + 2 * i))),
          _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask, p + 2 * i)))
DOT_PLAIN(nd_dot_bf16_f32,
          _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(p + 2 * i))), 16)),
          _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(mask, p + 2 * i)), 16)))

// One 32-element group: acc = fma(scale, q_lo*x_lo ⊕fma q_hi*x_hi, acc) [+ fma(min, x_lo + x_hi, acc)].
static inline __m512 group32(__m512 acc, __m512 qlo, __m512 qhi, const float *x, float scale, float minScale, int hasMin) {
  const __m512 x0 = _mm512_loadu_ps(x), x1 = _mm512_loadu_ps(x + 16);
  const __m512 p = _mm512_fmadd_ps(qhi, x1, _mm512_mul_ps(qlo, x0));
  acc = _mm512_fmadd_ps(_mm512_set1_ps(scale), p, acc);
  if (hasMin) acc = _mm512_fmadd_ps(_mm512_set1_ps(minScale), _mm512_add_ps(x0, x1), acc);
  return acc;
}

float nd_dot_q4_0_f32(const void *row, const float *x, int64_t n) {
  __m512 acc[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
  const __m512i eight = _mm512_set1_epi32(8);
  for (int64_t b = 0; b < n / ND_QK; b++) {
    const uint8_t *blk = (const uint8_t *)row + b * ND_Q4_0_BYTES;
    const __m512i q = u8x16(blk + 2);
    acc[b & 1] = group32(acc[b & 1], ps(_mm512_sub_epi32(low4(q), eight)), ps(_mm512_sub_epi32(high4(q), eight)),
                         x + b * ND_QK, nd_half(blk), 0, 0);
  }
  return tree16(_mm512_add_ps(acc[0], acc[1]));
}

float nd_dot_q4_1_f32(const void *row, const float *x, int64_t n) {
  __m512 acc[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
  for (int64_t b = 0; b < n / ND_QK; b++) {
    const uint8_t *blk = (const uint8_t *)row + b * ND_Q4_1_BYTES;
    const __m512i q = u8x16(blk + 4);
    acc[b & 1] = group32(acc[b & 1], ps(low4(q)), ps(high4(q)), x + b * ND_QK, nd_half(blk), nd_half(blk + 2), 1);
  }
  return tree16(_mm512_add_ps(acc[0], acc[1]));
}

float nd_dot_q5_0_f32(const void *row, const float *x, int64_t n) {
  __m512 acc[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
  const __m512i sixteen = _mm512_set1_epi32(16);
  for (int64_t b = 0; b < n / ND_QK; b++) {
    const uint8_t *blk = (const uint8_t *)row + b * ND_Q5_0_BYTES;
    const uint32_t qh = nd_rd32(blk + 2);
    const __m512i q = u8x16(blk + 6);
    const __m512i lo = _mm512_sub_epi32(_mm512_or_si512(low4(q), q5_high(qh, 0)), sixteen);
    const __m512i hi = _mm512_sub_epi32(_mm512_or_si512(high4(q), q5_high(qh, 16)), sixteen);
    acc[b & 1] = group32(acc[b & 1], ps(lo), ps(hi), x + b * ND_QK, nd_half(blk), 0, 0);
  }
  return tree16(_mm512_add_ps(acc[0], acc[1]));
}

float nd_dot_q5_1_f32(const void *row, const float *x, int64_t n) {
  __m512 acc[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
  for (int64_t b = 0; b < n / ND_QK; b++) {
    const uint8_t *blk = (const uint8_t *)row + b * ND_Q5_1_BYTES;
    const uint32_t qh = nd_rd32(blk + 4);
    const __m512i q = u8x16(blk + 8);
    const __m512i lo = _mm512_or_si512(low4(q), q5_high(qh, 0)), hi = _mm512_or_si512(high4(q), q5_high(qh, 16));
    acc[b & 1] = group32(acc[b & 1], ps(lo), ps(hi), x + b * ND_QK, nd_half(blk), nd_half(blk + 2), 1);
  }
  return tree16(_mm512_add_ps(acc[0], acc[1]));
}

float nd_dot_q8_0_f32(const void *row, const float *x, int64_t n) {
  __m512 acc[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
  for (int64_t b = 0; b < n / ND_QK; b++) {
    const uint8_t *blk = (const uint8_t *)row + b * ND_Q8_0_BYTES;
    acc[b & 1] = group32(acc[b & 1], ps(i8x16(blk + 2)), ps(i8x16(blk + 18)), x + b * ND_QK, nd_half(blk), 0, 0);
  }
  return tree16(_mm512_add_ps(acc[0], acc[1]));
}

// Q4_K / Q5_K: sub-block s of every super-block goes to accumulator s % 2 (8 per block keeps the parity global).
static float dot_k_scale_min(const uint8_t *row, int blockBytes, int hasHigh, const float *x, int64_t n) {
  __m512 acc[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
  const __m512i one = _mm512_set1_epi32(1);
  for (int64_t b = 0; b < n / ND_QK_K; b++, x += ND_QK_K) {
    const uint8_t *blk = row + b * blockBytes;
    const float d = nd_half(blk), dmin = nd_half(blk + 2);
    const uint8_t *scales = blk + 4, *qh = blk + 16, *ql = blk + (hasHigh ? 48 : 16);
    __m512i h0 = _mm512_setzero_si512(), h1 = _mm512_setzero_si512();
    if (hasHigh) { h0 = u8x16(qh); h1 = u8x16(qh + 16); }
    for (int pair = 0; pair < 4; pair++) {
      const __m512i b0 = u8x16(ql + 32 * pair), b1 = u8x16(ql + 32 * pair + 16);
      for (int odd = 0; odd < 2; odd++) {
        const int s = 2 * pair + odd;
        uint8_t sc, m;
        nd_scale_min_k4(s, scales, &sc, &m);
        __m512i qlo = odd ? high4(b0) : low4(b0), qhi = odd ? high4(b1) : low4(b1);
        if (hasHigh) {
          const __m512i shift = _mm512_set1_epi32(s);
          qlo = _mm512_or_si512(qlo, _mm512_slli_epi32(_mm512_and_si512(_mm512_srlv_epi32(h0, shift), one), 4));
          qhi = _mm512_or_si512(qhi, _mm512_slli_epi32(_mm512_and_si512(_mm512_srlv_epi32(h1, shift), one), 4));
        }
        acc[odd] = group32(acc[odd], ps(qlo), ps(qhi), x + 32 * s, d * (float)sc, -(dmin * (float)m), 1);
      }
    }
  }
  return tree16(_mm512_add_ps(acc[0], acc[1]));
}

float nd_dot_q4_K_f32(const void *row, const float *x, int64_t n) { return dot_k_scale_min(row, ND_Q4_K_BYTES, 0, x, n); }
float nd_dot_q5_K_f32(const void *row, const float *x, int64_t n) { return dot_k_scale_min(row, ND_Q5_K_BYTES, 1, x, n); }

float nd_dot_q6_K_f32(const void *row, const float *x, int64_t n) {
  __m512 acc[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
  for (int64_t b = 0; b < n / ND_QK_K; b++, x += ND_QK_K) {
    const uint8_t *blk = (const uint8_t *)row + b * ND_Q6_K_BYTES;
    const int8_t *scales = (const int8_t *)(blk + 192);
    const float d = nd_half(blk + 208);
    for (int s = 0; s < 16; s++) {
      const __m512 p = _mm512_mul_ps(ps(q6_group(blk, s)), _mm512_loadu_ps(x + 16 * s));
      acc[s & 1] = _mm512_fmadd_ps(_mm512_set1_ps(d * (float)scales[s]), p, acc[s & 1]);
    }
  }
  return tree16(_mm512_add_ps(acc[0], acc[1]));
}

#else  // no AVX-512: the references are the implementation.

int nd_quants_simd_enabled(void) { return 0; }

#define ND_FORWARD(T) \
  void nd_dequantize_row_##T(const void *src, float *dst, int64_t n) { nd_dequantize_row_##T##_ref(src, dst, n); } \
  float nd_dot_##T##_f32(const void *row, const float *x, int64_t n) { return nd_dot_##T##_f32_ref(row, x, n); }
ND_QUANT_KERNELS(ND_FORWARD)
#undef ND_FORWARD

#endif
