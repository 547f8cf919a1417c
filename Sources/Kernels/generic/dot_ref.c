// Scalar reference dot products: a stored row (f32/f16/bf16 or quantized)
// times an f32 vector, in the fixed order of nd_quants.h — which is exactly
// nd_dot_fixed (nd_forward.h) applied to the row's dequantized values.
#pragma clang fp contract(off)

#include <math.h>
#include "../quant_blocks.h"

typedef void (*nd_dequantize_fn)(const void *src, float *dst, int64_t n);

// Decodes the row 256 elements at a time (a whole number of blocks for every
// type) and feeds lane i % 16 with fused multiply-adds in increasing i.
static float dot_decoded(nd_dequantize_fn decode, int64_t bytesNum, int64_t bytesDen,
                         const void *row, const float *x, int64_t n) {
  float acc[16] = {0};
  float w[256];
  for (int64_t start = 0; start < n; start += 256) {
    const int64_t count = n - start < 256 ? n - start : 256;
    decode((const uint8_t *)row + start * bytesNum / bytesDen, w, count);
    for (int64_t j = 0; j < count; j++) acc[(start + j) % 16] = fmaf(w[j], x[start + j], acc[(start + j) % 16]);
  }
  // The zero padding of a partial last chunk of 16.
  for (int64_t i = n; i % 16 != 0; i++) acc[i % 16] = fmaf(0.0f, 0.0f, acc[i % 16]);
  return nd_lane_tree(acc);
}

#define ND_DOT_REF(T, NUM, DEN)                                                               \
  float nd_dot_##T##_f32_ref(const void *row, const float *x, int64_t n) {                    \
    return dot_decoded(nd_dequantize_row_##T##_ref, NUM, DEN, row, x, n);                     \
  }                                                                                           \
  void nd_matvec_##T##_ref(const void *w, int64_t row_bytes, int64_t rows, const float *x,    \
                           int64_t n, float *y) {                                             \
    for (int64_t r = 0; r < rows; r++) y[r] = nd_dot_##T##_f32_ref((const uint8_t *)w + r * row_bytes, x, n); \
  }

// Bytes per element as a fraction: block bytes / block elements.
ND_DOT_REF(f32, 4, 1)
ND_DOT_REF(f16, 2, 1)
ND_DOT_REF(bf16, 2, 1)
ND_DOT_REF(q4_0, ND_Q4_0_BYTES, ND_QK)
ND_DOT_REF(q4_1, ND_Q4_1_BYTES, ND_QK)
ND_DOT_REF(q5_0, ND_Q5_0_BYTES, ND_QK)
ND_DOT_REF(q5_1, ND_Q5_1_BYTES, ND_QK)
ND_DOT_REF(q8_0, ND_Q8_0_BYTES, ND_QK)
ND_DOT_REF(q4_K, ND_Q4_K_BYTES, ND_QK_K)
ND_DOT_REF(q5_K, ND_Q5_K_BYTES, ND_QK_K)
ND_DOT_REF(q6_K, ND_Q6_K_BYTES, ND_QK_K)
