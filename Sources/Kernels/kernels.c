#include "NightdeskKernels.h"
