/* Coil — interfaces, typed values and dynamic invocation.
 *
 * An interface file (YAML) describes a service: its methods, their typed
 * parameters and results, and the named types they use. `coil gen` turns it
 * into C: an ops struct that a class implements, typed call functions, C
 * types, and the tables below, which describe every type and method to the
 * library. The library converts values between C and JSON from those
 * tables, so generated code holds tables and thin typed wrappers, and one
 * converter serves every interface.
 *
 * C representation of each interface type (what a generated header uses):
 *
 *   bool          bool
 *   int           int64_t
 *   double        double
 *   string        char *            UTF-8, NUL-terminated, never NULL
 *   bytes         coil_bytes        { unsigned char *data; size_t len; } (JSON: base64)
 *   list<T>       struct { T *items; size_t count; }
 *   map<T>        struct { char **keys; T *values; size_t count; }
 *   optional<T>   T *               NULL when absent (JSON null); for
 *                                   optional<string> and optional<any> the
 *                                   element's own pointer (char *, json_t *)
 *   any           json_t *          never NULL (JSON null is json_null())
 *   struct S      a generated struct with the declared fields, in order
 *   enum E        a generated C enum (JSON: the value's name)
 *
 * Ownership, the same for every method: in-parameters are borrowed; a
 * result belongs to the caller, who releases it with the generated free
 * function (or coil_value_free); on error nothing needs freeing and the
 * result is untouched.
 */
#ifndef COIL_INTERFACE_H
#define COIL_INTERFACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "coil/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum coil_kind {
    COIL_K_BOOL = 1,
    COIL_K_INT,
    COIL_K_DOUBLE,
    COIL_K_STRING,
    COIL_K_BYTES,
    COIL_K_LIST,
    COIL_K_MAP,
    COIL_K_OPTIONAL,
    COIL_K_ANY,
    COIL_K_STRUCT,
    COIL_K_ENUM
} coil_kind;

typedef struct coil_bytes {
    unsigned char *data;
    size_t len;
} coil_bytes;

/* The layouts the converter relies on for lists and maps. A generated
 * list or map type has exactly this layout, with typed pointers. */
typedef struct coil_list {
    void *items;
    size_t count;
} coil_list;

typedef struct coil_map {
    char **keys;
    void *values;
    size_t count;
} coil_map;

typedef struct coil_typeinfo coil_typeinfo;
typedef struct coil_interface coil_interface;

typedef struct coil_field {
    const char *name;
    const coil_typeinfo *type;
    size_t offset;                /* offsetof(struct, field) */
    const char *doc;
} coil_field;

struct coil_typeinfo {
    coil_kind kind;
    const char *name;             /* as written: "int", "list<point>", "point" */
    size_t size;                  /* sizeof the C value */
    const coil_typeinfo *elem;    /* list, map, optional: the element type */
    const coil_field *fields;     /* struct: its fields, in order */
    size_t nfields;
    const char *const *names;     /* enum: value names, in value order (0, 1, ...) */
    size_t nnames;
    const char *doc;
};

/* The built-in scalar types, for tables and hand-written code. */
COIL_API extern const coil_typeinfo coil_type_bool;
COIL_API extern const coil_typeinfo coil_type_int;
COIL_API extern const coil_typeinfo coil_type_double;
COIL_API extern const coil_typeinfo coil_type_string;
COIL_API extern const coil_typeinfo coil_type_bytes;
COIL_API extern const coil_typeinfo coil_type_any;

typedef struct coil_param {
    const char *name;
    const coil_typeinfo *type;
    const char *doc;
} coil_param;

/* Calls method `m` of an ops table with unpacked arguments: args[i] points
 * at a C value of params[i]'s type; `result` at storage for the result type
 * (NULL when the method returns nothing). Generated for every method. */
typedef struct coil_method coil_method;
typedef int (*coil_call_fn)(const void *ops, void *self, void *const *args, void *result,
                            coil_error **err);

/* Packs a typed call for an object that implements interfaces generically
 * (a remote proxy): args and result as for coil_call_fn. */
typedef int (*coil_forward_fn)(void *self, const coil_method *m, void *const *args,
                               void *result, coil_error **err);

struct coil_method {
    const char *name;
    const char *doc;
    const coil_param *params;
    size_t nparams;
    const coil_typeinfo *result;  /* NULL: returns nothing */
    bool oneway;                  /* no result and no reply needed */
    bool idempotent;              /* safe to retry */
    coil_call_fn call;
    size_t index;                 /* position in the interface's methods */
    const coil_interface *iface;  /* the interface the method belongs to */
};

/* The full interface descriptor. The first two fields are the ones
 * class.h declares (struct coil_interface grows only by appending). */
struct coil_interface {
    unsigned abi;                 /* COIL_ABI_VERSION */
    const char *name;
    const char *doc;
    const coil_method *methods;
    size_t nmethods;
    uint64_t signature;           /* a hash of the method and type signatures:
                                     two descriptors with one name must agree */
    const void *forward_ops;      /* an ops table whose every function packs
                                     its arguments and calls the object's
                                     forward hook (see coil_class.forward) */
};

/* ---- Values ------------------------------------------------------------- */

/* Converts JSON to a C value of type `t` at `out` (t->size bytes, which
 * the caller provides). Checks every type on the way; on failure nothing is
 * allocated, `out` is zeroed, and the error names the path
 * ("points[2].x: expects a double, got a string"). `what` prefixes the path
 * (a parameter name; may be NULL). Returns 0 or COIL_ETYPE/COIL_EVALUE. */
COIL_API int coil_value_from_json(const coil_typeinfo *t, const json_t *json, void *out,
                                  const char *what, coil_error **err);

/* Converts the C value at `in` to JSON. Returns a new reference, or NULL
 * with *err set (a string that is not UTF-8, a NULL string, a bad enum). */
COIL_API json_t *coil_value_to_json(const coil_typeinfo *t, const void *in, const char *what,
                                    coil_error **err);

/* Frees what the value at `v` owns (not `v` itself) and zeroes it.
 * Accepts a zeroed value. */
COIL_API void coil_value_free(const coil_typeinfo *t, void *v);

/* ---- Objects and calls -------------------------------------------------- */

/* The ops table through which `object` (anything coil_get() returned or
 * the container injected) implements `iface`, or NULL with
 * COIL_EINTERFACE (not implemented) or COIL_ENOTFOUND (not an object of a
 * live context). Generated call functions use this. */
COIL_API const void *coil_ops(void *object, const coil_interface *iface, coil_error **err);

/* Delivers a call made through an interface's forward_ops to the object's
 * class `forward` hook. Generated forward_ops functions call this. */
COIL_API int coil_forward(void *object, const coil_method *m, void *const *args, void *result,
                          coil_error **err);

/* Finds a method by name; NULL when the interface has none. */
COIL_API const coil_method *coil_method_find(const coil_interface *iface, const char *name);

/* Dynamic invocation: calls `method` of `object` with JSON params — an
 * array (positional) or an object (named) — checked against the method's
 * descriptor before the method runs: a missing, extra or mistyped
 * parameter is an error naming it and the expected type. On success
 * *result is a new reference to the JSON result (json_null() for methods
 * that return nothing). `iface` may be NULL when the object implements one
 * interface with such a method. The exporter and tools call this. */
COIL_API int coil_invoke(void *object, const coil_interface *iface, const char *method,
                         const json_t *params, json_t **result, coil_error **err);

/* The same with the method already found (the exporter's fast path). */
COIL_API int coil_invoke_method(void *object, const coil_interface *iface,
                                const coil_method *m, const json_t *params, json_t **result,
                                coil_error **err);

#ifdef __cplusplus
}
#endif

#endif
