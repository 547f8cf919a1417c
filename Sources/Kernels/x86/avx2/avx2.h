// What every translation unit of the AVX2 level shares: the extensions its functions
// are compiled for (the level's requirement in dispatch/cpu_features.c).
#ifndef ND_AVX2_H
#define ND_AVX2_H

#include <immintrin.h>

#define ND_AVX2_BEGIN _Pragma("clang attribute push(__attribute__((target(\"avx2,fma,f16c\"))), apply_to = function)")
#define ND_AVX2_END _Pragma("clang attribute pop")

/// The pairwise tree of nd_lane_tree over lanes 0-7 (lo) and 8-15 (hi): l + l+8, l + l+4,
/// l + l+2, lane 0 + lane 1 — the last step of every fixed-order sum at this level.
__attribute__((target("avx2,fma,f16c"))) static inline float nd_tree16x2(__m256 lo, __m256 hi) {
  const __m256 s8 = _mm256_add_ps(lo, hi);
  const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  return _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1)));
}

/// The exponential of 8 lanes, the same bits as nd_expf_ref in each (row_ops_avx2.c).
__attribute__((target("avx2,fma,f16c"))) __m256 nd_exp256(__m256 x);

#endif
