// GGUF block formats: dequantization and fused dot products.
//
// Every kernel has a scalar reference (`_ref`, the generic level) beside the SIMD
// versions of the AVX2 and AVX-512 levels (nd_cpu.h); all agree bit for bit. Callers
// take a level's kernels from nd_quant_kernels_for.
//
// Dequantization matches ggml's reference dequantizers bit for bit: products and
// sums are rounded separately (no fused multiply-add), f16 -> f32 is exact
// including subnormals.
//
// Dot products (`nd_dot_<type>_f32`, and `nd_matvec_<type>` over many rows)
// compute sum_i w[i] * x[i] for a row of `n` stored weights and an f32 vector in
// a FIXED order, so a result never depends on batch size, thread count,
// alignment or which implementation ran (SIMD and reference agree bit for bit):
// w[i] is the exact dequantized value (as nd_dequantize_row_<type> gives it),
// lane l = i % 16 accumulates acc[l] = fma(w[i], x[i], acc[l]) in increasing i,
// a partial last chunk of 16 is padded with w = x = 0, and the 16 lanes are
// summed by the pairwise tree l + l+8, then l + l+4, then l + l+2, then lane 0 +
// lane 1. This is the order of nd_dot_fixed (nd_forward.h), so a fused dot of a
// quantized row equals nd_dot_fixed of its dequantized row, bit for bit: decode
// (fused, matvec) and prefill (dequantize a tile, then a matrix product) agree.
//
// `n` must be a multiple of the block size (32 or 256) for quantized types.
// Pointers need no alignment.
#ifndef ND_QUANTS_H
#define ND_QUANTS_H

#include <stdint.h>

#include "nd_cpu.h"

#define ND_QUANT_KERNELS(X) \
  X(f32) X(f16) X(bf16) X(q4_0) X(q4_1) X(q5_0) X(q5_1) X(q8_0) X(q4_K) X(q5_K) X(q6_K)

#define ND_DECLARE(T) \
  void nd_dequantize_row_##T##_ref(const void *src, float *dst, int64_t n); \
  float nd_dot_##T##_f32_ref(const void *row, const float *x, int64_t n); \
  void nd_matvec_##T##_ref(const void *w, int64_t row_bytes, int64_t rows, const float *x, int64_t n, float *y);
// nd_matvec_<type>: y[r] = dot of row r with x for r < rows; the SIMD versions run
// several rows at once to hide the fused multiply-add latency.
ND_QUANT_KERNELS(ND_DECLARE)
#undef ND_DECLARE

/// Exact IEEE half -> float (subnormals, infinities and NaNs included).
float nd_f16_to_f32(uint16_t h);

/// The kernels of one type, for callers that pick them at run time.
typedef struct {
  void (*dequantize)(const void *src, float *dst, int64_t n);
  float (*dot)(const void *row, const float *x, int64_t n);
  void (*matvec)(const void *w, int64_t row_bytes, int64_t rows, const float *x, int64_t n, float *y);
} nd_quant_kernels;

/// The kernels of `level` (nd_cpu.h; ND_LEVEL_ACTIVE: the process's level). `type` indexes
/// ND_QUANT_KERNELS' order: 0 f32, 1 f16, 2 bf16, 3 q4_0, 4 q4_1, 5 q5_0, 6 q5_1, 7 q8_0,
/// 8 q4_K, 9 q5_K, 10 q6_K. All pointers are NULL for an unknown type, or a level this
/// CPU lacks.
nd_quant_kernels nd_quant_kernels_for(int type, int level);

#endif
