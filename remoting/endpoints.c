/* Endpoint selection for proxies with several servers (see endpoints.h). */
#define _GNU_SOURCE 1 /* rand_r */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "coil/error.h"
#include "remoting/endpoints.h"

#define MAX_BACKOFF_FACTOR 8.0

typedef struct endpoint {
    char *url;
    double until;        /* backing off until then (0: not) */
    unsigned failures;   /* in a row */
} endpoint;

struct coil__endpoints {
    pthread_mutex_t lock;
    coil__balance balance;
    double backoff;
    endpoint *items;
    size_t count;
    size_t next;         /* round-robin position */
    unsigned seed;       /* random */
};

coil__endpoints *coil__endpoints_new(coil__balance balance, double backoff)
{
    coil__endpoints *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    if (pthread_mutex_init(&e->lock, NULL) != 0) {
        free(e);
        return NULL;
    }
    e->balance = balance;
    e->backoff = backoff > 0 ? backoff : 0;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    e->seed = (unsigned)ts.tv_nsec ^ (unsigned)getpid() ^ (unsigned)(uintptr_t)e;
    return e;
}

static void free_items(endpoint *items, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(items[i].url);
    free(items);
}

void coil__endpoints_free(coil__endpoints *e)
{
    if (!e)
        return;
    free_items(e->items, e->count);
    pthread_mutex_destroy(&e->lock);
    free(e);
}

static endpoint *find(endpoint *items, size_t count, const char *url)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(items[i].url, url) == 0)
            return &items[i];
    return NULL;
}

int coil__endpoints_set(coil__endpoints *e, const char *const *urls, size_t count)
{
    endpoint *items = calloc(count ? count : 1, sizeof *items);
    if (!items)
        return COIL_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        if (find(items, n, urls[i]))
            continue;
        if (!(items[n].url = strdup(urls[i]))) {
            free_items(items, n);
            return COIL_ENOMEM;
        }
        n++;
    }
    pthread_mutex_lock(&e->lock);
    for (size_t i = 0; i < n; i++) {
        const endpoint *old = find(e->items, e->count, items[i].url);
        if (old) {
            items[i].until = old->until;
            items[i].failures = old->failures;
        }
    }
    endpoint *old_items = e->items;
    size_t old_count = e->count;
    e->items = items;
    e->count = n;
    if (e->next >= n)
        e->next = 0;
    pthread_mutex_unlock(&e->lock);
    free_items(old_items, old_count);
    return COIL_OK;
}

size_t coil__endpoints_count(coil__endpoints *e)
{
    pthread_mutex_lock(&e->lock);
    size_t n = e->count;
    pthread_mutex_unlock(&e->lock);
    return n;
}

static bool was_tried(const char *url, char *const *tried, size_t ntried)
{
    for (size_t i = 0; i < ntried; i++)
        if (tried[i] && strcmp(tried[i], url) == 0)
            return true;
    return false;
}

char *coil__endpoints_pick(coil__endpoints *e, double now, char *const *tried, size_t ntried)
{
    pthread_mutex_lock(&e->lock);
    size_t n = e->count;
    endpoint *chosen = NULL, *soonest = NULL;
    if (n) {
        /* Round-robin starts at the next position; random at a random one.
         * Either way the scan then goes round once, so every endpoint is a
         * candidate and the first one not backing off wins. */
        size_t start = e->balance == COIL__BALANCE_RANDOM ? (size_t)rand_r(&e->seed) % n
                                                          : e->next;
        for (size_t k = 0; k < n; k++) {
            endpoint *ep = &e->items[(start + k) % n];
            if (was_tried(ep->url, tried, ntried))
                continue;
            if (ep->until <= now) {
                chosen = ep;
                break;
            }
            if (!soonest || ep->until < soonest->until)
                soonest = ep;
        }
        if (!chosen)
            chosen = soonest;
        if (chosen && e->balance == COIL__BALANCE_ROUND_ROBIN)
            e->next = ((size_t)(chosen - e->items) + 1) % n;
    }
    char *url = chosen ? strdup(chosen->url) : NULL;
    pthread_mutex_unlock(&e->lock);
    return url;
}

void coil__endpoints_failed(coil__endpoints *e, const char *url, double now)
{
    pthread_mutex_lock(&e->lock);
    endpoint *ep = find(e->items, e->count, url);
    if (ep) {
        double factor = 1.0;
        for (unsigned i = 0; i < ep->failures && factor < MAX_BACKOFF_FACTOR; i++)
            factor *= 2.0;
        ep->failures++;
        ep->until = now + e->backoff * factor;
    }
    pthread_mutex_unlock(&e->lock);
}

void coil__endpoints_succeeded(coil__endpoints *e, const char *url)
{
    pthread_mutex_lock(&e->lock);
    endpoint *ep = find(e->items, e->count, url);
    if (ep) {
        ep->failures = 0;
        ep->until = 0;
    }
    pthread_mutex_unlock(&e->lock);
}

bool coil__endpoints_backing_off(coil__endpoints *e, const char *url, double now)
{
    pthread_mutex_lock(&e->lock);
    endpoint *ep = find(e->items, e->count, url);
    bool off = ep && ep->until > now;
    pthread_mutex_unlock(&e->lock);
    return off;
}
