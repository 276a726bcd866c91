/* The live objects: every object the container hands out or injects (for
 * factories, the product) maps to its class and instance, so a typed call
 * on a bare pointer finds its ops table. Process-wide, because an object
 * may travel anywhere once handed out; read-mostly, so a rwlock. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "container/container.h"

typedef struct slot {
    const void *object;   /* NULL: empty; TOMBSTONE: deleted */
    const coil_class *cls;
    void *self;
    const char *id;       /* the definition's name (lives as long as its context) */
    size_t refs;          /* the same product registered more than once */
} slot;

#define TOMBSTONE ((const void *)&tombstone_marker)
static const char tombstone_marker;

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static slot *slots;
static size_t cap, used, live; /* used counts tombstones too */

static size_t hash_ptr(const void *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return (size_t)x;
}

/* The slot holding `object`, or NULL. */
static slot *find(const void *object)
{
    if (!cap)
        return NULL;
    for (size_t i = hash_ptr(object) & (cap - 1);; i = (i + 1) & (cap - 1)) {
        if (slots[i].object == object)
            return &slots[i];
        if (!slots[i].object)
            return NULL;
    }
}

static bool rehash(size_t new_cap)
{
    slot *fresh = calloc(new_cap, sizeof *fresh);
    if (!fresh)
        return false;
    for (size_t i = 0; i < cap; i++) {
        const slot *s = &slots[i];
        if (!s->object || s->object == TOMBSTONE)
            continue;
        size_t k = hash_ptr(s->object) & (new_cap - 1);
        while (fresh[k].object)
            k = (k + 1) & (new_cap - 1);
        fresh[k] = *s;
    }
    free(slots);
    slots = fresh;
    cap = new_cap;
    used = live;
    return true;
}

int coil__objects_add(const void *object, const coil_class *cls, void *self, const char *id)
{
    int rc = COIL_OK;
    pthread_rwlock_wrlock(&lock);
    slot *s = find(object);
    if (s) {
        s->refs++;
    } else if ((used + 1) * 4 > cap * 3 && !rehash(cap ? (live * 2 > cap ? cap * 2 : cap) : 64)) {
        rc = COIL_ENOMEM;
    } else {
        size_t i = hash_ptr(object) & (cap - 1);
        while (slots[i].object && slots[i].object != TOMBSTONE)
            i = (i + 1) & (cap - 1);
        if (!slots[i].object)
            used++;
        slots[i] = (slot){ object, cls, self, id, 1 };
        live++;
    }
    pthread_rwlock_unlock(&lock);
    return rc;
}

int coil__objects_reserve(size_t more)
{
    int rc = COIL_OK;
    pthread_rwlock_wrlock(&lock);
    size_t want = used + more, new_cap = cap ? cap : 64;
    while (want * 4 > new_cap * 3)
        new_cap *= 2;
    if (new_cap != cap && !rehash(new_cap))
        rc = COIL_ENOMEM;
    pthread_rwlock_unlock(&lock);
    return rc;
}

void coil__objects_remove(const void *object)
{
    pthread_rwlock_wrlock(&lock);
    slot *s = find(object);
    if (s && --s->refs == 0) {
        s->object = TOMBSTONE;
        s->cls = NULL;
        s->self = NULL;
        s->id = NULL;
        live--;
        if (!live) {
            /* Nothing lives: give the table back. */
            free(slots);
            slots = NULL;
            cap = used = 0;
        }
    }
    pthread_rwlock_unlock(&lock);
}

bool coil__objects_find(const void *object, const coil_class **cls, void **self)
{
    pthread_rwlock_rdlock(&lock);
    slot *s = find(object);
    if (s) {
        *cls = s->cls;
        *self = s->self;
    }
    pthread_rwlock_unlock(&lock);
    return s != NULL;
}

const coil_class *coil_class_of(const void *object, const char **id)
{
    const coil_class *cls = NULL;
    pthread_rwlock_rdlock(&lock);
    slot *s = object ? find(object) : NULL;
    if (s) {
        cls = s->cls;
        if (id)
            *id = s->id;
    }
    pthread_rwlock_unlock(&lock);
    return cls;
}
