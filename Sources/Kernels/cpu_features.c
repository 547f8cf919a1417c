#include "nd_cpu.h"

#include <string.h>

// Everything here is compiled for the baseline x86-64 (or the target's baseline), so the
// check itself runs on the very CPUs it is meant to warn.
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define ND_BASELINE __attribute__((target("arch=x86-64")))
#else
#define ND_BASELINE
#endif

typedef struct {
  const char *name;
  int (*supported)(void);
} nd_feature;

#if defined(__x86_64__)
#define ND_PROBE(fn, feature) \
  ND_BASELINE __attribute__((unused)) static int fn(void) { return __builtin_cpu_supports(feature) ? 1 : 0; }
ND_PROBE(has_avx2, "avx2")
ND_PROBE(has_fma, "fma")
ND_PROBE(has_f16c, "f16c")
ND_PROBE(has_avx512f, "avx512f")
ND_PROBE(has_avx512bw, "avx512bw")
ND_PROBE(has_avx512vl, "avx512vl")
ND_PROBE(has_avx512dq, "avx512dq")
ND_PROBE(has_avx512vnni, "avx512vnni")
ND_PROBE(has_avx512bf16, "avx512bf16")
#endif

// Only the extensions this file (like every kernel) was compiled for; the sentinel keeps
// the array non-empty when none is.
static const nd_feature features[] = {
#ifdef __AVX2__
  {"avx2", has_avx2},
#endif
#ifdef __FMA__
  {"fma", has_fma},
#endif
#ifdef __F16C__
  {"f16c", has_f16c},
#endif
#ifdef __AVX512F__
  {"avx512f", has_avx512f},
#endif
#ifdef __AVX512BW__
  {"avx512bw", has_avx512bw},
#endif
#ifdef __AVX512VL__
  {"avx512vl", has_avx512vl},
#endif
#ifdef __AVX512DQ__
  {"avx512dq", has_avx512dq},
#endif
#ifdef __AVX512VNNI__
  {"avx512vnni", has_avx512vnni},
#endif
#ifdef __AVX512BF16__
  {"avx512bf16", has_avx512bf16},
#endif
  {NULL, NULL},
};

ND_BASELINE static void append(char *out, size_t capacity, size_t *used, const char *name) {
  size_t length = strlen(name);
  size_t gap = *used > 0 ? 1 : 0;
  if (capacity == 0 || *used + gap + length + 1 > capacity) return;
  if (gap) out[(*used)++] = ' ';
  memcpy(out + *used, name, length);
  *used += length;
  out[*used] = 0;
}

ND_BASELINE int nd_cpu_missing_features(char *out, size_t capacity) {
  size_t used = 0;
  int missing = 0;
  if (capacity > 0) out[0] = 0;
#if defined(__x86_64__)
  __builtin_cpu_init();
#endif
  for (const nd_feature *f = features; f->name; f++) {
    if (!f->supported()) {
      missing += 1;
      append(out, capacity, &used, f->name);
    }
  }
  return missing;
}

ND_BASELINE int nd_cpu_compiled_features(char *out, size_t capacity) {
  size_t used = 0;
  int count = 0;
  if (capacity > 0) out[0] = 0;
  for (const nd_feature *f = features; f->name; f++) {
    count += 1;
    append(out, capacity, &used, f->name);
  }
  return count;
}
