/* A module whose class name clashes with the application's "recorder". */
#include <stddef.h>

#include "coil/class.h"

typedef struct thing { char *name; } thing;

static const coil_class recorder_again = {
    .abi = COIL_ABI_VERSION, .name = "recorder", .size = sizeof(thing),
};

COIL_MODULE("clash_app", "1.0", &recorder_again);
