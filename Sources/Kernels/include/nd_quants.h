// GGUF block formats: dequantization and fused dot products.
//
// Every kernel has a scalar reference (`_ref`) beside the SIMD versions: AVX-512
// and AVX2 (`_avx2`). The public names run AVX-512 when the compiler targets it,
// else AVX2 when it targets that, else the reference; all agree bit for bit.
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

#define ND_QUANT_KERNELS(X) \
  X(f32) X(f16) X(bf16) X(q4_0) X(q4_1) X(q5_0) X(q5_1) X(q8_0) X(q4_K) X(q5_K) X(q6_K)

#define ND_DECLARE(T) \
  void nd_dequantize_row_##T(const void *src, float *dst, int64_t n); \
  void nd_dequantize_row_##T##_ref(const void *src, float *dst, int64_t n); \
  float nd_dot_##T##_f32(const void *row, const float *x, int64_t n); \
  float nd_dot_##T##_f32_ref(const void *row, const float *x, int64_t n); \
  void nd_matvec_##T(const void *w, int64_t row_bytes, int64_t rows, const float *x, int64_t n, float *y); \
  void nd_matvec_##T##_ref(const void *w, int64_t row_bytes, int64_t rows, const float *x, int64_t n, float *y); \
  void nd_dequantize_row_##T##_avx2(const void *src, float *dst, int64_t n); \
  float nd_dot_##T##_f32_avx2(const void *row, const float *x, int64_t n); \
  void nd_matvec_##T##_avx2(const void *w, int64_t row_bytes, int64_t rows, const float *x, int64_t n, float *y);
// nd_matvec_<type>: y[r] = nd_dot_<type>_f32(w + r * row_bytes, x, n) for r < rows;
// the SIMD version runs several rows at once to hide the fused multiply-add latency.
ND_QUANT_KERNELS(ND_DECLARE)
#undef ND_DECLARE

/// Exact IEEE half -> float (subnormals, infinities and NaNs included).
float nd_f16_to_f32(uint16_t h);

/// Which implementation the public kernels run: 2 AVX-512, 1 AVX2, 0 the scalar references.
int nd_quants_simd_enabled(void);
/// 1 when this CPU can run the `_avx2` kernels (they exist in every x86-64 build, for tests).
int nd_quants_avx2_supported(void);

/// The kernels of one type, for callers that pick them at run time.
typedef struct {
  void (*dequantize)(const void *src, float *dst, int64_t n);
  float (*dot)(const void *row, const float *x, int64_t n);
  void (*matvec)(const void *w, int64_t row_bytes, int64_t rows, const float *x, int64_t n, float *y);
} nd_quant_kernels;

typedef enum { ND_KERNELS_FASTEST = 0, ND_KERNELS_REFERENCE = 1, ND_KERNELS_AVX2 = 2 } nd_kernel_choice;

/// `type` indexes ND_QUANT_KERNELS' order: 0 f32, 1 f16, 2 bf16, 3 q4_0, 4 q4_1, 5 q5_0,
/// 6 q5_1, 7 q8_0, 8 q4_K, 9 q5_K, 10 q6_K. All pointers are NULL for an unknown type.
nd_quant_kernels nd_quant_kernels_for(int type, nd_kernel_choice choice);

#endif
