// The fixed-order matrix product every weight of the forward pass goes through
// (see nd_forward.h for the order). Row i of the result depends only on row i
// of `a` and on the weights, so a sequence's numbers do not change with the
// batch it shares a step with.
#include <string.h>
#include <immintrin.h>

#include "nd_forward.h"
#include "nd_q8act.h"
#include "lane_tree.h"


float nd_dot_fixed_ref(const float *a, const float *b, int64_t n) {
  float acc[16] = {0};
  for (int64_t i = 0; i < n; i += 16) {
    for (int l = 0; l < 16; l++) {
      float x = i + l < n ? a[i + l] : 0.0f, y = i + l < n ? b[i + l] : 0.0f;
      acc[l] = __builtin_fmaf(x, y, acc[l]);
    }
  }
  return nd_lane_tree(acc);
}

void nd_matmul_nt_ref(const float *a, int64_t lda, const float *w, int64_t ldw, float *c, int64_t ldc,
                      int64_t m, int64_t n, int64_t k, int accumulate) {
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) {
      float d = nd_dot_fixed_ref(a + i * lda, w + j * ldw, k);
      c[i * ldc + j] = accumulate ? c[i * ldc + j] + d : d;
    }
}

#if defined(__AVX512F__)

static inline float nd_tree16(__m512 v) {
  __m256 s8 = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  __m128 s1 = _mm_add_ss(s2, _mm_movehdup_ps(s2));
  return _mm_cvtss_f32(s1);
}

float nd_dot_fixed(const float *a, const float *b, int64_t n) {
  __m512 acc = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) acc = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc);
  if (i < n) {
    __mmask16 mask = (__mmask16)((1u << (n - i)) - 1);
    acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, a + i), _mm512_maskz_loadu_ps(mask, b + i), acc);
  }
  return nd_tree16(acc);
}

/// nd_tree16 of four vectors at once, as [tree(a), tree(b), tree(c), tree(d)]: the
/// same pairwise additions, done with cross-vector shuffles instead of one
/// extract chain per vector.
static inline __m128 nd_tree16x4(__m512 a, __m512 b, __m512 c, __m512 d) {
  // lanes l + l+8: [a s8 | b s8], [c s8 | d s8]
  const __m512 ab = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, 0x44), _mm512_shuffle_f32x4(a, b, 0xEE));
  const __m512 cd = _mm512_add_ps(_mm512_shuffle_f32x4(c, d, 0x44), _mm512_shuffle_f32x4(c, d, 0xEE));
  // lanes l + l+4: quarter k holds s4[0..3] of a, b, c, d
  const __m512 s4 = _mm512_add_ps(_mm512_shuffle_f32x4(ab, cd, 0x88), _mm512_shuffle_f32x4(ab, cd, 0xDD));
  // lanes l + l+2, then lane 0 + lane 1, within each quarter
  const __m512 s2 = _mm512_add_ps(s4, _mm512_permute_ps(s4, 0x4E));
  const __m512 s1 = _mm512_add_ps(s2, _mm512_permute_ps(s2, 0xB1));
  return _mm512_castps512_ps128(_mm512_maskz_compress_ps(0x1111, s1));
}

// Register block: 4 rows of a times 6 rows of w is 24 accumulators + 6 weight
// vectors + 1 row vector of the 32 zmm registers, so each loaded vector feeds
// 4-6 FMAs (4×4 fed 4; 4×7 spills). Each output still has its own accumulator
// over k, so the block shape does not change any result's bits.
enum { ND_MR = 4, ND_NR = 6 };

/// Rows longer than ND_K_SPLIT_ABOVE are multiplied in parts of about ND_K_PART (see
/// nd_matmul_nt); shorter ones measured faster unsplit (k = 576 in halves lost ~12%).
enum { ND_K_SPLIT_ABOVE = 768, ND_K_PART = 512 };

// MR rows of a times NR rows of w, one 16-lane accumulator per output.
// Called with constant MR/NR so the compiler keeps the accumulators in registers.
// A product split along k passes its unreduced accumulators from one part to
// the next (`carry_in` / `carry_out`, [MR][NR] vectors; NULL: start from zero /
// reduce into c), so every lane still sees one fused multiply-add chain in
// increasing k: the same bits as one call over the whole of k.
static inline __attribute__((always_inline)) void nd_micro_part(
    const float *a, int64_t lda, const float *w, int64_t ldw, float *c, int64_t ldc,
    int64_t k, int accumulate, const __m512 *carry_in, __m512 *carry_out, const int MR, const int NR) {
  __m512 acc[ND_MR][ND_NR];
  for (int r = 0; r < MR; r++)
    for (int s = 0; s < NR; s++) acc[r][s] = carry_in ? carry_in[r * NR + s] : _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= k; i += 16) {
    __m512 wv[ND_NR], av[ND_MR];
    for (int s = 0; s < NR; s++) wv[s] = _mm512_loadu_ps(w + s * ldw + i);
    for (int r = 0; r < MR; r++) {
      av[r] = _mm512_loadu_ps(a + r * lda + i);
      for (int s = 0; s < NR; s++) acc[r][s] = _mm512_fmadd_ps(av[r], wv[s], acc[r][s]);
    }
  }
  if (i < k) {
    __mmask16 mask = (__mmask16)((1u << (k - i)) - 1);
    __m512 wv[ND_NR], av[ND_MR];
    for (int s = 0; s < NR; s++) wv[s] = _mm512_maskz_loadu_ps(mask, w + s * ldw + i);
    for (int r = 0; r < MR; r++) {
      av[r] = _mm512_maskz_loadu_ps(mask, a + r * lda + i);
      for (int s = 0; s < NR; s++) acc[r][s] = _mm512_fmadd_ps(av[r], wv[s], acc[r][s]);
    }
  }
  if (carry_out) {
    for (int r = 0; r < MR; r++)
      for (int s = 0; s < NR; s++) carry_out[r * NR + s] = acc[r][s];
    return;
  }
  for (int r = 0; r < MR; r++) {
    const __m512 zero = _mm512_setzero_ps();
    for (int s0 = 0; s0 < NR; s0 += 4) {
      const int nq = NR - s0 < 4 ? NR - s0 : 4;
      const __mmask8 store_mask = (__mmask8)((1u << nq) - 1);
      __m128 d = nd_tree16x4(acc[r][s0], nq > 1 ? acc[r][s0 + 1] : zero, nq > 2 ? acc[r][s0 + 2] : zero,
                             nq > 3 ? acc[r][s0 + 3] : zero);
      if (accumulate) d = _mm_add_ps(_mm_maskz_loadu_ps(store_mask, c + r * ldc + s0), d);
      _mm_mask_storeu_ps(c + r * ldc + s0, store_mask, d);
    }
  }
}

static inline __attribute__((always_inline)) void nd_micro(
    const float *a, int64_t lda, const float *w, int64_t ldw, float *c, int64_t ldc,
    int64_t k, int accumulate, const int MR, const int NR) {
  nd_micro_part(a, lda, w, ldw, c, ldc, k, accumulate, NULL, NULL, MR, NR);
}

/// One k part of a full register block.
static __attribute__((noinline)) void nd_micro_chunk(
    const float *a, int64_t lda, const float *w, int64_t ldw, float *c, int64_t ldc,
    int64_t k, int accumulate, const __m512 *carry_in, __m512 *carry_out) {
  nd_micro_part(a, lda, w, ldw, c, ldc, k, accumulate, carry_in, carry_out, ND_MR, ND_NR);
}

#define ND_MICRO_CASE(MR_, NR_) \
  case (MR_) * 16 + (NR_): nd_micro(a, lda, w, ldw, c, ldc, k, accumulate, MR_, NR_); break;
#define ND_MICRO_ROW(MR_) \
  ND_MICRO_CASE(MR_, 1) ND_MICRO_CASE(MR_, 2) ND_MICRO_CASE(MR_, 3) \
  ND_MICRO_CASE(MR_, 4) ND_MICRO_CASE(MR_, 5) ND_MICRO_CASE(MR_, 6)

#define ND_MICRO_CASE8(MR_, NR_) \
  case (MR_) * 8 + (NR_): nd_micro(a, lda, wj, ldw, cj, ldc, k, accumulate, MR_, NR_); break;

static void nd_micro_any(const float *a, int64_t lda, const float *w, int64_t ldw, float *c, int64_t ldc,
                         int64_t k, int accumulate, int mr, int nr) {
  switch (mr * 16 + nr) {
    ND_MICRO_ROW(1) ND_MICRO_ROW(2) ND_MICRO_ROW(3) ND_MICRO_ROW(4)
    default: break;
  }
}

// Fewer rows than ND_MR (attention's one query row per head over a block of
// keys, k = head_dim): blocks of 4 keys and a small dispatch of their own, as
// the 6-wide block's second tree reduce and the bigger switch cost more than
// the few FMAs per output save.
static __attribute__((noinline)) void nd_matmul_few_rows(
    const float *a, int64_t lda, const float *w, int64_t ldw, float *c, int64_t ldc,
    int64_t m, int64_t n, int64_t k, int accumulate) {
  for (int64_t j = 0; j < n; j += 4) {
    const int nr = n - j < 4 ? (int)(n - j) : 4;
    const float *wj = w + j * ldw;
    float *cj = c + j;
    switch ((int)m * 8 + nr) {
      ND_MICRO_CASE8(1, 1) ND_MICRO_CASE8(1, 2) ND_MICRO_CASE8(1, 3) ND_MICRO_CASE8(1, 4)
      ND_MICRO_CASE8(2, 1) ND_MICRO_CASE8(2, 2) ND_MICRO_CASE8(2, 3) ND_MICRO_CASE8(2, 4)
      ND_MICRO_CASE8(3, 1) ND_MICRO_CASE8(3, 2) ND_MICRO_CASE8(3, 3) ND_MICRO_CASE8(3, 4)
      default: break;
    }
  }
}

/// Rows [0, m) of `a` (m <= 64) times nr <= ND_NR rows of w: one column of
/// register blocks. (Its own function: inlined into nd_matmul_nt's loops, the
/// unsplit k = 576 products of 512 rows ran ~7% slower.)
static void nd_block_column(const float *a, int64_t lda, const float *w, int64_t ldw, float *c, int64_t ldc,
                            int64_t m, int nr, int64_t k, int accumulate) {
  enum { rows_max = 64 };
  // Long rows are multiplied in k parts (multiples of 16, so lanes keep their
  // elements), so a weight block's part stays in L1 while the row blocks of `a`
  // stream past it; whole rows of 6 × 1536 floats left L1 too small for them.
  const int64_t parts = k > ND_K_SPLIT_ABOVE ? (k + ND_K_PART - 1) / ND_K_PART : 1;
  int64_t i = 0;
  if (parts > 1 && nr == ND_NR) {
    const int64_t part = ((k + parts - 1) / parts + 15) & ~(int64_t)15;
    __m512 carry[rows_max / ND_MR][ND_MR * ND_NR];
    const int64_t full = m / ND_MR * ND_MR;
    for (int64_t p0 = 0; p0 < k; p0 += part) {
      const int64_t len = k - p0 < part ? k - p0 : part;
      for (int64_t b = 0; b < full / ND_MR; b++)
        nd_micro_chunk(a + b * ND_MR * lda + p0, lda, w + p0, ldw, c + b * ND_MR * ldc, ldc, len, accumulate,
                       p0 ? carry[b] : NULL, p0 + len < k ? carry[b] : NULL);
    }
    i = full;
  }
  for (; i < m; i += ND_MR) {
    int mr = m - i < ND_MR ? (int)(m - i) : ND_MR;
    nd_micro_any(a + i * lda, lda, w, ldw, c + i * ldc, ldc, k, accumulate, mr, nr);
  }
}

void nd_matmul_nt(const float *a, int64_t lda, const float *w, int64_t ldw, float *c, int64_t ldc,
                  int64_t m, int64_t n, int64_t k, int accumulate) {
  if (m < ND_MR) {
    nd_matmul_few_rows(a, lda, w, ldw, c, ldc, m, n, k, accumulate);
    return;
  }
  // Row blocks of `a` small enough to stay in L1/L2 while a weight block sweeps them.
  const int64_t row_block = 64;
  for (int64_t i0 = 0; i0 < m; i0 += row_block) {
    const int64_t rows = m - i0 < row_block ? m - i0 : row_block;
    for (int64_t j = 0; j < n; j += ND_NR) {
      const int nr = n - j < ND_NR ? (int)(n - j) : ND_NR;
      nd_block_column(a + i0 * lda, lda, w + j * ldw, ldw, c + i0 * ldc + j, ldc, rows, nr, k, accumulate);
    }
  }
}

#else

float nd_dot_fixed(const float *a, const float *b, int64_t n) { return nd_dot_fixed_ref(a, b, n); }

void nd_matmul_nt(const float *a, int64_t lda, const float *w, int64_t ldw, float *c, int64_t ldc,
                  int64_t m, int64_t n, int64_t k, int accumulate) {
  nd_matmul_nt_ref(a, lda, w, ldw, c, ldc, m, n, k, accumulate);
}

#endif

// MARK: Linear layers over stored (possibly quantized) weights

/// Whole register blocks of weight rows per tile (ND_NR of nd_matmul_nt), so no
/// tile ends in a narrower block.
enum { ND_TILE_STEP = 6 };

/// Weight rows decoded at a time: enough to amortise the decode over many
/// rows of activations, small enough to stay in L2.
static int64_t nd_tile_rows(int64_t k) {
  int64_t rows = (64 * 1024) / (k > 0 ? k : 1);  // ~256 KiB of float32
  if (rows < ND_TILE_STEP) rows = ND_TILE_STEP;
  if (rows > 64) rows = 64;
  return rows / ND_TILE_STEP * ND_TILE_STEP;
}

int64_t nd_linear_scratch_floats(int64_t k) { return nd_tile_rows(k) * k; }

int64_t nd_linear_matvec_rows = 4;

typedef struct {
  const nd_linear_job *jobs;
  int job_count;
  int64_t m;
  int threads;
  float *scratch;
  int64_t scratch_per_thread;
  int64_t task_start[65];  // first task index of each job (job_count <= 64)
  int64_t tile[64];        // weight rows per task of each job
} nd_linear_ctx;


/// Up to this many activation rows a tile is decoded one register block of
/// weight rows at a time, right before the block is multiplied with every row,
/// so the decoded weights are read back from L1 instead of from an L2-sized tile.
/// (Measured per thread: 12-25% faster for 6-32 rows, 3-5% for 80-96, even from
/// about 160 rows on, where the whole-tile decode amortises as well.)
enum { ND_GROUP_ROWS_MAX = 128 };

/// Where the stored rows of `task` start and how many bytes they span (0 past the last task).
static const char *nd_task_source(const nd_linear_ctx *ctx, int64_t task, int64_t *bytes) {
  *bytes = 0;
  if (task >= ctx->task_start[ctx->job_count]) return NULL;
  int j = 0;
  while (j + 1 < ctx->job_count && task >= ctx->task_start[j + 1]) j++;
  const nd_linear_job *job = &ctx->jobs[j];
  const int64_t n0 = (task - ctx->task_start[j]) * ctx->tile[j];
  const int64_t rows = job->n - n0 < ctx->tile[j] ? job->n - n0 : ctx->tile[j];
  *bytes = rows * job->row_bytes;
  return (const char *)job->weights + n0 * job->row_bytes;
}

/// Decodes and multiplies one register block of weight rows at a time. Meanwhile
/// the stored rows of the tile this thread most likely takes next (one per
/// thread ahead: the pool hands tiles out in order) are prefetched, spread over
/// the blocks, so their decode does not wait on memory.
static void nd_linear_grouped(const nd_linear_ctx *ctx, const nd_linear_job *job, int64_t n0, int64_t rows,
                              int64_t task, int thread) {
  float *buf = ctx->scratch + (int64_t)thread * ctx->scratch_per_thread;
  const char *src = (const char *)job->weights + n0 * job->row_bytes;
  int64_t next_bytes;
  const char *next = nd_task_source(ctx, task + ctx->threads, &next_bytes);
  const int64_t groups = (rows + ND_TILE_STEP - 1) / ND_TILE_STEP;
  const int64_t lines = (next_bytes + 63) / 64, lines_per_group = (lines + groups - 1) / groups;
  for (int64_t g = 0; g < groups; g++) {
    const int64_t r0 = g * ND_TILE_STEP, nr = rows - r0 < ND_TILE_STEP ? rows - r0 : ND_TILE_STEP;
    for (int64_t l = g * lines_per_group; l < (g + 1) * lines_per_group && l < lines; l++)
      _mm_prefetch(next + 64 * l, _MM_HINT_T0);
    for (int64_t r = 0; r < nr; r++) job->decode(src + (r0 + r) * job->row_bytes, buf + r * job->k, job->k);
    nd_matmul_nt(job->x, job->ldx, buf, job->k, job->y + n0 + r0, job->ldy, ctx->m, nr, job->k, job->accumulate);
  }
}

/// Few rows: weight rows n0 ..< n0 + rows dotted in place, no tile decode (same
/// bits, see nd_quants.h). `tmp` holds `rows` floats.
static void nd_dot_rows_in_place(const nd_linear_job *job, int64_t m, int64_t n0, int64_t rows, float *tmp) {
  const char *src = (const char *)job->weights + n0 * job->row_bytes;
  for (int64_t i = 0; i < m; i++) {
    float *y = job->y + i * job->ldy + n0;
    job->matvec(src, job->row_bytes, rows, job->x + i * job->ldx, job->k, job->accumulate ? tmp : y);
    if (job->accumulate)
      for (int64_t r = 0; r < rows; r++) y[r] += tmp[r];
  }
}

static void nd_add_bias(const nd_linear_job *job, int64_t m, int64_t n0, int64_t rows) {
  if (!job->bias) return;
  for (int64_t i = 0; i < m; i++)
    for (int64_t r = 0; r < rows; r++) job->y[i * job->ldy + n0 + r] += job->bias[n0 + r];
}

static void nd_linear_task(void *raw, int64_t task, int thread) {
  nd_linear_ctx *ctx = raw;
  int j = 0;
  while (j + 1 < ctx->job_count && task >= ctx->task_start[j + 1]) j++;
  const nd_linear_job *job = &ctx->jobs[j];
  const int64_t tile = ctx->tile[j];
  const int64_t n0 = (task - ctx->task_start[j]) * tile;
  const int64_t rows = job->n - n0 < tile ? job->n - n0 : tile;
  if (job->decode && ctx->m <= ND_GROUP_ROWS_MAX) {
    nd_linear_grouped(ctx, job, n0, rows, task, thread);
  } else {
    const float *w;
    if (job->decode) {
      float *buf = ctx->scratch + (int64_t)thread * ctx->scratch_per_thread;
      const char *src = (const char *)job->weights + n0 * job->row_bytes;
      for (int64_t r = 0; r < rows; r++) job->decode(src + r * job->row_bytes, buf + r * job->k, job->k);
      w = buf;
    } else {
      w = (const float *)((const char *)job->weights + n0 * job->row_bytes);
    }
    const int64_t ldw = job->decode ? job->k : job->row_bytes / (int64_t)sizeof(float);
    nd_matmul_nt(job->x, job->ldx, w, ldw, job->y + n0, job->ldy, ctx->m, rows, job->k, job->accumulate);
  }
  nd_add_bias(job, ctx->m, n0, rows);
}

// MARK: Few rows (decode): runs of stored rows dotted in place

/// One task of the few-rows path: weight rows n0 ..< n0 + rows of one job.
typedef struct { int64_t n0, rows; int job; } nd_row_run;

enum { ND_MAX_RUNS = 256, ND_MIN_RUN_BYTES = 16 * 1024 };

typedef struct {
  const nd_linear_job *jobs;
  const nd_row_run *runs;
  int64_t m;
  float *scratch;
  int64_t scratch_per_thread;
} nd_matvec_ctx;

/// Splits the rows of all jobs, in order, into runs that shrink as the region
/// drains: each streams 1/(2·threads) of the weight bytes still left (at least
/// ND_MIN_RUN_BYTES, whole groups of 8 rows). The first, long runs keep the
/// prefetchers streaming; the short last ones let the threads finish together
/// (equal quarters left one thread idle for up to a quarter's time, 0.3 ms on
/// the LM head). Returns the run count, or -1 when more than `capacity`.
static int64_t nd_plan_row_runs(const nd_linear_job *jobs, int job_count, int threads, int64_t scratch_per_thread,
                                nd_row_run *runs, int64_t capacity) {
  int64_t left = 0;
  for (int j = 0; j < job_count; j++) left += jobs[j].n * jobs[j].row_bytes;
  int64_t count = 0;
  for (int j = 0; j < job_count; j++) {
    const nd_linear_job *job = &jobs[j];
    for (int64_t n0 = 0; n0 < job->n;) {
      int64_t bytes = threads > 1 ? left / (2 * threads) : left;
      if (bytes < ND_MIN_RUN_BYTES) bytes = ND_MIN_RUN_BYTES;
      int64_t rows = (bytes / (job->row_bytes > 0 ? job->row_bytes : 1) + 7) & ~(int64_t)7;
      if (rows < 8) rows = 8;
      if (job->accumulate && rows > scratch_per_thread) rows = scratch_per_thread;
      if (rows > job->n - n0) rows = job->n - n0;
      if (count == capacity) return -1;
      runs[count++] = (nd_row_run){.n0 = n0, .rows = rows, .job = j};
      n0 += rows;
      left -= rows * job->row_bytes;
    }
  }
  return count;
}

static void nd_matvec_task(void *raw, int64_t task, int thread) {
  const nd_matvec_ctx *ctx = raw;
  const nd_row_run run = ctx->runs[task];
  const nd_linear_job *job = &ctx->jobs[run.job];
  nd_dot_rows_in_place(job, ctx->m, run.n0, run.rows, ctx->scratch + (int64_t)thread * ctx->scratch_per_thread);
  nd_add_bias(job, ctx->m, run.n0, run.rows);
}

/// The few-rows path when every job has a fused matvec and its scratch; 0 when it ran.
static int nd_linear_few_rows(nd_pool *pool, const nd_linear_job *jobs, int job_count, int64_t m, float *scratch,
                              int64_t scratch_per_thread) {
  for (int j = 0; j < job_count; j++)
    if (!jobs[j].matvec || nd_linear_scratch_floats(jobs[j].k) > scratch_per_thread) return -1;  // nd_linear decides
  nd_row_run runs[ND_MAX_RUNS];
  const int64_t count = nd_plan_row_runs(jobs, job_count, nd_pool_threads(pool), scratch_per_thread, runs, ND_MAX_RUNS);
  if (count < 0) return -1;
  nd_matvec_ctx ctx = {.jobs = jobs, .runs = runs, .m = m, .scratch = scratch, .scratch_per_thread = scratch_per_thread};
  nd_pool_run(pool, nd_matvec_task, &ctx, count);
  return 0;
}

int nd_linear(nd_pool *pool, const nd_linear_job *jobs, int job_count, int64_t m, float *scratch,
              int64_t scratch_per_thread) {
  if (m <= 0 || job_count <= 0) return 0;
  if (job_count > 64) {
    if (nd_linear(pool, jobs, 64, m, scratch, scratch_per_thread)) return -1;
    return nd_linear(pool, jobs + 64, job_count - 64, m, scratch, scratch_per_thread);
  }
  for (int j = 0; j < job_count; j++)
    if (jobs[j].act_q8) return nd_linear_q8act(pool, jobs, job_count, m, scratch, scratch_per_thread);
  if (m <= nd_linear_matvec_rows && nd_linear_few_rows(pool, jobs, job_count, m, scratch, scratch_per_thread) == 0) return 0;
  nd_linear_ctx ctx = {.jobs = jobs, .job_count = job_count, .m = m, .scratch = scratch,
                       .scratch_per_thread = scratch_per_thread, .threads = nd_pool_threads(pool)};
  int64_t tasks = 0;
  for (int j = 0; j < job_count; j++) {
    ctx.task_start[j] = tasks;
    const int64_t tile = nd_tile_rows(jobs[j].k);
    ctx.tile[j] = tile;
    tasks += (jobs[j].n + tile - 1) / tile;
    if (jobs[j].decode && nd_linear_scratch_floats(jobs[j].k) > scratch_per_thread) return -1;
  }
  ctx.task_start[job_count] = tasks;
  nd_pool_run(pool, nd_linear_task, &ctx, tasks);
  return 0;
}
