/* A growable, always NUL-terminated byte buffer and a pointer vector. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

void coil__buf_init(coil__buf *b)
{
    memset(b, 0, sizeof *b);
}

void coil__buf_free(coil__buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

static bool reserve(coil__buf *b, size_t extra)
{
    if (b->failed)
        return false;
    if (b->len + extra + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void coil__buf_add(coil__buf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void coil__buf_adds(coil__buf *b, const char *s)
{
    coil__buf_add(b, s, strlen(s));
}

void coil__buf_printf(coil__buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *coil__buf_take(coil__buf *b)
{
    char *p = b->failed ? NULL : b->data;
    if (b->failed)
        free(b->data);
    else if (!p)
        p = calloc(1, 1);
    memset(b, 0, sizeof *b);
    return p;
}

int coil__vec_push(coil__vec *v, void *item)
{
    if (v->count == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 8;
        void **items = realloc(v->items, cap * sizeof *items);
        if (!items)
            return COIL_ENOMEM;
        v->items = items;
        v->cap = cap;
    }
    v->items[v->count++] = item;
    return COIL_OK;
}

void coil__vec_free(coil__vec *v)
{
    free(v->items);
    memset(v, 0, sizeof *v);
}
