/* Typed values: conversion between C values and JSON, driven by the
 * coil_typeinfo tables that `coil gen` writes. One converter for every
 * interface; generated code holds only tables and typed wrappers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coil/interface.h"
#include "container/value_util.h"
#include "util/util.h"

const coil_typeinfo coil_type_bool = { .kind = COIL_K_BOOL, .name = "bool", .size = sizeof(bool) };
const coil_typeinfo coil_type_int = { .kind = COIL_K_INT, .name = "int", .size = sizeof(int64_t) };
const coil_typeinfo coil_type_double = { .kind = COIL_K_DOUBLE, .name = "double",
                                         .size = sizeof(double) };
const coil_typeinfo coil_type_string = { .kind = COIL_K_STRING, .name = "string",
                                         .size = sizeof(char *) };
const coil_typeinfo coil_type_bytes = { .kind = COIL_K_BYTES, .name = "bytes",
                                        .size = sizeof(coil_bytes) };
const coil_typeinfo coil_type_any = { .kind = COIL_K_ANY, .name = "any", .size = sizeof(json_t *) };

/* ---- Paths and messages --------------------------------------------------- */

/* The path of the value being converted, for messages: "points[2].x".
 * A chain of frames on the stack, from the value up to the root; its text
 * is written only when a message needs it, so that a conversion that
 * succeeds formats nothing. */
typedef enum path_kind { PATH_ROOT, PATH_FIELD, PATH_INDEX, PATH_KEY } path_kind;

typedef struct path {
    const struct path *up;  /* NULL for the root */
    path_kind kind;
    const char *name;       /* the root's `what` (may be NULL), a field, a key */
    size_t index;
} path;

static path path_field(const path *up, const char *name)
{
    return (path){ .up = up, .kind = PATH_FIELD, .name = name };
}

static path path_index(const path *up, size_t i)
{
    return (path){ .up = up, .kind = PATH_INDEX, .index = i };
}

static path path_key(const path *up, const char *key)
{
    return (path){ .up = up, .kind = PATH_KEY, .name = key };
}

static void path_text(const path *p, coil__buf *b)
{
    if (p->up)
        path_text(p->up, b);
    switch (p->kind) {
    case PATH_ROOT:
        if (p->name)
            coil__buf_adds(b, p->name);
        break;
    case PATH_FIELD:
        if (b->len)
            coil__buf_add(b, ".", 1);
        coil__buf_adds(b, p->name);
        break;
    case PATH_INDEX:
        coil__buf_printf(b, "[%zu]", p->index);
        break;
    case PATH_KEY:
        coil__buf_printf(b, "[\"%s\"]", p->name);
        break;
    }
}

static const char *type_words(const coil_typeinfo *t)
{
    switch (t->kind) {
    case COIL_K_BOOL: return "a bool";
    case COIL_K_INT: return "an int";
    case COIL_K_DOUBLE: return "a double";
    case COIL_K_STRING: return "a string";
    case COIL_K_BYTES: return "bytes (a base64 string)";
    default: return NULL; /* composite: use the type's name */
    }
}

static int fail(coil_error **err, coil_code code, const path *p, const char *fmt, ...)
    COIL__PRINTF(4, 5);

static int fail(coil_error **err, coil_code code, const path *p, const char *fmt, ...)
{
    if (err && !*err) {
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        coil__buf where;
        coil__buf_init(&where);
        path_text(p, &where);
        *err = where.data && where.len ? coil_error_new(code, "%s: %s", where.data, msg)
                                       : coil_error_new(code, "%s", msg);
        coil__buf_free(&where);
    }
    return code;
}

static int mismatch(coil_error **err, const path *p, const coil_typeinfo *t, const json_t *j)
{
    const char *words = type_words(t);
    if (words)
        return fail(err, COIL_ETYPE, p, "expects %s, got %s", words, coil__json_words(j));
    return fail(err, COIL_ETYPE, p, "expects %s (%s), got %s",
                t->kind == COIL_K_LIST     ? "an array"
                : t->kind == COIL_K_ENUM   ? "a string"
                : t->kind == COIL_K_STRUCT ? "an object"
                : t->kind == COIL_K_MAP    ? "an object"
                                           : "a value",
                t->name, coil__json_words(j));
}

/* ---- JSON to C ------------------------------------------------------------- */

static int from_json(const coil_typeinfo *t, const json_t *j, void *out, const path *p,
                     coil_error **err);

static int from_json_list(const coil_typeinfo *t, const json_t *j, coil_list *out, const path *p,
                          coil_error **err)
{
    if (!json_is_array(j))
        return mismatch(err, p, t, j);
    size_t n = json_array_size(j), es = t->elem->size;
    char *items = calloc(n ? n : 1, es);
    if (!items)
        return fail(err, COIL_ENOMEM, p, "out of memory");
    for (size_t i = 0; i < n; i++) {
        path at = path_index(p, i);
        int rc = from_json(t->elem, json_array_get(j, i), items + i * es, &at, err);
        if (rc) {
            while (i-- > 0)
                coil_value_free(t->elem, items + i * es);
            free(items);
            return rc;
        }
    }
    out->items = items;
    out->count = n;
    return COIL_OK;
}

static int from_json_map(const coil_typeinfo *t, const json_t *j, coil_map *out, const path *p,
                         coil_error **err)
{
    if (!json_is_object(j))
        return mismatch(err, p, t, j);
    size_t n = json_object_size(j), es = t->elem->size;
    char **keys = calloc(n ? n : 1, sizeof *keys);
    char *values = calloc(n ? n : 1, es);
    if (!keys || !values) {
        free(keys);
        free(values);
        return fail(err, COIL_ENOMEM, p, "out of memory");
    }
    size_t i = 0;
    const char *key;
    json_t *v;
    int rc = COIL_OK;
    json_object_foreach((json_t *)j, key, v) {
        path at = path_key(p, key);
        rc = from_json(t->elem, v, values + i * es, &at, err);
        if (rc)
            break;
        if (!(keys[i] = strdup(key))) {
            coil_value_free(t->elem, values + i * es);
            rc = fail(err, COIL_ENOMEM, p, "out of memory");
            break;
        }
        i++;
    }
    if (rc) {
        while (i-- > 0) {
            free(keys[i]);
            coil_value_free(t->elem, values + i * es);
        }
        free(keys);
        free(values);
        return rc;
    }
    out->keys = keys;
    out->values = values;
    out->count = n;
    return COIL_OK;
}

static bool is_optional(const coil_typeinfo *t)
{
    return t->kind == COIL_K_OPTIONAL;
}

/* optional<string> and optional<any> are the element's own pointer, NULL
 * when absent; other optionals point at a separately allocated element. */
static bool nullable_pointer(const coil_typeinfo *t)
{
    return t->kind == COIL_K_OPTIONAL &&
           (t->elem->kind == COIL_K_STRING || t->elem->kind == COIL_K_ANY);
}

static int from_json_struct(const coil_typeinfo *t, const json_t *j, char *out, const path *p,
                            coil_error **err)
{
    if (!json_is_object(j))
        return mismatch(err, p, t, j);
    /* Unknown members are refused: they mean the two sides disagree. */
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)j, key, v) {
        bool known = false;
        for (size_t f = 0; f < t->nfields && !known; f++)
            known = strcmp(t->fields[f].name, key) == 0;
        if (!known)
            return fail(err, COIL_ETYPE, p, "%s has no field '%s'", t->name, key);
    }
    for (size_t f = 0; f < t->nfields; f++) {
        const coil_field *fd = &t->fields[f];
        const json_t *fv = json_object_get(j, fd->name);
        path at = path_field(p, fd->name);
        int rc = COIL_OK;
        if (!fv && !is_optional(fd->type))
            rc = fail(err, COIL_ETYPE, &at, "missing (%s)", fd->type->name);
        else if (fv)
            rc = from_json(fd->type, fv, out + fd->offset, &at, err);
        if (rc) {
            while (f-- > 0)
                coil_value_free(t->fields[f].type, out + t->fields[f].offset);
            return rc;
        }
    }
    return COIL_OK;
}

static void store_enum(const coil_typeinfo *t, void *out, size_t value)
{
    /* C enums are int-sized on every ABI Coil builds for; be exact anyway. */
    if (t->size == sizeof(int)) {
        int v = (int)value;
        memcpy(out, &v, sizeof v);
    } else if (t->size == sizeof(long)) {
        long v = (long)value;
        memcpy(out, &v, sizeof v);
    } else {
        unsigned char v = (unsigned char)value;
        memcpy(out, &v, 1);
    }
}

static long load_enum(const coil_typeinfo *t, const void *in)
{
    if (t->size == sizeof(int)) {
        int v;
        memcpy(&v, in, sizeof v);
        return v;
    }
    if (t->size == sizeof(long)) {
        long v;
        memcpy(&v, in, sizeof v);
        return v;
    }
    unsigned char v;
    memcpy(&v, in, 1);
    return v;
}

static int from_json(const coil_typeinfo *t, const json_t *j, void *out, const path *p,
                     coil_error **err)
{
    if (!j)
        return fail(err, COIL_ETYPE, p, "missing (%s)", t->name);
    switch (t->kind) {
    case COIL_K_BOOL: {
        if (!json_is_boolean(j))
            return mismatch(err, p, t, j);
        bool v = json_is_true(j);
        memcpy(out, &v, sizeof v);
        return COIL_OK;
    }
    case COIL_K_INT: {
        if (!json_is_integer(j))
            return mismatch(err, p, t, j);
        int64_t v = (int64_t)json_integer_value(j);
        memcpy(out, &v, sizeof v);
        return COIL_OK;
    }
    case COIL_K_DOUBLE: {
        if (!json_is_number(j))
            return mismatch(err, p, t, j);
        double v = json_number_value(j);
        memcpy(out, &v, sizeof v);
        return COIL_OK;
    }
    case COIL_K_STRING: {
        if (!json_is_string(j))
            return mismatch(err, p, t, j);
        size_t n = json_string_length(j);
        const char *s = json_string_value(j);
        if (memchr(s, '\0', n))
            return fail(err, COIL_EVALUE, p, "a string cannot hold a NUL character (use bytes)");
        char *v = strndup(s, n);
        if (!v)
            return fail(err, COIL_ENOMEM, p, "out of memory");
        memcpy(out, &v, sizeof v);
        return COIL_OK;
    }
    case COIL_K_BYTES: {
        if (!json_is_string(j))
            return mismatch(err, p, t, j);
        coil_bytes v;
        if (!coil__base64_decode(json_string_value(j), json_string_length(j), &v.data, &v.len))
            return fail(err, COIL_EVALUE, p, "expects bytes as base64, got a string that is not");
        memcpy(out, &v, sizeof v);
        return COIL_OK;
    }
    case COIL_K_LIST:
        return from_json_list(t, j, out, p, err);
    case COIL_K_MAP:
        return from_json_map(t, j, out, p, err);
    case COIL_K_OPTIONAL: {
        void *v = NULL;
        if (nullable_pointer(t)) {
            if (json_is_null(j)) {
                memcpy(out, &v, sizeof v);
                return COIL_OK;
            }
            return from_json(t->elem, j, out, p, err);
        }
        if (!json_is_null(j)) {
            v = calloc(1, t->elem->size);
            if (!v)
                return fail(err, COIL_ENOMEM, p, "out of memory");
            int rc = from_json(t->elem, j, v, p, err);
            if (rc) {
                free(v);
                return rc;
            }
        }
        memcpy(out, &v, sizeof v);
        return COIL_OK;
    }
    case COIL_K_ANY: {
        json_t *v = json_deep_copy(j);
        if (!v)
            return fail(err, COIL_ENOMEM, p, "out of memory");
        memcpy(out, &v, sizeof v);
        return COIL_OK;
    }
    case COIL_K_STRUCT:
        return from_json_struct(t, j, out, p, err);
    case COIL_K_ENUM: {
        if (!json_is_string(j))
            return mismatch(err, p, t, j);
        const char *s = json_string_value(j);
        for (size_t i = 0; i < t->nnames; i++) {
            if (strcmp(t->names[i], s) == 0) {
                store_enum(t, out, i);
                return COIL_OK;
            }
        }
        return fail(err, COIL_EVALUE, p, "'%s' is not a value of %s", s, t->name);
    }
    }
    return fail(err, COIL_EINVAL, p, "unknown type kind %d", (int)t->kind);
}

int coil_value_from_json(const coil_typeinfo *t, const json_t *json, void *out,
                         const char *what, coil_error **err)
{
    if (!t || !out)
        return coil__fail(err, COIL_EINVAL, "coil_value_from_json: %s is NULL",
                          t ? "out" : "type");
    memset(out, 0, t->size);
    const path root = { .kind = PATH_ROOT, .name = what };
    int rc = from_json(t, json, out, &root, err);
    if (rc)
        memset(out, 0, t->size);
    return rc;
}

/* ---- C to JSON ------------------------------------------------------------- */

static json_t *to_json(const coil_typeinfo *t, const void *in, const path *p, coil_error **err)
{
    switch (t->kind) {
    case COIL_K_BOOL: {
        bool v;
        memcpy(&v, in, sizeof v);
        return json_boolean(v);
    }
    case COIL_K_INT: {
        int64_t v;
        memcpy(&v, in, sizeof v);
        return json_integer((json_int_t)v);
    }
    case COIL_K_DOUBLE: {
        double v;
        memcpy(&v, in, sizeof v);
        if (!isfinite(v)) {
            fail(err, COIL_EVALUE, p, "%g cannot be represented in JSON", v);
            return NULL;
        }
        return json_real(v);
    }
    case COIL_K_STRING: {
        const char *v;
        memcpy(&v, in, sizeof v);
        if (!v) {
            fail(err, COIL_EVALUE, p, "a string is NULL (use optional<string> for no value)");
            return NULL;
        }
        json_t *j = json_string(v);
        if (!j)
            fail(err, COIL_EVALUE, p, "a string is not valid UTF-8");
        return j;
    }
    case COIL_K_BYTES: {
        coil_bytes v;
        memcpy(&v, in, sizeof v);
        if (!v.data && v.len) {
            fail(err, COIL_EVALUE, p, "bytes with a length but no data");
            return NULL;
        }
        size_t n;
        char *s = coil__base64_encode(v.data, v.len, &n);
        json_t *j = s ? json_stringn_nocheck(s, n) : NULL;
        free(s);
        if (!j)
            fail(err, COIL_ENOMEM, p, "out of memory");
        return j;
    }
    case COIL_K_LIST: {
        coil_list v;
        memcpy(&v, in, sizeof v);
        if (!v.items && v.count) {
            fail(err, COIL_EVALUE, p, "a list with a count but no items");
            return NULL;
        }
        json_t *a = json_array();
        for (size_t i = 0; a && i < v.count; i++) {
            path at = path_index(p, i);
            json_t *item = to_json(t->elem, (const char *)v.items + i * t->elem->size, &at, err);
            if (!item || json_array_append_new(a, item)) {
                json_decref(a);
                return NULL;
            }
        }
        if (!a)
            fail(err, COIL_ENOMEM, p, "out of memory");
        return a;
    }
    case COIL_K_MAP: {
        coil_map v;
        memcpy(&v, in, sizeof v);
        if ((!v.keys || !v.values) && v.count) {
            fail(err, COIL_EVALUE, p, "a map with a count but no entries");
            return NULL;
        }
        json_t *o = json_object();
        for (size_t i = 0; o && i < v.count; i++) {
            if (!v.keys[i]) {
                fail(err, COIL_EVALUE, p, "a map key is NULL");
                json_decref(o);
                return NULL;
            }
            path at = path_key(p, v.keys[i]);
            json_t *item = to_json(t->elem, (const char *)v.values + i * t->elem->size, &at, err);
            if (!item || json_object_set_new(o, v.keys[i], item)) {
                if (item && !*err)
                    fail(err, COIL_EVALUE, p, "map key '%s' is not valid UTF-8", v.keys[i]);
                json_decref(o);
                return NULL;
            }
        }
        if (!o)
            fail(err, COIL_ENOMEM, p, "out of memory");
        return o;
    }
    case COIL_K_OPTIONAL: {
        const void *v;
        memcpy(&v, in, sizeof v);
        if (!v)
            return json_null();
        return to_json(t->elem, nullable_pointer(t) ? in : v, p, err);
    }
    case COIL_K_ANY: {
        json_t *v;
        memcpy(&v, in, sizeof v);
        return v ? json_incref(v) : json_null();
    }
    case COIL_K_STRUCT: {
        json_t *o = json_object();
        for (size_t f = 0; o && f < t->nfields; f++) {
            const coil_field *fd = &t->fields[f];
            path at = path_field(p, fd->name);
            json_t *item = to_json(fd->type, (const char *)in + fd->offset, &at, err);
            if (!item || json_object_set_new(o, fd->name, item)) {
                json_decref(o);
                return NULL;
            }
        }
        if (!o)
            fail(err, COIL_ENOMEM, p, "out of memory");
        return o;
    }
    case COIL_K_ENUM: {
        long v = load_enum(t, in);
        if (v < 0 || (size_t)v >= t->nnames) {
            fail(err, COIL_EVALUE, p, "%ld is not a value of %s", v, t->name);
            return NULL;
        }
        return json_string(t->names[v]);
    }
    }
    fail(err, COIL_EINVAL, p, "unknown type kind %d", (int)t->kind);
    return NULL;
}

json_t *coil_value_to_json(const coil_typeinfo *t, const void *in, const char *what,
                           coil_error **err)
{
    if (!t || !in) {
        coil__fail(err, COIL_EINVAL, "coil_value_to_json: %s is NULL", t ? "value" : "type");
        return NULL;
    }
    const path root = { .kind = PATH_ROOT, .name = what };
    coil_error *local = NULL;
    json_t *j = to_json(t, in, &root, err ? err : &local);
    coil_error_free(local);
    return j;
}

/* ---- Freeing ------------------------------------------------------------------ */

void coil_value_free(const coil_typeinfo *t, void *v)
{
    if (!t || !v)
        return;
    switch (t->kind) {
    case COIL_K_STRING: {
        char *s;
        memcpy(&s, v, sizeof s);
        free(s);
        break;
    }
    case COIL_K_BYTES: {
        coil_bytes b;
        memcpy(&b, v, sizeof b);
        free(b.data);
        break;
    }
    case COIL_K_LIST: {
        coil_list l;
        memcpy(&l, v, sizeof l);
        for (size_t i = 0; l.items && i < l.count; i++)
            coil_value_free(t->elem, (char *)l.items + i * t->elem->size);
        free(l.items);
        break;
    }
    case COIL_K_MAP: {
        coil_map m;
        memcpy(&m, v, sizeof m);
        for (size_t i = 0; i < m.count; i++) {
            if (m.keys)
                free(m.keys[i]);
            if (m.values)
                coil_value_free(t->elem, (char *)m.values + i * t->elem->size);
        }
        free(m.keys);
        free(m.values);
        break;
    }
    case COIL_K_OPTIONAL: {
        void *e;
        memcpy(&e, v, sizeof e);
        if (nullable_pointer(t)) {
            coil_value_free(t->elem, v);
        } else if (e) {
            coil_value_free(t->elem, e);
            free(e);
        }
        break;
    }
    case COIL_K_ANY: {
        json_t *j;
        memcpy(&j, v, sizeof j);
        json_decref(j);
        break;
    }
    case COIL_K_STRUCT:
        for (size_t f = 0; f < t->nfields; f++)
            coil_value_free(t->fields[f].type, (char *)v + t->fields[f].offset);
        break;
    default:
        break;
    }
    memset(v, 0, t->size);
}
