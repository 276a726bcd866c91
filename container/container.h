/* The container's internal model: the class registry, bound property
 * values, the per-definition runtime state, and the creation log. */
#ifndef COIL_CONTAINER_H
#define COIL_CONTAINER_H

#include <pthread.h>
#include <stdatomic.h>

#include "coil/coil.h"
#include "config/context_file.h"

/* ---- Classes and modules (registry.c) --------------------------------- */
/* The modules the library brings (remoting/builtins.c), NULL-terminated. */
extern const coil_module *const coil__builtin_modules[];

typedef struct coil__class_entry {
    const coil_class *cls;
    const char *source;       /* "the application" or "module 'PATH'" */
    coil__strmap props;       /* property name -> index + 1 (as a pointer) */
} coil__class_entry;

typedef struct coil__registry {
    coil__arena *a;
    coil__strmap classes;     /* name -> coil__class_entry * */
    coil__vec handles;        /* dlopen handles, in load order */
    coil__strmap loaded;      /* real path of a loaded module -> handle */
} coil__registry;

void coil__registry_init(coil__registry *r, coil__arena *a);
/* Unloads the modules (after every object is destroyed). */
void coil__registry_free(coil__registry *r);
/* Checks a class descriptor and registers it; errors go to `errs` at `at`
 * (NULL: no position). */
void coil__registry_add(coil__registry *r, const coil_class *cls, const char *source,
                        coil__errors *errs, const coil__node *at);
void coil__registry_add_module(coil__registry *r, const coil_module *m, const char *source,
                               coil__errors *errs, const coil__node *at);
void coil__registry_load(coil__registry *r, const coil__module_ref *m, coil__errors *errs);
const coil__class_entry *coil__registry_find(const coil__registry *r, const char *name);
/* A class descriptor's own problems, or NULL when it is usable. */
const char *coil__class_problem(const coil_class *cls);

/* ---- Bound values (binder.c) ------------------------------------------ */
typedef struct coil__rt coil__rt;

typedef struct coil__bound {
    const coil_property *prop;
    const coil__node *node;   /* the value, for positions; NULL for defaults */
    bool is_ref;              /* COIL_T_REF_OR_VALUE: bound as a ref (v.ref), not v.json */
    union {
        const char *s;
        int64_t i;
        double d;
        bool b;
        json_t *json;
        coil__rt *ref;
        struct {
            size_t count;
            void *items;      /* const char ** | int64_t * | double * | bool * | coil__rt ** */
        } list;
    } v;
} coil__bound;

/* Whether a bound value is one object (v.ref): COIL_T_REF, or a
 * COIL_T_REF_OR_VALUE given as a ref or an inner object. */
static inline bool coil__bound_is_ref(const coil__bound *bv)
{
    return bv->prop->type == COIL_T_REF || (bv->prop->type == COIL_T_REF_OR_VALUE && bv->is_ref);
}

/* Runtime state of one definition (top-level or inner). */
struct coil__rt {
    coil__def *def;
    const coil_class *cls;
    const coil__class_entry *ce;
    coil__bound *bounds;      /* in property-table order */
    size_t nbounds;
    coil__rt **edges;         /* what must exist first: depends-on, then refs */
    size_t nedges;
    bool inner;
    bool bound_ok;            /* binding found no error */
    unsigned char mark;       /* cycle search */
    unsigned visit;           /* plan walks: the walk's epoch */
    /* singletons */
    struct coil__instance *instance;
    _Atomic(void *) product;  /* set once the singleton is ready */
    size_t creation_index;
};

typedef struct coil__binder {
    coil__config *cfg;
    coil__registry *reg;
    coil__arena *a;
    coil__errors *errs;
    coil__vec *rts;           /* every rt, for cleanup */
} coil__binder;

coil__rt *coil__rt_new(coil__binder *b, coil__def *d, bool inner);
/* Resolves the class and binds every property of `rt`. */
void coil__bind(coil__binder *b, coil__rt *rt);
void coil__bound_release(coil__rt *rt);
/* Checks, once all are bound, that refs whose property names an interface
 * point at objects that implement it (as far as classes tell statically). */
void coil__check_interfaces(coil__binder *b);

/* Applies bound value `bv` to the instance field; refs get `target`
 * (the product) or `targets` for lists. With `share`, a JSON value is
 * handed over by reference instead of copied: for objects created once.
 * Returns 0 or COIL_ENOMEM. */
int coil__field_set(void *self, const coil__bound *bv, void *target, void **targets,
                    bool share);
void coil__field_free(void *self, const coil_property *prop);

/* Whether objects of `rt` implement `iface`; `self` may be NULL (then a
 * class with only a query hook answers "maybe"). */
typedef enum {
    COIL__IMPL_NO,
    COIL__IMPL_YES,
    COIL__IMPL_MAYBE,     /* a query hook decides, and there is no object yet */
    COIL__IMPL_MISMATCH,  /* same name, other signature: two builds disagree */
    COIL__IMPL_BADABI     /* the descriptor was generated for another ABI */
} coil__impl;
/* Why it is not implemented, as the end of a sentence that starts with the
 * object: "does not implement interface 'x'", "implements another version
 * of interface 'x' (...)". */
const char *coil__impl_phrase(coil__impl r, const coil_interface *iface, char *buf,
                              size_t size);
coil__impl coil__implements(const coil_class *cls, void *self, const coil_interface *iface,
                            const void **ops);

/* ---- Live objects (objects.c) -------------------------------------------- */
/* Every product the container hands out maps to its class and instance. */
int coil__objects_add(const void *object, const coil_class *cls, void *self, const char *id);
void coil__objects_remove(const void *object);
/* Makes room for `more` objects at once (a load knows how many it makes). */
int coil__objects_reserve(size_t more);
bool coil__objects_find(const void *object, const coil_class **cls, void **self);

/* ---- Graph (graph.c) ---------------------------------------------------- */
/* Reports every dependency cycle among `rts`. */
void coil__graph_cycles(coil__vec *rts, coil__errors *errs);
/* Appends to `out`, in creation order, the singletons that must be created
 * so that every rt in `roots` can be created; singletons that already exist
 * are skipped. */
int coil__graph_plan(coil__rt **roots, size_t nroots, unsigned epoch, coil__vec *out);
/* Whether rt is a shared (top-level singleton) object. */
static inline bool coil__is_shared(const coil__rt *rt)
{
    return !rt->inner && rt->def->scope == COIL_SINGLETON;
}

/* ---- Instances (context.c) ---------------------------------------------- */
typedef struct coil__instance {
    coil__rt *rt;
    void *self, *product;
    struct coil__instance *owner; /* created for another object, or NULL */
    size_t napplied;              /* bounds applied to fields */
    bool initialized;
    bool registered;              /* in the live-object map (objects.c) */
    max_align_t storage[];        /* the object itself, for classes with a size */
} coil__instance;

#endif
