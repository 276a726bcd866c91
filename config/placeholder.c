/* Placeholder expansion. ${NAME}, ${NAME:-default} (the default may itself
 * hold placeholders), and $${ for a literal "${". A value taken from a
 * `properties:` map is expanded in turn; a cycle is an error. */
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "config/placeholder.h"

void coil__vars_init(coil__vars *v)
{
    coil__strmap_init(&v->set);
    coil__strmap_init(&v->props);
    v->use_env = true;
}

void coil__vars_free(coil__vars *v)
{
    coil__strmap_free(&v->set);
    coil__strmap_free(&v->props);
}

#define MAX_DEPTH 32

typedef struct expander {
    coil__arena *a;
    const coil__vars *v;
    const coil__node *origin;   /* the scalar being expanded: positions */
    coil__errors *errs;
    const char *chain[MAX_DEPTH]; /* property names being expanded */
    int depth;
    bool failed;
} expander;

static void report(expander *x, size_t offset, coil_code code, const char *fmt,
                   const char *arg)
{
    if (x->failed)
        return;
    x->failed = true;
    unsigned col = x->origin->column;
    /* Inside a one-line plain scalar the column of the '$' is exact; in
     * quoted or multi-line scalars point at the scalar. */
    if (x->origin->single_line && x->depth == 0)
        col += (unsigned)offset;
    coil__errors_add(x->errs, code, x->origin->file, x->origin->line, col, fmt, arg);
}

static bool valid_name_char(char c, bool first)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
           (!first && ((c >= '0' && c <= '9') || c == '.' || c == '-'));
}

static bool expand_text(expander *x, const char *s, size_t len, size_t base, coil__buf *out);

/* The value of NAME, expanded, appended to `out`; false when unknown. */
static bool lookup(expander *x, const char *name, coil__buf *out, size_t offset, bool *found)
{
    *found = false;
    const char *set = coil__strmap_get(&x->v->set, name);
    if (set) {
        *found = true;
        coil__buf_adds(out, set); /* --set values are taken literally */
        return true;
    }
    const coil__node *p = coil__strmap_get(&x->v->props, name);
    if (p) {
        *found = true;
        for (int i = 0; i < x->depth; i++) {
            if (strcmp(x->chain[i], name) == 0) {
                report(x, offset, COIL_EPLACEHOLDER, "placeholder cycle through '%s'", name);
                return false;
            }
        }
        if (x->depth == MAX_DEPTH) {
            report(x, offset, COIL_EPLACEHOLDER, "placeholders nested too deeply at '%s'",
                   name);
            return false;
        }
        x->chain[x->depth++] = name;
        bool ok = expand_text(x, p->text, p->len, offset, out);
        x->depth--;
        return ok;
    }
    if (strcmp(name, "COIL_CONTEXT_DIR") == 0) {
        /* The directory of the file this scalar is in, absolute. */
        char real[PATH_MAX];
        const char *file = x->origin->file;
        if (file[0] != '<' && realpath(file, real)) {
            char *slash = strrchr(real, '/');
            if (slash == real)
                slash[1] = '\0';
            else if (slash)
                *slash = '\0';
        } else if (!getcwd(real, sizeof real)) {
            real[0] = '.';
            real[1] = '\0';
        }
        *found = true;
        coil__buf_adds(out, real);
        return true;
    }
    if (x->v->use_env) {
        const char *env = getenv(name);
        if (env) {
            *found = true;
            coil__buf_adds(out, env);
        }
    }
    return true;
}

static bool expand_text(expander *x, const char *s, size_t len, size_t base, coil__buf *out)
{
    size_t i = 0;
    while (i < len) {
        if (s[i] != '$') {
            size_t j = i;
            while (j < len && s[j] != '$')
                j++;
            coil__buf_add(out, s + i, j - i);
            i = j;
            continue;
        }
        if (i + 2 < len + 1 && s[i + 1] == '$' && i + 2 < len && s[i + 2] == '{') {
            coil__buf_add(out, "${", 2); /* $${ escapes */
            i += 3;
            continue;
        }
        if (i + 1 >= len || s[i + 1] != '{') {
            coil__buf_add(out, "$", 1);
            i++;
            continue;
        }
        /* ${ NAME [:- default] } with balanced braces in the default. */
        size_t start = i, p = i + 2, name_start = p;
        while (p < len && valid_name_char(s[p], p == name_start))
            p++;
        size_t name_len = p - name_start;
        size_t def_start = 0, def_len = 0;
        bool has_default = false;
        if (p + 1 < len && s[p] == ':' && s[p + 1] == '-') {
            has_default = true;
            p += 2;
            def_start = p;
            int depth = 0;
            while (p < len && !(s[p] == '}' && depth == 0)) {
                if (s[p] == '{')
                    depth++;
                else if (s[p] == '}')
                    depth--;
                p++;
            }
            def_len = p - def_start;
        }
        if (p >= len || s[p] != '}' || name_len == 0) {
            char *shown = coil__arena_strndup(x->a, s + start, (p < len ? p + 1 : len) - start);
            report(x, base + start, COIL_EPLACEHOLDER,
                   name_len == 0 ? "malformed placeholder '%s' (expected ${NAME} or ${NAME:-default})"
                                 : "unterminated placeholder '%s'",
                   shown ? shown : "${");
            return false;
        }
        char *name = coil__arena_strndup(x->a, s + name_start, name_len);
        if (!name) {
            out->failed = true;
            return false;
        }
        bool found;
        size_t before = out->len;
        if (!lookup(x, name, out, base + start, &found))
            return false;
        if (found && has_default && out->len == before)
            found = false; /* as in the shell, ${NAME:-d} also covers an empty value */
        if (!found) {
            if (!has_default) {
                char *shown = coil__arena_printf(x->a, "${%s}", name);
                report(x, base + start, COIL_EPLACEHOLDER, "unresolved placeholder '%s'",
                       shown ? shown : name);
                return false;
            }
            if (!expand_text(x, s + def_start, def_len, base + def_start, out))
                return false;
        }
        i = p + 1;
    }
    return true;
}

const char *coil__expand(coil__arena *a, const coil__vars *v, const coil__node *n,
                         coil__errors *errs)
{
    if (!coil__has_placeholder(n))
        return n->text;
    expander x = { .a = a, .v = v, .origin = n, .errs = errs };
    coil__buf out;
    coil__buf_init(&out);
    bool ok = expand_text(&x, n->text, n->len, 0, &out);
    if (out.failed) {
        coil__buf_free(&out);
        if (!x.failed)
            coil__errors_add(errs, COIL_ENOMEM, NULL, 0, 0, "out of memory");
        return NULL;
    }
    const char *r = ok ? coil__arena_strndup(a, out.data ? out.data : "", out.len) : NULL;
    coil__buf_free(&out);
    if (ok && !r)
        coil__errors_add(errs, COIL_ENOMEM, NULL, 0, 0, "out of memory");
    return r;
}
