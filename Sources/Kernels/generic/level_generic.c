// The generic level: plain C, correct on every CPU and architecture, and the definition
// the other levels are held to.
#include "../kernel_table.h"

void nd_exp_generic(const float *x, float *y, int64_t count);
void nd_silu_mul_generic(float *g, const float *u, int64_t count);
int64_t nd_argmax_generic(const float *x, int64_t n);

void nd_fill_generic(nd_kernel_table *t) {
  t->level = ND_LEVEL_GENERIC;
  t->q8act_name = "scalar";
  t->dot_fixed = nd_dot_fixed_ref;
  t->matmul_nt = nd_matmul_nt_ref;
  int index = 0;
#define ND_ENTRY(T) t->quants[index++] = (nd_quant_kernels){nd_dequantize_row_##T##_ref, nd_dot_##T##_f32_ref, nd_matvec_##T##_ref};
  ND_QUANT_KERNELS(ND_ENTRY)
#undef ND_ENTRY
  t->exp = nd_exp_generic;
  t->silu_mul = nd_silu_mul_generic;
  t->argmax = nd_argmax_generic;
  t->softmax_row = nd_softmax_row_generic;
  t->score_groups = nd_score_groups_generic;
  t->pv = nd_pv_generic;
  t->q8_quantize = nd_q8act_quantize_ref;
  t->q8_matmul = nd_q8act_matmul_packed_ref;
}
