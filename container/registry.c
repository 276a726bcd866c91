/* The class registry, and modules: shared libraries loaded with dlopen and
 * checked for their ABI version before any of their classes is used. */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "container/container.h"

void coil__registry_init(coil__registry *r, coil__arena *a)
{
    memset(r, 0, sizeof *r);
    r->a = a;
    coil__strmap_init(&r->classes);
    coil__strmap_init(&r->loaded);
}

void coil__registry_free(coil__registry *r)
{
    for (size_t i = 0; i < r->classes.cap; i++) {
        coil__class_entry *e = r->classes.slots[i].value;
        if (r->classes.slots[i].key)
            coil__strmap_free(&e->props);
    }
    for (size_t i = r->handles.count; i-- > 0;)
        dlclose(r->handles.items[i]);
    coil__vec_free(&r->handles);
    coil__strmap_free(&r->classes);
    coil__strmap_free(&r->loaded);
}

static size_t field_size(coil_type t)
{
    switch (t) {
    case COIL_T_STRING: return sizeof(char *);
    case COIL_T_INT: return sizeof(int64_t);
    case COIL_T_DOUBLE: return sizeof(double);
    case COIL_T_BOOL: return sizeof(bool);
    case COIL_T_STRINGS: return sizeof(coil_strings);
    case COIL_T_INTS: return sizeof(coil_ints);
    case COIL_T_DOUBLES: return sizeof(coil_doubles);
    case COIL_T_BOOLS: return sizeof(coil_bools);
    case COIL_T_REF: return sizeof(void *);
    case COIL_T_REFS: return sizeof(coil_refs);
    case COIL_T_MAP:
    case COIL_T_ANY: return sizeof(json_t *);
    case COIL_T_REF_OR_VALUE: return sizeof(coil_ref_or_value);
    }
    return 0;
}

const char *coil__class_problem(const coil_class *cls)
{
    if (!cls)
        return "no class descriptor";
    if (cls->abi != COIL_ABI_VERSION)
        return "its ABI version is not this Coil's";
    if (!cls->name || !*cls->name)
        return "it has no name";
    if (!cls->size && !cls->create)
        return "it has neither an instance size nor a create hook";
    if (cls->properties) {
        for (const coil_property *p = cls->properties; p->name; p++) {
            if (p->type < COIL_T_STRING || p->type > COIL_T_REF_OR_VALUE)
                return "a property has an unknown type";
            /* The whole field must lie inside the instance: the setters
             * write it blindly. */
            if (cls->size && (p->offset > cls->size ||
                              field_size(p->type) > cls->size - p->offset))
                return "a property's field lies outside the instance";
        }
    }
    return NULL;
}

void coil__registry_add(coil__registry *r, const coil_class *cls, const char *source,
                        coil__errors *errs, const coil__node *at)
{
    const char *file = at ? at->file : NULL;
    unsigned line = at ? at->line : 0, col = at ? at->column : 0;
    const char *problem = coil__class_problem(cls);
    if (problem) {
        coil__errors_add(errs, cls && cls->abi != COIL_ABI_VERSION ? COIL_EABI : COIL_EINVAL,
                         file, line, col, "class '%s' of %s cannot be used: %s",
                         cls && cls->name ? cls->name : "?", source, problem);
        return;
    }
    const coil__class_entry *old = coil__strmap_get(&r->classes, cls->name);
    if (old) {
        if (old->cls != cls)
            coil__errors_add(errs, COIL_EDUPLICATE, file, line, col,
                             "class '%s' of %s is already defined by %s", cls->name, source,
                             old->source);
        return;
    }
    coil__class_entry *e = coil__arena_alloc(r->a, sizeof *e);
    if (!e || coil__strmap_put(&r->classes, cls->name, e, NULL)) {
        coil__errors_add(errs, COIL_ENOMEM, NULL, 0, 0, "out of memory");
        return;
    }
    e->cls = cls;
    e->source = source;
    coil__strmap_init(&e->props);
    for (size_t i = 0; cls->properties && cls->properties[i].name; i++) {
        if (coil__strmap_put(&e->props, cls->properties[i].name, (void *)(uintptr_t)(i + 1),
                             NULL)) {
            coil__errors_add(errs, COIL_ENOMEM, NULL, 0, 0, "out of memory");
            return;
        }
    }
}

void coil__registry_add_module(coil__registry *r, const coil_module *m, const char *source,
                               coil__errors *errs, const coil__node *at)
{
    const char *file = at ? at->file : NULL;
    unsigned line = at ? at->line : 0, col = at ? at->column : 0;
    if (m->abi != COIL_ABI_VERSION) {
        coil__errors_add(errs, COIL_EABI, file, line, col,
                         "%s: ABI version %u, this Coil supports %u", source, m->abi,
                         COIL_ABI_VERSION);
        return;
    }
    if (!m->classes)
        return;
    for (const coil_class *const *c = m->classes; *c; c++)
        coil__registry_add(r, *c, source, errs, at);
}

void coil__registry_load(coil__registry *r, const coil__module_ref *m, coil__errors *errs)
{
    const coil__node *at = m->node;
    char real[PATH_MAX];
    if (!realpath(m->path, real)) {
        coil__errors_add(errs, COIL_EMODULE, at->file, at->line, at->column,
                         "module '%s': cannot load: %s", m->path, strerror(errno));
        return;
    }
    if (coil__strmap_get(&r->loaded, real))
        return; /* the same module listed twice, or by two files: load once */
    void *h = dlopen(real, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        coil__errors_add(errs, COIL_EMODULE, at->file, at->line, at->column,
                         "module '%s': cannot load: %s", m->path, why ? why : "unknown error");
        return;
    }
    char *key = coil__arena_strdup(r->a, real);
    if (!key || coil__vec_push(&r->handles, h) || coil__strmap_put(&r->loaded, key, h, NULL)) {
        dlclose(h);
        coil__errors_add(errs, COIL_ENOMEM, NULL, 0, 0, "out of memory");
        return;
    }
    dlerror();
    const coil_module *desc = dlsym(h, COIL_MODULE_SYMBOL);
    if (!desc) {
        coil__errors_add(errs, COIL_EMODULE, at->file, at->line, at->column,
                         "module '%s': no symbol '%s' (not a Coil module)", m->path,
                         COIL_MODULE_SYMBOL);
        return;
    }
    const char *source = coil__arena_printf(r->a, "module '%s'", m->path);
    if (!source) {
        coil__errors_add(errs, COIL_ENOMEM, NULL, 0, 0, "out of memory");
        return;
    }
    coil__registry_add_module(r, desc, source, errs, at);
}

const coil__class_entry *coil__registry_find(const coil__registry *r, const char *name)
{
    return coil__strmap_get(&r->classes, name);
}
