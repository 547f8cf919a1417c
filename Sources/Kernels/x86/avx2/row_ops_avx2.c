// The row operations of the AVX2 level: the exponential (the scalar version's
// operations, 8 lanes at a time), SwiGLU's gate and argmax. Same bits as the generic level.
#if defined(__x86_64__)
#include <math.h>
#include <stdint.h>

#include "../../kernel_table.h"
#include "../../row_ops_exp.h"
#include "avx2.h"

ND_AVX2_BEGIN

__m256 nd_exp256(__m256 x) {
  // Clamped as the scalar version clamps; a NaN (the second operand of max and min) passes through.
  x = _mm256_min_ps(_mm256_set1_ps(ND_EXP_HI), _mm256_max_ps(_mm256_set1_ps(ND_EXP_LO), x));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(ND_LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(ND_LN2_HI), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(ND_LN2_LO), r);
  __m256 p = _mm256_set1_ps(ND_EXP_P0);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(ND_EXP_P1));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(ND_EXP_P2));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(ND_EXP_P3));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(ND_EXP_P4));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(ND_EXP_P5));
  const __m256 y = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
  // y * 2^n rounded once, as ldexpf (and AVX-512's scalef) round it: n in [-150, 128] is
  // split into two halves in [-75, 64], both normal powers of two; y * 2^h1 is exact
  // (y is about 1), so only the second product rounds.
  const __m256i ni = _mm256_cvtps_epi32(n);
  const __m256i h1 = _mm256_srai_epi32(ni, 1), h2 = _mm256_sub_epi32(ni, h1);
  const __m256i bias = _mm256_set1_epi32(127);
  const __m256 f1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(h1, bias), 23));
  const __m256 f2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(h2, bias), 23));
  return _mm256_mul_ps(_mm256_mul_ps(y, f1), f2);
}

void nd_exp_avx2(const float *x, float *y, int64_t count) {
  int64_t i = 0;
  for (; i + 8 <= count; i += 8) _mm256_storeu_ps(y + i, nd_exp256(_mm256_loadu_ps(x + i)));
  for (; i < count; i++) y[i] = nd_expf_ref(x[i]);
}

void nd_silu_mul_avx2(float *g, const float *u, int64_t count) {
  int64_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const __m256 x = _mm256_loadu_ps(g + i);
    const __m256 e = nd_exp256(_mm256_sub_ps(_mm256_setzero_ps(), x));
    const __m256 s = _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
    _mm256_storeu_ps(g + i, _mm256_mul_ps(s, _mm256_loadu_ps(u + i)));
  }
  for (; i < count; i++) {
    const float s = g[i] / (1.0f + nd_expf_ref(-g[i]));
    g[i] = s * u[i];
  }
}

int64_t nd_argmax_avx2(const float *x, int64_t n) {
  int64_t i = 0, best = 0;
  float best_value = -INFINITY;
  if (n >= 8) {
    // Per lane: the largest value and its first index (strictly greater only, so NaN
    // never wins and the lowest index keeps a tie); then the lanes are merged.
    __m256 lane_best = _mm256_set1_ps(-INFINITY);
    __m256i lane_index = _mm256_setzero_si256();
    __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i step = _mm256_set1_epi32(8);
    for (; i + 8 <= n && i + 8 <= INT32_MAX; i += 8) {
      const __m256 v = _mm256_loadu_ps(x + i);
      const __m256 greater = _mm256_cmp_ps(v, lane_best, _CMP_GT_OQ);
      lane_best = _mm256_blendv_ps(lane_best, v, greater);
      lane_index = _mm256_castps_si256(
          _mm256_blendv_ps(_mm256_castsi256_ps(lane_index), _mm256_castsi256_ps(index), greater));
      index = _mm256_add_epi32(index, step);
    }
    float values[8];
    int32_t indices[8];
    _mm256_storeu_ps(values, lane_best);
    _mm256_storeu_si256((__m256i *)indices, lane_index);
    for (int l = 0; l < 8; l++) {
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

ND_AVX2_END

#endif
