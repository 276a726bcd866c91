/* The test module's instance layouts (tests read the fields). */
#ifndef COIL_TESTMOD_H
#define COIL_TESTMOD_H

#include <stdbool.h>

#include "coil/class.h"

typedef struct mod_greeter { char *greeting; } mod_greeter;
typedef struct mod_node { char *name; void *next; coil_refs deps; bool fail; } mod_node;

/* Exported by libtestmod.so: instances initialized and not yet destroyed. */
typedef int (*testmod_live_fn)(void);

#endif
