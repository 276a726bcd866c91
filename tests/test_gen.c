/* `coil gen` (cli/gen.c): the code generated from data/iface/everything.yaml
 * (every type and flag) compiles (this file includes it; the build also
 * compiles it with -pedantic), its descriptor tables say what the file
 * says, its C types have the layouts the library relies on, values round
 * trip through JSON, and calls work through every glue path (typed call,
 * coil_invoke, forwarding). Then the command itself: errors with
 * positions, usage errors, and output left alone when unchanged. */
#include "support/support.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "everything.h"

extern char **environ;

/* ---- Layouts ------------------------------------------------------------- */

/* Generated lists and maps have exactly coil_list's and coil_map's layout. */
#define SAME_LIST_LAYOUT(T)                                                     \
    _Static_assert(sizeof(T) == sizeof(coil_list) &&                           \
                   offsetof(T, items) == offsetof(coil_list, items) &&         \
                   offsetof(T, count) == offsetof(coil_list, count), #T)
#define SAME_MAP_LAYOUT(T)                                                      \
    _Static_assert(sizeof(T) == sizeof(coil_map) &&                            \
                   offsetof(T, keys) == offsetof(coil_map, keys) &&            \
                   offsetof(T, values) == offsetof(coil_map, values) &&        \
                   offsetof(T, count) == offsetof(coil_map, count), #T)
SAME_LIST_LAYOUT(everything_list_point);
SAME_LIST_LAYOUT(everything_list_map_point);
SAME_LIST_LAYOUT(everything_list_shape);
SAME_LIST_LAYOUT(everything_list_int);
SAME_LIST_LAYOUT(everything_list_list_int);
SAME_LIST_LAYOUT(everything_list_string);
SAME_MAP_LAYOUT(everything_map_string);
SAME_MAP_LAYOUT(everything_map_point);
SAME_MAP_LAYOUT(everything_map_double);
SAME_MAP_LAYOUT(everything_map_list_string);

/* The C types of values, checked by assignment (a wrong type would not compile). */
static void value_types(everything_shape *s) {
    char *note = s->note;                   /* optional<string>: the string, or NULL */
    everything_shape *parent = s->parent;   /* optional<shape> */
    json_t *extra = s->extra;               /* any */
    coil_bytes *thumb = &s->thumbnail;      /* bytes */
    int64_t *first = s->history.items ? s->history.items[0].items : NULL;
    everything_point *p = s->grid.items ? s->grid.items[0].values : NULL;
    (void)note, (void)parent, (void)extra, (void)thumb, (void)first, (void)p;
}

/* The ops signatures, checked the same way. */
static int op_every(void *self, bool flag, int64_t n, double d, const char *s,
                    const coil_bytes *raw, const json_t *value, const everything_list_int *ints,
                    const everything_map_double *table, const int64_t *maybe_n,
                    const char *maybe_s, const json_t *maybe_v, const everything_point *maybe_p,
                    everything_color c, const everything_list_map_point *nested,
                    const everything_shape *sh, everything_map_list_string *result,
                    coil_error **err);
static int op_find(void *self, const char *key, everything_point **result, coil_error **err);
static int op_lookup(void *self, const char *key, char **result, coil_error **err);
static int op_ping(void *self, coil_error **err);
static int op_log(void *self, const char *line, coil_error **err);
static int op_mix(void *self, everything_color c, everything_color *result, coil_error **err);
static int op_add(void *self, int64_t a, int64_t b, int64_t *result, coil_error **err);

/* ---- Descriptor tables ----------------------------------------------------- */

static const coil_method *method(const char *name) {
    const coil_method *m = NULL;
    for (size_t i = 0; i < everything_interface.nmethods; i++)
        if (strcmp(everything_interface.methods[i].name, name) == 0)
            m = &everything_interface.methods[i];
    cr_assert_not_null(m, "no method '%s'", name);
    return m;
}

static const coil_field *field(const coil_typeinfo *t, const char *name) {
    for (size_t i = 0; i < t->nfields; i++)
        if (strcmp(t->fields[i].name, name) == 0)
            return &t->fields[i];
    cr_assert_fail("type '%s' has no field '%s'", t->name, name);
    return NULL;
}

CTEST(gen, interface_descriptor) {
    const coil_interface *i = &everything_interface;
    cr_assert_eq(i->abi, COIL_ABI_VERSION);
    cr_assert_str_eq(i->name, "everything");
    cr_assert_str_eq(i->doc, "Every type, every flag.\nA second line, with a \"quote\", a "
                             "back\\slash, /* not a comment */ and ?\?= no trigraph.");
    cr_assert_neq(i->signature, 0);
    cr_assert_not_null(i->forward_ops);
    static const char *const names[] = { "ping", "add", "describe", "scale", "every", "find",
                                         "lookup", "mix", "blob", "anything", "log" };
    cr_assert_eq(i->nmethods, sizeof names / sizeof *names);
    for (size_t k = 0; k < i->nmethods; k++) {
        cr_assert_str_eq(i->methods[k].name, names[k], "methods in file order");
        cr_assert_eq(i->methods[k].index, k);
        cr_assert_not_null(i->methods[k].call);
        cr_assert_eq(coil_method_find(i, names[k]), &i->methods[k]);
    }
    /* The forwarding table has every method, in order. */
    const everything_ops *fwd = i->forward_ops;
    cr_assert(fwd->ping && fwd->add && fwd->describe && fwd->scale && fwd->every && fwd->find &&
              fwd->lookup && fwd->mix && fwd->blob && fwd->anything && fwd->log);
}

CTEST(gen, method_flags_params_and_results) {
    const coil_method *ping = method("ping");
    cr_assert_eq(ping->nparams, 0);
    cr_assert_null(ping->result);
    cr_assert(ping->idempotent && !ping->oneway);
    cr_assert_str_eq(ping->doc, "Does nothing; no parameters, no result.");

    const coil_method *add = method("add");
    cr_assert_eq(add->nparams, 2);
    cr_assert_str_eq(add->params[0].name, "a");
    cr_assert_str_eq(add->params[0].doc, "The first.");
    cr_assert_str_eq(add->params[1].name, "b");
    cr_assert_null(add->params[1].doc);
    cr_assert_eq(add->params[0].type, &coil_type_int);
    cr_assert_eq(add->result, &coil_type_int);
    cr_assert(add->idempotent && !add->oneway);

    const coil_method *log = method("log");
    cr_assert(log->oneway && !log->idempotent);
    cr_assert_null(log->result);
    cr_assert_eq(log->params[0].type, &coil_type_string);

    cr_assert_null(method("describe")->doc);
    cr_assert_eq(method("blob")->result, &coil_type_bytes);
    cr_assert_eq(method("anything")->result, &coil_type_any);
    cr_assert_eq(method("mix")->result->kind, COIL_K_ENUM);

    const coil_typeinfo *find = method("find")->result;
    cr_assert_eq(find->kind, COIL_K_OPTIONAL);
    cr_assert_str_eq(find->name, "optional<point>");
    cr_assert_eq(find->size, sizeof(everything_point *));
    cr_assert_eq(find->elem, method("scale")->result, "one table per type");
    const coil_typeinfo *lookup = method("lookup")->result;
    cr_assert_eq(lookup->kind, COIL_K_OPTIONAL);
    cr_assert_eq(lookup->elem, &coil_type_string);
    cr_assert_eq(lookup->size, sizeof(char *), "optional<string> is the string's own pointer");
}

CTEST(gen, every_type) {
    const coil_method *m = method("every");
    static const struct { const char *name; coil_kind kind; const char *type; size_t size; } want[] = {
        { "flag", COIL_K_BOOL, "bool", sizeof(bool) },
        { "n", COIL_K_INT, "int", sizeof(int64_t) },
        { "d", COIL_K_DOUBLE, "double", sizeof(double) },
        { "s", COIL_K_STRING, "string", sizeof(char *) },
        { "raw", COIL_K_BYTES, "bytes", sizeof(coil_bytes) },
        { "value", COIL_K_ANY, "any", sizeof(json_t *) },
        { "ints", COIL_K_LIST, "list<int>", sizeof(everything_list_int) },
        { "table", COIL_K_MAP, "map<double>", sizeof(everything_map_double) },
        { "maybe_n", COIL_K_OPTIONAL, "optional<int>", sizeof(int64_t *) },
        { "maybe_s", COIL_K_OPTIONAL, "optional<string>", sizeof(char *) },
        { "maybe_v", COIL_K_OPTIONAL, "optional<any>", sizeof(json_t *) },
        { "maybe_p", COIL_K_OPTIONAL, "optional<point>", sizeof(everything_point *) },
        { "c", COIL_K_ENUM, "color", sizeof(everything_color) },
        { "nested", COIL_K_LIST, "list<map<point>>", sizeof(everything_list_map_point) },
        { "sh", COIL_K_STRUCT, "shape", sizeof(everything_shape) },
    };
    cr_assert_eq(m->nparams, sizeof want / sizeof *want);
    for (size_t k = 0; k < m->nparams; k++) {
        const coil_param *p = &m->params[k];
        cr_assert_str_eq(p->name, want[k].name);
        cr_assert_eq(p->type->kind, want[k].kind, "%s", p->name);
        cr_assert_str_eq(p->type->name, want[k].type, "%s", p->name);
        cr_assert_eq(p->type->size, want[k].size, "%s", p->name);
    }
    const coil_typeinfo *nested = m->params[13].type;
    cr_assert_eq(nested->elem->kind, COIL_K_MAP);
    cr_assert_str_eq(nested->elem->name, "map<point>");
    cr_assert_eq(nested->elem->elem, method("scale")->result);
    cr_assert_eq(m->params[9].type->elem, &coil_type_string);
    cr_assert_eq(m->params[10].type->elem, &coil_type_any);

    const coil_typeinfo *color = m->params[12].type;
    cr_assert_eq(color->nnames, 3);
    cr_assert_str_eq(color->names[0], "red");
    cr_assert_str_eq(color->names[2], "blue");
    cr_assert_str_eq(color->doc, "Primary colours.");
    cr_assert_eq(EVERYTHING_COLOR_RED, 0);
    cr_assert_eq(EVERYTHING_COLOR_BLUE, 2);

    const coil_typeinfo *r = m->result;
    cr_assert_eq(r->kind, COIL_K_MAP);
    cr_assert_str_eq(r->name, "map<list<string>>");
    cr_assert_eq(r->elem->kind, COIL_K_LIST);
    cr_assert_eq(r->elem->elem, &coil_type_string);
}

CTEST(gen, struct_tables) {
    const coil_typeinfo *shape = method("describe")->params[0].type;
    cr_assert_str_eq(shape->name, "shape");
    cr_assert_str_eq(shape->doc, "A field of every kind.");
    cr_assert_eq(shape->size, sizeof(everything_shape));
    static const char *const names[] = { "name", "filled", "sides", "area", "thumbnail",
                                         "extra", "color", "center", "corners", "labels",
                                         "grid", "parent", "children", "note", "size",
                                         "history" };
    static const size_t offsets[] = {
        offsetof(everything_shape, name), offsetof(everything_shape, filled),
        offsetof(everything_shape, sides), offsetof(everything_shape, area),
        offsetof(everything_shape, thumbnail), offsetof(everything_shape, extra),
        offsetof(everything_shape, color), offsetof(everything_shape, center),
        offsetof(everything_shape, corners), offsetof(everything_shape, labels),
        offsetof(everything_shape, grid), offsetof(everything_shape, parent),
        offsetof(everything_shape, children), offsetof(everything_shape, note),
        offsetof(everything_shape, size), offsetof(everything_shape, history),
    };
    cr_assert_eq(shape->nfields, sizeof names / sizeof *names);
    for (size_t k = 0; k < shape->nfields; k++) {
        cr_assert_str_eq(shape->fields[k].name, names[k], "fields in file order");
        cr_assert_eq(shape->fields[k].offset, offsets[k], "%s", names[k]);
    }
    /* Recursion through optional and list reaches the same table. */
    cr_assert_eq(field(shape, "parent")->type->elem, shape);
    cr_assert_eq(field(shape, "children")->type->elem, shape);
    cr_assert_str_eq(field(shape, "grid")->type->name, "list<map<point>>", "canonical spelling");
    cr_assert_eq(field(shape, "grid")->type, method("every")->params[13].type);
    cr_assert_eq(field(shape, "size")->type->kind, COIL_K_ENUM, "declared after its use");
    cr_assert_str_eq(field(shape, "history")->doc, "Sides over time,\none list per edit.");
    cr_assert_null(field(shape, "name")->doc);

    const coil_typeinfo *point = field(shape, "center")->type;
    cr_assert_eq(point->nfields, 2);
    cr_assert_str_eq(point->fields[0].doc, "Across.");
    cr_assert_eq(point->fields[1].offset, offsetof(everything_point, y));
    cr_assert_eq(point->fields[1].type, &coil_type_double);
}

/* ---- Values: JSON round trips ----------------------------------------------- */

static json_t *shape_json(const char *name, json_t *parent) {
    return json_pack("{s:s, s:b, s:i, s:f, s:s, s:{s:[i,n]}, s:s, s:{s:f,s:f}, s:[{s:f,s:f}],"
                     " s:{s:s}, s:[{s:{s:f,s:f}}, {}], s:o, s:[], s:s, s:s, s:[[i,i],[i]]}",
                     "name", name, "filled", 1, "sides", 4, "area", 2.5, "thumbnail", "AQID",
                     "extra", "k", 1, "color", "green", "center", "x", 1.5, "y", -2.5,
                     "corners", "x", 0.5, "y", 0.25, "labels", "a", "b", "grid", "p", "x", 3.5,
                     "y", 4.5, "parent", parent ? parent : json_null(), "children", "note", "hi",
                     "size", "large", "history", 3, 4, 5);
}

CTEST(gen, struct_json_round_trip) {
    json_t *in = shape_json("square", shape_json("root", NULL));
    cr_assert_not_null(in);
    everything_shape s;
    everything_shape_init(&s);
    coil_error *err = NULL;
    cr_assert_eq(everything_shape_from_json(in, &s, &err), 0, "%s", err ? err->message : "");
    value_types(&s);
    cr_assert_str_eq(s.name, "square");
    cr_assert(s.filled);
    cr_assert_eq(s.sides, 4);
    cr_assert_eq(s.thumbnail.len, 3);
    cr_assert_eq(s.thumbnail.data[2], 3);
    cr_assert_eq(s.color, EVERYTHING_COLOR_GREEN);
    cr_assert_float_eq(s.center.y, -2.5, 0);
    cr_assert_eq(s.corners.count, 1);
    cr_assert_str_eq(s.labels.keys[0], "a");
    cr_assert_str_eq(s.labels.values[0], "b");
    cr_assert_eq(s.grid.count, 2);
    cr_assert_str_eq(s.grid.items[0].keys[0], "p");
    cr_assert_float_eq(s.grid.items[0].values[0].y, 4.5, 0);
    cr_assert_eq(s.grid.items[1].count, 0);
    cr_assert_not_null(s.parent);
    cr_assert_str_eq(s.parent->name, "root");
    cr_assert_null(s.parent->parent);
    cr_assert_eq(s.children.count, 0);
    cr_assert_str_eq(s.note, "hi");
    cr_assert_eq(s.size, EVERYTHING_SIZE_LARGE);
    cr_assert_eq(s.history.count, 2);
    cr_assert_eq(s.history.items[1].items[0], 5);

    json_t *out = everything_shape_to_json(&s, &err);
    cr_assert_not_null(out, "%s", err ? err->message : "");
    char *a = json_dumps(in, JSON_SORT_KEYS), *b = json_dumps(out, JSON_SORT_KEYS);
    cr_assert(json_equal(in, out), "in:  %s\nout: %s", a, b);
    free(a);
    free(b);
    json_decref(out);
    json_decref(in);
    everything_shape_free(&s);
    cr_assert_null(s.name, "free zeroes");

    /* A wrong value names its path. */
    json_t *bad = shape_json("bad", NULL);
    json_object_set_new(json_object_get(bad, "center"), "x", json_string("far"));
    cr_assert_neq(everything_shape_from_json(bad, &s, &err), 0);
    cr_assert_not_null(strstr(err->message, "center.x"), "%s", err->message);
    cr_assert_null(s.name, "nothing allocated on failure");
    coil_error_free(err);
    json_decref(bad);
}

/* ---- Calls through every glue path -------------------------------------------- */

typedef struct impl { int64_t logged; } impl;

static void put(everything_map_list_string *m, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void put(everything_map_list_string *m, const char *key, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    m->keys = realloc(m->keys, (m->count + 1) * sizeof *m->keys);
    m->values = realloc(m->values, (m->count + 1) * sizeof *m->values);
    m->keys[m->count] = strdup(key);
    m->values[m->count].items = malloc(sizeof(char *));
    m->values[m->count].items[0] = strdup(buf);
    m->values[m->count].count = 1;
    m->count++;
}

static char *dump(const json_t *j) {
    return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

/* Describes every argument as a string, so callers can compare. */
static int op_every(void *self, bool flag, int64_t n, double d, const char *s,
                    const coil_bytes *raw, const json_t *value, const everything_list_int *ints,
                    const everything_map_double *table, const int64_t *maybe_n,
                    const char *maybe_s, const json_t *maybe_v, const everything_point *maybe_p,
                    everything_color c, const everything_list_map_point *nested,
                    const everything_shape *sh, everything_map_list_string *result,
                    coil_error **err) {
    (void)self;
    (void)err;
    everything_map_list_string m = { 0 };
    put(&m, "flag", "%s", flag ? "true" : "false");
    put(&m, "n", "%lld", (long long)n);
    put(&m, "d", "%g", d);
    put(&m, "s", "%s", s);
    put(&m, "raw", "%zu:%d", raw->len, raw->len ? raw->data[raw->len - 1] : -1);
    char *v = dump(value);
    put(&m, "value", "%s", v);
    free(v);
    put(&m, "ints", "%zu:%lld", ints->count, ints->count ? (long long)ints->items[0] : -1LL);
    put(&m, "table", "%zu:%s=%g", table->count, table->count ? table->keys[0] : "",
        table->count ? table->values[0] : 0.0);
    if (maybe_n)
        put(&m, "maybe_n", "%lld", (long long)*maybe_n);
    else
        put(&m, "maybe_n", "absent");
    put(&m, "maybe_s", "%s", maybe_s ? maybe_s : "absent");
    v = maybe_v ? dump(maybe_v) : NULL;
    put(&m, "maybe_v", "%s", v ? v : "absent");
    free(v);
    if (maybe_p)
        put(&m, "maybe_p", "%g,%g", maybe_p->x, maybe_p->y);
    else
        put(&m, "maybe_p", "absent");
    put(&m, "c", "%d", (int)c);
    put(&m, "nested", "%zu:%s", nested->count,
        nested->count && nested->items[0].count ? nested->items[0].keys[0] : "");
    put(&m, "sh", "%s/%s", sh->name, sh->parent ? sh->parent->name : "-");
    *result = m;
    return 0;
}

static int op_find(void *self, const char *key, everything_point **result, coil_error **err) {
    (void)self;
    (void)err;
    if (strcmp(key, "here") == 0) {
        *result = malloc(sizeof **result);
        (*result)->x = 1.5;
        (*result)->y = 2.5;
    } else {
        *result = NULL;
    }
    return 0;
}

static int op_lookup(void *self, const char *key, char **result, coil_error **err) {
    (void)self;
    if (strcmp(key, "bad") == 0) {
        *err = coil_error_new(COIL_EVALUE, "no key 'bad'");
        return COIL_EVALUE;
    }
    *result = strcmp(key, "none") != 0 ? strdup(key) : NULL;
    return 0;
}

static int op_ping(void *self, coil_error **err) {
    (void)self;
    (void)err;
    return 0;
}

static int op_log(void *self, const char *line, coil_error **err) {
    (void)line;
    (void)err;
    ((impl *)self)->logged++;
    return 0;
}

static int op_mix(void *self, everything_color c, everything_color *result, coil_error **err) {
    (void)self;
    (void)err;
    *result = (everything_color)((c + 1) % 3);
    return 0;
}

static int op_add(void *self, int64_t a, int64_t b, int64_t *result, coil_error **err) {
    (void)self;
    (void)err;
    *result = a + b;
    return 0;
}

/* describe, scale, blob and anything are left out: calls to them fail. */
static const everything_ops impl_ops = {
    .ping = op_ping, .add = op_add, .every = op_every, .find = op_find, .lookup = op_lookup,
    .mix = op_mix, .log = op_log,
};
static const coil_implements impl_implements[] = {
    { &everything_interface, &impl_ops }, COIL_IMPLEMENTS_END
};
static const coil_class impl_class = {
    .abi = COIL_ABI_VERSION, .name = "impl", .size = sizeof(impl),
    .implements = impl_implements,
};

/* A forwarding class, as a remote proxy is: every typed call arrives at
 * `forward`, which marshals the arguments to JSON and invokes the target. */
typedef struct loopback { void *target; int64_t forwarded; } loopback;

static int loopback_forward(void *self, const coil_method *m, void *const *args, void *result,
                            coil_error **err) {
    loopback *lb = self;
    lb->forwarded++;
    return support_forward_json(lb->target, &everything_interface, m, args, result, err);
}

static const void *loopback_query(void *self, const coil_interface *iface) {
    (void)self;
    return iface == &everything_interface ? iface->forward_ops : NULL;
}

static const coil_property loopback_props[] = {
    { .name = "target", .type = COIL_T_REF, .offset = offsetof(loopback, target),
      .flags = COIL_REQUIRED },
    COIL_PROPERTIES_END
};
static const coil_class loopback_class = {
    .abi = COIL_ABI_VERSION, .name = "loopback", .size = sizeof(loopback),
    .properties = loopback_props, .query = loopback_query, .forward = loopback_forward,
};

static coil_context *load_everything(void) {
    coil_options *opts = coil_options_new();
    coil_options_add_class(opts, &impl_class);
    coil_options_add_class(opts, &loopback_class);
    coil_error *err = NULL;
    coil_context *ctx = coil_load_string("objects:\n"
                                         "  - {object: impl, class: impl}\n"
                                         "  - {object: proxy, class: loopback,\n"
                                         "     properties: {target: {ref: impl}}}\n",
                                         "app.yaml", opts, &err);
    coil_options_free(opts);
    cr_assert_not_null(ctx, "%s", err ? err->message : "");
    return ctx;
}

static const char every_params[] =
    "{\"flag\": true, \"n\": -7, \"d\": 0.5, \"s\": \"text\", \"raw\": \"AQID\","
    " \"value\": {\"k\": [1, null]}, \"ints\": [9, 8], \"table\": {\"pi\": 3.25},"
    " \"maybe_n\": 42, \"maybe_s\": \"yes\", \"maybe_v\": [true], \"maybe_p\": {\"x\": 1, \"y\": 2},"
    " \"c\": \"blue\", \"nested\": [{\"at\": {\"x\": 0, \"y\": 0}}], \"sh\": %s}";

static const char every_result[] =
    "{\"flag\": [\"true\"], \"n\": [\"-7\"], \"d\": [\"0.5\"], \"s\": [\"text\"],"
    " \"raw\": [\"3:3\"], \"value\": [\"{\\\"k\\\":[1,null]}\"], \"ints\": [\"2:9\"],"
    " \"table\": [\"1:pi=3.25\"], \"maybe_n\": [\"42\"], \"maybe_s\": [\"yes\"],"
    " \"maybe_v\": [\"[true]\"], \"maybe_p\": [\"1,2\"], \"c\": [\"2\"], \"nested\": [\"1:at\"],"
    " \"sh\": [\"square/root\"]}";

static const char every_absent_result[] =
    "{\"flag\": [\"false\"], \"n\": [\"0\"], \"d\": [\"0\"], \"s\": [\"\"], \"raw\": [\"0:-1\"],"
    " \"value\": [\"null\"], \"ints\": [\"0:-1\"], \"table\": [\"0:=0\"], \"maybe_n\": [\"absent\"],"
    " \"maybe_s\": [\"absent\"], \"maybe_v\": [\"absent\"], \"maybe_p\": [\"absent\"],"
    " \"c\": [\"0\"], \"nested\": [\"0:\"], \"sh\": [\"square/root\"]}";

static void expect_json(json_t *got, const char *want) {
    json_error_t je;
    json_t *w = json_loads(want, 0, &je);
    cr_assert_not_null(w, "bad expectation: %s", je.text);
    char *g = dump(got);
    cr_assert(json_equal(got, w), "got  %s\nwant %s", g, want);
    free(g);
    json_decref(w);
}

static json_t *params_json(const char *tmpl) {
    json_t *sh = shape_json("square", shape_json("root", NULL));
    char *shs = dump(sh);
    json_decref(sh);
    char buf[4096];
    snprintf(buf, sizeof buf, tmpl, shs);
    free(shs);
    json_error_t je;
    json_t *p = json_loads(buf, 0, &je);
    cr_assert_not_null(p, "bad params: %s", je.text);
    return p;
}

CTEST(gen, coil_invoke_unpacks_every_type) {
    coil_context *ctx = load_everything();
    coil_error *err = NULL;
    void *obj = coil_get(ctx, "impl", &everything_interface, &err);
    cr_assert_not_null(obj);
    json_t *p = params_json(every_params), *r = NULL;
    cr_assert_eq(coil_invoke(obj, &everything_interface, "every", p, &r, &err), 0, "%s",
                 err ? err->message : "");
    expect_json(r, every_result);
    json_decref(r);
    json_decref(p);

    /* Absent optionals arrive as NULL; zero values as zero. */
    p = params_json("{\"flag\": false, \"n\": 0, \"d\": 0, \"s\": \"\", \"raw\": \"\","
                    " \"value\": null, \"ints\": [], \"table\": {}, \"maybe_n\": null,"
                    " \"maybe_s\": null, \"maybe_v\": null, \"maybe_p\": null, \"c\": \"red\","
                    " \"nested\": [], \"sh\": %s}");
    cr_assert_eq(coil_invoke(obj, &everything_interface, "every", p, &r, &err), 0, "%s",
                 err ? err->message : "");
    expect_json(r, every_absent_result);
    json_decref(r);
    json_decref(p);

    /* A method the class left NULL. */
    p = json_pack("[i]", 1);
    cr_assert_eq(coil_invoke(obj, &everything_interface, "anything", p, &r, &err),
                 COIL_EINTERFACE);
    cr_assert_str_eq(err->message, "everything.anything is not implemented");
    coil_error_free(err);
    json_decref(p);
    coil_close(ctx);
}

/* The same calls through the typed functions, on the object itself and on a
 * forwarding proxy: the results must be the same. */
static void typed_calls(void *obj) {
    coil_error *err = NULL;
    cr_assert_eq(everything_ping(obj, &err), 0);
    int64_t sum = 0;
    cr_assert_eq(everything_add(obj, 40, 2, &sum, &err), 0);
    cr_assert_eq(sum, 42);

    json_t *shj = shape_json("square", shape_json("root", NULL));
    everything_shape sh;
    cr_assert_eq(everything_shape_from_json(shj, &sh, &err), 0);
    json_decref(shj);
    unsigned char bytes[] = { 1, 2, 3 };
    coil_bytes raw = { bytes, 3 };
    json_t *value = json_pack("{s:[i,n]}", "k", 1);
    int64_t ints_items[] = { 9, 8 };
    everything_list_int ints = { ints_items, 2 };
    char *table_keys[] = { "pi" };
    double table_values[] = { 3.25 };
    everything_map_double table = { table_keys, table_values, 1 };
    int64_t maybe_n = 42;
    json_t *maybe_v = json_pack("[b]", 1);
    everything_point maybe_p = { 1, 2 }, origin = { 0, 0 };
    char *nested_keys[] = { "at" };
    everything_map_point nested_map = { nested_keys, &origin, 1 };
    everything_list_map_point nested = { &nested_map, 1 };

    everything_map_list_string r = { 0 };
    cr_assert_eq(everything_every(obj, true, -7, 0.5, "text", &raw, value, &ints, &table,
                                  &maybe_n, "yes", maybe_v, &maybe_p, EVERYTHING_COLOR_BLUE,
                                  &nested, &sh, &r, &err), 0, "%s", err ? err->message : "");
    json_t *rj = coil_value_to_json(method("every")->result, &r, NULL, &err);
    expect_json(rj, every_result);
    json_decref(rj);
    everything_map_list_string_free(&r);

    coil_bytes empty = { NULL, 0 };
    everything_list_int no_ints = { NULL, 0 };
    everything_map_double no_table = { NULL, NULL, 0 };
    everything_list_map_point no_nested = { NULL, 0 };
    json_t *null = json_null();
    cr_assert_eq(everything_every(obj, false, 0, 0, "", &empty, null, &no_ints, &no_table,
                                  NULL, NULL, NULL, NULL, EVERYTHING_COLOR_RED, &no_nested, &sh,
                                  &r, &err), 0, "%s", err ? err->message : "");
    rj = coil_value_to_json(method("every")->result, &r, NULL, &err);
    expect_json(rj, every_absent_result);
    json_decref(rj);
    everything_map_list_string_free(&r);
    json_decref(null);
    json_decref(value);
    json_decref(maybe_v);
    everything_shape_free(&sh);

    /* Optional results: present and absent. */
    everything_point *found = NULL;
    cr_assert_eq(everything_find(obj, "here", &found, &err), 0);
    cr_assert_not_null(found);
    cr_assert_float_eq(found->y, 2.5, 0);
    free(found);
    found = (everything_point *)&origin;
    cr_assert_eq(everything_find(obj, "nowhere", &found, &err), 0);
    cr_assert_null(found);
    char *text = NULL;
    cr_assert_eq(everything_lookup(obj, "key", &text, &err), 0);
    cr_assert_not_null(text);
    cr_assert_str_eq(text, "key");
    free(text);
    cr_assert_eq(everything_lookup(obj, "none", &text, &err), 0);
    cr_assert_null(text);

    /* An application error comes back with its code and message. */
    cr_assert_eq(everything_lookup(obj, "bad", &text, &err), COIL_EVALUE);
    cr_assert_str_eq(err->message, "no key 'bad'");
    coil_error_free(err);
    err = NULL;

    everything_color c;
    cr_assert_eq(everything_mix(obj, EVERYTHING_COLOR_BLUE, &c, &err), 0);
    cr_assert_eq(c, EVERYTHING_COLOR_RED);
    cr_assert_eq(everything_log(obj, "line", &err), 0);

    /* A method the class left out. */
    json_t *any = NULL;
    cr_assert_eq(everything_anything(obj, json_null(), &any, &err), COIL_EINTERFACE);
    cr_assert_str_eq(err->message, "everything.anything is not implemented");
    cr_assert_null(any);
    coil_error_free(err);
}

CTEST(gen, typed_calls_on_the_object) {
    coil_context *ctx = load_everything();
    void *obj = coil_get(ctx, "impl", &everything_interface, NULL);
    cr_assert_not_null(obj);
    typed_calls(obj);
    cr_assert_eq(((impl *)obj)->logged, 1);
    coil_close(ctx);
}

CTEST(gen, typed_calls_through_forward_ops) {
    coil_context *ctx = load_everything();
    void *proxy = coil_get(ctx, "proxy", &everything_interface, NULL);
    cr_assert_not_null(proxy);
    typed_calls(proxy);
    loopback *lb = proxy;
    cr_assert_eq(lb->forwarded, 12, "every typed call was forwarded (%lld)",
                 (long long)lb->forwarded);
    cr_assert_eq(((impl *)lb->target)->logged, 1);
    coil_close(ctx);
}

/* ---- The command ------------------------------------------------------------- */

typedef struct run_result {
    int status;
    char out[16384];
    char err[16384];
} run_result;

static void slurp(const char *path, char *buf, size_t size) {
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(buf, 1, size - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
}

/* Runs the coil binary in tests/data with `args` (NULL-terminated). */
static void run_coil(run_result *r, const char *const *args) {
    chdir_data();
    char out_path[] = "/tmp/coil-test-gen-out.XXXXXX", err_path[] = "/tmp/coil-test-gen-err.XXXXXX";
    int ofd = mkstemp(out_path), efd = mkstemp(err_path);
    cr_assert(ofd >= 0 && efd >= 0);
    const char *argv[32] = { COIL_CLI };
    size_t n = 1;
    for (; args[n - 1] && n < 31; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, ofd, 1);
    posix_spawn_file_actions_adddup2(&fa, efd, 2);
    pid_t pid;
    int rc = posix_spawn(&pid, COIL_CLI, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    cr_assert_eq(rc, 0, "cannot run %s: %s", COIL_CLI, strerror(rc));
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    close(ofd);
    close(efd);
    slurp(out_path, r->out, sizeof r->out);
    slurp(err_path, r->err, sizeof r->err);
    unlink(out_path);
    unlink(err_path);
}

#define RUN(r, ...) run_coil((r), (const char *const[]){ __VA_ARGS__, NULL })

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* A fresh scratch directory (removed by rm_scratch). */
static char *scratch(void) {
    char *dir = strdup("/tmp/coil-test-gen.XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    return dir;
}

static void rm_scratch(char *dir) {
    nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

static char *path_in(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    fputs(text, f);
    fclose(f);
}

CTEST(gen_cli, writes_both_files) {
    char *dir = scratch();
    char *out = path_in(dir, "a/b/c");   /* created, parents too */
    run_result r;
    RUN(&r, "gen", "iface/everything.yaml", "-o", out);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_empty(r.out);
    cr_assert_str_empty(r.err);
    char *h = path_in(out, "everything.h"), *c = path_in(out, "everything.c");
    static char text[1 << 17];
    slurp(h, text, sizeof text);
    cr_assert(strncmp(text, "/* Generated by coil gen from iface/everything.yaml. DO NOT EDIT. */\n",
                      68) == 0, "%.100s", text);
    cr_assert_not_null(strstr(text, "typedef struct everything_ops {\n"));
    cr_assert_not_null(strstr(text, "int everything_add(void *obj, int64_t a, int64_t b, "
                                    "int64_t *result, coil_error **err);\n"));
    cr_assert_not_null(strstr(text, "COIL_EXPORT extern const coil_interface "
                                    "everything_interface;\n"));
    cr_assert_not_null(strstr(text, "/* Primary colours. */\n"), "docs carried over");
    cr_assert_not_null(strstr(text, "(line 45)"), "sections name their source line");
    slurp(c, text, sizeof text);
    cr_assert(strncmp(text, "/* Generated by coil gen from iface/everything.yaml. DO NOT EDIT. */\n",
                      68) == 0, "%.100s", text);
    cr_assert_not_null(strstr(text, "COIL_EXPORT const coil_interface everything_interface = {\n"));

    /* --output=DIR works too, and gives the same files. */
    char *out2 = path_in(dir, "two");
    char opt[4096];
    snprintf(opt, sizeof opt, "--output=%s", out2);
    RUN(&r, "gen", "iface/everything.yaml", "--output=");
    cr_assert_eq(r.status, 2, "an empty --output= is a usage error");
    RUN(&r, "gen", opt, "iface/everything.yaml");
    cr_assert_eq(r.status, 0, "%s", r.err);
    char *h2 = path_in(out2, "everything.h");
    static char text2[1 << 17];
    slurp(h, text, sizeof text);
    slurp(h2, text2, sizeof text2);
    cr_assert_str_eq(text, text2);
    free(h2), free(out2), free(h), free(c), free(out);
    rm_scratch(dir);
}

CTEST(gen_cli, unchanged_output_is_not_rewritten) {
    char *dir = scratch();
    char *src = path_in(dir, "greeter.yaml");
    write_file(src, "interface: greeter\n"
                    "doc: Sings.\n"
                    "methods:\n"
                    "  happy_birthday:\n"
                    "    params: [{name: name, type: string}]\n"
                    "    returns: list<string>\n");
    run_result r;
    RUN(&r, "gen", src, "-o", dir);
    cr_assert_eq(r.status, 0, "%s", r.err);
    char *h = path_in(dir, "greeter.h"), *c = path_in(dir, "greeter.c");
    struct stat h1, c1, h2, c2;
    cr_assert_eq(stat(h, &h1), 0);
    cr_assert_eq(stat(c, &c1), 0);
    mode_t mask = umask(0);
    umask(mask);
    cr_assert_eq(h1.st_mode & 0777, 0666 & ~mask, "the usual mode, not mkstemp's");

    RUN(&r, "gen", src, "-o", dir);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(stat(h, &h2), 0);
    cr_assert_eq(stat(c, &c2), 0);
    cr_assert_eq(h1.st_ino, h2.st_ino, "the header was replaced");
    cr_assert_eq(c1.st_ino, c2.st_ino, "the source was replaced");
    cr_assert(h1.st_mtim.tv_sec == h2.st_mtim.tv_sec && h1.st_mtim.tv_nsec == h2.st_mtim.tv_nsec,
              "the header was touched");
    cr_assert(c1.st_mtim.tv_sec == c2.st_mtim.tv_sec && c1.st_mtim.tv_nsec == c2.st_mtim.tv_nsec,
              "the source was touched");

    /* A change to a doc changes both files: both are replaced. */
    write_file(src, "interface: greeter\n"
                    "doc: Sings loudly.\n"
                    "methods:\n"
                    "  happy_birthday:\n"
                    "    params: [{name: name, type: string}]\n"
                    "    returns: list<string>\n");
    RUN(&r, "gen", src, "-o", dir);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(stat(h, &h2), 0);
    cr_assert_neq(h1.st_ino, h2.st_ino, "the changed header was replaced (rename)");
    static char text[1 << 16];
    slurp(h, text, sizeof text);
    cr_assert_not_null(strstr(text, "Sings loudly."));
    slurp(c, text, sizeof text);
    cr_assert_not_null(strstr(text, "\"Sings loudly.\""));
    cr_assert_not_null(strstr(text, "/* Generated by coil gen from "), "%.80s", text);

    /* No temporary file is left behind: the directory holds just the three. */
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    size_t entries = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            entries++;
    closedir(d);
    cr_assert_eq(entries, 3);
    free(h), free(c), free(src);
    rm_scratch(dir);
}

CTEST(gen_cli, errors_have_positions_and_write_nothing) {
    char *dir = scratch();
    char *src = path_in(dir, "bad.yaml");
    write_file(src, "interface: bad\n"
                    "types:\n"
                    "  point:\n"
                    "    fields:\n"
                    "      - {name: x, type: dbl}\n"
                    "methods:\n"
                    "  greet:\n"
                    "    params: [{name: who, type: pointt}]\n"
                    "  wish:\n"
                    "    returns: int\n"
                    "    oneway: true\n");
    char *out = path_in(dir, "out");
    run_result r;
    RUN(&r, "gen", src, "-o", out);
    cr_assert_eq(r.status, 1, "%s", r.err);
    char want[1024];
    snprintf(want, sizeof want,
             "%s:5:25: error: type 'point': field 'x': unknown type 'dbl'\n"
             "%s:8:32: error: method 'greet': parameter 'who': unknown type 'pointt'\n"
             "%s:11:5: error: method 'wish': a oneway method cannot return a value\n"
             "coil: 3 errors\n", src, src, src);
    cr_assert_str_eq(r.err, want);
    cr_assert_str_empty(r.out);
    struct stat st;
    cr_assert_neq(stat(out, &st), 0, "nothing written, not even the directory");

    /* A name the generated C would take twice (here: jansson's size_t). */
    write_file(src, "interface: size\n"
                    "types:\n"
                    "  t: {enum: [x]}\n");
    RUN(&r, "gen", src, "-o", out);
    cr_assert_eq(r.status, 1, "%s", r.err);
    snprintf(want, sizeof want, "%s:3:3: error: type 't': reserved name", src);
    cr_assert(strncmp(r.err, want, strlen(want)) == 0, "%s", r.err);
    cr_assert_not_null(strstr(r.err, "'size_t'"), "%s", r.err);

    /* A method named after a C keyword keeps its name on the wire and in
     * the typed call; its ops member gets an underscore. Two methods whose
     * members would then be the same are refused. */
    write_file(src, "interface: kw\n"
                    "methods:\n"
                    "  register: {params: [{name: n, type: int}], returns: int}\n");
    RUN(&r, "gen", src, "-o", out);
    cr_assert_eq(r.status, 0, "%s", r.err);
    static char kw_text[1 << 16];
    char *kw_h = path_in(out, "kw.h"), *kw_c = path_in(out, "kw.c");
    slurp(kw_h, kw_text, sizeof kw_text);
    cr_assert_not_null(strstr(kw_text, "int (*register_)(void *self, int64_t n"), "%s", kw_text);
    cr_assert_not_null(strstr(kw_text, "int kw_register(void *obj, int64_t n"), "%s", kw_text);
    slurp(kw_c, kw_text, sizeof kw_text);
    cr_assert_not_null(strstr(kw_text, ".name = \"register\""), "%s", kw_text);
    cr_assert_not_null(strstr(kw_text, ".register_ = kw__fwd_register"), "%s", kw_text);
    cr_assert_null(strstr(kw_text, "->register)"), "the bare keyword is never a member: %s",
                   kw_text);
    cr_assert_null(strstr(kw_text, "->register("), "%s", kw_text);
    free(kw_h);
    free(kw_c);
    write_file(src, "interface: kw\n"
                    "methods:\n"
                    "  while:\n"
                    "  while_:\n");
    RUN(&r, "gen", src, "-o", out);
    cr_assert_eq(r.status, 1, "%s", r.err);
    snprintf(want, sizeof want, "%s:4:3: error: method 'while_': reserved name", src);
    cr_assert(strncmp(r.err, want, strlen(want)) == 0, "%s", r.err);
    cr_assert_not_null(strstr(r.err, "'kw_ops.while_'"), "%s", r.err);

    /* An unreadable file, and an output directory that cannot be made. */
    RUN(&r, "gen", "iface/nosuch.yaml", "-o", out);
    cr_assert_eq(r.status, 1);
    cr_assert_str_eq(r.err, "coil: error: cannot read 'iface/nosuch.yaml': No such file or "
                            "directory\n");
    char *file_in_the_way = path_in(src, "sub");
    RUN(&r, "gen", "iface/everything.yaml", "-o", file_in_the_way);
    cr_assert_eq(r.status, 1);
    cr_assert_not_null(strstr(r.err, "coil: error: cannot create directory"), "%s", r.err);
    free(file_in_the_way), free(out), free(src);
    rm_scratch(dir);
}

CTEST(gen_cli, usage_errors_exit_2) {
    run_result r;
    RUN(&r, "gen");
    cr_assert_eq(r.status, 2);
    cr_assert_not_null(strstr(r.err, "coil: gen needs an interface file\n\nusage: "), "%s", r.err);
    RUN(&r, "gen", "a.yaml", "b.yaml");
    cr_assert_eq(r.status, 2);
    cr_assert_str_eq(r.err, "coil: gen takes one interface file\n");
    RUN(&r, "gen", "a.yaml", "-o");
    cr_assert_eq(r.status, 2);
    cr_assert_str_eq(r.err, "coil: -o expects a directory\n");
    RUN(&r, "gen", "--bogus", "a.yaml");
    cr_assert_eq(r.status, 2);
    cr_assert_not_null(strstr(r.err, "coil: unknown option '--bogus'"), "%s", r.err);
    RUN(&r, "--help");
    cr_assert_eq(r.status, 0);
    cr_assert_not_null(strstr(r.out, "coil gen INTERFACE [-o DIR]"), "%s", r.out);
}
