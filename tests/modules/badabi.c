/* A module built against a future ABI: the container must refuse it. */
#include <stddef.h>

#include "coil/class.h"

typedef struct thing { char *x; } thing;

static const coil_class thing_class = {
    .abi = 99, .name = "badabi.thing", .size = sizeof(thing),
};

static const coil_class *const classes[] = { &thing_class, NULL };

COIL_EXPORT const coil_module coil_module_descriptor = {
    .abi = 99, .name = "badabi", .version = "9.9", .classes = classes,
};
