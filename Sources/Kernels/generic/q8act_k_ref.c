// 8-bit-activation kernels over K-quant weights (Q4_K, Q5_K, Q6_K): their panel packing and
// the scalar products, straight from the stored rows (the definition) and over the
// panels (the generic level's). Both take the fixed order of nd_q8act.h super-block by
// super-block, so every level agrees with them bit for bit.
#include <math.h>
#include <string.h>
#include "../q8act_layout.h"

// MARK: Stored super-blocks (ggml's layouts)

/// The integer of element i (0..255) of a stored Q4_K (0..15) or Q5_K (0..31) super-block.
static int32_t nd_q45_k_int(int type, const uint8_t *blk, int i) {
  const int g = i / 64, r = i % 64;
  const uint8_t byte = blk[(type == ND_Q8ACT_Q5_K ? 48 : 16) + 32 * g + r % 32];
  const int32_t nibble = r < 32 ? byte & 15 : byte >> 4;
  if (type == ND_Q8ACT_Q4_K) return nibble;
  return nibble | ((blk[16 + r % 32] >> (2 * g + r / 32)) & 1) << 4;
}

/// The integer 0..63 of element i of a stored Q6_K super-block (its value is d · scale · (q - 32)).
static int32_t nd_q6_k_int(const uint8_t *blk, int i) {
  const int n = i / 128, part = (i % 128) / 32, l = i % 32;
  const uint8_t low = blk[64 * n + l + 32 * (part & 1)], high = blk[128 + 32 * n + l];
  return (part < 2 ? low & 15 : low >> 4) | ((high >> (2 * part)) & 3) << 4;
}

static int64_t nd_k_block_bytes(int type) {
  return type == ND_Q8ACT_Q4_K ? ND_Q4_K_BYTES : type == ND_Q8ACT_Q5_K ? ND_Q5_K_BYTES : ND_Q6_K_BYTES;
}

// MARK: Packing

/// Row o of a panel's super-block (zeroed beforehand) from the stored Q4_K or Q5_K super-block blk.
static void nd_pack_q45_k(int type, uint8_t *dst, int o, const uint8_t *blk) {
  const uint8_t *qs = blk + (type == ND_Q8ACT_Q5_K ? 48 : 16);
  for (int g = 0; g < 4; g++)
    for (int h = 0; h < 8; h++) memcpy(dst + 512 * g + 64 * h + 4 * o, qs + 32 * g + 4 * h, 4);
  if (type == ND_Q8ACT_Q5_K)
    for (int i = 0; i < 256; i++)
      dst[ND_Q5_K_HIGH + 64 * (i / 32) + 4 * o + i % 4] |= (uint8_t)((nd_q45_k_int(type, blk, i) >> 4) << (i % 32 / 4));
  memcpy(dst + ND_Q4_K_D + 2 * o, blk, 2);
  memcpy(dst + ND_Q4_K_DMIN + 2 * o, blk + 2, 2);
  for (int j = 0; j < 8; j++) nd_scale_min_k4(j, blk + 4, dst + ND_Q4_K_SC + 16 * j + o, dst + ND_Q4_K_M + 16 * j + o);
}

/// Row o of a panel's super-block (zeroed beforehand) from the stored Q6_K super-block blk.
static void nd_pack_q6_k(uint8_t *dst, int o, const uint8_t *blk) {
  for (int i = 0; i < 256; i++) {
    const int q = nd_q6_k_int(blk, i), h = i % 32 / 4, group = h / 4, j = h % 4;
    uint8_t *plane = dst + ND_Q6_K_Q + ND_Q6_K_BLOCK * (i / 32) + 64 * 3 * group + 4 * o + i % 4;
    if (j < 3) plane[64 * j] |= (uint8_t)q;
    else
      for (int p = 0; p < 3; p++) plane[64 * p] |= (uint8_t)(((q >> (2 * p)) & 3) << 6);
  }
  for (int j = 0; j < 16; j++) dst[ND_Q6_K_SC + 16 * j + o] = blk[192 + j];
  memcpy(dst + ND_Q6_K_D + 2 * o, blk + 208, 2);
}

void nd_q8act_pack_k(int type, const void *w, int64_t row_bytes, int64_t n, int64_t k, void *packed) {
  const int64_t nsb = k / ND_QK_K, pb = nd_panel_block_bytes(type);
  const int64_t bb = nd_k_block_bytes(type);
  memset(packed, 0, (size_t)nd_q8act_packed_bytes(type, n, k));
  for (int64_t r = 0; r < n; r++)
    for (int64_t s = 0; s < nsb; s++) {
      uint8_t *dst = (uint8_t *)packed + (r / ND_PANEL * nsb + s) * pb;
      const uint8_t *blk = (const uint8_t *)w + r * row_bytes + s * bb;
      if (type != ND_Q8ACT_Q6_K) nd_pack_q45_k(type, dst, (int)(r % ND_PANEL), blk);
      else nd_pack_q6_k(dst, (int)(r % ND_PANEL), blk);
    }
}

// MARK: Products

/// The integer of element i (0..255) of panel row o in a packed super-block.
static int32_t nd_packed_k_int(int type, const uint8_t *blk, int o, int i) {
  if (type != ND_Q8ACT_Q6_K) {
    const int g = i / 64, r = i % 64, l = r % 32;
    const uint8_t byte = blk[512 * g + 64 * (l / 4) + 4 * o + l % 4];
    const int32_t nibble = r < 32 ? byte & 15 : byte >> 4;
    if (type == ND_Q8ACT_Q4_K) return nibble;
    return nibble | ((blk[ND_Q5_K_HIGH + 64 * (i / 32) + 4 * o + i % 4] >> (i % 32 / 4)) & 1) << 4;
  }
  const int h = i % 32 / 4, group = h / 4, j = h % 4;
  const uint8_t *plane = blk + ND_Q6_K_Q + ND_Q6_K_BLOCK * (i / 32) + 64 * 3 * group + 4 * o + i % 4;
  if (j < 3) return plane[64 * j] & 63;
  return plane[0] >> 6 | (plane[64] >> 6) << 2 | (plane[128] >> 6) << 4;
}

/// Block j (0..7) of a super-block, from the stored block (o < 0) or panel row o: its exact integer
/// sum against the 32 activations xb, already times its integer scale(s), and its 6-bit min (Q4_K, Q5_K).
static int32_t nd_k_block(int type, const uint8_t *blk, int o, int j, const int8_t *xb, int32_t *min) {
  int32_t isum = 0;
  if (type != ND_Q8ACT_Q6_K) {
    for (int e = 0; e < 32; e++)
      isum += (o < 0 ? nd_q45_k_int(type, blk, 32 * j + e) : nd_packed_k_int(type, blk, o, 32 * j + e)) * xb[e];
    uint8_t sc, m;
    if (o < 0) nd_scale_min_k4(j, blk + 4, &sc, &m);
    else sc = blk[ND_Q4_K_SC + 16 * j + o], m = blk[ND_Q4_K_M + 16 * j + o];
    *min = m;
    return sc * isum;
  }
  for (int half = 0; half < 2; half++) {
    int32_t part = 0;
    for (int e = 16 * half; e < 16 * half + 16; e++)
      part += ((o < 0 ? nd_q6_k_int(blk, 32 * j + e) : nd_packed_k_int(type, blk, o, 32 * j + e)) - 32) * xb[e];
    const int8_t scale = (int8_t)(o < 0 ? blk[192 + 2 * j + half] : blk[ND_Q6_K_SC + 16 * (2 * j + half) + o]);
    isum += scale * part;
  }
  *min = 0;
  return isum;
}

/// A super-block's f16 scale d, and (Q4_K, Q5_K) its min scale dmin, of the stored block (o < 0) or panel row o.
static float nd_k_d(int type, const uint8_t *blk, int o) {
  if (type == ND_Q8ACT_Q6_K) return o < 0 ? nd_half(blk + 208) : nd_half(blk + ND_Q6_K_D + 2 * o);
  return o < 0 ? nd_half(blk) : nd_half(blk + ND_Q4_K_D + 2 * o);
}
static float nd_k_dmin(const uint8_t *blk, int o) { return o < 0 ? nd_half(blk + 2) : nd_half(blk + ND_Q4_K_DMIN + 2 * o); }

/// One output: weight row `row` (stored, o < 0) or panel row o of `panel`, against activation row x
/// (one scale per super-block), super-block by super-block in the fixed order of nd_q8act.h.
static float nd_k_output(int type, const uint8_t *row, int o, int64_t block_bytes, const uint8_t *x, int64_t k) {
  const float *dx = nd_row_dx(x, k);
  const int32_t *sums = nd_row_sum(x, k);
  float acc = 0.0f;
  for (int64_t s = 0; s < k / ND_QK_K; s++) {
    const uint8_t *blk = row + s * block_bytes;
    const int8_t *xs = (const int8_t *)x + s * ND_QK_K;
    const float dxs = dx[8 * s];
    int32_t isum = 0, msum = 0;
    for (int j = 0; j < 8; j++) {
      int32_t min;
      isum += nd_k_block(type, blk, o, j, xs + 32 * j, &min);
      msum += min * sums[8 * s + j];
    }
    if (type != ND_Q8ACT_Q6_K) acc = fmaf(-nd_k_dmin(blk, o), (float)msum * dxs, acc);
    acc = fmaf(nd_k_d(type, blk, o), (float)isum * dxs, acc);
  }
  return acc;
}

void nd_q8act_matmul_k_ref(int type, const void *w, int64_t row_bytes, int64_t rows, const void *xq, int64_t m,
                           int64_t k, float *y, int64_t ldy, int accumulate) {
  const int64_t bb = nd_k_block_bytes(type), xrow = nd_q8act_row_bytes(k);
  for (int64_t i = 0; i < m; i++)
    for (int64_t r = 0; r < rows; r++) {
      const float acc = nd_k_output(type, (const uint8_t *)w + r * row_bytes, -1, bb, (const uint8_t *)xq + i * xrow, k);
      y[i * ldy + r] = accumulate ? y[i * ldy + r] + acc : acc;
    }
}

void nd_q8act_matmul_k_packed_ref(int type, const void *packed, int64_t r0, int64_t r1, const void *xq, int64_t m,
                                  int64_t k, float *y, int64_t ldy, int accumulate) {
  const int64_t pb = nd_panel_block_bytes(type), panel_bytes = nd_panel_bytes(type, k), xrow = nd_q8act_row_bytes(k);
  for (int64_t i = 0; i < m; i++)
    for (int64_t r = r0; r < r1; r++) {
      const uint8_t *panel = (const uint8_t *)packed + r / ND_PANEL * panel_bytes;
      const float acc = nd_k_output(type, panel, (int)(r % ND_PANEL), pb, (const uint8_t *)xq + i * xrow, k);
      y[i * ldy + r] = accumulate ? y[i * ldy + r] + acc : acc;
    }
}
