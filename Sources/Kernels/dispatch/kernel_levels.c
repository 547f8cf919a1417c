// The tables of the kernel levels, filled once, and the public entry points that run
// the process's level (nd_level_active) or a given one.
#include <stdatomic.h>

#include "../kernel_table.h"

static nd_kernel_table tables[ND_LEVEL_COUNT];
static atomic_int filled[ND_LEVEL_COUNT];

static void nd_fill(int level, nd_kernel_table *t) {
  nd_fill_generic(t);
#if defined(__x86_64__)
  if (level >= ND_LEVEL_AVX2) nd_fill_avx2(t);
  if (level >= ND_LEVEL_AVX512) nd_fill_avx512(t);
#endif
  t->level = level;
}

const nd_kernel_table *nd_kernels_at(int level) {
  if (level == ND_LEVEL_ACTIVE) level = nd_level_active();
  if (level < 0 || level >= ND_LEVEL_COUNT) return NULL;
  // The common case, every call after the first: a filled table (the CPU can run it).
  if (atomic_load_explicit(&filled[level], memory_order_acquire)) return &tables[level];
  if (!nd_level_supported(level)) return NULL;
  // Racing first callers fill the same entries with the same values; the flag orders
  // the complete table before any reader that sees it set.
  nd_kernel_table fresh;
  nd_fill(level, &fresh);
  tables[level] = fresh;
  atomic_store_explicit(&filled[level], 1, memory_order_release);
  return &tables[level];
}

int nd_kernels_level(const nd_kernel_table *table) { return table->level; }

static const nd_kernel_table *active(void) { return nd_kernels_at(ND_LEVEL_ACTIVE); }

nd_quant_kernels nd_quant_kernels_for(int type, int level) {
  const nd_kernel_table *t = nd_kernels_at(level);
  if (!t || type < 0 || type >= ND_QUANT_TYPE_COUNT) return (nd_quant_kernels){0, 0, 0};
  return t->quants[type];
}

float nd_dot_fixed_with(const nd_kernel_table *t, const float *a, const float *b, int64_t n) {
  return t->dot_fixed(a, b, n);
}
float nd_dot_fixed(const float *a, const float *b, int64_t n) { return active()->dot_fixed(a, b, n); }

void nd_matmul_nt_with(const nd_kernel_table *t, const float *a, int64_t lda, const float *w, int64_t ldw, float *c,
                       int64_t ldc, int64_t m, int64_t n, int64_t k, int accumulate) {
  t->matmul_nt(a, lda, w, ldw, c, ldc, m, n, k, accumulate);
}
void nd_matmul_nt(const float *a, int64_t lda, const float *w, int64_t ldw, float *c, int64_t ldc, int64_t m,
                  int64_t n, int64_t k, int accumulate) {
  active()->matmul_nt(a, lda, w, ldw, c, ldc, m, n, k, accumulate);
}

void nd_exp_with(const nd_kernel_table *t, const float *x, float *y, int64_t count) { t->exp(x, y, count); }
void nd_exp(const float *x, float *y, int64_t count) { active()->exp(x, y, count); }

void nd_silu_mul_with(const nd_kernel_table *t, float *g, const float *u, int64_t count) { t->silu_mul(g, u, count); }
void nd_silu_mul(float *g, const float *u, int64_t count) { active()->silu_mul(g, u, count); }

int64_t nd_argmax_with(const nd_kernel_table *t, const float *x, int64_t n) { return t->argmax(x, n); }
int64_t nd_argmax(const float *x, int64_t n) { return active()->argmax(x, n); }

void nd_q8act_quantize_with(const nd_kernel_table *t, const float *x, int64_t ldx, int64_t m, int64_t k, int64_t span,
                            void *dst) {
  t->q8_quantize(x, ldx, m, k, span, dst);
}
void nd_q8act_quantize(const float *x, int64_t ldx, int64_t m, int64_t k, int64_t span, void *dst) {
  active()->q8_quantize(x, ldx, m, k, span, dst);
}

void nd_q8act_matmul_with(const nd_kernel_table *t, int type, const void *packed, int64_t r0, int64_t r1,
                          const void *xq, int64_t m, int64_t k, float *y, int64_t ldy, int accumulate) {
  t->q8_matmul(type, packed, r0, r1, xq, m, k, y, ldy, accumulate);
}
void nd_q8act_matmul(int type, const void *packed, int64_t r0, int64_t r1, const void *xq, int64_t m, int64_t k,
                     float *y, int64_t ldy, int accumulate) {
  active()->q8_matmul(type, packed, r0, r1, xq, m, k, y, ldy, accumulate);
}

const char *nd_q8act_kernel_name(int level) {
  const nd_kernel_table *t = nd_kernels_at(level);
  return t ? t->q8act_name : NULL;
}
