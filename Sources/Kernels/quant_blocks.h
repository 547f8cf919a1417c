// Private helpers shared by the quantization kernels: unaligned little-endian
// field reads (GGUF blocks are packed, so no struct casts) and block geometry.
#ifndef ND_QUANT_BLOCKS_H
#define ND_QUANT_BLOCKS_H

#include <stdint.h>
#include <string.h>
#include "nd_quants.h"
#include "lane_tree.h"  // the last step of every dot product

#define ND_QK 32     // elements per Q4_0 … Q8_0 block
#define ND_QK_K 256  // elements per K-quant super-block

// Block sizes in bytes (ggml's layouts).
#define ND_Q4_0_BYTES 18   // d, qs[16]
#define ND_Q4_1_BYTES 20   // d, m, qs[16]
#define ND_Q5_0_BYTES 22   // d, qh[4], qs[16]
#define ND_Q5_1_BYTES 24   // d, m, qh[4], qs[16]
#define ND_Q8_0_BYTES 34   // d, qs[32] (int8)
#define ND_Q4_K_BYTES 144  // d, dmin, scales[12], qs[128]
#define ND_Q5_K_BYTES 176  // d, dmin, scales[12], qh[32], qs[128]
#define ND_Q6_K_BYTES 210  // ql[128], qh[64], scales[16] (int8), d

static inline uint16_t nd_rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t nd_rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline float nd_half(const uint8_t *p) { return nd_f16_to_f32(nd_rd16(p)); }
static inline float nd_bf16_to_f32(uint16_t h) { uint32_t b = (uint32_t)h << 16; float f; memcpy(&f, &b, 4); return f; }

// ggml's get_scale_min_k4: the 6-bit scale and min of sub-block j (0..7) of a Q4_K/Q5_K block.
static inline void nd_scale_min_k4(int j, const uint8_t *q, uint8_t *sc, uint8_t *m) {
  if (j < 4) {
    *sc = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *sc = (uint8_t)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *m = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}


// Defines MATVEC (y[r] = row r · x for r < rows) and DOT (one row) over ROWS(w,
// row_bytes, R, x, n, y), which handles R = 1..GROUP rows at once (R a constant).
// GROUP rows run interleaved; the few left over go one by one (each row's result
// is the same either way).
#define ND_DEFINE_MATVEC(MATVEC, DOT, ROWS, GROUP)                                              \
  void MATVEC(const void *w, int64_t rb, int64_t rows, const float *x, int64_t n, float *y) {   \
    const uint8_t *p = w;                                                                       \
    int64_t r = 0;                                                                              \
    for (; r + (GROUP) <= rows; r += (GROUP)) ROWS(p + r * rb, rb, (GROUP), x, n, y + r);       \
    for (; r < rows; r++) ROWS(p + r * rb, rb, 1, x, n, y + r);                                 \
  }                                                                                             \
  float DOT(const void *row, const float *x, int64_t n) {                                       \
    float y;                                                                                    \
    ROWS(row, 0, 1, x, n, &y);                                                                  \
    return y;                                                                                   \
  }

// Defines the public kernels of type T as forwards to the ones with SUFFIX (_avx2, _ref).
#define ND_FORWARD_KERNELS(T, SUFFIX)                                                           \
  void nd_dequantize_row_##T(const void *src, float *dst, int64_t n) {                          \
    nd_dequantize_row_##T##SUFFIX(src, dst, n);                                                 \
  }                                                                                             \
  float nd_dot_##T##_f32(const void *row, const float *x, int64_t n) { return nd_dot_##T##_f32##SUFFIX(row, x, n); } \
  void nd_matvec_##T(const void *w, int64_t rb, int64_t rows, const float *x, int64_t n, float *y) { \
    nd_matvec_##T##SUFFIX(w, rb, rows, x, n, y);                                                \
  }

#endif
