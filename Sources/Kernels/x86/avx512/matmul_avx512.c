// The fixed-order matrix product of the AVX-512 level (nd_forward.h has the order):
// register blocks of 4 activation rows x 6 weight rows, one 16-lane accumulator per
// output, k split into parts for long rows with the accumulators carried across.
#if defined(__x86_64__)
#include "../../kernel_table.h"
#include "avx512.h"

ND_AVX512_BEGIN

static inline float nd_tree16(__m512 v) {
  __m256 s8 = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  __m128 s1 = _mm_add_ss(s2, _mm_movehdup_ps(s2));
  return _mm_cvtss_f32(s1);
}

float nd_dot_fixed_avx512(const float *a, const float *b, int64_t n) {
  __m512 acc = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) acc = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc);
  if (i < n) {
    __mmask16 mask = (__mmask16)((1u << (n - i)) - 1);
    acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, a + i), _mm512_maskz_loadu_ps(mask, b + i), acc);
  }
  return nd_tree16(acc);
}

/// nd_tree16 of four vectors at once, as [tree(a), tree(b), tree(c), tree(d)]: the
/// same pairwise additions, done with cross-vector shuffles instead of one
/// extract chain per vector.
static inline __m128 nd_tree16x4(__m512 a, __m512 b, __m512 c, __m512 d) {
  // lanes l + l+8: [a s8 | b s8], [c s8 | d s8]
  const __m512 ab = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, 0x44), _mm512_shuffle_f32x4(a, b, 0xEE));
  const __m512 cd = _mm512_add_ps(_mm512_shuffle_f32x4(c, d, 0x44), _mm512_shuffle_f32x4(c, d, 0xEE));
  // lanes l + l+4: quarter k holds s4[0..3] of a, b, c, d
  const __m512 s4 = _mm512_add_ps(_mm512_shuffle_f32x4(ab, cd, 0x88), _mm512_shuffle_f32x4(ab, cd, 0xDD));
  // lanes l + l+2, then lane 0 + lane 1, within each quarter
  const __m512 s2 = _mm512_add_ps(s4, _mm512_permute_ps(s4, 0x4E));
  const __m512 s1 = _mm512_add_ps(s2, _mm512_permute_ps(s2, 0xB1));
  return _mm512_castps512_ps128(_mm512_maskz_compress_ps(0x1111, s1));
}

// Register block: 4 rows of a times 6 rows of w is 24 accumulators + 6 weight
// vectors + 1 row vector of the 32 zmm registers, so each loaded vector feeds
// 4-6 FMAs (4×4 fed 4; 4×7 spills). Each output still has its own accumulator
// over k, so the block shape does not change any result's bits.
enum { ND_MR = 4, ND_NR = 6 };

/// Rows longer than ND_K_SPLIT_ABOVE are multiplied in parts of about ND_K_PART (see
/// nd_matmul_nt); shorter ones measured faster unsplit (k = 576 in halves lost ~12%).
enum { ND_K_SPLIT_ABOVE = 768, ND_K_PART = 512 };

// MR rows of a times NR rows of w, one 16-lane accumulator per output.
// Called with constant MR/NR so the compiler keeps the accumulators in registers.
// A product split along k passes its unreduced accumulators from one part to
// the next (`carry_in` / `carry_out`, [MR][NR] vectors; NULL: start from zero /
// reduce into c), so every lane still sees one fused multiply-add chain in
// increasing k: the same bits as one call over the whole of k.
static inline __attribute__((always_inline)) void nd_micro_part(
    const float *a, int64_t lda, const float *w, int64_t ldw, float *c, int64_t ldc,
    int64_t k, int accumulate, const __m512 *carry_in, __m512 *carry_out, const int MR, const int NR) {
  __m512 acc[ND_MR][ND_NR];
  for (int r = 0; r < MR; r++)
    for (int s = 0; s < NR; s++) acc[r][s] = carry_in ? carry_in[r * NR + s] : _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= k; i += 16) {
    __m512 wv[ND_NR], av[ND_MR];
    for (int s = 0; s < NR; s++) wv[s] = _mm512_loadu_ps(w + s * ldw + i);
    for (int r = 0; r < MR; r++) {
      av[r] = _mm512_loadu_ps(a + r * lda + i);
      for (int s = 0; s < NR; s++) acc[r][s] = _mm512_fmadd_ps(av[r], wv[s], acc[r][s]);
    }
  }
  if (i < k) {
    __mmask16 mask = (__mmask16)((1u << (k - i)) - 1);
    __m512 wv[ND_NR], av[ND_MR];
    for (int s = 0; s < NR; s++) wv[s] = _mm512_maskz_loadu_ps(mask, w + s * ldw + i);
    for (int r = 0; r < MR; r++) {
      av[r] = _mm512_maskz_loadu_ps(mask, a + r * lda + i);
      for (int s = 0; s < NR; s++) acc[r][s] = _mm512_fmadd_ps(av[r], wv[s], acc[r][s]);
    }
  }
  if (carry_out) {
    for (int r = 0; r < MR; r++)
      for (int s = 0; s < NR; s++) carry_out[r * NR + s] = acc[r][s];
    return;
  }
  for (int r = 0; r < MR; r++) {
    const __m512 zero = _mm512_setzero_ps();
    for (int s0 = 0; s0 < NR; s0 += 4) {
      const int nq = NR - s0 < 4 ? NR - s0 : 4;
      const __mmask8 store_mask = (__mmask8)((1u << nq) - 1);
      __m128 d = nd_tree16x4(acc[r][s0], nq > 1 ? acc[r][s0 + 1] : zero, nq > 2 ? acc[r][s0 + 2] : zero,
                             nq > 3 ? acc[r][s0 + 3] : zero);
      if (accumulate) d = _mm_add_ps(_mm_maskz_loadu_ps(store_mask, c + r * ldc + s0), d);
      _mm_mask_storeu_ps(c + r * ldc + s0, store_mask, d);
    }
  }
}

static inline __attribute__((always_inline)) void nd_micro(
    const float *a, int64_t lda, const float *w, int64_t ldw, float *c, int64_t ldc,
    int64_t k, int accumulate, const int MR, const int NR) {
  nd_micro_part(a, lda, w, ldw, c, ldc, k, accumulate, NULL, NULL, MR, NR);
}

/// One k part of a full register block.
static __attribute__((noinline)) void nd_micro_chunk(
    const float *a, int64_t lda, const float *w, int64_t ldw, float *c, int64_t ldc,
    int64_t k, int accumulate, const __m512 *carry_in, __m512 *carry_out) {
  nd_micro_part(a, lda, w, ldw, c, ldc, k, accumulate, carry_in, carry_out, ND_MR, ND_NR);
}

#define ND_MICRO_CASE(MR_, NR_) \
  case (MR_) * 16 + (NR_): nd_micro(a, lda, w, ldw, c, ldc, k, accumulate, MR_, NR_); break;
#define ND_MICRO_ROW(MR_) \
  ND_MICRO_CASE(MR_, 1) ND_MICRO_CASE(MR_, 2) ND_MICRO_CASE(MR_, 3) \
  ND_MICRO_CASE(MR_, 4) ND_MICRO_CASE(MR_, 5) ND_MICRO_CASE(MR_, 6)

#define ND_MICRO_CASE8(MR_, NR_) \
  case (MR_) * 8 + (NR_): nd_micro(a, lda, wj, ldw, cj, ldc, k, accumulate, MR_, NR_); break;

static void nd_micro_any(const float *a, int64_t lda, const float *w, int64_t ldw, float *c, int64_t ldc,
                         int64_t k, int accumulate, int mr, int nr) {
  switch (mr * 16 + nr) {
    ND_MICRO_ROW(1) ND_MICRO_ROW(2) ND_MICRO_ROW(3) ND_MICRO_ROW(4)
    default: break;
  }
}

// Fewer rows than ND_MR (attention's one query row per head over a block of
// keys, k = head_dim): blocks of 4 keys and a small dispatch of their own, as
// the 6-wide block's second tree reduce and the bigger switch cost more than
// the few FMAs per output save.
static __attribute__((noinline)) void nd_matmul_few_rows(
    const float *a, int64_t lda, const float *w, int64_t ldw, float *c, int64_t ldc,
    int64_t m, int64_t n, int64_t k, int accumulate) {
  for (int64_t j = 0; j < n; j += 4) {
    const int nr = n - j < 4 ? (int)(n - j) : 4;
    const float *wj = w + j * ldw;
    float *cj = c + j;
    switch ((int)m * 8 + nr) {
      ND_MICRO_CASE8(1, 1) ND_MICRO_CASE8(1, 2) ND_MICRO_CASE8(1, 3) ND_MICRO_CASE8(1, 4)
      ND_MICRO_CASE8(2, 1) ND_MICRO_CASE8(2, 2) ND_MICRO_CASE8(2, 3) ND_MICRO_CASE8(2, 4)
      ND_MICRO_CASE8(3, 1) ND_MICRO_CASE8(3, 2) ND_MICRO_CASE8(3, 3) ND_MICRO_CASE8(3, 4)
      default: break;
    }
  }
}

/// Rows [0, m) of `a` (m <= 64) times nr <= ND_NR rows of w: one column of
/// register blocks. (Its own function: inlined into nd_matmul_nt's loops, the
/// unsplit k = 576 products of 512 rows ran ~7% slower.)
static void nd_block_column(const float *a, int64_t lda, const float *w, int64_t ldw, float *c, int64_t ldc,
                            int64_t m, int nr, int64_t k, int accumulate) {
  enum { rows_max = 64 };
  // Long rows are multiplied in k parts (multiples of 16, so lanes keep their
  // elements), so a weight block's part stays in L1 while the row blocks of `a`
  // stream past it; whole rows of 6 × 1536 floats left L1 too small for them.
  const int64_t parts = k > ND_K_SPLIT_ABOVE ? (k + ND_K_PART - 1) / ND_K_PART : 1;
  int64_t i = 0;
  if (parts > 1 && nr == ND_NR) {
    const int64_t part = ((k + parts - 1) / parts + 15) & ~(int64_t)15;
    __m512 carry[rows_max / ND_MR][ND_MR * ND_NR];
    const int64_t full = m / ND_MR * ND_MR;
    for (int64_t p0 = 0; p0 < k; p0 += part) {
      const int64_t len = k - p0 < part ? k - p0 : part;
      for (int64_t b = 0; b < full / ND_MR; b++)
        nd_micro_chunk(a + b * ND_MR * lda + p0, lda, w + p0, ldw, c + b * ND_MR * ldc, ldc, len, accumulate,
                       p0 ? carry[b] : NULL, p0 + len < k ? carry[b] : NULL);
    }
    i = full;
  }
  for (; i < m; i += ND_MR) {
    int mr = m - i < ND_MR ? (int)(m - i) : ND_MR;
    nd_micro_any(a + i * lda, lda, w, ldw, c + i * ldc, ldc, k, accumulate, mr, nr);
  }
}

void nd_matmul_nt_avx512(const float *a, int64_t lda, const float *w, int64_t ldw, float *c, int64_t ldc,
                  int64_t m, int64_t n, int64_t k, int accumulate) {
  if (m < ND_MR) {
    nd_matmul_few_rows(a, lda, w, ldw, c, ldc, m, n, k, accumulate);
    return;
  }
  // Row blocks of `a` small enough to stay in L1/L2 while a weight block sweeps them.
  const int64_t row_block = 64;
  for (int64_t i0 = 0; i0 < m; i0 += row_block) {
    const int64_t rows = m - i0 < row_block ? m - i0 : row_block;
    for (int64_t j = 0; j < n; j += ND_NR) {
      const int nr = n - j < ND_NR ? (int)(n - j) : ND_NR;
      nd_block_column(a + i0 * lda, lda, w + j * ldw, ldw, c + i0 * ldc + j, ldc, rows, nr, k, accumulate);
    }
  }
}

ND_AVX512_END

#endif
