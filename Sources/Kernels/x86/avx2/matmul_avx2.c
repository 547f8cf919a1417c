// The fixed-order dot and matrix products of the AVX2 level (nd_forward.h has the
// order): the 16 logical lanes of every output live in two 8-lane registers (lanes 0-7
// and 8-15), so results equal the AVX-512 and generic levels' bit for bit. Register
// blocks of 3 activation rows x 2 weight rows: 12 accumulators, 2 weight vectors and
// one activation vector fill the 16 ymm registers.
#if defined(__x86_64__)
#include "../../kernel_table.h"
#include "avx2.h"

ND_AVX2_BEGIN

/// Lanes [0, count) set (count may exceed 8: all set, or be <= 0: none).
static inline __m256i nd_lanes_below(int64_t count) {
  const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const int c = count > 8 ? 8 : count < 0 ? 0 : (int)count;
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(c), index);
}

float nd_dot_fixed_avx2(const float *a, const float *b, int64_t n) {
  __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    lo = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), lo);
    hi = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), hi);
  }
  if (i < n) {  // zero padding: masked-off lanes load 0 and add fma(0, 0, acc)
    const __m256i m0 = nd_lanes_below(n - i), m1 = nd_lanes_below(n - i - 8);
    lo = _mm256_fmadd_ps(_mm256_maskload_ps(a + i, m0), _mm256_maskload_ps(b + i, m0), lo);
    hi = _mm256_fmadd_ps(_mm256_maskload_ps(a + i + 8, m1), _mm256_maskload_ps(b + i + 8, m1), hi);
  }
  return nd_tree16x2(lo, hi);
}

enum { ND_MR2 = 3, ND_NR2 = 2 };

/// MR rows of a times NR rows of w (constants after inlining), each output with its own
/// two accumulators over the whole of k.
static inline __attribute__((always_inline)) void nd_micro2(const float *a, int64_t lda, const float *w, int64_t ldw,
                                                            float *c, int64_t ldc, int64_t k, int accumulate,
                                                            const int MR, const int NR) {
  __m256 acc[ND_MR2][ND_NR2][2];
  for (int r = 0; r < MR; r++)
    for (int s = 0; s < NR; s++) acc[r][s][0] = acc[r][s][1] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= k; i += 16) {
    for (int h = 0; h < 2; h++) {
      __m256 wv[ND_NR2];
      for (int s = 0; s < NR; s++) wv[s] = _mm256_loadu_ps(w + s * ldw + i + 8 * h);
      for (int r = 0; r < MR; r++) {
        const __m256 av = _mm256_loadu_ps(a + r * lda + i + 8 * h);
        for (int s = 0; s < NR; s++) acc[r][s][h] = _mm256_fmadd_ps(av, wv[s], acc[r][s][h]);
      }
    }
  }
  if (i < k) {
    for (int h = 0; h < 2; h++) {
      const __m256i mask = nd_lanes_below(k - i - 8 * h);
      __m256 wv[ND_NR2];
      for (int s = 0; s < NR; s++) wv[s] = _mm256_maskload_ps(w + s * ldw + i + 8 * h, mask);
      for (int r = 0; r < MR; r++) {
        const __m256 av = _mm256_maskload_ps(a + r * lda + i + 8 * h, mask);
        for (int s = 0; s < NR; s++) acc[r][s][h] = _mm256_fmadd_ps(av, wv[s], acc[r][s][h]);
      }
    }
  }
  for (int r = 0; r < MR; r++)
    for (int s = 0; s < NR; s++) {
      const float d = nd_tree16x2(acc[r][s][0], acc[r][s][1]);
      c[r * ldc + s] = accumulate ? c[r * ldc + s] + d : d;
    }
}

static void nd_micro2_any(const float *a, int64_t lda, const float *w, int64_t ldw, float *c, int64_t ldc, int64_t k,
                          int accumulate, int mr, int nr) {
#define ND_CASE(MR_, NR_) \
  case (MR_) * 4 + (NR_): nd_micro2(a, lda, w, ldw, c, ldc, k, accumulate, MR_, NR_); break;
  switch (mr * 4 + nr) {
    ND_CASE(1, 1) ND_CASE(1, 2) ND_CASE(2, 1) ND_CASE(2, 2) ND_CASE(3, 1) ND_CASE(3, 2)
    default: break;
  }
#undef ND_CASE
}

void nd_matmul_nt_avx2(const float *a, int64_t lda, const float *w, int64_t ldw, float *c, int64_t ldc, int64_t m,
                       int64_t n, int64_t k, int accumulate) {
  // Row blocks of `a` small enough to stay in L2 while a weight block (in L1) sweeps them.
  const int64_t row_block = 48;
  for (int64_t i0 = 0; i0 < m; i0 += row_block) {
    const int64_t rows = m - i0 < row_block ? m - i0 : row_block;
    for (int64_t j = 0; j < n; j += ND_NR2) {
      const int nr = n - j < ND_NR2 ? (int)(n - j) : ND_NR2;
      int64_t i = 0;
      for (; i + ND_MR2 <= rows; i += ND_MR2) {
        const float *ai = a + (i0 + i) * lda, *wj = w + j * ldw;
        float *cij = c + (i0 + i) * ldc + j;
        if (nr == ND_NR2) nd_micro2(ai, lda, wj, ldw, cij, ldc, k, accumulate, ND_MR2, ND_NR2);
        else nd_micro2(ai, lda, wj, ldw, cij, ldc, k, accumulate, ND_MR2, 1);
      }
      if (i < rows)
        nd_micro2_any(a + (i0 + i) * lda, lda, w + j * ldw, ldw, c + (i0 + i) * ldc + j, ldc, k, accumulate,
                      (int)(rows - i), nr);
    }
  }
}

ND_AVX2_END

#endif
