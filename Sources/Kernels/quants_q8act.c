// 8-bit-activation kernels: activation row quantizer and integer block dot
// products over Q4_0 / Q4_1 / Q8_0 weights. The fixed order and the row layout
// are documented in nd_q8act.h; the reference below is the definition, the
// AVX-512 VNNI kernels agree with it bit for bit.
#include <math.h>
#include <string.h>
#include "nd_q8act.h"
#include "quant_blocks.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__) && defined(__F16C__)
#include <immintrin.h>
#define ND_Q8ACT_SIMD 1
#else
#define ND_Q8ACT_SIMD 0
#endif

enum { ND_PAIR_BYTES = 192, ND_PAIR_DX = 64, ND_PAIR_SX = 128 };

int nd_q8act_type_for_kernel_index(int index) {
  switch (index) {
    case 3: return ND_Q8ACT_Q4_0;
    case 4: return ND_Q8ACT_Q4_1;
    case 7: return ND_Q8ACT_Q8_0;
    default: return ND_Q8ACT_NONE;
  }
}

static int64_t nd_pairs(int64_t k) { return (k / ND_QK + 1) / 2; }

int64_t nd_q8act_row_bytes(int64_t k) { return nd_pairs(k) * ND_PAIR_BYTES; }

int nd_q8act_simd_enabled(void) { return ND_Q8ACT_SIMD; }

static int64_t nd_block_bytes(int type) {
  switch (type) {
    case ND_Q8ACT_Q4_0: return ND_Q4_0_BYTES;
    case ND_Q8ACT_Q4_1: return ND_Q4_1_BYTES;
    default: return ND_Q8_0_BYTES;
  }
}

// MARK: Reference

/// Byte offset, inside its pair's 64 int8 values, of element e of the pair's half h.
static int nd_lane_byte(int h, int e) { return (e < 16 ? 0 : 32) + 16 * h + (e & 15); }

void nd_q8act_quantize_ref(const float *x, int64_t ldx, int64_t m, int64_t k, void *dst) {
  const int64_t nb = k / ND_QK, row_bytes = nd_q8act_row_bytes(k);
  for (int64_t i = 0; i < m; i++) {
    uint8_t *row = (uint8_t *)dst + i * row_bytes;
    memset(row, 0, (size_t)row_bytes);
    for (int64_t b = 0; b < nb; b++) {
      const float *xb = x + i * ldx + b * ND_QK;
      uint8_t *pair = row + (b / 2) * ND_PAIR_BYTES;
      const int h = (int)(b & 1);
      float amax = 0.0f;
      for (int e = 0; e < ND_QK; e++) {
        const float a = fabsf(xb[e]);
        if (a > amax) amax = a;
      }
      const float d = amax / 127.0f;
      const float id = d != 0.0f ? 1.0f / d : 0.0f;
      int32_t sum = 0;
      for (int e = 0; e < ND_QK; e++) {
        const int32_t q = (int32_t)nearbyintf(xb[e] * id);
        sum += q;
        pair[nd_lane_byte(h, e)] = (uint8_t)(int8_t)q;
      }
      float *dx = (float *)(pair + ND_PAIR_DX), *sx = (float *)(pair + ND_PAIR_SX);
      for (int l = 0; l < 16; l++)
        if (((l >> 2) & 1) == h) dx[l] = d;
      sx[4 * h] = d * (float)sum;
    }
  }
}

/// Weight integer of element e (0..31) of a stored block.
static int32_t nd_weight_int(int type, const uint8_t *blk, int e) {
  switch (type) {
    case ND_Q8ACT_Q4_0: return e < 16 ? blk[2 + e] & 15 : blk[2 + e - 16] >> 4;
    case ND_Q8ACT_Q4_1: return e < 16 ? blk[4 + e] & 15 : blk[4 + e - 16] >> 4;
    default: return (int8_t)blk[2 + e];
  }
}

static void nd_weight_scales(int type, const uint8_t *blk, float *d, float *m) {
  *d = nd_half(blk);
  *m = type == ND_Q8ACT_Q4_1 ? nd_half(blk + 2) : type == ND_Q8ACT_Q4_0 ? -8.0f * *d : 0.0f;
}

static float nd_q8act_dot_ref(int type, const uint8_t *w, const uint8_t *xq, int64_t k) {
  const int64_t nb = k / ND_QK, np = nd_pairs(k), bb = nd_block_bytes(type);
  float acc[16] = {0};
  for (int64_t p = 0; p < np; p++) {
    const uint8_t *pair = xq + p * ND_PAIR_BYTES;
    const float *dx = (const float *)(pair + ND_PAIR_DX), *sx = (const float *)(pair + ND_PAIR_SX);
    for (int l = 0; l < 16; l++) {
      const int h = (l >> 2) & 1;
      const int64_t b = 2 * p + h;
      float dw = 0.0f, mw = type == ND_Q8ACT_Q4_0 ? -8.0f * 0.0f : 0.0f;  // a padding block: d = 0
      int32_t isum = 0;
      if (b < nb) {
        const uint8_t *blk = w + b * bb;
        nd_weight_scales(type, blk, &dw, &mw);
        const int e0 = (l >= 8 ? 16 : 0) + 4 * (l & 3);
        for (int j = 0; j < 4; j++) isum += nd_weight_int(type, blk, e0 + j) * (int8_t)pair[4 * l + j];
      }
      const float t = (float)isum * dx[l];
      acc[l] = fmaf(dw, t, acc[l]);
      if (type != ND_Q8ACT_Q8_0) acc[l] = fmaf(mw, sx[l], acc[l]);
    }
  }
  return nd_tree16(acc);
}

void nd_q8act_matmul_ref(int type, const void *w, int64_t row_bytes, int64_t rows, const void *xq, int64_t m,
                         int64_t k, float *y, int64_t ldy, int accumulate) {
  const int64_t xrow = nd_q8act_row_bytes(k);
  for (int64_t i = 0; i < m; i++)
    for (int64_t r = 0; r < rows; r++) {
      const float v = nd_q8act_dot_ref(type, (const uint8_t *)w + r * row_bytes, (const uint8_t *)xq + i * xrow, k);
      y[i * ldy + r] = accumulate ? y[i * ldy + r] + v : v;
    }
}

#if ND_Q8ACT_SIMD

// MARK: AVX-512 VNNI

void nd_q8act_quantize(const float *x, int64_t ldx, int64_t m, int64_t k, void *dst) {
  const int64_t nb = k / ND_QK, np = nd_pairs(k), row_bytes = nd_q8act_row_bytes(k);
  const __m512 sign = _mm512_castsi512_ps(_mm512_set1_epi32(0x7fffffff));
  for (int64_t i = 0; i < m; i++) {
    uint8_t *row = (uint8_t *)dst + i * row_bytes;
    if (nb & 1) memset(row + (np - 1) * ND_PAIR_BYTES, 0, ND_PAIR_BYTES);  // the zero half of the last pair
    for (int64_t b = 0; b < nb; b++) {
      const float *xb = x + i * ldx + b * ND_QK;
      uint8_t *pair = row + (b / 2) * ND_PAIR_BYTES;
      const int h = (int)(b & 1);
      const __m512 lo = _mm512_loadu_ps(xb), hi = _mm512_loadu_ps(xb + 16);
      const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_and_ps(lo, sign), _mm512_and_ps(hi, sign)));
      const float d = amax / 127.0f;
      const __m512 id = _mm512_set1_ps(d != 0.0f ? 1.0f / d : 0.0f);
      const __m512i qlo = _mm512_cvtps_epi32(_mm512_mul_ps(lo, id));  // MXCSR default: nearest even
      const __m512i qhi = _mm512_cvtps_epi32(_mm512_mul_ps(hi, id));
      _mm_storeu_si128((__m128i *)(pair + 16 * h), _mm512_cvtepi32_epi8(qlo));
      _mm_storeu_si128((__m128i *)(pair + 32 + 16 * h), _mm512_cvtepi32_epi8(qhi));
      const int32_t sum = _mm512_reduce_add_epi32(_mm512_add_epi32(qlo, qhi));
      float *dx = (float *)(pair + ND_PAIR_DX), *sx = (float *)(pair + ND_PAIR_SX);
      const __mmask16 mine = h ? 0xF0F0 : 0x0F0F;
      _mm512_mask_storeu_ps(dx, mine, _mm512_set1_ps(d));
      // sx: this block's scaled sum on its first lane, zeros on its other lanes.
      _mm512_mask_storeu_ps(sx, mine, _mm512_maskz_mov_ps((__mmask16)(1u << (4 * h)), _mm512_set1_ps(d * (float)sum)));
    }
  }
}

/// One pair of weight blocks as 64 unsigned bytes in lane order, their per-lane
/// scales, and (Q8_0) the lanes whose weights are negative.
typedef struct {
  __m512i u;
  __m512 dw, mw;
  __mmask64 neg;
} nd_wpair;

static inline __attribute__((always_inline)) nd_wpair nd_load_pair(const int type, const uint8_t *b0, int has1) {
  const uint8_t *b1 = b0 + nd_block_bytes(type);
  nd_wpair w;
  w.neg = 0;
  if (type == ND_Q8ACT_Q8_0) {
    const __m256i a = _mm256_loadu_si256((const __m256i *)(b0 + 2));
    const __m256i b = has1 ? _mm256_loadu_si256((const __m256i *)(b1 + 2)) : _mm256_setzero_si256();
    // [b0 0..15, b0 16..31, b1 0..15, b1 16..31] -> [b0 0..15, b1 0..15, b0 16..31, b1 16..31]
    const __m512i v = _mm512_shuffle_i64x2(_mm512_inserti64x4(_mm512_castsi256_si512(a), b, 1),
                                           _mm512_inserti64x4(_mm512_castsi256_si512(a), b, 1), _MM_SHUFFLE(3, 1, 2, 0));
    w.u = _mm512_abs_epi8(v);
    w.neg = _mm512_movepi8_mask(v);
    const __m128 f = _mm_cvtph_ps(_mm_cvtsi32_si128((int)(nd_rd16(b0) | (has1 ? (uint32_t)nd_rd16(b1) << 16 : 0))));
    w.dw = _mm512_permutexvar_ps(_mm512_set_epi32(1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0), _mm512_castps128_ps512(f));
    w.mw = _mm512_setzero_ps();
    return w;
  }
  const int qs = type == ND_Q8ACT_Q4_1 ? 4 : 2;
  const __m128i q0 = _mm_loadu_si128((const __m128i *)(b0 + qs));
  const __m128i q1 = has1 ? _mm_loadu_si128((const __m128i *)(b1 + qs)) : _mm_setzero_si128();
  const __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(q0), q1, 1);
  const __m256i nib = _mm256_set1_epi8(15);
  const __m256i lo = _mm256_and_si256(v, nib), hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), nib);
  w.u = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
  if (type == ND_Q8ACT_Q4_1) {
    // [d0, m0, d1, m1] from the two blocks' leading f16 pairs.
    const __m128 f = _mm_cvtph_ps(_mm_set_epi32(0, 0, has1 ? (int)nd_rd32(b1) : 0, (int)nd_rd32(b0)));
    const __m512 f5 = _mm512_castps128_ps512(f);
    w.dw = _mm512_permutexvar_ps(_mm512_set_epi32(2, 2, 2, 2, 0, 0, 0, 0, 2, 2, 2, 2, 0, 0, 0, 0), f5);
    w.mw = _mm512_permutexvar_ps(_mm512_set_epi32(3, 3, 3, 3, 1, 1, 1, 1, 3, 3, 3, 3, 1, 1, 1, 1), f5);
  } else {
    const __m128 f = _mm_cvtph_ps(_mm_cvtsi32_si128((int)(nd_rd16(b0) | (has1 ? (uint32_t)nd_rd16(b1) << 16 : 0))));
    w.dw = _mm512_permutexvar_ps(_mm512_set_epi32(1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0), _mm512_castps128_ps512(f));
    w.mw = _mm512_mul_ps(w.dw, _mm512_set1_ps(-8.0f));
  }
  return w;
}

/// R weight rows × M activation rows over all pairs; out[r][i] = the fixed-order dot.
static inline __attribute__((always_inline)) void nd_q8_tile(const int type, const int R, const int M, const uint8_t *w,
                                                             int64_t row_bytes, const uint8_t *xq, int64_t xrow,
                                                             int64_t k, float out[4][4]) {
  const int64_t nb = k / ND_QK, np = nd_pairs(k), bb = nd_block_bytes(type);
  __m512 acc[4][4];
  for (int r = 0; r < R; r++)
    for (int i = 0; i < M; i++) acc[r][i] = _mm512_setzero_ps();
  for (int64_t p = 0; p < np; p++) {
    const int has1 = 2 * p + 1 < nb;
    __m512i x[4];
    __m512 dx[4], sx[4];
    for (int i = 0; i < M; i++) {
      const uint8_t *pair = xq + i * xrow + p * ND_PAIR_BYTES;
      x[i] = _mm512_loadu_si512(pair);
      dx[i] = _mm512_loadu_ps(pair + ND_PAIR_DX);
      sx[i] = _mm512_loadu_ps(pair + ND_PAIR_SX);
    }
    for (int r = 0; r < R; r++) {
      const nd_wpair wp = nd_load_pair(type, w + r * row_bytes + 2 * p * bb, has1);
      for (int i = 0; i < M; i++) {
        const __m512i xs = type == ND_Q8ACT_Q8_0 ? _mm512_mask_sub_epi8(x[i], wp.neg, _mm512_setzero_si512(), x[i]) : x[i];
        const __m512i isum = _mm512_dpbusd_epi32(_mm512_setzero_si512(), wp.u, xs);
        const __m512 t = _mm512_mul_ps(_mm512_cvtepi32_ps(isum), dx[i]);
        acc[r][i] = _mm512_fmadd_ps(wp.dw, t, acc[r][i]);
        if (type != ND_Q8ACT_Q8_0) acc[r][i] = _mm512_fmadd_ps(wp.mw, sx[i], acc[r][i]);
      }
    }
  }
  for (int r = 0; r < R; r++)
    for (int i = 0; i < M; i++) {
      float lanes[16];
      _mm512_storeu_ps(lanes, acc[r][i]);
      out[r][i] = nd_tree16(lanes);
    }
}

#define ND_TILE_CASE(T, R, M) \
  case (T) * 100 + (R) * 10 + (M): nd_q8_tile((T), (R), (M), w, row_bytes, xq, xrow, k, out); break;
#define ND_TILE_MS(T, R) ND_TILE_CASE(T, R, 1) ND_TILE_CASE(T, R, 2) ND_TILE_CASE(T, R, 3) ND_TILE_CASE(T, R, 4)
#define ND_TILE_TYPE(T) ND_TILE_MS(T, 1) ND_TILE_MS(T, 4)

static void nd_q8_tile_any(int type, int R, int M, const uint8_t *w, int64_t row_bytes, const uint8_t *xq,
                           int64_t xrow, int64_t k, float out[4][4]) {
  switch (type * 100 + R * 10 + M) {
    ND_TILE_TYPE(ND_Q8ACT_Q4_0) ND_TILE_TYPE(ND_Q8ACT_Q4_1) ND_TILE_TYPE(ND_Q8ACT_Q8_0)
    default: break;
  }
}

enum { ND_AHEAD = 4 };

/// Weight rows [r0, r1) × activation rows [i0, i1): 4 × 4 register tiles, leftover weight rows one by one.
static void nd_q8_block(int type, const uint8_t *w, int64_t row_bytes, int64_t r0, int64_t r1, const uint8_t *xq,
                        int64_t xrow, int64_t i0, int64_t i1, int64_t k, float *y, int64_t ldy, int accumulate) {
  for (int64_t i = i0; i < i1; i += 4) {
    const int M = i1 - i < 4 ? (int)(i1 - i) : 4;
    for (int64_t r = r0; r < r1;) {
      const int R = r1 - r >= 4 ? 4 : 1;
      // The 4 rows interleave short runs, which the hardware prefetchers follow
      // poorly: fetch the rows ND_AHEAD groups ahead while these compute.
      if (i == i0 && r + (ND_AHEAD + 1) * 4 <= r1) {
        const uint8_t *next = w + (r + ND_AHEAD * 4) * row_bytes;
        for (int64_t b = 0; b < 4 * row_bytes; b += 64) _mm_prefetch((const char *)next + b, _MM_HINT_T0);
      }
      float out[4][4];
      nd_q8_tile_any(type, R, M, w + r * row_bytes, row_bytes, xq + i * xrow, xrow, k, out);
      for (int rr = 0; rr < R; rr++)
        for (int ii = 0; ii < M; ii++) {
          float *dst = y + (i + ii) * ldy + r + rr;
          *dst = accumulate ? *dst + out[rr][ii] : out[rr][ii];
        }
      r += R;
    }
  }
}

void nd_q8act_matmul(int type, const void *w, int64_t row_bytes, int64_t rows, const void *xq, int64_t m,
                     int64_t k, float *y, int64_t ldy, int accumulate) {
  const int64_t xrow = nd_q8act_row_bytes(k);
  if (m <= 4) {
    nd_q8_block(type, w, row_bytes, 0, rows, xq, xrow, 0, m, k, y, ldy, accumulate);
    return;
  }
  // Many rows: a weight tile (~L2-resident, stored size) swept by activation tiles.
  int64_t wtile = (64 * 1024) / (row_bytes > 0 ? row_bytes : 1);
  wtile = wtile < 4 ? 4 : wtile > 64 ? 64 : wtile & ~(int64_t)3;
  int64_t xtile = (256 * 1024) / xrow;
  xtile = xtile < 4 ? 4 : xtile & ~(int64_t)3;
  for (int64_t r0 = 0; r0 < rows; r0 += wtile) {
    const int64_t r1 = r0 + wtile < rows ? r0 + wtile : rows;
    for (int64_t i0 = 0; i0 < m; i0 += xtile) {
      const int64_t i1 = i0 + xtile < m ? i0 + xtile : m;
      nd_q8_block(type, w, row_bytes, r0, r1, xq, xrow, i0, i1, k, y, ldy, accumulate);
    }
  }
}

#else

void nd_q8act_quantize(const float *x, int64_t ldx, int64_t m, int64_t k, void *dst) {
  nd_q8act_quantize_ref(x, ldx, m, k, dst);
}

void nd_q8act_matmul(int type, const void *w, int64_t row_bytes, int64_t rows, const void *xq, int64_t m,
                     int64_t k, float *y, int64_t ldy, int accumulate) {
  nd_q8act_matmul_ref(type, w, row_bytes, rows, xq, m, k, y, ldy, accumulate);
}

#endif
