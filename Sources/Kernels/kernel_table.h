// The kernels of one level (nd_cpu.h), as a table of function pointers the drivers call
// through. Each level fills its entries in its own translation units, compiled for its
// instruction set; the drivers (threading, tiling, planning) are plain C shared by all.
// Every entry computes the same bits at every level (the orders of nd_forward.h,
// nd_quants.h and nd_q8act.h); the tests compare each level with the generic one.
#ifndef ND_KERNEL_TABLE_H
#define ND_KERNEL_TABLE_H

#include <stdint.h>

#include "nd_cpu.h"
#include "nd_forward.h"
#include "nd_q8act.h"
#include "nd_quants.h"

enum { ND_QUANT_TYPE_COUNT = 11 };  // the entries of ND_QUANT_KERNELS

// MARK: Attention's inner loops (drivers/paged_attention.c plans the tasks)

/// One query vector of a task: its scores (indexed by key), output and last key.
typedef struct {
  float *scores;
  float *out;
  int64_t last;
} nd_query;

/// Up to 16 consecutive keys of one block: `k` points at the first key's
/// dimension 0 (dimension d lies d rows of block_size keys further); their
/// scores go to index j on of each query's row.
typedef struct {
  const char *k;
  int64_t j;
  int n;
} nd_key_group;

enum { ND_KEY_GROUPS = 8 };  // key groups per pass over a call's queries

/// Scores of `count` queries (q: their vectors; packed: the same, [count / 4 tiles][head_dim][4])
/// against `ng` key groups (g padded to ND_KEY_GROUPS with n = 0): each score one fused
/// multiply-add chain over d from 0.
typedef void (*nd_score_groups_fn)(const nd_attention_job *job, const float *const *q, const float *packed,
                                   const nd_query *qs, int64_t count, const nd_key_group *g, int ng);
/// Values of keys [j0, j1) (through `table`) of KV head kvh added into each query's
/// output in key order, one fused multiply-add per term; keys past a query's last skipped.
typedef void (*nd_pv_fn)(const nd_attention_job *job, const nd_query *qs, int64_t count, int64_t kvh,
                         const int32_t *table, int64_t j0, int64_t j1);

struct nd_kernel_table {
  int level;
  const char *q8act_name;  // nd_q8act_kernel_name

  float (*dot_fixed)(const float *a, const float *b, int64_t n);
  void (*matmul_nt)(const float *a, int64_t lda, const float *w, int64_t ldw, float *c, int64_t ldc, int64_t m,
                    int64_t n, int64_t k, int accumulate);
  nd_quant_kernels quants[ND_QUANT_TYPE_COUNT];

  void (*exp)(const float *x, float *y, int64_t count);
  void (*silu_mul)(float *g, const float *u, int64_t count);
  int64_t (*argmax)(const float *x, int64_t n);

  /// s[j] = softmax(scale * s)[j] over j < n; the sum in 16 lanes (lane l adds j = l mod 16
  /// in increasing j), then nd_lane_tree.
  void (*softmax_row)(float *s, int64_t n, float scale);
  nd_score_groups_fn score_groups;
  nd_pv_fn pv;

  void (*q8_quantize)(const float *x, int64_t ldx, int64_t m, int64_t k, int64_t span, void *dst);
  void (*q8_matmul)(int type, const void *packed, int64_t r0, int64_t r1, const void *xq, int64_t m, int64_t k,
                    float *y, int64_t ldy, int accumulate);
};

// Each level fills the table from the one below it, then replaces what it has.
void nd_fill_generic(nd_kernel_table *t);
#if defined(__x86_64__)
void nd_fill_avx2(nd_kernel_table *t);
void nd_fill_avx512(nd_kernel_table *t);
#endif

// The generic level's entries, for other levels' tails and fallbacks.
void nd_softmax_row_generic(float *s, int64_t n, float scale);
void nd_score_groups_generic(const nd_attention_job *job, const float *const *q, const float *packed,
                             const nd_query *qs, int64_t count, const nd_key_group *g, int ng);
void nd_pv_generic(const nd_attention_job *job, const nd_query *qs, int64_t count, int64_t kvh, const int32_t *table,
                   int64_t j0, int64_t j1);
/// Element i of a cached vector in `format`, as float32 (exact).
float nd_kv_load1(const void *p, int64_t i, int format);

#endif
