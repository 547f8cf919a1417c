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
  // scores [queries][keys rounded up], then the queries packed for the score product
  (void)block_size;
  return ND_ATTENTION_QUERIES * (((max_keys + 15) & ~(int64_t)15) + head_dim);
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

/// Score of query q against key j of a block whose keys are stored transposed:
/// `k` points at the key's element 0, element d is `bs` further per d.
static float nd_score_ref(const float *q, const void *k, int64_t bs, int64_t hd, int format) {
  float acc = 0.0f;
  for (int64_t d = 0; d < hd; d++) acc = __builtin_fmaf(q[d], nd_kv_load1(k, d * bs, format), acc);
  return acc;
}

// MARK: Reference

void nd_attention_ref(const nd_attention_job *job) {
  const int64_t hd = job->head_dim, bs = job->block_size, group = job->heads / job->kv_heads;
  const int64_t token_stride = job->kv_heads * hd, q_stride = job->heads * hd;
  const int64_t elem = job->kv_format == ND_KV_F32 ? 4 : 2;
  for (int64_t r = 0; r < job->rows; r++) {
    const int64_t keys = job->positions[r] + 1;
    const int32_t *table = job->block_tables[r];
    float *s = malloc((size_t)keys * sizeof(float));
    for (int64_t h = 0; h < job->heads; h++) {
      const int64_t kvh = h / group;
      for (int64_t j = 0; j < keys; j++) {
        const int64_t key = ((int64_t)table[j / bs] * job->kv_heads + kvh) * hd * bs + j % bs;
        s[j] = nd_score_ref(job->q + r * q_stride + h * hd, (const char *)job->k_cache + key * elem, bs, hd,
                            job->kv_format);
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

/// Up to 16 consecutive keys of one block: `k` points at the first key's
/// dimension 0 (dimension d lies d rows of block_size keys further); their
/// scores go to index j on of each query's row.
typedef struct {
  const char *k;
  int64_t j;
  int n;
} nd_key_group;

/// Keys [j0, j1) of a sequence's table: the next range a task scores, prefetched ahead.
typedef struct {
  const int32_t *table;
  int64_t j0, j1;
} nd_key_range;

enum { ND_KEY_GROUPS = 8 };  // key groups per pass over a call's queries (8 x 4 KiB at head_dim 64, f32)

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
#define ND_SCORE_AVX512 1
/// Dimension d of the keys of a group (row `p`), lanes past its n zero and never read.
static inline __attribute__((always_inline)) __m512 nd_key_row16(const char *p, __mmask16 m, const int F) {
  if (F == ND_KV_F16) return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p));
  if (F == ND_KV_BF16)
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, p)), 16));
  return _mm512_maskz_loadu_ps(m, p);
}

/// Scores of Q queries x G key groups: each of the Q·G accumulators is the
/// score chain of one query and 16 keys, q[d] broadcast against row d. The
/// queries come packed [head_dim][Q], so one pointer walks them all.
static inline __attribute__((always_inline)) void nd_score_tile(const float *qp, const nd_query *qs,
                                                                const nd_key_group *g, int64_t hd,
                                                                int64_t row_bytes, const int Q, const int G,
                                                                const int F) {
  __m512 acc[16];
  __mmask16 m[ND_KEY_GROUPS];
  for (int t = 0; t < G; t++) m[t] = (__mmask16)((1u << g[t].n) - 1);
  for (int i = 0; i < Q * G; i++) acc[i] = _mm512_setzero_ps();
  const float *const end = qp + hd * Q;
  for (int64_t off = 0; qp < end; qp += Q, off += row_bytes) {
    __m512 kt[ND_KEY_GROUPS];
    for (int t = 0; t < G; t++) kt[t] = nd_key_row16(g[t].k + off, m[t], F);
    for (int i = 0; i < Q; i++) {
      const __m512 qd = _mm512_set1_ps(qp[i]);
      for (int t = 0; t < G; t++) acc[i * G + t] = _mm512_fmadd_ps(qd, kt[t], acc[i * G + t]);
    }
  }
  for (int i = 0; i < Q; i++)
    for (int t = 0; t < G; t++) _mm512_mask_storeu_ps(qs[i].scores + g[t].j, m[t], acc[i * G + t]);
}

/// Tiles of at most 4 queries; enough groups per tile for 8 or more chains (a
/// lone query takes all 8, padding groups have n = 0 and cost no memory).
static inline __attribute__((always_inline)) void nd_score_groups_f(const float *packed, const nd_query *qs,
                                                                    int64_t count, const nd_key_group *g, int ng,
                                                                    int64_t hd, int64_t row_bytes, const int F) {
  for (int64_t x = 0; x < count; x += 4) {
    const int64_t left = count - x;
    const float *qp = packed + x * hd;
    if (left == 1) {
      nd_score_tile(qp, qs + x, g, hd, row_bytes, 1, 8, F);
      continue;
    }
    for (int t = 0; t < ng; t += 4) {
      const int small = ng - t <= 2;
      if (left == 2) nd_score_tile(qp, qs + x, g + t, hd, row_bytes, 2, 4, F);
      else if (left == 3 && small) nd_score_tile(qp, qs + x, g + t, hd, row_bytes, 3, 2, F);
      else if (left == 3) nd_score_tile(qp, qs + x, g + t, hd, row_bytes, 3, 4, F);
      else if (small) nd_score_tile(qp, qs + x, g + t, hd, row_bytes, 4, 2, F);
      else nd_score_tile(qp, qs + x, g + t, hd, row_bytes, 4, 4, F);
    }
  }
}
#endif

/// Scores of `count` queries against `ng` key groups (g padded to ND_KEY_GROUPS).
static void nd_score_groups(const nd_attention_job *job, const float *const *q, const float *packed,
                            const nd_query *qs, int64_t count, const nd_key_group *g, int ng) {
  const int64_t hd = job->head_dim, bs = job->block_size, elem = job->kv_format == ND_KV_F32 ? 4 : 2;
#if defined(ND_SCORE_AVX512)
  (void)q;
  if (job->kv_format == ND_KV_F16) nd_score_groups_f(packed, qs, count, g, ng, hd, bs * elem, ND_KV_F16);
  else if (job->kv_format == ND_KV_BF16) nd_score_groups_f(packed, qs, count, g, ng, hd, bs * elem, ND_KV_BF16);
  else nd_score_groups_f(packed, qs, count, g, ng, hd, bs * elem, ND_KV_F32);
#else
  (void)packed;
  for (int64_t i = 0; i < count; i++)
    for (int t = 0; t < ng; t++)
      for (int jj = 0; jj < g[t].n; jj++)
        qs[i].scores[g[t].j + jj] = nd_score_ref(q[i], g[t].k + jj * elem, bs, hd, job->kv_format);
#endif
}

/// Asks for the keys of KV head kvh that one pass over keys [j0, j1) reads, so
/// they stream in from L3 or memory while the current pass computes.
static void nd_prefetch_keys(const nd_attention_job *job, int64_t kvh, nd_key_range r) {
  const int64_t hd = job->head_dim, bs = job->block_size, elem = job->kv_format == ND_KV_F32 ? 4 : 2;
  const int64_t slice_bytes = hd * bs * elem, block_bytes = job->kv_heads * slice_bytes;
  const int64_t span = ND_KEY_GROUPS * (bs < 16 ? bs : 16);
  const char *base = (const char *)job->k_cache + kvh * slice_bytes;
  if (r.j1 <= r.j0) return;
  const int64_t last = (r.j0 + span < r.j1 ? r.j0 + span : r.j1) - 1;
  for (int64_t b = r.j0 / bs; b <= last / bs; b++)
    for (int64_t o = 0; o < slice_bytes; o += 64) __builtin_prefetch(base + r.table[b] * block_bytes + o, 0, 1);
}

/// Scores of queries [0, count) against keys [j0, j1) of KV head kvh of the
/// sequence with `table`, ND_KEY_GROUPS groups of keys at a time. The next pass's
/// keys (after the last pass: the start of `next`) are prefetched meanwhile.
static void nd_score_keys(const nd_attention_job *job, const float *const *q, const nd_query *qs, int64_t count,
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
    nd_score_groups(job, q, packed, qs, count, g, ng);
  }
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
        for (int t = 0; t < V * 16 * (F == ND_KV_F32 ? 4 : 2); t += 64) __builtin_prefetch(next + j * token_bytes + t, 0, 1);
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
  float *packed = scores + ND_ATTENTION_QUERIES * lds;                      // queries [count][head_dim], in tiles
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
  // Each call prefetches the start of the next one's keys.
  nd_key_range own[ND_ATTENTION_TILE + 1];
  for (int64_t i = 0; i < rows; i++)
    own[i] = (nd_key_range){job->block_tables[rg->r0 + i], shared_keys, job->positions[rg->r0 + i] + 1};
  own[rows] = (nd_key_range){job->block_tables[rg->r0], 0, 0};
  nd_score_keys(job, q, queries, count, kvh, (nd_key_range){job->block_tables[rg->r0], 0, shared_keys}, own[0],
                packed);
  for (int64_t i = 0; i < rows; i++)
    nd_score_keys(job, q + i * per_task, queries + i * per_task, per_task, kvh, own[i], own[i + 1], packed);
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
