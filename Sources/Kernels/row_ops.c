// Small per-row operations of the forward pass: RMSNorm, SwiGLU's gate, RoPE
// and an exponential. Each row is computed on its own in a fixed order.
#include <math.h>
#include <immintrin.h>

#include "nd_forward.h"

// Cephes-style expf: x = n ln2 + r, |r| <= ln2/2, degree-6 polynomial, scaled by 2^n.
// Scalar and SIMD versions perform the same operations, so they agree bit for bit.
#define ND_EXP_HI 88.3762626647949f
#define ND_EXP_LO -103.972084045410f
#define ND_LOG2E 1.44269504088896341f
#define ND_LN2_HI 0.693359375f
#define ND_LN2_LO -2.12194440e-4f

float nd_expf_ref(float x) {
  if (x != x) return x;
  if (x > ND_EXP_HI) x = ND_EXP_HI;
  if (x < ND_EXP_LO) x = ND_EXP_LO;
  float n = nearbyintf(x * ND_LOG2E);
  float r = __builtin_fmaf(-n, ND_LN2_HI, x);
  r = __builtin_fmaf(-n, ND_LN2_LO, r);
  float p = 1.9875691500E-4f;
  p = __builtin_fmaf(p, r, 1.3981999507E-3f);
  p = __builtin_fmaf(p, r, 8.3334519073E-3f);
  p = __builtin_fmaf(p, r, 4.1665795894E-2f);
  p = __builtin_fmaf(p, r, 1.6666665459E-1f);
  p = __builtin_fmaf(p, r, 5.0000001201E-1f);
  float r2 = r * r;
  float y = __builtin_fmaf(p, r2, r) + 1.0f;
  return ldexpf(y, (int)n);
}

#if defined(__AVX512F__)
static inline __m512 nd_exp512(__m512 x) {
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(ND_EXP_LO)), _mm512_set1_ps(ND_EXP_HI));
  __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(ND_LOG2E)),
                                  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(ND_LN2_HI), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(ND_LN2_LO), r);
  __m512 p = _mm512_set1_ps(1.9875691500E-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507E-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073E-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894E-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459E-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201E-1f));
  __m512 r2 = _mm512_mul_ps(r, r);
  __m512 y = _mm512_add_ps(_mm512_fmadd_ps(p, r2, r), _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(y, n);
}
#endif

void nd_exp(const float *x, float *y, int64_t count) {
  int64_t i = 0;
#if defined(__AVX512F__)
  for (; i + 16 <= count; i += 16) _mm512_storeu_ps(y + i, nd_exp512(_mm512_loadu_ps(x + i)));
#endif
  for (; i < count; i++) y[i] = nd_expf_ref(x[i]);
}

void nd_silu_mul(float *g, const float *u, int64_t count) {
  int64_t i = 0;
#if defined(__AVX512F__)
  for (; i + 16 <= count; i += 16) {
    __m512 x = _mm512_loadu_ps(g + i);
    __m512 e = nd_exp512(_mm512_sub_ps(_mm512_setzero_ps(), x));
    __m512 s = _mm512_div_ps(x, _mm512_add_ps(_mm512_set1_ps(1.0f), e));
    _mm512_storeu_ps(g + i, _mm512_mul_ps(s, _mm512_loadu_ps(u + i)));
  }
#endif
  for (; i < count; i++) {
    float s = g[i] / (1.0f + nd_expf_ref(-g[i]));
    g[i] = s * u[i];
  }
}

void nd_rmsnorm(const float *x, int64_t ldx, const float *w, float *out, int64_t ldo,
                int64_t rows, int64_t n, float eps) {
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * ldx;
    float *o = out + r * ldo;
    float mean = nd_dot_fixed(xr, xr, n) / (float)n;
    float inv = 1.0f / sqrtf(mean + eps);
    for (int64_t i = 0; i < n; i++) o[i] = w[i] * (xr[i] * inv);
  }
}

void nd_rope(float *x, int64_t heads, int64_t head_dim, const float *cos_t, const float *sin_t, int adjacent) {
  const int64_t half = head_dim / 2;
  for (int64_t h = 0; h < heads; h++) {
    float *v = x + h * head_dim;
    for (int64_t i = 0; i < half; i++) {
      const int64_t a = adjacent ? 2 * i : i, b = adjacent ? 2 * i + 1 : i + half;
      const float x0 = v[a], x1 = v[b], c = cos_t[i], s = sin_t[i];
      v[a] = x0 * c - x1 * s;
      v[b] = x1 * c + x0 * s;
    }
  }
}

int64_t nd_argmax(const float *x, int64_t n) {
  int64_t i = 0, best = 0;
  float best_value = -INFINITY;
#if defined(__AVX512F__)
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
#endif
  for (; i < n; i++) {
    if (x[i] > best_value) {
      best_value = x[i];
      best = i;
    }
  }
  return best;
}
