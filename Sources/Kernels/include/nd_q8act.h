// Optional 8-bit-activation products (as llama.cpp computes quantized weights):
// each activation row is quantized per 32-element block to int8 with a float
// scale (Q8_1-style: the block's scaled sum is kept for Q4_x's offset term),
// and weight blocks are dotted with it in integers (AVX-512 VNNI dpbusd:
// u8 × s8 → s32). Integer sums are exact and each row's quantization depends
// only on that row, so with the fixed float order below a result is the same
// alone, in any batch, on any thread split: this mode is batch-invariant too.
// It is NOT the reference: results differ from float32 activations by the
// activation rounding (measured by `nightdesk compare-precision`).
//
// Fixed order. Blocks go in groups of 16 (the last group padded with zero
// blocks); lane l (0..15) of group g holds block b = 16g + 4(l % 4) + l / 4
// whole (the transpose falls out of the integer lane reduction):
//   isum_l = exact int32 sum over the block of wq * xq
//   t_l    = (float)isum_l * dx_b                 (rounded)
//   acc_l  = fma(dw_b, t_l, acc_l)                 in increasing g
//   acc_l  = fma(mw_b, sx_b, acc_l)                (Q4_1 only)
// where wq is the weight integer (Q4_0: nibble - 8, Q4_1: nibble 0..15, Q8_0:
// int8), dw and mw the block's scale and min, dx the activation block's scale
// and sx_b = dx_b * sum(xq of block b). The result is the pairwise tree of
// nd_lane_tree over acc (l + l+8, l + l+4, l + l+2, lane 0 + lane 1).
// Layout that makes this cheap: in an activation row, each 4 blocks of a group
// take 128 bytes, elements 0..15 of the 4 blocks side by side, then elements
// 16..31 (the order of Q4 nibbles, and of two 16-byte halves of Q8_0), so 2
// dpbusd give 4 lanes per block, a 4 x 4 integer transpose-add sums them, and
// one float step serves 16 blocks.
#ifndef ND_Q8ACT_H
#define ND_Q8ACT_H

#include <stdint.h>
#include "nd_forward.h"

/// Weight formats with an 8-bit-activation kernel; 0 means none (float path).
enum { ND_Q8ACT_NONE = 0, ND_Q8ACT_Q4_0 = 1, ND_Q8ACT_Q4_1 = 2, ND_Q8ACT_Q8_0 = 3 };

/// The 8-bit-activation format for an nd_quant_kernels_for index (3 q4_0, 4 q4_1,
/// 7 q8_0), ND_Q8ACT_NONE for every other type.
int nd_q8act_type_for_kernel_index(int index);

/// Bytes of one quantized activation row of `k` elements (k a multiple of 32), 704 per
/// group of 16 blocks: int8 values [4 quads][2 halves][4 blocks][16], then per lane dx [16],
/// sx [16] floats and sum(xq) [16] int32.
int64_t nd_q8act_row_bytes(int64_t k);

/// Quantizes `m` rows of `k` floats (stride ldx) into dst (nd_q8act_row_bytes(k) each):
/// per block d = max|x| / 127, q = round-to-nearest-even(x / d), s = d · sum(q).
void nd_q8act_quantize(const float *x, int64_t ldx, int64_t m, int64_t k, void *dst);
void nd_q8act_quantize_ref(const float *x, int64_t ldx, int64_t m, int64_t k, void *dst);

/// y[i * ldy + r] (+)= dot(weight row r, activation row i) for r < rows, i < m, in
/// the fixed order above. Each weight row's group is unpacked once in registers and
/// dotted with up to 4 activation rows; larger m sweeps L2-sized weight and
/// activation tiles. Every (r, i) result is the same whatever m is.
void nd_q8act_matmul(int type, const void *w, int64_t row_bytes, int64_t rows, const void *xq, int64_t m,
                     int64_t k, float *y, int64_t ldy, int accumulate);
void nd_q8act_matmul_ref(int type, const void *w, int64_t row_bytes, int64_t rows, const void *xq, int64_t m,
                         int64_t k, float *y, int64_t ldy, int accumulate);

/// 1 when nd_q8act_matmul runs VNNI code, 0 when it runs the reference.
int nd_q8act_simd_enabled(void);

/// nd_linear's path for jobs with `act_q8` set: each distinct input is quantized once
/// (rows spread over the pool) into a per-calling-thread buffer, then the jobs' weight
/// rows are spread over the pool; jobs without `act_q8` run the float path.
/// Returns what nd_linear returns.
int nd_linear_q8act(nd_pool *pool, const nd_linear_job *jobs, int job_count, int64_t m, float *scratch,
                    int64_t scratch_per_thread);

#endif
