/* A real Coil module for the tests: classes "mod.greeter" and "mod.node". */
#include <stddef.h>

#include "coil/class.h"
#include "modules/testmod.h"

static int live;

COIL_EXPORT int testmod_live(void);
COIL_EXPORT int testmod_live(void) { return live; }

static int counted_init(void *self, coil_error **err) {
    (void)self;
    (void)err;
    live++;
    return 0;
}

static void counted_destroy(void *self) {
    (void)self;
    live--;
}

static const coil_property greeter_properties[] = {
    { .name = "greeting", .type = COIL_T_STRING, .offset = offsetof(mod_greeter, greeting), .flags = 0, .default_value = "hi" },
    COIL_PROPERTIES_END
};

static const coil_class greeter_class = {
    .abi = COIL_ABI_VERSION, .name = "mod.greeter", .size = sizeof(mod_greeter),
    .properties = greeter_properties, .init = counted_init, .destroy = counted_destroy,
};

static int node_init(void *self, coil_error **err) {
    mod_node *n = self;
    if (n->fail) {
        if (err)
            *err = coil_error_new(COIL_EINIT, "node %s refused", n->name ? n->name : "?");
        return -1;
    }
    live++;
    return 0;
}

static const coil_property node_properties[] = {
    { .name = "name", .type = COIL_T_STRING, .offset = offsetof(mod_node, name), .flags = 0 },
    { .name = "next", .type = COIL_T_REF, .offset = offsetof(mod_node, next), .flags = 0 },
    { .name = "deps", .type = COIL_T_REFS, .offset = offsetof(mod_node, deps), .flags = 0 },
    { .name = "fail", .type = COIL_T_BOOL, .offset = offsetof(mod_node, fail), .flags = 0 },
    COIL_PROPERTIES_END
};

static const coil_class node_class = {
    .abi = COIL_ABI_VERSION, .name = "mod.node", .size = sizeof(mod_node),
    .properties = node_properties, .init = node_init, .destroy = counted_destroy,
};

COIL_MODULE("testmod", "1.0", &greeter_class, &node_class);
