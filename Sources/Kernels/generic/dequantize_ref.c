// Scalar reference dequantizers, written after ggml's `dequantize_row_*`.
// Products and sums are rounded separately, as in ggml and the gguf package:
// contraction into fused multiply-adds would change the last bit.
#pragma clang fp contract(off)

#include "../quant_blocks.h"

float nd_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1Fu;
  uint32_t mantissa = h & 0x3FFu;
  uint32_t bits;
  if (exponent == 0x1F) {
    bits = sign | 0x7F800000u | (mantissa << 13);  // inf / NaN (payload kept)
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);
  } else {
    // Zero or subnormal: mantissa * 2^-24 is exact in float.
    float magnitude = (float)mantissa * 0x1p-24f;
    memcpy(&bits, &magnitude, 4);
    bits |= sign;
  }
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

void nd_dequantize_row_f32_ref(const void *src, float *dst, int64_t n) {
  memcpy(dst, src, (size_t)n * sizeof(float));
}

void nd_dequantize_row_f16_ref(const void *src, float *dst, int64_t n) {
  const uint8_t *p = src;
  for (int64_t i = 0; i < n; i++) dst[i] = nd_half(p + 2 * i);
}

void nd_dequantize_row_bf16_ref(const void *src, float *dst, int64_t n) {
  const uint8_t *p = src;
  for (int64_t i = 0; i < n; i++) dst[i] = nd_bf16_to_f32(nd_rd16(p + 2 * i));
}

void nd_dequantize_row_q4_0_ref(const void *src, float *y, int64_t n) {
  for (int64_t b = 0; b < n / ND_QK; b++, y += ND_QK) {
    const uint8_t *blk = (const uint8_t *)src + b * ND_Q4_0_BYTES;
    const float d = nd_half(blk);
    const uint8_t *qs = blk + 2;
    for (int j = 0; j < 16; j++) {
      y[j] = (float)((qs[j] & 0xF) - 8) * d;
      y[j + 16] = (float)((qs[j] >> 4) - 8) * d;
    }
  }
}

void nd_dequantize_row_q4_1_ref(const void *src, float *y, int64_t n) {
  for (int64_t b = 0; b < n / ND_QK; b++, y += ND_QK) {
    const uint8_t *blk = (const uint8_t *)src + b * ND_Q4_1_BYTES;
    const float d = nd_half(blk), m = nd_half(blk + 2);
    const uint8_t *qs = blk + 4;
    for (int j = 0; j < 16; j++) {
      y[j] = (float)(qs[j] & 0xF) * d + m;
      y[j + 16] = (float)(qs[j] >> 4) * d + m;
    }
  }
}

void nd_dequantize_row_q5_0_ref(const void *src, float *y, int64_t n) {
  for (int64_t b = 0; b < n / ND_QK; b++, y += ND_QK) {
    const uint8_t *blk = (const uint8_t *)src + b * ND_Q5_0_BYTES;
    const float d = nd_half(blk);
    const uint32_t qh = nd_rd32(blk + 2);
    const uint8_t *qs = blk + 6;
    for (int j = 0; j < 16; j++) {
      const int hi0 = (int)(((qh >> j) << 4) & 0x10), hi1 = (int)((qh >> (j + 12)) & 0x10);
      y[j] = (float)(((qs[j] & 0xF) | hi0) - 16) * d;
      y[j + 16] = (float)(((qs[j] >> 4) | hi1) - 16) * d;
    }
  }
}

void nd_dequantize_row_q5_1_ref(const void *src, float *y, int64_t n) {
  for (int64_t b = 0; b < n / ND_QK; b++, y += ND_QK) {
    const uint8_t *blk = (const uint8_t *)src + b * ND_Q5_1_BYTES;
    const float d = nd_half(blk), m = nd_half(blk + 2);
    const uint32_t qh = nd_rd32(blk + 4);
    const uint8_t *qs = blk + 8;
    for (int j = 0; j < 16; j++) {
      const int hi0 = (int)(((qh >> j) << 4) & 0x10), hi1 = (int)((qh >> (j + 12)) & 0x10);
      y[j] = (float)((qs[j] & 0xF) | hi0) * d + m;
      y[j + 16] = (float)((qs[j] >> 4) | hi1) * d + m;
    }
  }
}

void nd_dequantize_row_q8_0_ref(const void *src, float *y, int64_t n) {
  for (int64_t b = 0; b < n / ND_QK; b++, y += ND_QK) {
    const uint8_t *blk = (const uint8_t *)src + b * ND_Q8_0_BYTES;
    const float d = nd_half(blk);
    const int8_t *qs = (const int8_t *)(blk + 2);
    for (int j = 0; j < 32; j++) y[j] = (float)qs[j] * d;
  }
}

void nd_dequantize_row_q4_K_ref(const void *src, float *y, int64_t n) {
  for (int64_t b = 0; b < n / ND_QK_K; b++) {
    const uint8_t *blk = (const uint8_t *)src + b * ND_Q4_K_BYTES;
    const float d = nd_half(blk), dmin = nd_half(blk + 2);
    const uint8_t *scales = blk + 4, *q = blk + 16;
    for (int is = 0; is < 8; is += 2, q += 32) {
      uint8_t sc, m;
      nd_scale_min_k4(is, scales, &sc, &m);
      const float d1 = d * sc, m1 = dmin * m;
      nd_scale_min_k4(is + 1, scales, &sc, &m);
      const float d2 = d * sc, m2 = dmin * m;
      for (int l = 0; l < 32; l++) *y++ = d1 * (float)(q[l] & 0xF) - m1;
      for (int l = 0; l < 32; l++) *y++ = d2 * (float)(q[l] >> 4) - m2;
    }
  }
}

void nd_dequantize_row_q5_K_ref(const void *src, float *y, int64_t n) {
  for (int64_t b = 0; b < n / ND_QK_K; b++) {
    const uint8_t *blk = (const uint8_t *)src + b * ND_Q5_K_BYTES;
    const float d = nd_half(blk), dmin = nd_half(blk + 2);
    const uint8_t *scales = blk + 4, *qh = blk + 16, *ql = blk + 48;
    uint8_t u1 = 1, u2 = 2;
    for (int is = 0; is < 8; is += 2, ql += 32, u1 <<= 2, u2 <<= 2) {
      uint8_t sc, m;
      nd_scale_min_k4(is, scales, &sc, &m);
      const float d1 = d * sc, m1 = dmin * m;
      nd_scale_min_k4(is + 1, scales, &sc, &m);
      const float d2 = d * sc, m2 = dmin * m;
      for (int l = 0; l < 32; l++) *y++ = d1 * (float)((ql[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) - m1;
      for (int l = 0; l < 32; l++) *y++ = d2 * (float)((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
    }
  }
}

void nd_dequantize_row_q6_K_ref(const void *src, float *y, int64_t n) {
  for (int64_t b = 0; b < n / ND_QK_K; b++) {
    const uint8_t *blk = (const uint8_t *)src + b * ND_Q6_K_BYTES;
    const uint8_t *ql = blk, *qh = blk + 128;
    const int8_t *sc = (const int8_t *)(blk + 192);
    const float d = nd_half(blk + 208);
    for (int half = 0; half < 2; half++, y += 128, ql += 64, qh += 32, sc += 8) {
      for (int l = 0; l < 32; l++) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l + 0] = d * (float)sc[is + 0] * (float)q1;
        y[l + 32] = d * (float)sc[is + 2] * (float)q2;
        y[l + 64] = d * (float)sc[is + 4] * (float)q3;
        y[l + 96] = d * (float)sc[is + 6] * (float)q4;
      }
    }
  }
}
