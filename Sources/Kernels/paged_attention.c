// Causal attention of each query row over its sequence's keys in the paged KV
// cache, keys visited in position order (block by block), so a row's output is
// the same whether its prompt was prefilled in one chunk or many.
#include <math.h>
#include <immintrin.h>

#include "nd_forward.h"

typedef struct {
  const nd_attention_job *job;
} nd_attention_ctx;

static void nd_attention_task(void *raw, int64_t task, int thread) {
  const nd_attention_job *job = ((nd_attention_ctx *)raw)->job;
  const int64_t row = task / job->heads, head = task % job->heads;
  const int64_t hd = job->head_dim, bs = job->block_size;
  const int64_t group = job->heads / job->kv_heads, kvh = head / group;
  const int64_t keys = job->positions[row] + 1;
  const int32_t *table = job->block_tables[row];
  const float *q = job->q + (row * job->heads + head) * hd;
  float *out = job->out + (row * job->heads + head) * hd;
  float *scores = job->scratch + (int64_t)thread * job->scratch_per_thread;
  const int64_t token_stride = job->kv_heads * hd;

  float max_score = -INFINITY;
  for (int64_t j = 0; j < keys; j++) {
    const float *k = job->k_cache + ((int64_t)table[j / bs] * bs + j % bs) * token_stride + kvh * hd;
    const float s = nd_dot_fixed(q, k, hd) * job->scale;
    scores[j] = s;
    if (s > max_score) max_score = s;
  }
  for (int64_t j = 0; j < keys; j++) scores[j] -= max_score;
  nd_exp(scores, scores, keys);
  float sum = 0.0f;
  for (int64_t j = 0; j < keys; j++) sum += scores[j];
  const float inv = 1.0f / sum;
  for (int64_t d = 0; d < hd; d++) out[d] = 0.0f;
  for (int64_t j = 0; j < keys; j++) {
    const float p = scores[j] * inv;
    const float *v = job->v_cache + ((int64_t)table[j / bs] * bs + j % bs) * token_stride + kvh * hd;
    int64_t d = 0;
#if defined(__AVX512F__)
    const __m512 pv = _mm512_set1_ps(p);
    for (; d + 16 <= hd; d += 16)
      _mm512_storeu_ps(out + d, _mm512_fmadd_ps(pv, _mm512_loadu_ps(v + d), _mm512_loadu_ps(out + d)));
#endif
    for (; d < hd; d++) out[d] = __builtin_fmaf(p, v[d], out[d]);
  }
}

void nd_attention(nd_pool *pool, const nd_attention_job *job) {
  nd_attention_ctx ctx = {.job = job};
  nd_pool_run(pool, nd_attention_task, &ctx, job->rows * job->heads);
}
