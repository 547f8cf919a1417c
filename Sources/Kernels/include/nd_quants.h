// GGUF block formats: dequantization and fused dot products.
//
// Every kernel has a scalar reference (`_ref`) beside the SIMD version (AVX-512
// when the compiler targets it, otherwise the public name runs the reference).
//
// Dequantization matches ggml's reference dequantizers bit for bit: products and
// sums are rounded separately (no fused multiply-add), f16 -> f32 is exact
// including subnormals.
//
// Dot products (`nd_dot_<type>_f32`) compute sum_i w[i] * x[i] for one row of
// `n` weights and an f32 vector in a FIXED order, so a result never depends on
// batch size, thread count, alignment or which implementation ran (SIMD and
// reference agree bit for bit). The order, in 16 logical lanes l = 0..15:
//
//  * F32, F16, BF16: element i goes to lane i % 16 of accumulator
//    A[(i / 16) % 4]: A[k][l] = fma(w[i], x[i], A[k][l]). A final partial chunk
//    is padded with w = x = 0. Then S = (A0 + A1) + (A2 + A3) lane-wise.
//  * 32-element blocks (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0), block b, integer quants q
//    (after the format's offset: q - 8, q - 16 or raw) :
//      P[l] = q[l] * x[l];  P[l] = fma(q[16+l], x[16+l], P[l])
//      A[b % 2][l] = fma(d, P[l], A[b % 2][l])
//    Q4_1/Q5_1 also X[l] = x[l] + x[16+l];  A[b % 2][l] = fma(m, X[l], A[b % 2][l]).
//    Then S = A0 + A1.
//  * Q4_K, Q5_K: sub-block g (32 elements, global index over the row) with
//    scale d*sc and min dmin*m: P and X as above, then
//      A[g % 2] = fma(d*sc, P, A[g % 2]);  A[g % 2] = fma(-(dmin*m), X, A[g % 2]).
//  * Q6_K: sub-block g of 16 elements with scale d*sc (q - 32 in -32..31):
//      P[l] = q[l] * x[l];  A[g % 2][l] = fma(d*sc, P[l], A[g % 2][l]).
//  * Finally a pairwise tree over the 16 lanes of S: lanes l + l+8, then l + l+4,
//    then l + l+2, then lane 0 + lane 1.
//
// `n` must be a multiple of the block size (32 or 256) for quantized types.
// Pointers need no alignment.
#ifndef ND_QUANTS_H
#define ND_QUANTS_H

#include <stdint.h>

#define ND_QUANT_KERNELS(X) \
  X(f32) X(f16) X(bf16) X(q4_0) X(q4_1) X(q5_0) X(q5_1) X(q8_0) X(q4_K) X(q5_K) X(q6_K)

#define ND_DECLARE(T) \
  void nd_dequantize_row_##T(const void *src, float *dst, int64_t n); \
  void nd_dequantize_row_##T##_ref(const void *src, float *dst, int64_t n); \
  float nd_dot_##T##_f32(const void *row, const float *x, int64_t n); \
  float nd_dot_##T##_f32_ref(const void *row, const float *x, int64_t n);
ND_QUANT_KERNELS(ND_DECLARE)
#undef ND_DECLARE

/// Exact IEEE half -> float (subnormals, infinities and NaNs included).
float nd_f16_to_f32(uint16_t h);

/// 1 when the public kernels run a SIMD implementation, 0 when they run the reference.
int nd_quants_simd_enabled(void);

#endif
