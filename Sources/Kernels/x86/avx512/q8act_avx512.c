// 8-bit-activation products with AVX-512 VNNI (dpbusd: u8 x s8 -> s32) over the
// 16-row panels of nd_q8act.h: every weight vector loaded serves every activation row
// of a tile. The same bits as nd_q8act_matmul_packed_ref (integer sums are exact).
#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#include "../../kernel_table.h"
#include "../../q8act_layout.h"

#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni"))), apply_to = function)
void nd_q8act_quantize_avx512(const float *x, int64_t ldx, int64_t m, int64_t k, int64_t span, void *dst) {
  const int64_t nb = k / ND_QK, row_bytes = nd_q8act_row_bytes(k), per = span / ND_QK;
  const __m512 sign = _mm512_castsi512_ps(_mm512_set1_epi32(0x7fffffff));
  for (int64_t i = 0; i < m; i++) {
    uint8_t *row = (uint8_t *)dst + i * row_bytes;
    float *dx = (float *)(row + k), *sx = dx + nb;
    int32_t *sums = (int32_t *)(sx + nb);
    memset(sums + 2 * nb, 0, (size_t)(row_bytes - k - 16 * nb));  // padding
    float d = 0.0f;
    for (int64_t b = 0; b < nb; b++) {
      const float *xb = x + i * ldx + b * ND_QK;
      const __m512 lo = _mm512_loadu_ps(xb), hi = _mm512_loadu_ps(xb + 16);
      if (b % per == 0) {  // the span's scale: max |x| over its blocks
        __m512 amax = _mm512_setzero_ps();
        for (int64_t e = 0; e < span; e += 16) amax = _mm512_max_ps(_mm512_and_ps(_mm512_loadu_ps(xb + e), sign), amax);
        d = _mm512_reduce_max_ps(amax) / 127.0f;
      }
      const __m512 id = _mm512_set1_ps(d != 0.0f ? 1.0f / d : 0.0f);
      const __m512i qlo = _mm512_cvtps_epi32(_mm512_mul_ps(lo, id));  // MXCSR default: nearest even
      const __m512i qhi = _mm512_cvtps_epi32(_mm512_mul_ps(hi, id));
      _mm_storeu_si128((__m128i *)(row + b * ND_QK), _mm512_cvtepi32_epi8(qlo));
      _mm_storeu_si128((__m128i *)(row + b * ND_QK + 16), _mm512_cvtepi32_epi8(qhi));
      const int32_t sum16 = _mm512_reduce_add_epi32(qlo), sum = sum16 + _mm512_reduce_add_epi32(qhi);
      dx[b] = d;
      sums[nb + b] = sum16;
      sx[b] = d * (float)sum;
      sums[b] = sum;
    }
  }
}

static inline __m512i nd_bcast4(const uint8_t *p) {
  int32_t v;
  memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

/// R activation rows × P panels (16 weight rows each) over all nb blocks; `cols`
/// outputs of the last panel are stored. Integer sums are exact, so how they are
/// split over accumulators (two chains when few rows leave registers free) is free.
static inline __attribute__((always_inline)) void nd_tile(const int T, const int R, const int P, const uint8_t *panel,
                                                          int64_t panel_bytes, const uint8_t *x, int64_t xrow,
                                                          int64_t nb, float *y, int64_t ldy, int accumulate,
                                                          int cols) {
  const int64_t pb = T == ND_Q8ACT_Q8_0 ? ND_PB_Q8 : ND_PB_Q4, so = T == ND_Q8ACT_Q8_0 ? ND_SCALES_Q8 : ND_SCALES_Q4;
  const int64_t k = nb * ND_QK;
  const int split = R <= 2;  // second set of integer accumulators
  const __m512i nib = _mm512_set1_epi8(15);
  __m512 acc[4][2];
  for (int r = 0; r < R; r++)
    for (int p = 0; p < P; p++) acc[r][p] = _mm512_setzero_ps();
  for (int64_t b = 0; b < nb; b++) {
    const uint8_t *blk[2];
    for (int p = 0; p < P; p++) blk[p] = panel + p * panel_bytes + b * pb;
    const uint8_t *xb[4];
    for (int r = 0; r < R; r++) xb[r] = x + r * xrow + b * ND_QK;
    __m512i is[4][2], is2[4][2];
    for (int r = 0; r < R; r++)
      for (int p = 0; p < P; p++) is[r][p] = is2[r][p] = _mm512_setzero_si512();
    if (T == ND_Q8ACT_Q8_0) {
      for (int j = 0; j < 8; j++) {
        __m512i w[2];
        for (int p = 0; p < P; p++) w[p] = _mm512_loadu_si512(blk[p] + 64 * j);
        for (int r = 0; r < R; r++) {
          const __m512i xv = nd_bcast4(xb[r] + 4 * j);
          for (int p = 0; p < P; p++) {
            if (split && (j & 1)) is2[r][p] = _mm512_dpbusd_epi32(is2[r][p], w[p], xv);
            else is[r][p] = _mm512_dpbusd_epi32(is[r][p], w[p], xv);
          }
        }
      }
    } else {
      for (int h = 0; h < 4; h++) {
        __m512i lo[2], hi[2];
        for (int p = 0; p < P; p++) {
          const __m512i v = _mm512_loadu_si512(blk[p] + 64 * h);
          lo[p] = _mm512_and_si512(v, nib);
          hi[p] = _mm512_and_si512(_mm512_srli_epi16(v, 4), nib);
        }
        for (int r = 0; r < R; r++) {
          const __m512i xl = nd_bcast4(xb[r] + 4 * h), xh = nd_bcast4(xb[r] + 16 + 4 * h);
          for (int p = 0; p < P; p++) {
            is[r][p] = _mm512_dpbusd_epi32(is[r][p], lo[p], xl);
            if (split) is2[r][p] = _mm512_dpbusd_epi32(is2[r][p], hi[p], xh);
            else is[r][p] = _mm512_dpbusd_epi32(is[r][p], hi[p], xh);
          }
        }
      }
    }
    __m512 dw[2], mw[2];
    for (int p = 0; p < P; p++) {
      dw[p] = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(blk[p] + so)));
      if (T == ND_Q8ACT_Q4_1) mw[p] = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(blk[p] + so + 32)));
    }
    for (int r = 0; r < R; r++) {
      const uint8_t *row = x + r * xrow;
      const __m512 dx = _mm512_set1_ps(nd_row_dx(row, k)[b]);
      __m512i corr = _mm512_setzero_si512();
      __m512 sx = _mm512_setzero_ps();
      if (T == ND_Q8ACT_Q4_1) sx = _mm512_set1_ps(nd_row_sx(row, k)[b]);
      else corr = _mm512_set1_epi32(nd_row_sum(row, k)[b] * (T == ND_Q8ACT_Q8_0 ? 128 : 8));
      for (int p = 0; p < P; p++) {
        __m512i isum = split ? _mm512_add_epi32(is[r][p], is2[r][p]) : is[r][p];
        if (T != ND_Q8ACT_Q4_1) isum = _mm512_sub_epi32(isum, corr);
        const __m512 t = _mm512_mul_ps(_mm512_cvtepi32_ps(isum), dx);
        acc[r][p] = _mm512_fmadd_ps(dw[p], t, acc[r][p]);
        if (T == ND_Q8ACT_Q4_1) acc[r][p] = _mm512_fmadd_ps(mw[p], sx, acc[r][p]);
      }
    }
  }
  for (int r = 0; r < R; r++)
    for (int p = 0; p < P; p++) {
      const __mmask16 mask = p == P - 1 ? (__mmask16)((1u << cols) - 1) : (__mmask16)0xFFFF;
      float *out = y + r * ldy + ND_PANEL * p;
      __m512 v = acc[r][p];
      if (accumulate) v = _mm512_add_ps(_mm512_maskz_loadu_ps(mask, out), v);
      _mm512_mask_storeu_ps(out, mask, v);
    }
}

static void nd_tile_any(int type, int R, int P, const uint8_t *panel, int64_t panel_bytes, const uint8_t *x,
                        int64_t xrow, int64_t nb, float *y, int64_t ldy, int accumulate, int cols) {
#define ND_TILE(T, RR, PP) nd_tile((T), (RR), (PP), panel, panel_bytes, x, xrow, nb, y, ldy, accumulate, cols)
#define ND_TILE_R(T, PP)                        \
  switch (R) {                                  \
    case 1: ND_TILE(T, 1, PP); return;          \
    case 2: ND_TILE(T, 2, PP); return;          \
    case 3: ND_TILE(T, 3, PP); return;          \
    default: ND_TILE(T, 4, PP); return;         \
  }
#define ND_TILE_T(T)                            \
  if (type == (T)) {                            \
    if (P == 2) ND_TILE_R(T, 2)                 \
    else ND_TILE_R(T, 1)                        \
  }
  ND_TILE_T(ND_Q8ACT_Q4_0) ND_TILE_T(ND_Q8ACT_Q4_1) ND_TILE_T(ND_Q8ACT_Q8_0)
#undef ND_TILE_T
#undef ND_TILE_R
#undef ND_TILE
}

// MARK: K-quants

// The products over Q4_K, Q5_K and Q6_K panels (q8act_layout.h), over activation rows with one
// scale per super-block, in the K-quants' fixed order (nd_q8act.h: integer scales on the exact sums,
// each super-block summed in integers, then its two float steps): Q4_K's nibbles (Q5_K's with their
// fifth bit ORed in) feed two blocks each (low: block 2g of the super-block, high: 2g + 1); Q6_K's
// 6-bit integers q go in as they are, the -32 offset comes off through the rows' 16-element
// sums of xq, and each half's int8 scale multiplies its exact sum (three of each four steps'
// integers are one AND from their planes).
enum { ND_K_ROWS = 4 };

/// A super-block's two float steps of the fixed order for 16 outputs: the mins' term (Q4_K, Q5_K) and the sums'.
static inline __m512 nd_k_steps(__m512 acc, __m512i isum, __m512i msum, const uint8_t *d16, const uint8_t *dmin16,
                                float dxs) {
  const __m512 dx = _mm512_set1_ps(dxs);
  if (dmin16) {
    const __m512 dmin = _mm512_xor_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)dmin16)), _mm512_set1_ps(-0.0f));
    acc = _mm512_fmadd_ps(dmin, _mm512_mul_ps(_mm512_cvtepi32_ps(msum), dx), acc);
  }
  const __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)d16));
  return _mm512_fmadd_ps(d, _mm512_mul_ps(_mm512_cvtepi32_ps(isum), dx), acc);
}

static inline __attribute__((always_inline)) void nd_k_tile(const int T, const int R, const uint8_t *panel,
                                                            const uint8_t *x, int64_t xrow, int64_t nb, float *y,
                                                            int64_t ldy, int accumulate, int cols) {
  const int64_t k = nb * ND_QK, pb = nd_panel_block_bytes(T);
  const __m512i nib = _mm512_set1_epi8(15);
  __m512 acc[ND_K_ROWS];
  for (int r = 0; r < R; r++) acc[r] = _mm512_setzero_ps();
  for (int64_t s = 0; s < nb / 8; s++) {
    const uint8_t *blk = panel + s * pb;
    __m512i isum_s[ND_K_ROWS], msum[ND_K_ROWS];
    for (int r = 0; r < R; r++) isum_s[r] = msum[r] = _mm512_setzero_si512();
    if (T != ND_Q8ACT_Q6_K) {
      // The mins of blocks 2i and 2i + 1 side by side in each row's lane, against the rows' xq sums of those blocks.
      for (int i = 0; i < 4; i++) {
        const uint8_t *mn = blk + ND_Q4_K_M + 32 * i;
        const __m512i mp = _mm512_or_si512(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)mn)),
                                           _mm512_slli_epi32(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(mn + 16))), 16));
        for (int r = 0; r < R; r++) {
          const int32_t *sum = nd_row_sum(x + r * xrow, k) + 8 * s + 2 * i;
          const __m512i sp = _mm512_set1_epi32((int32_t)(((uint32_t)sum[1] << 16) | ((uint32_t)sum[0] & 0xFFFF)));
          msum[r] = _mm512_add_epi32(msum[r], _mm512_madd_epi16(mp, sp));
        }
      }
      for (int g = 0; g < 4; g++) {
        const int64_t b = 8 * s + 2 * g;
        __m512i lo[ND_K_ROWS], hi[ND_K_ROWS];
        for (int r = 0; r < R; r++) lo[r] = hi[r] = _mm512_setzero_si512();
        const __m512i fifth_lo = T == ND_Q8ACT_Q5_K ? _mm512_loadu_si512(blk + ND_Q5_K_HIGH + 128 * g) : nib;
        const __m512i fifth_hi = T == ND_Q8ACT_Q5_K ? _mm512_loadu_si512(blk + ND_Q5_K_HIGH + 128 * g + 64) : nib;
        for (int h = 0; h < 8; h++) {
          const __m512i v = _mm512_loadu_si512(blk + 512 * g + 64 * h);
          __m512i wl = _mm512_and_si512(v, nib), wh = _mm512_and_si512(_mm512_srli_epi16(v, 4), nib);
          if (T == ND_Q8ACT_Q5_K) {
            // Bit h of each fifth-bit byte to bit 4 (16-bit shifts: the mask keeps each byte's own bit).
            const __m512i five = _mm512_set1_epi8(0x10);
            wl = _mm512_or_si512(wl, _mm512_and_si512(h < 4 ? _mm512_slli_epi16(fifth_lo, 4 - h) : _mm512_srli_epi16(fifth_lo, h - 4), five));
            wh = _mm512_or_si512(wh, _mm512_and_si512(h < 4 ? _mm512_slli_epi16(fifth_hi, 4 - h) : _mm512_srli_epi16(fifth_hi, h - 4), five));
          }
          for (int r = 0; r < R; r++) {
            const uint8_t *xb = x + r * xrow + b * ND_QK + 4 * h;
            lo[r] = _mm512_dpbusd_epi32(lo[r], wl, nd_bcast4(xb));
            hi[r] = _mm512_dpbusd_epi32(hi[r], wh, nd_bcast4(xb + ND_QK));
          }
        }
        for (int j = 0; j < 2; j++) {
          const __m128i sc = _mm_loadu_si128((const __m128i *)(blk + ND_Q4_K_SC + 16 * (2 * g + j)));
          const __m512i scale = _mm512_cvtepu8_epi32(sc);
          for (int r = 0; r < R; r++) isum_s[r] = _mm512_add_epi32(isum_s[r], _mm512_mullo_epi32(j ? hi[r] : lo[r], scale));
        }
      }
    } else {
      for (int bl = 0; bl < 8; bl++) {
        const int64_t b = 8 * s + bl;
        const uint8_t *q = blk + ND_Q6_K_Q + ND_Q6_K_BLOCK * bl;
        __m512i lo[ND_K_ROWS], hi[ND_K_ROWS];
        for (int r = 0; r < R; r++) lo[r] = hi[r] = _mm512_setzero_si512();
        // Steps 4G .. 4G + 3 from planes 3G .. 3G + 2 (q8act_layout.h): three are the planes' low six bits,
        // the fourth their top two bits side by side (ternary logic 0xD8: the second operand's bits where the
        // third has ones, else the first's; 0xE4: the first's there, else the second's; 16-bit shifts, the
        // masks keep each byte's own bits).
        const __m512i low6 = _mm512_set1_epi8(63);
        const __m512i a0 = _mm512_loadu_si512(q), a1 = _mm512_loadu_si512(q + 64), a2 = _mm512_loadu_si512(q + 128);
        const __m512i b0 = _mm512_loadu_si512(q + 192), b1 = _mm512_loadu_si512(q + 256), b2 = _mm512_loadu_si512(q + 320);
        const __m512i wa[4] = {
            _mm512_and_si512(a0, low6), _mm512_and_si512(a1, low6), _mm512_and_si512(a2, low6),
            _mm512_and_si512(_mm512_ternarylogic_epi32(_mm512_ternarylogic_epi32(_mm512_srli_epi16(a1, 4), _mm512_srli_epi16(a0, 6), _mm512_set1_epi8(0x03), 0xD8),
                                                       _mm512_srli_epi16(a2, 2), _mm512_set1_epi8(0x0F), 0xE4), low6)};
        const __m512i wb[4] = {
            _mm512_and_si512(b0, low6), _mm512_and_si512(b1, low6), _mm512_and_si512(b2, low6),
            _mm512_and_si512(_mm512_ternarylogic_epi32(_mm512_ternarylogic_epi32(_mm512_srli_epi16(b1, 4), _mm512_srli_epi16(b0, 6), _mm512_set1_epi8(0x03), 0xD8),
                                                       _mm512_srli_epi16(b2, 2), _mm512_set1_epi8(0x0F), 0xE4), low6)};
        for (int h = 0; h < 4; h++)
          for (int r = 0; r < R; r++) {
            const uint8_t *xb = x + r * xrow + b * ND_QK + 4 * h;
            lo[r] = _mm512_dpbusd_epi32(lo[r], wa[h], nd_bcast4(xb));
            hi[r] = _mm512_dpbusd_epi32(hi[r], wb[h], nd_bcast4(xb + 16));
          }
        const __m512i sa = _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(blk + ND_Q6_K_SC + 32 * bl)));
        const __m512i sb = _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(blk + ND_Q6_K_SC + 32 * bl + 16)));
        for (int r = 0; r < R; r++) {
          const uint8_t *row = x + r * xrow;
          const int32_t first = nd_row_sum16(row, k)[b], second = nd_row_sum(row, k)[b] - first;
          const __m512i ia = _mm512_mullo_epi32(_mm512_sub_epi32(lo[r], _mm512_set1_epi32(32 * first)), sa);
          const __m512i ib = _mm512_mullo_epi32(_mm512_sub_epi32(hi[r], _mm512_set1_epi32(32 * second)), sb);
          isum_s[r] = _mm512_add_epi32(isum_s[r], _mm512_add_epi32(ia, ib));
        }
      }
    }
    const int q6 = T == ND_Q8ACT_Q6_K;
    for (int r = 0; r < R; r++)
      acc[r] = nd_k_steps(acc[r], isum_s[r], msum[r], blk + (q6 ? ND_Q6_K_D : ND_Q4_K_D), q6 ? NULL : blk + ND_Q4_K_DMIN,
                          nd_row_dx(x + r * xrow, k)[8 * s]);
  }
  for (int r = 0; r < R; r++) {
    const __mmask16 mask = (__mmask16)((1u << cols) - 1);
    float *out = y + r * ldy;
    __m512 v = acc[r];
    if (accumulate) v = _mm512_add_ps(_mm512_maskz_loadu_ps(mask, out), v);
    _mm512_mask_storeu_ps(out, mask, v);
  }
}

static void nd_k_tile_any(int type, int R, const uint8_t *panel, const uint8_t *x, int64_t xrow, int64_t nb, float *y,
                          int64_t ldy, int accumulate, int cols) {
#define ND_K_TILE(T, RR) nd_k_tile((T), (RR), panel, x, xrow, nb, y, ldy, accumulate, cols)
#define ND_K_TILE_R(T)                   \
  switch (R) {                           \
    case 1: ND_K_TILE(T, 1); return;     \
    case 2: ND_K_TILE(T, 2); return;     \
    case 3: ND_K_TILE(T, 3); return;     \
    default: ND_K_TILE(T, 4); return;    \
  }
  if (type == ND_Q8ACT_Q4_K) ND_K_TILE_R(ND_Q8ACT_Q4_K)
  if (type == ND_Q8ACT_Q5_K) ND_K_TILE_R(ND_Q8ACT_Q5_K)
  ND_K_TILE_R(ND_Q8ACT_Q6_K)
#undef ND_K_TILE_R
#undef ND_K_TILE
}

static void nd_k_matmul_vnni512(int type, const void *packed, int64_t r0, int64_t r1, const void *xq, int64_t m,
                                int64_t k, float *y, int64_t ldy, int accumulate) {
  const int64_t nb = k / ND_QK, panel_bytes = nd_panel_bytes(type, k), xrow = nd_q8act_row_bytes(k);
  const int64_t p1 = (r1 + ND_PANEL - 1) / ND_PANEL, chunk = nd_l2_panels(type, k);
  for (int64_t c0 = r0 / ND_PANEL; c0 < p1; c0 += chunk)
    for (int64_t i = 0; i < m; i += ND_K_ROWS)
      for (int64_t p = c0; p < p1 && p < c0 + chunk; p++) {
        const int64_t cols = r1 - p * ND_PANEL < ND_PANEL ? r1 - p * ND_PANEL : ND_PANEL;
        nd_k_tile_any(type, m - i < ND_K_ROWS ? (int)(m - i) : ND_K_ROWS, (const uint8_t *)packed + p * panel_bytes,
                      (const uint8_t *)xq + i * xrow, xrow, nb, y + i * ldy + p * ND_PANEL, ldy, accumulate, (int)cols);
      }
}

void nd_q8act_matmul_vnni512(int type, const void *packed, int64_t r0, int64_t r1, const void *xq, int64_t m, int64_t k,
                     float *y, int64_t ldy, int accumulate) {
  if (nd_q8act_is_k(type)) {
    nd_k_matmul_vnni512(type, packed, r0, r1, xq, m, k, y, ldy, accumulate);
    return;
  }
  const int64_t nb = k / ND_QK, panel_bytes = nd_panel_bytes(type, k), xrow = nd_q8act_row_bytes(k);
  const int64_t p0 = r0 / ND_PANEL, p1 = (r1 + ND_PANEL - 1) / ND_PANEL;
  // Panels swept by every activation tile stay within ~L2 (only the first sweep reads memory).
  int64_t chunk = nd_l2_panels(type, k);
  chunk = chunk < 2 ? 2 : chunk & ~(int64_t)1;
  for (int64_t c0 = p0; c0 < p1; c0 += chunk) {
    const int64_t c1 = c0 + chunk < p1 ? c0 + chunk : p1;
    for (int64_t i = 0; i < m; i += 4) {
      const int R = m - i < 4 ? (int)(m - i) : 4;
      for (int64_t p = c0; p < c1; p += 2) {
        const int P = c1 - p < 2 ? 1 : 2;
        const int64_t last = p + P - 1, cols = r1 - last * ND_PANEL < ND_PANEL ? r1 - last * ND_PANEL : ND_PANEL;
        nd_tile_any(type, R, P, (const uint8_t *)packed + p * panel_bytes, panel_bytes,
                    (const uint8_t *)xq + i * xrow, xrow, nb, y + i * ldy + p * ND_PANEL, ldy, accumulate, (int)cols);
      }
    }
  }
}

#pragma clang attribute pop

#endif
