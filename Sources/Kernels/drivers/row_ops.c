// RMSNorm and RoPE: small per-row operations, each row computed on its own in a fixed
// order (RMSNorm's sum of squares is the level's fixed-order dot product), the same bits
// at every level.
#include <math.h>

#include "nd_forward.h"

void nd_rmsnorm(const float *x, int64_t ldx, const float *w, float *out, int64_t ldo,
                int64_t rows, int64_t n, float eps) {
  nd_rmsnorm_with(nd_kernels_at(ND_LEVEL_ACTIVE), x, ldx, w, out, ldo, rows, n, eps);
}

void nd_rmsnorm_with(const nd_kernel_table *t, const float *x, int64_t ldx, const float *w, float *out, int64_t ldo,
                     int64_t rows, int64_t n, float eps) {
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * ldx;
    float *o = out + r * ldo;
    float mean = nd_dot_fixed_with(t, xr, xr, n) / (float)n;
    float inv = 1.0f / sqrtf(mean + eps);
    for (int64_t i = 0; i < n; i++) o[i] = w[i] * (xr[i] * inv);
  }
}

void nd_rope(float *x, int64_t heads, int64_t head_dim, const float *cos_t, const float *sin_t, int adjacent) {
  const int64_t half = head_dim / 2;
  for (int64_t h = 0; h < heads; h++) {
    float *v = x + h * head_dim;
    for (int64_t i = 0; i < half; i++) {
      const int64_t a = adjacent ? 2 * i : i, b = adjacent ? 2 * i + 1 : i + half;
      const float x0 = v[a], x1 = v[b], c = cos_t[i], s = sin_t[i];
      v[a] = x0 * c - x1 * s;
      v[b] = x1 * c + x0 * s;
    }
  }
}
