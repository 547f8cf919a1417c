// What the AVX2 level's 8-bit-activation products share (q8act_avx2.c: Q4_0, Q4_1, Q8_0 and the
// AVX-VNNI product; q8act_k_avx2.c: the K-quants): the panel half a 32-byte vector holds, how a
// tile broadcasts activations and stores outputs, and the sweep of activation tiles over panels.
#ifndef ND_Q8ACT_PANELS_AVX2_H
#define ND_Q8ACT_PANELS_AVX2_H

#include <stdint.h>
#include <string.h>

#include "avx2.h"

enum {
  ND_HALF = 8,       // weight rows in one 32-byte vector of a panel
  ND_TILE_ROWS = 7,  // most activation rows any tile holds
};

// Tile loops run over compile-time counts; fully unrolled, their arrays are registers.
#define ND_UNROLL _Pragma("clang loop unroll(full)")

ND_AVX2_BEGIN

/// Four activation bytes in every 32-bit lane: what each lane's 4 weight bytes multiply.
static inline __m256i nd_bcast4(const uint8_t *p) {
  int32_t v;
  memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

/// Writes (or adds) the first `cols` of 8 outputs; a short half panel ends at r1.
static inline void nd_store8(float *out, __m256 v, int cols, int accumulate) {
  if (cols == ND_HALF) {
    _mm256_storeu_ps(out, accumulate ? _mm256_add_ps(_mm256_loadu_ps(out), v) : v);
    return;
  }
  float lanes[ND_HALF];
  _mm256_storeu_ps(lanes, v);
  for (int c = 0; c < cols; c++) out[c] = accumulate ? out[c] + lanes[c] : lanes[c];
}

static inline __m256i nd_low_nibbles(__m256i v) { return _mm256_and_si256(v, _mm256_set1_epi8(15)); }
static inline __m256i nd_high_nibbles(__m256i v) {
  return _mm256_and_si256(_mm256_srli_epi16(v, 4), _mm256_set1_epi8(15));
}

/// A tile: R activation rows × the 8 rows of one half panel, over all blocks.
typedef void nd_tile_fn(int type, int R, int half, const uint8_t *panel, const uint8_t *x, int64_t xrow, int64_t nb,
                        float *y, int64_t ldy, int accumulate, int cols);

/// Every activation row of [0, m) against every weight row of [r0, r1) with `tile`, panels swept by every
/// activation tile staying within ~L2 (only the first sweep reads memory). A tile of up to `panel_rows` rows
/// takes a whole panel (half 0, up to 16 outputs) with `panel_tile` instead.
void nd_q8act_sweep_avx2(nd_tile_fn *tile, nd_tile_fn *panel_tile, int panel_rows, int max_rows, int type,
                         const void *packed, int64_t r0, int64_t r1, const void *xq, int64_t m, int64_t k,
                         float *y, int64_t ldy, int accumulate);

/// The K-quant product (q8act_k_avx2.c), also the AVX-VNNI table's.
void nd_q8act_matmul_k_avx2(int type, const void *packed, int64_t r0, int64_t r1, const void *xq, int64_t m,
                            int64_t k, float *y, int64_t ldy, int accumulate);

ND_AVX2_END

// Instantiating a tile template for each row count: ND_TILE_CASES(n, body, T) is the switch cases
// T * 8 + 1 ... T * 8 + n, each calling body(T, R, half, panel, x, xrow, nb, y, ldy, accumulate, cols).
#define ND_TILE_CASE(body, T, RR) \
  case T * 8 + RR: body(T, RR, half, panel, x, xrow, nb, y, ldy, accumulate, cols); return;
#define ND_TILE_CASES(n, body, T) ND_TILE_CASES_UP_TO(n, body, T)
#define ND_TILE_CASES_UP_TO(n, body, T) ND_TILE_CASES_##n(body, T)
#define ND_TILE_CASES_1(body, T) ND_TILE_CASE(body, T, 1)
#define ND_TILE_CASES_2(body, T) ND_TILE_CASES_1(body, T) ND_TILE_CASE(body, T, 2)
#define ND_TILE_CASES_3(body, T) ND_TILE_CASES_2(body, T) ND_TILE_CASE(body, T, 3)
#define ND_TILE_CASES_4(body, T) ND_TILE_CASES_3(body, T) ND_TILE_CASE(body, T, 4)
#define ND_TILE_CASES_5(body, T) ND_TILE_CASES_4(body, T) ND_TILE_CASE(body, T, 5)
#define ND_TILE_CASES_6(body, T) ND_TILE_CASES_5(body, T) ND_TILE_CASE(body, T, 6)
#define ND_TILE_CASES_7(body, T) ND_TILE_CASES_6(body, T) ND_TILE_CASE(body, T, 7)

#endif
