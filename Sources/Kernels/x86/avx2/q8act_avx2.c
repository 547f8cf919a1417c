// 8-bit-activation kernels for CPUs without AVX-512 VNNI: the row quantizer, and the Q4_0, Q4_1, Q8_0
// products over the 16-row panels of nd_q8act.h (K-quants: q8act_k_avx2.c) with AVX2 (maddubs) or, where the CPU
// has it, AVX-VNNI (256-bit dpbusd). A 32-byte vector holds 4 consecutive bytes of 8
// panel rows, so a tile is one half panel (8 weight rows) × up to 7 activation rows,
// every weight vector serving every row of the tile. Integer sums are exact, so how
// they are grouped is free; the float steps follow the fixed order, so every result is
// the same bits as nd_q8act_matmul_packed_ref.
#pragma clang fp contract(off)

#if defined(__x86_64__)
#include <string.h>

#include "../../kernel_table.h"
#include "../../q8act_layout.h"
#include "avx2.h"
#include "q8act_panels_avx2.h"

ND_AVX2_BEGIN

// MARK: Quantizer

static inline float nd_hmax8(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  return _mm_cvtss_f32(_mm_max_ss(m, _mm_shuffle_ps(m, m, 1)));
}

static inline int32_t nd_hsum8(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
  return _mm_cvtsi128_si32(_mm_add_epi32(s, _mm_shuffle_epi32(s, 1)));
}

/// max |x| over `n` values (a multiple of 8).
static inline float nd_amax(const float *x, int64_t n) {
  const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  __m256 amax = _mm256_setzero_ps();
  for (int64_t e = 0; e < n; e += 8)
    amax = _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(x + e), magnitude), amax);  // a NaN lane keeps amax, as in the reference
  return nd_hmax8(amax);
}

/// One block of 32 values with scale d: int8 codes to q, and its d · sum, sum, and the sum of its first 16 codes.
static inline void nd_quantize_block(const float *xb, float d, uint8_t *q, float *sx_out, int32_t *sum_out,
                                     int32_t *sum16_out) {
  const __m256 id = _mm256_set1_ps(d != 0.0f ? 1.0f / d : 0.0f);
  __m256i c[4];
  for (int j = 0; j < 4; j++) c[j] = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xb + 8 * j), id));  // MXCSR default: nearest even
  // |code| <= 127, so the saturating packs are exact; they interleave 128-bit lanes, the permute restores order.
  const __m256i bytes = _mm256_packs_epi16(_mm256_packs_epi32(c[0], c[1]), _mm256_packs_epi32(c[2], c[3]));
  _mm256_storeu_si256((__m256i *)q, _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
  const int32_t sum16 = nd_hsum8(_mm256_add_epi32(c[0], c[1]));
  const int32_t sum = sum16 + nd_hsum8(_mm256_add_epi32(c[2], c[3]));
  *sum16_out = sum16;
  *sx_out = d * (float)sum;
  *sum_out = sum;
}

void nd_q8act_quantize_avx2(const float *x, int64_t ldx, int64_t m, int64_t k, int64_t span, void *dst) {
  const int64_t nb = k / ND_QK, row_bytes = nd_q8act_row_bytes(k), per = span / ND_QK;
  for (int64_t i = 0; i < m; i++) {
    uint8_t *row = (uint8_t *)dst + i * row_bytes;
    float *dx = (float *)(row + k), *sx = dx + nb;
    int32_t *sums = (int32_t *)(sx + nb);
    memset(sums + 2 * nb, 0, (size_t)(row_bytes - k - 16 * nb));  // padding
    for (int64_t b = 0; b < nb; b++) {
      const float *xb = x + i * ldx + b * ND_QK;
      if (b % per == 0) dx[b] = nd_amax(xb, span) / 127.0f;
      else dx[b] = dx[b - 1];
      nd_quantize_block(xb, dx[b], row + b * ND_QK, sx + b, sums + b, sums + nb + b);
    }
  }
}

// MARK: The Q4_0, Q4_1 and Q8_0 products' shared steps

// The widest tile (activation rows) of each product and format: what fits its 16 registers
// without spilling; wider ones measured no faster.
#define ND_MADDUBS_ROWS_Q4 4
#define ND_MADDUBS_ROWS_Q8 5
#define ND_VNNI_ROWS_Q4 6
#define ND_VNNI_ROWS_Q8 7

/// Q4_0 nibbles are wq + 8 and Q8_0 bytes wq + 128: the exact sum over them overcounts by that offset times
/// sum(xq). Q4_1's nibbles are its weight integers.
static inline __m256i nd_unbias(const int T, __m256i isum, const uint8_t *row, int64_t k, int64_t b) {
  if (T == ND_Q8ACT_Q4_1) return isum;
  return _mm256_sub_epi32(isum, _mm256_set1_epi32(nd_row_sum(row, k)[b] * (T == ND_Q8ACT_Q8_0 ? 128 : 8)));
}

/// One block's float step of the fixed order for 8 outputs of one activation row.
static inline __m256 nd_block_step8(const int T, __m256 acc, __m256i isum, __m256 dw, __m256 mw, const uint8_t *row,
                                    int64_t k, int64_t b) {
  const __m256 t = _mm256_mul_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(nd_row_dx(row, k)[b]));
  acc = _mm256_fmadd_ps(dw, t, acc);
  if (T == ND_Q8ACT_Q4_1) acc = _mm256_fmadd_ps(mw, _mm256_set1_ps(nd_row_sx(row, k)[b]), acc);
  return acc;
}

/// The f16 scales (and Q4_1 mins) of the 8 rows of half `half` of a panel block.
static inline void nd_half_scales(const int T, const uint8_t *blk, int half, __m256 *dw, __m256 *mw) {
  const uint8_t *s = blk + (T == ND_Q8ACT_Q8_0 ? ND_SCALES_Q8 : ND_SCALES_Q4) + 16 * half;
  *dw = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)s));
  *mw = T == ND_Q8ACT_Q4_1 ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(s + 32))) : _mm256_setzero_ps();
}

/// What it does: q8act_panels_avx2.h.
void nd_q8act_sweep_avx2(nd_tile_fn *tile, nd_tile_fn *panel_tile, int panel_rows, int max_rows, int type,
                         const void *packed, int64_t r0, int64_t r1, const void *xq, int64_t m, int64_t k,
                         float *y, int64_t ldy, int accumulate) {
  const int64_t nb = k / ND_QK, panel_bytes = nd_panel_bytes(type, k), xrow = nd_q8act_row_bytes(k);
  const int64_t p0 = r0 / ND_PANEL, p1 = (r1 + ND_PANEL - 1) / ND_PANEL, chunk = nd_l2_panels(type, k);
  for (int64_t c0 = p0; c0 < p1; c0 += chunk) {
    const int64_t c1 = c0 + chunk < p1 ? c0 + chunk : p1;
    for (int64_t i = 0; i < m;) {
      // Rows split evenly (13 at most 5 a tile: 5 + 4 + 4, not 5 + 5 + 3): no narrow last tile.
      const int64_t left = m - i, tiles = (left + max_rows - 1) / max_rows;
      const int R = (int)((left + tiles - 1) / tiles);
      for (int64_t p = c0; p < c1; p++) {
        if (R <= panel_rows) {
          const int64_t first = p * ND_PANEL, cols = r1 - first < ND_PANEL ? r1 - first : ND_PANEL;
          panel_tile(type, R, 0, (const uint8_t *)packed + p * panel_bytes, (const uint8_t *)xq + i * xrow, xrow, nb,
                    y + i * ldy + first, ldy, accumulate, (int)cols);
          continue;
        }
        for (int half = 0; half < 2; half++) {
          const int64_t first = p * ND_PANEL + half * ND_HALF, cols = r1 - first < ND_HALF ? r1 - first : ND_HALF;
          if (cols <= 0) break;
          tile(type, R, half, (const uint8_t *)packed + p * panel_bytes, (const uint8_t *)xq + i * xrow, xrow, nb,
               y + i * ldy + first, ldy, accumulate, (int)cols);
        }
      }
      i += R;
    }
  }
}

// Instantiates `name`(type, R, ...) from the always-inline template `body`(T, R, ...) for the three formats,
// R = 1 ... q4_rows (Q4_0, Q4_1) or q8_rows (Q8_0).
#define ND_TILE_DISPATCH(name, body, attributes, q4_rows, q8_rows)                                          \
  static attributes void name(int type, int R, int half, const uint8_t *panel, const uint8_t *x, int64_t xrow, \
                              int64_t nb, float *y, int64_t ldy, int accumulate, int cols) {                 \
    switch (type * 8 + R) {                                                                                  \
      ND_TILE_CASES(q4_rows, body, ND_Q8ACT_Q4_0)                                                            \
      ND_TILE_CASES(q4_rows, body, ND_Q8ACT_Q4_1)                                                            \
      ND_TILE_CASES(q8_rows, body, ND_Q8ACT_Q8_0)                                                            \
      default: return;                                                                                       \
    }                                                                                                        \
  }

// MARK: AVX2 product (maddubs)

// maddubs multiplies u8 weights by s8 activations and adds pairs into int16, saturating.
// Q4 nibbles (0..15) go in as they are: a pair is at most 2 · 15 · 128, and the 16
// products one int16 lane gathers over a whole block stay within 30720, so a block is
// summed in int16 and widened once. Q8_0's stored w + 128 would saturate, so the signed
// w goes in as |w| against xq with w's sign: |w| <= 128 and |xq| <= 127 (the quantizer's
// d is max|x| / 127), a pair at most 32512, widened at once.

/// Exact int32 sums over one Q4 block (nibbles at 64 * h, elements 4h.. low, 16 + 4h.. high).
static inline __attribute__((always_inline)) void nd_q4_sums_maddubs(const int R, const uint8_t *blk, int half,
                                                                      const uint8_t *xb, int64_t xrow, __m256i *isum) {
  __m256i s[ND_TILE_ROWS];
  ND_UNROLL for (int r = 0; r < R; r++) s[r] = _mm256_setzero_si256();
  ND_UNROLL for (int h = 0; h < 4; h++) {
    const __m256i v = _mm256_loadu_si256((const __m256i *)(blk + 64 * h + 32 * half));
    const __m256i wl = nd_low_nibbles(v), wh = nd_high_nibbles(v);
    ND_UNROLL for (int r = 0; r < R; r++) {
      const __m256i pl = _mm256_maddubs_epi16(wl, nd_bcast4(xb + r * xrow + 4 * h));
      const __m256i ph = _mm256_maddubs_epi16(wh, nd_bcast4(xb + r * xrow + 16 + 4 * h));
      s[r] = _mm256_add_epi16(s[r], _mm256_add_epi16(pl, ph));
    }
  }
  ND_UNROLL for (int r = 0; r < R; r++) isum[r] = _mm256_madd_epi16(s[r], _mm256_set1_epi16(1));
}

/// Exact int32 sums over one Q8_0 block, already signed (no offset to take off).
static inline __attribute__((always_inline)) void nd_q8_sums_maddubs(const int R, const uint8_t *blk, int half,
                                                                      const uint8_t *xb, int64_t xrow, __m256i *isum) {
  ND_UNROLL for (int r = 0; r < R; r++) isum[r] = _mm256_setzero_si256();
  ND_UNROLL for (int j = 0; j < 8; j++) {
    const __m256i stored = _mm256_loadu_si256((const __m256i *)(blk + 64 * j + 32 * half));
    const __m256i w = _mm256_xor_si256(stored, _mm256_set1_epi8((char)0x80)), magnitude = _mm256_abs_epi8(w);
    ND_UNROLL for (int r = 0; r < R; r++) {
      const __m256i pairs = _mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(nd_bcast4(xb + r * xrow + 4 * j), w));
      isum[r] = _mm256_add_epi32(isum[r], _mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
    }
  }
}

static inline __attribute__((always_inline)) void nd_tile_maddubs(const int T, const int R, int half,
                                                                  const uint8_t *panel, const uint8_t *x,
                                                                  int64_t xrow, int64_t nb, float *y, int64_t ldy,
                                                                  int accumulate, int cols) {
  const int64_t pb = T == ND_Q8ACT_Q8_0 ? ND_PB_Q8 : ND_PB_Q4, k = nb * ND_QK;
  __m256 acc[ND_TILE_ROWS];
  ND_UNROLL for (int r = 0; r < R; r++) acc[r] = _mm256_setzero_ps();
  for (int64_t b = 0; b < nb; b++) {
    const uint8_t *blk = panel + b * pb;
    __m256i isum[ND_TILE_ROWS];
    if (T == ND_Q8ACT_Q8_0) nd_q8_sums_maddubs(R, blk, half, x + b * ND_QK, xrow, isum);
    else nd_q4_sums_maddubs(R, blk, half, x + b * ND_QK, xrow, isum);
    __m256 dw, mw;
    nd_half_scales(T, blk, half, &dw, &mw);
    ND_UNROLL for (int r = 0; r < R; r++) {
      const uint8_t *row = x + r * xrow;
      if (T == ND_Q8ACT_Q4_0) isum[r] = nd_unbias(T, isum[r], row, k, b);
      acc[r] = nd_block_step8(T, acc[r], isum[r], dw, mw, row, k, b);
    }
  }
  ND_UNROLL for (int r = 0; r < R; r++) nd_store8(y + r * ldy, acc[r], cols, accumulate);
}

ND_TILE_DISPATCH(nd_tile_maddubs_any, nd_tile_maddubs, , ND_MADDUBS_ROWS_Q4, ND_MADDUBS_ROWS_Q8)

void nd_q8act_matmul_avx2(int type, const void *packed, int64_t r0, int64_t r1, const void *xq, int64_t m, int64_t k,
                          float *y, int64_t ldy, int accumulate) {
  if (nd_q8act_is_k(type)) {
    nd_q8act_matmul_k_avx2(type, packed, r0, r1, xq, m, k, y, ldy, accumulate);
    return;
  }
  nd_q8act_sweep_avx2(nd_tile_maddubs_any, NULL, 0, type == ND_Q8ACT_Q8_0 ? ND_MADDUBS_ROWS_Q8 : ND_MADDUBS_ROWS_Q4, type, packed, r0, r1,
           xq, m, k, y, ldy, accumulate);
}

ND_AVX2_END

// MARK: AVX-VNNI product (dpbusd)

// dpbusd adds four u8 × s8 products into each int32 lane without saturation, so the panels' bytes go in as
// stored, as in the AVX-512 VNNI product. Compiled for AVX-VNNI on top of the level's extensions: the helpers
// above inline into it.
#define ND_AVXVNNI __attribute__((target("avx2,fma,f16c,avxvnni")))

static inline ND_AVXVNNI __attribute__((always_inline)) void nd_tile_vnni(const int T, const int R, int half,
                                                                          const uint8_t *panel, const uint8_t *x,
                                                                          int64_t xrow, int64_t nb, float *y,
                                                                          int64_t ldy, int accumulate, int cols) {
  const int64_t pb = T == ND_Q8ACT_Q8_0 ? ND_PB_Q8 : ND_PB_Q4, k = nb * ND_QK;
  __m256 acc[ND_TILE_ROWS];
  ND_UNROLL for (int r = 0; r < R; r++) acc[r] = _mm256_setzero_ps();
  for (int64_t b = 0; b < nb; b++) {
    const uint8_t *blk = panel + b * pb, *xb = x + b * ND_QK;
    __m256i s[ND_TILE_ROWS];
    ND_UNROLL for (int r = 0; r < R; r++) s[r] = _mm256_setzero_si256();
    if (T == ND_Q8ACT_Q8_0) {
      ND_UNROLL for (int j = 0; j < 8; j++) {
        const __m256i v = _mm256_loadu_si256((const __m256i *)(blk + 64 * j + 32 * half));
        ND_UNROLL for (int r = 0; r < R; r++) s[r] = _mm256_dpbusd_avx_epi32(s[r], v, nd_bcast4(xb + r * xrow + 4 * j));
      }
    } else {
      ND_UNROLL for (int h = 0; h < 4; h++) {
        const __m256i v = _mm256_loadu_si256((const __m256i *)(blk + 64 * h + 32 * half));
        const __m256i wl = nd_low_nibbles(v), wh = nd_high_nibbles(v);
        ND_UNROLL for (int r = 0; r < R; r++) {
          s[r] = _mm256_dpbusd_avx_epi32(s[r], wl, nd_bcast4(xb + r * xrow + 4 * h));
          s[r] = _mm256_dpbusd_avx_epi32(s[r], wh, nd_bcast4(xb + r * xrow + 16 + 4 * h));
        }
      }
    }
    __m256 dw, mw;
    nd_half_scales(T, blk, half, &dw, &mw);
    ND_UNROLL for (int r = 0; r < R; r++) {
      const uint8_t *row = x + r * xrow;
      acc[r] = nd_block_step8(T, acc[r], nd_unbias(T, s[r], row, k, b), dw, mw, row, k, b);
    }
  }
  ND_UNROLL for (int r = 0; r < R; r++) nd_store8(y + r * ldy, acc[r], cols, accumulate);
}

ND_TILE_DISPATCH(nd_tile_vnni_any, nd_tile_vnni, ND_AVXVNNI, ND_VNNI_ROWS_Q4, ND_VNNI_ROWS_Q8)

ND_AVXVNNI void nd_q8act_matmul_avxvnni(int type, const void *packed, int64_t r0, int64_t r1, const void *xq,
                                        int64_t m, int64_t k, float *y, int64_t ldy, int accumulate) {
  if (nd_q8act_is_k(type)) {
    nd_q8act_matmul_k_avx2(type, packed, r0, r1, xq, m, k, y, ldy, accumulate);
    return;
  }
  nd_q8act_sweep_avx2(nd_tile_vnni_any, NULL, 0, type == ND_Q8ACT_Q8_0 ? ND_VNNI_ROWS_Q8 : ND_VNNI_ROWS_Q4, type, packed, r0, r1, xq, m,
           k, y, ldy, accumulate);
}

#endif
