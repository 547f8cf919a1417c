// Paged attention's inner loops at the AVX-512 level: the score product (queries x
// 16-key groups, an outer product over the transposed keys), the softmax and the value
// sums with 16-lane accumulators held in registers. Same bits as the generic level.
#if defined(__x86_64__)
#include <math.h>
#include <string.h>

#include "../../kernel_table.h"
#include "../../lane_tree.h"
#include "avx512.h"

void nd_exp_avx512(const float *x, float *y, int64_t count);
void nd_pv_avx2(const nd_attention_job *job, const nd_query *qs, int64_t count, int64_t kvh, const int32_t *table,
                int64_t j0, int64_t j1);

ND_AVX512_BEGIN

// MARK: Softmax of one row

/// s[j] = softmax(scale * s)[j] over j < n. The sum of the exponentials runs in
/// 16 lanes (lane l adds j = l mod 16 in increasing j) and then nd_lane_tree.
void nd_softmax_row_avx512(float *s, int64_t n, float scale) {
  float max_score = -INFINITY;
  int64_t j = 0;
  const __m512 vscale = _mm512_set1_ps(scale);
  __m512 vmax = _mm512_set1_ps(-INFINITY);
  for (; j + 16 <= n; j += 16) {
    const __m512 x = _mm512_mul_ps(_mm512_loadu_ps(s + j), vscale);
    _mm512_storeu_ps(s + j, x);
    vmax = _mm512_max_ps(vmax, x);
  }
  max_score = _mm512_reduce_max_ps(vmax);
  for (; j < n; j++) {
    s[j] *= scale;
    if (s[j] > max_score) max_score = s[j];
  }
  j = 0;
  const __m512 vm = _mm512_set1_ps(max_score);
  for (; j + 16 <= n; j += 16) _mm512_storeu_ps(s + j, _mm512_sub_ps(_mm512_loadu_ps(s + j), vm));
  for (; j < n; j++) s[j] -= max_score;
  nd_exp_avx512(s, s, n);
  float lanes[16] = {0};
  j = 0;
  __m512 vsum = _mm512_setzero_ps();
  for (; j + 16 <= n; j += 16) vsum = _mm512_add_ps(vsum, _mm512_loadu_ps(s + j));
  _mm512_storeu_ps(lanes, vsum);
  for (int64_t l = 0; j + l < n; l++) lanes[l] += s[j + l];  // j is a multiple of 16 here
  const float inv = 1.0f / nd_lane_tree(lanes);
  j = 0;
  const __m512 vinv = _mm512_set1_ps(inv);
  for (; j + 16 <= n; j += 16) _mm512_storeu_ps(s + j, _mm512_mul_ps(_mm512_loadu_ps(s + j), vinv));
  for (; j < n; j++) s[j] *= inv;
}

// MARK: Scores

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
/// Scores of `count` queries against `ng` key groups, one format's kernel chosen per call.
void nd_score_groups_avx512(const nd_attention_job *job, const float *const *q, const float *packed,
                            const nd_query *qs, int64_t count, const nd_key_group *g, int ng) {
  const int64_t hd = job->head_dim, bs = job->block_size, elem = job->kv_format == ND_KV_F32 ? 4 : 2;
  (void)q;
  if (job->kv_format == ND_KV_F16) nd_score_groups_f(packed, qs, count, g, ng, hd, bs * elem, ND_KV_F16);
  else if (job->kv_format == ND_KV_BF16) nd_score_groups_f(packed, qs, count, g, ng, hd, bs * elem, ND_KV_BF16);
  else nd_score_groups_f(packed, qs, count, g, ng, hd, bs * elem, ND_KV_F32);
}

// MARK: Values

static inline __attribute__((always_inline)) __m512 nd_kv_load16(const void *p, int64_t i, const int format) {
  if (format == ND_KV_F16) return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)((const uint16_t *)p + i)));
  if (format == ND_KV_BF16)
    return _mm512_castsi512_ps(_mm512_slli_epi32(
        _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)((const uint16_t *)p + i))), 16));
  return _mm512_loadu_ps((const float *)p + i);
}

/// out += sum of p[j] * v[j] over keys j in [j0, j1), j <= last, for G queries
/// with head_dim 16·V (G·V <= 16 accumulators, kept in registers). A key past a
/// query's last is masked out of its FMAs, which leaves the sum untouched. Blocks inside:
/// a block at a time for every query (as at the AVX2 level) reloads 16 accumulators per
/// block, and measured no faster here (a head's keys fit L2 and a key's row is one load per register).
static inline __attribute__((always_inline)) void nd_pv_queries(
    const nd_query *qs, const char *v_base, const int32_t *table, int64_t bs, int64_t block_bytes,
    int64_t j0, int64_t j1, int prefetch, const int G, const int V, const int F) {
  const int64_t row_bytes = V * 16 * (F == ND_KV_F32 ? 4 : 2);
  __m512 acc[16];
  const float *p[8];
  int64_t last[8];
  for (int g = 0; g < G; g++) {
    p[g] = qs[g].scores;
    last[g] = qs[g].last;
    for (int t = 0; t < V; t++) acc[g * V + t] = _mm512_loadu_ps(qs[g].out + 16 * t);
  }
  for (int64_t b0 = j0 - j0 % bs; b0 < j1; b0 += bs) {
    const char *block = v_base + (int64_t)table[b0 / bs] * block_bytes;
    const int64_t start = b0 > j0 ? b0 : j0, end = b0 + bs < j1 ? b0 + bs : j1;
    if (prefetch && b0 + bs < j1) {  // the next block streams in while this one is summed
      const char *next = v_base + (int64_t)table[b0 / bs + 1] * block_bytes;
      for (int64_t o = 0; o < bs * row_bytes; o += 64) __builtin_prefetch(next + o, 0, 1);
    }
    for (int64_t j = start; j < end; j++) {
      const char *v = block + (j - b0) * row_bytes;
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
/// Values of keys [j0, j1) (through `table`) added into each query's output in key order.
void nd_pv_avx512(const nd_attention_job *job, const nd_query *qs, int64_t count, int64_t kvh, const int32_t *table,
                  int64_t j0, int64_t j1) {
  const int64_t hd = job->head_dim, bs = job->block_size;
  const int format = job->kv_format;
  const int64_t elem = format == ND_KV_F32 ? 4 : 2, block_bytes = job->kv_heads * bs * hd * elem;
  const char *v_base = (const char *)job->v_cache + kvh * bs * hd * elem;
  if (j1 <= j0) return;
  if (hd == 64 || hd == 128 || hd == 32) {
    const int64_t per = 256 / hd;  // queries whose 16-lane accumulators fill 16 registers
    for (int64_t g0 = 0; g0 < count; g0 += per) {
      const int n = count - g0 < per ? (int)(count - g0) : (int)per;
      const nd_query *qg = qs + g0;
#define ND_PV(G, V, F) nd_pv_queries(qg, v_base, table, bs, block_bytes, j0, j1, g0 == 0, G, V, F)
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
  nd_pv_avx2(job, qs, count, kvh, table, j0, j1);  // other head sizes: the AVX2 level's loops
}

ND_AVX512_END

#endif
