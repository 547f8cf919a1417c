// Which instruction-set extensions the kernels were compiled for (-march=native on the
// build machine), and which of those this CPU lacks: a binary copied to an older CPU
// should say so instead of dying of SIGILL in the first product.
#ifndef ND_CPU_H
#define ND_CPU_H

#include <stddef.h>

// Writes the names of the extensions the kernels need but this CPU lacks, separated by
// spaces, into `out` (NUL-terminated, truncated to `capacity`); returns how many.
int nd_cpu_missing_features(char *out, size_t capacity);

// The extensions the kernels were compiled for, written like the above; returns how many.
int nd_cpu_compiled_features(char *out, size_t capacity);

#endif
