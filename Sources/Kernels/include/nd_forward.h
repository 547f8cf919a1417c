// Forward-pass kernels: a polite thread pool, the fixed-order matrix product
// every weight is applied with, paged attention and the small row operations.
//
// Determinism contract: every output element is reduced in an order that
// depends only on its own inputs and the reduction length, never on how many
// rows share the call, how the work is split across threads, or alignment.
// Dot products use 16 lanes: lane l accumulates elements i = l (mod 16) with
// fused multiply-adds in increasing i (a partial last chunk is padded with
// zeros), then the pairwise tree l + l+8, l + l+4, l + l+2, lane 0 + lane 1.
#ifndef ND_FORWARD_H
#define ND_FORWARD_H

#include <stdint.h>

#include "nd_cpu.h"

/// The kernels of one level (nd_cpu.h). Every function below without a table runs the
/// process's level (nd_level_active); the `_with` forms run the given one (tests compare levels).
typedef struct nd_kernel_table nd_kernel_table;
/// The table of `level` (ND_LEVEL_ACTIVE: the process's), NULL when this CPU lacks it.
const nd_kernel_table *nd_kernels_at(int level);
/// The level a table runs.
int nd_kernels_level(const nd_kernel_table *table);

/// Turns one stored weight row of `n` elements into float32 (exactly).
typedef void (*nd_row_decoder)(const void *src, float *dst, int64_t n);

// MARK: Thread pool

typedef struct nd_pool nd_pool;
typedef void (*nd_task_fn)(void *ctx, int64_t task, int thread);

/// A pool of `threads` participants: the caller plus `threads - 1` workers.
/// Idle workers spin for at most `spin_microseconds`, then sleep on a condition
/// variable, so a busy neighbour core is never burnt by waiting.
nd_pool *nd_pool_create(int threads, int spin_microseconds);
void nd_pool_destroy(nd_pool *pool);
int nd_pool_threads(const nd_pool *pool);
/// Runs fn(ctx, t, thread) for t in [0, tasks), tasks claimed dynamically; returns when all are done.
void nd_pool_run(nd_pool *pool, nd_task_fn fn, void *ctx, int64_t tasks);
/// nd_pool_run with each participant taking its own run of consecutive tasks (an even share, in
/// order) and, when that is done, the last tasks left of another's: for products that stream
/// memory, where tasks dealt out in turn to every thread read slower.
void nd_pool_run_runs(nd_pool *pool, nd_task_fn fn, void *ctx, int64_t tasks);

// MARK: Fixed-order products

/// sum_i a[i] * b[i] in the fixed 16-lane order.
float nd_dot_fixed(const float *a, const float *b, int64_t n);
float nd_dot_fixed_with(const nd_kernel_table *t, const float *a, const float *b, int64_t n);
float nd_dot_fixed_ref(const float *a, const float *b, int64_t n);

/// c[i * ldc + j] = dot_fixed(a + i * lda, w + j * ldw, k) for i < m, j < n
/// (plus c's old value when `accumulate`).
void nd_matmul_nt(const float *a, int64_t lda, const float *w, int64_t ldw, float *c, int64_t ldc,
                  int64_t m, int64_t n, int64_t k, int accumulate);
void nd_matmul_nt_with(const nd_kernel_table *t, const float *a, int64_t lda, const float *w, int64_t ldw, float *c,
                       int64_t ldc, int64_t m, int64_t n, int64_t k, int accumulate);
void nd_matmul_nt_ref(const float *a, int64_t lda, const float *w, int64_t ldw, float *c, int64_t ldc,
                      int64_t m, int64_t n, int64_t k, int accumulate);

/// y[r] = dot(w row r, x) for r < rows, in the fixed order (nd_matvec_<type> of nd_quants.h).
typedef void (*nd_row_matvec)(const void *w, int64_t row_bytes, int64_t rows, const float *x, int64_t n, float *y);

/// One weight applied to `m` rows: y[i][j] = (accumulate ? y[i][j] : 0) + dot(x[i], W[j]) + bias[j].
typedef struct {
  const void *weights;     // [n] rows of row_bytes each
  int64_t row_bytes;
  nd_row_decoder decode;   // NULL when the rows are already float32
  nd_row_matvec matvec;    // fused decode-and-dot for steps of few rows (same bits as decode + product)
  int64_t n, k;
  const float *x;          // [m][ldx]
  int64_t ldx;
  float *y;                // [m][ldy]
  int64_t ldy;
  const float *bias;       // [n] or NULL
  int accumulate;
  int act_q8;              // ND_Q8ACT_* (nd_q8act.h): 8-bit activations for this quantized weight; 0 float
  const void *act_q8_panels;  // with act_q8: the weights repacked by nd_q8act_pack
} nd_linear_job;

/// Weight rows are decoded tile by tile into per-thread scratch and multiplied
/// with all `m` rows; tiles of all jobs are spread over the pool. Up to
/// ND_LINEAR_MATVEC_ROWS rows, when every job has a `matvec`, runs of stored rows
/// are dotted in place instead (same bits), sized so the threads finish together. `scratch` holds
/// `scratch_per_thread` floats per pool thread, at least nd_linear_scratch_floats(k)
/// for every job with a decoder. Returns -1 (doing nothing) when it is too small.
int64_t nd_linear_scratch_floats(int64_t k);
/// Rows at most for which nd_linear uses `matvec` instead of decoding tiles.
enum { ND_LINEAR_MATVEC_ROWS = 4 };
int nd_linear(nd_pool *pool, const nd_linear_job *jobs, int job_count, int64_t m, float *scratch,
              int64_t scratch_per_thread);
int nd_linear_with(const nd_kernel_table *t, nd_pool *pool, const nd_linear_job *jobs, int job_count, int64_t m,
                   float *scratch, int64_t scratch_per_thread);

// MARK: Attention over a paged KV cache

/// How cached keys and values are stored.
enum { ND_KV_F32 = 0, ND_KV_F16 = 1, ND_KV_BF16 = 2 };

/// Stores `n` floats in a KV format (f16 and bf16 round to nearest even).
void nd_kv_store(const float *src, void *dst, int64_t n, int format);
/// The same, element i at dst element i * stride: a token's keys into a block
/// that stores them transposed (one row of block_size keys per dimension).
void nd_kv_store_strided(const float *src, void *dst, int64_t n, int64_t stride, int format);
/// `runs` runs of `run` floats, run r at dst element r * stride: a token's values into a
/// block that keeps each KV head's values together (one run per head).
void nd_kv_store_runs(const float *src, void *dst, int64_t runs, int64_t run, int64_t stride, int format);

typedef struct {
  int64_t rows, heads, kv_heads, head_dim, block_size;
  const float *q;               // [rows][heads][head_dim]
  float *out;                   // [rows][heads][head_dim]
  const void *k_cache;          // one layer: [blocks][kv_heads][head_dim][block_size] in kv_format (transposed)
  const void *v_cache;          // one layer: [blocks][kv_heads][block_size][head_dim] in kv_format (a head's together)
  int kv_format;
  const int64_t *positions;     // [rows] absolute position; the row attends to keys 0 ... position
  const int32_t *const *block_tables;  // [rows] the row's sequence's block table
  float scale;
  float *scratch;               // scratch_per_thread floats per pool thread
  int64_t scratch_per_thread;   // >= nd_attention_scratch_floats(largest position + 1, block_size, head_dim)
} nd_attention_job;

int64_t nd_attention_scratch_floats(int64_t max_keys, int64_t block_size, int64_t head_dim);
/// Scores, softmax and value sums of every row. A score is one chain of fused
/// multiply-adds, acc = fma(q[d], k[d], acc) for d = 0 ... head_dim - 1 from 0;
/// the softmax sums in 16 lanes and a pairwise tree; each output element adds
/// its value terms in key order. Rows are grouped into tasks
/// freely (GQA heads, prefill tiles, decode rows sharing prefix blocks), as each
/// row's numbers do not depend on its task.
void nd_attention(nd_pool *pool, const nd_attention_job *job);
void nd_attention_with(const nd_kernel_table *t, nd_pool *pool, const nd_attention_job *job);
/// One row and head at a time, scalar: the same bits as nd_attention.
void nd_attention_ref(const nd_attention_job *job);

// MARK: Row operations

/// out[r][i] = w[i] * (x[r][i] / sqrt(mean_i(x[r][i]^2) + eps)), rows of length n with stride ld.
void nd_rmsnorm(const float *x, int64_t ldx, const float *w, float *out, int64_t ldo,
                int64_t rows, int64_t n, float eps);
void nd_rmsnorm_with(const nd_kernel_table *t, const float *x, int64_t ldx, const float *w, float *out, int64_t ldo,
                     int64_t rows, int64_t n, float eps);
/// g[i] = silu(g[i]) * u[i] over `count` elements.
void nd_silu_mul(float *g, const float *u, int64_t count);
void nd_silu_mul_with(const nd_kernel_table *t, float *g, const float *u, int64_t count);
/// exp over `count` elements with the kernels' own (deterministic) exponential.
void nd_exp(const float *x, float *y, int64_t count);
void nd_exp_with(const nd_kernel_table *t, const float *x, float *y, int64_t count);
float nd_expf_ref(float x);
/// Index of the largest of `n` floats: the lowest index on a tie, NaN never
/// chosen, 0 when none is above -infinity.
int64_t nd_argmax(const float *x, int64_t n);
int64_t nd_argmax_with(const nd_kernel_table *t, const float *x, int64_t n);
/// Rotates `heads` vectors of head_dim at x with angles given by cos/sin [head_dim / 2].
/// adjacent = 0: pairs (i, i + head_dim/2); adjacent = 1: pairs (2i, 2i + 1).
void nd_rope(float *x, int64_t heads, int64_t head_dim, const float *cos_t, const float *sin_t, int adjacent);

#endif
