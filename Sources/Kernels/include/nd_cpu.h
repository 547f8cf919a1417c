// Kernel levels: which instruction set the kernels run, chosen at run time from CPUID.
//
// One binary serves a mixed fleet: every level is compiled into every x86-64 build (each
// in translation units of its own, with target attributes), and the process picks the
// best level its CPU has, or the one NIGHTDESK_KERNELS names (generic, avx2, avx512) when
// the CPU has it. Every level computes the same fixed reduction orders, so every level
// gives the same bits: a job retried on another worker gives the same text.
#ifndef ND_CPU_H
#define ND_CPU_H

#include <stddef.h>

enum {
  ND_LEVEL_GENERIC = 0,  // plain C, every CPU (and every architecture)
  ND_LEVEL_AVX2 = 1,     // AVX2 + FMA + F16C (AVX-VNNI used where present)
  ND_LEVEL_AVX512 = 2,   // AVX-512 F/BW/VL/DQ (VNNI used where present)
  ND_LEVEL_COUNT = 3,
  ND_LEVEL_ACTIVE = -1,  // for calls that take a level: the process's level
};

/// "generic", "avx2", "avx512"; NULL for anything else.
const char *nd_level_name(int level);
/// The level a name stands for, -1 for an unknown name.
int nd_level_parse(const char *name);
/// Writes the extensions `level` needs that this CPU (or this build's architecture) lacks,
/// separated by spaces, NUL-terminated and truncated to `capacity`; returns how many.
int nd_level_missing(int level, char *out, size_t capacity);
/// 1 when this CPU can run `level`.
int nd_level_supported(int level);
/// The highest level this CPU supports.
int nd_level_best(void);
/// The level the kernels run in this process: NIGHTDESK_KERNELS when it names a level this
/// CPU supports, else the best (the callers that load models refuse a bad value first).
/// Fixed at the first call.
int nd_level_active(void);
/// 1 when the CPU has the named extension (cpuinfo spelling without underscores, e.g.
/// "avx512vnni", "avxvnni", "avx512bf16", "f16c").
int nd_cpu_has(const char *feature);
/// Which 8-bit-activation product a level runs: "avx512-vnni", "avx-vnni", "avx2", "scalar".
const char *nd_q8act_kernel_name(int level);

#endif
