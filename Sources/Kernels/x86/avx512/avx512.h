// What every translation unit of the AVX-512 level shares: the extensions its
// functions are compiled for (the level's requirement in dispatch/cpu_features.c, plus
// VNNI for the 8-bit-activation kernel, which only runs where CPUID reports it).
#ifndef ND_AVX512_H
#define ND_AVX512_H

#include <immintrin.h>

#define ND_AVX512_BEGIN \
  _Pragma("clang attribute push(__attribute__((target(\"avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq\"))), apply_to = function)")
#define ND_AVX512_END _Pragma("clang attribute pop")

/// The exponential of 16 lanes, the same bits as nd_expf_ref in each (row_ops_avx512.c).
__attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq"))) __m512 nd_exp512(__m512 x);

#endif
