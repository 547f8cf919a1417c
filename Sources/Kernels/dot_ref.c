// Scalar reference dot products: quantized (or f16/bf16/f32) row · f32 vector.
// They spell out, lane by lane, the fixed reduction order documented in
// nd_quants.h; the SIMD kernels must agree with them bit for bit.
#pragma clang fp contract(off)

#include <math.h>
#include "quant_blocks.h"

// MARK: plain float rows

typedef float (*nd_load_fn)(const uint8_t *row, int64_t i);
static float load_f32(const uint8_t *r, int64_t i) { float f; memcpy(&f, r + 4 * i, 4); return f; }
static float load_f16(const uint8_t *r, int64_t i) { return nd_half(r + 2 * i); }
static float load_bf16(const uint8_t *r, int64_t i) { return nd_bf16_to_f32(nd_rd16(r + 2 * i)); }

static float dot_plain(const uint8_t *row, nd_load_fn load, const float *x, int64_t n) {
  float acc[4][16] = {{0}};
  for (int64_t c = 0; c * 16 < n; c++) {
    float *a = acc[c & 3];
    for (int l = 0; l < 16; l++) {
      const int64_t i = c * 16 + l;
      a[l] = fmaf(i < n ? load(row, i) : 0.0f, i < n ? x[i] : 0.0f, a[l]);
    }
  }
  float s[16];
  for (int l = 0; l < 16; l++) s[l] = (acc[0][l] + acc[1][l]) + (acc[2][l] + acc[3][l]);
  return nd_tree16(s);
}

float nd_dot_f32_f32_ref(const void *row, const float *x, int64_t n) { return dot_plain(row, load_f32, x, n); }
float nd_dot_f16_f32_ref(const void *row, const float *x, int64_t n) { return dot_plain(row, load_f16, x, n); }
float nd_dot_bf16_f32_ref(const void *row, const float *x, int64_t n) { return dot_plain(row, load_bf16, x, n); }

// MARK: 32-element blocks

// Integer quants of one block (after the format's offset) as floats, its scale and min.
typedef void (*nd_unpack32_fn)(const uint8_t *blk, float q[32], float *d, float *m);

static void unpack_q4_0(const uint8_t *blk, float q[32], float *d, float *m) {
  *d = nd_half(blk); *m = 0;
  for (int j = 0; j < 16; j++) { q[j] = (float)((blk[2 + j] & 0xF) - 8); q[j + 16] = (float)((blk[2 + j] >> 4) - 8); }
}
static void unpack_q4_1(const uint8_t *blk, float q[32], float *d, float *m) {
  *d = nd_half(blk); *m = nd_half(blk + 2);
  for (int j = 0; j < 16; j++) { q[j] = (float)(blk[4 + j] & 0xF); q[j + 16] = (float)(blk[4 + j] >> 4); }
}
static void unpack_q5(const uint8_t *qs, uint32_t qh, int offset, float q[32]) {
  for (int j = 0; j < 16; j++) {
    q[j] = (float)(((qs[j] & 0xF) | (int)(((qh >> j) << 4) & 0x10)) - offset);
    q[j + 16] = (float)(((qs[j] >> 4) | (int)((qh >> (j + 12)) & 0x10)) - offset);
  }
}
static void unpack_q5_0(const uint8_t *blk, float q[32], float *d, float *m) {
  *d = nd_half(blk); *m = 0; unpack_q5(blk + 6, nd_rd32(blk + 2), 16, q);
}
static void unpack_q5_1(const uint8_t *blk, float q[32], float *d, float *m) {
  *d = nd_half(blk); *m = nd_half(blk + 2); unpack_q5(blk + 8, nd_rd32(blk + 4), 0, q);
}
static void unpack_q8_0(const uint8_t *blk, float q[32], float *d, float *m) {
  *d = nd_half(blk); *m = 0;
  for (int j = 0; j < 32; j++) q[j] = (float)(int8_t)blk[2 + j];
}

// One 32-element group: A = fma(scale, P, A), and A = fma(minScale, X, A) when it has a min.
static void group32(float a[16], const float q[32], const float *x, float scale, float minScale, int hasMin) {
  for (int l = 0; l < 16; l++) {
    const float p = fmaf(q[16 + l], x[16 + l], q[l] * x[l]);
    a[l] = fmaf(scale, p, a[l]);
    if (hasMin) a[l] = fmaf(minScale, x[l] + x[16 + l], a[l]);
  }
}

static float finish2(float acc[2][16]) {
  float s[16];
  for (int l = 0; l < 16; l++) s[l] = acc[0][l] + acc[1][l];
  return nd_tree16(s);
}

static float dot_blocks32(const uint8_t *row, int blockBytes, nd_unpack32_fn unpack, int hasMin,
                          const float *x, int64_t n) {
  float acc[2][16] = {{0}};
  for (int64_t b = 0; b < n / ND_QK; b++) {
    float q[32], d, m;
    unpack(row + b * blockBytes, q, &d, &m);
    group32(acc[b & 1], q, x + b * ND_QK, d, m, hasMin);
  }
  return finish2(acc);
}

float nd_dot_q4_0_f32_ref(const void *r, const float *x, int64_t n) { return dot_blocks32(r, ND_Q4_0_BYTES, unpack_q4_0, 0, x, n); }
float nd_dot_q4_1_f32_ref(const void *r, const float *x, int64_t n) { return dot_blocks32(r, ND_Q4_1_BYTES, unpack_q4_1, 1, x, n); }
float nd_dot_q5_0_f32_ref(const void *r, const float *x, int64_t n) { return dot_blocks32(r, ND_Q5_0_BYTES, unpack_q5_0, 0, x, n); }
float nd_dot_q5_1_f32_ref(const void *r, const float *x, int64_t n) { return dot_blocks32(r, ND_Q5_1_BYTES, unpack_q5_1, 1, x, n); }
float nd_dot_q8_0_f32_ref(const void *r, const float *x, int64_t n) { return dot_blocks32(r, ND_Q8_0_BYTES, unpack_q8_0, 0, x, n); }

// MARK: K-quants

// Q4_K / Q5_K: 8 sub-blocks of 32 with scale d*sc and min dmin*m (subtracted).
static float dot_k_scale_min(const uint8_t *row, int blockBytes, int hasHigh, const float *x, int64_t n) {
  float acc[2][16] = {{0}};
  int64_t g = 0;
  for (int64_t b = 0; b < n / ND_QK_K; b++) {
    const uint8_t *blk = row + b * blockBytes;
    const float d = nd_half(blk), dmin = nd_half(blk + 2);
    const uint8_t *scales = blk + 4, *qh = blk + 16, *ql = blk + (hasHigh ? 48 : 16);
    for (int s = 0; s < 8; s++, g++) {
      uint8_t sc, m;
      nd_scale_min_k4(s, scales, &sc, &m);
      const uint8_t *bytes = ql + 32 * (s / 2);
      float q[32];
      for (int l = 0; l < 32; l++) {
        int v = (s & 1) ? (bytes[l] >> 4) : (bytes[l] & 0xF);
        if (hasHigh && (qh[l] >> s) & 1) v += 16;
        q[l] = (float)v;
      }
      group32(acc[g & 1], q, x + b * ND_QK_K + 32 * s, d * (float)sc, -(dmin * (float)m), 1);
    }
  }
  return finish2(acc);
}

float nd_dot_q4_K_f32_ref(const void *r, const float *x, int64_t n) { return dot_k_scale_min(r, ND_Q4_K_BYTES, 0, x, n); }
float nd_dot_q5_K_f32_ref(const void *r, const float *x, int64_t n) { return dot_k_scale_min(r, ND_Q5_K_BYTES, 1, x, n); }

float nd_dot_q6_K_f32_ref(const void *row, const float *x, int64_t n) {
  float acc[2][16] = {{0}};
  int64_t g = 0;
  for (int64_t b = 0; b < n / ND_QK_K; b++) {
    const uint8_t *blk = (const uint8_t *)row + b * ND_Q6_K_BYTES;
    const int8_t *scales = (const int8_t *)(blk + 192);
    const float d = nd_half(blk + 208);
    for (int s = 0; s < 16; s++, g++) {
      // Sub-block s covers elements 16s..16s+15: half h = s / 8, then t = s % 8 picks
      // the nibble (t / 4), the ql offset (32 * ((t / 2) % 2)) and the qh bit pair (t / 2).
      const int h = s / 8, t = s % 8;
      const uint8_t *ql = blk + 64 * h + 32 * ((t / 2) % 2) + 16 * (t % 2);
      const uint8_t *qh = blk + 128 + 32 * h + 16 * (t % 2);
      const int nibbleShift = 4 * (t / 4), highShift = 2 * (t / 2);
      const float scale = d * (float)scales[s];
      const float *xs = x + b * ND_QK_K + 16 * s;
      float *a = acc[g & 1];
      for (int l = 0; l < 16; l++) {
        const int q = (((ql[l] >> nibbleShift) & 0xF) | (((qh[l] >> highShift) & 3) << 4)) - 32;
        a[l] = fmaf(scale, (float)q * xs[l], a[l]);
      }
    }
  }
  return finish2(acc);
}
