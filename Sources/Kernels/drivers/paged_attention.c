// Causal attention of query rows over their sequence's keys in the paged KV
// cache.
//
// Every number a row produces depends only on that row: each score is one chain
// of fused multiply-adds over d = 0 ... head_dim - 1 (acc = fma(q[d], k[d], acc)
// from 0), the softmax runs over keys 0 ... position in a fixed 16-lane order,
// and each output element sums its value terms in key order with one fused
// multiply-add per term. How rows and heads are grouped into tasks is therefore
// free, and it is chosen for speed only:
// - all query heads that share a KV head (grouped-query attention) read each
//   key and value once per task;
// - a task holds a tile of consecutive rows of one sequence (prefill), or
//   decode rows of several sequences whose block tables start with the same
//   physical blocks (a shared prefix from the prefix cache): those blocks are
//   scored and summed for all the task's rows at once, then each row goes on
//   over its own blocks, continuing the same accumulators.
// The score chain needs no reduction across lanes: the cache stores each
// block's keys transposed ([kv_heads][head_dim][block_size]), so one vector
// holds dimension d of 16 keys, and a tile of queries x 16-key groups is an
// outer product, q[d] broadcast against the keys' row d, every accumulator a
// chain of its own (enough of them to hide the FMA latency).
#include <stdlib.h>
#include <string.h>

#include "../kernel_table.h"

enum {
  ND_ATTENTION_TILE = 32,      // rows of one sequence per task at most
  ND_ATTENTION_QUERIES = 96,   // query vectors (rows x heads) per task at most
  ND_PREFETCH_VALUES = 256 * 1024,  // bytes of values a task asks for before its scores, at most
};

int64_t nd_attention_scratch_floats(int64_t max_keys, int64_t block_size, int64_t head_dim) {
  // scores [queries][keys rounded up], the queries packed for the score product, their value sums
  (void)block_size;
  return ND_ATTENTION_QUERIES * (((max_keys + 15) & ~(int64_t)15) + 2 * head_dim);
}

// MARK: Tasks

/// Rows [r0, r1) of the job; their block tables agree on blocks [0, shared_blocks).
typedef struct {
  int64_t r0, r1, shared_blocks;
} nd_row_group;

typedef struct {
  const nd_kernel_table *t;
  const nd_attention_job *job;
  const nd_row_group *groups;
  int64_t count;       // row groups
  int64_t head_split;  // tasks per KV head and row group, each with group / head_split query heads
} nd_attention_ctx;

/// Keys [j0, j1) of a sequence's table: the next range a task scores, prefetched ahead.
typedef struct {
  const int32_t *table;
  int64_t j0, j1;
} nd_key_range;

/// Asks for blocks [b0, b1] of KV head kvh's keys or values (`cache`), whole slices, at
/// `locality` (a constant once inlined, as __builtin_prefetch needs).
static inline __attribute__((always_inline)) void nd_prefetch_blocks(const nd_attention_job *job, const void *cache,
                                                                     int64_t kvh, const int32_t *table, int64_t b0,
                                                                     int64_t b1, const int locality) {
  const int64_t elem = job->kv_format == ND_KV_F32 ? 4 : 2, slice_bytes = job->head_dim * job->block_size * elem;
  const int64_t block_bytes = job->kv_heads * slice_bytes;
  const char *base = (const char *)cache + kvh * slice_bytes;
  for (int64_t b = b0; b <= b1; b++)
    for (int64_t o = 0; o < slice_bytes; o += 64) {
      if (locality == 1) __builtin_prefetch(base + table[b] * block_bytes + o, 0, 1);
      else __builtin_prefetch(base + table[b] * block_bytes + o, 0, 2);
    }
}

/// Asks for the keys of KV head kvh that one pass over keys [j0, j1) reads, so
/// they stream in from L3 or memory while the current pass computes.
static void nd_prefetch_keys(const nd_attention_job *job, int64_t kvh, nd_key_range r) {
  const int64_t bs = job->block_size, span = ND_KEY_GROUPS * (bs < 16 ? bs : 16);
  if (r.j1 <= r.j0) return;
  const int64_t last = (r.j0 + span < r.j1 ? r.j0 + span : r.j1) - 1;
  nd_prefetch_blocks(job, job->k_cache, kvh, r.table, r.j0 / bs, last / bs, 1);
}

/// Asks for the values of keys [j0, j1) of KV head kvh (at most `*budget` bytes, taken from it),
/// so that they stream in while the task computes its scores: after the weights of a whole step
/// have gone through the caches, a decode step's values come from memory, and the value sums
/// waited on nearly every load.
static void nd_prefetch_values(const nd_attention_job *job, int64_t kvh, const int32_t *table, int64_t j0, int64_t j1,
                               int64_t *budget) {
  const int64_t bs = job->block_size, slice_bytes = job->head_dim * bs * (job->kv_format == ND_KV_F32 ? 4 : 2);
  if (j1 <= j0 || *budget <= 0) return;
  const int64_t b0 = j0 / bs, blocks = (j1 - 1) / bs - b0 + 1, affordable = (*budget + slice_bytes - 1) / slice_bytes;
  const int64_t n = blocks < affordable ? blocks : affordable;
  nd_prefetch_blocks(job, job->v_cache, kvh, table, b0, b0 + n - 1, 2);
  *budget -= n * slice_bytes;
}

/// Scores of queries [0, count) against keys [j0, j1) of KV head kvh of the
/// sequence with `table`, ND_KEY_GROUPS groups of keys at a time. The next pass's
/// keys (after the last pass: the start of `next`) are prefetched meanwhile.
static void nd_score_keys(const nd_kernel_table *t, const nd_attention_job *job, const float *const *q, const nd_query *qs, int64_t count,
                          int64_t kvh, nd_key_range keys, nd_key_range next, float *packed) {
  const int64_t hd = job->head_dim, bs = job->block_size, elem = job->kv_format == ND_KV_F32 ? 4 : 2;
  const int64_t slice_bytes = hd * bs * elem, block_bytes = job->kv_heads * slice_bytes;
  const char *base = (const char *)job->k_cache + kvh * slice_bytes;
  if (keys.j1 <= keys.j0) return;
  // [count / 4 tiles][head_dim][4 queries, fewer in the last tile]
  for (int64_t x = 0; x < count; x += 4) {
    const int64_t w = count - x < 4 ? count - x : 4;
    for (int64_t i = 0; i < w; i++)
      for (int64_t d = 0; d < hd; d++) packed[x * hd + d * w + i] = q[x + i][d];
  }
  nd_key_group g[ND_KEY_GROUPS];
  for (int64_t j = keys.j0; j < keys.j1;) {
    int ng = 0;
    for (; ng < ND_KEY_GROUPS && j < keys.j1; ng++) {
      const int64_t c = j % bs;
      int64_t n = bs - c < 16 ? bs - c : 16;
      if (keys.j1 - j < n) n = keys.j1 - j;
      g[ng] = (nd_key_group){.k = base + keys.table[j / bs] * block_bytes + c * elem, .j = j, .n = (int)n};
      j += n;
    }
    for (int t = ng; t < ND_KEY_GROUPS; t++) g[t] = (nd_key_group){.k = g[0].k, .j = g[0].j, .n = 0};
    nd_prefetch_keys(job, kvh, j < keys.j1 ? (nd_key_range){keys.table, j, keys.j1} : next);
    t->score_groups(job, q, packed, qs, count, g, ng);
  }
}

static void nd_attention_task(void *raw, int64_t task, int thread) {
  const nd_attention_ctx *ctx = raw;
  const nd_attention_job *job = ctx->job;
  const nd_kernel_table *t = ctx->t;
  const int64_t group = job->heads / job->kv_heads, per_task = group / ctx->head_split;
  const int64_t per_group = job->kv_heads * ctx->head_split;
  const nd_row_group *rg = &ctx->groups[ctx->count - 1 - task / per_group];  // later (longer) rows first
  const int64_t kvh = (task % per_group) / ctx->head_split;
  const int64_t h0 = kvh * group + (task % ctx->head_split) * per_task;
  const int64_t hd = job->head_dim, bs = job->block_size, q_stride = job->heads * hd;
  const int64_t rows = rg->r1 - rg->r0, count = rows * per_task;

  int64_t max_keys = 0;
  for (int64_t r = rg->r0; r < rg->r1; r++)
    if (job->positions[r] + 1 > max_keys) max_keys = job->positions[r] + 1;
  const int64_t lds = (max_keys + 15) & ~(int64_t)15;
  float *scores = job->scratch + (int64_t)thread * job->scratch_per_thread;  // [count][lds]
  float *packed = scores + ND_ATTENTION_QUERIES * lds;                      // queries [count][head_dim], in tiles
  // The value sums go on side by side here, copied to `out` at the end: in `out` the rows of one
  // head lie heads · head_dim floats apart (8 KB for 16 heads of 128), so a task's rows fall into
  // the same few L1 sets and evict each other and the block of values every query reads.
  float *sums = packed + ND_ATTENTION_QUERIES * hd;                          // [count][head_dim]
  nd_query queries[ND_ATTENTION_QUERIES];
  const float *q[ND_ATTENTION_QUERIES];
  for (int64_t i = 0; i < rows; i++)
    for (int64_t h = 0; h < per_task; h++) {
      const int64_t r = rg->r0 + i, x = i * per_task + h;
      queries[x] = (nd_query){.scores = scores + x * lds, .out = sums + x * hd, .last = job->positions[r]};
      q[x] = job->q + r * q_stride + (h0 + h) * hd;
    }
  memset(sums, 0, (size_t)(count * hd) * sizeof(float));

  // Scores: shared blocks for every query at once, then each row's own blocks.
  const int64_t shared_keys = rg->shared_blocks * bs < max_keys ? rg->shared_blocks * bs : max_keys;
  // Each call prefetches the start of the next one's keys.
  nd_key_range own[ND_ATTENTION_TILE + 1];
  for (int64_t i = 0; i < rows; i++)
    own[i] = (nd_key_range){job->block_tables[rg->r0 + i], shared_keys, job->positions[rg->r0 + i] + 1};
  own[rows] = (nd_key_range){job->block_tables[rg->r0], 0, 0};
  int64_t budget = ND_PREFETCH_VALUES;
  nd_prefetch_values(job, kvh, job->block_tables[rg->r0], 0, shared_keys, &budget);
  for (int64_t i = 0; i < rows; i++) nd_prefetch_values(job, kvh, own[i].table, own[i].j0, own[i].j1, &budget);
  nd_score_keys(t, job, q, queries, count, kvh, (nd_key_range){job->block_tables[rg->r0], 0, shared_keys}, own[0],
                packed);
  for (int64_t i = 0; i < rows; i++)
    nd_score_keys(t, job, q + i * per_task, queries + i * per_task, per_task, kvh, own[i], own[i + 1], packed);
  for (int64_t x = 0; x < count; x++) t->softmax_row(queries[x].scores, queries[x].last + 1, job->scale);

  // Values: the shared keys for every query, then each row's own keys, continuing its sums.
  t->pv(job, queries, count, kvh, job->block_tables[rg->r0], 0, shared_keys);
  for (int64_t i = 0; i < rows; i++)
    t->pv(job, queries + i * per_task, per_task, kvh, job->block_tables[rg->r0 + i], shared_keys,
          job->positions[rg->r0 + i] + 1);
  for (int64_t i = 0; i < rows; i++)
    memcpy(job->out + (rg->r0 + i) * q_stride + h0 * hd, sums + i * per_task * hd, (size_t)(per_task * hd) * sizeof(float));
}

// MARK: Planning

/// Leading blocks on which the tables of rows [r0, r1) agree, among the blocks every row reads.
static int64_t nd_shared_blocks(const nd_attention_job *job, int64_t r0, int64_t r1) {
  const int64_t bs = job->block_size;
  int64_t all_same = 1, max_pos = 0, min_pos = job->positions[r0];
  for (int64_t r = r0; r < r1; r++) {
    if (job->block_tables[r] != job->block_tables[r0]) all_same = 0;
    if (job->positions[r] > max_pos) max_pos = job->positions[r];
    if (job->positions[r] < min_pos) min_pos = job->positions[r];
  }
  if (all_same) return max_pos / bs + 1;
  int64_t b = 0;
  for (; b <= min_pos / bs; b++)
    for (int64_t r = r0 + 1; r < r1; r++)
      if (job->block_tables[r][b] != job->block_tables[r0][b]) return b;
  return b;
}

void nd_attention(nd_pool *pool, const nd_attention_job *job) {
  nd_attention_with(nd_kernels_at(ND_LEVEL_ACTIVE), pool, job);
}

void nd_attention_with(const nd_kernel_table *t, nd_pool *pool, const nd_attention_job *job) {
  if (job->rows <= 0) return;
  const int threads = nd_pool_threads(pool);
  const int64_t group = job->heads / job->kv_heads;
  // Tasks wanted for an even spread over the threads (claimed dynamically). Not more: decode
  // rows sharing a prefix are merged into fewer, larger groups, and each group reads the
  // prefix's keys and values once (16 rows sharing 512 tokens: one group, not two).
  const int64_t wanted = threads > 1 ? 4 * (int64_t)threads : 1;

  // Units: runs of consecutive rows of one sequence (a prefill tile) or single decode rows.
  int64_t singles = 0;
  for (int64_t r = 0; r < job->rows; r++) {
    const int alone = (r == 0 || job->block_tables[r] != job->block_tables[r - 1]) &&
                      (r + 1 == job->rows || job->block_tables[r + 1] != job->block_tables[r]);
    singles += alone;
  }
  // Query heads per task: the whole group unless it alone exceeds ND_ATTENTION_QUERIES.
  int64_t split = 1;
  while (group / split > ND_ATTENTION_QUERIES || group % split) split++;
  const int64_t row_cap = ND_ATTENTION_QUERIES / (group / split) < ND_ATTENTION_TILE
                              ? ND_ATTENTION_QUERIES / (group / split) : ND_ATTENTION_TILE;
  // Decode rows sharing a first block are merged, as many per task as the spread allows.
  int64_t merge_cap = row_cap;
  if (singles > 0) {
    const int64_t groups_wanted = (wanted + job->kv_heads - 1) / job->kv_heads;
    const int64_t cap = (singles + groups_wanted - 1) / groups_wanted;
    if (cap < merge_cap) merge_cap = cap > 0 ? cap : 1;
  }

  nd_row_group stack_groups[256];
  nd_row_group *groups = job->rows <= 256 ? stack_groups : malloc((size_t)job->rows * sizeof(nd_row_group));
  int64_t count = 0;
  for (int64_t r = 0; r < job->rows;) {
    const int32_t *table = job->block_tables[r];
    int64_t end = r + 1;
    if (end < job->rows && job->block_tables[end] == table) {
      // a tile: consecutive positions of one sequence
      while (end < job->rows && end - r < row_cap && job->block_tables[end] == table &&
             job->positions[end] == job->positions[end - 1] + 1)
        end++;
    } else {
      // single rows of sequences whose tables start with the same block
      while (end < job->rows && end - r < merge_cap && job->block_tables[end][0] == table[0] &&
             job->block_tables[end] != job->block_tables[end - 1] &&
             (end + 1 == job->rows || job->block_tables[end + 1] != job->block_tables[end]))
        end++;
    }
    groups[count++] = (nd_row_group){.r0 = r, .r1 = end, .shared_blocks = nd_shared_blocks(job, r, end)};
    r = end;
  }

  // Fewer tasks than wanted (one sequence decoding): split each KV head's query heads.
  while (split < group && count * job->kv_heads * split < wanted) {
    int64_t next = split + 1;
    while (group % next) next++;
    split = next;
  }
  nd_attention_ctx ctx = {.t = t, .job = job, .groups = groups, .count = count, .head_split = split};
  nd_pool_run(pool, nd_attention_task, &ctx, count * job->kv_heads * split);
  if (groups != stack_groups) free(groups);
}
