// What every translation unit of the AVX2 level shares: the extensions its functions
// are compiled for (the level's requirement in dispatch/cpu_features.c).
#ifndef ND_AVX2_H
#define ND_AVX2_H

#include <immintrin.h>

#define ND_AVX2_BEGIN _Pragma("clang attribute push(__attribute__((target(\"avx2,fma,f16c\"))), apply_to = function)")
#define ND_AVX2_END _Pragma("clang attribute pop")

/// The exponential of 8 lanes, the same bits as nd_expf_ref in each (row_ops_avx2.c).
__attribute__((target("avx2,fma,f16c"))) __m256 nd_exp256(__m256 x);

#endif
