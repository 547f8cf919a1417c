// The layouts of 8-bit-activation data (nd_q8act.h), shared by every level's kernels:
// quantized activation rows and weight panels.
#ifndef ND_Q8ACT_LAYOUT_H
#define ND_Q8ACT_LAYOUT_H

#include <stdint.h>
#include "nd_q8act.h"
#include "quant_blocks.h"

enum {
  ND_PANEL = 16,           // weight rows per panel
  ND_PB_Q4 = 320,          // panel bytes per block: nibbles [4][16][4], d [16] f16, m [16] f16
  ND_PB_Q8 = 576,          // values [8][16][4] (int8 ^ 0x80), d [16] f16, padding
  ND_SCALES_Q4 = 256,      // offset of the f16 scales in a Q4 panel block
  ND_SCALES_Q8 = 512,
};

// K-quant panels hold one 256-element super-block of 16 rows per panel block.
enum {
  // Q4_K: nibbles [4 groups of 64][8][16 rows][4] (a byte: element 64g + 4h + t low, the same
  // + 32 high, as stored), then d [16] f16, dmin [16] f16, scale [8][16] u8, min [8][16] u8.
  ND_PB_Q4_K = 2368,
  ND_Q4_K_D = 2048,
  ND_Q4_K_DMIN = 2080,
  ND_Q4_K_SC = 2112,
  ND_Q4_K_M = 2240,
  // Q5_K: Q4_K's panel, then the fifth bits [8 blocks][16 rows][4] (bit h of byte (j, o, t):
  // element 32j + 4h + t).
  ND_PB_Q5_K = 2880,
  ND_Q5_K_HIGH = 2368,
  // Q6_K: scale [16][16 rows] s8 (one per 16 elements), d [16] f16, padding to 64 bytes; then per
  // 32-element block b, 384 bytes at 320 + 384 b: six planes [6][16 rows][4] of the 6-bit integers q
  // (0..63), Q8_0's order (element 4h + t of row o at byte 4 o + t of a plane), three planes for each
  // 16 elements (h = 4G .. 4G + 3): plane 3G + j holds q of step h = 4G + j in its low six bits
  // (j < 3) and bits 2j, 2j + 1 of step 4G + 3's q in its top two. So three of four steps are one
  // AND and the fourth three shifts and masks, where nibbles and bit pairs took twice that: the
  // one-row (decode) products were bound by taking bits apart, and bytes a weight stay as stored.
  // The scales come first, so a product reads each super-block front to back.
  ND_PB_Q6_K = 3392,
  ND_Q6_K_SC = 0,
  ND_Q6_K_D = 256,
  ND_Q6_K_Q = 320,
  ND_Q6_K_BLOCK = 384,
};

static inline int nd_q8act_is_k(int type) {
  return type == ND_Q8ACT_Q4_K || type == ND_Q8ACT_Q5_K || type == ND_Q8ACT_Q6_K;
}

/// Bytes of one panel block: 32 elements of 16 rows (Q4_0, Q4_1, Q8_0) or 256 (K-quants).
static inline int64_t nd_panel_block_bytes(int type) {
  switch (type) {
    case ND_Q8ACT_Q8_0: return ND_PB_Q8;
    case ND_Q8ACT_Q4_K: return ND_PB_Q4_K;
    case ND_Q8ACT_Q5_K: return ND_PB_Q5_K;
    case ND_Q8ACT_Q6_K: return ND_PB_Q6_K;
    default: return ND_PB_Q4;
  }
}
static inline int64_t nd_panel_block_elems(int type) { return nd_q8act_is_k(type) ? 256 : 32; }
/// Bytes of one whole panel (16 rows) of `k` elements.
static inline int64_t nd_panel_bytes(int type, int64_t k) {
  return k / nd_panel_block_elems(type) * nd_panel_block_bytes(type);
}
/// Panels a product sweeps with every tile of activation rows before the next ones: ~192 KB,
/// so they stay in L2 and only the first sweep reads memory.
static inline int64_t nd_l2_panels(int type, int64_t k) {
  const int64_t panels = (192 * 1024) / nd_panel_bytes(type, k);
  return panels < 1 ? 1 : panels;
}
static inline int64_t nd_scales_offset(int type) { return type == ND_Q8ACT_Q8_0 ? ND_SCALES_Q8 : ND_SCALES_Q4; }

// Per-block fields of an activation row, after its k int8 values.
static inline const float *nd_row_dx(const uint8_t *row, int64_t k) { return (const float *)(row + k); }
static inline const float *nd_row_sx(const uint8_t *row, int64_t k) { return (const float *)(row + k) + k / ND_QK; }
static inline const int32_t *nd_row_sum(const uint8_t *row, int64_t k) {
  return (const int32_t *)(row + k) + 2 * (k / ND_QK);
}
/// sum(xq) over each block's first 16 elements (Q6_K's scales cover 16).
static inline const int32_t *nd_row_sum16(const uint8_t *row, int64_t k) {
  return (const int32_t *)(row + k) + 3 * (k / ND_QK);
}

// The K-quant halves of the generic kernels (generic/q8act_k_ref.c), which the public ones
// hand K-quant types to.
void nd_q8act_pack_k(int type, const void *w, int64_t row_bytes, int64_t n, int64_t k, void *packed);
void nd_q8act_matmul_k_ref(int type, const void *w, int64_t row_bytes, int64_t rows, const void *xq, int64_t m,
                           int64_t k, float *y, int64_t ldy, int accumulate);
void nd_q8act_matmul_k_packed_ref(int type, const void *packed, int64_t r0, int64_t r1, const void *xq, int64_t m,
                                  int64_t k, float *y, int64_t ldy, int accumulate);

#endif
