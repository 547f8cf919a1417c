// The row operations of the AVX-512 level: the exponential (the scalar version's
// operations, 16 lanes at a time), SwiGLU's gate and argmax.
#if defined(__x86_64__)
#include <immintrin.h>
#include <math.h>

#include "../../kernel_table.h"
#include "../../row_ops_exp.h"
#include "avx512.h"

ND_AVX512_BEGIN

__m512 nd_exp512(__m512 x) {
  // Clamped as the scalar version clamps; a NaN (the second operand of max and min) passes through.
  x = _mm512_min_ps(_mm512_set1_ps(ND_EXP_HI), _mm512_max_ps(_mm512_set1_ps(ND_EXP_LO), x));
  __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(ND_LOG2E)),
                                  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(ND_LN2_HI), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(ND_LN2_LO), r);
  __m512 p = _mm512_set1_ps(ND_EXP_P0);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(ND_EXP_P1));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(ND_EXP_P2));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(ND_EXP_P3));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(ND_EXP_P4));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(ND_EXP_P5));
  __m512 r2 = _mm512_mul_ps(r, r);
  __m512 y = _mm512_add_ps(_mm512_fmadd_ps(p, r2, r), _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(y, n);
}

void nd_exp_avx512(const float *x, float *y, int64_t count) {
  int64_t i = 0;
  for (; i + 16 <= count; i += 16) _mm512_storeu_ps(y + i, nd_exp512(_mm512_loadu_ps(x + i)));
  for (; i < count; i++) y[i] = nd_expf_ref(x[i]);
}

void nd_silu_mul_avx512(float *g, const float *u, int64_t count) {
  int64_t i = 0;
  for (; i + 16 <= count; i += 16) {
    __m512 x = _mm512_loadu_ps(g + i);
    __m512 e = nd_exp512(_mm512_sub_ps(_mm512_setzero_ps(), x));
    __m512 s = _mm512_div_ps(x, _mm512_add_ps(_mm512_set1_ps(1.0f), e));
    _mm512_storeu_ps(g + i, _mm512_mul_ps(s, _mm512_loadu_ps(u + i)));
  }
  for (; i < count; i++) {
    float s = g[i] / (1.0f + nd_expf_ref(-g[i]));
    g[i] = s * u[i];
  }
}

int64_t nd_argmax_avx512(const float *x, int64_t n) {
  int64_t i = 0, best = 0;
  float best_value = -INFINITY;
  if (n >= 16) {
    // Per lane: the largest value and its first index (strictly greater only, so
    // NaN never wins and the lowest index keeps a tie); then the lanes are merged.
    __m512 lane_best = _mm512_set1_ps(-INFINITY);
    __m512i lane_index = _mm512_setzero_si512();
    __m512i index = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i step = _mm512_set1_epi32(16);
    for (; i + 16 <= n && i + 16 <= INT32_MAX; i += 16) {
      const __m512 v = _mm512_loadu_ps(x + i);
      const __mmask16 greater = _mm512_cmp_ps_mask(v, lane_best, _CMP_GT_OQ);
      lane_best = _mm512_mask_mov_ps(lane_best, greater, v);
      lane_index = _mm512_mask_mov_epi32(lane_index, greater, index);
      index = _mm512_add_epi32(index, step);
    }
    float values[16];
    int32_t indices[16];
    _mm512_storeu_ps(values, lane_best);
    _mm512_storeu_si512(indices, lane_index);
    for (int l = 0; l < 16; l++) {
      if (values[l] > best_value || (values[l] == best_value && indices[l] < best)) {
        best_value = values[l];
        best = indices[l];
      }
    }
  }
  for (; i < n; i++) {
    if (x[i] > best_value) {
      best_value = x[i];
      best = i;
    }
  }
  return best;
}

ND_AVX512_END

#endif
