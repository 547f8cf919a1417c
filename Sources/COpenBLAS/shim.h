// OpenBLAS's CBLAS interface from Debian's libopenblas-dev. Only the model's matmul wraps it.
#include <cblas.h>
