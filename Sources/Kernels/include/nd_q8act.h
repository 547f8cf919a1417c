// Optional 8-bit-activation products (as llama.cpp computes quantized weights):
// each activation row is quantized per 32-element block to int8 with a float
// scale (Q8_1-style: the block's scaled sum is kept for Q4_1's offset term),
// and weight blocks are dotted with it in integers (AVX-512 VNNI or AVX-VNNI
// dpbusd: u8 × s8 → s32; AVX2 maddubs; plain C at the generic level).
// Integer sums are exact and each row's quantization depends only on that row, so with the fixed float order below a result is the same
// alone, in any batch, on any thread split: this mode is batch-invariant too.
// It is NOT the reference: results differ from float32 activations by the
// activation rounding (measured by `nightdesk compare-precision`).
//
// Fixed order. Output (row i, weight row r) starts at acc = 0 and takes the
// blocks b = 0, 1, ... in turn:
//   isum = exact int32 sum over the block of wq * xq
//   t    = (float)isum * dx_b                      (rounded)
//   acc  = fma(dw_b, t, acc)
//   acc  = fma(mw_b, sx_b, acc)                    (Q4_1 only)
// where wq is the weight integer (Q4_0: nibble - 8, Q4_1: nibble 0..15, Q8_0:
// int8), dw and mw the block's scale and min, dx the activation block's scale
// and sx_b = dx_b * sum(xq of block b).
//
// K-quants take their own steps, as llama.cpp's Q8_K: their activation rows share one scale
// dx_s per 256-element super-block s (nd_q8act_quantize with span 256: every dx_b of its 8 blocks
// j, activation blocks b = 8s + j), so a super-block is summed in integers and takes two float
// steps:
//   isum   = sum over j of sc_j * exact int32 sum over block j of wq * xq
//   msum   = sum over j of m_j * sum(xq of block b)                 (Q4_K, Q5_K only)
//   acc    = fma(-dmin, (float)msum * dx_s, acc)                    (Q4_K, Q5_K only)
//   acc    = fma(d, (float)isum * dx_s, acc)
// ((float)isum rounds to nearest even; each product is rounded before its fma.)
//   Q4_K: wq the nibble 0..15, sc_j and m_j the block's 6-bit scale and min, d and
//         dmin the super-block's f16 scales.
//   Q5_K: as Q4_K, wq 0..31 (the nibble and its fifth bit).
//   Q6_K: block j's term is sc_lo * sum_lo + sc_hi * sum_hi, the exact sums of (q - 32) * xq
//         over the block's two halves of 16 (each with its int8 scale); no min.
// Every sum fits int32: isum below 8 * 63 * 32 * 31 * 127 (Q5_K) and 8 * 2 * 128 * 16 * 32 * 127
// (Q6_K), msum below 8 * 63 * 32 * 127.
//
// Weights are repacked once, when a model is loaded, into panels of 16 weight
// rows: for each block, the integers of the 16 rows interleaved 4 at a time
// (one 64-byte vector = 4 consecutive elements of each of the 16 rows, what
// dpbusd multiplies with 4 broadcast activation bytes), then the 16 rows' f16
// scales. A product is then an outer product: every weight vector loaded serves
// every activation row of the tile, with no nibble transposes or lane
// reductions at run time.
#ifndef ND_Q8ACT_H
#define ND_Q8ACT_H

#include <stdint.h>
#include "nd_forward.h"

/// Weight formats with an 8-bit-activation kernel; 0 means none (float path).
enum { ND_Q8ACT_NONE = 0, ND_Q8ACT_Q4_0 = 1, ND_Q8ACT_Q4_1 = 2, ND_Q8ACT_Q8_0 = 3, ND_Q8ACT_Q4_K = 4, ND_Q8ACT_Q6_K = 5,
       ND_Q8ACT_Q5_K = 6 };

/// The 8-bit-activation format for an nd_quant_kernels_for index (3 q4_0, 4 q4_1,
/// 7 q8_0, 8 q4_K, 9 q5_K, 10 q6_K), ND_Q8ACT_NONE for every other type.
int nd_q8act_type_for_kernel_index(int index);

/// Bytes of one quantized activation row of `k` elements (k a multiple of 32):
/// int8 values [k], then per block dx [k/32] and sx [k/32] floats, sum(xq)
/// [k/32] and the sum of the first 16 xq [k/32] int32, padded to 64 bytes.
int64_t nd_q8act_row_bytes(int64_t k);

/// Quantizes `m` rows of `k` floats (stride ldx) into dst (nd_q8act_row_bytes(k) each), every
/// `span` elements (32, or 256 for the K-quants: nd_q8act_span) with one scale
/// d = max|x| / 127 over them (each of their blocks' dx), q = round-to-nearest-even(x / d),
/// s = d · sum(q) per block.
void nd_q8act_quantize(const float *x, int64_t ldx, int64_t m, int64_t k, int64_t span, void *dst);
void nd_q8act_quantize_with(const nd_kernel_table *t, const float *x, int64_t ldx, int64_t m, int64_t k, int64_t span,
                            void *dst);
void nd_q8act_quantize_ref(const float *x, int64_t ldx, int64_t m, int64_t k, int64_t span, void *dst);
/// The elements sharing one activation scale in rows for products with `type`: 256 for the
/// K-quants (their fixed order sums a super-block in integers), else 32.
int64_t nd_q8act_span(int type);

/// Bytes of `n` stored weight rows of `k` elements repacked into panels (64-byte aligned
/// storage expected): ceil(n / 16) panels of k / 32 blocks, 320 bytes a block for Q4_0 and
/// Q4_1, 576 for Q8_0 (the same size as the stored rows, rounded up to whole panels); for
/// K-quants (k a multiple of 256) k / 256 super-blocks, 2368 bytes each for Q4_K, 2880 for
/// Q5_K and 3392 for Q6_K (2.8 %, 2.3 % and 1 % more than stored).
int64_t nd_q8act_packed_bytes(int type, int64_t n, int64_t k);
/// Repacks `n` stored rows (`row_bytes` apart, ggml block layout) into `packed`; the rows
/// that fill the last panel are zero.
void nd_q8act_pack(int type, const void *w, int64_t row_bytes, int64_t n, int64_t k, void *packed);

/// y[i * ldy + r] (+)= dot(weight row r, activation row i) for r0 <= r < r1 (r0 a multiple
/// of 16, r1 <= n), i < m, in the fixed order above, from weights repacked by nd_q8act_pack.
/// Every (r, i) result is the same whatever m, r0 and r1 are.
void nd_q8act_matmul(int type, const void *packed, int64_t r0, int64_t r1, const void *xq, int64_t m, int64_t k,
                     float *y, int64_t ldy, int accumulate);
void nd_q8act_matmul_with(const nd_kernel_table *t, int type, const void *packed, int64_t r0, int64_t r1, const void *xq,
                          int64_t m, int64_t k, float *y, int64_t ldy, int accumulate);
/// nd_q8act_matmul in scalar code (the generic level's).
void nd_q8act_matmul_packed_ref(int type, const void *packed, int64_t r0, int64_t r1, const void *xq, int64_t m,
                                int64_t k, float *y, int64_t ldy, int accumulate);
/// The definition: the same products straight from the stored rows, one at a time.
void nd_q8act_matmul_ref(int type, const void *w, int64_t row_bytes, int64_t rows, const void *xq, int64_t m,
                         int64_t k, float *y, int64_t ldy, int accumulate);


/// nd_linear's path for its jobs with `act_q8` set (at most 64, each with `act_q8_panels`
/// and k a multiple of 32): each distinct input is quantized once (rows spread over the
/// pool) into a per-calling-thread buffer, then the jobs' panels are spread over the pool.
/// Returns -1 when the buffer cannot be allocated, else 0.
int nd_linear_q8act(const nd_kernel_table *t, nd_pool *pool, const nd_linear_job *jobs, int job_count, int64_t m);

#endif
