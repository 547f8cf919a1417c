// The AVX2 level's table: its own kernels over the generic level's (dispatch fills that
// first), with the AVX-VNNI 8-bit-activation product where CPUID reports AVX-VNNI.
#if defined(__x86_64__)
#include "../../kernel_table.h"

void nd_fill_quants_avx2(nd_quant_kernels *q);
float nd_dot_fixed_avx2(const float *a, const float *b, int64_t n);
void nd_matmul_nt_avx2(const float *a, int64_t lda, const float *w, int64_t ldw, float *c, int64_t ldc, int64_t m,
                       int64_t n, int64_t k, int accumulate);
void nd_exp_avx2(const float *x, float *y, int64_t count);
void nd_silu_mul_avx2(float *g, const float *u, int64_t count);
int64_t nd_argmax_avx2(const float *x, int64_t n);
void nd_softmax_row_avx2(float *s, int64_t n, float scale);
void nd_score_groups_avx2(const nd_attention_job *job, const float *const *q, const float *packed, const nd_query *qs,
                          int64_t count, const nd_key_group *g, int ng);
void nd_pv_avx2(const nd_attention_job *job, const nd_query *qs, int64_t count, int64_t kvh, const int32_t *table,
                int64_t j0, int64_t j1);
void nd_q8act_quantize_avx2(const float *x, int64_t ldx, int64_t m, int64_t k, int64_t span, void *dst);
void nd_q8act_matmul_avx2(int type, const void *packed, int64_t r0, int64_t r1, const void *xq, int64_t m, int64_t k,
                          float *y, int64_t ldy, int accumulate);
void nd_q8act_matmul_avxvnni(int type, const void *packed, int64_t r0, int64_t r1, const void *xq, int64_t m,
                             int64_t k, float *y, int64_t ldy, int accumulate);

void nd_fill_avx2(nd_kernel_table *t) {
  t->level = ND_LEVEL_AVX2;
  t->dot_fixed = nd_dot_fixed_avx2;
  t->matmul_nt = nd_matmul_nt_avx2;
  nd_fill_quants_avx2(t->quants);
  t->exp = nd_exp_avx2;
  t->silu_mul = nd_silu_mul_avx2;
  t->argmax = nd_argmax_avx2;
  t->softmax_row = nd_softmax_row_avx2;
  t->score_groups = nd_score_groups_avx2;
  t->pv = nd_pv_avx2;
  t->q8_quantize = nd_q8act_quantize_avx2;
  t->q8_matmul = nd_cpu_has("avxvnni") ? nd_q8act_matmul_avxvnni : nd_q8act_matmul_avx2;
  t->q8act_name = nd_cpu_has("avxvnni") ? "avx-vnni" : "avx2";
}

#endif
