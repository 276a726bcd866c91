/* A module whose class name clashes with libtestmod's "mod.greeter". */
#include <stddef.h>

#include "coil/class.h"

typedef struct thing { char *greeting; } thing;

static const coil_class greeter_again = {
    .abi = COIL_ABI_VERSION, .name = "mod.greeter", .size = sizeof(thing),
};

COIL_MODULE("clash_mod", "1.0", &greeter_again);
