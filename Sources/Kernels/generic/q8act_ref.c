// 8-bit-activation kernels: activation row quantizer, weight repacking into
// 16-row panels, and the integer-block products over Q4_0 / Q4_1 / Q8_0
// weights. The fixed order and both layouts are documented in nd_q8act.h; the
// reference (straight from the stored rows) is the definition, and the packed
// kernels, scalar and AVX-512 VNNI, agree with it bit for bit.
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "../q8act_layout.h"

int nd_q8act_type_for_kernel_index(int index) {
  switch (index) {
    case 3: return ND_Q8ACT_Q4_0;
    case 4: return ND_Q8ACT_Q4_1;
    case 7: return ND_Q8ACT_Q8_0;
    case 8: return ND_Q8ACT_Q4_K;
    case 9: return ND_Q8ACT_Q5_K;
    case 10: return ND_Q8ACT_Q6_K;
    default: return ND_Q8ACT_NONE;
  }
}

int64_t nd_q8act_row_bytes(int64_t k) { return (k + 16 * (k / ND_QK) + 63) & ~(int64_t)63; }

static int64_t nd_block_bytes(int type) {
  switch (type) {
    case ND_Q8ACT_Q4_0: return ND_Q4_0_BYTES;
    case ND_Q8ACT_Q4_1: return ND_Q4_1_BYTES;
    default: return ND_Q8_0_BYTES;
  }
}


int64_t nd_q8act_packed_bytes(int type, int64_t n, int64_t k) {
  return (n + ND_PANEL - 1) / ND_PANEL * nd_panel_bytes(type, k);
}


// MARK: Packing

void nd_q8act_pack(int type, const void *w, int64_t row_bytes, int64_t n, int64_t k, void *packed) {
  if (nd_q8act_is_k(type)) {
    nd_q8act_pack_k(type, w, row_bytes, n, k, packed);
    return;
  }
  const int64_t nb = k / ND_QK, bb = nd_block_bytes(type), pb = nd_panel_block_bytes(type);
  const int64_t so = nd_scales_offset(type), panels = (n + ND_PANEL - 1) / ND_PANEL;
  uint8_t *out = packed;
  memset(out, 0, (size_t)nd_q8act_packed_bytes(type, n, k));
  for (int64_t p = 0; p < panels; p++)
    for (int64_t b = 0; b < nb; b++) {
      uint8_t *dst = out + (p * nb + b) * pb;
      for (int o = 0; o < ND_PANEL && p * ND_PANEL + o < n; o++) {
        const uint8_t *blk = (const uint8_t *)w + (p * ND_PANEL + o) * row_bytes + b * bb;
        memcpy(dst + so + 2 * o, blk, 2);                                          // d
        if (type == ND_Q8ACT_Q4_1) memcpy(dst + so + 32 + 2 * o, blk + 2, 2);      // m
        if (type == ND_Q8ACT_Q8_0) {
          for (int j = 0; j < 8; j++)
            for (int t = 0; t < 4; t++) dst[j * 64 + o * 4 + t] = blk[2 + 4 * j + t] ^ 0x80;
        } else {
          // A stored byte holds elements e (low nibble) and e + 16 (high nibble).
          const uint8_t *qs = blk + (type == ND_Q8ACT_Q4_1 ? 4 : 2);
          for (int h = 0; h < 4; h++) memcpy(dst + h * 64 + o * 4, qs + 4 * h, 4);
        }
      }
    }
}

// MARK: Reference

int64_t nd_q8act_span(int type) { return nd_q8act_is_k(type) ? ND_QK_K : ND_QK; }

void nd_q8act_quantize_ref(const float *x, int64_t ldx, int64_t m, int64_t k, int64_t span, void *dst) {
  const int64_t nb = k / ND_QK, row_bytes = nd_q8act_row_bytes(k), per = span / ND_QK;
  for (int64_t i = 0; i < m; i++) {
    uint8_t *row = (uint8_t *)dst + i * row_bytes;
    memset(row, 0, (size_t)row_bytes);
    float *dx = (float *)(row + k), *sx = dx + nb;
    int32_t *sums = (int32_t *)(sx + nb), *sums16 = sums + nb;
    float d = 0.0f;
    for (int64_t b = 0; b < nb; b++) {
      const float *xb = x + i * ldx + b * ND_QK;
      if (b % per == 0) {  // the span's scale: max |x| over its blocks
        float amax = 0.0f;
        for (int64_t e = 0; e < span; e++) {
          const float a = fabsf(xb[e]);
          if (a > amax) amax = a;
        }
        d = amax / 127.0f;
      }
      const float id = d != 0.0f ? 1.0f / d : 0.0f;
      int32_t sum = 0;
      for (int e = 0; e < ND_QK; e++) {
        const int32_t q = (int32_t)nearbyintf(xb[e] * id);
        sum += q;
        if (e == 15) sums16[b] = sum;
        row[b * ND_QK + e] = (uint8_t)(int8_t)q;
      }
      dx[b] = d;
      sx[b] = d * (float)sum;
      sums[b] = sum;
    }
  }
}

/// Weight integer of element e (0..31) of a stored block.
static int32_t nd_weight_int(int type, const uint8_t *blk, int e) {
  switch (type) {
    case ND_Q8ACT_Q4_0: return (e < 16 ? blk[2 + e] & 15 : blk[2 + e - 16] >> 4) - 8;
    case ND_Q8ACT_Q4_1: return e < 16 ? blk[4 + e] & 15 : blk[4 + e - 16] >> 4;
    default: return (int8_t)blk[2 + e];
  }
}

/// One block's step of the fixed order.
static inline float nd_block_step(int type, float acc, int32_t isum, float dw, float mw, float dx, float sx) {
  const float t = (float)isum * dx;
  acc = fmaf(dw, t, acc);
  if (type == ND_Q8ACT_Q4_1) acc = fmaf(mw, sx, acc);
  return acc;
}

void nd_q8act_matmul_ref(int type, const void *w, int64_t row_bytes, int64_t rows, const void *xq, int64_t m,
                         int64_t k, float *y, int64_t ldy, int accumulate) {
  if (nd_q8act_is_k(type)) {
    nd_q8act_matmul_k_ref(type, w, row_bytes, rows, xq, m, k, y, ldy, accumulate);
    return;
  }
  const int64_t nb = k / ND_QK, bb = nd_block_bytes(type), xrow = nd_q8act_row_bytes(k);
  for (int64_t i = 0; i < m; i++) {
    const uint8_t *x = (const uint8_t *)xq + i * xrow;
    const float *dx = nd_row_dx(x, k), *sx = nd_row_sx(x, k);
    for (int64_t r = 0; r < rows; r++) {
      float acc = 0.0f;
      for (int64_t b = 0; b < nb; b++) {
        const uint8_t *blk = (const uint8_t *)w + r * row_bytes + b * bb;
        int32_t isum = 0;
        for (int e = 0; e < ND_QK; e++) isum += nd_weight_int(type, blk, e) * (int8_t)x[b * ND_QK + e];
        acc = nd_block_step(type, acc, isum, nd_half(blk), type == ND_Q8ACT_Q4_1 ? nd_half(blk + 2) : 0.0f, dx[b],
                            sx[b]);
      }
      y[i * ldy + r] = accumulate ? y[i * ldy + r] + acc : acc;
    }
  }
}

// MARK: Scalar over packed panels (the generic level's product)

/// Weight integer of element e of panel row o in a packed block.
static int32_t nd_packed_int(int type, const uint8_t *blk, int o, int e) {
  if (type == ND_Q8ACT_Q8_0) return (int32_t)blk[(e / 4) * 64 + o * 4 + e % 4] - 128;  // stored w + 128
  const int e16 = e & 15;
  const uint8_t byte = blk[(e16 / 4) * 64 + o * 4 + e16 % 4];
  const int32_t q = e < 16 ? byte & 15 : byte >> 4;
  return type == ND_Q8ACT_Q4_0 ? q - 8 : q;
}

void nd_q8act_matmul_packed_ref(int type, const void *packed, int64_t r0, int64_t r1, const void *xq, int64_t m, int64_t k,
                     float *y, int64_t ldy, int accumulate) {
  if (nd_q8act_is_k(type)) {
    nd_q8act_matmul_k_packed_ref(type, packed, r0, r1, xq, m, k, y, ldy, accumulate);
    return;
  }
  const int64_t nb = k / ND_QK, pb = nd_panel_block_bytes(type), so = nd_scales_offset(type);
  const int64_t xrow = nd_q8act_row_bytes(k);
  for (int64_t i = 0; i < m; i++) {
    const uint8_t *x = (const uint8_t *)xq + i * xrow;
    const float *dx = nd_row_dx(x, k), *sx = nd_row_sx(x, k);
    for (int64_t r = r0; r < r1; r++) {
      const int o = (int)(r % ND_PANEL);
      float acc = 0.0f;
      for (int64_t b = 0; b < nb; b++) {
        const uint8_t *blk = (const uint8_t *)packed + ((r / ND_PANEL) * nb + b) * pb;
        int32_t isum = 0;
        for (int e = 0; e < ND_QK; e++) isum += nd_packed_int(type, blk, o, e) * (int8_t)x[b * ND_QK + e];
        acc = nd_block_step(type, acc, isum, nd_half(blk + so + 2 * o), nd_half(blk + so + 32 + 2 * o), dx[b], sx[b]);
      }
      y[i * ldy + r] = accumulate ? y[i * ldy + r] + acc : acc;
    }
  }
}

