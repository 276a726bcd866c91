/* Coil — an inversion-of-control container for C.
 *
 *     coil_error *err = NULL;
 *     coil_context *ctx = coil_load_file("app.yaml", NULL, &err);
 *     if (!ctx) { ... walk err->next ..., coil_error_free(err); }
 *     lister *l = coil_get(ctx, "lister", NULL, &err);
 *     ...
 *     coil_close(ctx);
 *
 * Ownership, once for the whole API:
 * - Strings and options passed in are copied; descriptors (classes, modules,
 *   interfaces) are borrowed and must outlive the contexts that use them.
 * - Objects returned by coil_get() belong to the context. Singletons live
 *   until coil_close(); a prototype instance lives until coil_release() or
 *   coil_close(), whichever comes first.
 * - Errors belong to the caller (coil_error_free). Every `*_free(NULL)` and
 *   coil_close(NULL) is a no-op.
 *
 * Threads: coil_get(), coil_release() and coil_definitions() may be called
 * from many threads at once on one context. A lazy singleton requested by
 * several threads at once is created exactly once. coil_close() must not run
 * concurrently with any other call on the same context.
 */
#ifndef COIL_COIL_H
#define COIL_COIL_H

#include <stdbool.h>
#include <stddef.h>

#include "coil/class.h"
#include "coil/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct coil_context coil_context;
typedef struct coil_options coil_options;

/* ---- Load options --------------------------------------------------- */

/* Returns NULL only when out of memory. */
COIL_API coil_options *coil_options_new(void);
COIL_API void coil_options_free(coil_options *opts);

/* Registers a class compiled into the application. Returns 0, or
 * COIL_EINVAL (NULL argument, wrong ABI version, a class without a name or
 * memory) or COIL_EDUPLICATE (another class of that name is registered).
 * Registering the same descriptor again is a no-op. */
COIL_API int coil_options_add_class(coil_options *opts, const coil_class *cls);

/* Registers every class of a module linked into the application. Same
 * results as coil_options_add_class, plus COIL_EABI. */
COIL_API int coil_options_add_module(coil_options *opts, const coil_module *mod);

/* Sets a placeholder value, as `coil run --set NAME=VALUE` does. A value set
 * here overrides the context files' `properties:` and the environment.
 * Returns 0, COIL_EINVAL or COIL_ENOMEM. */
COIL_API int coil_options_set(coil_options *opts, const char *name, const char *value);

/* Whether placeholders may come from the environment (default: true). */
COIL_API void coil_options_use_environment(coil_options *opts, bool use);

/* Most errors one load reports before it stops looking (default 100). */
COIL_API void coil_options_max_errors(coil_options *opts, size_t max);

/* Whether a load creates the eager singletons (default: true). With false,
 * the load reads, resolves and checks everything — modules are loaded,
 * classes and properties checked, the creation order computed — but creates
 * nothing; coil_get() then fails with COIL_ESTATE. This is `coil check`. */
COIL_API void coil_options_create_objects(coil_options *opts, bool create);

/* ---- Contexts ------------------------------------------------------- */

/* Loads a context file and everything it imports, then creates the
 * non-lazy singletons in dependency order. Relative paths in the file
 * (imports, modules) are relative to the file's directory. `opts` may be
 * NULL. On failure returns NULL and every error found; nothing is left
 * allocated or loaded. */
COIL_API coil_context *coil_load_file(const char *path, const coil_options *opts,
                             coil_error **err);

/* The same for a context held in memory. `name` is used as the file name
 * in error positions (NULL: "<string>"); relative paths are relative to the
 * current directory. */
COIL_API coil_context *coil_load_string(const char *yaml, const char *name,
                               const coil_options *opts, coil_error **err);

/* Returns the object registered under `name` (an id or an alias): for a
 * factory class, its product. Lazy singletons are created on first get,
 * prototypes anew on each get. With `iface`, the object must implement that
 * interface (COIL_EINTERFACE otherwise, naming both). The object is what
 * the generated typed functions take (greeter_happy_birthday(obj, ...)),
 * whether it is a local object or a proxy. Returns NULL on failure:
 * COIL_ENOTFOUND, COIL_ESTATE (abstract definition, or a context loaded
 * without creating objects), COIL_EINTERFACE, or any creation error. */
COIL_API void *coil_get(coil_context *ctx, const char *name, const coil_interface *iface,
               coil_error **err);

/* The class of `object` — anything coil_get() returned or the container
 * injected; for a factory's product, the factory's class — and, when `id`
 * is not NULL, the name of its definition (valid while the object lives).
 * NULL when `object` is not a live object of any context. For tools and
 * remoting: an exporter finds its service's interfaces this way. */
COIL_API const coil_class *coil_class_of(const void *object, const char **id);

/* Destroys a prototype instance returned by coil_get() before the context
 * closes, together with the objects created only for it. Returns 0, or
 * COIL_EINVAL when `object` is not a live prototype instance of `ctx`. */
COIL_API int coil_release(coil_context *ctx, void *object);

typedef enum coil_scope { COIL_SINGLETON = 0, COIL_PROTOTYPE = 1 } coil_scope;

/* What a context defines; see coil_definitions(). */
typedef struct coil_definition_info {
    const char *name;            /* the id */
    const char *class_name;      /* after parent inheritance; NULL if abstract without class */
    coil_scope scope;
    bool lazy;
    bool abstract;
    bool factory;
    const char *file;            /* where the definition is */
    unsigned line, column;
    size_t creation_index;       /* position in the load's creation order, or
                                    (size_t)-1 for objects created on demand
                                    (lazy, prototype) and abstract ones */
    const char *const *aliases;  /* NULL-terminated */
    const char *const *depends_on; /* ids this object needs first, NULL-terminated */
} coil_definition_info;

/* Every top-level definition: first the eagerly created singletons in
 * creation order, then the others in file order. The array belongs to the
 * context and is valid until coil_close(). */
COIL_API const coil_definition_info *coil_definitions(const coil_context *ctx, size_t *count);

/* Destroys every object in exact reverse creation order, then unloads the
 * modules. */
COIL_API void coil_close(coil_context *ctx);

#ifdef __cplusplus
}
#endif

#endif
