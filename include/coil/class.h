/* Coil — classes, property tables and modules.
 *
 * A class is a static descriptor. Its property table binds YAML keys to
 * struct fields through offsetof(); the container converts and checks every
 * value with one generic setter per type, so a class writes no parsing code:
 *
 *     typedef struct lister { void *finder; char *title; int64_t limit; } lister;
 *
 *     static const coil_property lister_properties[] = {
 *         { .name = "finder", .type = COIL_T_REF,
 *           .offset = offsetof(lister, finder), .flags = COIL_REQUIRED },
 *         { .name = "title", .type = COIL_T_STRING, .offset = offsetof(lister, title) },
 *         { .name = "limit", .type = COIL_T_INT, .offset = offsetof(lister, limit),
 *           .check = COIL_RANGE(1, 100), .default_value = "10" },
 *         COIL_PROPERTIES_END
 *     };
 *
 * (Designated initializers keep -Wextra quiet about the fields left out.)
 *
 *     const coil_class lister_class = {
 *         .abi = COIL_ABI_VERSION, .name = "lister", .size = sizeof(lister),
 *         .properties = lister_properties, .init = lister_init,
 *     };
 *
 * Ownership. Descriptors (classes, properties, modules, interfaces) are
 * borrowed: they must outlive every context that uses them (static storage
 * does). Everything the container writes into an instance's property fields
 * belongs to the container: strings, lists and JSON values are freed by the
 * container after the class's `destroy` hook ran; a class must not free or
 * keep them past `destroy`. Objects reached through COIL_T_REF fields are
 * borrowed: the container guarantees they outlive the object that refers to
 * them (they are created before it and destroyed after it).
 */
#ifndef COIL_CLASS_H
#define COIL_CLASS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "coil/error.h"
#include "coil/interface.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a descriptor's layout changes incompatibly. Classes,
 * modules and interfaces carry the value they were compiled with; the
 * container refuses any other. */
#define COIL_ABI_VERSION 1u

/* Property types and the C type of the field each one binds to. */
typedef enum coil_type {
    COIL_T_STRING = 1,  /* char *            any scalar, as written        */
    COIL_T_INT,         /* int64_t           integer scalar               */
    COIL_T_DOUBLE,      /* double            integer or float scalar      */
    COIL_T_BOOL,        /* bool              true/false/yes/no/on/off     */
    COIL_T_STRINGS,     /* coil_strings      sequence of scalars          */
    COIL_T_INTS,        /* coil_ints         sequence of integers         */
    COIL_T_DOUBLES,     /* coil_doubles      sequence of numbers          */
    COIL_T_BOOLS,       /* coil_bools        sequence of booleans         */
    COIL_T_REF,         /* void *            {ref: id} or an inner object */
    COIL_T_REFS,        /* coil_refs         sequence of refs/inner objects */
    COIL_T_MAP,         /* json_t * (object) mapping of plain values      */
    COIL_T_ANY,         /* json_t *          any plain value              */
    COIL_T_REF_OR_VALUE /* coil_ref_or_value {ref: id}, an inner object,
                                             or any plain value            */
} coil_type;

typedef struct coil_strings { size_t count; char **items; } coil_strings;
typedef struct coil_ints { size_t count; int64_t *items; } coil_ints;
typedef struct coil_doubles { size_t count; double *items; } coil_doubles;
typedef struct coil_bools { size_t count; bool *items; } coil_bools;
typedef struct coil_refs { size_t count; void **items; } coil_refs;
/* Exactly one of the two is set: `ref` when the YAML value was {ref: id} or
 * an inner object (the object, as for COIL_T_REF), else `value` (the plain
 * value, as for COIL_T_ANY; the instance owns one reference). For a setting
 * that may name an object or be given inline, such as an exporter's
 * `naming`: a URL, a map, or a ref to a name-server proxy. */
typedef struct coil_ref_or_value { void *ref; struct json_t *value; } coil_ref_or_value;

/* Optional checks on a property's value (for lists: on every element). */
typedef enum coil_check_kind {
    COIL_CHECK_RANGE = 1,   /* ints: min <= v <= max */
    COIL_CHECK_FRANGE,      /* doubles: fmin <= v <= fmax */
    COIL_CHECK_ONE_OF       /* strings: one of the NULL-terminated `one_of` */
} coil_check_kind;

typedef struct coil_check {
    coil_check_kind kind;
    int64_t min, max;
    double fmin, fmax;
    const char *const *one_of;
} coil_check;

#define COIL_RANGE(lo, hi) \
    (&(const coil_check){ .kind = COIL_CHECK_RANGE, .min = (lo), .max = (hi) })
#define COIL_FRANGE(lo, hi) \
    (&(const coil_check){ .kind = COIL_CHECK_FRANGE, .fmin = (lo), .fmax = (hi) })
#define COIL_ONE_OF(...) \
    (&(const coil_check){ .kind = COIL_CHECK_ONE_OF, \
                          .one_of = (const char *const[]){ __VA_ARGS__, NULL } })

/* Property flags. */
#define COIL_REQUIRED 0x1u  /* absence is a load error */

typedef struct coil_property {
    const char *name;             /* the YAML key */
    coil_type type;
    size_t offset;                /* offsetof(instance struct, field) */
    unsigned flags;               /* COIL_REQUIRED */
    const coil_check *check;      /* optional */
    const char *default_value;    /* optional: a YAML scalar used when the key
                                     is absent (scalar types only) */
    const struct coil_interface *iface; /* COIL_T_REF(S): the interface the
                                     target must implement (optional) */
    const char *doc;              /* optional, for tools */
} coil_property;

#define COIL_PROPERTIES_END { .name = NULL }


/* One row of a class's interface table: the interface and the ops table
 * (a struct of function pointers) that implements it. */
typedef struct coil_implements {
    const coil_interface *iface;
    const void *ops;
} coil_implements;

#define COIL_IMPLEMENTS_END { NULL, NULL }

typedef struct coil_class {
    unsigned abi;                 /* COIL_ABI_VERSION */
    const char *name;             /* what `class:` names in a context file */
    const char *doc;

    /* Instance memory: either `size` (the container allocates it zeroed and
     * frees it) or `create` (returns a new instance; the container calls
     * `dealloc`, or free() when `dealloc` is NULL, to release it). */
    size_t size;
    void *(*create)(coil_error **err);
    void (*dealloc)(void *self);

    const coil_property *properties;  /* ends with COIL_PROPERTIES_END; may be NULL */

    /* Runs after every property is set and every referenced object is
     * initialized. Return 0 on success; on failure return non-zero and
     * optionally set *err (coil_error_new): the load then fails with that
     * error's code and message, prefixed "object 'ID': init failed: " and
     * positioned at the definition (COIL_EINIT when the hook gave none). */
    int (*init)(void *self, coil_error **err);

    /* Runs at close (in exact reverse creation order), or when a load fails
     * after this object's init succeeded. Releases what init acquired. */
    void (*destroy)(void *self);

    /* Factory classes: after init, the container calls produce() once per
     * instance and registers the product under the definition's id:
     * coil_get() returns the product, never the factory. The product belongs
     * to the factory instance and must stay valid until its destroy hook. */
    void *(*produce)(void *self, coil_error **err);

    /* Interfaces the object (for factories: the product) implements. */
    const coil_implements *implements;  /* ends with COIL_IMPLEMENTS_END; may be NULL */

    /* Optional, for interfaces known only at run time (a proxy configured in
     * YAML): return the ops table for `iface`, or NULL. Consulted when the
     * static table does not list the interface. Return the interface's
     * `forward_ops` to have every typed call of that interface reach the
     * `forward` hook below. */
    const void *(*query)(void *self, const coil_interface *iface);

    /* Optional: implements calls generically. A call through an
     * interface's forward_ops arrives here with its method descriptor and
     * unpacked arguments (see coil_forward_fn). `self` is the object
     * (for factories, the product). A remote proxy is such a class. */
    coil_forward_fn forward;

    unsigned flags;               /* COIL_CLASS_THREAD_SAFE */
} coil_class;

/* Class flags. */
#define COIL_CLASS_THREAD_SAFE 0x1u  /* its objects take calls from many threads
                                        at once; otherwise an exporter
                                        serializes the calls into one object */

/* A module: a shared library that exports one descriptor under the symbol
 * COIL_MODULE_SYMBOL. The container checks `abi` right after dlopen. */
typedef struct coil_module {
    unsigned abi;                     /* COIL_ABI_VERSION; always the first field */
    const char *name;
    const char *version;              /* the module's own version, informational */
    const coil_class *const *classes; /* NULL-terminated */
} coil_module;

#define COIL_MODULE_SYMBOL "coil_module_descriptor"

#if defined(__GNUC__)
#define COIL_EXPORT __attribute__((visibility("default")))
#else
#define COIL_EXPORT
#endif

/* Defines a module's descriptor:
 *     COIL_MODULE("movies", "1.0", &lister_class, &finder_class);
 */
#define COIL_MODULE(mod_name, mod_version, ...)                              \
    static const coil_class *const coil__module_classes[] = { __VA_ARGS__, NULL }; \
    COIL_EXPORT const coil_module coil_module_descriptor = {                 \
        .abi = COIL_ABI_VERSION, .name = (mod_name), .version = (mod_version), \
        .classes = coil__module_classes }

#ifdef __cplusplus
}
#endif

#endif
