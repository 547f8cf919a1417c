// Causal attention of query rows over their sequence's keys in the paged KV
// cache.
//
// Every number a row produces depends only on that row: each score equals
// nd_dot_fixed of its query and key, the softmax runs over keys 0 ... position
// in a fixed 16-lane order, and each output element sums its value terms in key
// order with one fused multiply-add per term. How rows and heads are grouped
// into tasks is therefore free, and it is chosen for speed only:
// - all query heads that share a KV head (grouped-query attention) read each
//   key and value once per task;
// - a task holds a tile of consecutive rows of one sequence (prefill), or
//   decode rows of several sequences whose block tables start with the same
//   physical blocks (a shared prefix from the prefix cache): those blocks are
//   scored and summed for all the task's rows at once, then each row goes on
//   over its own blocks, continuing the same accumulators.
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <immintrin.h>

#include "nd_forward.h"
#include "nd_quants.h"
#include "lane_tree.h"

enum {
  ND_ATTENTION_TILE = 32,      // rows of one sequence per task at most
  ND_ATTENTION_QUERIES = 96,   // query vectors (rows x heads) per task at most
};

int64_t nd_attention_scratch_floats(int64_t max_keys, int64_t block_size, int64_t head_dim) {
  // scores [queries][keys rounded up], then one block of keys widened to float32
  return ND_ATTENTION_QUERIES * ((max_keys + 15) & ~(int64_t)15) + block_size * head_dim;
}

static inline float nd_bf16_scalar(uint16_t h) {
  uint32_t bits = (uint32_t)h << 16;
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

/// Element i of a cached vector in `format`, as float32 (exact).
static inline float nd_kv_load1(const void *p, int64_t i, int format) {
  switch (format) {
    case ND_KV_F16: return nd_f16_to_f32(((const uint16_t *)p)[i]);
    case ND_KV_BF16: return nd_bf16_scalar(((const uint16_t *)p)[i]);
    default: return ((const float *)p)[i];
  }
}

// MARK: Softmax of one row (shared by the fast path and the reference)

/// s[j] = softmax(scale * s)[j] over j < n. The sum of the exponentials runs in
/// 16 lanes (lane l adds j = l mod 16 in increasing j) and then nd_lane_tree.
static void nd_softmax_row(float *s, int64_t n, float scale) {
  float max_score = -INFINITY;
  int64_t j = 0;
#if defined(__AVX512F__)
  const __m512 vscale = _mm512_set1_ps(scale);
  __m512 vmax = _mm512_set1_ps(-INFINITY);
  for (; j + 16 <= n; j += 16) {
    const __m512 x = _mm512_mul_ps(_mm512_loadu_ps(s + j), vscale);
    _mm512_storeu_ps(s + j, x);
    vmax = _mm512_max_ps(vmax, x);
  }
  max_score = _mm512_reduce_max_ps(vmax);
#endif
  for (; j < n; j++) {
    s[j] *= scale;
    if (s[j] > max_score) max_score = s[j];
  }
  j = 0;
#if defined(__AVX512F__)
  const __m512 vm = _mm512_set1_ps(max_score);
  for (; j + 16 <= n; j += 16) _mm512_storeu_ps(s + j, _mm512_sub_ps(_mm512_loadu_ps(s + j), vm));
#endif
  for (; j < n; j++) s[j] -= max_score;
  nd_exp(s, s, n);
  float lanes[16] = {0};
  j = 0;
#if defined(__AVX512F__)
  __m512 vsum = _mm512_setzero_ps();
  for (; j + 16 <= n; j += 16) vsum = _mm512_add_ps(vsum, _mm512_loadu_ps(s + j));
  _mm512_storeu_ps(lanes, vsum);
#endif
  for (int64_t l = 0; j + l < n; l++) lanes[l] += s[j + l];
  const float inv = 1.0f / nd_lane_tree(lanes);
  j = 0;
#if defined(__AVX512F__)
  const __m512 vinv = _mm512_set1_ps(inv);
  for (; j + 16 <= n; j += 16) _mm512_storeu_ps(s + j, _mm512_mul_ps(_mm512_loadu_ps(s + j), vinv));
#endif
  for (; j < n; j++) s[j] *= inv;
}

// MARK: Reference

void nd_attention_ref(const nd_attention_job *job) {
  const int64_t hd = job->head_dim, bs = job->block_size, group = job->heads / job->kv_heads;
  const int64_t token_stride = job->kv_heads * hd, q_stride = job->heads * hd;
  const int64_t elem = job->kv_format == ND_KV_F32 ? 4 : 2;
  float *k = malloc((size_t)hd * sizeof(float));
  for (int64_t r = 0; r < job->rows; r++) {
    const int64_t keys = job->positions[r] + 1;
    const int32_t *table = job->block_tables[r];
    float *s = malloc((size_t)keys * sizeof(float));
    for (int64_t h = 0; h < job->heads; h++) {
      const int64_t kvh = h / group;
      for (int64_t j = 0; j < keys; j++) {
        const int64_t slot = (int64_t)table[j / bs] * bs + j % bs;
        const char *src = (const char *)job->k_cache + (slot * token_stride + kvh * hd) * elem;
        for (int64_t d = 0; d < hd; d++) k[d] = nd_kv_load1(src, d, job->kv_format);
        s[j] = nd_dot_fixed_ref(job->q + r * q_stride + h * hd, k, hd);
      }
      // Same operations as nd_softmax_row, one at a time.
      float max_score = -INFINITY, lanes[16] = {0};
      for (int64_t j = 0; j < keys; j++) {
        s[j] *= job->scale;
        if (s[j] > max_score) max_score = s[j];
      }
      for (int64_t j = 0; j < keys; j++) {
        s[j] = nd_expf_ref(s[j] - max_score);
        lanes[j % 16] += s[j];
      }
      const float inv = 1.0f / nd_lane_tree(lanes);
      float *o = job->out + r * q_stride + h * hd;
      for (int64_t d = 0; d < hd; d++) o[d] = 0.0f;
      for (int64_t j = 0; j < keys; j++) {
        const float p = s[j] * inv;
        const int64_t slot = (int64_t)table[j / bs] * bs + j % bs;
        const char *v = (const char *)job->v_cache + (slot * token_stride + kvh * hd) * elem;
        for (int64_t d = 0; d < hd; d++) o[d] = __builtin_fmaf(p, nd_kv_load1(v, d, job->kv_format), o[d]);
      }
    }
    free(s);
  }
  free(k);
}

// MARK: Tasks

/// Rows [r0, r1) of the job; their block tables agree on blocks [0, shared_blocks).
typedef struct {
  int64_t r0, r1, shared_blocks;
} nd_row_group;

typedef struct {
  const nd_attention_job *job;
  const nd_row_group *groups;
  int64_t count;       // row groups
  int64_t head_split;  // tasks per KV head and row group, each with group / head_split query heads
} nd_attention_ctx;

/// One query vector of a task: its scores (indexed by key), output and last key.
typedef struct {
  float *scores;
  float *out;
  int64_t last;
} nd_query;

/// Asks for one KV head's slice of `keys` cached tokens of a block (the next one
/// to be read), so it streams in from L3 or memory while the current block is used.
static inline void nd_prefetch_block(const nd_attention_job *job, const void *cache, int32_t block, int64_t kvh,
                                     int64_t keys) {
  const int64_t hd = job->head_dim, elem = job->kv_format == ND_KV_F32 ? 4 : 2;
  const int64_t token_bytes = job->kv_heads * hd * elem, slice = hd * elem;
  const char *p = (const char *)cache + ((int64_t)block * job->block_size * job->kv_heads + kvh) * hd * elem;
  for (int64_t j = 0; j < keys; j++)
    for (int64_t b = 0; b < slice; b += 64) __builtin_prefetch(p + j * token_bytes + b);
}

/// Keys of one cache block for the score product: float32 rows `ld` apart.
static const float *nd_key_block(const nd_attention_job *job, int32_t block, int64_t kvh, int64_t keys,
                                 float *widened, int64_t *ld) {
  const int64_t hd = job->head_dim, token_stride = job->kv_heads * hd;
  if (job->kv_format == ND_KV_F32) {
    *ld = token_stride;
    return (const float *)job->k_cache + (int64_t)block * job->block_size * token_stride + kvh * hd;
  }
  const uint16_t *src = (const uint16_t *)job->k_cache + (int64_t)block * job->block_size * token_stride + kvh * hd;
  for (int64_t j = 0; j < keys; j++) {
    const uint16_t *row = src + j * token_stride;
    float *dst = widened + j * hd;
    int64_t d = 0;
#if defined(__AVX512F__)
    for (; d + 16 <= hd; d += 16) {
      const __m256i h = _mm256_loadu_si256((const __m256i *)(row + d));
      _mm512_storeu_ps(dst + d, job->kv_format == ND_KV_F16
                                    ? _mm512_cvtph_ps(h)
                                    : _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16)));
    }
#endif
    for (; d < hd; d++) dst[d] = nd_kv_load1(row, d, job->kv_format);
  }
  *ld = hd;
  return widened;
}

#if defined(__AVX512F__)
/// out[jj] = nd_dot_fixed(q, k + jj * ldk, hd) for jj < n <= 16 (rows past `avail`
/// are never read). The 16 per-key accumulators are reduced together: the
/// shuffles pair the same lanes as nd_lane_tree, four keys at a time.
static inline __attribute__((always_inline)) void nd_scores16(const float *q, const float *k, int64_t ldk, int n,
                                                              int avail, int64_t hd, float *out, const int full) {
  __m512 acc[16];
  int64_t off[16];
  for (int jj = 0; jj < 16; jj++) {
    acc[jj] = _mm512_setzero_ps();
    off[jj] = (full || jj < avail ? jj : 0) * ldk;
  }
  int64_t d = 0;
  for (; d + 16 <= hd; d += 16) {
    const __m512 qv = _mm512_loadu_ps(q + d);
    for (int jj = 0; jj < 16; jj++) acc[jj] = _mm512_fmadd_ps(qv, _mm512_loadu_ps(k + off[jj] + d), acc[jj]);
  }
  if (d < hd) {
    const __mmask16 mask = (__mmask16)((1u << (hd - d)) - 1);
    const __m512 qv = _mm512_maskz_loadu_ps(mask, q + d);
    for (int jj = 0; jj < 16; jj++)
      acc[jj] = _mm512_fmadd_ps(qv, _mm512_maskz_loadu_ps(mask, k + off[jj] + d), acc[jj]);
  }
  __m512 b[8], c[4], e[2];
  for (int i = 0; i < 8; i++)  // lanes l + l+8 of keys 2i, 2i+1
    b[i] = _mm512_add_ps(_mm512_shuffle_f32x4(acc[2 * i], acc[2 * i + 1], 0x44),
                         _mm512_shuffle_f32x4(acc[2 * i], acc[2 * i + 1], 0xEE));
  for (int i = 0; i < 4; i++)  // l + l+4: quarter m of c[i] belongs to key 4i + m
    c[i] = _mm512_add_ps(_mm512_shuffle_f32x4(b[2 * i], b[2 * i + 1], 0x88),
                         _mm512_shuffle_f32x4(b[2 * i], b[2 * i + 1], 0xDD));
  for (int i = 0; i < 2; i++)  // l + l+2 within each quarter
    e[i] = _mm512_add_ps(_mm512_shuffle_ps(c[2 * i], c[2 * i + 1], 0x44),
                         _mm512_shuffle_ps(c[2 * i], c[2 * i + 1], 0xEE));
  // lane 0 + lane 1: lane 4m + i now holds key 4i + m
  const __m512 f = _mm512_add_ps(_mm512_shuffle_ps(e[0], e[1], 0x88), _mm512_shuffle_ps(e[0], e[1], 0xDD));
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  _mm512_mask_storeu_ps(out, (__mmask16)((1u << n) - 1), _mm512_permutexvar_ps(order, f));
}
#endif

/// Scores of queries [0, count) against the `keys` keys of one block starting at key j0.
static void nd_score_block(const nd_attention_job *job, const float *const *q, const nd_query *queries,
                           int64_t count, const float *k, int64_t ldk, int64_t keys, int64_t j0) {
  const int64_t hd = job->head_dim;
#if defined(__AVX512F__)
  for (int64_t c = 0; c < keys; c += 16) {
    const int n = keys - c < 16 ? (int)(keys - c) : 16;
    const int avail = job->block_size - c < 16 ? (int)(job->block_size - c) : 16;  // j0 starts a block
    const float *kc = k + c * ldk;
    if (avail == 16)
      for (int64_t i = 0; i < count; i++) nd_scores16(q[i], kc, ldk, n, 16, hd, queries[i].scores + j0 + c, 1);
    else
      for (int64_t i = 0; i < count; i++) nd_scores16(q[i], kc, ldk, n, avail, hd, queries[i].scores + j0 + c, 0);
  }
#else
  for (int64_t i = 0; i < count; i++)
    for (int64_t j = 0; j < keys; j++) queries[i].scores[j0 + j] = nd_dot_fixed(q[i], k + j * ldk, hd);
#endif
}

#if defined(__AVX512F__)
static inline __attribute__((always_inline)) __m512 nd_kv_load16(const void *p, int64_t i, const int format) {
  if (format == ND_KV_F16) return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)((const uint16_t *)p + i)));
  if (format == ND_KV_BF16)
    return _mm512_castsi512_ps(_mm512_slli_epi32(
        _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)((const uint16_t *)p + i))), 16));
  return _mm512_loadu_ps((const float *)p + i);
}

/// out += sum of p[j] * v[j] over keys j in [j0, j1), j <= last, for G queries
/// with head_dim 16·V (G·V <= 16 accumulators, kept in registers). A key past a
/// query's last is masked out of its FMAs, which leaves the sum untouched.
static inline __attribute__((always_inline)) void nd_pv_queries(
    const nd_query *qs, const char *v_base, const int32_t *table, int64_t bs, int64_t token_bytes,
    int64_t j0, int64_t j1, int prefetch, const int G, const int V, const int F) {
  __m512 acc[16];
  const float *p[8];
  int64_t last[8];
  for (int g = 0; g < G; g++) {
    p[g] = qs[g].scores;
    last[g] = qs[g].last;
    for (int t = 0; t < V; t++) acc[g * V + t] = _mm512_loadu_ps(qs[g].out + 16 * t);
  }
  for (int64_t b0 = j0 - j0 % bs; b0 < j1; b0 += bs) {
    const char *block = v_base + (int64_t)table[b0 / bs] * bs * token_bytes;
    const int64_t start = b0 > j0 ? b0 : j0, end = b0 + bs < j1 ? b0 + bs : j1;
    if (prefetch && b0 + bs < j1) {  // the next block streams in while this one is summed
      const char *next = v_base + (int64_t)table[b0 / bs + 1] * bs * token_bytes;
      for (int64_t j = 0; j < bs; j++)
        for (int t = 0; t < V * 16 * (F == ND_KV_F32 ? 4 : 2); t += 64) __builtin_prefetch(next + j * token_bytes + t);
    }
    for (int64_t j = start; j < end; j++) {
      const char *v = block + (j - b0) * token_bytes;
      __m512 vv[8];
      for (int t = 0; t < V; t++) vv[t] = nd_kv_load16(v, 16 * t, F);
      for (int g = 0; g < G; g++) {
        const __mmask16 live = (__mmask16)-(int)(j <= last[g]);
        const __m512 pj = _mm512_set1_ps(p[g][j]);
        for (int t = 0; t < V; t++) acc[g * V + t] = _mm512_mask3_fmadd_ps(pj, vv[t], acc[g * V + t], live);
      }
    }
  }
  for (int g = 0; g < G; g++)
    for (int t = 0; t < V; t++) _mm512_storeu_ps(qs[g].out + 16 * t, acc[g * V + t]);
}
#endif

/// Values of keys [j0, j1) (through `table`) added into each query's output in key order.
static void nd_pv(const nd_attention_job *job, const nd_query *qs, int64_t count, int64_t kvh, const int32_t *table,
                  int64_t j0, int64_t j1) {
  const int64_t hd = job->head_dim, bs = job->block_size, token_stride = job->kv_heads * hd;
  const int format = job->kv_format;
  const int64_t elem = format == ND_KV_F32 ? 4 : 2, token_bytes = token_stride * elem;
  const char *v_base = (const char *)job->v_cache + kvh * hd * elem;
  if (j1 <= j0) return;
#if defined(__AVX512F__)
  if (hd == 64 || hd == 128 || hd == 32) {
    const int64_t per = 256 / hd;  // queries whose 16-lane accumulators fill 16 registers
    for (int64_t g0 = 0; g0 < count; g0 += per) {
      const int n = count - g0 < per ? (int)(count - g0) : (int)per;
      const nd_query *qg = qs + g0;
#define ND_PV(G, V, F) nd_pv_queries(qg, v_base, table, bs, token_bytes, j0, j1, g0 == 0, G, V, F)
#define ND_PV_FORMATS(G, V)                                   \
      if (format == ND_KV_F16) ND_PV(G, V, ND_KV_F16);        \
      else if (format == ND_KV_BF16) ND_PV(G, V, ND_KV_BF16); \
      else ND_PV(G, V, ND_KV_F32);
#define ND_PV_CASE(G, V) case G: ND_PV_FORMATS(G, V) break;
      if (hd == 64) {
        switch (n) { ND_PV_CASE(1, 4) ND_PV_CASE(2, 4) ND_PV_CASE(3, 4) ND_PV_CASE(4, 4) }
      } else if (hd == 128) {
        switch (n) { ND_PV_CASE(1, 8) ND_PV_CASE(2, 8) }
      } else {
        switch (n) {
          ND_PV_CASE(1, 2) ND_PV_CASE(2, 2) ND_PV_CASE(3, 2) ND_PV_CASE(4, 2)
          ND_PV_CASE(5, 2) ND_PV_CASE(6, 2) ND_PV_CASE(7, 2) ND_PV_CASE(8, 2)
        }
      }
#undef ND_PV_CASE
#undef ND_PV_FORMATS
#undef ND_PV
    }
    return;
  }
#endif
  for (int64_t j = j0; j < j1; j++) {
    const char *v = v_base + ((int64_t)table[j / bs] * bs + j % bs) * token_bytes;
    for (int64_t i = 0; i < count; i++) {
      if (j > qs[i].last) continue;
      const float p = qs[i].scores[j];
      float *o = qs[i].out;
      for (int64_t d = 0; d < hd; d++) o[d] = __builtin_fmaf(p, nd_kv_load1(v, d, format), o[d]);
    }
  }
}

static void nd_attention_task(void *raw, int64_t task, int thread) {
  const nd_attention_ctx *ctx = raw;
  const nd_attention_job *job = ctx->job;
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
  float *widened = scores + ND_ATTENTION_QUERIES * lds;                     // [block_size][head_dim]
  nd_query queries[ND_ATTENTION_QUERIES];
  const float *q[ND_ATTENTION_QUERIES];
  for (int64_t i = 0; i < rows; i++)
    for (int64_t h = 0; h < per_task; h++) {
      const int64_t r = rg->r0 + i, x = i * per_task + h;
      queries[x] = (nd_query){.scores = scores + x * lds, .out = job->out + r * q_stride + (h0 + h) * hd,
                              .last = job->positions[r]};
      q[x] = job->q + r * q_stride + (h0 + h) * hd;
      memset(queries[x].out, 0, (size_t)hd * sizeof(float));
    }

  // Scores: shared blocks for every query at once, then each row's own blocks.
  const int64_t shared_keys = rg->shared_blocks * bs < max_keys ? rg->shared_blocks * bs : max_keys;
  for (int64_t j0 = 0; j0 < shared_keys; j0 += bs) {
    const int64_t keys = shared_keys - j0 < bs ? shared_keys - j0 : bs;
    int64_t ldk;
    if (j0 + bs < shared_keys) nd_prefetch_block(job, job->k_cache, job->block_tables[rg->r0][j0 / bs + 1], kvh, bs);
    const float *k = nd_key_block(job, job->block_tables[rg->r0][j0 / bs], kvh, keys, widened, &ldk);
    nd_score_block(job, q, queries, count, k, ldk, keys, j0);
  }
  for (int64_t i = 0; i < rows; i++) {
    const int64_t row_keys = job->positions[rg->r0 + i] + 1;
    for (int64_t j0 = shared_keys; j0 < row_keys; j0 += bs) {
      const int64_t keys = row_keys - j0 < bs ? row_keys - j0 : bs;
      int64_t ldk;
      if (j0 + bs < row_keys) nd_prefetch_block(job, job->k_cache, job->block_tables[rg->r0 + i][j0 / bs + 1], kvh, bs);
      const float *k = nd_key_block(job, job->block_tables[rg->r0 + i][j0 / bs], kvh, keys, widened, &ldk);
      nd_score_block(job, q + i * per_task, queries + i * per_task, per_task, k, ldk, keys, j0);
    }
  }
  for (int64_t x = 0; x < count; x++) nd_softmax_row(queries[x].scores, queries[x].last + 1, job->scale);

  // Values: the shared keys for every query, then each row's own keys, continuing its sums.
  nd_pv(job, queries, count, kvh, job->block_tables[rg->r0], 0, shared_keys);
  for (int64_t i = 0; i < rows; i++)
    nd_pv(job, queries + i * per_task, per_task, kvh, job->block_tables[rg->r0 + i], shared_keys,
          job->positions[rg->r0 + i] + 1);
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
  if (job->rows <= 0) return;
  const int threads = nd_pool_threads(pool);
  const int64_t group = job->heads / job->kv_heads;
  // Tasks wanted for an even spread over the threads (claimed dynamically).
  const int64_t wanted = threads > 1 ? 6 * (int64_t)threads : 1;

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
  nd_attention_ctx ctx = {.job = job, .groups = groups, .count = count, .head_split = split};
  nd_pool_run(pool, nd_attention_task, &ctx, count * job->kv_heads * split);
  if (groups != stack_groups) free(groups);
}
