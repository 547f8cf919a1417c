// nd_linear with 8-bit activations: quantize each distinct input once (per scale span: the
// K-quants' rows take one scale per 256 elements, the others per 32), then
// spread whole weight panels (nd_q8act.h) over the pool. Every
// output is one fixed-order integer-block dot (nd_q8act.h), so the split into
// tasks and the number of rows never change a result.
#include <stdlib.h>
#include <string.h>
#include "../kernel_table.h"

enum { ND_QUANT_ROWS_PER_TASK = 8 };

typedef struct {
  const nd_kernel_table *t;
  const nd_linear_job *jobs[64];  // the jobs with 8-bit activations
  int input_of[64];               // which quantized input each job reads
  int count;
  const float *in_x[64];          // distinct inputs: [m][ldx] floats ...
  int64_t in_ldx[64], in_k[64], in_span[64];
  uint8_t *in_q[64];              // ... and their quantized rows, [m][nd_q8act_row_bytes(k)]
  int inputs;
  int64_t m;
  int64_t start[65];              // first task of each job
  int64_t tile[64];               // weight rows per task of each job
} nd_q8_ctx;

/// The calling thread's buffer for quantized inputs, grown on demand and kept for
/// the thread's life (a few MB at most: steps' rows × widest input): models on
/// different threads never share one, and a step pays no allocation.
static _Thread_local uint8_t *nd_q8_buffer;
static _Thread_local size_t nd_q8_capacity;

static uint8_t *nd_q8_reserve(size_t bytes) {
  if (bytes <= nd_q8_capacity) return nd_q8_buffer;
  size_t cap = bytes + bytes / 4 + 4096;
  cap = (cap + 63) & ~(size_t)63;
  uint8_t *fresh = aligned_alloc(64, cap);
  if (!fresh) return NULL;
  free(nd_q8_buffer);
  nd_q8_buffer = fresh;
  nd_q8_capacity = cap;
  return fresh;
}

static void nd_q8_quantize_task(void *raw, int64_t task, int thread) {
  (void)thread;
  const nd_q8_ctx *ctx = raw;
  const int64_t per_input = (ctx->m + ND_QUANT_ROWS_PER_TASK - 1) / ND_QUANT_ROWS_PER_TASK;
  const int u = (int)(task / per_input);
  const int64_t i0 = (task % per_input) * ND_QUANT_ROWS_PER_TASK;
  const int64_t rows = ctx->m - i0 < ND_QUANT_ROWS_PER_TASK ? ctx->m - i0 : ND_QUANT_ROWS_PER_TASK;
  ctx->t->q8_quantize(ctx->in_x[u] + i0 * ctx->in_ldx[u], ctx->in_ldx[u], rows, ctx->in_k[u], ctx->in_span[u],
                      ctx->in_q[u] + i0 * nd_q8act_row_bytes(ctx->in_k[u]));
}

static void nd_q8_product_task(void *raw, int64_t task, int thread) {
  (void)thread;
  const nd_q8_ctx *ctx = raw;
  int j = 0;
  while (j + 1 < ctx->count && task >= ctx->start[j + 1]) j++;
  const nd_linear_job *job = ctx->jobs[j];
  const int64_t n0 = (task - ctx->start[j]) * ctx->tile[j];
  const int64_t n1 = job->n - n0 < ctx->tile[j] ? job->n : n0 + ctx->tile[j];
  ctx->t->q8_matmul(job->act_q8, job->act_q8_panels, n0, n1, ctx->in_q[ctx->input_of[j]], ctx->m, job->k, job->y,
                  job->ldy, job->accumulate);
  if (job->bias)
    for (int64_t i = 0; i < ctx->m; i++)
      for (int64_t r = n0; r < n1; r++) job->y[i * job->ldy + r] += job->bias[r];
}

/// Weight rows per task, whole 16-row panels: a few per thread, so both threads stay
/// busy and finish together, and no more than ~L2 of panels when many rows sweep them.
static int64_t nd_q8_tile(const nd_linear_job *job, int64_t m, int threads) {
  const int64_t parts = 4 * (int64_t)threads, panels = (job->n + 15) / 16;
  int64_t per = (panels + parts - 1) / parts;
  if (m > 4) {
    const int64_t fit = (256 * 1024) / (nd_q8act_packed_bytes(job->act_q8, 16, job->k));
    if (per > fit) per = fit;
  }
  per = per < 2 ? 2 : (per + 1) & ~(int64_t)1;
  return per * 16;
}

int nd_linear_q8act(const nd_kernel_table *t, nd_pool *pool, const nd_linear_job *jobs, int job_count, int64_t m) {
  nd_q8_ctx ctx = {.t = t, .m = m};
  size_t bytes = 0;
  size_t offset[64];
  for (int j = 0; j < job_count; j++) {
    const nd_linear_job *job = &jobs[j];
    const int64_t span = nd_q8act_span(job->act_q8);
    int u = 0;
    while (u < ctx.inputs && !(ctx.in_x[u] == job->x && ctx.in_ldx[u] == job->ldx && ctx.in_k[u] == job->k &&
                               ctx.in_span[u] == span))
      u++;
    if (u == ctx.inputs) {
      ctx.in_x[u] = job->x;
      ctx.in_ldx[u] = job->ldx;
      ctx.in_k[u] = job->k;
      ctx.in_span[u] = span;
      offset[u] = bytes;
      bytes += (size_t)(m * nd_q8act_row_bytes(job->k));
      ctx.inputs++;
    }
    ctx.input_of[ctx.count] = u;
    ctx.jobs[ctx.count++] = job;
  }
  if (ctx.count > 0) {
    uint8_t *buffer = nd_q8_reserve(bytes);
    if (!buffer) return -1;
    for (int u = 0; u < ctx.inputs; u++) ctx.in_q[u] = buffer + offset[u];
    // A few rows quantize faster here than a parallel region can start.
    const int64_t per_input = (m + ND_QUANT_ROWS_PER_TASK - 1) / ND_QUANT_ROWS_PER_TASK;
    if (m <= ND_QUANT_ROWS_PER_TASK) {
      for (int64_t t = 0; t < per_input * ctx.inputs; t++) nd_q8_quantize_task(&ctx, t, 0);
    } else {
      nd_pool_run(pool, nd_q8_quantize_task, &ctx, per_input * ctx.inputs);
    }
    int64_t tasks = 0;
    for (int j = 0; j < ctx.count; j++) {
      ctx.start[j] = tasks;
      ctx.tile[j] = nd_q8_tile(ctx.jobs[j], m, nd_pool_threads(pool));
      tasks += (ctx.jobs[j]->n + ctx.tile[j] - 1) / ctx.tile[j];
    }
    ctx.start[ctx.count] = tasks;
    // Each thread streams its own consecutive panels (at one row the product only streams memory,
    // and chunks dealt out in turn to both threads read slower); stealing keeps a slowed thread
    // from holding up the region.
    nd_pool_run_runs(pool, nd_q8_product_task, &ctx, tasks);
  }
  return 0;
}
