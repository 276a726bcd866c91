/* The error type: codes, names, chains, and the error lists a load fills. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

const char *coil_strerror(int code)
{
    switch (code) {
#define COIL__ERROR_TEXT(name, value, text) case value: return text;
        COIL_ERROR_MAP(COIL__ERROR_TEXT)
#undef COIL__ERROR_TEXT
    }
    return "unknown error code";
}

const char *coil_error_name(int code)
{
    switch (code) {
#define COIL__ERROR_NAME(name, value, text) case value: return #name;
        COIL_ERROR_MAP(COIL__ERROR_NAME)
#undef COIL__ERROR_NAME
    }
    return "unknown error code";
}

void coil_error_free(coil_error *err)
{
    while (err) {
        coil_error *next = err->next;
        free(err->message);
        free(err->file);
        json_decref(err->data);
        free(err);
        err = next;
    }
}

size_t coil_error_count(const coil_error *err)
{
    size_t n = 0;
    for (; err; err = err->next)
        n++;
    return n;
}

size_t coil_error_format(const coil_error *err, char *buf, size_t size)
{
    int n;
    if (!err)
        n = snprintf(buf, size, "(no error)");
    else if (err->file)
        n = snprintf(buf, size, "%s:%u:%u: %s", err->file, err->line, err->column,
                     err->message);
    else
        n = snprintf(buf, size, "%s", err->message);
    return n < 0 ? 0 : (size_t)n;
}

static coil_error *error_newv(coil_code code, const char *file, unsigned line,
                              unsigned column, const char *fmt, va_list ap)
{
    coil_error *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        n = 0;
    e->message = malloc((size_t)n + 1);
    e->file = file ? strdup(file) : NULL;
    if (!e->message || (file && !e->file)) {
        coil_error_free(e);
        return NULL;
    }
    vsnprintf(e->message, (size_t)n + 1, fmt, ap);
    e->code = code;
    if (file) {
        e->line = line;
        e->column = column;
    }
    return e;
}

coil_error *coil_error_new(coil_code code, const char *fmt, ...)
{
    if (!fmt)
        fmt = "";
    va_list ap;
    va_start(ap, fmt);
    coil_error *e = error_newv(code, NULL, 0, 0, fmt, ap);
    va_end(ap);
    return e;
}

coil_code coil__fail(coil_error **out, coil_code code, const char *fmt, ...)
{
    if (out && !*out) {
        va_list ap;
        va_start(ap, fmt);
        *out = error_newv(code, NULL, 0, 0, fmt, ap);
        va_end(ap);
    }
    return code;
}

coil_code coil__fail_data(coil_error **out, coil_code code, json_t *data, const char *fmt, ...)
{
    if (out && !*out) {
        va_list ap;
        va_start(ap, fmt);
        *out = error_newv(code, NULL, 0, 0, fmt, ap);
        va_end(ap);
        if (*out && data)
            (*out)->data = json_incref(data);
    }
    return code;
}

void coil__errors_init(coil__errors *e, size_t max)
{
    memset(e, 0, sizeof *e);
    e->max = max;
}

bool coil__errors_full(const coil__errors *e)
{
    return e->max && e->count >= e->max;
}

static void errors_append(coil__errors *e, coil_error *err)
{
    if (!e->head)
        e->head = err;
    else
        e->tail->next = err;
    e->tail = err;
    e->count++;
}

void coil__errors_addv(coil__errors *e, coil_code code, const char *file,
                       unsigned line, unsigned column, const char *fmt, va_list ap)
{
    if (coil__errors_full(e)) {
        e->truncated = true;
        return;
    }
    coil_error *err = error_newv(code, file, line, column, fmt, ap);
    if (!err) {
        e->oom = true;
        return;
    }
    errors_append(e, err);
}

void coil__errors_add(coil__errors *e, coil_code code, const char *file,
                      unsigned line, unsigned column, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    coil__errors_addv(e, code, file, line, column, fmt, ap);
    va_end(ap);
}

void coil__errors_adopt(coil__errors *e, coil_error *chain, const char *file,
                        unsigned line, unsigned column, const char *prefix)
{
    while (chain) {
        coil_error *next = chain->next;
        chain->next = NULL;
        if (coil__errors_full(e)) {
            e->truncated = true;
            coil_error_free(chain);
        } else {
            if (prefix && *prefix) {
                size_t n = strlen(prefix) + strlen(chain->message) + 1;
                char *m = malloc(n);
                if (m) {
                    snprintf(m, n, "%s%s", prefix, chain->message);
                    free(chain->message);
                    chain->message = m;
                }
            }
            if (!chain->file && file) {
                chain->file = strdup(file);
                if (chain->file) {
                    chain->line = line;
                    chain->column = column;
                }
            }
            errors_append(e, chain);
        }
        chain = next;
    }
}

/* Position order within a file; files keep the order they first appear in. */
typedef struct sort_item {
    coil_error *err;
    size_t file_rank, seq;
} sort_item;

static int sort_cmp(const void *pa, const void *pb)
{
    const sort_item *a = pa, *b = pb;
    if (a->file_rank != b->file_rank)
        return a->file_rank < b->file_rank ? -1 : 1;
    if (a->err->file && b->err->file) {
        if (a->err->line != b->err->line)
            return a->err->line < b->err->line ? -1 : 1;
        if (a->err->column != b->err->column)
            return a->err->column < b->err->column ? -1 : 1;
    }
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void coil__errors_sort(coil__errors *e)
{
    if (e->count < 2)
        return;
    sort_item *items = calloc(e->count, sizeof *items);
    if (!items)
        return; /* unsorted is still correct, only less tidy */
    size_t n = 0;
    for (coil_error *err = e->head; err; err = err->next, n++) {
        items[n].err = err;
        items[n].seq = n;
        items[n].file_rank = n;
        for (size_t j = 0; j < n; j++) {
            const char *f = items[j].err->file, *g = err->file;
            if ((f == NULL && g == NULL) || (f && g && strcmp(f, g) == 0)) {
                items[n].file_rank = items[j].file_rank;
                break;
            }
        }
    }
    qsort(items, n, sizeof *items, sort_cmp);
    for (size_t i = 0; i + 1 < n; i++)
        items[i].err->next = items[i + 1].err;
    items[n - 1].err->next = NULL;
    e->head = items[0].err;
    e->tail = items[n - 1].err;
    free(items);
}

coil_code coil__errors_finish(coil__errors *e, coil_error **out)
{
    if (e->truncated) {
        size_t max = e->max;
        e->max = 0;
        coil__errors_add(e, COIL_ETOOMANY, NULL, 0, 0,
                         "too many errors; stopping after %zu", max);
        e->truncated = false;
    }
    if (e->oom && !e->head) {
        coil_error *err = coil_error_new(COIL_ENOMEM, "out of memory");
        if (err)
            errors_append(e, err);
    }
    coil_code code = e->head ? e->head->code : (e->oom ? COIL_ENOMEM : COIL_OK);
    if (out && !*out)
        *out = e->head;
    else
        coil_error_free(e->head);
    e->head = e->tail = NULL;
    e->count = 0;
    return code;
}

void coil__errors_clear(coil__errors *e)
{
    coil_error_free(e->head);
    e->head = e->tail = NULL;
    e->count = 0;
    e->truncated = e->oom = false;
}
