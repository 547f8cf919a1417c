// jansson from Debian's libjansson-dev. Only NightdeskSupport's JSON reader wraps it.
#include <jansson.h>
