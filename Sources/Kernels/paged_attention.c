// Causal attention of query rows over their sequence's keys in the paged KV
// cache. A task is one head of a tile of consecutive rows of one sequence:
// scores come from the fixed-order product (each score equals nd_dot_fixed of
// its query and key), softmax runs per row over keys 0 ... position, and the
// values are summed in key order. No step of a row depends on the rows beside
// it, so prefilling a prompt in one chunk or many gives the same bits.
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <immintrin.h>

#include "nd_forward.h"
#include "nd_quants.h"

#define ND_ATTENTION_TILE 32

typedef struct {
  const nd_attention_job *job;
  const int64_t *tile_start;  // [tiles + 1] first row of each tile
  int64_t tiles;
} nd_attention_ctx;

int64_t nd_attention_scratch_floats(int64_t max_keys, int64_t block_size, int64_t head_dim) {
  // scores [tile][keys rounded up], then one block of keys widened to float32
  return ND_ATTENTION_TILE * ((max_keys + 15) & ~(int64_t)15) + block_size * head_dim;
}

static inline float nd_f16_scalar(uint16_t h) { return nd_f16_to_f32(h); }
static inline float nd_bf16_scalar(uint16_t h) {
  uint32_t bits = (uint32_t)h << 16;
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

/// Element i of a cached vector in `format`, as float32 (exact).
static inline float nd_kv_load1(const void *p, int64_t i, int format) {
  switch (format) {
    case ND_KV_F16: return nd_f16_scalar(((const uint16_t *)p)[i]);
    case ND_KV_BF16: return nd_bf16_scalar(((const uint16_t *)p)[i]);
    default: return ((const float *)p)[i];
  }
}

/// IEEE half of a float's bits, rounded to nearest even (overflow to infinity, NaN kept).
static uint16_t nd_f32_to_f16(uint32_t x) {
  const uint32_t sign = (x >> 16) & 0x8000u, exponent = (x >> 23) & 0xFFu;
  uint32_t mantissa = x & 0x7FFFFFu;
  if (exponent == 0xFF) return (uint16_t)(sign | 0x7C00u | (mantissa ? 0x200u : 0));
  const int e = (int)exponent - 127 + 15;
  if (e >= 31) return (uint16_t)(sign | 0x7C00u);
  uint32_t shift, half;
  if (e <= 0) {  // subnormal half (or zero)
    if (e < -10) return (uint16_t)sign;
    mantissa |= 0x800000u;
    shift = (uint32_t)(14 - e);
    half = mantissa >> shift;
  } else {
    shift = 13;
    half = ((uint32_t)e << 10) | (mantissa >> 13);
  }
  const uint32_t rest = mantissa & ((1u << shift) - 1), midpoint = 1u << (shift - 1);
  if (rest > midpoint || (rest == midpoint && (half & 1u))) half++;  // may carry into the exponent: correct
  return (uint16_t)(sign | half);
}

void nd_kv_store(const float *src, void *dst, int64_t n, int format) {
  if (format == ND_KV_F32) {
    memcpy(dst, src, (size_t)n * sizeof(float));
    return;
  }
  uint16_t *out = dst;
  for (int64_t i = 0; i < n; i++) {
    uint32_t bits;
    memcpy(&bits, &src[i], 4);
    if (format == ND_KV_BF16) {
      if ((bits & 0x7FFFFFFFu) > 0x7F800000u) out[i] = (uint16_t)((bits >> 16) | 0x40);  // keep NaN a NaN
      else out[i] = (uint16_t)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
    } else {
      out[i] = nd_f32_to_f16(bits);
    }
  }
}

#if defined(__AVX512F__)
// P·V for up to G consecutive rows (row g at position first + g) with head_dim 16·V,
// accumulators in registers; each element sums its terms in key order, as the
// scalar loop does.
static inline __attribute__((always_inline)) __m512 nd_kv_load16(const void *p, int64_t i, const int format) {
  if (format == ND_KV_F16) return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)((const uint16_t *)p + i)));
  if (format == ND_KV_BF16)
    return _mm512_castsi512_ps(_mm512_slli_epi32(
        _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)((const uint16_t *)p + i))), 16));
  return _mm512_loadu_ps((const float *)p + i);
}

static inline __attribute__((always_inline)) void nd_pv_rows(
    const float *scores, int64_t lds, int64_t n, int64_t first, const char *v_base, const int32_t *table,
    int64_t bs, int64_t token_bytes, float *out, int64_t out_stride, const int G, const int V, const int F) {
  __m512 acc[8][8];
  for (int g = 0; g < G; g++)
    for (int t = 0; t < V; t++) acc[g][t] = _mm512_setzero_ps();
  const int64_t keys = first + n;  // keys the last row sees
  for (int64_t j = 0; j < keys; j++) {
    const char *v = v_base + ((int64_t)table[j / bs] * bs + j % bs) * token_bytes;
    __m512 vv[8];
    for (int t = 0; t < V; t++) vv[t] = nd_kv_load16(v, 16 * t, F);
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
  const int format = job->kv_format;
  const int64_t elem = format == ND_KV_F32 ? 4 : 2, token_bytes = token_stride * elem;
  const int32_t *table = job->block_tables[r0];
  const int64_t max_keys = job->positions[r0 + rows - 1] + 1;
  const int64_t lds = (max_keys + 15) & ~(int64_t)15;
  float *scores = job->scratch + (int64_t)thread * job->scratch_per_thread;  // [rows][lds]
  float *widened = scores + ND_ATTENTION_TILE * lds;                         // [block_size][head_dim]
  const float *q = job->q + r0 * q_stride + head * hd;

  for (int64_t j0 = 0; j0 < max_keys; j0 += bs) {
    const int64_t keys = max_keys - j0 < bs ? max_keys - j0 : bs;
    const char *k = (const char *)job->k_cache + ((int64_t)table[j0 / bs] * bs * token_stride + kvh * hd) * elem;
    if (format == ND_KV_F32) {
      nd_matmul_nt(q, q_stride, (const float *)k, token_stride, scores + j0, lds, rows, keys, hd, 0);
    } else {
      for (int64_t j = 0; j < keys; j++)
        for (int64_t d = 0; d < hd; d++) widened[j * hd + d] = nd_kv_load1(k + j * token_bytes, d, format);
      nd_matmul_nt(q, q_stride, widened, hd, scores + j0, lds, rows, keys, hd, 0);
    }
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
  const char *v_base = (const char *)job->v_cache + kvh * hd * elem;
  float *out = job->out + r0 * q_stride + head * hd;
  const int64_t first = job->positions[r0];
#if defined(__AVX512F__)
  if (hd == 64 || hd == 128 || hd == 32) {
    const int64_t group = 256 / hd;  // rows whose 16-lane accumulators fill 16 registers
    for (int64_t g0 = 0; g0 < rows; g0 += group) {
      const int64_t n = rows - g0 < group ? rows - g0 : group;
      const float *sg = scores + g0 * lds;
      float *og = out + g0 * q_stride;
#define ND_PV(G, V, F) nd_pv_rows(sg, lds, n, first + g0, v_base, table, bs, token_bytes, og, q_stride, G, V, F)
#define ND_PV_FORMATS(G, V)                                 \
      if (format == ND_KV_F16) ND_PV(G, V, ND_KV_F16);      \
      else if (format == ND_KV_BF16) ND_PV(G, V, ND_KV_BF16); \
      else ND_PV(G, V, ND_KV_F32);
      if (hd == 64) { ND_PV_FORMATS(4, 4) }
      else if (hd == 128) { ND_PV_FORMATS(2, 8) }
      else { ND_PV_FORMATS(8, 2) }
#undef ND_PV_FORMATS
#undef ND_PV
    }
    return;
  }
#endif
  for (int64_t j = 0; j < max_keys; j++) {
    const char *v = v_base + ((int64_t)table[j / bs] * bs + j % bs) * token_bytes;
    for (int64_t i = 0; i < rows; i++) {
      if (j > job->positions[r0 + i]) continue;
      const float p = scores[i * lds + j];
      float *o = out + i * q_stride;
      for (int64_t d = 0; d < hd; d++) o[d] = __builtin_fmaf(p, nd_kv_load1(v, d, format), o[d]);
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
