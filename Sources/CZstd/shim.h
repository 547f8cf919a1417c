// zstd from Debian's libzstd-dev. Only NightdeskIngest's ZstdSource wraps it (streaming
// decompression of .zst dumps).
#include <zstd.h>
