/* The YAML reader. A plain libyaml event loop builds the node tree directly
 * into an arena, so one parse costs little more than the parse itself. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "config/yaml_tree.h"

typedef struct frame {
    coil__node *node;
    size_t base;       /* where its children start on the shared stack */
} frame;

typedef struct reader {
    coil__arena *a;
    const char *file;
    coil__errors *errs;
    frame *stack;
    size_t depth, cap;
    coil__vec children; /* children of every open collection, innermost last:
                           sequences: items; mappings: key, value, ... */
    coil__strmap anchors;
    bool ok;
} reader;

static coil__node *new_node(reader *r, coil__node_kind kind, yaml_mark_t mark)
{
    coil__node *n = coil__arena_alloc_raw(r->a, sizeof *n);
    if (n) {
        n->kind = (unsigned char)kind;
        n->plain = n->single_line = false;
        n->file = r->file;
        n->line = (unsigned)mark.line + 1;
        n->column = (unsigned)mark.column + 1;
        n->items = n->keys = NULL;
        n->count = 0;
    }
    return n;
}

static void fail(reader *r, unsigned line, unsigned col, const char *fmt, const char *a1)
{
    r->ok = false;
    coil__errors_add(r->errs, COIL_ESYNTAX, r->file, line, col, fmt, a1);
}

static bool remember_anchor(reader *r, const char *anchor, coil__node *n)
{
    if (!anchor)
        return true;
    char *key = coil__arena_strdup(r->a, anchor);
    return key && coil__strmap_put(&r->anchors, key, n, NULL) == COIL_OK;
}

/* Attaches a finished node to the collection on top of the stack. */
static bool attach(reader *r, coil__node *n, coil__node **root)
{
    if (r->depth == 0) {
        *root = n;
        return true;
    }
    return coil__vec_push(&r->children, n) == COIL_OK;
}

static bool check_duplicate_keys(reader *r, coil__node *map)
{
    /* Small mappings: compare pairwise; large ones: a hash map. */
    if (map->count <= 16) {
        for (size_t i = 1; i < map->count; i++) {
            coil__node *k = map->keys[i];
            if (k->kind != COIL__SCALAR)
                continue;
            for (size_t j = 0; j < i; j++) {
                coil__node *p = map->keys[j];
                if (p->kind == COIL__SCALAR && p->len == k->len &&
                    memcmp(p->text, k->text, k->len) == 0) {
                    r->ok = false;
                    coil__errors_add(r->errs, COIL_EDUPLICATE, r->file, k->line, k->column,
                                     "duplicate key '%s' (first at line %u, column %u)",
                                     k->text, p->line, p->column);
                    break;
                }
            }
        }
        return true;
    }
    coil__strmap seen;
    coil__strmap_init(&seen);
    for (size_t i = 0; i < map->count; i++) {
        coil__node *k = map->keys[i];
        if (k->kind != COIL__SCALAR)
            continue;
        coil__node *p = coil__strmap_get(&seen, k->text);
        if (p) {
            r->ok = false;
            coil__errors_add(r->errs, COIL_EDUPLICATE, r->file, k->line, k->column,
                             "duplicate key '%s' (first at line %u, column %u)", k->text,
                             p->line, p->column);
        } else if (coil__strmap_put(&seen, k->text, k, NULL)) {
            coil__strmap_free(&seen);
            return false;
        }
    }
    coil__strmap_free(&seen);
    return true;
}

/* Pops the collection on top of the stack into its node. */
static bool close_collection(reader *r, coil__node **root)
{
    frame *f = &r->stack[--r->depth];
    coil__node *n = f->node;
    size_t count = r->children.count - f->base;
    if (count > UINT32_MAX) {
        fail(r, n->line, n->column, "%s", "a collection with more than 4 billion entries");
        return false;
    }
    void **kids = r->children.items + f->base;
    bool ok = true;
    if (n->kind == COIL__SEQ) {
        n->count = (uint32_t)count;
        n->items = coil__arena_alloc_raw(r->a, (count ? count : 1) * sizeof *n->items);
        if (!n->items)
            ok = false;
        else if (count)
            memcpy(n->items, kids, count * sizeof *n->items);
    } else {
        n->count = (uint32_t)(count / 2);
        n->keys = coil__arena_alloc_raw(r->a, (n->count ? n->count : 1) * sizeof *n->keys);
        n->items = coil__arena_alloc_raw(r->a, (n->count ? n->count : 1) * sizeof *n->items);
        if (!n->keys || !n->items) {
            ok = false;
        } else {
            for (size_t i = 0; i < n->count; i++) {
                n->keys[i] = kids[2 * i];
                n->items[i] = kids[2 * i + 1];
            }
            ok = check_duplicate_keys(r, n);
        }
    }
    r->children.count = f->base;
    return ok && attach(r, n, root);
}

static bool open_collection(reader *r, coil__node *n)
{
    if (r->depth == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        frame *s = realloc(r->stack, cap * sizeof *s);
        if (!s)
            return false;
        r->stack = s;
        r->cap = cap;
    }
    frame *f = &r->stack[r->depth++];
    f->node = n;
    f->base = r->children.count;
    return true;
}

/* The input: text in memory, or an open file (read by libyaml in chunks, so
 * a large context is never held whole). */
typedef struct source {
    const char *text;
    size_t len;
    FILE *f;
} source;

/* Reader errors (bad encoding) carry a byte offset, not a mark: count the
 * lines before it. */
static void offset_position(const source *src, size_t offset, unsigned *line, unsigned *col)
{
    *line = 1;
    *col = 1;
    if (src->f && fseek(src->f, 0, SEEK_SET) != 0)
        return;
    for (size_t i = 0; i < offset; i++) {
        int ch;
        if (src->f)
            ch = getc(src->f);
        else
            ch = i < src->len ? (unsigned char)src->text[i] : EOF;
        if (ch == EOF)
            break;
        if (ch == '\n') {
            ++*line;
            *col = 1;
        } else {
            ++*col;
        }
    }
}

static void syntax_error(reader *r, yaml_parser_t *p, const source *src)
{
    unsigned line, col;
    if (p->error == YAML_READER_ERROR) {
        offset_position(src, p->problem_offset, &line, &col);
    } else {
        line = (unsigned)p->problem_mark.line + 1;
        col = (unsigned)p->problem_mark.column + 1;
    }
    r->ok = false;
    const char *problem = p->problem ? p->problem : "malformed YAML";
    unsigned cline = (unsigned)p->context_mark.line + 1;
    unsigned ccol = (unsigned)p->context_mark.column + 1;
    if (p->context && (cline != line || ccol != col))
        coil__errors_add(r->errs, COIL_ESYNTAX, r->file, line, col,
                         "YAML syntax error: %s (%s at line %u, column %u)", problem,
                         p->context, cline, ccol);
    else if (p->context)
        coil__errors_add(r->errs, COIL_ESYNTAX, r->file, line, col,
                         "YAML syntax error: %s (%s)", problem, p->context);
    else
        coil__errors_add(r->errs, COIL_ESYNTAX, r->file, line, col, "YAML syntax error: %s",
                         problem);
}

static coil__node *read_source(coil__arena *a, const source *src, const char *file,
                              coil__errors *errs, bool *ok)
{
    reader r = { .a = a, .errs = errs, .ok = true };
    r.file = coil__arena_strdup(a, file);
    coil__strmap_init(&r.anchors);
    coil__node *root = NULL;
    int documents = 0;
    bool oom = !r.file;

    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        *ok = false;
        coil__errors_add(errs, COIL_ENOMEM, NULL, 0, 0, "out of memory");
        return NULL;
    }
    if (src->f)
        yaml_parser_set_input_file(&parser, src->f);
    else
        yaml_parser_set_input_string(&parser, (const unsigned char *)src->text, src->len);

    bool done = oom;
    while (!done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            syntax_error(&r, &parser, src);
            break;
        }
        coil__node *n = NULL;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++documents > 1) {
                fail(&r, (unsigned)ev.start_mark.line + 1, (unsigned)ev.start_mark.column + 1,
                     "%s", "a context file holds one YAML document; found a second");
                done = true;
            }
            break;
        case YAML_SCALAR_EVENT:
            if (ev.data.scalar.length > UINT32_MAX) {
                fail(&r, (unsigned)ev.start_mark.line + 1, (unsigned)ev.start_mark.column + 1,
                     "%s", "a scalar longer than 4 GiB");
                done = true;
                break;
            }
            n = new_node(&r, COIL__SCALAR, ev.start_mark);
            if (!n || !(n->text = coil__arena_strndup(a, (const char *)ev.data.scalar.value,
                                                      ev.data.scalar.length))) {
                oom = done = true;
                break;
            }
            n->len = (uint32_t)ev.data.scalar.length;
            n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
            n->single_line = n->plain && ev.start_mark.line == ev.end_mark.line;
            if (ev.data.scalar.tag) {
                /* "!" forces a string; any other tag is kept for the binder. */
                if (strcmp((const char *)ev.data.scalar.tag, "!") == 0)
                    n->plain = n->single_line = false;
                else
                    n->tag = coil__arena_strdup(a, (const char *)ev.data.scalar.tag);
            }
            if (!remember_anchor(&r, (const char *)ev.data.scalar.anchor, n) ||
                !attach(&r, n, &root))
                oom = done = true;
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
            bool seq = ev.type == YAML_SEQUENCE_START_EVENT;
            n = new_node(&r, seq ? COIL__SEQ : COIL__MAP, ev.start_mark);
            const char *anchor = (const char *)(seq ? ev.data.sequence_start.anchor
                                                    : ev.data.mapping_start.anchor);
            if (!n || !remember_anchor(&r, anchor, n) || !open_collection(&r, n))
                oom = done = true;
            break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            if (!close_collection(&r, &root))
                oom = done = true;
            break;
        case YAML_ALIAS_EVENT: {
            const char *anchor = (const char *)ev.data.alias.anchor;
            n = coil__strmap_get(&r.anchors, anchor);
            if (!n) {
                fail(&r, (unsigned)ev.start_mark.line + 1, (unsigned)ev.start_mark.column + 1,
                     "YAML syntax error: unknown anchor '%s'", anchor);
                done = true;
            } else if (!attach(&r, n, &root)) {
                oom = done = true;
            }
            break;
        }
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    coil__vec_free(&r.children);
    free(r.stack);
    coil__strmap_free(&r.anchors);
    if (oom) {
        r.ok = false;
        coil__errors_add(errs, COIL_ENOMEM, NULL, 0, 0, "out of memory reading %s", file);
    }
    *ok = r.ok;
    return r.ok ? root : NULL;
}

coil__node *coil__yaml_read(coil__arena *a, const char *text, size_t len,
                            const char *file, coil__errors *errs, bool *ok)
{
    source src = { .text = text, .len = len };
    return read_source(a, &src, file, errs, ok);
}

coil__node *coil__yaml_read_file(coil__arena *a, FILE *f, const char *file,
                                 coil__errors *errs, bool *ok)
{
    source src = { .f = f };
    coil__node *root = read_source(a, &src, file, errs, ok);
    if (*ok && ferror(f)) {
        *ok = false;
        coil__errors_add(errs, COIL_EIO, NULL, 0, 0, "cannot read '%s': %s", file,
                         strerror(errno ? errno : EIO));
        return NULL;
    }
    return root;
}

coil__node *coil__map_get(const coil__node *map, const char *key)
{
    if (!map || map->kind != COIL__MAP)
        return NULL;
    size_t len = strlen(key);
    for (size_t i = 0; i < map->count; i++) {
        const coil__node *k = map->keys[i];
        if (k->kind == COIL__SCALAR && k->len == len && memcmp(k->text, key, len) == 0)
            return map->items[i];
    }
    return NULL;
}

/* ---- Scalars ------------------------------------------------------------ */

static bool is_one_of(const char *s, const char *const *words)
{
    for (; *words; words++)
        if (strcmp(s, *words) == 0)
            return true;
    return false;
}

bool coil__is_null(const char *s)
{
    static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
    return is_one_of(s, nulls);
}

bool coil__parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "YES",
                                       "on", "On", "ON", NULL };
    static const char *const no[] = { "false", "False", "FALSE", "no", "No", "NO",
                                      "off", "Off", "OFF", NULL };
    if (is_one_of(s, yes)) {
        *out = true;
        return true;
    }
    if (is_one_of(s, no)) {
        *out = false;
        return true;
    }
    return false;
}

bool coil__parse_int(const char *s, int64_t *out, bool *overflow)
{
    const char *p = s;
    bool neg = false;
    *overflow = false;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    int base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    } else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O')) {
        base = 8;
        p += 2;
    }
    if (!*p)
        return false;
    uint64_t v = 0;
    const uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; *p; p++) {
        int d;
        if (*p >= '0' && *p <= '9')
            d = *p - '0';
        else if (base == 16 && *p >= 'a' && *p <= 'f')
            d = *p - 'a' + 10;
        else if (base == 16 && *p >= 'A' && *p <= 'F')
            d = *p - 'A' + 10;
        else
            return false;
        if (d >= base)
            return false;
        if (v > (limit - (uint64_t)d) / (uint64_t)base) {
            *overflow = true;
            /* keep scanning: it is still an integer, just too large */
            v = limit;
            continue;
        }
        v = v * (uint64_t)base + (uint64_t)d;
    }
    if (*overflow)
        return false;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

bool coil__parse_float(const char *s, double *out)
{
    static const char *const inf[] = { ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", NULL };
    static const char *const ninf[] = { "-.inf", "-.Inf", "-.INF", NULL };
    static const char *const nan[] = { ".nan", ".NaN", ".NAN", NULL };
    if (is_one_of(s, inf)) {
        *out = INFINITY;
        return true;
    }
    if (is_one_of(s, ninf)) {
        *out = -INFINITY;
        return true;
    }
    if (is_one_of(s, nan)) {
        *out = NAN;
        return true;
    }
    /* [-+]? ( digits [. digits?] | . digits ) ([eE][-+]?digits)? */
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    size_t digits = 0;
    while (*p >= '0' && *p <= '9') {
        p++;
        digits++;
    }
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') {
            p++;
            digits++;
        }
    }
    if (!digits)
        return false;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p)
        return false;
    errno = 0;
    *out = strtod(s, NULL);
    return true;
}

#define TAG_PREFIX "tag:yaml.org,2002:"

bool coil__scalar_resolve(const char *text, bool plain, const char *tag, coil__scalar *out)
{
    memset(out, 0, sizeof *out);
    if (tag) {
        size_t n = strlen(TAG_PREFIX);
        const char *t = strncmp(tag, TAG_PREFIX, n) == 0 ? tag + n : NULL;
        if (!t)
            return false;
        if (strcmp(t, "str") == 0) {
            out->type = COIL__S_STRING;
            return true;
        }
        if (strcmp(t, "null") == 0 && coil__is_null(text)) {
            out->type = COIL__S_NULL;
            return true;
        }
        if (strcmp(t, "bool") == 0 && coil__parse_bool(text, &out->b)) {
            out->type = COIL__S_BOOL;
            return true;
        }
        if (strcmp(t, "int") == 0 && coil__parse_int(text, &out->i, &out->int_overflow)) {
            out->type = COIL__S_INT;
            return true;
        }
        if (strcmp(t, "float") == 0 && coil__parse_float(text, &out->d)) {
            out->type = COIL__S_FLOAT;
            return true;
        }
        return false;
    }
    if (!plain) {
        out->type = COIL__S_STRING;
        return true;
    }
    /* Most plain scalars are words: the first character rules out the
     * special forms cheaply. */
    char c = text[0];
    bool maybe_word = c == '\0' || c == '~' || strchr("nNtTfFyYoO", c);
    bool maybe_number = (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.';
    if (!maybe_word && !maybe_number) {
        out->type = COIL__S_STRING;
        return true;
    }
    if (maybe_word && coil__is_null(text))
        out->type = COIL__S_NULL;
    else if (maybe_word && coil__parse_bool(text, &out->b))
        out->type = COIL__S_BOOL;
    else if (!maybe_number)
        out->type = COIL__S_STRING;
    else if (coil__parse_int(text, &out->i, &out->int_overflow) || out->int_overflow)
        out->type = out->int_overflow ? COIL__S_STRING : COIL__S_INT;
    else if (coil__parse_float(text, &out->d))
        out->type = COIL__S_FLOAT;
    else
        out->type = COIL__S_STRING;
    return true;
}

_Static_assert(sizeof(void *) != 8 || sizeof(coil__node) == 40,
               "a node stays at 40 bytes on 64-bit machines");
