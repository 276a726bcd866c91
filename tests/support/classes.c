/* Test classes compiled into the test executables. */
#include "support/support.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* ---- Interfaces ---------------------------------------------------------- */

const coil_interface greeter_iface = { .abi = COIL_ABI_VERSION, .name = "greeter" };
const coil_interface widget_iface = { .abi = COIL_ABI_VERSION, .name = "widget" };
const coil_interface other_iface = { .abi = COIL_ABI_VERSION, .name = "other" };
const coil_interface dynamic_iface = { .abi = COIL_ABI_VERSION, .name = "dynamic" };

/* ---- everything ----------------------------------------------------------- */

static const coil_property everything_properties[] = {
    { .name = "s", .type = COIL_T_STRING, .offset = offsetof(everything, s), .flags = 0 },
    { .name = "i", .type = COIL_T_INT, .offset = offsetof(everything, i), .flags = 0 },
    { .name = "d", .type = COIL_T_DOUBLE, .offset = offsetof(everything, d), .flags = 0 },
    { .name = "b", .type = COIL_T_BOOL, .offset = offsetof(everything, b), .flags = 0 },
    { .name = "strs", .type = COIL_T_STRINGS, .offset = offsetof(everything, strs), .flags = 0 },
    { .name = "ints", .type = COIL_T_INTS, .offset = offsetof(everything, ints), .flags = 0 },
    { .name = "dbls", .type = COIL_T_DOUBLES, .offset = offsetof(everything, dbls), .flags = 0 },
    { .name = "bools", .type = COIL_T_BOOLS, .offset = offsetof(everything, bools), .flags = 0 },
    { .name = "ref", .type = COIL_T_REF, .offset = offsetof(everything, ref), .flags = 0 },
    { .name = "refs", .type = COIL_T_REFS, .offset = offsetof(everything, refs), .flags = 0 },
    { .name = "map", .type = COIL_T_MAP, .offset = offsetof(everything, map), .flags = 0 },
    { .name = "any", .type = COIL_T_ANY, .offset = offsetof(everything, any), .flags = 0 },
    { .name = "either", .type = COIL_T_REF_OR_VALUE, .offset = offsetof(everything, either), .flags = 0 },
    { .name = "verses", .type = COIL_T_INT, .offset = offsetof(everything, verses), .flags = 0, .check = COIL_RANGE(1, 8) },
    { .name = "mode", .type = COIL_T_STRING, .offset = offsetof(everything, mode), .flags = 0, .check = COIL_ONE_OF("fast", "slow") },
    { .name = "ratio", .type = COIL_T_DOUBLE, .offset = offsetof(everything, ratio), .flags = 0, .check = COIL_FRANGE(0.0, 1.0) },
    { .name = "dint", .type = COIL_T_INT, .offset = offsetof(everything, dint), .flags = 0, .default_value = "7" },
    { .name = "dstr", .type = COIL_T_STRING, .offset = offsetof(everything, dstr), .flags = 0, .default_value = "hello" },
    { .name = "dflag", .type = COIL_T_BOOL, .offset = offsetof(everything, dflag), .flags = 0, .default_value = "yes" },
    { .name = "dnum", .type = COIL_T_DOUBLE, .offset = offsetof(everything, dnum), .flags = 0, .default_value = "2.5" },
    COIL_PROPERTIES_END
};

const coil_class everything_class = {
    .abi = COIL_ABI_VERSION, .name = "everything", .size = sizeof(everything),
    .properties = everything_properties,
};

/* ---- needy ------------------------------------------------------------------ */

static const coil_property needy_properties[] = {
    { .name = "finder", .type = COIL_T_REF, .offset = offsetof(needy, finder), .flags = COIL_REQUIRED },
    { .name = "name", .type = COIL_T_STRING, .offset = offsetof(needy, name), .flags = COIL_REQUIRED },
    { .name = "count", .type = COIL_T_INT, .offset = offsetof(needy, count), .flags = 0 },
    COIL_PROPERTIES_END
};

const coil_class needy_class = {
    .abi = COIL_ABI_VERSION, .name = "needy", .size = sizeof(needy),
    .properties = needy_properties,
};

/* ---- recorder --------------------------------------------------------------- */

static atomic_int recorders_live;

int recorder_live(void) { return atomic_load(&recorders_live); }

static const coil_property recorder_properties[] = {
    { .name = "name", .type = COIL_T_STRING, .offset = offsetof(recorder, name), .flags = 0 },
    { .name = "fail", .type = COIL_T_BOOL, .offset = offsetof(recorder, fail), .flags = 0 },
    { .name = "first", .type = COIL_T_REF, .offset = offsetof(recorder, first), .flags = 0 },
    { .name = "second", .type = COIL_T_REF, .offset = offsetof(recorder, second), .flags = 0 },
    { .name = "items", .type = COIL_T_REFS, .offset = offsetof(recorder, items), .flags = 0 },
    COIL_PROPERTIES_END
};

static bool recorder_ready(const void *p) {
    return p == NULL || ((const recorder *)p)->magic == RECORDER_MAGIC;
}

static int recorder_init(void *self, coil_error **err) {
    recorder *r = self;
    const char *name = r->name ? r->name : "?";
    bool early = !recorder_ready(r->first) || !recorder_ready(r->second);
    for (size_t i = 0; i < r->items.count; i++)
        early = early || !recorder_ready(r->items.items[i]);
    if (early)
        tlog_add("early:%s", name);
    if (r->fail) {
        if (err)
            *err = coil_error_new(COIL_EINIT, "boom from %s", name);
        return -1;
    }
    r->magic = RECORDER_MAGIC;
    atomic_fetch_add(&recorders_live, 1);
    tlog_add("init:%s", name);
    return 0;
}

static void recorder_destroy(void *self) {
    recorder *r = self;
    /* Property fields still belong to us until destroy returns. */
    tlog_add("destroy:%s", r->name ? r->name : "?");
    if (r->magic != RECORDER_MAGIC)
        tlog_add("destroy-uninitialized:%s", r->name ? r->name : "?");
    /* What this object refers to must still be alive. */
    if (!recorder_ready(r->first) || !recorder_ready(r->second))
        tlog_add("dangling:%s", r->name ? r->name : "?");
    r->magic = 0;
    atomic_fetch_sub(&recorders_live, 1);
}

const coil_class recorder_class = {
    .abi = COIL_ABI_VERSION, .name = "recorder", .size = sizeof(recorder),
    .properties = recorder_properties, .init = recorder_init, .destroy = recorder_destroy,
};

/* ---- widget_factory ---------------------------------------------------------- */

static const coil_property widget_factory_properties[] = {
    { .name = "label", .type = COIL_T_STRING, .offset = offsetof(widget_factory, label), .flags = COIL_REQUIRED },
    { .name = "fail_produce", .type = COIL_T_BOOL, .offset = offsetof(widget_factory, fail_produce), .flags = 0 },
    COIL_PROPERTIES_END
};

static int widget_factory_init(void *self, coil_error **err) {
    (void)err;
    tlog_add("init:%s", ((widget_factory *)self)->label);
    return 0;
}

static void *widget_factory_produce(void *self, coil_error **err) {
    widget_factory *f = self;
    if (f->fail_produce) {
        if (err)
            *err = coil_error_new(COIL_EINIT, "no widget today");
        return NULL;
    }
    f->product.magic = WIDGET_MAGIC;
    f->product.label = f->label;
    tlog_add("produce:%s", f->label);
    return &f->product;
}

static void widget_factory_destroy(void *self) {
    widget_factory *f = self;
    tlog_add("destroy:%s", f->label);
    f->product.magic = 0;
}

static const struct widget_ops { int unused; } widget_ops_table = { 0 };

static const coil_implements widget_factory_implements[] = {
    { &widget_iface, &widget_ops_table },
    COIL_IMPLEMENTS_END
};

const coil_class widget_factory_class = {
    .abi = COIL_ABI_VERSION, .name = "widget_factory", .size = sizeof(widget_factory),
    .properties = widget_factory_properties, .init = widget_factory_init,
    .destroy = widget_factory_destroy, .produce = widget_factory_produce,
    .implements = widget_factory_implements,
};

/* ---- greeter / greeter_user / dyn ---------------------------------------- */

static const char *greeter_greet(void *self) { return ((greeter *)self)->greeting; }

const greeter_ops greeter_impl_ops = { .greet = greeter_greet };

static const coil_property greeter_properties[] = {
    { .name = "greeting", .type = COIL_T_STRING, .offset = offsetof(greeter, greeting), .flags = 0, .default_value = "hello" },
    COIL_PROPERTIES_END
};

static const coil_implements greeter_implements[] = {
    { &greeter_iface, &greeter_impl_ops },
    COIL_IMPLEMENTS_END
};

const coil_class greeter_class = {
    .abi = COIL_ABI_VERSION, .name = "greeter", .size = sizeof(greeter),
    .properties = greeter_properties, .implements = greeter_implements,
};

static const coil_property greeter_user_properties[] = {
    { .name = "greeter", .type = COIL_T_REF, .offset = offsetof(greeter_user, greeter), .flags = 0, .iface = &greeter_iface },
    COIL_PROPERTIES_END
};

const coil_class greeter_user_class = {
    .abi = COIL_ABI_VERSION, .name = "greeter_user", .size = sizeof(greeter_user),
    .properties = greeter_user_properties,
};

static int dyn_answer(void *self) { (void)self; return 42; }

const dynamic_ops dyn_ops = { .answer = dyn_answer };

static const void *dyn_query(void *self, const coil_interface *iface) {
    dyn *d = self;
    if (d->iface && iface && iface->name && strcmp(d->iface, iface->name) == 0)
        return &dyn_ops;
    return NULL;
}

static const coil_property dyn_properties[] = {
    { .name = "iface", .type = COIL_T_STRING, .offset = offsetof(dyn, iface), .flags = 0 },
    COIL_PROPERTIES_END
};

const coil_class dyn_class = {
    .abi = COIL_ABI_VERSION, .name = "dyn", .size = sizeof(dyn),
    .properties = dyn_properties, .query = dyn_query,
};

/* ---- slow ---------------------------------------------------------------------- */

static atomic_int slow_count;

int slow_creations(void) { return atomic_load(&slow_count); }

static int slow_init(void *self, coil_error **err) {
    (void)err;
    slow *s = self;
    s->creation = atomic_fetch_add(&slow_count, 1) + 1;
    /* Stay in init long enough for the other threads to pile up on the get. */
    for (int i = 0; i < 3000; i++)
        sched_yield();
    return 0;
}

static const coil_property slow_properties[] = {
    { .name = "id", .type = COIL_T_INT, .offset = offsetof(slow, id), .flags = 0 },
    COIL_PROPERTIES_END
};

const coil_class slow_class = {
    .abi = COIL_ABI_VERSION, .name = "slow", .size = sizeof(slow),
    .properties = slow_properties, .init = slow_init,
};

/* ---- counted ---------------------------------------------------------------------- */

static atomic_int counted_count;

int counted_live(void) { return atomic_load(&counted_count); }

static void *counted_create(coil_error **err) {
    counted *c = calloc(1, sizeof *c);
    if (!c) {
        if (err)
            *err = coil_error_new(COIL_ENOMEM, "out of memory");
        return NULL;
    }
    atomic_fetch_add(&counted_count, 1);
    return c;
}

static void counted_dealloc(void *self) {
    atomic_fetch_sub(&counted_count, 1);
    free(self);
}

static const coil_property counted_properties[] = {
    { .name = "n", .type = COIL_T_INT, .offset = offsetof(counted, n), .flags = 0 },
    COIL_PROPERTIES_END
};

const coil_class counted_class = {
    .abi = COIL_ABI_VERSION, .name = "counted", .create = counted_create,
    .dealloc = counted_dealloc, .properties = counted_properties,
};

/* ---- Spring Python's example classes --------------------------------------------- */

static const coil_property movie_lister_properties[] = {
    { .name = "finder", .type = COIL_T_REF, .offset = offsetof(movie_lister, finder), .flags = 0 },
    { .name = "description", .type = COIL_T_REF, .offset = offsetof(movie_lister, description), .flags = 0 },
    COIL_PROPERTIES_END
};

const coil_class movie_lister_class = {
    .abi = COIL_ABI_VERSION, .name = SPRING_PKG "MovieLister", .size = sizeof(movie_lister),
    .properties = movie_lister_properties,
};

static const coil_property movie_finder_properties[] = {
    { .name = "filename", .type = COIL_T_STRING, .offset = offsetof(movie_finder, filename), .flags = COIL_REQUIRED },
    COIL_PROPERTIES_END
};

const coil_class movie_finder_class = {
    .abi = COIL_ABI_VERSION, .name = SPRING_PKG "ColonMovieFinder", .size = sizeof(movie_finder),
    .properties = movie_finder_properties,
};

static const coil_property string_holder_properties[] = {
    { .name = "str", .type = COIL_T_STRING, .offset = offsetof(string_holder, str), .flags = 0 },
    COIL_PROPERTIES_END
};

const coil_class string_holder_class = {
    .abi = COIL_ABI_VERSION, .name = SPRING_PKG "StringHolder", .size = sizeof(string_holder),
    .properties = string_holder_properties,
};

static const coil_property value_holder_properties[] = {
    { .name = "some_dict", .type = COIL_T_MAP, .offset = offsetof(value_holder, some_dict), .flags = 0 },
    { .name = "some_list", .type = COIL_T_STRINGS, .offset = offsetof(value_holder, some_list), .flags = 0 },
    { .name = "some_set", .type = COIL_T_STRINGS, .offset = offsetof(value_holder, some_set), .flags = 0 },
    { .name = "some_frozen_set", .type = COIL_T_STRINGS, .offset = offsetof(value_holder, some_frozen_set), .flags = 0 },
    { .name = "some_tuple", .type = COIL_T_STRINGS, .offset = offsetof(value_holder, some_tuple), .flags = 0 },
    { .name = "some_props", .type = COIL_T_MAP, .offset = offsetof(value_holder, some_props), .flags = 0 },
    { .name = "holders", .type = COIL_T_REFS, .offset = offsetof(value_holder, holders), .flags = 0 },
    { .name = "count", .type = COIL_T_INT, .offset = offsetof(value_holder, count), .flags = 0 },
    { .name = "ratio", .type = COIL_T_DOUBLE, .offset = offsetof(value_holder, ratio), .flags = 0 },
    { .name = "flag", .type = COIL_T_BOOL, .offset = offsetof(value_holder, flag), .flags = 0 },
    { .name = "label", .type = COIL_T_STRING, .offset = offsetof(value_holder, label), .flags = 0 },
    COIL_PROPERTIES_END
};

const coil_class value_holder_class = {
    .abi = COIL_ABI_VERSION, .name = SPRING_PKG "ValueHolder", .size = sizeof(value_holder),
    .properties = value_holder_properties,
};

/* ---- In-process modules ----------------------------------------------------------- */

static const coil_class linked_a_class = {
    .abi = COIL_ABI_VERSION, .name = "linked.a", .size = sizeof(greeter),
    .properties = greeter_properties, .implements = greeter_implements,
};

static const coil_class linked_b_class = {
    .abi = COIL_ABI_VERSION, .name = "linked.b", .size = sizeof(greeter),
    .properties = greeter_properties, .implements = greeter_implements,
};

static const coil_class *const linked_classes[] = { &linked_a_class, &linked_b_class, NULL };

const coil_module linked_module = {
    .abi = COIL_ABI_VERSION, .name = "linked", .version = "1.0", .classes = linked_classes,
};

const coil_module linked_module_badabi = {
    .abi = COIL_ABI_VERSION + 41, .name = "linked-bad", .version = "1.0", .classes = linked_classes,
};
