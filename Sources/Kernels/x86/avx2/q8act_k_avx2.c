// The AVX2 level's 8-bit-activation products over K-quant panels (Q4_K, Q5_K, Q6_K; the layouts
// in q8act_layout.h, the fixed order in nd_q8act.h), with maddubs: integer sums are exact, so how
// they are grouped is free, and the float steps follow the fixed order, so every result is the
// same bits as nd_q8act_matmul_k_packed_ref.
#pragma clang fp contract(off)

#if defined(__x86_64__)
#include <string.h>

#include "../../kernel_table.h"
#include "../../q8act_layout.h"
#include "avx2.h"
#include "q8act_panels_avx2.h"

ND_AVX2_BEGIN

// Both run over activation rows with one scale per 256-element super-block, a super-block's worth
// of panel at a time (q8act_layout.h), with the K-quants' fixed order (nd_q8act.h): the integer
// scales multiply the exact block sums, the mins multiply the rows' block sums of xq (madd_epi16
// of both as int16 pairs), all summed in int32, then two float steps per super-block.
//   Q4_K: a panel byte holds element 4h + t of two blocks (low nibble: block 2g, high:
//         2g + 1), so each block's sum takes 8 maddubs of nibbles per row, at most
//         8 · 2 · 15 · 127 in an int16 lane; madd_epi16 by the block's scale widens it.
//         Its own tile (nd_q4_k_panel_tile) takes whole panels; the one below serves Q5_K and Q6_K.
//   Q5_K: as Q4_K with each nibble's fifth bit ORed in (0..31): 8 · 2 · 31 · 127 would wrap
//         int16, so the sums widen after every 4 of the 8 (and a tile holds 3 rows, not 4).
//   Q6_K: 6-bit integers q (0..63), three steps of four one AND from their planes, a maddubs pair at most
//         2 · 63 · 127, so two pairs' sums (32004) fit int16 before madd widens them; the
//         -32 offset comes off once per 16 elements through the rows' 16-element sums of
//         xq, then the exact sum takes those elements' int8 scale.
#define ND_K_ROWS 4

/// The 6-bit mins of blocks 2i and 2i + 1 of the 8 rows of half `half` of a Q4_K/Q5_K panel
/// super-block, as the two int16 halves of each row's lane.
static inline __m256i nd_k_min_pairs(const uint8_t *blk, int i, int half) {
  const uint8_t *p = blk + ND_Q4_K_M + 32 * i + 8 * half;
  const __m256i lo = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p));
  const __m256i hi = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(p + 16)));
  return _mm256_or_si256(lo, _mm256_slli_epi32(hi, 16));
}

/// An activation row's xq sums of blocks b and b + 1 (|sum| <= 32 · 127) as int16 halves, in every lane.
static inline __m256i nd_sum_pairs(const uint8_t *row, int64_t k, int64_t b) {
  const int32_t *sum = nd_row_sum(row, k);
  return _mm256_set1_epi32((int32_t)(((uint32_t)sum[b + 1] << 16) | ((uint32_t)sum[b] & 0xFFFF)));
}

/// A super-block's two float steps of the fixed order for 8 outputs: the mins' term (Q4_K, Q5_K) and the sums'.
static inline __m256 nd_k_steps(__m256 acc, __m256i isum, __m256i msum, const uint8_t *d16, const uint8_t *dmin16,
                                float dxs) {
  const __m256 dx = _mm256_set1_ps(dxs);
  if (dmin16) {
    const __m256 dmin = _mm256_xor_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)dmin16)), _mm256_set1_ps(-0.0f));
    acc = _mm256_fmadd_ps(dmin, _mm256_mul_ps(_mm256_cvtepi32_ps(msum), dx), acc);
  }
  const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)d16));
  return _mm256_fmadd_ps(d, _mm256_mul_ps(_mm256_cvtepi32_ps(isum), dx), acc);
}

/// Bit h of each byte of a Q5_K fifth-bit plane, moved to bit 4 (16-bit shifts: the mask keeps
/// each byte's own bit).
static inline __m256i nd_fifth_bits(__m256i plane, int h) {
  const __m256i moved = h < 4 ? _mm256_slli_epi16(plane, 4 - h) : _mm256_srli_epi16(plane, h - 4);
  return _mm256_and_si256(moved, _mm256_set1_epi8(0x10));
}

/// The 6-bit integers of a Q6_K panel's four steps 4G .. 4G + 3 (8 rows, from three planes at
/// `planes`, 64 bytes apart) into w[0..3][slot]: the first three are their planes' low six bits,
/// the fourth the three planes' top two bits side by side (16-bit shifts: each mask keeps the
/// bits that came from the byte's own plane byte).
static inline __attribute__((always_inline)) void nd_q6_k_steps(const uint8_t *planes, __m256i w[4][2], int slot) {
  const __m256i low6 = _mm256_set1_epi8(63);
  __m256i p[3];
  ND_UNROLL for (int j = 0; j < 3; j++) {
    p[j] = _mm256_loadu_si256((const __m256i *)(planes + 64 * j));
    w[j][slot] = _mm256_and_si256(p[j], low6);
  }
  w[3][slot] = _mm256_or_si256(
      _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(p[0], 6), _mm256_set1_epi8(0x03)),
                      _mm256_and_si256(_mm256_srli_epi16(p[1], 4), _mm256_set1_epi8(0x0C))),
      _mm256_and_si256(_mm256_srli_epi16(p[2], 2), _mm256_set1_epi8(0x30)));
}

/// The int16 values of `lo` and `hi` (int32 lanes in their int16 range) side by side in each lane.
static inline __m256i nd_int16_pair(__m256i lo, __m256i hi) {
  return _mm256_or_si256(_mm256_and_si256(lo, _mm256_set1_epi32(0xFFFF)), _mm256_slli_epi32(hi, 16));
}

/// One Q6_K block (32 elements, int8 scales sa for the first 16, sb for the last) of R rows against
/// one half panel, added to isum: rows share each weight vector, so each maddubs pair sum widens by
/// madd_epi16 with its 16 elements' scale (exactly sc · Σ q · xq), and the -32 offset comes off as
/// one more madd_epi16 per row, both scales against the row's two 16-element sums of xq (|sum| <=
/// 16 · 127), times 32: one multiply fewer per block and row than nd_q6_k_block_by_ones.
static inline __attribute__((always_inline)) void nd_q6_k_block_by_scale(const int R, const uint8_t *q, __m256i sa,
                                                                         __m256i sb, const uint8_t *x, int64_t xrow,
                                                                         int64_t k, int64_t b, __m256i *isum) {
  const __m256i scale[2] = {nd_int16_pair(sa, sa), nd_int16_pair(sb, sb)}, both = nd_int16_pair(sa, sb);
  ND_UNROLL for (int g = 0; g < 2; g++) {
    __m256i w[4][2];
    nd_q6_k_steps(q + 192 * g, w, 0);
    ND_UNROLL for (int pair = 0; pair < 2; pair++) {
      const int h = 4 * g + 2 * pair;
      ND_UNROLL for (int r = 0; r < R; r++) {
        const uint8_t *xb = x + r * xrow + b * ND_QK + 4 * h;
        const __m256i p = _mm256_add_epi16(_mm256_maddubs_epi16(w[2 * pair][0], nd_bcast4(xb)),
                                           _mm256_maddubs_epi16(w[2 * pair + 1][0], nd_bcast4(xb + 4)));
        isum[r] = _mm256_add_epi32(isum[r], _mm256_madd_epi16(p, scale[g]));
      }
    }
  }
  ND_UNROLL for (int r = 0; r < R; r++) {
    const uint8_t *row = x + r * xrow;
    const int32_t first = nd_row_sum16(row, k)[b], second = nd_row_sum(row, k)[b] - first;
    // Paired in a scalar register, then broadcast: nd_int16_pair on broadcasts measured 8 % slower here.
    const __m256i sums = _mm256_set1_epi32((int32_t)(((uint32_t)second << 16) | ((uint32_t)first & 0xFFFF)));
    isum[r] = _mm256_sub_epi32(isum[r], _mm256_slli_epi32(_mm256_madd_epi16(both, sums), 5));
  }
}

/// The same block for R rows × H half panels (slot i: row i % R, half i / R; one row takes both
/// halves): each pair sum widens by madd_epi16 with ones, then each 16 elements' int8 scale times
/// (sum - 32 · sum(xq)) by mullo. Kept for one row, where it measured faster than the one above.
static inline __attribute__((always_inline)) void nd_q6_k_block_by_ones(const int R, const int H, const uint8_t *q,
                                                                        const __m256i *sa, const __m256i *sb,
                                                                        const uint8_t *x, int64_t xrow, int64_t k,
                                                                        int64_t b, __m256i *isum) {
  const int S = R * H;
  __m256i part[2][ND_K_ROWS];
  ND_UNROLL for (int g = 0; g < 2; g++) {
    ND_UNROLL for (int i = 0; i < S; i++) part[g][i] = _mm256_setzero_si256();
    __m256i w[4][2];
    ND_UNROLL for (int hh = 0; hh < H; hh++) nd_q6_k_steps(q + 192 * g + 32 * hh, w, hh);
    ND_UNROLL for (int pair = 0; pair < 2; pair++) {
      const int h = 4 * g + 2 * pair;
      ND_UNROLL for (int i = 0; i < S; i++) {
        const uint8_t *xb = x + i % R * xrow + b * ND_QK + 4 * h;
        const __m256i p = _mm256_add_epi16(_mm256_maddubs_epi16(w[2 * pair][i / R], nd_bcast4(xb)),
                                           _mm256_maddubs_epi16(w[2 * pair + 1][i / R], nd_bcast4(xb + 4)));
        part[g][i] = _mm256_add_epi32(part[g][i], _mm256_madd_epi16(p, _mm256_set1_epi16(1)));
      }
    }
  }
  ND_UNROLL for (int i = 0; i < S; i++) {
    const uint8_t *row = x + i % R * xrow;
    const int32_t first = nd_row_sum16(row, k)[b], second = nd_row_sum(row, k)[b] - first;
    const __m256i ia = _mm256_mullo_epi32(_mm256_sub_epi32(part[0][i], _mm256_set1_epi32(32 * first)), sa[i / R]);
    const __m256i ib = _mm256_mullo_epi32(_mm256_sub_epi32(part[1][i], _mm256_set1_epi32(32 * second)), sb[i / R]);
    isum[i] = _mm256_add_epi32(isum[i], _mm256_add_epi32(ia, ib));
  }
}

/// A K-quant tile: R activation rows × H half panels (8 weight rows each, from `half`), as R · H
/// slots (slot i: row i % R, half i / R). One row takes both halves (H = 2): two independent
/// chains of float steps, where one would wait on each block's latency.
static inline __attribute__((always_inline)) void nd_k_tile_maddubs(const int T, const int R, const int H, int half,
                                                                    const uint8_t *panel, const uint8_t *x,
                                                                    int64_t xrow, int64_t nb, float *y, int64_t ldy,
                                                                    int accumulate, int cols) {
  const int S = R * H;
  const int64_t k = nb * ND_QK, pb = nd_panel_block_bytes(T);
  __m256 acc[ND_K_ROWS];
  ND_UNROLL for (int i = 0; i < S; i++) acc[i] = _mm256_setzero_ps();
  for (int64_t s = 0; s < nb / 8; s++) {
    const uint8_t *blk = panel + s * pb;
    __m256i isum_s[ND_K_ROWS], msum[ND_K_ROWS];
    ND_UNROLL for (int i = 0; i < S; i++) isum_s[i] = msum[i] = _mm256_setzero_si256();
    if (T != ND_Q8ACT_Q6_K) {
      // The mins' sums first: they need no weight integers, and leave their registers to the sums.
      ND_UNROLL for (int p = 0; p < 4; p++) {
        __m256i mp[2];
        ND_UNROLL for (int hh = 0; hh < H; hh++) mp[hh] = nd_k_min_pairs(blk, p, half + hh);
        ND_UNROLL for (int r = 0; r < R; r++) {
          const __m256i sp = nd_sum_pairs(x + r * xrow, k, 8 * s + 2 * p);
          ND_UNROLL for (int hh = 0; hh < H; hh++)
            msum[hh * R + r] = _mm256_add_epi32(msum[hh * R + r], _mm256_madd_epi16(mp[hh], sp));
        }
      }
      for (int g = 0; g < 4; g++) {
        const int64_t b = 8 * s + 2 * g;  // the low nibbles' block; b + 1 the high ones'
        // Blocks 2g and 2g + 1's 6-bit scales in both int16 halves of each row's lane: madd_epi16 by
        // them widens a row's pair sums and multiplies them by its scale in one step, exactly.
        __m256i sc[2][2];
        ND_UNROLL for (int hh = 0; hh < H; hh++)
          ND_UNROLL for (int j = 0; j < 2; j++) {
            const uint8_t *p = blk + ND_Q4_K_SC + 16 * (2 * g + j) + 8 * (half + hh);
            const __m256i v = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p));
            sc[hh][j] = _mm256_or_si256(v, _mm256_slli_epi32(v, 16));
          }
        __m256i lo[ND_K_ROWS], hi[ND_K_ROWS], lo32[ND_K_ROWS], hi32[ND_K_ROWS];
        ND_UNROLL for (int i = 0; i < S; i++) lo[i] = hi[i] = lo32[i] = hi32[i] = _mm256_setzero_si256();
        __m256i fifth_lo[2], fifth_hi[2];
        ND_UNROLL for (int hh = 0; hh < H; hh++) {
          const uint8_t *fifth = blk + ND_Q5_K_HIGH + 128 * g + 32 * (half + hh);
          fifth_lo[hh] = T == ND_Q8ACT_Q5_K ? _mm256_loadu_si256((const __m256i *)fifth) : _mm256_setzero_si256();
          fifth_hi[hh] = T == ND_Q8ACT_Q5_K ? _mm256_loadu_si256((const __m256i *)(fifth + 64)) : _mm256_setzero_si256();
        }
        ND_UNROLL for (int h = 0; h < 8; h++) {
          __m256i wl[2], wh[2];
          ND_UNROLL for (int hh = 0; hh < H; hh++) {
            const __m256i v = _mm256_loadu_si256((const __m256i *)(blk + 512 * g + 64 * h + 32 * (half + hh)));
            wl[hh] = nd_low_nibbles(v), wh[hh] = nd_high_nibbles(v);
            if (T == ND_Q8ACT_Q5_K) {
              wl[hh] = _mm256_or_si256(wl[hh], nd_fifth_bits(fifth_lo[hh], h));
              wh[hh] = _mm256_or_si256(wh[hh], nd_fifth_bits(fifth_hi[hh], h));
            }
          }
          ND_UNROLL for (int i = 0; i < S; i++) {
            const uint8_t *xb = x + i % R * xrow + b * ND_QK + 4 * h;
            lo[i] = _mm256_add_epi16(lo[i], _mm256_maddubs_epi16(wl[i / R], nd_bcast4(xb)));
            hi[i] = _mm256_add_epi16(hi[i], _mm256_maddubs_epi16(wh[i / R], nd_bcast4(xb + ND_QK)));
          }
          // Q5_K's int16 sums would wrap over 8 steps (8 · 2 · 31 · 127): widen (and scale) every 4.
          if (T == ND_Q8ACT_Q5_K && (h == 3 || h == 7)) {
            ND_UNROLL for (int i = 0; i < S; i++) {
              lo32[i] = _mm256_add_epi32(lo32[i], _mm256_madd_epi16(lo[i], sc[i / R][0]));
              hi32[i] = _mm256_add_epi32(hi32[i], _mm256_madd_epi16(hi[i], sc[i / R][1]));
              lo[i] = hi[i] = _mm256_setzero_si256();
            }
          }
        }
        ND_UNROLL for (int j = 0; j < 2; j++) {
          ND_UNROLL for (int i = 0; i < S; i++) {
            const __m256i isum = T == ND_Q8ACT_Q5_K ? (j ? hi32[i] : lo32[i])
                                                    : _mm256_madd_epi16(j ? hi[i] : lo[i], sc[i / R][j]);
            isum_s[i] = _mm256_add_epi32(isum_s[i], isum);
          }
        }
      }
    } else {
      for (int bl = 0; bl < 8; bl++) {
        const int64_t b = 8 * s + bl;
        const uint8_t *q = blk + ND_Q6_K_Q + ND_Q6_K_BLOCK * bl + 32 * half;
        // Each 16 elements' exact sum of q · xq (two maddubs pairs per int16 lane: 2 · 2 · 63 · 127 fits)
        // times its int8 scale, less the -32 offset: widened by the scale where rows share the half
        // panel, by ones for one row over both halves.
        __m256i sa[2], sb[2];
        ND_UNROLL for (int hh = 0; hh < H; hh++) {
          const uint8_t *sc = blk + ND_Q6_K_SC + 32 * bl + 8 * (half + hh);
          sa[hh] = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)sc));
          sb[hh] = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(sc + 16)));
        }
        if (H == 1) nd_q6_k_block_by_scale(R, q, sa[0], sb[0], x, xrow, k, b, isum_s);
        else nd_q6_k_block_by_ones(R, H, q, sa, sb, x, xrow, k, b, isum_s);
      }
    }
    const int q6 = T == ND_Q8ACT_Q6_K;
    ND_UNROLL for (int i = 0; i < S; i++) {
      const int h16 = 16 * (half + i / R);
      acc[i] = nd_k_steps(acc[i], isum_s[i], msum[i], blk + (q6 ? ND_Q6_K_D : ND_Q4_K_D) + h16,
                          q6 ? NULL : blk + ND_Q4_K_DMIN + h16, nd_row_dx(x + i % R * xrow, k)[8 * s]);
    }
  }
  ND_UNROLL for (int i = 0; i < S; i++) {
    const int left = cols - ND_HALF * (i / R);
    if (left > 0) nd_store8(y + i % R * ldy + ND_HALF * (i / R), acc[i], left < ND_HALF ? left : ND_HALF, accumulate);
  }
}

// Q4_K's tile takes a whole panel (16 weight rows) for up to ND_Q4_K_ROWS activation rows, and
// sums the low nibbles' block (2g) over all eight steps before the high nibbles' (2g + 1), each
// weight vector loaded twice: one block's int16 sums, R · 2 registers, leave room for twice the
// rows. Each activation broadcast then serves both halves of the panel, where a half-panel tile
// broadcast once per maddubs, the most frequent instruction after maddubs and its add.
#define ND_Q4_K_ROWS 5

static inline __attribute__((always_inline)) void nd_q4_k_panel_tile(const int R, const uint8_t *panel,
                                                                     const uint8_t *x, int64_t xrow, int64_t nb,
                                                                     float *y, int64_t ldy, int accumulate, int cols) {
  const int64_t k = nb * ND_QK;
  __m256 acc[ND_Q4_K_ROWS][2];
  ND_UNROLL for (int r = 0; r < R; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (int64_t s = 0; s < nb / 8; s++) {
    const uint8_t *blk = panel + s * ND_PB_Q4_K;
    // The mins' sums first: they need no weight integers.
    __m256i msum[ND_Q4_K_ROWS][2], isum[ND_Q4_K_ROWS][2];
    ND_UNROLL for (int r = 0; r < R; r++) msum[r][0] = msum[r][1] = isum[r][0] = isum[r][1] = _mm256_setzero_si256();
    ND_UNROLL for (int i = 0; i < 4; i++) {
      const __m256i mp[2] = {nd_k_min_pairs(blk, i, 0), nd_k_min_pairs(blk, i, 1)};
      ND_UNROLL for (int r = 0; r < R; r++) {
        const __m256i sp = nd_sum_pairs(x + r * xrow, k, 8 * s + 2 * i);
        ND_UNROLL for (int hh = 0; hh < 2; hh++) msum[r][hh] = _mm256_add_epi32(msum[r][hh], _mm256_madd_epi16(mp[hh], sp));
      }
    }
    for (int g = 0; g < 4; g++) {
      ND_UNROLL for (int j = 0; j < 2; j++) {
        const int64_t b = 8 * s + 2 * g + j;
        __m256i sum[ND_Q4_K_ROWS][2];
        ND_UNROLL for (int r = 0; r < R; r++) sum[r][0] = sum[r][1] = _mm256_setzero_si256();
        // Hidden from the optimiser, so the second phase loads the vectors again: kept from the first,
        // the 16 would spill, and every spill costs more than the load it saves.
        const uint8_t *q = blk + 512 * g;
        __asm__("" : "+r"(q));
        _Pragma("clang loop unroll(disable)") for (int h = 0; h < 8; h++) {
          __m256i w[2];
          ND_UNROLL for (int hh = 0; hh < 2; hh++) {
            const __m256i v = _mm256_loadu_si256((const __m256i *)(q + 64 * h + 32 * hh));
            w[hh] = j ? nd_high_nibbles(v) : nd_low_nibbles(v);
          }
          ND_UNROLL for (int r = 0; r < R; r++) {
            const __m256i xv = nd_bcast4(x + r * xrow + b * ND_QK + 4 * h);
            ND_UNROLL for (int hh = 0; hh < 2; hh++)
              sum[r][hh] = _mm256_add_epi16(sum[r][hh], _mm256_maddubs_epi16(w[hh], xv));
          }
        }
        // The block's 6-bit scales in both int16 halves of each row's lane: madd_epi16 by them widens
        // the pair sums and multiplies them by the scale in one step, exactly.
        __m256i sc[2];
        ND_UNROLL for (int hh = 0; hh < 2; hh++) {
          const __m256i v = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(blk + ND_Q4_K_SC + 16 * (2 * g + j) + 8 * hh)));
          sc[hh] = _mm256_or_si256(v, _mm256_slli_epi32(v, 16));
        }
        ND_UNROLL for (int r = 0; r < R; r++)
          ND_UNROLL for (int hh = 0; hh < 2; hh++)
            isum[r][hh] = _mm256_add_epi32(isum[r][hh], _mm256_madd_epi16(sum[r][hh], sc[hh]));
      }
    }
    ND_UNROLL for (int r = 0; r < R; r++) {
      const float dxs = nd_row_dx(x + r * xrow, k)[8 * s];
      ND_UNROLL for (int hh = 0; hh < 2; hh++)
        acc[r][hh] = nd_k_steps(acc[r][hh], isum[r][hh], msum[r][hh], blk + ND_Q4_K_D + 16 * hh,
                                blk + ND_Q4_K_DMIN + 16 * hh, dxs);
    }
  }
  ND_UNROLL for (int r = 0; r < R; r++)
    ND_UNROLL for (int hh = 0; hh < 2; hh++) {
      const int left = cols - ND_HALF * hh;
      if (left > 0) nd_store8(y + r * ldy + ND_HALF * hh, acc[r][hh], left < ND_HALF ? left : ND_HALF, accumulate);
    }
}

#define nd_k_tile_half(T, RR, ...) nd_k_tile_maddubs(T, RR, 1, __VA_ARGS__)
#define nd_k_tile_panel(T, RR, ...) nd_k_tile_maddubs(T, RR, 2, __VA_ARGS__)

static void nd_k_tile_maddubs_any(int type, int R, int half, const uint8_t *panel, const uint8_t *x, int64_t xrow,
                                  int64_t nb, float *y, int64_t ldy, int accumulate, int cols) {
  switch (type * 8 + R) {
    ND_TILE_CASES(3, nd_k_tile_half, ND_Q8ACT_Q5_K)
    ND_TILE_CASES(4, nd_k_tile_half, ND_Q8ACT_Q6_K)
    default: return;
  }
}

#define nd_q4_k_panel(T, RR, half, ...) nd_q4_k_panel_tile(RR, __VA_ARGS__)

/// Activation rows against a whole panel: Q4_K's tile for every tile of rows, the others' for one row.
static void nd_k_panel_maddubs(int type, int R, int half, const uint8_t *panel, const uint8_t *x, int64_t xrow,
                               int64_t nb, float *y, int64_t ldy, int accumulate, int cols) {
  switch (type * 8 + R) {
    ND_TILE_CASES(5, nd_q4_k_panel, ND_Q8ACT_Q4_K)
    ND_TILE_CASES(1, nd_k_tile_panel, ND_Q8ACT_Q5_K)
    ND_TILE_CASES(1, nd_k_tile_panel, ND_Q8ACT_Q6_K)
    default: return;
  }
}

/// The K-quant product, also the AVX-VNNI table's (its dpbusd gains little where the
/// scales already take a multiply per block).
void nd_q8act_matmul_k_avx2(int type, const void *packed, int64_t r0, int64_t r1, const void *xq, int64_t m,
                            int64_t k, float *y, int64_t ldy, int accumulate) {
  const int q4_k = type == ND_Q8ACT_Q4_K;
  nd_q8act_sweep_avx2(nd_k_tile_maddubs_any, nd_k_panel_maddubs, q4_k ? ND_Q4_K_ROWS : 1,
           q4_k ? ND_Q4_K_ROWS : type == ND_Q8ACT_Q5_K ? 3 : ND_K_ROWS, type, packed, r0, r1, xq, m, k, y, ldy, accumulate);
}

ND_AVX2_END

#endif
