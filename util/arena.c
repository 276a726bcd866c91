/* A bump allocator: the parsed files and their definitions live in one
 * arena per context and are released together. Blocks grow geometrically,
 * so a large context makes few, large allocations; those are mapped with
 * their pages populated at once, which costs one call instead of a page
 * fault for every 4 KiB the arena fills. */
#define _DEFAULT_SOURCE 1 /* MAP_ANONYMOUS, MAP_POPULATE */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "util/util.h"

struct coil__arena_block {
    coil__arena_block *next;
    size_t mapped;      /* bytes mapped with mmap, or 0 for malloc */
    max_align_t data[];
};

#define ARENA_BLOCK (64u * 1024u)          /* the first block */
#define ARENA_BLOCK_MAX (8u * 1024u * 1024u) /* blocks stop growing here */
#define ARENA_MAP_MIN (1u * 1024u * 1024u)   /* blocks this large are mapped */

void coil__arena_init(coil__arena *a)
{
    memset(a, 0, sizeof *a);
}

void coil__arena_free(coil__arena *a)
{
    coil__arena_block *b = a->head;
    while (b) {
        coil__arena_block *next = b->next;
        if (b->mapped)
            munmap(b, b->mapped);
        else
            free(b);
        b = next;
    }
    memset(a, 0, sizeof *a);
}

void *coil__arena_alloc(coil__arena *a, size_t size)
{
    void *p = coil__arena_alloc_raw(a, size);
    if (p)
        memset(p, 0, size);
    return p;
}

static coil__arena_block *new_block(size_t payload)
{
    size_t total = sizeof(coil__arena_block) + payload;
#ifdef MAP_POPULATE
    if (total >= ARENA_MAP_MIN) {
        void *p = mmap(NULL, total, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        if (p != MAP_FAILED) {
            coil__arena_block *b = p;
            b->mapped = total;
            return b;
        }
    }
#endif
    coil__arena_block *b = malloc(total);
    if (b)
        b->mapped = 0;
    return b;
}

static void *arena_take(coil__arena *a, size_t size, size_t align)
{
    uintptr_t cur = (uintptr_t)a->cur;
    uintptr_t at = (cur + align - 1) & ~(uintptr_t)(align - 1);
    if (a->cur && at + size <= (uintptr_t)a->end) {
        a->cur = (char *)(at + size);
        return (void *)at;
    }
    size_t next = a->next_block ? a->next_block : ARENA_BLOCK;
    if (size > next / 4) {
        /* A large allocation gets a block of its own behind the current
         * one, so the current block's free space is not wasted. */
        coil__arena_block *b = new_block(size);
        if (!b)
            return NULL;
        if (a->head) {
            b->next = a->head->next;
            a->head->next = b;
        } else {
            b->next = NULL;
            a->head = b;
            a->cur = a->end = (char *)b->data + size;
        }
        return b->data;
    }
    size_t payload = next - sizeof(coil__arena_block);
    coil__arena_block *b = new_block(payload);
    if (!b)
        return NULL;
    a->next_block = next < ARENA_BLOCK_MAX ? next * 2 : next;
    b->next = a->head;
    a->head = b;
    a->cur = (char *)b->data + size;
    a->end = (char *)b->data + payload;
    return b->data;
}

void *coil__arena_alloc_raw(coil__arena *a, size_t size)
{
    return arena_take(a, size ? size : 1, _Alignof(max_align_t));
}

char *coil__arena_strndup(coil__arena *a, const char *s, size_t n)
{
    char *p = arena_take(a, n + 1, 1);
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
