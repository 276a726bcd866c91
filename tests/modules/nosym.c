/* A shared library that is not a Coil module: no descriptor symbol. */
#include "coil/class.h"

COIL_EXPORT int nosym_answer(void);
COIL_EXPORT int nosym_answer(void) { return 42; }
