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
  int compiled;
  int (*supported)(void);
} nd_feature;

#if defined(__x86_64__)
#define ND_PROBE(fn, feature) \
  ND_BASELINE static int fn(void) { return __builtin_cpu_supports(feature) ? 1 : 0; }
ND_PROBE(has_avx2, "avx2")
ND_PROBE(has_fma, "fma")
ND_PROBE(has_f16c, "f16c")
ND_PROBE(has_avx512f, "avx512f")
ND_PROBE(has_avx512bw, "avx512bw")
ND_PROBE(has_avx512vl, "avx512vl")
ND_PROBE(has_avx512dq, "avx512dq")
ND_PROBE(has_avx512vnni, "avx512vnni")
ND_PROBE(has_avx512bf16, "avx512bf16")

#ifdef __AVX2__
#define C_AVX2 1
#else
#define C_AVX2 0
#endif
#ifdef __FMA__
#define C_FMA 1
#else
#define C_FMA 0
#endif
#ifdef __F16C__
#define C_F16C 1
#else
#define C_F16C 0
#endif
#ifdef __AVX512F__
#define C_AVX512F 1
#else
#define C_AVX512F 0
#endif
#ifdef __AVX512BW__
#define C_AVX512BW 1
#else
#define C_AVX512BW 0
#endif
#ifdef __AVX512VL__
#define C_AVX512VL 1
#else
#define C_AVX512VL 0
#endif
#ifdef __AVX512DQ__
#define C_AVX512DQ 1
#else
#define C_AVX512DQ 0
#endif
#ifdef __AVX512VNNI__
#define C_AVX512VNNI 1
#else
#define C_AVX512VNNI 0
#endif
#ifdef __AVX512BF16__
#define C_AVX512BF16 1
#else
#define C_AVX512BF16 0
#endif

static const nd_feature features[] = {
  {"avx2", C_AVX2, has_avx2},
  {"fma", C_FMA, has_fma},
  {"f16c", C_F16C, has_f16c},
  {"avx512f", C_AVX512F, has_avx512f},
  {"avx512bw", C_AVX512BW, has_avx512bw},
  {"avx512vl", C_AVX512VL, has_avx512vl},
  {"avx512dq", C_AVX512DQ, has_avx512dq},
  {"avx512vnni", C_AVX512VNNI, has_avx512vnni},
  {"avx512bf16", C_AVX512BF16, has_avx512bf16},
};
static const size_t feature_count = sizeof(features) / sizeof(features[0]);
#else
static const nd_feature *features = NULL;
static const size_t feature_count = 0;
#endif

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
  for (size_t i = 0; i < feature_count; i++) {
    if (features[i].compiled && !features[i].supported()) {
      missing += 1;
      append(out, capacity, &used, features[i].name);
    }
  }
  return missing;
}

ND_BASELINE int nd_cpu_compiled_features(char *out, size_t capacity) {
  size_t used = 0;
  int count = 0;
  if (capacity > 0) out[0] = 0;
  for (size_t i = 0; i < feature_count; i++) {
    if (features[i].compiled) {
      count += 1;
      append(out, capacity, &used, features[i].name);
    }
  }
  return count;
}
