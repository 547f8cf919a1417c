// 8-bit-activation kernels: activation row quantizer and integer block dot
// products over Q4_0 / Q4_1 / Q8_0 weights. The fixed order and the row layout
// are documented in nd_q8act.h; the reference below is the definition, the
// AVX-512 VNNI kernels agree with it bit for bit.
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nd_q8act.h"
#include "quant_blocks.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__) && defined(__F16C__)
#include <immintrin.h>
#define ND_Q8ACT_SIMD 1
#else
#define ND_Q8ACT_SIMD 0
#endif

// One group of 16 blocks in an activation row: values, then per-block dx, sx, sum(xq).
enum { ND_GROUP = 16, ND_XG_BYTES = 704, ND_XG_DX = 512, ND_XG_SX = 576, ND_XG_SUM = 640 };

int nd_q8act_type_for_kernel_index(int index) {
  switch (index) {
    case 3: return ND_Q8ACT_Q4_0;
    case 4: return ND_Q8ACT_Q4_1;
    case 7: return ND_Q8ACT_Q8_0;
    default: return ND_Q8ACT_NONE;
  }
}

static int64_t nd_groups(int64_t k) { return (k / ND_QK + ND_GROUP - 1) / ND_GROUP; }

int64_t nd_q8act_row_bytes(int64_t k) { return nd_groups(k) * ND_XG_BYTES; }

int nd_q8act_simd_enabled(void) { return ND_Q8ACT_SIMD; }

static int64_t nd_block_bytes(int type) {
  switch (type) {
    case ND_Q8ACT_Q4_0: return ND_Q4_0_BYTES;
    case ND_Q8ACT_Q4_1: return ND_Q4_1_BYTES;
    default: return ND_Q8_0_BYTES;
  }
}

/// Byte offset, inside its group's values, of element e of the group's block beta (0..15).
static int nd_slot(int beta, int e) { return (beta / 4) * 128 + (e / 16) * 64 + (beta % 4) * 16 + (e & 15); }

/// The lane of a group's block beta, and the block of lane l (the same 4 x 4 transpose).
static int nd_lane(int beta) { return 4 * (beta % 4) + beta / 4; }

// MARK: Reference

void nd_q8act_quantize_ref(const float *x, int64_t ldx, int64_t m, int64_t k, void *dst) {
  const int64_t nb = k / ND_QK, row_bytes = nd_q8act_row_bytes(k);
  for (int64_t i = 0; i < m; i++) {
    uint8_t *row = (uint8_t *)dst + i * row_bytes;
    memset(row, 0, (size_t)row_bytes);
    for (int64_t b = 0; b < nb; b++) {
      const float *xb = x + i * ldx + b * ND_QK;
      uint8_t *group = row + (b / ND_GROUP) * ND_XG_BYTES;
      const int beta = (int)(b % ND_GROUP), l = nd_lane(beta);
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
        group[nd_slot(beta, e)] = (uint8_t)(int8_t)q;
      }
      ((float *)(group + ND_XG_DX))[l] = d;
      ((float *)(group + ND_XG_SX))[l] = d * (float)sum;
      ((int32_t *)(group + ND_XG_SUM))[l] = sum;
    }
  }
}

/// Weight integer of element e (0..31) of a stored block.
static int32_t nd_weight_int(int type, const uint8_t *blk, int e) {
  switch (type) {
    case ND_Q8ACT_Q4_0: return (e < 16 ? blk[2 + e] & 15 : blk[2 + e - 16] >> 4) - 8;
    case ND_Q8ACT_Q4_1: return e < 16 ? blk[4 + e] & 15 : blk[4 + e - 16] >> 4;
    default: return (int8_t)blk[2 + e];
  }
}

static float nd_q8act_dot_ref(int type, const uint8_t *w, const uint8_t *xq, int64_t k) {
  const int64_t nb = k / ND_QK, ng = nd_groups(k), bb = nd_block_bytes(type);
  float acc[16] = {0};
  for (int64_t g = 0; g < ng; g++) {
    const uint8_t *group = xq + g * ND_XG_BYTES;
    const float *dx = (const float *)(group + ND_XG_DX), *sx = (const float *)(group + ND_XG_SX);
    for (int l = 0; l < ND_GROUP; l++) {
      const int beta = nd_lane(l);
      const int64_t b = g * ND_GROUP + beta;
      float dw = 0.0f, mw = 0.0f;
      int32_t isum = 0;
      if (b < nb) {
        const uint8_t *blk = w + b * bb;
        dw = nd_half(blk);
        if (type == ND_Q8ACT_Q4_1) mw = nd_half(blk + 2);
        for (int e = 0; e < ND_QK; e++) isum += nd_weight_int(type, blk, e) * (int8_t)group[nd_slot(beta, e)];
      }
      const float t = (float)isum * dx[l];
      acc[l] = fmaf(dw, t, acc[l]);
      if (type == ND_Q8ACT_Q4_1) acc[l] = fmaf(mw, sx[l], acc[l]);
    }
  }
  return nd_lane_tree(acc);
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
  const int64_t nb = k / ND_QK, ng = nd_groups(k), row_bytes = nd_q8act_row_bytes(k);
  const __m512 sign = _mm512_castsi512_ps(_mm512_set1_epi32(0x7fffffff));
  for (int64_t i = 0; i < m; i++) {
    uint8_t *row = (uint8_t *)dst + i * row_bytes;
    if (nb % ND_GROUP) memset(row + (ng - 1) * ND_XG_BYTES, 0, ND_XG_BYTES);  // padding blocks of the last group
    for (int64_t b = 0; b < nb; b++) {
      const float *xb = x + i * ldx + b * ND_QK;
      uint8_t *group = row + (b / ND_GROUP) * ND_XG_BYTES;
      const int beta = (int)(b % ND_GROUP), l = nd_lane(beta);
      const __m512 lo = _mm512_loadu_ps(xb), hi = _mm512_loadu_ps(xb + 16);
      const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_and_ps(lo, sign), _mm512_and_ps(hi, sign)));
      const float d = amax / 127.0f;
      const __m512 id = _mm512_set1_ps(d != 0.0f ? 1.0f / d : 0.0f);
      const __m512i qlo = _mm512_cvtps_epi32(_mm512_mul_ps(lo, id));  // MXCSR default: nearest even
      const __m512i qhi = _mm512_cvtps_epi32(_mm512_mul_ps(hi, id));
      _mm_storeu_si128((__m128i *)(group + nd_slot(beta, 0)), _mm512_cvtepi32_epi8(qlo));
      _mm_storeu_si128((__m128i *)(group + nd_slot(beta, 16)), _mm512_cvtepi32_epi8(qhi));
      const int32_t sum = _mm512_reduce_add_epi32(_mm512_add_epi32(qlo, qhi));
      ((float *)(group + ND_XG_DX))[l] = d;
      ((float *)(group + ND_XG_SX))[l] = d * (float)sum;
      ((int32_t *)(group + ND_XG_SUM))[l] = sum;
    }
  }
}

/// 16 bytes at p, or zeros.
static inline __m128i nd_load16(const uint8_t *p, int present) {
  return present ? _mm_loadu_si128((const __m128i *)p) : _mm_setzero_si128();
}

/// Four 16-byte pieces, one from each of 4 consecutive blocks (`present` of them real).
static inline __attribute__((always_inline)) __m512i nd_load_quad(const uint8_t *p, int64_t bb, int present) {
  if (present >= 4) {
    __m512i v = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)p));
    v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(p + bb)), 1);
    v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(p + 2 * bb)), 2);
    return _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(p + 3 * bb)), 3);
  }
  __m512i v = _mm512_castsi128_si512(nd_load16(p, present > 0));
  v = _mm512_inserti32x4(v, nd_load16(p + bb, present > 1), 1);
  v = _mm512_inserti32x4(v, nd_load16(p + 2 * bb, present > 2), 2);
  return _mm512_inserti32x4(v, _mm_setzero_si128(), 3);
}

/// Lane 4t + j = sum of lanes 4t..4t+3 of p[j]: each 4-block quad's partial sums per block.
static inline __m512i nd_transpose_add(__m512i p0, __m512i p1, __m512i p2, __m512i p3) {
  const __m512i t0 = _mm512_add_epi32(_mm512_unpacklo_epi32(p0, p1), _mm512_unpackhi_epi32(p0, p1));
  const __m512i t1 = _mm512_add_epi32(_mm512_unpacklo_epi32(p2, p3), _mm512_unpackhi_epi32(p2, p3));
  return _mm512_add_epi32(_mm512_unpacklo_epi64(t0, t1), _mm512_unpackhi_epi64(t0, t1));
}

enum { ND_AHEAD_ROWS = 8 };

/// R weight rows × M activation rows (M <= 4): each row's group unpacked once in
/// registers, dotted with the M rows.
static inline __attribute__((always_inline)) void nd_rows(const int type, const int M, const uint8_t *w,
                                                          int64_t row_bytes, int64_t rows, const uint8_t *xq,
                                                          int64_t xrow, int64_t k, float *y, int64_t ldy,
                                                          int accumulate, int prefetch) {
  const int64_t nb = k / ND_QK, ng = nd_groups(k), bb = nd_block_bytes(type);
  // Lane l's block within its group, times the block size (the 4 x 4 transpose).
  const __m512i index = _mm512_mullo_epi32(_mm512_set_epi32(15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1, 12, 8, 4, 0),
                                           _mm512_set1_epi32((int)bb));
  const __m512i blocks = _mm512_set_epi32(15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1, 12, 8, 4, 0);
  const __m512i nib = _mm512_set1_epi8(15), flip = _mm512_set1_epi8((char)0x80);
  const int qs = type == ND_Q8ACT_Q4_1 ? 4 : 2;
  for (int64_t r = 0; r < rows; r++) {
    if (prefetch && r + ND_AHEAD_ROWS < rows) {
      const char *next = (const char *)w + (r + ND_AHEAD_ROWS) * row_bytes;
      for (int64_t b = 0; b < row_bytes; b += 64) _mm_prefetch(next + b, _MM_HINT_T0);
    }
    const uint8_t *row = w + r * row_bytes;
    __m512 acc[4];
    for (int i = 0; i < M; i++) acc[i] = _mm512_setzero_ps();
    for (int64_t g = 0; g < ng; g++) {
      const int64_t first = g * ND_GROUP;
      __m512i p[4][4];
      for (int j = 0; j < 4; j++) {
        const int64_t present = nb - first - 4 * j;
        if (present <= 0) {
          for (int i = 0; i < M; i++) p[i][j] = _mm512_setzero_si512();
          continue;
        }
        const uint8_t *blk = row + (first + 4 * j) * bb;
        __m512i u0, u1;
        if (type == ND_Q8ACT_Q8_0) {
          u0 = _mm512_xor_si512(nd_load_quad(blk + 2, bb, (int)present), flip);
          u1 = _mm512_xor_si512(nd_load_quad(blk + 18, bb, (int)present), flip);
        } else {
          const __m512i v = nd_load_quad(blk + qs, bb, (int)present);
          u0 = _mm512_and_si512(v, nib);
          u1 = _mm512_and_si512(_mm512_srli_epi16(v, 4), nib);
        }
        for (int i = 0; i < M; i++) {
          const uint8_t *x = xq + i * xrow + g * ND_XG_BYTES + j * 128;
          p[i][j] = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), u0, _mm512_loadu_si512(x)), u1,
                                        _mm512_loadu_si512(x + 64));
        }
      }
      const __mmask16 real = _mm512_cmplt_epi32_mask(blocks, _mm512_set1_epi32((int)(nb - first)));
      const __m512i head = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), real, index, row + first * bb, 1);
      const __m512 dw = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(head));
      const __m512 mw = type == ND_Q8ACT_Q4_1 ? _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(head, 16)))
                                              : _mm512_setzero_ps();
      for (int i = 0; i < M; i++) {
        const uint8_t *x = xq + i * xrow + g * ND_XG_BYTES;
        __m512i isum = nd_transpose_add(p[i][0], p[i][1], p[i][2], p[i][3]);
        if (type != ND_Q8ACT_Q4_1)
          isum = _mm512_sub_epi32(isum, _mm512_slli_epi32(_mm512_loadu_si512(x + ND_XG_SUM), type == ND_Q8ACT_Q8_0 ? 7 : 3));
        const __m512 t = _mm512_mul_ps(_mm512_cvtepi32_ps(isum), _mm512_loadu_ps(x + ND_XG_DX));
        acc[i] = _mm512_fmadd_ps(dw, t, acc[i]);
        if (type == ND_Q8ACT_Q4_1) acc[i] = _mm512_fmadd_ps(mw, _mm512_loadu_ps(x + ND_XG_SX), acc[i]);
      }
    }
    for (int i = 0; i < M; i++) {
      float lanes[16];
      _mm512_storeu_ps(lanes, acc[i]);
      const float v = nd_lane_tree(lanes);
      y[i * ldy + r] = accumulate ? y[i * ldy + r] + v : v;
    }
  }
}

static void nd_rows_any(int type, int M, const uint8_t *w, int64_t row_bytes, int64_t rows, const uint8_t *xq,
                        int64_t xrow, int64_t k, float *y, int64_t ldy, int accumulate, int prefetch) {
#define ND_ROWS(T)                                                                                              \
  if (type == (T)) {                                                                                            \
    switch (M) {                                                                                                \
      case 1: nd_rows((T), 1, w, row_bytes, rows, xq, xrow, k, y, ldy, accumulate, prefetch); return;           \
      case 2: nd_rows((T), 2, w, row_bytes, rows, xq, xrow, k, y, ldy, accumulate, prefetch); return;           \
      case 3: nd_rows((T), 3, w, row_bytes, rows, xq, xrow, k, y, ldy, accumulate, prefetch); return;           \
      default: nd_rows((T), 4, w, row_bytes, rows, xq, xrow, k, y, ldy, accumulate, prefetch); return;          \
    }                                                                                                           \
  }
  ND_ROWS(ND_Q8ACT_Q4_0) ND_ROWS(ND_Q8ACT_Q4_1) ND_ROWS(ND_Q8ACT_Q8_0)
#undef ND_ROWS
}

void nd_q8act_matmul(int type, const void *w, int64_t row_bytes, int64_t rows, const void *xq, int64_t m,
                     int64_t k, float *y, int64_t ldy, int accumulate) {
  const int64_t xrow = nd_q8act_row_bytes(k);
  // A weight tile (~L2-resident, stored size) swept by activation tiles, 4 rows at a time.
  int64_t wtile = m <= 4 ? rows : (64 * 1024) / (row_bytes > 0 ? row_bytes : 1);
  if (wtile < 4) wtile = 4;
  int64_t xtile = (256 * 1024) / xrow;
  xtile = xtile < 4 ? 4 : xtile & ~(int64_t)3;
  for (int64_t r0 = 0; r0 < rows; r0 += wtile) {
    const int64_t tile = rows - r0 < wtile ? rows - r0 : wtile;
    const uint8_t *wt = (const uint8_t *)w + r0 * row_bytes;
    for (int64_t i = 0; i < m; i += 4) {
      const int M = m - i < 4 ? (int)(m - i) : 4;
      // Only the first sweep of a tile fetches it from memory.
      nd_rows_any(type, M, wt, row_bytes, tile, (const uint8_t *)xq + i * xrow, xrow, k, y + i * ldy + r0, ldy,
                  accumulate, i == 0);
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
