/* A module whose one method waits at a FIFO: `coil run` tests use it to
 * hold a call in progress while the host is told to stop. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coil/class.h"
#include "gate.h"

typedef struct gatekeeper { int unused; } gatekeeper;

static int gk_pass(void *self, const char *path, char **result, coil_error **err)
{
    (void)self;
    FILE *f = fopen(path, "r"); /* blocks until the test opens it for writing */
    if (!f) {
        *err = coil_error_new(COIL_EIO, "cannot open '%s': %s", path, strerror(errno));
        return COIL_EIO;
    }
    char line[256] = "";
    if (!fgets(line, sizeof line, f))
        line[0] = '\0';
    fclose(f);
    line[strcspn(line, "\n")] = '\0';
    if (!(*result = strdup(line))) {
        *err = coil_error_new(COIL_ENOMEM, "out of memory");
        return COIL_ENOMEM;
    }
    return 0;
}

static const gate_ops gk_ops = { .pass = gk_pass };
static const coil_implements gk_ifaces[] = { { &gate_interface, &gk_ops }, COIL_IMPLEMENTS_END };
static const coil_class gatekeeper_class = {
    .abi = COIL_ABI_VERSION, .name = "test.gatekeeper", .size = sizeof(gatekeeper),
    .implements = gk_ifaces,
};

COIL_MODULE("gatemod", "1.0", &gatekeeper_class);
