// hiredis from Debian's libhiredis-dev (0.14.1). Only the Redis client wraps it.
#include <hiredis.h>
