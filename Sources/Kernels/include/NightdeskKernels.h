// Nightdesk's numeric kernels: the only C in the project besides the system-library shims.
// Each kernel has a scalar reference beside its SIMD version; tests compare the two.
#ifndef NIGHTDESK_KERNELS_H
#define NIGHTDESK_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "nd_quants.h"
#include "nd_forward.h"
#include "nd_q8act.h"
#include "nd_cpu.h"

#endif
