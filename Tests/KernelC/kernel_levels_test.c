// Every kernel level this CPU supports against the generic level (and the per-row
// attention reference), bit for bit, over odd shapes: the C kernels' own test, built by
// Ops/kernel-test (plainly, under the address sanitizer, and with an aarch64 cross
// compiler under qemu-user). Prints one line per check that failed and a summary; exits
// 1 on any mismatch, 2 when it checked nothing.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "NightdeskKernels.h"

static int failures = 0, checks = 0;

static uint64_t rng_state = 88172645463325252ull;
static float rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (float)((int64_t)(rng_state >> 11) % 2000 - 1000) / 997.0f;
}
static void fill(float *x, int64_t n, float scale) {
  for (int64_t i = 0; i < n; i++) x[i] = rnd() * scale;
}

static void expect_same(const char *what, int level, const float *got, const float *want, int64_t n) {
  checks++;
  for (int64_t i = 0; i < n; i++) {
    uint32_t a, b;
    memcpy(&a, &got[i], 4);
    memcpy(&b, &want[i], 4);
    if (a != b) {
      failures++;
      printf("FAIL %s at level %s: element %lld is %.9g, expected %.9g\n", what, nd_level_name(level), (long long)i,
             got[i], want[i]);
      return;
    }
  }
}

// MARK: Products

static void test_products(int level) {
  const nd_kernel_table *t = nd_kernels_at(level), *g = nd_kernels_at(ND_LEVEL_GENERIC);
  static const int64_t shapes[][3] = {{1, 5, 64}, {7, 9, 576}, {13, 6, 37}, {64, 33, 1536}, {37, 12, 1000},
                                      {100, 7, 1536}, {3, 2, 17}, {5, 1, 15}, {2, 3, 1}};
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    const int64_t m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
    float *a = malloc(sizeof(float) * m * k), *w = malloc(sizeof(float) * n * k);
    float *c = malloc(sizeof(float) * m * n), *r = malloc(sizeof(float) * m * n);
    fill(a, m * k, 1);
    fill(w, n * k, 1);
    fill(c, m * n, 1);
    memcpy(r, c, sizeof(float) * m * n);
    char what[64];
    snprintf(what, sizeof what, "matmul %lldx%lldx%lld", (long long)m, (long long)n, (long long)k);
    nd_matmul_nt_with(t, a, k, w, k, c, n, m, n, k, 1);
    nd_matmul_nt_ref(a, k, w, k, r, n, m, n, k, 1);
    expect_same(what, level, c, r, m * n);
    for (int64_t i = 0; i < m; i++) {
      float d = nd_dot_fixed_with(t, a + i * k, w, k), e = nd_dot_fixed_ref(a + i * k, w, k);
      expect_same("dot_fixed", level, &d, &e, 1);
    }
    free(a); free(w); free(c); free(r);
  }
  (void)g;
}

// Quantized rows: random bytes are valid blocks once the f16 scales are made finite.
static const int64_t block_elems[11] = {1, 1, 1, 32, 32, 32, 32, 32, 256, 256, 256};
static const int64_t block_bytes[11] = {4, 2, 2, 18, 20, 22, 24, 34, 144, 176, 210};
static const char *type_names[11] = {"f32", "f16", "bf16", "q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q4_K", "q5_K", "q6_K"};

static void sane_scales(int type, uint8_t *blk) {
  // f16 scales near 0.01 ... 0.1 with random signs for d, positive min: always finite.
  uint16_t h = (uint16_t)(0x2000 + (rng_state & 0x7FF));
  switch (type) {
    case 3: case 5: case 7: memcpy(blk, &h, 2); break;
    case 4: case 6: memcpy(blk, &h, 2); memcpy(blk + 2, &h, 2); break;
    case 8: case 9: memcpy(blk, &h, 2); memcpy(blk + 2, &h, 2); break;
    case 10: memcpy(blk + 208, &h, 2); break;
    default: break;
  }
}

static void random_rows(int type, uint8_t *w, int64_t rows, int64_t n) {
  const int64_t row_bytes = n / block_elems[type] * block_bytes[type];
  for (int64_t i = 0; i < rows * row_bytes; i++) {
    rnd();
    w[i] = (uint8_t)(rng_state >> 24);
  }
  if (type == 0) for (int64_t i = 0; i < rows * n; i++) ((float *)w)[i] = rnd();
  if (type == 1 || type == 2)
    for (int64_t i = 0; i < rows * n; i++) {
      rnd();
      ((uint16_t *)w)[i] = (uint16_t)((type == 1 ? 0x3000 : 0x3E00) + (rng_state & 0x3FF)) | (uint16_t)((rng_state >> 20 & 1) << 15);
    }
  if (type >= 3)
    for (int64_t r = 0; r < rows; r++)
      for (int64_t b = 0; b < n / block_elems[type]; b++) sane_scales(type, w + r * row_bytes + b * block_bytes[type]);
}

static void test_quants(int level) {
  for (int type = 0; type < 11; type++) {
    const int64_t sizes[3] = {256, 512, block_elems[type] == 1 ? 37 : 768};
    for (int s = 0; s < 3; s++) {
      const int64_t n = sizes[s], rows = 11, row_bytes = n / block_elems[type] * block_bytes[type];
      uint8_t *w = malloc((size_t)(rows * row_bytes));
      float *x = malloc(sizeof(float) * n), *y = malloc(sizeof(float) * rows), *z = malloc(sizeof(float) * rows);
      float *d1 = malloc(sizeof(float) * n), *d2 = malloc(sizeof(float) * n);
      random_rows(type, w, rows, n);
      fill(x, n, 1);
      nd_quant_kernels fast = nd_quant_kernels_for(type, level), ref = nd_quant_kernels_for(type, ND_LEVEL_GENERIC);
      char what[64];
      snprintf(what, sizeof what, "%s matvec n=%lld", type_names[type], (long long)n);
      fast.matvec(w, row_bytes, rows, x, n, y);
      ref.matvec(w, row_bytes, rows, x, n, z);
      expect_same(what, level, y, z, rows);
      snprintf(what, sizeof what, "%s dot n=%lld", type_names[type], (long long)n);
      float a = fast.dot(w, x, n), b = ref.dot(w, x, n);
      expect_same(what, level, &a, &b, 1);
      snprintf(what, sizeof what, "%s dequantize n=%lld", type_names[type], (long long)n);
      fast.dequantize(w, d1, n);
      ref.dequantize(w, d2, n);
      expect_same(what, level, d1, d2, n);
      // The fused dot equals the fixed-order product of the dequantized row.
      float e = nd_dot_fixed_ref(d2, x, n);
      snprintf(what, sizeof what, "%s dot vs dequantize+dot n=%lld", type_names[type], (long long)n);
      expect_same(what, level, &a, &e, 1);
      free(w); free(x); free(y); free(z); free(d1); free(d2);
    }
  }
}

// MARK: Row operations

static void test_rows(int level) {
  const nd_kernel_table *t = nd_kernels_at(level), *g = nd_kernels_at(ND_LEVEL_GENERIC);
  enum { N = 4003 };
  float *x = malloc(sizeof(float) * N), *y = malloc(sizeof(float) * N), *z = malloc(sizeof(float) * N);
  for (int i = 0; i < N; i++) x[i] = (float)i / 20.0f - 105.0f;  // the clamps, subnormal results, overflow
  nd_exp_with(t, x, y, N);
  nd_exp_with(g, x, z, N);
  expect_same("exp", level, y, z, N);
  float *u = malloc(sizeof(float) * N), *y2 = malloc(sizeof(float) * N);
  fill(u, N, 3);
  for (int i = 0; i < N; i++) y[i] = y2[i] = rnd() * 12;
  nd_silu_mul_with(t, y, u, N);
  nd_silu_mul_with(g, y2, u, N);
  expect_same("silu_mul", level, y, y2, N);
  for (int64_t n = 0; n < 40; n++) {
    for (int64_t i = 0; i < n; i++) x[i] = roundf(rnd() * 3);
    if (n > 20) x[n / 3] = NAN;
    float a = (float)nd_argmax_with(t, x, n), b = (float)nd_argmax_with(g, x, n);
    expect_same("argmax", level, &a, &b, 1);
  }
  free(x); free(y); free(z); free(u); free(y2);
}

// MARK: Attention

typedef struct {
  int64_t head_dim, heads, kv_heads, block_size;
  int format;
} shape;

/// Rows of one step: two prefill tiles of one sequence (the second over some 130 keys: more key
/// groups than one pass takes), then decode rows of sequences whose tables share their first
/// blocks (a cached prefix) and diverge, and one alone; positions leave partial last blocks.
static void test_attention_shape(int level, shape s, int threads) {
  const int64_t hd = s.head_dim, bs = s.block_size;
  const int64_t blocks_per_table = 140 / bs + 2, tables_n = 5;
  const int64_t blocks = 8 + tables_n * blocks_per_table;
  int32_t *tables = malloc(sizeof(int32_t) * tables_n * blocks_per_table);
  for (int64_t t = 0; t < tables_n; t++)
    for (int64_t b = 0; b < blocks_per_table; b++)
      tables[t * blocks_per_table + b] = (int32_t)(1 <= t && t <= 3 && b < 2 ? 1 + b : 8 + t * blocks_per_table + b);
  enum { ROWS = 24 };
  int64_t row_table[ROWS], positions[ROWS];
  for (int r = 0; r < 19; r++) { row_table[r] = 0; positions[r] = r < 10 ? 2 + r : 120 + r; }
  const int64_t decode_pos[5] = {bs * 2 + 3, bs * 2 + 1, bs + 5, 70, bs * 2};
  const int64_t decode_table[5] = {1, 2, 3, 4, 1};
  for (int r = 0; r < 5; r++) { row_table[19 + r] = decode_table[r]; positions[19 + r] = decode_pos[r]; }
  const int64_t token_width = s.kv_heads * hd, elements = blocks * bs * token_width;
  const int64_t elem = s.format == ND_KV_F32 ? 4 : 2;
  void *k = malloc((size_t)(elements * elem)), *v = malloc((size_t)(elements * elem));
  float *src = malloc(sizeof(float) * elements);
  fill(src, elements, 1);
  nd_kv_store(src, k, elements, s.format);
  fill(src, elements, 3);
  nd_kv_store(src, v, elements, s.format);
  const int64_t width = s.heads * hd;
  float *q = malloc(sizeof(float) * ROWS * width);
  fill(q, ROWS * width, 4);
  const int32_t *row_tables[ROWS];
  for (int r = 0; r < ROWS; r++) row_tables[r] = tables + row_table[r] * blocks_per_table;
  int64_t max_pos = 0;
  for (int r = 0; r < ROWS; r++) if (positions[r] > max_pos) max_pos = positions[r];
  const int64_t per_thread = nd_attention_scratch_floats(max_pos + 1, bs, hd);
  float *scratch = malloc(sizeof(float) * per_thread * threads);
  float *out = malloc(sizeof(float) * ROWS * width), *ref = malloc(sizeof(float) * ROWS * width);
  nd_attention_job job = {.rows = ROWS, .heads = s.heads, .kv_heads = s.kv_heads, .head_dim = hd, .block_size = bs,
                          .q = q, .out = ref, .k_cache = k, .v_cache = v, .kv_format = s.format,
                          .positions = positions, .block_tables = row_tables, .scale = 1.0f / sqrtf((float)hd),
                          .scratch = scratch, .scratch_per_thread = per_thread};
  nd_attention_ref(&job);
  job.out = out;
  nd_pool *pool = nd_pool_create(threads, 0);
  nd_attention_with(nd_kernels_at(level), pool, &job);
  char what[128];
  snprintf(what, sizeof what, "attention head_dim %lld, %lld/%lld heads, blocks of %lld, format %d, %d threads",
           (long long)hd, (long long)s.heads, (long long)s.kv_heads, (long long)bs, s.format, threads);
  expect_same(what, level, out, ref, ROWS * width);
  // Each decode row alone gives the same bits.
  for (int r = 19; r < ROWS; r++) {
    nd_attention_job one = job;
    one.rows = 1;
    one.q = q + r * width;
    one.out = out;
    one.positions = positions + r;
    one.block_tables = row_tables + r;
    nd_attention_with(nd_kernels_at(level), pool, &one);
    expect_same("attention, a decode row alone", level, out, ref + r * width, width);
  }
  nd_pool_destroy(pool);
  free(tables); free(k); free(v); free(src); free(q); free(scratch); free(out); free(ref);
}

static void test_attention(int level) {
  const int64_t head_dims[] = {64, 80, 128, 32, 40};
  const int64_t block_sizes[] = {16, 32, 5};
  const int64_t groups[] = {1, 2, 3, 4, 5, 6, 7, 8};
  int formats[] = {ND_KV_F32, ND_KV_F16, ND_KV_BF16};
  int count = 0;
  for (size_t h = 0; h < 5; h++)
    for (size_t b = 0; b < 3; b++)
      for (size_t g = 0; g < 8; g++) {
        const int64_t kv = g % 2 ? 1 : 2;
        shape s = {.head_dim = head_dims[h], .heads = groups[g] * kv, .kv_heads = kv, .block_size = block_sizes[b],
                   .format = formats[count++ % 3]};
        test_attention_shape(level, s, 1 + (int)(count % 2));
      }
}

// MARK: Linear layers

/// nd_linear at `level` (decoded tiles, few rows dotted in place, bias, accumulate, several
/// jobs in one region, 1 and 2 threads) against the fixed-order product of the
/// dequantized weights, computed here one output at a time.
static void test_linear(int level) {
  const nd_kernel_table *t = nd_kernels_at(level);
  const int types[] = {0, 2, 4, 7, 8, 10};
  const int64_t ms[] = {1, 3, 4, 5, 37, 130};
  for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
    const int type = types[ti];
    const int64_t k = 256, n = 45, row_bytes = k / block_elems[type] * block_bytes[type];
    uint8_t *w = malloc((size_t)(n * row_bytes));
    random_rows(type, w, n, k);
    nd_quant_kernels q = nd_quant_kernels_for(type, level);
    float *decoded = malloc(sizeof(float) * n * k), *bias = malloc(sizeof(float) * n);
    nd_quant_kernels ref = nd_quant_kernels_for(type, ND_LEVEL_GENERIC);
    for (int64_t r = 0; r < n; r++) ref.dequantize(w + r * row_bytes, decoded + r * k, k);
    fill(bias, n, 1);
    for (size_t mi = 0; mi < sizeof ms / sizeof ms[0]; mi++) {
      const int64_t m = ms[mi];
      for (int threads = 1; threads <= 2; threads++) {
        float *x = malloc(sizeof(float) * m * k), *y = malloc(sizeof(float) * m * 2 * n);
        float *want = malloc(sizeof(float) * m * 2 * n);
        fill(x, m * k, 1);
        fill(y, m * 2 * n, 1);
        memcpy(want, y, sizeof(float) * m * 2 * n);
        // Two jobs over the same rows: one accumulating with a bias into columns [0, n), one plain into [n, 2n).
        nd_linear_job jobs[2] = {
          {.weights = w, .row_bytes = row_bytes, .decode = type == 0 ? NULL : q.dequantize, .matvec = q.matvec,
           .n = n, .k = k, .x = x, .ldx = k, .y = y, .ldy = 2 * n, .bias = bias, .accumulate = 1},
          {.weights = w, .row_bytes = row_bytes, .decode = type == 0 ? NULL : q.dequantize, .matvec = q.matvec,
           .n = n, .k = k, .x = x, .ldx = k, .y = y + n, .ldy = 2 * n, .bias = NULL, .accumulate = 0},
        };
        const int64_t per_thread = nd_linear_scratch_floats(k);
        float *scratch = malloc(sizeof(float) * per_thread * threads);
        nd_pool *pool = nd_pool_create(threads, 0);
        checks++;
        if (nd_linear_with(t, pool, jobs, 2, m, scratch, per_thread) != 0) {
          failures++;
          printf("FAIL linear: nd_linear refused its scratch at level %s\n", nd_level_name(level));
        }
        nd_pool_destroy(pool);
        for (int64_t i = 0; i < m; i++)
          for (int64_t j = 0; j < n; j++) {
            const float d = nd_dot_fixed_ref(x + i * k, decoded + j * k, k);
            want[i * 2 * n + j] = (want[i * 2 * n + j] + d) + bias[j];
            want[i * 2 * n + n + j] = d;
          }
        char what[64];
        snprintf(what, sizeof what, "linear %s m=%lld, %d threads", type_names[type], (long long)m, threads);
        expect_same(what, level, y, want, m * 2 * n);
        free(x); free(y); free(want); free(scratch);
      }
    }
    free(w); free(decoded); free(bias);
  }
}

// MARK: 8-bit activations

#if defined(__x86_64__)
// The AVX2 level's two products: its table holds only the one this CPU prefers, so the
// maddubs one would go untested on a CPU with AVX-VNNI unless called by name.
void nd_q8act_matmul_avx2(int type, const void *packed, int64_t r0, int64_t r1, const void *xq, int64_t m, int64_t k,
                          float *y, int64_t ldy, int accumulate);
void nd_q8act_matmul_avxvnni(int type, const void *packed, int64_t r0, int64_t r1, const void *xq, int64_t m,
                             int64_t k, float *y, int64_t ldy, int accumulate);
#endif

typedef void q8_product(int type, const void *packed, int64_t r0, int64_t r1, const void *xq, int64_t m, int64_t k,
                        float *y, int64_t ldy, int accumulate);
typedef struct {
  const char *name;
  q8_product *run;  // NULL: the level's table
} q8_kernel;

/// The products test_q8act checks at `level`: the table's, and at the AVX2 level every x86 one this CPU runs.
static int q8_kernels(int level, q8_kernel out[3]) {
  int count = 0;
  out[count++] = (q8_kernel){nd_q8act_kernel_name(level), NULL};
#if defined(__x86_64__)
  if (level == ND_LEVEL_AVX2) {
    out[count++] = (q8_kernel){"avx2 by name", nd_q8act_matmul_avx2};
    if (nd_cpu_has("avxvnni")) out[count++] = (q8_kernel){"avx-vnni by name", nd_q8act_matmul_avxvnni};
  }
#endif
  return count;
}

/// Random rows, plus the blocks the quantizer treats specially: row 1 has max 127 and halves
/// (d = 1, so every code is a rounding tie), the last row ends in a zero block (d = 0), and
/// row 2 is all codes ±127 (a block's sign alternating), the most an int16 sum takes.
static void q8_activations(float *x, int64_t m, int64_t k) {
  fill(x, m * k, 2);
  if (m >= 2)
    for (int64_t e = 0; e < k; e++) x[k + e] = e % 32 == 0 ? 127.0f : (float)(int)(rnd() * 126) + 0.5f;
  if (m >= 4)
    for (int64_t e = 0; e < k; e++) x[2 * k + e] = e / 32 % 2 ? -1.0f : 1.0f;
  if (m >= 3) memset(x + m * k - 32, 0, sizeof(float) * 32);
}

/// Weight rows 0 and 1 at the integer extremes (Q8_0: 127 and -128; Q4: nibbles 15 and 0; Q4_K's
/// (and Q5_K's) nibbles and Q6_K's 6-bit integers all highest or all 0, Q6_K's scales 127 or -128), where a
/// product that saturates in int16 goes wrong.
static void q8_extreme_weights(int type, uint8_t *w, int64_t rows, int64_t k) {
  const int64_t row_bytes = k / block_elems[type] * block_bytes[type];
  const int64_t head = type == 4 ? 4 : type == 8 || type == 9 ? 16 : type == 10 ? 0 : 2;
  const int64_t body = type == 10 ? 192 : block_bytes[type] - head;
  for (int64_t r = 0; r < 2 && r < rows; r++)
    for (int64_t b = 0; b < k / block_elems[type]; b++) {
      uint8_t *q = w + r * row_bytes + b * block_bytes[type];
      memset(q + head, type == 7 ? (r ? 0x80 : 0x7F) : (r ? 0x00 : 0xFF), (size_t)body);
      if (type == 10) memset(q + 192, r ? 0x80 : 0x7F, 16);
    }
}

static void test_q8act(int level) {
  const nd_kernel_table *t = nd_kernels_at(level);
  q8_kernel kernels[3];
  const int kernel_count = q8_kernels(level, kernels);
  const int kernel_types[6] = {3, 4, 7, 8, 9, 10};
  const int64_t ks[5] = {32, 256, 576, 1536, 2560}, row_counts[4] = {1, 16, 37, 70}, ms[7] = {1, 2, 3, 4, 5, 9, 13};
  for (int ti = 0; ti < 6; ti++)
    for (int ki = 0; ki < 5; ki++)
      for (int ri = 0; ri < 4; ri++) {
        const int type = kernel_types[ti], q8 = nd_q8act_type_for_kernel_index(type);
        const int64_t k = ks[ki], rows = row_counts[ri], row_bytes = k / block_elems[type] * block_bytes[type];
        // K-quant rows are whole 256-element super-blocks; the 32-element formats skip the longest row.
        if (k % block_elems[type] != 0 || (block_elems[type] == 32 && k == 2560)) continue;
        uint8_t *w = malloc((size_t)(rows * row_bytes));
        random_rows(type, w, rows, k);
        q8_extreme_weights(type, w, rows, k);
        void *packed = aligned_alloc(64, (size_t)((nd_q8act_packed_bytes(q8, rows, k) + 63) & ~63));
        nd_q8act_pack(q8, w, row_bytes, rows, k, packed);
        // All rows; a middle range ending inside a half panel; the last panel alone.
        const int64_t mid = (rows - 1) / 2 / 16 * 16;
        const int64_t ranges[3][2] = {{0, rows}, {mid, mid + (rows - mid + 1) / 2}, {rows / 16 * 16, rows}};
        for (int mi = 0; mi < 7; mi++) {
          const int64_t m = ms[mi], xrow = nd_q8act_row_bytes(k);
          float *x = malloc(sizeof(float) * m * k);
          q8_activations(x, m, k);
          uint8_t *xq = aligned_alloc(64, (size_t)(m * xrow)), *xr = aligned_alloc(64, (size_t)(m * xrow));
          nd_q8act_quantize_with(t, x, k, m, k, nd_q8act_span(q8), xq);
          nd_q8act_quantize_ref(x, k, m, k, nd_q8act_span(q8), xr);
          checks++;
          if (memcmp(xq, xr, (size_t)(m * xrow)) != 0) {
            failures++;
            printf("FAIL q8act quantize k=%lld m=%lld at level %s\n", (long long)k, (long long)m, nd_level_name(level));
          }
          float *start = malloc(sizeof(float) * m * rows), *want = malloc(sizeof(float) * m * rows);
          float *got = malloc(sizeof(float) * m * rows);
          for (int ra = 0; ra < 3; ra++) {
            const int64_t r0 = ranges[ra][0], r1 = ranges[ra][1];
            if (r0 >= r1 || (ra > 0 && r0 == 0 && r1 == rows)) continue;
            for (int accumulate = 0; accumulate < 2; accumulate++) {
              // Outputs outside r0..r1 must keep their values: the whole matrix is compared.
              fill(start, m * rows, 1);
              memcpy(want, start, sizeof(float) * m * rows);
              nd_q8act_matmul_ref(q8, w + r0 * row_bytes, row_bytes, r1 - r0, xr, m, k, want + r0, rows, accumulate);
              for (int ki2 = 0; ki2 < kernel_count; ki2++) {
                memcpy(got, start, sizeof(float) * m * rows);
                if (kernels[ki2].run) kernels[ki2].run(q8, packed, r0, r1, xr, m, k, got, rows, accumulate);
                else nd_q8act_matmul_with(t, q8, packed, r0, r1, xr, m, k, got, rows, accumulate);
                char what[128];
                snprintf(what, sizeof what, "q8act %s matmul (%s) k=%lld rows=%lld..%lld of %lld m=%lld accumulate=%d",
                         type_names[type], kernels[ki2].name, (long long)k, (long long)r0, (long long)r1,
                         (long long)rows, (long long)m, accumulate);
                expect_same(what, level, got, want, m * rows);
              }
            }
          }
          free(x); free(xq); free(xr); free(start); free(want); free(got);
        }
        free(w); free(packed);
      }
}

int main(void) {
  int levels = 0;
  for (int level = 0; level < ND_LEVEL_COUNT; level++) {
    char missing[128];
    if (nd_level_missing(level, missing, sizeof missing)) {
      printf("level %s: not on this CPU (lacks %s), skipped\n", nd_level_name(level), missing);
      continue;
    }
    const int before = checks, failed = failures;
    test_products(level);
    test_quants(level);
    test_rows(level);
    test_attention(level);
    test_linear(level);
    test_q8act(level);
    printf("level %s (8-bit activations: %s): %d checks, %d failed\n", nd_level_name(level),
           nd_q8act_kernel_name(level), checks - before, failures - failed);
    levels++;
  }
  printf("kernel levels: %d tested, %d checks, %d failed\n", levels, checks, failures);
  if (checks == 0) return 2;
  return failures ? 1 : 0;
}
