/* Proves that the YAML examples in docs/context-files.md and
 * docs/writing-classes.md load, and that the errors they show are the ones
 * the library reports.
 *
 * Every ```yaml block of a document is an example. HTML comments placed
 * before a fence (invisible when the Markdown is rendered) say what to do
 * with it; several directives may share one comment, separated by ';':
 *
 *   <!-- test: skip (why) -->          do not load the block (it needs a module)
 *   <!-- test: fails COIL_EXXX -->     the load must fail; the first error has this code
 *   <!-- test: errors -->              (on the ```text block after a failing example)
 *                                      the exact errors it prints, one per line, as
 *                                      FILE:LINE:COLUMN: error: MESSAGE
 *   <!-- test: file NAME -->           write the block to NAME in the scratch directory
 *                                      and load that file (imports then resolve)
 *   <!-- test: write NAME -->          only write the block to NAME
 *   <!-- test: load NAME -->           load NAME instead of the block
 *   <!-- test: set NAME=VALUE -->      coil_options_set() before loading
 *   <!-- test: env NAME=VALUE -->      setenv() and allow the environment
 *                                      (otherwise it is off, so examples don't
 *                                      depend on the machine)
 *   <!-- test: max-errors N -->        coil_options_max_errors()
 *   <!-- test: nocreate -->            coil_options_create_objects(false)
 *   <!-- test: expect PATH = JSON -->  the property's value, as JSON (strings quoted)
 *   <!-- test: expect PATH -> ID -->   the ref property points at coil_get(ID)
 *   <!-- test: same A B -->            coil_get(A) == coil_get(B)
 *   <!-- test: distinct A -->          two coil_get(A) return different objects
 *   <!-- test: get A fails COIL_EXXX --> coil_get(A) fails with that code
 *   <!-- test: order A B ... -->       the eager singletons, in creation order
 *
 * PATH is ID, then .PROPERTY steps, a list of refs indexed as
 * PROPERTY[N]: `lister.fallbacks[1].filename`.
 *
 * Other examples are loaded with coil_load_string() under the name
 * "app.yaml". Every document runs in a fresh scratch directory that holds
 * movies.txt and classics.txt, so relative paths in examples work.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "coil/coil.h"

#define DOCS_DIR COIL_TEST_DATA "/../../docs/"

/* ======================================================================
 * The example classes. Their property tables are the ones the documents
 * show; hooks also record every live instance so that `expect` can find an
 * object's class and walk references.
 * ====================================================================== */

typedef struct live_object {
    void *key;              /* what coil_get() returns: instance or product */
    void *instance;
    const coil_class *cls;
} live_object;

static live_object live[256];
static size_t live_count;

static void live_add(void *key, void *instance, const coil_class *cls)
{
    if (live_count < sizeof live / sizeof live[0])
        live[live_count++] = (live_object){ key, instance, cls };
}

static void live_remove(void *instance)
{
    for (size_t i = 0; i < live_count;) {
        if (live[i].instance == instance)
            live[i] = live[--live_count];
        else
            i++;
    }
}

static const live_object *live_find(const void *key)
{
    for (size_t i = 0; i < live_count; i++)
        if (live[i].key == key)
            return &live[i];
    return NULL;
}

/* ---- movie_finder, movie_lister (docs/writing-classes.md, movies.c) ---- */

typedef struct movie {
    char *title;
    char *director;
} movie;

typedef struct movie_finder {
    char *filename;
    char *separator;
    movie *movies;
    size_t count;
} movie_finder;

typedef struct movie_lister {
    void *finder;
    coil_refs fallbacks;
    char *title;
    int64_t limit;
    coil_strings directors;
} movie_lister;

static const coil_class movie_finder_class;
static const coil_class movie_lister_class;

static const coil_property movie_finder_properties[] = {
    { "filename", COIL_T_STRING, offsetof(movie_finder, filename),
      .flags = COIL_REQUIRED, .doc = "one movie per line: title, separator, director" },
    { "separator", COIL_T_STRING, offsetof(movie_finder, separator),
      .default_value = ":", .doc = "what separates title and director" },
    COIL_PROPERTIES_END
};

static int movie_finder_add(movie_finder *f, const char *line)
{
    const char *sep = strstr(line, f->separator);
    if (!sep || !*f->separator)
        return 0;
    movie *grown = realloc(f->movies, (f->count + 1) * sizeof *grown);
    if (!grown)
        return -1;
    f->movies = grown;
    size_t len = strlen(line);
    char *copy = malloc(len + 1);
    if (!copy)
        return -1;
    memcpy(copy, line, len + 1);
    copy[sep - line] = '\0';
    f->movies[f->count].title = copy;
    f->movies[f->count].director = copy + (sep - line) + strlen(f->separator);
    f->count++;
    return 0;
}

static void movie_finder_free(movie_finder *f)
{
    for (size_t i = 0; i < f->count; i++)
        free(f->movies[i].title);
    free(f->movies);
}

static void movie_finder_destroy(void *self)
{
    movie_finder_free(self);
    live_remove(self);
}

static int movie_finder_init(void *self, coil_error **err)
{
    movie_finder *f = self;
    FILE *in = fopen(f->filename, "r");
    if (!in) {
        *err = coil_error_new(COIL_EINIT, "cannot open '%s': %s",
                              f->filename, strerror(errno));
        return -1;
    }
    char line[512];
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, in)) {
        line[strcspn(line, "\r\n")] = '\0';
        rc = movie_finder_add(f, line);
    }
    fclose(in);
    if (rc != 0) {
        movie_finder_free(f);
        *err = coil_error_new(COIL_ENOMEM, "out of memory reading '%s'", f->filename);
        return rc;
    }
    live_add(f, f, &movie_finder_class);
    return 0;
}

static const coil_class movie_finder_class = {
    .abi = COIL_ABI_VERSION,
    .name = "movie_finder",
    .doc = "Finds movies in a text file.",
    .size = sizeof(movie_finder),
    .properties = movie_finder_properties,
    .init = movie_finder_init,
    .destroy = movie_finder_destroy,
};

static const coil_property movie_lister_properties[] = {
    { "finder", COIL_T_REF, offsetof(movie_lister, finder),
      .flags = COIL_REQUIRED, .doc = "where movies come from" },
    { "fallbacks", COIL_T_REFS, offsetof(movie_lister, fallbacks),
      .doc = "more finders, asked after `finder`" },
    { "title", COIL_T_STRING, offsetof(movie_lister, title),
      .default_value = "Movies", .doc = "printed first" },
    { "limit", COIL_T_INT, offsetof(movie_lister, limit),
      .check = COIL_RANGE(1, 100), .default_value = "10",
      .doc = "most movies printed" },
    { "directors", COIL_T_STRINGS, offsetof(movie_lister, directors),
      .doc = "only movies by these directors (default: all)" },
    COIL_PROPERTIES_END
};

/* The documented movie_lister has no hooks; these only track instances. */
static int movie_lister_init(void *self, coil_error **err)
{
    (void)err;
    live_add(self, self, &movie_lister_class);
    return 0;
}

static void track_destroy(void *self)
{
    live_remove(self);
}

static const coil_class movie_lister_class = {
    .abi = COIL_ABI_VERSION,
    .name = "movie_lister",
    .doc = "Lists movies.",
    .size = sizeof(movie_lister),
    .properties = movie_lister_properties,
    .init = movie_lister_init,
    .destroy = track_destroy,
};

/* ---- the greeter interface (docs/writing-classes.md, section 11) ------ */

typedef struct greeter_ops {
    int (*happy_birthday)(void *self, const char *name, FILE *out, coil_error **err);
} greeter_ops;

static const coil_interface greeter_interface = { .abi = COIL_ABI_VERSION, .name = "greeter" };

/* ---- birthday (docs/writing-classes.md, birthday.c) ------------------- */

typedef struct birthday {
    int64_t verses;
    char *mode;
    double tempo;
    bool loud;
    coil_strings friends;
    coil_ints milestones;
    coil_doubles pauses;
    coil_bools clap;
    json_t *greetings;
} birthday;

static const coil_class birthday_class;

static const coil_property birthday_properties[] = {
    { "verses", COIL_T_INT, offsetof(birthday, verses),
      .check = COIL_RANGE(1, 8), .default_value = "4" },
    { "mode", COIL_T_STRING, offsetof(birthday, mode),
      .check = COIL_ONE_OF("fast", "slow"), .default_value = "fast" },
    { "tempo", COIL_T_DOUBLE, offsetof(birthday, tempo),
      .check = COIL_FRANGE(0.5, 2.0), .default_value = "1.0" },
    { "loud", COIL_T_BOOL, offsetof(birthday, loud),
      .doc = "sing in capitals" },
    { "friends", COIL_T_STRINGS, offsetof(birthday, friends),
      .doc = "names it greets without asking" },
    { "milestones", COIL_T_INTS, offsetof(birthday, milestones),
      .check = COIL_RANGE(1, 150), .doc = "ages that get an extra verse" },
    { "pauses", COIL_T_DOUBLES, offsetof(birthday, pauses),
      .doc = "seconds of silence after each verse" },
    { "clap", COIL_T_BOOLS, offsetof(birthday, clap),
      .doc = "whether to clap after each verse" },
    { "greetings", COIL_T_MAP, offsetof(birthday, greetings),
      .doc = "language -> first line" },
    COIL_PROPERTIES_END
};

static int birthday_init(void *self, coil_error **err)
{
    birthday *b = self;
    if (b->clap.count > (size_t)b->verses) {
        *err = coil_error_new(COIL_EINIT, "'clap' has %zu entries but there are only %lld verses",
                              b->clap.count, (long long)b->verses);
        return -1;
    }
    live_add(b, b, &birthday_class);
    return 0;
}

static int birthday_happy_birthday(void *self, const char *name, FILE *out, coil_error **err)
{
    const birthday *b = self;
    (void)err;
    for (int64_t i = 1; i <= b->verses; i++)
        fprintf(out, "Happy birthday %s!\n", i == 3 ? name : "to you");
    return 0;
}

static const greeter_ops birthday_greeter = {
    .happy_birthday = birthday_happy_birthday,
};

static const coil_implements birthday_implements[] = {
    { &greeter_interface, &birthday_greeter },
    COIL_IMPLEMENTS_END
};

static const coil_class birthday_class = {
    .abi = COIL_ABI_VERSION,
    .name = "birthday",
    .doc = "Sings happy birthday.",
    .size = sizeof(birthday),
    .properties = birthday_properties,
    .init = birthday_init,
    .destroy = track_destroy,
    .implements = birthday_implements,
};

/* ---- party: a ref that must implement greeter (section 11) ------------ */

typedef struct party {
    void *singer;
} party;

static const coil_class party_class;

static const coil_property party_properties[] = {
    { "singer", COIL_T_REF, offsetof(party, singer),
      .flags = COIL_REQUIRED, .iface = &greeter_interface },
    COIL_PROPERTIES_END
};

static int party_init(void *self, coil_error **err)
{
    (void)err;
    live_add(self, self, &party_class);
    return 0;
}

static const coil_class party_class = {
    .abi = COIL_ABI_VERSION,
    .name = "party",
    .size = sizeof(party),
    .properties = party_properties,
    .init = party_init,
    .destroy = track_destroy,
};

/* ---- string_holder, value_holder (docs/context-files.md appendix) ---- */

typedef struct string_holder {
    char *str;
} string_holder;

typedef struct value_holder {
    json_t *value;
} value_holder;

static const coil_class string_holder_class;
static const coil_class value_holder_class;

static const coil_property string_holder_properties[] = {
    { "str", COIL_T_STRING, offsetof(string_holder, str), .doc = "any text" },
    COIL_PROPERTIES_END
};

static const coil_property value_holder_properties[] = {
    { "value", COIL_T_ANY, offsetof(value_holder, value), .doc = "any plain value" },
    COIL_PROPERTIES_END
};

static int string_holder_init(void *self, coil_error **err)
{
    (void)err;
    live_add(self, self, &string_holder_class);
    return 0;
}

static int value_holder_init(void *self, coil_error **err)
{
    (void)err;
    live_add(self, self, &value_holder_class);
    return 0;
}

static const coil_class string_holder_class = {
    .abi = COIL_ABI_VERSION,
    .name = "string_holder",
    .size = sizeof(string_holder),
    .properties = string_holder_properties,
    .init = string_holder_init,
    .destroy = track_destroy,
};

static const coil_class value_holder_class = {
    .abi = COIL_ABI_VERSION,
    .name = "value_holder",
    .size = sizeof(value_holder),
    .properties = value_holder_properties,
    .init = value_holder_init,
    .destroy = track_destroy,
};

/* ---- log_file: a factory (docs/writing-classes.md, log_file.c) -------- */

typedef struct log_file {
    char *path;
    char *mode;
    FILE *file;
} log_file;

static const coil_class log_file_class;

static const coil_property log_file_properties[] = {
    { "path", COIL_T_STRING, offsetof(log_file, path), .flags = COIL_REQUIRED },
    { "mode", COIL_T_STRING, offsetof(log_file, mode),
      .check = COIL_ONE_OF("a", "w"), .default_value = "a",
      .doc = "a: append, w: truncate" },
    COIL_PROPERTIES_END
};

static int log_file_init(void *self, coil_error **err)
{
    log_file *l = self;
    l->file = fopen(l->path, l->mode);
    if (!l->file) {
        *err = coil_error_new(COIL_EINIT, "cannot open '%s': %s", l->path, strerror(errno));
        return -1;
    }
    return 0;
}

static void *log_file_produce(void *self, coil_error **err)
{
    (void)err;
    log_file *l = self;
    live_add(l->file, l, &log_file_class);
    return l->file;
}

static void log_file_destroy(void *self)
{
    fclose(((log_file *)self)->file);
    live_remove(self);
}

static const coil_class log_file_class = {
    .abi = COIL_ABI_VERSION,
    .name = "log_file",
    .doc = "An open FILE *.",
    .size = sizeof(log_file),
    .properties = log_file_properties,
    .init = log_file_init,
    .produce = log_file_produce,
    .destroy = log_file_destroy,
};

static const coil_class *const example_classes[] = {
    &movie_finder_class, &movie_lister_class, &birthday_class,
    &string_holder_class, &value_holder_class, &log_file_class, &party_class,
};

/* ======================================================================
 * Small helpers
 * ====================================================================== */

/* A growable string. */
typedef struct text {
    char *s;
    size_t len, cap;
} text;

static void text_add(text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->s = realloc(t->s, t->cap);
        cr_assert_not_null(t->s);
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

static void text_printf(text *t, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0)
        text_add(t, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static char *dup_range(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    cr_assert_not_null(d);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

static char *read_whole(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    text t = { 0 };
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        text_add(&t, buf, n);
    fclose(f);
    if (!t.s)
        text_add(&t, "", 0);
    return t.s;
}

static void write_whole(const char *path, const char *content)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot write %s: %s", path, strerror(errno));
    fputs(content, f);
    fclose(f);
}

static int code_from_name(const char *name)
{
    for (int c = 0; c < 64; c++)
        if (strcmp(coil_error_name(c), name) == 0)
            return c;
    return -1;
}

/* ======================================================================
 * Running one document
 * ====================================================================== */

typedef struct doc_run {
    const char *doc;          /* "context-files.md" */
    char scratch[64];         /* the scratch directory (absolute) */
    size_t examples;          /* yaml blocks loaded */
    size_t failures;
    /* the last example that was expected to fail, for an `errors` block */
    int last_failing_line;
    char *last_errors;
    bool last_errors_checked;
} doc_run;

static void report(doc_run *run, int line, const char *fmt, ...)
{
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    run->failures++;
    cr_expect(false, "docs/%s:%d: %s", run->doc, line, msg);
}

/* File names in errors are shown relative to the scratch directory, as a
 * user running from the context's directory would see them. */
static void append_relative(text *t, const char *s, const char *scratch)
{
    size_t sl = strlen(scratch);
    while (*s) {
        if (strncmp(s, scratch, sl) == 0 && s[sl] == '/') {
            s += sl + 1;
            continue;
        }
        if (strncmp(s, "./", 2) == 0 && (t->len == 0 || t->s[t->len - 1] == ' ' ||
                                          t->s[t->len - 1] == '\'')) {
            s += 2;
            continue;
        }
        text_add(t, s, 1);
        s++;
    }
}

static char *format_errors(const coil_error *err, const char *scratch)
{
    text t = { 0 };
    text_add(&t, "", 0);
    for (const coil_error *e = err; e; e = e->next) {
        if (e->file) {
            append_relative(&t, e->file, scratch);
            text_printf(&t, ":%u:%u: error: ", e->line, e->column);
        } else {
            text_add(&t, "error: ", 7);
        }
        append_relative(&t, e->message, scratch);
        text_add(&t, "\n", 1);
    }
    return t.s;
}

/* Reads the value of the property at `path` (`id.prop.prop[2].prop`).
 * Returns a new JSON value, or sets *ref to the pointer a ref property
 * holds. Returns false with a message in `why` when the path is bad. */
static bool read_path(coil_context *ctx, const char *path, json_t **value, void **ref,
                      char *why, size_t whysize)
{
    char *copy = dup_range(path, strlen(path));
    char *save = NULL;
    char *step = strtok_r(copy, ".", &save);
    coil_error *err = NULL;
    void *obj = coil_get(ctx, step, NULL, &err);
    bool ok = false;
    *value = NULL;
    *ref = NULL;
    if (!obj) {
        snprintf(why, whysize, "coil_get(\"%s\") failed: %s", step, err ? err->message : "?");
        goto out;
    }
    while ((step = strtok_r(NULL, ".", &save)) != NULL) {
        const live_object *lo = live_find(obj);
        if (!lo) {
            snprintf(why, whysize, "'%s': object not tracked by the test", step);
            goto out;
        }
        long index = -1;
        char *bracket = strchr(step, '[');
        if (bracket) {
            index = strtol(bracket + 1, NULL, 10);
            *bracket = '\0';
        }
        const coil_property *p = lo->cls->properties;
        while (p->name && strcmp(p->name, step) != 0)
            p++;
        if (!p->name) {
            snprintf(why, whysize, "class '%s' has no property '%s'", lo->cls->name, step);
            goto out;
        }
        char *field = (char *)lo->instance + p->offset;
        bool last = save == NULL || *save == '\0';
        switch (p->type) {
        case COIL_T_REF:
            obj = *(void **)field;
            if (last) {
                *ref = obj;
                ok = true;
                goto out;
            }
            continue;
        case COIL_T_REFS: {
            coil_refs *r = (coil_refs *)field;
            if (index < 0 || (size_t)index >= r->count) {
                snprintf(why, whysize, "'%s' has %zu items, no [%ld]", step, r->count, index);
                goto out;
            }
            obj = r->items[index];
            if (last) {
                *ref = obj;
                ok = true;
                goto out;
            }
            continue;
        }
        default:
            break;
        }
        if (!last) {
            snprintf(why, whysize, "'%s' is not a reference", step);
            goto out;
        }
        json_t *v = NULL;
        switch (p->type) {
        case COIL_T_STRING: {
            char *s = *(char **)field;
            v = s ? json_string(s) : json_null();
            break;
        }
        case COIL_T_INT: v = json_integer(*(int64_t *)field); break;
        case COIL_T_DOUBLE: v = json_real(*(double *)field); break;
        case COIL_T_BOOL: v = json_boolean(*(bool *)field); break;
        case COIL_T_STRINGS: {
            coil_strings *l = (coil_strings *)field;
            v = json_array();
            for (size_t i = 0; i < l->count; i++)
                json_array_append_new(v, json_string(l->items[i]));
            break;
        }
        case COIL_T_INTS: {
            coil_ints *l = (coil_ints *)field;
            v = json_array();
            for (size_t i = 0; i < l->count; i++)
                json_array_append_new(v, json_integer(l->items[i]));
            break;
        }
        case COIL_T_DOUBLES: {
            coil_doubles *l = (coil_doubles *)field;
            v = json_array();
            for (size_t i = 0; i < l->count; i++)
                json_array_append_new(v, json_real(l->items[i]));
            break;
        }
        case COIL_T_BOOLS: {
            coil_bools *l = (coil_bools *)field;
            v = json_array();
            for (size_t i = 0; i < l->count; i++)
                json_array_append_new(v, json_boolean(l->items[i]));
            break;
        }
        case COIL_T_MAP:
        case COIL_T_ANY: {
            json_t *j = *(json_t **)field;
            v = j ? json_deep_copy(j) : json_null();
            break;
        }
        default:
            break;
        }
        *value = v;
        ok = v != NULL;
        goto out;
    }
    snprintf(why, whysize, "'%s' names no property", path);
out:
    coil_error_free(err);
    free(copy);
    return ok;
}

static void check_expect(doc_run *run, int line, coil_context *ctx, char *arg)
{
    char why[512] = "";
    char *arrow = strstr(arg, "->");
    char *eq = strchr(arg, '=');
    if (arrow && (!eq || arrow < eq)) {
        *arrow = '\0';
        char *path = trim(arg), *target = trim(arrow + 2);
        json_t *v;
        void *ref;
        if (!read_path(ctx, path, &v, &ref, why, sizeof why)) {
            report(run, line, "expect %s: %s", path, why);
            json_decref(v);
            return;
        }
        coil_error *err = NULL;
        void *want = coil_get(ctx, target, NULL, &err);
        if (!want || ref != want)
            report(run, line, "expect %s -> %s: points elsewhere (%p, %s is %p)", path, target,
                   ref, target, want);
        coil_error_free(err);
        return;
    }
    if (!eq) {
        report(run, line, "bad expect directive '%s'", arg);
        return;
    }
    *eq = '\0';
    char *path = trim(arg), *expected = trim(eq + 1);
    json_error_t jerr;
    json_t *want = json_loads(expected, JSON_DECODE_ANY, &jerr);
    if (!want) {
        report(run, line, "expect %s: bad JSON '%s': %s", path, expected, jerr.text);
        return;
    }
    json_t *got;
    void *ref;
    if (!read_path(ctx, path, &got, &ref, why, sizeof why)) {
        report(run, line, "expect %s: %s", path, why);
    } else if (!json_equal(got, want)) {
        char *gs = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        report(run, line, "expect %s = %s, got %s", path, expected, gs ? gs : "?");
        free(gs);
    }
    json_decref(got);
    json_decref(want);
}

static void check_order(doc_run *run, int line, coil_context *ctx, char *arg)
{
    size_t n;
    const coil_definition_info *defs = coil_definitions(ctx, &n);
    text got = { 0 };
    text_add(&got, "", 0);
    /* eager ones come first, in creation order */
    for (size_t i = 0; i < n && defs[i].creation_index != (size_t)-1; i++) {
        if (got.len)
            text_add(&got, " ", 1);
        text_add(&got, defs[i].name, strlen(defs[i].name));
    }
    if (strcmp(got.s, trim(arg)) != 0)
        report(run, line, "creation order: expected '%s', got '%s'", trim(arg), got.s);
    free(got.s);
}

typedef struct example {
    const char *body;
    int line;                 /* of the opening fence */
    char *directives;         /* ';'-separated, or NULL */
} example;

/* Runs one ```yaml block. */
static void run_example(doc_run *run, const example *ex)
{
    char *dirs = ex->directives ? ex->directives : (char[]){ "" };
    int fails = -1;
    const char *file = NULL, *write = NULL, *load = NULL;
    bool use_env = false, create = true;
    long max_errors = -1;
    char *sets[16];
    size_t nsets = 0;
    char *envs[8];
    size_t nenvs = 0;
    char *checks[32];
    size_t nchecks = 0;

    char *save = NULL;
    for (char *d = strtok_r(dirs, ";", &save); d; d = strtok_r(NULL, ";", &save)) {
        d = trim(d);
        if (strncmp(d, "skip", 4) == 0)
            return;
        if (strncmp(d, "fails ", 6) == 0) {
            fails = code_from_name(trim(d + 6));
            if (fails < 0)
                report(run, ex->line, "unknown code in '%s'", d);
        } else if (strncmp(d, "file ", 5) == 0) {
            file = trim(d + 5);
        } else if (strncmp(d, "write ", 6) == 0) {
            write = trim(d + 6);
        } else if (strncmp(d, "load ", 5) == 0) {
            load = trim(d + 5);
        } else if (strncmp(d, "set ", 4) == 0 && nsets < 16) {
            sets[nsets++] = trim(d + 4);
        } else if (strncmp(d, "env ", 4) == 0 && nenvs < 8) {
            envs[nenvs++] = trim(d + 4);
            use_env = true;
        } else if (strncmp(d, "max-errors ", 11) == 0) {
            max_errors = strtol(d + 11, NULL, 10);
        } else if (strcmp(d, "nocreate") == 0) {
            create = false;
        } else if (nchecks < 32 && (strncmp(d, "expect ", 7) == 0 || strncmp(d, "same ", 5) == 0 ||
                                    strncmp(d, "distinct ", 9) == 0 || strncmp(d, "get ", 4) == 0 ||
                                    strncmp(d, "order ", 6) == 0 || strcmp(d, "order") == 0)) {
            checks[nchecks++] = d;
        } else if (*d) {
            report(run, ex->line, "unknown directive '%s'", d);
        }
    }

    if (file)
        write_whole(file, ex->body);
    if (write) {
        write_whole(write, ex->body);
        if (!load)
            return;
    }

    coil_options *opts = coil_options_new();
    cr_assert_not_null(opts);
    for (size_t i = 0; i < sizeof example_classes / sizeof example_classes[0]; i++)
        cr_assert_eq(coil_options_add_class(opts, example_classes[i]), 0);
    coil_options_use_environment(opts, use_env);
    coil_options_create_objects(opts, create);
    if (max_errors >= 0)
        coil_options_max_errors(opts, (size_t)max_errors);
    for (size_t i = 0; i < nsets; i++) {
        char *eq = strchr(sets[i], '=');
        cr_assert_not_null(eq, "docs/%s:%d: set needs NAME=VALUE", run->doc, ex->line);
        *eq = '\0';
        cr_assert_eq(coil_options_set(opts, sets[i], eq + 1), 0);
        *eq = '=';
    }
    for (size_t i = 0; i < nenvs; i++) {
        char *eq = strchr(envs[i], '=');
        cr_assert_not_null(eq, "docs/%s:%d: env needs NAME=VALUE", run->doc, ex->line);
        *eq = '\0';
        setenv(envs[i], eq + 1, 1);
        *eq = '=';
    }

    coil_error *err = NULL;
    coil_context *ctx;
    if (load)
        ctx = coil_load_file(load, opts, &err);
    else if (file)
        ctx = coil_load_file(file, opts, &err);
    else
        ctx = coil_load_string(ex->body, "app.yaml", opts, &err);
    coil_options_free(opts);
    run->examples++;

    free(run->last_errors);
    run->last_errors = NULL;
    run->last_failing_line = 0;
    run->last_errors_checked = false;

    if (fails >= 0) {
        if (ctx) {
            report(run, ex->line, "example should fail with %s but loaded", coil_error_name(fails));
            coil_close(ctx);
        } else {
            if (!err || (int)err->code != fails) {
                char *all = format_errors(err, run->scratch);
                report(run, ex->line, "expected %s first, got:\n%s", coil_error_name(fails), all);
                free(all);
            }
            run->last_errors = format_errors(err, run->scratch);
            run->last_failing_line = ex->line;
            if (live_count != 0)
                report(run, ex->line, "%zu objects left alive by the failed load", live_count);
            live_count = 0;
        }
        coil_error_free(err);
    } else if (!ctx) {
        char *all = format_errors(err, run->scratch);
        report(run, ex->line, "example does not load:\n%s", all);
        free(all);
        coil_error_free(err);
    } else {
        for (size_t i = 0; i < nchecks; i++) {
            char *c = checks[i];
            if (strncmp(c, "expect ", 7) == 0) {
                check_expect(run, ex->line, ctx, c + 7);
            } else if (strncmp(c, "order", 5) == 0) {
                check_order(run, ex->line, ctx, c + 5);
            } else if (strncmp(c, "same ", 5) == 0) {
                char *s2 = NULL;
                char *a = strtok_r(c + 5, " ", &s2), *b = strtok_r(NULL, " ", &s2);
                coil_error *e1 = NULL, *e2 = NULL;
                void *x = a ? coil_get(ctx, a, NULL, &e1) : NULL;
                void *y = b ? coil_get(ctx, b, NULL, &e2) : NULL;
                if (!x || x != y)
                    report(run, ex->line, "same %s %s: %p vs %p (%s%s)", a ? a : "?", b ? b : "?", x, y,
                           e1 ? e1->message : "", e2 ? e2->message : "");
                coil_error_free(e1);
                coil_error_free(e2);
            } else if (strncmp(c, "distinct ", 9) == 0) {
                char *a = trim(c + 9);
                coil_error *e1 = NULL, *e2 = NULL;
                void *x = coil_get(ctx, a, NULL, &e1);
                void *y = coil_get(ctx, a, NULL, &e2);
                if (!x || !y || x == y)
                    report(run, ex->line, "distinct %s: %p and %p (%s%s)", a, x, y,
                           e1 ? e1->message : "", e2 ? e2->message : "");
                coil_error_free(e1);
                coil_error_free(e2);
            } else if (strncmp(c, "get ", 4) == 0) {
                char name[128];
                char code[64];
                if (sscanf(c + 4, "%127s fails %63s", name, code) != 2) {
                    report(run, ex->line, "bad directive '%s'", c);
                    continue;
                }
                coil_error *e = NULL;
                void *x = coil_get(ctx, name, NULL, &e);
                if (x || !e || (int)e->code != code_from_name(code))
                    report(run, ex->line, "coil_get(%s) should fail with %s, got %s", name, code,
                           x ? "an object" : e ? coil_error_name((int)e->code) : "no error");
                coil_error_free(e);
            }
        }
        coil_close(ctx);
        if (live_count != 0)
            report(run, ex->line, "%zu objects not destroyed by coil_close", live_count);
        live_count = 0;
    }

    for (size_t i = 0; i < nenvs; i++) {
        char *eq = strchr(envs[i], '=');
        *eq = '\0';
        unsetenv(envs[i]);
        *eq = '=';
    }
}

/* An ```text block after `<!-- test: errors -->`: the exact output of the
 * failing example before it. */
static void check_errors_block(doc_run *run, int line, const char *body)
{
    if (!run->last_errors || run->last_errors_checked) {
        report(run, line, "an errors block must follow an example that fails");
        return;
    }
    run->last_errors_checked = true;
    if (strcmp(run->last_errors, body) != 0)
        report(run, line, "the example at line %d reports:\n%s\nthe document shows:\n%s",
               run->last_failing_line, run->last_errors, body);
}

static void remove_scratch(const char *dir)
{
    /* The scratch directory holds only files the run wrote. */
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", dir);
    if (system(cmd) != 0)
        cr_log_warn("could not remove %s", dir);
}

static doc_run run_doc(const char *name)
{
    doc_run run = { .doc = name };
    char path[1024];
    snprintf(path, sizeof path, "%s%s", DOCS_DIR, name);
    char *md = read_whole(path);
    cr_assert_not_null(md, "cannot read %s: %s", path, strerror(errno));

    strcpy(run.scratch, "/tmp/coil-docs-XXXXXX");
    cr_assert_not_null(mkdtemp(run.scratch));
    char cwd[1024];
    cr_assert_not_null(getcwd(cwd, sizeof cwd));
    cr_assert_eq(chdir(run.scratch), 0);
    write_whole("movies.txt", "Rio Bravo:Howard Hawks\nThe Searchers:John Ford\n"
                              "Once Upon a Time in the West:Sergio Leone\n");
    write_whole("classics.txt", "Casablanca:Michael Curtiz\nVertigo:Alfred Hitchcock\n");

    char *directives = NULL;        /* pending, for the next fence */
    int lineno = 0;
    char *p = md;
    while (*p) {
        char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char *line = dup_range(p, len);
        p += len + (eol ? 1 : 0);
        lineno++;

        char *t = trim(line);
        if (strncmp(t, "<!-- test:", 10) == 0) {
            char *end = strstr(t, "-->");
            if (!end) {
                report(&run, lineno, "a test directive must fit on one line");
            } else {
                *end = '\0';
                char *d = trim(t + 10);
                text acc = { 0 };
                if (directives) {
                    text_add(&acc, directives, strlen(directives));
                    text_add(&acc, ";", 1);
                    free(directives);
                }
                text_add(&acc, d, strlen(d));
                directives = acc.s;
            }
        } else if (strncmp(line, "```", 3) == 0) {
            char *info = trim(line + 3);
            char lang[32] = "";
            sscanf(info, "%31s", lang);
            int fence_line = lineno;
            text body = { 0 };
            text_add(&body, "", 0);
            bool closed = false;
            while (*p) {
                eol = strchr(p, '\n');
                len = eol ? (size_t)(eol - p) : strlen(p);
                char *bl = dup_range(p, len);
                p += len + (eol ? 1 : 0);
                lineno++;
                if (strcmp(trim(bl), "```") == 0) {
                    free(bl);
                    closed = true;
                    break;
                }
                free(bl);
                text_add(&body, p - len - (eol ? 1 : 0), len);
                text_add(&body, "\n", 1);
            }
            if (!closed)
                report(&run, fence_line, "unclosed code fence");
            if (strcmp(lang, "yaml") == 0) {
                example ex = { body.s, fence_line, directives };
                run_example(&run, &ex);
            } else if (directives && strcmp(trim(directives), "errors") == 0) {
                check_errors_block(&run, fence_line, body.s);
            } else if (directives) {
                report(&run, fence_line, "directives on a ```%s block: %s", lang, directives);
            }
            free(body.s);
            free(directives);
            directives = NULL;
        }
        free(line);
    }
    if (directives)
        report(&run, lineno, "directives without a code block after them");
    free(directives);
    free(run.last_errors);
    run.last_errors = NULL;
    free(md);

    cr_assert_eq(chdir(cwd), 0);
    remove_scratch(run.scratch);
    return run;
}

Test(docs, context_files_examples_load)
{
    doc_run run = run_doc("context-files.md");
    cr_expect_geq(run.examples, 40, "only %zu examples ran", run.examples);
    cr_expect_eq(run.failures, 0, "%zu problems in docs/context-files.md", run.failures);
}

Test(docs, writing_classes_examples_load)
{
    doc_run run = run_doc("writing-classes.md");
    cr_expect_geq(run.examples, 5, "only %zu examples ran", run.examples);
    cr_expect_eq(run.failures, 0, "%zu problems in docs/writing-classes.md", run.failures);
}
