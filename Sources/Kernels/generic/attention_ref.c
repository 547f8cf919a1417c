// Paged attention in plain C: the generic level's inner loops (scores, softmax,
// value sums; drivers/paged_attention.c plans the tasks) and nd_attention_ref, the
// per-row, per-head definition every level is held to.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../kernel_table.h"
#include "../lane_tree.h"

static inline float nd_bf16_scalar(uint16_t h) {
  uint32_t bits = (uint32_t)h << 16;
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

/// Element i of a cached vector in `format`, as float32 (exact).
float nd_kv_load1(const void *p, int64_t i, int format) {
  switch (format) {
    case ND_KV_F16: return nd_f16_to_f32(((const uint16_t *)p)[i]);
    case ND_KV_BF16: return nd_bf16_scalar(((const uint16_t *)p)[i]);
    default: return ((const float *)p)[i];
  }
}

// MARK: Softmax of one row

void nd_softmax_row_generic(float *s, int64_t n, float scale) {
  float max_score = -INFINITY;
  for (int64_t j = 0; j < n; j++) {
    s[j] *= scale;
    if (s[j] > max_score) max_score = s[j];
  }
  float lanes[16] = {0};
  for (int64_t j = 0; j < n; j++) {
    s[j] = nd_expf_ref(s[j] - max_score);
    lanes[j % 16] += s[j];
  }
  const float inv = 1.0f / nd_lane_tree(lanes);
  for (int64_t j = 0; j < n; j++) s[j] *= inv;
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
  const int64_t q_stride = job->heads * hd;
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
        const int64_t value = (((int64_t)table[j / bs] * job->kv_heads + kvh) * bs + j % bs) * hd;
        const char *v = (const char *)job->v_cache + value * elem;
        for (int64_t d = 0; d < hd; d++) o[d] = __builtin_fmaf(p, nd_kv_load1(v, d, job->kv_format), o[d]);
      }
    }
    free(s);
  }
}

// MARK: The generic level's inner loops

/// Scores of `count` queries against `ng` key groups (g padded to ND_KEY_GROUPS).
void nd_score_groups_generic(const nd_attention_job *job, const float *const *q, const float *packed,
                            const nd_query *qs, int64_t count, const nd_key_group *g, int ng) {
  const int64_t hd = job->head_dim, bs = job->block_size, elem = job->kv_format == ND_KV_F32 ? 4 : 2;
  (void)packed;
  for (int64_t i = 0; i < count; i++)
    for (int t = 0; t < ng; t++)
      for (int jj = 0; jj < g[t].n; jj++)
        qs[i].scores[g[t].j + jj] = nd_score_ref(q[i], g[t].k + jj * elem, bs, hd, job->kv_format);
}

/// Values of keys [j0, j1) (through `table`) added into each query's output in key order.
void nd_pv_generic(const nd_attention_job *job, const nd_query *qs, int64_t count, int64_t kvh, const int32_t *table,
                  int64_t j0, int64_t j1) {
  const int64_t hd = job->head_dim, bs = job->block_size;
  const int format = job->kv_format;
  const int64_t elem = format == ND_KV_F32 ? 4 : 2, row_bytes = hd * elem, block_bytes = job->kv_heads * bs * row_bytes;
  const char *v_base = (const char *)job->v_cache + kvh * bs * row_bytes;
  if (j1 <= j0) return;
  for (int64_t j = j0; j < j1; j++) {
    const char *v = v_base + (int64_t)table[j / bs] * block_bytes + j % bs * row_bytes;
    for (int64_t i = 0; i < count; i++) {
      if (j > qs[i].last) continue;
      const float p = qs[i].scores[j];
      float *o = qs[i].out;
      for (int64_t d = 0; d < hd; d++) o[d] = __builtin_fmaf(p, nd_kv_load1(v, d, format), o[d]);
    }
  }
}

