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

static inline int64_t nd_panel_block_bytes(int type) { return type == ND_Q8ACT_Q8_0 ? ND_PB_Q8 : ND_PB_Q4; }
static inline int64_t nd_scales_offset(int type) { return type == ND_Q8ACT_Q8_0 ? ND_SCALES_Q8 : ND_SCALES_Q4; }

// Per-block fields of an activation row, after its k int8 values.
static inline const float *nd_row_dx(const uint8_t *row, int64_t k) { return (const float *)(row + k); }
static inline const float *nd_row_sx(const uint8_t *row, int64_t k) { return (const float *)(row + k) + k / ND_QK; }
static inline const int32_t *nd_row_sum(const uint8_t *row, int64_t k) {
  return (const int32_t *)(row + k) + 2 * (k / ND_QK);
}

#endif
