// The row operations of the generic level, in plain C: the exponential (the definition
// every level's is held to), SwiGLU's gate and argmax.
#include <math.h>

#include "../kernel_table.h"
#include "../row_ops_exp.h"

float nd_expf_ref(float x) {
  if (x != x) return x;
  if (x > ND_EXP_HI) x = ND_EXP_HI;
  if (x < ND_EXP_LO) x = ND_EXP_LO;
  float n = nearbyintf(x * ND_LOG2E);
  float r = __builtin_fmaf(-n, ND_LN2_HI, x);
  r = __builtin_fmaf(-n, ND_LN2_LO, r);
  float p = ND_EXP_P0;
  p = __builtin_fmaf(p, r, ND_EXP_P1);
  p = __builtin_fmaf(p, r, ND_EXP_P2);
  p = __builtin_fmaf(p, r, ND_EXP_P3);
  p = __builtin_fmaf(p, r, ND_EXP_P4);
  p = __builtin_fmaf(p, r, ND_EXP_P5);
  float r2 = r * r;
  float y = __builtin_fmaf(p, r2, r) + 1.0f;
  return ldexpf(y, (int)n);
}

void nd_exp_generic(const float *x, float *y, int64_t count) {
  for (int64_t i = 0; i < count; i++) y[i] = nd_expf_ref(x[i]);
}

void nd_silu_mul_generic(float *g, const float *u, int64_t count) {
  for (int64_t i = 0; i < count; i++) {
    float s = g[i] / (1.0f + nd_expf_ref(-g[i]));
    g[i] = s * u[i];
  }
}

int64_t nd_argmax_generic(const float *x, int64_t n) {
  int64_t best = 0;
  float best_value = -INFINITY;
  for (int64_t i = 0; i < n; i++) {
    if (x[i] > best_value) {
      best_value = x[i];
      best = i;
    }
  }
  return best;
}
