// nd_linear: every weight of the forward pass applied to a step's rows, through the
// level's fixed-order products (nd_forward.h has the order). Row i of the result
// depends only on row i of the input and on the weights, so a sequence's numbers do
// not change with the batch it shares a step with.
#include <string.h>

#include "../kernel_table.h"

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

typedef struct {
  const nd_kernel_table *t;
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
      __builtin_prefetch(next + 64 * l, 0, 3);
    for (int64_t r = 0; r < nr; r++) job->decode(src + (r0 + r) * job->row_bytes, buf + r * job->k, job->k);
    ctx->t->matmul_nt(job->x, job->ldx, buf, job->k, job->y + n0 + r0, job->ldy, ctx->m, nr, job->k, job->accumulate);
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
    ctx->t->matmul_nt(job->x, job->ldx, w, ldw, job->y + n0, job->ldy, ctx->m, rows, job->k, job->accumulate);
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

static int nd_linear_float(const nd_kernel_table *t, nd_pool *pool, const nd_linear_job *jobs, int job_count, int64_t m,
                           float *scratch, int64_t scratch_per_thread);

int nd_linear(nd_pool *pool, const nd_linear_job *jobs, int job_count, int64_t m, float *scratch,
              int64_t scratch_per_thread) {
  return nd_linear_with(nd_kernels_at(ND_LEVEL_ACTIVE), pool, jobs, job_count, m, scratch, scratch_per_thread);
}

int nd_linear_with(const nd_kernel_table *t, nd_pool *pool, const nd_linear_job *jobs, int job_count, int64_t m,
                   float *scratch, int64_t scratch_per_thread) {
  if (m <= 0 || job_count <= 0) return 0;
  if (job_count > 64) {
    if (nd_linear_with(t, pool, jobs, 64, m, scratch, scratch_per_thread)) return -1;
    return nd_linear_with(t, pool, jobs + 64, job_count - 64, m, scratch, scratch_per_thread);
  }
  // Jobs with 8-bit activations (nd_q8act.h) go to their own driver; the rest, and any
  // that cannot take them, to the float path below.
  nd_linear_job q8[64], plain[64];
  int q8_count = 0, plain_count = 0;
  for (int j = 0; j < job_count; j++) {
    if (jobs[j].act_q8 && jobs[j].act_q8_panels && jobs[j].k % 32 == 0) {
      q8[q8_count++] = jobs[j];
    } else {
      plain[plain_count] = jobs[j];
      plain[plain_count++].act_q8 = 0;
    }
  }
  if (q8_count > 0 && nd_linear_q8act(t, pool, q8, q8_count, m) != 0) return -1;
  return plain_count > 0 ? nd_linear_float(t, pool, plain, plain_count, m, scratch, scratch_per_thread) : 0;
}

/// The float path: decoded tiles times the rows, or few rows dotted in place.
static int nd_linear_float(const nd_kernel_table *t, nd_pool *pool, const nd_linear_job *jobs, int job_count, int64_t m,
                           float *scratch, int64_t scratch_per_thread) {
  if (m <= ND_LINEAR_MATVEC_ROWS && nd_linear_few_rows(pool, jobs, job_count, m, scratch, scratch_per_thread) == 0) return 0;
  nd_linear_ctx ctx = {.t = t, .jobs = jobs, .job_count = job_count, .m = m, .scratch = scratch,
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
