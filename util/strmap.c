/* A string-keyed hash map (open addressing, linear probing). Keys are
 * borrowed; used for object ids, class names and placeholder names. */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

uint64_t coil__hash(const char *s)
{
    /* FNV-1a, 64-bit. */
    uint64_t h = 14695981039346656037ull; /* the FNV-1a 64 offset basis */
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= 1099511628211ull;
    }
    return h;
}

void coil__strmap_init(coil__strmap *m)
{
    memset(m, 0, sizeof *m);
}

void coil__strmap_free(coil__strmap *m)
{
    free(m->slots);
    memset(m, 0, sizeof *m);
}

static coil__strmap_entry *find_slot(coil__strmap_entry *slots, size_t cap,
                                     const char *key, uint64_t h)
{
    size_t i = (size_t)h & (cap - 1);
    for (;;) {
        coil__strmap_entry *e = &slots[i];
        if (!e->key || (e->hash == h && strcmp(e->key, key) == 0))
            return e;
        i = (i + 1) & (cap - 1);
    }
}

void *coil__strmap_get(const coil__strmap *m, const char *key)
{
    if (!m->cap)
        return NULL;
    coil__strmap_entry *e = find_slot(m->slots, m->cap, key, coil__hash(key));
    return e->key ? e->value : NULL;
}

static int grow(coil__strmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 16;
    coil__strmap_entry *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return COIL_ENOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        coil__strmap_entry *old = &m->slots[i];
        if (old->key)
            *find_slot(slots, cap, old->key, old->hash) = *old;
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return COIL_OK;
}

int coil__strmap_put(coil__strmap *m, const char *key, void *value, void **old)
{
    if ((m->count + 1) * 4 > m->cap * 3) {
        int rc = grow(m);
        if (rc)
            return rc;
    }
    uint64_t h = coil__hash(key);
    coil__strmap_entry *e = find_slot(m->slots, m->cap, key, h);
    if (old)
        *old = e->key ? e->value : NULL;
    if (!e->key) {
        e->key = key;
        e->hash = h;
        m->count++;
    }
    e->value = value;
    return COIL_OK;
}
