// The fixed-order dot product and matrix product in plain C (nd_forward.h has the
// order): the definition every level's version is held to, and the generic level's.
#include "../kernel_table.h"
#include "../lane_tree.h"

float nd_dot_fixed_ref(const float *a, const float *b, int64_t n) {
  float acc[16] = {0};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int l = 0; l < 16; l++) acc[l] = __builtin_fmaf(a[i + l], b[i + l], acc[l]);
  for (int l = 0; i + l < n; l++) acc[l] = __builtin_fmaf(a[i + l], b[i + l], acc[l]);
  // The zero padding of a partial last chunk adds fma(0, 0, acc) = acc (and keeps -0 as +0,
  // exactly as a padded vector lane does).
  if (i < n)
    for (int l = (int)(n - i); l < 16; l++) acc[l] = __builtin_fmaf(0.0f, 0.0f, acc[l]);
  return nd_lane_tree(acc);
}

void nd_matmul_nt_ref(const float *a, int64_t lda, const float *w, int64_t ldw, float *c, int64_t ldc,
                      int64_t m, int64_t n, int64_t k, int accumulate) {
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) {
      float d = nd_dot_fixed_ref(a + i * lda, w + j * ldw, k);
      c[i * ldc + j] = accumulate ? c[i * ldc + j] + d : d;
    }
}
