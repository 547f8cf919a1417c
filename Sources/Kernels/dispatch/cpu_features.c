// What this CPU has, from CPUID and XGETBV (an extension counts only when the operating
// system also saves its registers), and which kernel levels that allows.
#include "nd_cpu.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

typedef struct {
  const char *name;
  int present;
} nd_feature;

enum { ND_FEATURES = 13 };

/// Filled once; reads are of immutable data after that.
static nd_feature features[ND_FEATURES];
static atomic_int features_ready;

#if defined(__x86_64__)
static unsigned long long nd_xcr0(void) {
  unsigned int eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return ((unsigned long long)edx << 32) | eax;
}
#endif

static void nd_detect(void) {
  int fma = 0, f16c = 0, avx2 = 0, avx512f = 0, avx512bw = 0, avx512vl = 0, avx512dq = 0, avx512vnni = 0;
  int avx512bf16 = 0, avxvnni = 0, avx = 0, ymm = 0, zmm = 0;
#if defined(__x86_64__)
  unsigned int a, b, c, d;
  if (__get_cpuid(1, &a, &b, &c, &d)) {
    const int osxsave = (c >> 27) & 1;
    if (osxsave) {
      const unsigned long long xcr0 = nd_xcr0();
      ymm = (xcr0 & 0x6) == 0x6;             // SSE and AVX state
      zmm = ymm && (xcr0 & 0xE0) == 0xE0;    // opmask, ZMM0-15 upper halves, ZMM16-31
    }
    avx = ymm && ((c >> 28) & 1);
    fma = avx && ((c >> 12) & 1);
    f16c = avx && ((c >> 29) & 1);
  }
  unsigned int max_leaf = __get_cpuid_max(0, NULL);
  if (max_leaf >= 7) {
    __cpuid_count(7, 0, a, b, c, d);
    avx2 = avx && ((b >> 5) & 1);
    avx512f = zmm && ((b >> 16) & 1);
    avx512dq = avx512f && ((b >> 17) & 1);
    avx512bw = avx512f && ((b >> 30) & 1);
    avx512vl = avx512f && ((b >> 31) & 1);
    avx512vnni = avx512f && ((c >> 11) & 1);
    const unsigned int sub_leaves = a;
    if (sub_leaves >= 1) {
      __cpuid_count(7, 1, a, b, c, d);
      avxvnni = avx && ((a >> 4) & 1);
      avx512bf16 = avx512f && ((a >> 5) & 1);
    }
  }
#endif
  const nd_feature found[ND_FEATURES] = {
    {"avx", avx}, {"avx2", avx2}, {"fma", fma}, {"f16c", f16c},
    {"avx512f", avx512f}, {"avx512bw", avx512bw}, {"avx512vl", avx512vl}, {"avx512dq", avx512dq},
    {"avx512vnni", avx512vnni}, {"avx512bf16", avx512bf16}, {"avxvnni", avxvnni},
    {"zmm-state", zmm}, {"ymm-state", ymm},
  };
  memcpy(features, found, sizeof found);
}

static void nd_ensure_detected(void) {
  if (atomic_load_explicit(&features_ready, memory_order_acquire)) return;
  nd_detect();  // idempotent: racing first callers write the same values
  atomic_store_explicit(&features_ready, 1, memory_order_release);
}

int nd_cpu_has(const char *feature) {
  nd_ensure_detected();
  for (int i = 0; i < ND_FEATURES; i++)
    if (strcmp(features[i].name, feature) == 0) return features[i].present;
  return 0;
}

/// The extensions each level needs (its kernels' target attributes say the same).
static const char *const avx2_needs[] = {"avx", "avx2", "fma", "f16c", NULL};
static const char *const avx512_needs[] = {"avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512dq", NULL};

const char *nd_level_name(int level) {
  switch (level) {
    case ND_LEVEL_GENERIC: return "generic";
    case ND_LEVEL_AVX2: return "avx2";
    case ND_LEVEL_AVX512: return "avx512";
    default: return NULL;
  }
}

int nd_level_parse(const char *name) {
  for (int level = 0; level < ND_LEVEL_COUNT; level++)
    if (name && strcmp(name, nd_level_name(level)) == 0) return level;
  return -1;
}

static void append(char *out, size_t capacity, size_t *used, const char *name) {
  size_t length = strlen(name);
  size_t gap = *used > 0 ? 1 : 0;
  if (capacity == 0 || *used + gap + length + 1 > capacity) return;
  if (gap) out[(*used)++] = ' ';
  memcpy(out + *used, name, length);
  *used += length;
  out[*used] = 0;
}

int nd_level_missing(int level, char *out, size_t capacity) {
  size_t used = 0;
  int missing = 0;
  if (capacity > 0) out[0] = 0;
  if (level == ND_LEVEL_GENERIC) return 0;
#if !defined(__x86_64__)
  append(out, capacity, &used, "x86-64");
  return 1;
#else
  const char *const *needs = level == ND_LEVEL_AVX512 ? avx512_needs : level == ND_LEVEL_AVX2 ? avx2_needs : NULL;
  if (!needs) {
    append(out, capacity, &used, "a known level");
    return 1;
  }
  for (; *needs; needs++) {
    if (!nd_cpu_has(*needs)) {
      missing += 1;
      append(out, capacity, &used, *needs);
    }
  }
  return missing;
#endif
}

int nd_level_supported(int level) {
  if (level < 0 || level >= ND_LEVEL_COUNT) return 0;
  char unused[8];
  return nd_level_missing(level, unused, sizeof unused) == 0;
}

int nd_level_best(void) {
  for (int level = ND_LEVEL_COUNT - 1; level > 0; level--)
    if (nd_level_supported(level)) return level;
  return ND_LEVEL_GENERIC;
}

static atomic_int active_level = -1;

int nd_level_active(void) {
  int level = atomic_load_explicit(&active_level, memory_order_acquire);
  if (level >= 0) return level;
  const int wanted = nd_level_parse(getenv("NIGHTDESK_KERNELS"));
  level = wanted >= 0 && nd_level_supported(wanted) ? wanted : nd_level_best();
  int expected = -1;
  atomic_compare_exchange_strong(&active_level, &expected, level);
  return atomic_load_explicit(&active_level, memory_order_acquire);
}
