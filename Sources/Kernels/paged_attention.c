// Causal attention of query rows over their sequence's keys in the paged KV
// cache. A task is one head of a tile of consecutive rows of one sequence:
// scores come from the fixed-order product (each score equals nd_dot_fixed of
// its query and key), softmax runs per row over keys 0 ... position, and the
// values are summed in key order. No step of a row depends on the rows beside
// it, so prefilling a prompt in one chunk or many gives the same bits.
#include <math.h>
#include <stdlib.h>
#include <immintrin.h>

#include "nd_forward.h"

#define ND_ATTENTION_TILE 32

typedef struct {
  const nd_attention_job *job;
  const int64_t *tile_start;  // [tiles + 1] first row of each tile
  int64_t tiles;
} nd_attention_ctx;

int64_t nd_attention_scratch_floats(int64_t max_keys) {
  return ND_ATTENTION_TILE * ((max_keys + 15) & ~(int64_t)15);
}

#if defined(__AVX512F__)
// P·V for up to G consecutive rows (row g at position first + g) with head_dim 16·V,
// accumulators in registers; each element sums its terms in key order, as the
// scalar loop does.
static inline __attribute__((always_inline)) void nd_pv_rows(
    const float *scores, int64_t lds, int64_t n, int64_t first, const float *v_base, const int32_t *table,
    int64_t bs, int64_t token_stride, float *out, int64_t out_stride, const int G, const int V) {
  __m512 acc[8][8];
  for (int g = 0; g < G; g++)
    for (int t = 0; t < V; t++) acc[g][t] = _mm512_setzero_ps();
  const int64_t keys = first + n;  // keys the last row sees
  for (int64_t j = 0; j < keys; j++) {
    const float *v = v_base + ((int64_t)table[j / bs] * bs + j % bs) * token_stride;
    __m512 vv[8];
    for (int t = 0; t < V; t++) vv[t] = _mm512_loadu_ps(v + 16 * t);
    for (int g = 0; g < G; g++) {
      if (g >= n || j > first + g) continue;
      const __m512 p = _mm512_set1_ps(scores[g * lds + j]);
      for (int t = 0; t < V; t++) acc[g][t] = _mm512_fmadd_ps(p, vv[t], acc[g][t]);
    }
  }
  for (int g = 0; g < G; g++) {
    if (g >= n) break;
    for (int t = 0; t < V; t++) _mm512_storeu_ps(out + g * out_stride + 16 * t, acc[g][t]);
  }
}
#endif

static void nd_attention_task(void *raw, int64_t task, int thread) {
  const nd_attention_ctx *ctx = raw;
  const nd_attention_job *job = ctx->job;
  const int64_t tile = task / job->heads, head = task % job->heads;
  const int64_t r0 = ctx->tile_start[tile], rows = ctx->tile_start[tile + 1] - r0;
  const int64_t hd = job->head_dim, bs = job->block_size;
  const int64_t kvh = head / (job->heads / job->kv_heads);
  const int64_t token_stride = job->kv_heads * hd, q_stride = job->heads * hd;
  const int32_t *table = job->block_tables[r0];
  const int64_t max_keys = job->positions[r0 + rows - 1] + 1;
  const int64_t lds = (max_keys + 15) & ~(int64_t)15;
  float *scores = job->scratch + (int64_t)thread * job->scratch_per_thread;  // [rows][lds]
  const float *q = job->q + r0 * q_stride + head * hd;

  for (int64_t j0 = 0; j0 < max_keys; j0 += bs) {
    const int64_t keys = max_keys - j0 < bs ? max_keys - j0 : bs;
    const float *k = job->k_cache + (int64_t)table[j0 / bs] * bs * token_stride + kvh * hd;
    nd_matmul_nt(q, q_stride, k, token_stride, scores + j0, lds, rows, keys, hd, 0);
  }
  for (int64_t i = 0; i < rows; i++) {
    float *s = scores + i * lds;
    const int64_t keys = job->positions[r0 + i] + 1;
    float max_score = -INFINITY;
    for (int64_t j = 0; j < keys; j++) {
      s[j] *= job->scale;
      if (s[j] > max_score) max_score = s[j];
    }
    for (int64_t j = 0; j < keys; j++) s[j] -= max_score;
    nd_exp(s, s, keys);
    float sum = 0.0f;
    for (int64_t j = 0; j < keys; j++) sum += s[j];
    const float inv = 1.0f / sum;
    for (int64_t j = 0; j < keys; j++) s[j] *= inv;
    float *o = job->out + (r0 + i) * q_stride + head * hd;
    for (int64_t d = 0; d < hd; d++) o[d] = 0.0f;
  }
  // out[i] = sum_j p[i][j] * v[j], j in increasing order, one fused multiply-add per term.
  const float *v_base = job->v_cache + kvh * hd;
  float *out = job->out + r0 * q_stride + head * hd;
  const int64_t first = job->positions[r0];
#if defined(__AVX512F__)
  if (hd == 64 || hd == 128 || hd == 32) {
    const int64_t group = 256 / hd;  // rows whose 16-lane accumulators fill 16 registers
    for (int64_t g0 = 0; g0 < rows; g0 += group) {
      const int64_t n = rows - g0 < group ? rows - g0 : group;
      const float *sg = scores + g0 * lds;
      float *og = out + g0 * q_stride;
      if (hd == 64) nd_pv_rows(sg, lds, n, first + g0, v_base, table, bs, token_stride, og, q_stride, 4, 4);
      else if (hd == 128) nd_pv_rows(sg, lds, n, first + g0, v_base, table, bs, token_stride, og, q_stride, 2, 8);
      else nd_pv_rows(sg, lds, n, first + g0, v_base, table, bs, token_stride, og, q_stride, 8, 2);
    }
    return;
  }
#endif
  for (int64_t j = 0; j < max_keys; j++) {
    const float *v = v_base + ((int64_t)table[j / bs] * bs + j % bs) * token_stride;
    for (int64_t i = 0; i < rows; i++) {
      if (j > job->positions[r0 + i]) continue;
      const float p = scores[i * lds + j];
      float *o = out + i * q_stride;
      for (int64_t d = 0; d < hd; d++) o[d] = __builtin_fmaf(p, v[d], o[d]);
    }
  }
}

void nd_attention(nd_pool *pool, const nd_attention_job *job) {
  // Tiles: runs of at most ND_ATTENTION_TILE consecutive rows of one sequence.
  int64_t stack_starts[257];
  int64_t *starts = job->rows + 1 <= 257 ? stack_starts : malloc((size_t)(job->rows + 1) * sizeof(int64_t));
  int64_t tiles = 0;
  for (int64_t r = 0; r < job->rows; r++) {
    const int new_tile = r == 0 || job->block_tables[r] != job->block_tables[r - 1] ||
                         job->positions[r] != job->positions[r - 1] + 1 || r - starts[tiles - 1] >= ND_ATTENTION_TILE;
    if (new_tile) starts[tiles++] = r;
  }
  starts[tiles] = job->rows;
  nd_attention_ctx ctx = {.job = job, .tile_start = starts, .tiles = tiles};
  nd_pool_run(pool, nd_attention_task, &ctx, tiles * job->heads);
  if (starts != stack_starts) free(starts);
}
