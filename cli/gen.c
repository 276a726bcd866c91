/* `coil gen`: renders an interface file's model (config/interface_file.h)
 * as C, and writes the two files only when their content changes.
 *
 * The generated code holds tables and thin typed wrappers: conversion
 * between C and JSON is the library's, driven by the coil_typeinfo tables
 * emitted here (include/coil/interface.h). For interface P:
 *   P.h  C types (structs, enums, P_list_X, P_map_X), P_ops, typed call
 *        functions P_<method>, helpers P_<struct>_init/_free/_from_json/
 *        _to_json, P_<list or map>_free, and `P_interface`.
 *   P.c  type tables P__type_*, parameter tables, call glue P__call_*
 *        (for coil_invoke), forwarding glue P__fwd_* (for proxies), the
 *        method table and the descriptor.
 * File-scope names the library's users never write carry a double
 * underscore after the prefix. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/gen.h"

#define LINE_MAX_COLS 100

typedef struct gen {
    const coil__ifile *f;
    const char *shown;      /* the interface file, as comments name it */
    const char *p;          /* the prefix: the interface's name */
    const char *up;         /* the prefix in upper case, for enum constants */
    coil__arena *a;
    coil__buf *o;           /* the file being written */
    coil__errors *errs;
    coil__strmap names;     /* generated file-scope name -> what it is for */
    coil__vec derived;      /* coil__itype *: lists, maps, optionals, elements first */
    coil__strmap seen;      /* spelling -> type, for `derived` */
    bool failed;
} gen;

/* ---- Small text helpers ------------------------------------------------ */

static const char *fmt(gen *g, const char *f, ...) COIL__PRINTF(2, 3);
static const char *fmt(gen *g, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, f, copy);
    va_end(copy);
    char *s = n >= 0 ? coil__arena_alloc_raw(g->a, (size_t)n + 1) : NULL;
    if (s)
        vsnprintf(s, (size_t)n + 1, f, ap);
    va_end(ap);
    if (!s) {
        g->failed = true;
        return "";
    }
    return s;
}

/* Appends to the file being written (an allocation failure marks the
 * buffer failed, which coil__gen_render reports). */
#define out(g, ...) coil__buf_printf((g)->o, __VA_ARGS__)

static void outs(gen *g, const char *s)
{
    coil__buf_adds(g->o, s);
}

static bool ends_with_star(const char *s)
{
    size_t n = strlen(s);
    return n && s[n - 1] == '*';
}

/* "T name", or "T *name" when T is a pointer type. */
static const char *declare(gen *g, const char *type, const char *name)
{
    return fmt(g, "%s%s%s", type, ends_with_star(type) ? "" : " ", name);
}

/* A pointer to T: "T *", or "T **" when T is already a pointer. */
static const char *pointer_to(gen *g, const char *type)
{
    return fmt(g, "%s%s*", type, ends_with_star(type) ? "" : " ");
}

static const char *upper(gen *g, const char *s)
{
    char *u = coil__arena_strdup(g->a, s);
    if (!u) {
        g->failed = true;
        return "";
    }
    for (char *c = u; *c; c++)
        if (*c >= 'a' && *c <= 'z')
            *c = (char)(*c - 'a' + 'A');
    return u;
}

static bool has_text(const char *s)
{
    return s && s[strspn(s, " \t\r\n")];
}

/* A C string literal for `s` (NULL gives NULL). Escapes quotes, backslashes,
 * control characters and non-ASCII bytes (octal, so no escape swallows a
 * following digit), and the second '?' of "??" (trigraphs). */
static const char *literal(gen *g, const char *s)
{
    if (!s)
        return "NULL";
    coil__buf b;
    coil__buf_init(&b);
    coil__buf_add(&b, "\"", 1);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        char esc[8];
        if (*c == '"')
            coil__buf_adds(&b, "\\\"");
        else if (*c == '\\')
            coil__buf_adds(&b, "\\\\");
        else if (*c == '\n')
            coil__buf_adds(&b, "\\n");
        else if (*c == '\t')
            coil__buf_adds(&b, "\\t");
        else if (*c == '?' && c[1] == '?') {
            coil__buf_adds(&b, "?\\");   /* "?\?": the pair is not a trigraph */
        } else if (*c < 0x20 || *c >= 0x7f) {
            snprintf(esc, sizeof esc, "\\%03o", *c);
            coil__buf_adds(&b, esc);
        } else {
            coil__buf_add(&b, (const char *)c, 1);
        }
    }
    coil__buf_add(&b, "\"", 1);
    const char *r = b.failed ? NULL : coil__arena_strdup(g->a, b.data);
    coil__buf_free(&b);
    if (!r) {
        g->failed = true;
        return "\"\"";
    }
    return r;
}

/* `doc` without trailing blank space. */
static const char *trimmed(gen *g, const char *doc)
{
    size_t n = strlen(doc);
    while (n && strchr(" \t\r\n", doc[n - 1]))
        n--;
    const char *t = coil__arena_strndup(g->a, doc, n);
    if (!t)
        g->failed = true;
    return t ? t : "";
}

/* A doc string as one C literal (NULL when there is none). */
static const char *trimmed_literal(gen *g, const char *doc)
{
    return has_text(doc) ? literal(g, trimmed(g, doc)) : "NULL";
}

/* A doc string as C, one literal per line when it spans lines, the
 * continuations indented by `indent` columns. */
static const char *doc_literal(gen *g, const char *doc, int indent)
{
    if (!has_text(doc))
        return "NULL";
    const char *r = "";
    for (const char *t = trimmed(g, doc);; ) {
        size_t len = strcspn(t, "\n");
        const char *line = coil__arena_strndup(g->a, t, len + (t[len] ? 1 : 0));
        if (!line) {
            g->failed = true;
            return "NULL";
        }
        r = fmt(g, "%s%s%*s%s", r, *r ? "\n" : "", *r ? indent : 0, "", literal(g, line));
        if (!t[len])
            return r;
        t += len + 1;
    }
}

/* Comment-safe text: no comment delimiters, no trigraph, no trailing blank
 * lines or trailing spaces. */
static const char *comment_text(gen *g, const char *s)
{
    coil__buf b;
    coil__buf_init(&b);
    for (const char *c = s; *c; c++) {
        if (c[0] == '*' && c[1] == '/')
            coil__buf_adds(&b, "* ");
        else if (c[0] == '/' && c[1] == '*')
            coil__buf_adds(&b, "/ ");
        else if (c[0] == '?' && c[1] == '?')
            coil__buf_adds(&b, "? ");
        else if (c[0] == '\r')
            continue;
        else
            coil__buf_add(&b, c, 1);
    }
    /* Trailing spaces of every line, then trailing newlines. */
    char *r = b.failed ? NULL : coil__arena_alloc_raw(g->a, b.len + 1);
    if (r) {
        size_t n = 0;
        for (size_t i = 0; i < b.len; i++) {
            if (b.data[i] == '\n')
                while (n && (r[n - 1] == ' ' || r[n - 1] == '\t'))
                    n--;
            r[n++] = b.data[i];
        }
        while (n && (r[n - 1] == ' ' || r[n - 1] == '\t' || r[n - 1] == '\n'))
            n--;
        r[n] = '\0';
    }
    coil__buf_free(&b);
    if (!r) {
        g->failed = true;
        return "";
    }
    return r;
}

/* Writes comment-safe `text` (which may span lines) as a block comment. */
static void block(gen *g, const char *indent, const char *text)
{
    out(g, "%s/* ", indent);
    for (const char *t = text;;) {
        size_t n = strcspn(t, "\n");
        out(g, "%.*s", (int)n, t);
        if (!t[n])
            break;
        t += n + 1;
        out(g, "\n%s *%s", indent, *t && *t != '\n' ? " " : "");
    }
    outs(g, " */\n");
}

/* A doc comment block above a declaration: nothing when doc is empty. */
static void doc_block(gen *g, const char *indent, const char *doc)
{
    if (has_text(doc))
        block(g, indent, comment_text(g, doc));
}

/* Whether a doc fits on one line. */
static bool single_line(const char *doc)
{
    return has_text(doc) && !strchr(doc, '\n');
}

/* head, the items separated by ", ", tail: on one line when it fits in
 * LINE_MAX_COLS, else wrapped with continuation lines aligned after head
 * (a parameter list after "f(", an initializer after "{ "). */
static void wrapped(gen *g, const char *head, const char *const *items, size_t n,
                    const char *tail)
{
    size_t len = strlen(head) + strlen(tail);
    for (size_t i = 0; i < n; i++)
        len += strlen(items[i]) + 2;
    if (len <= LINE_MAX_COLS || n == 0) {
        outs(g, head);
        for (size_t i = 0; i < n; i++)
            out(g, "%s%s", i ? ", " : "", items[i]);
        out(g, "%s", tail);
        return;
    }
    size_t col = strlen(head);
    outs(g, head);
    size_t at = col;
    for (size_t i = 0; i < n; i++) {
        size_t need = strlen(items[i]) + (i + 1 < n ? 1 : strlen(tail));
        if (i > 0) {
            if (at + 2 + need > LINE_MAX_COLS) {
                out(g, ",\n%*s", (int)col, "");
                at = col;
            } else {
                outs(g, ", ");
                at += 2;
            }
        }
        outs(g, items[i]);
        at += strlen(items[i]);
    }
    outs(g, tail);
}

/* ---- Types --------------------------------------------------------------- */

static bool builtin(const coil__itype *t)
{
    switch (t->kind) {
    case COIL_K_BOOL: case COIL_K_INT: case COIL_K_DOUBLE:
    case COIL_K_STRING: case COIL_K_BYTES: case COIL_K_ANY:
        return true;
    default:
        return false;
    }
}

static bool is_pointer_valued(const coil__itype *t);

/* The C type of a value of `t`. */
static const char *ctype(gen *g, const coil__itype *t)
{
    switch (t->kind) {
    case COIL_K_BOOL: return "bool";
    case COIL_K_INT: return "int64_t";
    case COIL_K_DOUBLE: return "double";
    case COIL_K_STRING: return "char *";
    case COIL_K_BYTES: return "coil_bytes";
    case COIL_K_ANY: return "json_t *";
    case COIL_K_LIST: case COIL_K_MAP: return fmt(g, "%s_%s", g->p, t->mangled);
    case COIL_K_STRUCT: case COIL_K_ENUM: return fmt(g, "%s_%s", g->p, t->decl->name);
    case COIL_K_OPTIONAL:
        /* A string or an any is a pointer already: NULL says absent. */
        if (is_pointer_valued(t->elem))
            return ctype(g, t->elem);
        return pointer_to(g, ctype(g, t->elem));
    }
    return "void *";
}

/* The table that describes `t`: a built-in's, or a generated one. */
static const char *typeinfo(gen *g, const coil__itype *t)
{
    switch (t->kind) {
    case COIL_K_BOOL: return "&coil_type_bool";
    case COIL_K_INT: return "&coil_type_int";
    case COIL_K_DOUBLE: return "&coil_type_double";
    case COIL_K_STRING: return "&coil_type_string";
    case COIL_K_BYTES: return "&coil_type_bytes";
    case COIL_K_ANY: return "&coil_type_any";
    case COIL_K_STRUCT: case COIL_K_ENUM: return fmt(g, "&%s__type_%s", g->p, t->decl->name);
    default: return fmt(g, "&%s__type_%s", g->p, t->mangled);
    }
}

/* Passed by value: scalars and enums. */
static bool by_value(const coil__itype *t)
{
    return t->kind == COIL_K_BOOL || t->kind == COIL_K_INT || t->kind == COIL_K_DOUBLE ||
           t->kind == COIL_K_ENUM;
}

static bool is_pointer_valued(const coil__itype *t)
{
    return t->kind == COIL_K_STRING || t->kind == COIL_K_ANY;
}

/* How an in-parameter of type `t` is passed: scalars and enums by value,
 * strings and any as const pointers, aggregates by const pointer, and an
 * optional as a const pointer to its element (NULL when absent). */
static const char *in_type(gen *g, const coil__itype *t)
{
    switch (t->kind) {
    case COIL_K_BOOL: case COIL_K_INT: case COIL_K_DOUBLE: case COIL_K_ENUM:
        return ctype(g, t);
    case COIL_K_STRING: return "const char *";
    case COIL_K_ANY: return "const json_t *";
    case COIL_K_OPTIONAL:
        if (t->elem->kind == COIL_K_STRING)
            return "const char *";
        if (t->elem->kind == COIL_K_ANY)
            return "const json_t *";
        return fmt(g, "const %s *", ctype(g, t->elem));
    default:
        return fmt(g, "const %s *", ctype(g, t));
    }
}

/* ---- Names: what the generated code declares at file scope -------------- */

static const coil__node *node_or(const coil__node *n, const coil__node *fallback)
{
    return n ? n : fallback;
}

static void error_at(gen *g, const coil__node *at, const char *f, ...) COIL__PRINTF(3, 4);
static void error_at(gen *g, const coil__node *at, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    coil__errors_addv(g->errs, COIL_EVALUE, at ? at->file : g->f->path, at ? at->line : 0,
                      at ? at->column : 0, f, ap);
    va_end(ap);
    g->failed = true;
}

/* Claims a file-scope name for `what`; two things that would generate the
 * same name are an error at the second. */
static const char library_what[] = "the C library, jansson or Coil";

static void claim(gen *g, const char *name, const char *what, const coil__node *at)
{
    const char *prev = coil__strmap_get(&g->names, name);
    if (prev) {
        error_at(g, at, "%s: reserved name (it would collide in generated code: '%s' is %s %s)",
                 what, name, prev == library_what ? "a name of" : "also generated for", prev);
        return;
    }
    if (coil__strmap_put(&g->names, name, (void *)what, NULL))
        g->failed = true;
}

/* A method's member in the ops struct: its name, or NAME_ for a C keyword
 * (a JSON-RPC method may well be called `register`). */
static const char *member(gen *g, const coil__imethod *m)
{
    return coil__is_c_keyword(m->name) ? fmt(g, "%s_", m->name) : m->name;
}

/* Object-like macros of the headers the generated code includes (or that
 * its users commonly do, or that compilers predefine outside strict ISO
 * mode): a struct field or parameter of that name would not compile. */
static const char *const macro_names[] = {
    "bool", "true", "false", "NULL", "errno", "stdin", "stdout", "stderr", "linux", "unix",
    "i386", NULL,
};

/* Identifiers the generated code uses where parameters are in scope: types
 * in prototypes, functions in bodies. */
static const char *const used_names[] = {
    "int64_t", "size_t", "json_t", "coil_bytes", "coil_error", "coil_ops", "coil_forward",
    "coil_error_new", "offsetof", NULL,
};

static bool listed(const char *const *list, const char *name)
{
    for (; *list; list++)
        if (strcmp(name, *list) == 0)
            return true;
    return false;
}

/* Names of the C library and jansson that an interface's generated names
 * could otherwise take (interface `size` with a type `t`...). */
static const char *const library_names[] = {
    "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t",
    "uint64_t", "intptr_t", "uintptr_t", "intmax_t", "uintmax_t", "size_t", "ssize_t",
    "ptrdiff_t", "wchar_t", "max_align_t", "off_t", "json_t", "json_int_t",
    "json_error_t", "json_type", "coil_bytes", "coil_list", "coil_map", "coil_error",
    "coil_kind", "coil_field", "coil_param", "coil_method", "coil_typeinfo",
    "coil_interface", "coil_class", "coil_module", "coil_ops", "coil_forward",
    "coil_invoke", "coil_code", "coil_type", "coil_options", "coil_context", NULL,
};

static void check_local(gen *g, const char *name, const char *what, const coil__node *at)
{
    if (listed(macro_names, name) || listed(used_names, name)) {
        error_at(g, at, "%s: reserved name (it would collide in generated code)", what);
        return;
    }
    const char *global = coil__strmap_get(&g->names, name);
    if (global)
        error_at(g, at, "%s: reserved name (it would collide in generated code with the "
                 "name generated for %s)", what, global);
}

static void collect(gen *g, coil__itype *t, const coil__node *at)
{
    if (builtin(t) || t->kind == COIL_K_STRUCT || t->kind == COIL_K_ENUM)
        return;
    if (coil__strmap_get(&g->seen, t->spelling))
        return;
    if (coil__strmap_put(&g->seen, t->spelling, t, NULL))
        g->failed = true;
    collect(g, t->elem, at);
    if (coil__vec_push(&g->derived, t))
        g->failed = true;
    if (t->kind != COIL_K_OPTIONAL) {
        const char *what = fmt(g, "type '%s'", t->spelling);
        claim(g, fmt(g, "%s_%s", g->p, t->mangled), what, at);
        claim(g, fmt(g, "%s_%s_free", g->p, t->mangled), what, at);
    }
    claim(g, fmt(g, "%s__type_%s", g->p, t->mangled), fmt(g, "type '%s'", t->spelling), at);
}

/* Every name the files will declare, and every type they need a table
 * for. Reports collisions the reader cannot see. */
static void plan(gen *g)
{
    const coil__ifile *f = g->f;
    for (const char *const *l = library_names; *l; l++)
        claim(g, *l, library_what, NULL);
    const char *iface_what = fmt(g, "interface '%s'", g->p);
    claim(g, fmt(g, "%s_ops", g->p), iface_what, NULL);
    claim(g, fmt(g, "%s_interface", g->p), iface_what, NULL);
    claim(g, fmt(g, "%s__not_implemented", g->p), iface_what, NULL);
    claim(g, fmt(g, "%s__methods", g->p), iface_what, NULL);
    claim(g, fmt(g, "%s__forward_ops", g->p), iface_what, NULL);
    claim(g, fmt(g, "%s__arg", g->p), iface_what, NULL);

    for (size_t i = 0; i < f->ndecls; i++) {
        const coil__idecl *d = f->decls[i];
        const char *what = fmt(g, "type '%s'", d->name);
        claim(g, fmt(g, "%s_%s", g->p, d->name), what, d->at);
        claim(g, fmt(g, "%s__type_%s", g->p, d->name), what, d->at);
        if (d->is_enum) {
            if (d->nvalues == 0)
                error_at(g, d->at, "type '%s': an enum needs at least one value", d->name);
            claim(g, fmt(g, "%s__names_%s", g->p, d->name), what, d->at);
            for (size_t v = 0; v < d->nvalues; v++)
                claim(g, fmt(g, "%s_%s_%s", g->up, upper(g, d->name), upper(g, d->values[v])),
                      fmt(g, "type '%s': value '%s'", d->name, d->values[v]), d->at);
        } else {
            claim(g, fmt(g, "%s__fields_%s", g->p, d->name), what, d->at);
            static const char *const helpers[] = { "init", "free", "from_json", "to_json" };
            for (size_t h = 0; h < 4; h++)
                claim(g, fmt(g, "%s_%s_%s", g->p, d->name, helpers[h]), what, d->at);
        }
    }
    for (size_t i = 0; i < f->ndecls; i++)
        for (size_t k = 0; k < f->decls[i]->nfields; k++)
            collect(g, f->decls[i]->fields[k].type,
                    node_or(f->decls[i]->fields[k].at, f->decls[i]->at));
    for (size_t i = 0; i < f->nmethods; i++) {
        const coil__imethod *m = &f->methods[i];
        const char *what = fmt(g, "method '%s'", m->name);
        claim(g, fmt(g, "%s_%s", g->p, m->name), what, m->at);
        claim(g, fmt(g, "%s__params_%s", g->p, m->name), what, m->at);
        claim(g, fmt(g, "%s__call_%s", g->p, m->name), what, m->at);
        claim(g, fmt(g, "%s__fwd_%s", g->p, m->name), what, m->at);
        claim(g, fmt(g, "%s_ops.%s", g->p, member(g, m)), what, m->at);
        for (size_t k = 0; k < m->nparams; k++)
            collect(g, m->params[k].type, node_or(m->params[k].at, m->at));
        if (m->result)
            collect(g, m->result, m->at);
    }
    /* Locals: parameters and fields against what is in scope around them. */
    for (size_t i = 0; i < f->ndecls; i++)
        for (size_t k = 0; k < f->decls[i]->nfields; k++) {
            const coil__ifield *fl = &f->decls[i]->fields[k];
            const char *what = fmt(g, "type '%s': field '%s'", f->decls[i]->name, fl->name);
            if (listed(macro_names, fl->name))
                error_at(g, node_or(fl->at, f->decls[i]->at),
                         "%s: reserved name (it would collide in generated code)", what);
        }
    for (size_t i = 0; i < f->nmethods; i++) {
        const coil__imethod *m = &f->methods[i];
        for (size_t k = 0; k < m->nparams; k++)
            check_local(g, m->params[k].name,
                        fmt(g, "method '%s': parameter '%s'", m->name, m->params[k].name),
                        node_or(m->params[k].at, m->at));
    }
}

/* A local name that no parameter of `m` uses: `base`, or `base` with
 * underscores appended. */
static const char *fresh(gen *g, const coil__imethod *m, const char *base)
{
    const char *name = base;
    for (;;) {
        bool taken = false;
        for (size_t k = 0; k < m->nparams && !taken; k++)
            taken = strcmp(m->params[k].name, name) == 0;
        if (!taken)
            return name;
        name = fmt(g, "%s_", name);
    }
}

/* ---- The header ---------------------------------------------------------- */

static void banner(gen *g)
{
    out(g, "/* Generated by coil gen from %s. DO NOT EDIT. */\n", comment_text(g, g->shown));
}

static void section(gen *g, const char *title)
{
    size_t n = strlen(title);
    out(g, "\n/* ==== %s ", title);
    for (size_t i = n + 9; i < 78; i++)
        outs(g, "=");
    outs(g, " */\n");
}

static void subsection(gen *g, const char *title, const coil__node *at)
{
    const char *t = at ? fmt(g, "%s (line %u)", title, at->line) : title;
    size_t n = strlen(t);
    out(g, "\n/* ---- %s ", t);
    for (size_t i = n + 9; i < 78; i++)
        outs(g, "-");
    outs(g, " */\n");
}

/* A method's parameter declarations: the object, the in-parameters, the
 * result (when it has one), the error. */
static const char **method_params(gen *g, const coil__imethod *m, const char *self,
                                  const char *result, const char *err, size_t *n)
{
    const char **v = coil__arena_alloc(g->a, (m->nparams + 3) * sizeof *v);
    if (!v) {
        g->failed = true;
        *n = 0;
        return NULL;
    }
    size_t k = 0;
    v[k++] = fmt(g, "void *%s", self);
    for (size_t i = 0; i < m->nparams; i++)
        v[k++] = declare(g, in_type(g, m->params[i].type), m->params[i].name);
    if (m->result)
        v[k++] = declare(g, pointer_to(g, ctype(g, m->result)), result);
    v[k++] = fmt(g, "coil_error **%s", err);
    *n = k;
    return v;
}

static void method_doc(gen *g, const coil__imethod *m, const char *result)
{
    coil__buf b;
    coil__buf_init(&b);
    if (has_text(m->doc))
        coil__buf_printf(&b, "%s\n", comment_text(g, m->doc));
    for (size_t i = 0; i < m->nparams; i++) {
        const coil__ifield *p = &m->params[i];
        coil__buf_printf(&b, "  %s (%s)", p->name, p->type->spelling);
        if (has_text(p->doc)) {
            coil__buf_adds(&b, ": ");
            for (const char *t = comment_text(g, p->doc); *t; t++)
                coil__buf_adds(&b, *t == '\n' ? "\n      " : (char[2]){ *t, 0 });
        }
        coil__buf_adds(&b, "\n");
    }
    if (m->result)
        coil__buf_printf(&b, "  %s (%s): the caller's to free\n", result, m->result->spelling);
    if (m->oneway)
        coil__buf_adds(&b, "One-way: no reply is awaited.\n");
    if (m->idempotent)
        coil__buf_adds(&b, "Idempotent: safe to retry.\n");
    if (b.len && !b.failed) {
        b.data[--b.len] = '\0';
        block(g, "", b.data);
    }
    if (b.failed)
        g->failed = true;
    coil__buf_free(&b);
}

static void header_types(gen *g)
{
    const coil__ifile *f = g->f;
    bool forward = false;
    for (size_t i = 0; i < f->ndecls; i++)
        forward |= !f->decls[i]->is_enum;
    for (size_t i = 0; i < g->derived.count; i++)
        forward |= ((coil__itype *)g->derived.items[i])->kind != COIL_K_OPTIONAL;
    if (!f->ndecls && !forward)
        return;
    section(g, "Types");
    if (forward) {
        outs(g, "\n/* Declared first: types may refer to each other in any order. */\n");
        for (size_t i = 0; i < f->ndecls; i++)
            if (!f->decls[i]->is_enum)
                out(g, "typedef struct %s_%s %s_%s;\n", g->p, f->decls[i]->name, g->p,
                    f->decls[i]->name);
        for (size_t i = 0; i < g->derived.count; i++) {
            const coil__itype *t = g->derived.items[i];
            if (t->kind != COIL_K_OPTIONAL)
                out(g, "typedef struct %s_%s %s_%s;\n", g->p, t->mangled, g->p, t->mangled);
        }
    }

    /* Enums: complete at once, so every struct may hold one. */
    for (size_t i = 0; i < f->ndecls; i++) {
        const coil__idecl *d = f->decls[i];
        if (!d->is_enum)
            continue;
        subsection(g, fmt(g, "enum %s", d->name), d->at);
        doc_block(g, "", d->doc);
        out(g, "typedef enum %s_%s {\n", g->p, d->name);
        const char *ud = upper(g, d->name);
        int width = 0;
        for (size_t v = 0; v < d->nvalues; v++) {
            int w = (int)(strlen(g->up) + strlen(ud) + strlen(d->values[v])) + 3;
            width = w > width ? w : width;
        }
        for (size_t v = 0; v < d->nvalues; v++) {
            const char *c = fmt(g, "%s_%s_%s%s", g->up, ud, upper(g, d->values[v]),
                                v + 1 < d->nvalues ? "," : "");
            out(g, "    %-*s  /* \"%s\" */\n", width, c, comment_text(g, d->values[v]));
        }
        out(g, "} %s_%s;\n", g->p, d->name);
    }

    /* Lists and maps hold pointers to their elements: any order works. */
    for (size_t i = 0; i < g->derived.count; i++) {
        const coil__itype *t = g->derived.items[i];
        if (t->kind == COIL_K_OPTIONAL)
            continue;
        subsection(g, t->spelling, NULL);
        const char *elem = pointer_to(g, ctype(g, t->elem));
        out(g, "struct %s_%s {\n", g->p, t->mangled);
        if (t->kind == COIL_K_LIST) {
            out(g, "    %s;\n", declare(g, elem, "items"));
        } else {
            outs(g, "    char **keys;\n");
            out(g, "    %s;\n", declare(g, elem, "values"));
        }
        outs(g, "    size_t count;\n};\n");
        out(g, "/* Frees what the %s owns (not `v` itself) and zeroes it. */\n",
            t->kind == COIL_K_LIST ? "list" : "map");
        out(g, "void %s_%s_free(%s_%s *v);\n", g->p, t->mangled, g->p, t->mangled);
    }

    /* Structs, each after the structs it holds by value. */
    size_t nstructs = 0;
    for (size_t i = 0; i < f->ndecls; i++)
        nstructs += !f->decls[i]->is_enum;
    const coil__idecl **order = coil__arena_alloc(g->a, (nstructs + 1) * sizeof *order);
    unsigned char *state = coil__arena_alloc(g->a, f->ndecls + 1);
    if (!order || !state) {
        g->failed = true;
        return;
    }
    size_t done = 0;
    /* An iterative depth-first walk: the reader guarantees no struct holds
     * itself by value, so it ends. */
    while (done < nstructs) {
        size_t before = done;
        for (size_t i = 0; i < f->ndecls; i++) {
            const coil__idecl *d = f->decls[i];
            if (d->is_enum || state[i])
                continue;
            bool ready = true;
            for (size_t k = 0; k < d->nfields && ready; k++) {
                const coil__itype *ft = d->fields[k].type;
                if (ft->kind != COIL_K_STRUCT || ft->decl == d)
                    continue;
                for (size_t j = 0; j < f->ndecls; j++)
                    if (f->decls[j] == ft->decl && !state[j])
                        ready = false;
            }
            if (ready) {
                state[i] = 1;
                order[done++] = d;
                break;   /* restart: keep file order wherever possible */
            }
        }
        if (done == before) {   /* a cycle by value: the reader should have said so */
            error_at(g, NULL, "interface '%s': structs contain each other by value", g->p);
            return;
        }
    }
    for (size_t i = 0; i < nstructs; i++) {
        const coil__idecl *d = order[i];
        subsection(g, fmt(g, "struct %s", d->name), d->at);
        doc_block(g, "", d->doc);
        out(g, "struct %s_%s {\n", g->p, d->name);
        for (size_t k = 0; k < d->nfields; k++) {
            const coil__ifield *fl = &d->fields[k];
            if (has_text(fl->doc) && !single_line(fl->doc))
                doc_block(g, "    ", fl->doc);
            out(g, "    %s;", declare(g, ctype(g, fl->type), fl->name));
            if (single_line(fl->doc))
                out(g, "  /* %s */", comment_text(g, fl->doc));
            else if (fl->type->kind == COIL_K_OPTIONAL || fl->type->kind == COIL_K_ANY)
                out(g, "  /* %s */", fl->type->spelling);
            outs(g, "\n");
        }
        if (!d->nfields)
            outs(g, "    char coil__unused;  /* C has no empty structs */\n");
        outs(g, "};\n");
        const char *n = fmt(g, "%s_%s", g->p, d->name);
        out(g, "/* Zeroes *v. */\nvoid %s_init(%s *v);\n", n, n);
        out(g, "/* Frees what *v owns (not v itself) and zeroes it. */\nvoid %s_free(%s *v);\n",
            n, n);
        out(g, "/* JSON conversion: *out belongs to the caller on success (%s_free). */\n", n);
        out(g, "int %s_from_json(const json_t *json, %s *out, coil_error **err);\n", n, n);
        out(g, "json_t *%s_to_json(const %s *v, coil_error **err);\n", n, n);
    }
}

static void header_methods(gen *g)
{
    const coil__ifile *f = g->f;
    section(g, "Methods");
    outs(g, "\n");
    block(g, "", fmt(g, "What a class implements: an ops table of this type, listed with\n"
                        "&%s_interface in the class's `implements` table. A NULL member\n"
                        "is a method the class does not implement (calls to it fail with\n"
                        "COIL_EINTERFACE).", g->p));
    out(g, "typedef struct %s_ops {\n", g->p);
    for (size_t i = 0; i < f->nmethods; i++) {
        const coil__imethod *m = &f->methods[i];
        if (has_text(m->doc))
            doc_block(g, "    ", m->doc);
        size_t n;
        const char **ps = method_params(g, m, fresh(g, m, "self"), fresh(g, m, "result"),
                                        fresh(g, m, "err"), &n);
        wrapped(g, fmt(g, "    int (*%s)(", member(g, m)), ps, n, ");\n");
    }
    if (!f->nmethods)
        outs(g, "    char coil__unused;  /* the interface has no methods */\n");
    out(g, "} %s_ops;\n", g->p);

    out(g, "\n/* The interface's descriptor, shared by every module that uses it. */\n");
    out(g, "COIL_EXPORT extern const coil_interface %s_interface;\n", g->p);

    if (f->nmethods) {
        outs(g, "\n/* Typed calls. Each finds the ops table through which `obj` (an object\n"
                " * coil_get() returned, or a proxy) implements the interface, and calls\n"
                " * the method. Returns 0 or an error code (COIL_EINTERFACE: the object\n"
                " * does not implement it). */\n");
    }
    for (size_t i = 0; i < f->nmethods; i++) {
        const coil__imethod *m = &f->methods[i];
        subsection(g, fmt(g, "%s", m->name), m->at);
        const char *result = fresh(g, m, "result");
        method_doc(g, m, result);
        size_t n;
        const char **ps = method_params(g, m, fresh(g, m, "obj"), result, fresh(g, m, "err"),
                                        &n);
        wrapped(g, fmt(g, "int %s_%s(", g->p, m->name), ps, n, ");\n");
    }
}

static void render_header(gen *g)
{
    const coil__ifile *f = g->f;
    banner(g);
    block(g, "", fmt(g, "Interface %s%s%s\n\n"
                        "Ownership, the same for every function below: in-parameters are\n"
                        "borrowed; a result belongs to the caller, who releases it with the\n"
                        "_free function of its type (a string with free(), an any with\n"
                        "json_decref(); an optional<string> or optional<any> is that\n"
                        "pointer or NULL; another optional is released like its element,\n"
                        "then free()d); on error nothing needs freeing and the result is\n"
                        "untouched.\n"
                        "An error is stored in *err when err is not NULL; the caller releases\n"
                        "it with coil_error_free().",
                     g->p, has_text(f->doc) ? ": " : ".",
                     has_text(f->doc) ? comment_text(g, f->doc) : ""));
    const char *guard = fmt(g, "COIL_GEN_%s_H", g->up);
    out(g, "#ifndef %s\n#define %s\n\n", guard, guard);
    outs(g, "#include <stdbool.h>\n#include <stddef.h>\n#include <stdint.h>\n\n"
            "#include <jansson.h>\n\n#include \"coil/class.h\"\n\n"
            "#ifdef __cplusplus\nextern \"C\" {\n#endif\n");
    header_types(g);
    header_methods(g);
    out(g, "\n#ifdef __cplusplus\n}\n#endif\n\n#endif  /* %s */\n", guard);
}

/* ---- The source ---------------------------------------------------------- */

static void source_types(gen *g)
{
    const coil__ifile *f = g->f;
    if (!f->ndecls && !g->derived.count)
        return;
    section(g, "Type tables");
    outs(g, "\n/* Declared first: tables may refer to each other in any order. */\n");
    for (size_t i = 0; i < f->ndecls; i++)
        out(g, "static const coil_typeinfo %s__type_%s;\n", g->p, f->decls[i]->name);
    for (size_t i = 0; i < g->derived.count; i++)
        out(g, "static const coil_typeinfo %s__type_%s;\n", g->p,
            ((coil__itype *)g->derived.items[i])->mangled);

    for (size_t i = 0; i < f->ndecls; i++) {
        const coil__idecl *d = f->decls[i];
        const char *n = fmt(g, "%s_%s", g->p, d->name);
        subsection(g, fmt(g, "%s %s", d->is_enum ? "enum" : "struct", d->name), d->at);
        if (d->is_enum) {
            out(g, "static const char *const %s__names_%s[] = {\n", g->p, d->name);
            for (size_t v = 0; v < d->nvalues; v++)
                out(g, "    %s,\n", literal(g, d->values[v]));
            outs(g, "};\n\n");
            out(g, "static const coil_typeinfo %s__type_%s = {\n", g->p, d->name);
            out(g, "    .kind = COIL_K_ENUM,\n    .name = %s,\n    .size = sizeof(%s),\n",
                literal(g, d->name), n);
            out(g, "    .names = %s__names_%s,\n    .nnames = %zu,\n", g->p, d->name, d->nvalues);
        } else {
            if (d->nfields) {
                out(g, "static const coil_field %s__fields_%s[] = {\n", g->p, d->name);
                for (size_t k = 0; k < d->nfields; k++) {
                    const coil__ifield *fl = &d->fields[k];
                    const char *items[] = {
                        fmt(g, ".name = %s", literal(g, fl->name)),
                        fmt(g, ".type = %s", typeinfo(g, fl->type)),
                        fmt(g, ".offset = offsetof(%s, %s)", n, fl->name),
                        fmt(g, ".doc = %s", trimmed_literal(g, fl->doc)),
                    };
                    wrapped(g, "    { ", items, has_text(fl->doc) ? 4 : 3, " },\n");
                }
                outs(g, "};\n\n");
            }
            out(g, "static const coil_typeinfo %s__type_%s = {\n", g->p, d->name);
            out(g, "    .kind = COIL_K_STRUCT,\n    .name = %s,\n    .size = sizeof(%s),\n",
                literal(g, d->name), n);
            if (d->nfields)
                out(g, "    .fields = %s__fields_%s,\n    .nfields = %zu,\n", g->p, d->name,
                    d->nfields);
        }
        out(g, "    .doc = %s,\n};\n", doc_literal(g, d->doc, 11));
        if (!d->is_enum) {
            out(g, "\nvoid %s_init(%s *v)\n{\n    memset(v, 0, sizeof *v);\n}\n", n, n);
            out(g, "\nvoid %s_free(%s *v)\n{\n    coil_value_free(&%s__type_%s, v);\n}\n", n, n,
                g->p, d->name);
            out(g, "\nint %s_from_json(const json_t *json, %s *out, coil_error **err)\n{\n"
                   "    return coil_value_from_json(&%s__type_%s, json, out, NULL, err);\n}\n",
                n, n, g->p, d->name);
            out(g, "\njson_t *%s_to_json(const %s *v, coil_error **err)\n{\n"
                   "    return coil_value_to_json(&%s__type_%s, v, NULL, err);\n}\n",
                n, n, g->p, d->name);
        }
    }
    for (size_t i = 0; i < g->derived.count; i++) {
        const coil__itype *t = g->derived.items[i];
        subsection(g, t->spelling, NULL);
        static const char *const kinds[] = {
            [COIL_K_LIST] = "COIL_K_LIST", [COIL_K_MAP] = "COIL_K_MAP",
            [COIL_K_OPTIONAL] = "COIL_K_OPTIONAL",
        };
        const char *c = ctype(g, t);
        out(g, "static const coil_typeinfo %s__type_%s = {\n", g->p, t->mangled);
        out(g, "    .kind = %s,\n    .name = %s,\n    .size = sizeof(%s),\n    .elem = %s,\n};\n",
            kinds[t->kind], literal(g, t->spelling), c, typeinfo(g, t->elem));
        if (t->kind != COIL_K_OPTIONAL)
            out(g, "\nvoid %s_free(%s *v)\n{\n    coil_value_free(&%s__type_%s, v);\n}\n", c, c,
                g->p, t->mangled);
    }
}

/* The expression that turns args[i] (a pointer to a C value of the
 * parameter's type) into the parameter as the ops function takes it. */
static const char *unpack(gen *g, const coil__itype *t, size_t i)
{
    const char *c = ctype(g, t);
    switch (t->kind) {
    case COIL_K_BOOL: case COIL_K_INT: case COIL_K_DOUBLE: case COIL_K_ENUM:
        return fmt(g, "*(const %s *)args[%zu]", c, i);
    case COIL_K_STRING: case COIL_K_ANY: case COIL_K_OPTIONAL:
        return fmt(g, "*(%sconst *)args[%zu]", c, i);
    default:
        return fmt(g, "(const %s *)args[%zu]", c, i);
    }
}

static void source_method(gen *g, const coil__imethod *m)
{
    subsection(g, fmt(g, "%s", m->name), m->at);
    if (m->nparams) {
        out(g, "static const coil_param %s__params_%s[] = {\n", g->p, m->name);
        for (size_t i = 0; i < m->nparams; i++) {
            const coil__ifield *p = &m->params[i];
            const char *items[] = {
                fmt(g, ".name = %s", literal(g, p->name)),
                fmt(g, ".type = %s", typeinfo(g, p->type)),
                fmt(g, ".doc = %s", trimmed_literal(g, p->doc)),
            };
            wrapped(g, "    { ", items, has_text(p->doc) ? 3 : 2, " },\n");
        }
        outs(g, "};\n");
    }

    /* The typed call. */
    const char *obj = fresh(g, m, "obj"), *ops = fresh(g, m, "ops");
    const char *result = fresh(g, m, "result"), *err = fresh(g, m, "err");
    size_t n;
    const char **ps = method_params(g, m, obj, result, err, &n);
    outs(g, "\n");
    wrapped(g, fmt(g, "int %s_%s(", g->p, m->name), ps, n, ")\n");
    /* A caller may pass err = NULL; implementations may always set *err. */
    const char *ignored = fresh(g, m, "ignored"), *rc = fresh(g, m, "rc");
    out(g, "{\n    coil_error *%s = NULL;\n    if (!%s)\n        %s = &%s;\n    int %s;\n", ignored,
        err, err, ignored, rc);
    out(g, "    const %s_ops *%s = coil_ops(%s, &%s_interface, %s);\n", g->p, ops, obj, g->p, err);
    out(g, "    if (!%s)\n        %s = *%s ? (int)(*%s)->code : COIL_EINTERFACE;\n", ops, rc, err,
        err);
    out(g, "    else if (!%s->%s)\n        %s = %s__not_implemented(\"%s.%s\", %s);\n", ops,
        member(g, m), rc, g->p, g->p, m->name, err);
    const char **call = coil__arena_alloc(g->a, (m->nparams + 3) * sizeof *call);
    if (!call) {
        g->failed = true;
        return;
    }
    size_t k = 0;
    call[k++] = obj;
    for (size_t i = 0; i < m->nparams; i++)
        call[k++] = m->params[i].name;
    if (m->result)
        call[k++] = result;
    call[k++] = err;
    wrapped(g, fmt(g, "    else\n        %s = %s->%s(", rc, ops, member(g, m)), call, k, ");\n");
    out(g, "    coil_error_free(%s);\n    return %s;\n}\n", ignored, rc);

    /* The call glue, for coil_invoke. */
    out(g, "\n/* coil_invoke: args[i] points at the value of parameter i. */\n");
    static const char *const glue[] = {
        "const void *ops", "void *self", "void *const *args", "void *result", "coil_error **err",
    };
    wrapped(g, fmt(g, "static int %s__call_%s(", g->p, m->name), glue, 5, ")\n{\n");
    out(g, "    const %s_ops *o = ops;\n", g->p);
    if (!m->nparams)
        outs(g, "    (void)args;\n");
    if (!m->result)
        outs(g, "    (void)result;\n");
    out(g, "    if (!o->%s)\n        return %s__not_implemented(\"%s.%s\", err);\n",
        member(g, m), g->p, g->p, m->name);
    k = 0;
    call[k++] = "self";
    for (size_t i = 0; i < m->nparams; i++)
        call[k++] = unpack(g, m->params[i].type, i);
    if (m->result)
        call[k++] = fmt(g, "(%s)result", pointer_to(g, ctype(g, m->result)));
    call[k++] = "err";
    wrapped(g, fmt(g, "    return o->%s(", member(g, m)), call, k, ");\n");
    outs(g, "}\n");
}

static void source_forward(gen *g, const coil__imethod *m, size_t index)
{
    const char *self = fresh(g, m, "self"), *result = fresh(g, m, "result");
    const char *err = fresh(g, m, "err"), *args = fresh(g, m, "args");
    size_t n;
    const char **ps = method_params(g, m, self, result, err, &n);
    outs(g, "\n");
    wrapped(g, fmt(g, "static int %s__fwd_%s(", g->p, m->name), ps, n, ")\n");
    outs(g, "{\n");
    const char **refs = coil__arena_alloc(g->a, (m->nparams + 1) * sizeof *refs);
    if (!refs) {
        g->failed = true;
        return;
    }
    for (size_t i = 0; i < m->nparams; i++) {
        const coil__ifield *p = &m->params[i];
        const coil__itype *t = p->type;
        const char *c = ctype(g, t);
        switch (t->kind) {
        case COIL_K_BOOL: case COIL_K_INT: case COIL_K_DOUBLE: case COIL_K_ENUM:
            refs[i] = fmt(g, "&%s", p->name);
            break;
        case COIL_K_BYTES: case COIL_K_LIST: case COIL_K_MAP: case COIL_K_STRUCT:
            refs[i] = fmt(g, "%s__arg(%s)", g->p, p->name);
            break;
        case COIL_K_OPTIONAL:
        case COIL_K_STRING: case COIL_K_ANY: {
            const char *a = fresh(g, m, fmt(g, "%s_arg", p->name));
            out(g, "    %s = %s__arg(%s);\n", declare(g, c, a), g->p, p->name);
            refs[i] = fmt(g, "&%s", a);
            break;
        }
        }
    }
    if (m->nparams)
        wrapped(g, fmt(g, "    void *%s[] = { ", args), refs, m->nparams, " };\n");
    out(g, "    return coil_forward(%s, &%s__methods[%zu], %s, %s, %s);\n}\n", self, g->p, index,
        m->nparams ? args : "NULL", m->result ? result : "NULL", err);
}

static void render_source(gen *g, const char *header_name)
{
    const coil__ifile *f = g->f;
    banner(g);
    out(g, "/* Tables that describe interface %s to the library, and the glue that\n"
           " * calls its methods with typed arguments. */\n", g->p);
    outs(g, "#include <stddef.h>\n#include <stdint.h>\n#include <stdlib.h>\n#include <string.h>\n\n");
    out(g, "#include \"%s\"\n", header_name);
    source_types(g);

    section(g, "Methods");
    if (f->nmethods) {
        out(g, "\n/* A method the object's class leaves NULL in its ops table. */\n"
               "static int %s__not_implemented(const char *method, coil_error **err)\n{\n"
               "    if (err)\n"
               "        *err = coil_error_new(COIL_EINTERFACE, \"%%s is not implemented\", "
               "method);\n"
               "    return COIL_EINTERFACE;\n}\n", g->p);
    }
    for (size_t i = 0; i < f->nmethods; i++)
        source_method(g, &f->methods[i]);

    section(g, "Descriptor");
    if (f->nmethods) {
        out(g, "\nstatic const coil_method %s__methods[] = {\n", g->p);
        for (size_t i = 0; i < f->nmethods; i++) {
            const coil__imethod *m = &f->methods[i];
            const char *items[10];
            size_t k = 0;
            items[k++] = fmt(g, ".name = %s", literal(g, m->name));
            if (has_text(m->doc))
                items[k++] = fmt(g, ".doc = %s", trimmed_literal(g, m->doc));
            if (m->nparams) {
                items[k++] = fmt(g, ".params = %s__params_%s", g->p, m->name);
                items[k++] = fmt(g, ".nparams = %zu", m->nparams);
            }
            if (m->result)
                items[k++] = fmt(g, ".result = %s", typeinfo(g, m->result));
            if (m->oneway)
                items[k++] = ".oneway = true";
            if (m->idempotent)
                items[k++] = ".idempotent = true";
            items[k++] = fmt(g, ".call = %s__call_%s", g->p, m->name);
            items[k++] = fmt(g, ".index = %zu", i);
            items[k++] = fmt(g, ".iface = &%s_interface", g->p);
            wrapped(g, "    { ", items, k, " },\n");
        }
        outs(g, "};\n");
        outs(g, "\n/* Forwarding: a proxy's query() returns this table, and every typed call\n"
                " * reaches the proxy's class `forward` hook with the arguments packed. */\n");
        bool pointers = false;
        for (size_t i = 0; i < f->nmethods; i++)
            for (size_t k = 0; k < f->methods[i].nparams; k++)
                pointers |= !by_value(f->methods[i].params[k].type);
        if (pointers)
            out(g, "\n/* In-parameters go on as `void *`; they are only read. */\n"
                   "static void *%s__arg(const void *p)\n{\n    return (void *)(uintptr_t)p;\n}\n",
                g->p);
        for (size_t i = 0; i < f->nmethods; i++)
            source_forward(g, &f->methods[i], i);
    }
    out(g, "\nstatic const %s_ops %s__forward_ops = {\n", g->p, g->p);
    for (size_t i = 0; i < f->nmethods; i++)
        out(g, "    .%s = %s__fwd_%s,\n", member(g, &f->methods[i]), g->p, f->methods[i].name);
    if (!f->nmethods)
        outs(g, "    .coil__unused = 0,\n");
    outs(g, "};\n");

    out(g, "\nCOIL_EXPORT const coil_interface %s_interface = {\n", g->p);
    out(g, "    .abi = COIL_ABI_VERSION,\n    .name = %s,\n    .doc = %s,\n", literal(g, g->p),
        doc_literal(g, f->doc, 11));
    if (f->nmethods)
        out(g, "    .methods = %s__methods,\n    .nmethods = %zu,\n", g->p, f->nmethods);
    out(g, "    .signature = 0x%016llxull,\n    .forward_ops = &%s__forward_ops,\n};\n",
        (unsigned long long)f->signature, g->p);
}

bool coil__gen_render(const coil__ifile *f, const char *shown, coil__buf *h, coil__buf *c,
                      coil__errors *errs)
{
    coil__arena a;
    coil__arena_init(&a);
    gen g = { .f = f, .shown = shown ? shown : f->path, .p = f->name, .a = &a, .errs = errs };
    coil__strmap_init(&g.names);
    coil__strmap_init(&g.seen);
    g.up = upper(&g, f->name);
    size_t before = errs->count;
    plan(&g);
    if (!g.failed && errs->count == before) {
        g.o = h;
        render_header(&g);
        g.o = c;
        render_source(&g, fmt(&g, "%s.h", f->name));
        if (h->failed || c->failed || g.failed) {
            coil__errors_add(errs, COIL_ENOMEM, NULL, 0, 0, "out of memory");
            g.failed = true;
        }
    } else if (errs->count == before) {
        coil__errors_add(errs, COIL_ENOMEM, NULL, 0, 0, "out of memory");
    }
    bool ok = !g.failed && errs->count == before;
    coil__strmap_free(&g.names);
    coil__strmap_free(&g.seen);
    coil__vec_free(&g.derived);
    coil__arena_free(&a);
    return ok;
}

/* ---- Writing files ------------------------------------------------------- */

/* mkdir -p. */
static int make_dirs(const char *dir, coil__errors *errs)
{
    char *path = strdup(dir);
    if (!path) {
        coil__errors_add(errs, COIL_ENOMEM, NULL, 0, 0, "out of memory");
        return -1;
    }
    int rc = 0;
    for (char *s = path + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char saved = *s;
        *s = '\0';
        struct stat st;
        if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            coil__errors_add(errs, COIL_EIO, NULL, 0, 0, "cannot create directory '%s': %s",
                             path, strerror(errno));
            rc = -1;
            break;
        }
        if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
            coil__errors_add(errs, COIL_EIO, NULL, 0, 0, "cannot create directory '%s': %s",
                             path, "a file is in the way");
            rc = -1;
            break;
        }
        *s = saved;
        if (!saved)
            break;
    }
    free(path);
    return rc;
}

/* Whether `path` holds exactly `data`. */
static bool same_content(const char *path, const char *data, size_t len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return false;
    bool same = true;
    char chunk[8192];
    size_t at = 0, got;
    while (same && (got = fread(chunk, 1, sizeof chunk, fp)) > 0) {
        same = at + got <= len && memcmp(chunk, data + at, got) == 0;
        at += got;
    }
    same = same && !ferror(fp) && at == len;
    fclose(fp);
    return same;
}

/* Replaces `path` with `data` atomically, unless it already holds it. */
static int write_if_changed(const char *path, const coil__buf *b, unsigned *written,
                            coil__errors *errs)
{
    if (same_content(path, b->data, b->len))
        return 0;
    size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    if (!tmp) {
        coil__errors_add(errs, COIL_ENOMEM, NULL, 0, 0, "out of memory");
        return -1;
    }
    /* In the same directory, so rename() is atomic. */
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    snprintf(tmp, n + 16, "%.*s.%s.XXXXXX", (int)dirlen, path, path + dirlen);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        coil__errors_add(errs, COIL_EIO, NULL, 0, 0, "cannot write '%s': %s", path,
                         strerror(errno));
        free(tmp);
        return -1;
    }
    /* mkstemp makes the file 0600; generated files get the usual mode. */
    mode_t mask = umask(0);
    umask(mask);
    int rc = fchmod(fd, 0666 & ~mask);
    size_t done = 0;
    while (rc == 0 && done < b->len) {
        ssize_t w = write(fd, b->data + done, b->len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            rc = -1;
        else
            done += (size_t)w;
    }
    int saved = errno;
    if (close(fd) != 0 && rc == 0) {
        rc = -1;
        saved = errno;
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        rc = -1;
        saved = errno;
    }
    if (rc != 0) {
        coil__errors_add(errs, COIL_EIO, NULL, 0, 0, "cannot write '%s': %s", path,
                         strerror(saved));
        unlink(tmp);
    } else if (written) {
        (*written)++;
    }
    free(tmp);
    return rc;
}

int coil__gen_files(const char *path, const char *dir, unsigned *written, coil_error **err)
{
    if (written)
        *written = 0;
    coil__errors errs;
    coil__errors_init(&errs, 0);
    coil__arena a;
    coil__arena_init(&a);
    coil__buf h, c;
    coil__buf_init(&h);
    coil__buf_init(&c);
    coil__ifile *f = coil__interface_read(&a, path, &errs);
    if (f && coil__gen_render(f, path, &h, &c, &errs) && make_dirs(dir, &errs) == 0) {
        size_t dl = strlen(dir);
        while (dl > 1 && dir[dl - 1] == '/')
            dl--;
        char *hp = coil__arena_printf(&a, "%.*s/%s.h", (int)dl, dir, f->name);
        char *cp = coil__arena_printf(&a, "%.*s/%s.c", (int)dl, dir, f->name);
        if (!hp || !cp)
            coil__errors_add(&errs, COIL_ENOMEM, NULL, 0, 0, "out of memory");
        else if (write_if_changed(hp, &h, written, &errs) == 0)
            write_if_changed(cp, &c, written, &errs);
    } else if (!f && !errs.count) {
        coil__errors_add(&errs, COIL_ENOMEM, NULL, 0, 0, "out of memory");
    }
    coil__buf_free(&h);
    coil__buf_free(&c);
    coil__arena_free(&a);
    if (errs.oom && !errs.count)
        coil__errors_add(&errs, COIL_ENOMEM, NULL, 0, 0, "out of memory");
    coil__errors_sort(&errs);   /* in file order, as a load reports them */
    return coil__errors_finish(&errs, err);
}
