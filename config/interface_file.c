/* Reads interface files: the YAML description of a service's methods and
 * types, checked and resolved into the model `coil gen` generates C from.
 * Every problem is reported with its position, and reading goes on, so one
 * run shows them all. The checks follow what the generated code needs: names
 * must be C identifiers that cannot collide with each other or with the
 * names the generator derives from them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/context_file.h" /* coil__describe */
#include "config/interface_file.h"

/* An interned type with the bookkeeping the checks need. The coil__itype
 * comes first, so the model's pointers are pointers to these. */
typedef struct tnode {
    coil__itype t;
    size_t index, low;     /* Tarjan's: 0 = not visited yet */
    size_t next_edge;
    size_t scc;            /* which component it ended in (1-based) */
    bool on_stack, placed;
    unsigned char color;   /* self-containment search: 0 new, 1 open, 2 done */
    bool reported;         /* a cycle through it was reported */
} tnode;

#define COUNT(a) (sizeof(a) / sizeof *(a))

/* A declared type or a method whose name passed the checks on its own: the
 * collision check looks at these. One of the two is set. */
typedef struct claimant {
    const coil__idecl *decl;
    const coil__imethod *method;
} claimant;

typedef struct reader {
    coil__arena *a;
    coil__errors *errs;
    coil__ifile *f;
    bool failed;
    coil__strmap decls;    /* name -> tnode of a declared struct or enum */
    coil__strmap types;    /* canonical spelling -> tnode */
    coil__vec all;         /* every tnode, in the order first seen */
    coil__strmap cnames;   /* generated C identifier -> what it belongs to */
    coil__vec good;        /* claimants: types first, then methods */
} reader;

#define ERR(r, code, n, ...)                                                              \
    do {                                                                                  \
        (r)->failed = true;                                                               \
        coil__errors_add((r)->errs, code, (n)->file, (n)->line, (n)->column, __VA_ARGS__); \
    } while (0)

static void oom(reader *r)
{
    r->failed = true;
    coil__errors_add(r->errs, COIL_ENOMEM, NULL, 0, 0, "out of memory");
}

static bool is_null(const coil__node *n)
{
    return n->kind == COIL__SCALAR && n->plain && coil__is_null(n->text);
}

/* A mapping key's text; NULL (reported) for a key that is not a scalar. */
static const char *key_text(reader *r, const coil__node *k, const char *pre)
{
    if (k->kind == COIL__SCALAR)
        return k->text;
    ERR(r, COIL_EKEY, k, "%skeys must be names, got %s", pre, coil__describe(r->a, k));
    return NULL;
}

/* A scalar's text; NULL (reported) otherwise. `pre` is "" or "method 'm': ". */
static const char *text(reader *r, const coil__node *n, const char *pre, const char *key,
                        const char *expects)
{
    if (n->kind == COIL__SCALAR)
        return n->text;
    ERR(r, COIL_ETYPE, n, "%s'%s' expects %s, got %s", pre, key, expects,
        coil__describe(r->a, n));
    return NULL;
}

/* A doc string: NULL when left empty. */
static const char *doc_text(reader *r, const coil__node *n, const char *pre)
{
    if (is_null(n))
        return NULL;
    return text(r, n, pre, "doc", "text");
}

static bool bool_value(reader *r, const coil__node *n, const char *pre, const char *key,
                       bool *out)
{
    const char *t = text(r, n, pre, key, "true or false");
    if (!t)
        return false;
    if (!coil__parse_bool(t, out)) {
        ERR(r, COIL_ETYPE, n, "%s'%s' expects true or false, got '%s'", pre, key, t);
        return false;
    }
    return true;
}

/* ---- Names ---------------------------------------------------------------- */

typedef enum name_kind { N_INTERFACE, N_TYPE, N_METHOD, N_FIELD, N_PARAM, N_VALUE } name_kind;

static bool one_of(const char *s, const char *const *words)
{
    for (; *words; words++)
        if (strcmp(s, *words) == 0)
            return true;
    return false;
}

static bool is_identifier(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return false;
    for (s++; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return false;
    return true;
}

/* C11's keywords, and C23's (which C11 code meets as <stdbool.h> macros). */
static const char *const c_keywords[] = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
    "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef",
    "union", "unsigned", "void", "volatile", "while", "_Alignas", "_Alignof", "_Atomic",
    "_Bool", "_Complex", "_Generic", "_Imaginary", "_Noreturn", "_Static_assert",
    "_Thread_local", "alignas", "alignof", "bool", "constexpr", "false", "nullptr",
    "static_assert", "thread_local", "true", "typeof", "typeof_unqual", NULL
};

bool coil__is_c_keyword(const char *name)
{
    return one_of(name, c_keywords);
}

/* Names the generator derives other names from (greeter_ops,
 * greeter_interface, ...). */
static const char *const generated_names[] = { "ops", "interface", "methods", "free", "init",
                                               "forward_ops", NULL };

static const char *const builtin_names[] = { "bool", "int", "double", "string", "bytes",
                                             "any", "list", "map", "optional", NULL };

/* The generated functions' own parameters and locals, and C types they
 * name after the parameters: a parameter cannot share these names. */
static const char *const param_names[] = { "obj", "self", "result", "err", "ops", "args",
                                           "int64_t", "json_t", "coil_bytes", "coil_error",
                                           NULL };

/* Object-like macros of the headers generated code includes. */
static const char *const macro_names[] = { "NULL", "errno", NULL };

#define COLLIDES "reserved name (it would collide in generated code)"
#define COLLIDES_WITH "reserved name (it would collide in generated code with %s)"

/* Checks a name; `what` names the thing ("method 'm'"). Reports and returns
 * false when the generated code could not use it. Enum values become
 * PREFIX_TYPE_VALUE constants, so only their syntax matters. */
static bool check_name(reader *r, const coil__node *n, const char *name, const char *what,
                       name_kind kind)
{
    if (kind == N_METHOD && strncmp(name, "rpc.", 4) == 0) {
        ERR(r, COIL_EVALUE, n, "%s: names starting with 'rpc.' are reserved by JSON-RPC", what);
        return false;
    }
    if (!is_identifier(name)) {
        ERR(r, COIL_EVALUE, n, "%s: not a valid C identifier", what);
        return false;
    }
    if (kind == N_VALUE)
        return true;
    /* A method's name is used bare only as a member of the ops struct,
     * where a keyword gets a trailing underscore; JSON-RPC callers see
     * the name as written (`register`). */
    if (kind != N_METHOD && one_of(name, c_keywords)) {
        ERR(r, COIL_EVALUE, n, "%s: reserved name (a C keyword)", what);
        return false;
    }
    if (name[0] == '_' && (name[1] == '_' || (name[1] >= 'A' && name[1] <= 'Z'))) {
        ERR(r, COIL_EVALUE, n,
            "%s: reserved name (C reserves names that start with '__' or '_' and a capital "
            "letter)",
            what);
        return false;
    }
    bool collides = false;
    switch (kind) {
    case N_INTERFACE:
        /* The prefix of every generated name: coil_ and json_ are taken. */
        collides = strcmp(name, "coil") == 0 || strcmp(name, "json") == 0;
        break;
    case N_TYPE:
        collides = one_of(name, generated_names) || one_of(name, builtin_names);
        break;
    case N_METHOD:
        collides = one_of(name, generated_names) || one_of(name, macro_names);
        break;
    case N_PARAM:
        collides = one_of(name, param_names) || one_of(name, macro_names);
        break;
    case N_FIELD:
        collides = one_of(name, macro_names);
        break;
    case N_VALUE:
        break;
    }
    if (collides) {
        ERR(r, COIL_EVALUE, n, "%s: " COLLIDES, what);
        return false;
    }
    return true;
}

/* ---- Types ---------------------------------------------------------------- */

static const struct {
    const char *name;
    coil_kind kind;
} scalar_types[] = {
    { "bool", COIL_K_BOOL },     { "int", COIL_K_INT },     { "double", COIL_K_DOUBLE },
    { "string", COIL_K_STRING }, { "bytes", COIL_K_BYTES }, { "any", COIL_K_ANY },
};

static const struct {
    const char *name;
    coil_kind kind;
} generic_types[] = {
    { "list", COIL_K_LIST },
    { "map", COIL_K_MAP },
    { "optional", COIL_K_OPTIONAL },
};

static tnode *new_tnode(reader *r, coil_kind kind, const char *spelling, const char *mangled)
{
    tnode *t = coil__arena_alloc(r->a, sizeof *t);
    if (!t || !spelling || !mangled || coil__strmap_put(&r->types, spelling, t, NULL) ||
        coil__vec_push(&r->all, t)) {
        oom(r);
        return NULL;
    }
    t->t.kind = kind;
    t->t.spelling = spelling;
    t->t.mangled = mangled;
    return t;
}

static coil__itype *intern_scalar(reader *r, const char *name, coil_kind kind)
{
    tnode *t = coil__strmap_get(&r->types, name);
    if (!t)
        t = new_tnode(r, kind, name, name);
    return t ? &t->t : NULL;
}

static coil__itype *intern_generic(reader *r, const char *name, coil_kind kind,
                                   coil__itype *elem)
{
    const char *spelling = coil__arena_printf(r->a, "%s<%s>", name, elem->spelling);
    if (!spelling) {
        oom(r);
        return NULL;
    }
    tnode *t = coil__strmap_get(&r->types, spelling);
    if (t)
        return &t->t;
    t = new_tnode(r, kind, spelling, coil__arena_printf(r->a, "%s_%s", name, elem->mangled));
    if (!t)
        return NULL;
    t->t.elem = elem;
    return &t->t;
}

static bool type_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool type_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_';
}

/* Resolves the type expression at `n`: NAME or GENERIC<EXPR>, spaces
 * allowed between the parts. `where` names the place ("method 'm':
 * parameter 'p'"); `returns` words the messages for a method's result.
 * NULL (reported) when it is not a good type. */
static coil__itype *resolve_type(reader *r, const coil__node *n, const char *where,
                                 bool returns)
{
    if (n->kind != COIL__SCALAR) {
        ERR(r, COIL_ETYPE, n, "%s: '%s' expects a type, got %s", where,
            returns ? "returns" : "type", coil__describe(r->a, n));
        return NULL;
    }
    const char *s = n->text, *p = s;
    /* The expression is a chain: generic names, then the innermost type. */
    size_t cap = n->len / 2 + 1, depth = 0;
    const char **names = coil__arena_alloc(r->a, cap * sizeof *names);
    if (!names) {
        oom(r);
        return NULL;
    }
    bool ok = true;
    for (;;) {
        while (type_space(*p))
            p++;
        const char *start = p;
        while (type_char(*p))
            p++;
        if (p == start || depth == cap) {
            ok = false;
            break;
        }
        names[depth] = coil__arena_strndup(r->a, start, (size_t)(p - start));
        if (!names[depth]) {
            oom(r);
            return NULL;
        }
        depth++;
        while (type_space(*p))
            p++;
        if (*p != '<')
            break;
        p++;
    }
    for (size_t i = 1; ok && i < depth; i++) {
        while (type_space(*p))
            p++;
        ok = *p == '>';
        p += ok;
    }
    while (ok && type_space(*p))
        p++;
    ok = ok && *p == '\0';
    /* Every name but the last must take an argument; the last must not. */
    for (size_t i = 0; ok && i < depth; i++) {
        bool generic = false;
        for (size_t g = 0; g < COUNT(generic_types); g++)
            generic |= strcmp(names[i], generic_types[g].name) == 0;
        ok = generic == (i + 1 < depth);
    }
    if (!ok) {
        ERR(r, COIL_ETYPE, n, "%s: malformed %stype '%s'", where, returns ? "return " : "", s);
        return NULL;
    }

    const char *leaf = names[depth - 1];
    coil__itype *t = NULL;
    for (size_t i = 0; i < COUNT(scalar_types) && !t; i++)
        if (strcmp(leaf, scalar_types[i].name) == 0)
            t = intern_scalar(r, scalar_types[i].name, scalar_types[i].kind);
    if (!t) {
        tnode *d = coil__strmap_get(&r->decls, leaf);
        if (!d) {
            ERR(r, COIL_ETYPE, n, "%s: unknown %stype '%s'", where, returns ? "return " : "",
                leaf);
            return NULL;
        }
        t = &d->t;
    }
    for (size_t i = depth - 1; i-- > 0 && t;) {
        coil_kind kind = COIL_K_LIST;
        for (size_t g = 0; g < COUNT(generic_types); g++)
            if (strcmp(names[i], generic_types[g].name) == 0)
                kind = generic_types[g].kind;
        if (kind == COIL_K_OPTIONAL && t->kind == COIL_K_OPTIONAL) {
            ERR(r, COIL_ETYPE, n, "%s: optional<optional<...>> is not allowed", where);
            return NULL;
        }
        t = intern_generic(r, names[i], kind, t);
    }
    return t;
}

/* ---- Fields, parameters, types, methods ------------------------------------ */

/* Reads a list of {name, type, doc} entries: a struct's fields (`noun`
 * "field") or a method's parameters ("parameter"). `owner` is "type 'p'" or
 * "method 'm'". */
static size_t read_entries(reader *r, const coil__node *list, const char *owner,
                           const char *noun, const char *key, name_kind kind,
                           coil__ifield **out)
{
    *out = NULL;
    if (list->kind != COIL__SEQ) {
        ERR(r, COIL_ETYPE, list, "%s: '%s' expects a list of %ss, got %s", owner, key, noun,
            coil__describe(r->a, list));
        return 0;
    }
    coil__ifield *fields =
        coil__arena_alloc(r->a, (list->count ? list->count : 1) * sizeof *fields);
    if (!fields) {
        oom(r);
        return 0;
    }
    size_t n = 0;
    for (size_t i = 0; i < list->count; i++) {
        const coil__node *e = list->items[i];
        if (e->kind != COIL__MAP) {
            ERR(r, COIL_ETYPE, e, "%s: %s %zu expects a map (name, type, doc), got %s", owner,
                noun, i + 1, coil__describe(r->a, e));
            continue;
        }
        coil__ifield *fld = &fields[n];
        fld->at = e;
        /* The name first: messages about the rest use it. */
        const coil__node *name_node = coil__map_get(e, "name");
        const char *what = coil__arena_printf(r->a, "%s: %s %zu", owner, noun, i + 1);
        if (!what) {
            oom(r);
            return n;
        }
        bool good_name = false;
        if (!name_node) {
            ERR(r, COIL_EREQUIRED, e, "%s has no 'name'", what);
        } else if (name_node->kind != COIL__SCALAR) {
            ERR(r, COIL_ETYPE, name_node, "%s: 'name' expects a name, got %s", what,
                coil__describe(r->a, name_node));
        } else {
            fld->name = name_node->text;
            what = coil__arena_printf(r->a, "%s: %s '%s'", owner, noun, fld->name);
            good_name = what && check_name(r, name_node, fld->name, what, kind);
        }
        if (!what) {
            oom(r);
            return n;
        }
        if (good_name) {
            for (size_t j = 0; j < n; j++) {
                if (fields[j].name && strcmp(fields[j].name, fld->name) == 0) {
                    ERR(r, COIL_EDUPLICATE, name_node, "%s: duplicate %s '%s'", owner, noun,
                        fld->name);
                    break;
                }
            }
        }
        const coil__node *type_node = NULL;
        const char *pre = coil__arena_printf(r->a, "%s: ", what);
        if (!pre) {
            oom(r);
            return n;
        }
        for (size_t j = 0; j < e->count; j++) {
            const coil__node *k = e->keys[j], *v = e->items[j];
            const char *kt = key_text(r, k, pre);
            if (!kt)
                continue;
            if (strcmp(kt, "name") == 0)
                continue;
            else if (strcmp(kt, "type") == 0)
                type_node = v;
            else if (strcmp(kt, "doc") == 0)
                fld->doc = doc_text(r, v, pre);
            else
                ERR(r, COIL_EKEY, k, "%s: unknown key '%s' (expected name, type, doc)", what, kt);
        }
        if (!type_node)
            ERR(r, COIL_EREQUIRED, e, "%s has no 'type'", what);
        else
            fld->type = resolve_type(r, type_node, what, false);
        n++;
    }
    *out = fields;
    return n;
}

static bool add_claimant(reader *r, const coil__idecl *d, const coil__imethod *m)
{
    claimant *c = coil__arena_alloc(r->a, sizeof *c);
    if (!c || coil__vec_push(&r->good, c)) {
        oom(r);
        return false;
    }
    c->decl = d;
    c->method = m;
    return true;
}

static void read_decl_body(reader *r, coil__idecl *d, const coil__node *body)
{
    const char *what = coil__arena_printf(r->a, "type '%s'", d->name);
    const char *pre = coil__arena_printf(r->a, "type '%s': ", d->name);
    if (!what || !pre) {
        oom(r);
        return;
    }
    if (body->kind != COIL__MAP) {
        if (is_null(body))
            ERR(r, COIL_EREQUIRED, d->at, "%s: needs 'fields' (a struct) or 'enum' (an enum)",
                what);
        else
            ERR(r, COIL_ETYPE, body, "%s: expects a map (doc, and fields or enum), got %s",
                what, coil__describe(r->a, body));
        return;
    }
    const coil__node *fields = NULL, *values = NULL, *values_key = NULL;
    for (size_t i = 0; i < body->count; i++) {
        const coil__node *k = body->keys[i], *v = body->items[i];
        const char *kt = key_text(r, k, pre);
        if (!kt)
            continue;
        if (strcmp(kt, "doc") == 0) {
            d->doc = doc_text(r, v, pre);
        } else if (strcmp(kt, "fields") == 0) {
            fields = v;
        } else if (strcmp(kt, "enum") == 0) {
            values = v;
            values_key = k;
        } else {
            ERR(r, COIL_EKEY, k, "%s: unknown key '%s' (expected doc, fields or enum)", what,
                kt);
        }
    }
    if (fields && values) {
        ERR(r, COIL_EVALUE, values_key,
            "%s: has both 'fields' and 'enum' (it is a struct or an enum)", what);
        return;
    }
    if (!fields && !values) {
        ERR(r, COIL_EREQUIRED, d->at, "%s: needs 'fields' (a struct) or 'enum' (an enum)",
            what);
        return;
    }
    if (fields) {
        if (is_null(fields) || (fields->kind == COIL__SEQ && fields->count == 0)) {
            /* C has no empty structs. */
            ERR(r, COIL_EVALUE, fields, "%s: a struct needs at least one field", what);
            return;
        }
        d->nfields = read_entries(r, fields, what, "field", "fields", N_FIELD, &d->fields);
        return;
    }
    if (is_null(values) || (values->kind == COIL__SEQ && values->count == 0)) {
        ERR(r, COIL_EVALUE, values, "%s: an enum needs at least one value", what);
        return;
    }
    if (values->kind != COIL__SEQ) {
        ERR(r, COIL_ETYPE, values, "%s: 'enum' expects a list of value names, got %s", what,
            coil__describe(r->a, values));
        return;
    }
    d->values = coil__arena_alloc(r->a, values->count * sizeof *d->values);
    if (!d->values) {
        oom(r);
        return;
    }
    for (size_t i = 0; i < values->count; i++) {
        const coil__node *v = values->items[i];
        if (v->kind != COIL__SCALAR) {
            ERR(r, COIL_ETYPE, v, "%s: value %zu expects a name, got %s", what, i + 1,
                coil__describe(r->a, v));
            continue;
        }
        const char *vwhat = coil__arena_printf(r->a, "%s: value '%s'", what, v->text);
        if (!vwhat) {
            oom(r);
            return;
        }
        if (!check_name(r, v, v->text, vwhat, N_VALUE))
            continue;
        bool dup = false;
        for (size_t j = 0; j < d->nvalues && !dup; j++)
            dup = strcmp(d->values[j], v->text) == 0;
        if (dup) {
            ERR(r, COIL_EDUPLICATE, v, "%s: duplicate value '%s'", what, v->text);
            continue;
        }
        d->values[d->nvalues++] = v->text;
    }
}

static void read_types(reader *r, const coil__node *types)
{
    if (types->kind != COIL__MAP) {
        ERR(r, COIL_ETYPE, types, "'types' expects a map of type names to definitions, got %s",
            coil__describe(r->a, types));
        return;
    }
    r->f->decls = coil__arena_alloc(r->a, (types->count ? types->count : 1) *
                                              sizeof *r->f->decls);
    if (!r->f->decls) {
        oom(r);
        return;
    }
    /* Every name first, so types can refer to types declared later. */
    const coil__node **bodies = coil__arena_alloc(r->a, (types->count ? types->count : 1) *
                                                            sizeof *bodies);
    if (!bodies) {
        oom(r);
        return;
    }
    for (size_t i = 0; i < types->count; i++) {
        const coil__node *k = types->keys[i], *v = types->items[i];
        const char *name = key_text(r, k, "'types': ");
        if (!name)
            continue;
        coil__idecl *d = coil__arena_alloc(r->a, sizeof *d);
        const char *what = coil__arena_printf(r->a, "type '%s'", name);
        if (!d || !what) {
            oom(r);
            return;
        }
        d->name = name;
        d->at = k;
        d->is_enum = coil__map_get(v, "enum") && !coil__map_get(v, "fields");
        bodies[r->f->ndecls] = v;
        r->f->decls[r->f->ndecls++] = d;
        if (check_name(r, k, name, what, N_TYPE) && !add_claimant(r, d, NULL))
            return;
        if (one_of(name, builtin_names))
            continue; /* `int` keeps meaning int */
        tnode *t = new_tnode(r, d->is_enum ? COIL_K_ENUM : COIL_K_STRUCT, name, name);
        if (!t || coil__strmap_put(&r->decls, name, t, NULL)) {
            oom(r);
            return;
        }
        t->t.decl = d;
    }
    for (size_t i = 0; i < r->f->ndecls; i++)
        read_decl_body(r, r->f->decls[i], bodies[i]);
}

static void read_method(reader *r, coil__imethod *m, const coil__node *body)
{
    const char *what = coil__arena_printf(r->a, "method '%s'", m->name);
    const char *pre = coil__arena_printf(r->a, "method '%s': ", m->name);
    if (!what || !pre) {
        oom(r);
        return;
    }
    if (is_null(body))
        return; /* `ping:` takes nothing and returns nothing */
    if (body->kind != COIL__MAP) {
        ERR(r, COIL_ETYPE, body,
            "%s: expects a map (doc, params, returns, oneway, idempotent), got %s", what,
            coil__describe(r->a, body));
        return;
    }
    const coil__node *oneway_key = NULL;
    for (size_t i = 0; i < body->count; i++) {
        const coil__node *k = body->keys[i], *v = body->items[i];
        const char *kt = key_text(r, k, pre);
        if (!kt)
            continue;
        if (strcmp(kt, "doc") == 0) {
            m->doc = doc_text(r, v, pre);
        } else if (strcmp(kt, "params") == 0) {
            if (!is_null(v))
                m->nparams = read_entries(r, v, what, "parameter", "params", N_PARAM,
                                          &m->params);
        } else if (strcmp(kt, "returns") == 0) {
            if (!is_null(v))
                m->result = resolve_type(r, v, what, true);
        } else if (strcmp(kt, "oneway") == 0) {
            bool_value(r, v, pre, kt, &m->oneway);
            oneway_key = k;
        } else if (strcmp(kt, "idempotent") == 0) {
            bool_value(r, v, pre, kt, &m->idempotent);
        } else {
            ERR(r, COIL_EKEY, k,
                "%s: unknown key '%s' (expected doc, params, returns, oneway, idempotent)",
                what, kt);
        }
    }
    if (m->oneway && m->result)
        ERR(r, COIL_EVALUE, oneway_key, "%s: a oneway method cannot return a value", what);
}

static void read_methods(reader *r, const coil__node *methods)
{
    if (methods->kind != COIL__MAP) {
        ERR(r, COIL_ETYPE, methods, "'methods' expects a map of method names to methods, got %s",
            coil__describe(r->a, methods));
        return;
    }
    r->f->methods = coil__arena_alloc(r->a, (methods->count ? methods->count : 1) *
                                                sizeof *r->f->methods);
    if (!r->f->methods) {
        oom(r);
        return;
    }
    for (size_t i = 0; i < methods->count; i++) {
        const coil__node *k = methods->keys[i];
        const char *name = key_text(r, k, "'methods': ");
        if (!name)
            continue;
        coil__imethod *m = &r->f->methods[r->f->nmethods++];
        m->name = name;
        m->at = k;
        const char *what = coil__arena_printf(r->a, "method '%s'", name);
        if (!what) {
            oom(r);
            return;
        }
        if (check_name(r, k, name, what, N_METHOD) && !add_claimant(r, NULL, m))
            return;
        read_method(r, m, methods->items[i]);
    }
}

/* ---- Whole-file checks ----------------------------------------------------- */

/* Claims a generated C identifier for `what`. Returns the previous owner
 * when it was taken, else NULL. */
static const char *claim(reader *r, const char *ident, const char *what)
{
    if (!ident || !what) {
        oom(r);
        return NULL;
    }
    const char *other = coil__strmap_get(&r->cnames, ident);
    if (other)
        return other;
    if (coil__strmap_put(&r->cnames, ident, (void *)what, NULL))
        oom(r);
    return NULL;
}

static char *upper(coil__arena *a, const char *s)
{
    char *u = coil__arena_strdup(a, s);
    for (char *p = u; p && *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    return u;
}

/* Names that pass on their own can still meet in the generated code: a
 * method `point_free` and the free function of struct `point`, a struct
 * `list_int` and the C type of list<int>. Claims every name the generator
 * derives (the spec's naming), in this order: the interface's own, the
 * composite types', the declared types' (with their enum constants), the
 * methods'; reports the first clash of each type or method at its name. */
typedef struct form {
    const char *mid, *suffix;     /* PREFIX mid NAME suffix */
} form;

static const form struct_forms[] = { { "_", "" },         { "_", "_init" },
                                     { "_", "_free" },    { "_", "_from_json" },
                                     { "_", "_to_json" }, { "__type_", "" } };
static const form enum_forms[] = { { "_", "" }, { "__type_", "" } };
static const form composite_forms[] = { { "_", "" }, { "_", "_free" }, { "__type_", "" } };
static const form optional_forms[] = { { "__type_", "" } }; /* a T *: no C type of its own */
static const form method_forms[] = { { "_", "" },
                                     { "__call_", "" },
                                     { "__fwd_", "" },
                                     { "__params_", "" } };

/* Claims every form of `name`; returns the owner of the first that was
 * taken, or NULL. */
static const char *claim_forms(reader *r, const form *forms, size_t n, const char *name,
                               const char *what)
{
    const char *other = NULL;
    for (size_t i = 0; i < n && !other; i++)
        other = claim(r,
                      coil__arena_printf(r->a, "%s%s%s%s", r->f->name, forms[i].mid, name,
                                         forms[i].suffix),
                      what);
    return other;
}

static void check_collisions(reader *r)
{
    coil__arena *a = r->a;
    const char *p = r->f->name;
    static const char *const own[] = { "_ops", "_interface", "__methods", "__forward_ops" };
    for (size_t i = 0; i < COUNT(own); i++) {
        const char *ident = coil__arena_printf(a, "%s%s", p, own[i]);
        claim(r, ident, ident);
    }
    for (size_t i = 0; i < r->all.count; i++) {
        tnode *t = r->all.items[i];
        coil_kind k = t->t.kind;
        /* Two composites clash only through a declared name, and that
         * clash is the one reported. */
        if (k == COIL_K_LIST || k == COIL_K_MAP)
            claim_forms(r, composite_forms, COUNT(composite_forms), t->t.mangled,
                        t->t.spelling);
        else if (k == COIL_K_OPTIONAL)
            claim_forms(r, optional_forms, COUNT(optional_forms), t->t.mangled, t->t.spelling);
    }
    const char *up = upper(a, p);
    if (!up) {
        oom(r);
        return;
    }
    for (size_t i = 0; i < r->good.count; i++) {
        const claimant *c = r->good.items[i];
        const coil__imethod *m = c->method;
        const coil__idecl *d = c->decl;
        const char *name = m ? m->name : d->name;
        const coil__node *at = m ? m->at : d->at;
        const char *what = coil__arena_printf(a, "%s '%s'", m ? "method" : "type", name);
        const char *other;
        if (m)
            other = claim_forms(r, method_forms, COUNT(method_forms), name, what);
        else if (d->is_enum)
            other = claim_forms(r, enum_forms, COUNT(enum_forms), name, what);
        else
            other = claim_forms(r, struct_forms, COUNT(struct_forms), name, what);
        if (other) {
            ERR(r, COIL_EVALUE, at, "%s: " COLLIDES_WITH, what, other);
            continue;
        }
        if (!d || !d->is_enum)
            continue;
        const char *tup = upper(a, d->name);
        for (size_t j = 0; j < d->nvalues && tup; j++) {
            const char *vwhat = coil__arena_printf(a, "value '%s' of type '%s'", d->values[j],
                                                   d->name);
            const char *vup = upper(a, d->values[j]);
            const char *ident = vup ? coil__arena_printf(a, "%s_%s_%s", up, tup, vup) : NULL;
            if ((other = claim(r, ident, vwhat)) != NULL)
                ERR(r, COIL_EVALUE, at, "type '%s': value '%s': " COLLIDES_WITH, d->name,
                    d->values[j], other);
        }
    }
}

/* A struct cannot hold itself by value: C could not lay it out. Through a
 * list, map or optional it is a pointer, which is fine. */
static void check_containment(reader *r)
{
    coil__vec stack = { 0 };   /* open structs, outermost first */
    coil__vec edges = { 0 };   /* per open struct: the next field, as a size_t */
    for (size_t i = 0; i < r->all.count; i++) {
        tnode *root = r->all.items[i];
        if (root->t.kind != COIL_K_STRUCT || root->color)
            continue;
        root->color = 1;
        if (coil__vec_push(&stack, root) || coil__vec_push(&edges, (void *)(size_t)0))
            goto out_of_memory;
        while (stack.count) {
            tnode *t = stack.items[stack.count - 1];
            size_t e = (size_t)edges.items[edges.count - 1];
            const coil__idecl *d = t->t.decl;
            if (e == d->nfields) {
                t->color = 2;
                stack.count--;
                edges.count--;
                continue;
            }
            edges.items[edges.count - 1] = (void *)(e + 1);
            tnode *next = (tnode *)d->fields[e].type;
            if (!next || next->t.kind != COIL_K_STRUCT || next->color == 2)
                continue;
            if (next->color == 0) {
                next->color = 1;
                if (coil__vec_push(&stack, next) || coil__vec_push(&edges, (void *)(size_t)0))
                    goto out_of_memory;
                continue;
            }
            /* A cycle through `next`, which is open: report it once. */
            if (next->reported)
                continue;
            next->reported = true;
            coil__buf path;
            coil__buf_init(&path);
            size_t from = 0;
            while (stack.items[from] != next)
                from++;
            for (size_t j = from; j < stack.count; j++)
                coil__buf_printf(&path, "%s -> ", ((tnode *)stack.items[j])->t.spelling);
            coil__buf_adds(&path, next->t.spelling);
            if (path.failed)
                oom(r);
            else
                ERR(r, COIL_ECYCLE, next->t.decl->at, "struct '%s' contains itself (%s)",
                    next->t.spelling, path.data);
            coil__buf_free(&path);
        }
    }
    goto done;
out_of_memory:
    oom(r);
done:
    coil__vec_free(&stack);
    coil__vec_free(&edges);
}

/* The i-th type `t` is made of, or NULL past the last. */
static tnode *component(const tnode *t, size_t i)
{
    if (t->t.kind == COIL_K_STRUCT)
        return i < t->t.decl->nfields ? (tnode *)t->t.decl->fields[i].type : NULL;
    if (t->t.elem)
        return i == 0 ? (tnode *)t->t.elem : NULL;
    return NULL;
}

/* Orders the types so that each follows its components. Types that refer
 * to each other (a struct with a list of itself) form a cycle, which always
 * passes through a list, map or optional: those hold pointers and need only
 * a declaration, so within a cycle only the struct's fields, held by value,
 * must come first. Tarjan's algorithm finds the cycles and gives them in
 * dependency order; each cycle is then ordered by its by-value fields. */
static void order_types(reader *r)
{
    size_t n = r->all.count, counter = 0, nscc = 0;
    coil__itype **out = coil__arena_alloc(r->a, (n ? n : 1) * sizeof *out);
    coil__vec calls = { 0 }, scc = { 0 }, members = { 0 };
    if (!out)
        goto out_of_memory;
    size_t placed = 0;
    for (size_t i = 0; i < n; i++) {
        tnode *root = r->all.items[i];
        if (root->index)
            continue;
        root->index = root->low = ++counter;
        root->on_stack = true;
        if (coil__vec_push(&calls, root) || coil__vec_push(&scc, root))
            goto out_of_memory;
        while (calls.count) {
            tnode *v = calls.items[calls.count - 1];
            tnode *w = component(v, v->next_edge);
            if (w) {
                v->next_edge++;
                if (!w->index) {
                    w->index = w->low = ++counter;
                    w->on_stack = true;
                    if (coil__vec_push(&calls, w) || coil__vec_push(&scc, w))
                        goto out_of_memory;
                } else if (w->on_stack && w->index < v->low) {
                    v->low = w->index;
                }
                continue;
            }
            calls.count--;
            if (calls.count) {
                tnode *parent = calls.items[calls.count - 1];
                if (v->low < parent->low)
                    parent->low = v->low;
            }
            if (v->low != v->index)
                continue;
            /* v roots a component: its members are on top of `scc`. */
            nscc++;
            size_t first = scc.count;
            while (scc.items[first - 1] != v)
                first--;
            first--;
            members.count = 0;
            for (size_t j = first; j < scc.count; j++) {
                tnode *m = scc.items[j];
                m->on_stack = false;
                m->scc = nscc;
                if (coil__vec_push(&members, m))
                    goto out_of_memory;
            }
            scc.count = first;
            /* Place members whose by-value fields in the cycle are placed,
             * in the order found, until all are. */
            size_t left = members.count;
            bool progress = true;
            while (left && progress) {
                progress = false;
                for (size_t j = 0; j < members.count; j++) {
                    tnode *m = members.items[j];
                    if (m->placed)
                        continue;
                    bool ready = true;
                    for (size_t e = 0; m->t.kind == COIL_K_STRUCT && e < m->t.decl->nfields; e++) {
                        tnode *c = (tnode *)m->t.decl->fields[e].type;
                        if (c && c->scc == nscc && !c->placed && c != m)
                            ready = false;
                    }
                    if (!ready)
                        continue;
                    m->placed = true;
                    out[placed++] = &m->t;
                    left--;
                    progress = true;
                }
            }
        }
    }
    r->f->types = out;
    r->f->ntypes = placed;
    goto done;
out_of_memory:
    oom(r);
done:
    coil__vec_free(&calls);
    coil__vec_free(&scc);
    coil__vec_free(&members);
}

static int decl_by_name(const void *a, const void *b)
{
    return strcmp((*(const coil__idecl *const *)a)->name, (*(const coil__idecl *const *)b)->name);
}

/* FNV-1a 64 (coil__hash: the standard basis, so peers in other languages
 * compute the same value) of the canonical text:
 *     interface NAME\n
 *     NAME(PTYPE PNAME,...)->RTYPE[ oneway][ idempotent]\n    per method, in order
 *     struct NAME{TYPE FIELD;...}\n or enum NAME{V,...}\n     per type, by name
 * Types are in canonical spelling; RTYPE is empty for a method that returns
 * nothing; docs are left out. Method order counts (it is the ops struct's
 * layout); the order types are declared in does not. */
static void compute_signature(reader *r)
{
    coil__ifile *f = r->f;
    coil__buf b;
    coil__buf_init(&b);
    coil__buf_printf(&b, "interface %s\n", f->name);
    for (size_t i = 0; i < f->nmethods; i++) {
        const coil__imethod *m = &f->methods[i];
        coil__buf_printf(&b, "%s(", m->name);
        for (size_t j = 0; j < m->nparams; j++)
            coil__buf_printf(&b, "%s%s %s", j ? "," : "", m->params[j].type->spelling,
                             m->params[j].name);
        coil__buf_printf(&b, ")->%s%s%s\n", m->result ? m->result->spelling : "",
                         m->oneway ? " oneway" : "", m->idempotent ? " idempotent" : "");
    }
    coil__idecl **sorted = malloc((f->ndecls ? f->ndecls : 1) * sizeof *sorted);
    if (!sorted) {
        coil__buf_free(&b);
        oom(r);
        return;
    }
    if (f->ndecls)
        memcpy(sorted, f->decls, f->ndecls * sizeof *sorted);
    qsort(sorted, f->ndecls, sizeof *sorted, decl_by_name);
    for (size_t i = 0; i < f->ndecls; i++) {
        const coil__idecl *d = sorted[i];
        coil__buf_printf(&b, "%s %s{", d->is_enum ? "enum" : "struct", d->name);
        if (d->is_enum)
            for (size_t j = 0; j < d->nvalues; j++)
                coil__buf_printf(&b, "%s%s", j ? "," : "", d->values[j]);
        else
            for (size_t j = 0; j < d->nfields; j++)
                coil__buf_printf(&b, "%s %s;", d->fields[j].type->spelling, d->fields[j].name);
        coil__buf_adds(&b, "}\n");
    }
    free(sorted);
    if (b.failed || !b.data)
        oom(r);
    else
        f->signature = coil__hash(b.data);
    coil__buf_free(&b);
}

/* ---- The file --------------------------------------------------------------- */

static void read_root(reader *r, const coil__node *root, const char *name)
{
    if (!root || is_null(root)) {
        r->failed = true;
        coil__errors_add(r->errs, COIL_EREQUIRED, name, 1, 1,
                         "an interface file needs 'interface' (the interface's name)");
        return;
    }
    if (root->kind != COIL__MAP) {
        ERR(r, COIL_ETYPE, root,
            "an interface file is a map (interface, doc, types, methods), got %s",
            coil__describe(r->a, root));
        return;
    }
    static const char *const keys[] = { "interface", "doc", "types", "methods", NULL };
    for (size_t i = 0; i < root->count; i++) {
        const coil__node *k = root->keys[i];
        const char *kt = key_text(r, k, "");
        if (kt && !one_of(kt, keys))
            ERR(r, COIL_EKEY, k,
                "unknown key '%s' in an interface file (expected interface, doc, types, "
                "methods)",
                kt);
    }
    const coil__node *v = coil__map_get(root, "interface");
    if (!v) {
        ERR(r, COIL_EREQUIRED, root, "an interface file needs 'interface' (the interface's name)");
    } else if ((r->f->name = text(r, v, "", "interface", "a name")) != NULL) {
        const char *what = coil__arena_printf(r->a, "interface '%s'", r->f->name);
        if (!what)
            oom(r);
        else if (!check_name(r, v, r->f->name, what, N_INTERFACE))
            r->f->name = NULL;
    }
    if ((v = coil__map_get(root, "doc")) != NULL)
        r->f->doc = doc_text(r, v, "");
    if ((v = coil__map_get(root, "types")) != NULL && !is_null(v))
        read_types(r, v);
    if ((v = coil__map_get(root, "methods")) != NULL && !is_null(v))
        read_methods(r, v);

    check_containment(r);
    if (r->f->name)
        check_collisions(r);
}

static coil__ifile *read_text(coil__arena *a, const char *text, size_t len, const char *name,
                              coil__errors *errs)
{
    reader r = { .a = a, .errs = errs };
    coil__strmap_init(&r.decls);
    coil__strmap_init(&r.types);
    coil__strmap_init(&r.cnames);
    r.f = coil__arena_alloc(a, sizeof *r.f);
    bool ok = false;
    const coil__node *root = NULL;
    if (!r.f || !(r.f->path = coil__arena_strdup(a, name)))
        oom(&r);
    else
        root = coil__yaml_read(a, text, len, name, errs, &ok);
    if (ok) {
        read_root(&r, root, name);
        if (!r.failed)
            order_types(&r);
        if (!r.failed)
            compute_signature(&r);
    }
    coil__strmap_free(&r.decls);
    coil__strmap_free(&r.types);
    coil__strmap_free(&r.cnames);
    coil__vec_free(&r.all);
    coil__vec_free(&r.good);
    return ok && !r.failed ? r.f : NULL;
}

coil__ifile *coil__interface_read_string(coil__arena *a, const char *text, const char *name,
                                         coil__errors *errs)
{
    return read_text(a, text, strlen(text), name, errs);
}

static char *read_whole(const char *path, size_t *len, int *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *err = errno;
        return NULL;
    }
    coil__buf b;
    coil__buf_init(&b);
    char chunk[16384];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        coil__buf_add(&b, chunk, n);
    *err = ferror(f) ? (errno ? errno : EIO) : b.failed ? ENOMEM : 0;
    fclose(f);
    *len = b.len;
    if (*err) {
        coil__buf_free(&b);
        return NULL;
    }
    return coil__buf_take(&b);
}

coil__ifile *coil__interface_read(coil__arena *a, const char *path, coil__errors *errs)
{
    size_t len = 0;
    int err = 0;
    char *text = read_whole(path, &len, &err);
    if (!text) {
        coil__errors_add(errs, COIL_EIO, NULL, 0, 0, "cannot read '%s': %s", path,
                         strerror(err));
        return NULL;
    }
    coil__ifile *f = read_text(a, text, len, path, errs);
    free(text);
    return f;
}
