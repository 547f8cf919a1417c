// Paged attention's inner loops at the AVX2 level: the score product
// (queries x 16-key groups over the transposed keys, two 8-lane halves per group), the
// softmax (its sum in the 16 lanes of the fixed order) and the value sums (up to 32
// dimensions of up to 2 queries in registers). Same bits as the generic level.
#if defined(__x86_64__)
#include <math.h>
#include <string.h>

#include "../../kernel_table.h"
#include "../../lane_tree.h"
#include "avx2.h"

void nd_exp_avx2(const float *x, float *y, int64_t count);

ND_AVX2_BEGIN

// MARK: Softmax of one row

void nd_softmax_row_avx2(float *s, int64_t n, float scale) {
  const __m256 vscale = _mm256_set1_ps(scale);
  __m256 vmax = _mm256_set1_ps(-INFINITY);
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256 x = _mm256_mul_ps(_mm256_loadu_ps(s + j), vscale);
    _mm256_storeu_ps(s + j, x);
    vmax = _mm256_max_ps(vmax, x);
  }
  float lanes8[8];
  _mm256_storeu_ps(lanes8, vmax);
  float max_score = -INFINITY;
  for (int l = 0; l < 8; l++)
    if (lanes8[l] > max_score) max_score = lanes8[l];
  for (; j < n; j++) {
    s[j] *= scale;
    if (s[j] > max_score) max_score = s[j];
  }
  const __m256 vm = _mm256_set1_ps(max_score);
  j = 0;
  for (; j + 8 <= n; j += 8) _mm256_storeu_ps(s + j, _mm256_sub_ps(_mm256_loadu_ps(s + j), vm));
  for (; j < n; j++) s[j] -= max_score;
  nd_exp_avx2(s, s, n);
  // Lane l adds keys j = l mod 16 in increasing j: lanes 0-7 and 8-15 in two registers.
  __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
  j = 0;
  for (; j + 16 <= n; j += 16) {
    lo = _mm256_add_ps(lo, _mm256_loadu_ps(s + j));
    hi = _mm256_add_ps(hi, _mm256_loadu_ps(s + j + 8));
  }
  float lanes[16];
  _mm256_storeu_ps(lanes, lo);
  _mm256_storeu_ps(lanes + 8, hi);
  for (int64_t l = 0; j + l < n; l++) lanes[l] += s[j + l];  // j is a multiple of 16 here
  const float inv = 1.0f / nd_lane_tree(lanes);
  const __m256 vinv = _mm256_set1_ps(inv);
  j = 0;
  for (; j + 8 <= n; j += 8) _mm256_storeu_ps(s + j, _mm256_mul_ps(_mm256_loadu_ps(s + j), vinv));
  for (; j < n; j++) s[j] *= inv;
}

// MARK: Scores

/// Eight cached elements in `format` as floats.
static inline __attribute__((always_inline)) __m256 nd_load8(const char *p, const int F) {
  if (F == ND_KV_F16) return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
  if (F == ND_KV_BF16)
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p)), 16));
  return _mm256_loadu_ps((const float *)p);
}

/// Scores of Q queries x G key groups: accumulators [query][group][half], each the score
/// chain of one query and 8 keys, q[d] broadcast against the keys' row d. The queries come
/// packed [head_dim][Q]. A group whose row holds fewer than 16 keys is read from `pad`
/// (its keys copied there, zero after them), so no load leaves the block's row.
static inline __attribute__((always_inline)) void nd_score_tile2(const float *qp, const nd_query *qs,
                                                                 const nd_key_group *g, int64_t hd, int64_t row_bytes,
                                                                 const int *narrow, const int Q, const int G,
                                                                 const int F) {
  const int64_t elem = F == ND_KV_F32 ? 4 : 2;
  __m256 acc[4][4][2];
  for (int i = 0; i < Q; i++)
    for (int t = 0; t < G; t++) acc[i][t][0] = acc[i][t][1] = _mm256_setzero_ps();
  const float *const end = qp + hd * Q;
  for (int64_t off = 0; qp < end; qp += Q, off += row_bytes) {
    __m256 k[4][2];
    for (int t = 0; t < G; t++) {
      const char *row = g[t].k + off;
      if (narrow[t]) {
        _Alignas(32) char pad[64] = {0};
        memcpy(pad, row, (size_t)(g[t].n * elem));
        k[t][0] = nd_load8(pad, F);
        k[t][1] = nd_load8(pad + 8 * elem, F);
      } else {
        k[t][0] = nd_load8(row, F);
        k[t][1] = nd_load8(row + 8 * elem, F);
      }
    }
    for (int i = 0; i < Q; i++) {
      const __m256 qd = _mm256_set1_ps(qp[i]);
      for (int t = 0; t < G; t++) {
        acc[i][t][0] = _mm256_fmadd_ps(qd, k[t][0], acc[i][t][0]);
        acc[i][t][1] = _mm256_fmadd_ps(qd, k[t][1], acc[i][t][1]);
      }
    }
  }
  for (int i = 0; i < Q; i++)
    for (int t = 0; t < G; t++) {
      float *out = qs[i].scores + g[t].j;
      if (g[t].n == 16) {
        _mm256_storeu_ps(out, acc[i][t][0]);
        _mm256_storeu_ps(out + 8, acc[i][t][1]);
      } else {
        float all[16];
        _mm256_storeu_ps(all, acc[i][t][0]);
        _mm256_storeu_ps(all + 8, acc[i][t][1]);
        memcpy(out, all, (size_t)g[t].n * sizeof(float));
      }
    }
}

static inline __attribute__((always_inline)) void nd_score_groups_f2(const nd_attention_job *job, const float *packed,
                                                                     const nd_query *qs, int64_t count,
                                                                     const nd_key_group *g, int ng, const int F) {
  const int64_t hd = job->head_dim, bs = job->block_size, elem = F == ND_KV_F32 ? 4 : 2;
  const int64_t row_bytes = bs * elem;
  int narrow[ND_KEY_GROUPS];
  for (int t = 0; t < ND_KEY_GROUPS; t++) {
    // Keys left in the group's row of the block: a full 16-key load must stay inside it.
    const int64_t column = g[t].j % bs;
    narrow[t] = g[t].n < 16 && bs - column < 16;
  }
  // Whole tiles of 4 queries go over one key group after another, so the group's keys stay in L1
  // for every tile (a group of 16 keys of head_dim 128 is 8 KB); the last, narrower tile after.
  const int64_t full = count / 4 * 4;
  for (int t = 0; t < ng; t++)
    for (int64_t x = 0; x < full; x += 4)
      nd_score_tile2(packed + x * hd, qs + x, g + t, hd, row_bytes, narrow + t, 4, 1, F);
  const int left = (int)(count - full);  // 0 to 3 queries, with as many key groups as 8 accumulators allow
  const int G = left == 1 ? 4 : left == 2 ? 2 : 1;
  const float *qp = packed + full * hd;
  const nd_query *qx = qs + full;
  if (left > 0)
    for (int t = 0; t < ng; t += G) {
      if (left == 1) nd_score_tile2(qp, qx, g + t, hd, row_bytes, narrow + t, 1, 4, F);
      else if (left == 2) nd_score_tile2(qp, qx, g + t, hd, row_bytes, narrow + t, 2, 2, F);
      else nd_score_tile2(qp, qx, g + t, hd, row_bytes, narrow + t, 3, 1, F);
    }
}

void nd_score_groups_avx2(const nd_attention_job *job, const float *const *q, const float *packed, const nd_query *qs,
                          int64_t count, const nd_key_group *g, int ng) {
  (void)q;
  if (job->kv_format == ND_KV_F16) nd_score_groups_f2(job, packed, qs, count, g, ng, ND_KV_F16);
  else if (job->kv_format == ND_KV_BF16) nd_score_groups_f2(job, packed, qs, count, g, ng, ND_KV_BF16);
  else nd_score_groups_f2(job, packed, qs, count, g, ng, ND_KV_F32);
}

// MARK: Values

/// The terms of keys [j, end) of one head's block (`rows`: the row of its key b0) for the G
/// queries, in key order, every key taken by every query (`live`), or only by those whose last
/// it does not pass.
static inline __attribute__((always_inline)) void nd_pv_keys(__m256 acc[2][4], const nd_query *qs, const char *rows,
                                                             int64_t b0, int64_t j, int64_t end, int64_t row_bytes,
                                                             int64_t d0, const int live, const int G, const int V,
                                                             const int F) {
  const int64_t elem = F == ND_KV_F32 ? 4 : 2;
  for (; j < end; j++) {
    const char *v = rows + (j - b0) * row_bytes + d0 * elem;
    __m256 vv[4];
    for (int t = 0; t < V; t++) vv[t] = nd_load8(v + 8 * t * elem, F);
    for (int g = 0; g < G; g++) {
      if (!live && j > qs[g].last) continue;
      const __m256 pj = _mm256_set1_ps(qs[g].scores[j]);
      for (int t = 0; t < V; t++) acc[g][t] = _mm256_fmadd_ps(pj, vv[t], acc[g][t]);
    }
  }
}

/// out[d0 ..< d0 + 8V] += p[j] * v[j] over keys j in [start, stop) of one block for G queries, in key
/// order: keys below `split` taken by every query without a test. G·V <= 8 accumulators, with the V
/// values and a broadcast: no register spilled into a chain through memory, as 3 queries' 12 were.
static inline __attribute__((always_inline)) void nd_pv_chunk(const nd_query *qs, const char *rows, int64_t b0,
                                                              int64_t start, int64_t split, int64_t stop,
                                                              int64_t row_bytes, int64_t d0, const int G, const int V,
                                                              const int F) {
  __m256 acc[2][4];
  for (int g = 0; g < G; g++)
    for (int t = 0; t < V; t++) acc[g][t] = _mm256_loadu_ps(qs[g].out + d0 + 8 * t);
  nd_pv_keys(acc, qs, rows, b0, start, split, row_bytes, d0, 1, G, V, F);
  nd_pv_keys(acc, qs, rows, b0, split, stop, row_bytes, d0, 0, G, V, F);
  for (int g = 0; g < G; g++)
    for (int t = 0; t < V; t++) _mm256_storeu_ps(qs[g].out + d0 + 8 * t, acc[g][t]);
}

/// A block at a time, every query of the task over it (pairs of queries, 32 dimensions at a time)
/// while the head's values of the block (contiguous) stay in L1, instead of every pair streaming
/// all the keys from L2.
static inline __attribute__((always_inline)) void nd_pv_f(const nd_attention_job *job, const nd_query *qs,
                                                          int64_t count, int64_t kvh, const int32_t *table,
                                                          int64_t j0, int64_t j1, const int F) {
  const int64_t hd = job->head_dim, bs = job->block_size, elem = F == ND_KV_F32 ? 4 : 2;
  const int64_t row_bytes = hd * elem, block_bytes = job->kv_heads * bs * row_bytes;
  const char *v_base = (const char *)job->v_cache + kvh * bs * row_bytes;
  for (int64_t b0 = j0 - j0 % bs; b0 < j1; b0 += bs) {
    const char *rows = v_base + (int64_t)table[b0 / bs] * block_bytes;
    const int64_t start = b0 > j0 ? b0 : j0, end = b0 + bs < j1 ? b0 + bs : j1;
    if (b0 + bs < j1) {  // the next block (elsewhere in memory) streams in while this one is summed
      const char *next = v_base + (int64_t)table[b0 / bs + 1] * block_bytes;
      for (int64_t o = 0; o < bs * row_bytes; o += 64) __builtin_prefetch(next + o, 0, 1);
    }
    for (int64_t g0 = 0; g0 < count; g0 += 2) {
      const int G = count - g0 < 2 ? (int)(count - g0) : 2;
      int64_t first_last = qs[g0].last, final_last = qs[g0].last;
      if (G == 2 && qs[g0 + 1].last < first_last) first_last = qs[g0 + 1].last;
      if (G == 2 && qs[g0 + 1].last > final_last) final_last = qs[g0 + 1].last;
      // Keys from `stop` are no query's of the pair; below `split`, both queries'.
      const int64_t stop = final_last + 1 < end ? final_last + 1 : end;
      if (stop <= start) continue;
      const int64_t split = first_last + 1 < start ? start : first_last + 1 < stop ? first_last + 1 : stop;
      for (int64_t d0 = 0; d0 < hd; d0 += 32) {
        const int V = hd - d0 < 32 ? (int)((hd - d0) / 8) : 4;
#define ND_PV2(GG, VV) nd_pv_chunk(qs + g0, rows, b0, start, split, stop, row_bytes, d0, GG, VV, F)
#define ND_PV2_V(GG)                   \
        switch (V) {                   \
          case 1: ND_PV2(GG, 1); break;  \
          case 2: ND_PV2(GG, 2); break;  \
          case 3: ND_PV2(GG, 3); break;  \
          default: ND_PV2(GG, 4); break; \
        }
        if (G == 1) ND_PV2_V(1)
        else ND_PV2_V(2)
#undef ND_PV2_V
#undef ND_PV2
      }
    }
  }
}

void nd_pv_avx2(const nd_attention_job *job, const nd_query *qs, int64_t count, int64_t kvh, const int32_t *table,
                int64_t j0, int64_t j1) {
  if (j1 <= j0) return;
  if (job->head_dim % 8 != 0) {
    nd_pv_generic(job, qs, count, kvh, table, j0, j1);
    return;
  }
  if (job->kv_format == ND_KV_F16) nd_pv_f(job, qs, count, kvh, table, j0, j1, ND_KV_F16);
  else if (job->kv_format == ND_KV_BF16) nd_pv_f(job, qs, count, kvh, table, j0, j1, ND_KV_BF16);
  else nd_pv_f(job, qs, count, kvh, table, j0, j1, ND_KV_F32);
}

ND_AVX2_END

#endif
