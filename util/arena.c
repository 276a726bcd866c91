/* A bump allocator: the parsed files and their definitions live in one
 * arena per context and are released together. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

struct coil__arena_block {
    coil__arena_block *next;
    max_align_t data[];
};

#define ARENA_BLOCK (64u * 1024u)

void coil__arena_init(coil__arena *a)
{
    memset(a, 0, sizeof *a);
}

void coil__arena_free(coil__arena *a)
{
    coil__arena_block *b = a->head;
    while (b) {
        coil__arena_block *next = b->next;
        free(b);
        b = next;
    }
    memset(a, 0, sizeof *a);
}

void *coil__arena_alloc(coil__arena *a, size_t size)
{
    const size_t align = _Alignof(max_align_t);
    size = (size + align - 1) & ~(align - 1);
    if (size == 0)
        size = align;
    if ((size_t)(a->end - a->cur) < size || !a->cur) {
        size_t payload = size > ARENA_BLOCK / 2 ? size : ARENA_BLOCK;
        coil__arena_block *b = malloc(sizeof *b + payload);
        if (!b)
            return NULL;
        if (size > ARENA_BLOCK / 2 && a->head) {
            /* A large allocation gets its own block behind the current one,
             * so the current block's free space is not wasted. */
            b->next = a->head->next;
            a->head->next = b;
            memset(b->data, 0, size);
            return b->data;
        }
        b->next = a->head;
        a->head = b;
        a->cur = (char *)b->data;
        a->end = a->cur + payload;
    }
    void *p = a->cur;
    a->cur += size;
    memset(p, 0, size);
    return p;
}

char *coil__arena_strndup(coil__arena *a, const char *s, size_t n)
{
    char *p = coil__arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

char *coil__arena_strdup(coil__arena *a, const char *s)
{
    return coil__arena_strndup(a, s, strlen(s));
}

char *coil__arena_printf(coil__arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = coil__arena_alloc(a, (size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}
