// 8-bit-activation products with AVX-512 VNNI (dpbusd: u8 x s8 -> s32) over the
// 16-row panels of nd_q8act.h: every weight vector loaded serves every activation row
// of a tile. The same bits as nd_q8act_matmul_packed_ref (integer sums are exact).
#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#include "../../kernel_table.h"
#include "../../q8act_layout.h"

#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni"))), apply_to = function)
void nd_q8act_quantize_avx512(const float *x, int64_t ldx, int64_t m, int64_t k, void *dst) {
  const int64_t nb = k / ND_QK, row_bytes = nd_q8act_row_bytes(k);
  const __m512 sign = _mm512_castsi512_ps(_mm512_set1_epi32(0x7fffffff));
  for (int64_t i = 0; i < m; i++) {
    uint8_t *row = (uint8_t *)dst + i * row_bytes;
    float *dx = (float *)(row + k), *sx = dx + nb;
    int32_t *sums = (int32_t *)(sx + nb);
    memset(sums + nb, 0, (size_t)(row_bytes - k - 12 * nb));  // padding
    for (int64_t b = 0; b < nb; b++) {
      const float *xb = x + i * ldx + b * ND_QK;
      const __m512 lo = _mm512_loadu_ps(xb), hi = _mm512_loadu_ps(xb + 16);
      const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_and_ps(lo, sign), _mm512_and_ps(hi, sign)));
      const float d = amax / 127.0f;
      const __m512 id = _mm512_set1_ps(d != 0.0f ? 1.0f / d : 0.0f);
      const __m512i qlo = _mm512_cvtps_epi32(_mm512_mul_ps(lo, id));  // MXCSR default: nearest even
      const __m512i qhi = _mm512_cvtps_epi32(_mm512_mul_ps(hi, id));
      _mm_storeu_si128((__m128i *)(row + b * ND_QK), _mm512_cvtepi32_epi8(qlo));
      _mm_storeu_si128((__m128i *)(row + b * ND_QK + 16), _mm512_cvtepi32_epi8(qhi));
      const int32_t sum = _mm512_reduce_add_epi32(_mm512_add_epi32(qlo, qhi));
      dx[b] = d;
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

void nd_q8act_matmul_vnni512(int type, const void *packed, int64_t r0, int64_t r1, const void *xq, int64_t m, int64_t k,
                     float *y, int64_t ldy, int accumulate) {
  const int64_t nb = k / ND_QK, panel_bytes = nb * nd_panel_block_bytes(type), xrow = nd_q8act_row_bytes(k);
  const int64_t p0 = r0 / ND_PANEL, p1 = (r1 + ND_PANEL - 1) / ND_PANEL;
  // Panels swept by every activation tile stay within ~L2 (only the first sweep reads memory).
  int64_t chunk = (192 * 1024) / panel_bytes;
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
