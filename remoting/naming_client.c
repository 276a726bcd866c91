/* Keepers (registrations kept alive) and resolvers (cached lookups) over
 * any naming backend; see naming_client.h. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "remoting/naming_client.h"

static void timespec_after(struct timespec *ts, double seconds)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    double whole = (double)(long)seconds;
    ts->tv_sec += (time_t)whole;
    ts->tv_nsec += (long)((seconds - whole) * 1e9);
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* ---- Keeper ------------------------------------------------------------------ */

struct coil__naming_keeper {
    coil__naming *n;
    char *name, *url;
    json_t *metadata;
    unsigned want_ttl;
    unsigned ttl;              /* the lease last granted */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;       /* signalled by stop */
    bool stopping;
    coil__naming_keeper_stats stats;
};

static void note_failure(coil__naming_keeper *k, int code)
{
    pthread_mutex_lock(&k->lock);
    k->stats.failures++;
    k->stats.last_code = code;
    pthread_mutex_unlock(&k->lock);
}

/* One attempt: renew, or register when the backend lost the registration.
 * Returns whether the registration is in place now. */
static bool keep_once(coil__naming_keeper *k)
{
    coil_error *err = NULL;
    unsigned ttl = k->want_ttl;
    int rc = k->n->ops->renew(k->n, k->name, k->url, &ttl, &err);
    coil_error_free(err);
    err = NULL;
    if (rc == COIL_OK) {
        pthread_mutex_lock(&k->lock);
        k->stats.renewals++;
        k->ttl = ttl ? ttl : k->ttl;
        pthread_mutex_unlock(&k->lock);
        return true;
    }
    if (rc != COIL_ENOTFOUND) {
        note_failure(k, rc);
        return false;
    }
    ttl = k->want_ttl;
    rc = k->n->ops->register_endpoint(k->n, k->name, k->url, k->metadata, &ttl, &err);
    coil_error_free(err);
    if (rc != COIL_OK) {
        note_failure(k, rc);
        return false;
    }
    pthread_mutex_lock(&k->lock);
    k->stats.registrations++;
    k->ttl = ttl ? ttl : k->ttl;
    pthread_mutex_unlock(&k->lock);
    return true;
}

static void *keeper_main(void *arg)
{
    coil__naming_keeper *k = arg;
    bool ok = true;
    pthread_mutex_lock(&k->lock);
    while (!k->stopping) {
        double lease = k->ttl ? (double)k->ttl : 1.0;
        double wait = ok ? lease / 3.0 : (lease / 6.0 < 1.0 ? lease / 6.0 : 1.0);
        struct timespec until;
        timespec_after(&until, wait);
        int rc = 0;
        while (!k->stopping && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&k->wake, &k->lock, &until);
        if (k->stopping)
            break;
        pthread_mutex_unlock(&k->lock);
        ok = keep_once(k);
        pthread_mutex_lock(&k->lock);
    }
    pthread_mutex_unlock(&k->lock);
    return NULL;
}

/* The keeper's mutex and its condition on CLOCK_MONOTONIC (the clock its
 * waits are timed by); false, with neither left, when they cannot be made. */
static bool sync_init(coil__naming_keeper *k)
{
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0)
        return false;
    bool ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
              pthread_cond_init(&k->wake, &ca) == 0;
    pthread_condattr_destroy(&ca);
    if (ok && pthread_mutex_init(&k->lock, NULL) != 0) {
        pthread_cond_destroy(&k->wake);
        ok = false;
    }
    return ok;
}

static void keeper_free(coil__naming_keeper *k)
{
    pthread_cond_destroy(&k->wake);
    pthread_mutex_destroy(&k->lock);
    json_decref(k->metadata);
    free(k->name);
    free(k->url);
    free(k);
}

int coil__naming_keeper_start(coil__naming *n, const char *name, const char *url,
                              const json_t *metadata, unsigned ttl,
                              coil__naming_keeper **out, coil_error **err)
{
    *out = NULL;
    coil__naming_keeper *k = calloc(1, sizeof *k);
    if (!k)
        goto oom;
    k->n = n;
    k->want_ttl = ttl;
    k->name = strdup(name);
    k->url = strdup(url);
    k->metadata = metadata ? json_deep_copy(metadata) : json_object();
    if (!k->name || !k->url || !k->metadata || !sync_init(k)) {
        json_decref(k->metadata);
        free(k->name);
        free(k->url);
        free(k);
        goto oom;
    }
    unsigned granted = ttl;
    int rc = n->ops->register_endpoint(n, name, url, k->metadata, &granted, err);
    if (rc != COIL_OK) {
        keeper_free(k);
        return rc;
    }
    k->ttl = granted ? granted : (ttl ? ttl : 1);
    k->stats.registrations = 1;
    if (pthread_create(&k->thread, NULL, keeper_main, k) != 0) {
        coil_error *ignored = NULL;
        n->ops->unregister(n, name, url, &ignored);
        coil_error_free(ignored);
        keeper_free(k);
        goto oom;
    }
    *out = k;
    return COIL_OK;
oom:
    if (err && !*err)
        *err = coil_error_new(COIL_ENOMEM, "out of memory registering '%s'", name);
    return COIL_ENOMEM;
}

void coil__naming_keeper_stats_get(coil__naming_keeper *k, coil__naming_keeper_stats *out)
{
    pthread_mutex_lock(&k->lock);
    *out = k->stats;
    pthread_mutex_unlock(&k->lock);
}

void coil__naming_keeper_stop(coil__naming_keeper *k, bool unregister)
{
    if (!k)
        return;
    pthread_mutex_lock(&k->lock);
    k->stopping = true;
    pthread_cond_signal(&k->wake);
    pthread_mutex_unlock(&k->lock);
    pthread_join(k->thread, NULL);
    if (unregister) {
        coil_error *ignored = NULL;
        k->n->ops->unregister(k->n, k->name, k->url, &ignored);
        coil_error_free(ignored);
    }
    keeper_free(k);
}

/* ---- Resolver ---------------------------------------------------------------- */

struct coil__naming_resolver {
    coil__naming *n;
    char *name;
    double refresh;
    coil__endpoints *eps;
    pthread_mutex_t lock;      /* guards the fields below */
    bool looking;              /* a thread is looking up now */
    bool have_list;            /* a lookup has worked */
    double fresh_until;
};

coil__naming_resolver *coil__naming_resolver_new(coil__naming *n, const char *name,
                                                 double refresh, coil__endpoints *eps)
{
    coil__naming_resolver *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->n = n;
    r->refresh = refresh > 0 ? refresh : 1.0;
    r->eps = eps;
    if (!(r->name = strdup(name)) || pthread_mutex_init(&r->lock, NULL) != 0) {
        free(r->name);
        free(r);
        return NULL;
    }
    return r;
}

void coil__naming_resolver_free(coil__naming_resolver *r)
{
    if (!r)
        return;
    pthread_mutex_destroy(&r->lock);
    free(r->name);
    free(r);
}

int coil__naming_resolver_update(coil__naming_resolver *r, double now, bool stale,
                                 coil_error **err)
{
    pthread_mutex_lock(&r->lock);
    bool due = !r->have_list || stale || now >= r->fresh_until;
    if (!due || (r->looking && r->have_list)) {
        pthread_mutex_unlock(&r->lock);
        return COIL_OK; /* fresh, or another thread is at it: use what there is */
    }
    /* Without any list yet, every caller looks up (none has anything to
     * go on with); otherwise one does. */
    r->looking = true;
    pthread_mutex_unlock(&r->lock);

    coil__naming_entries found = { 0, NULL };
    coil_error *lookup_err = NULL;
    int rc = r->n->ops->lookup(r->n, r->name, &found, &lookup_err);
    if (rc == COIL_OK) {
        const char **urls = calloc(found.count ? found.count : 1, sizeof *urls);
        if (!urls) {
            rc = COIL_ENOMEM;
        } else {
            for (size_t i = 0; i < found.count; i++)
                urls[i] = found.items[i].url;
            rc = coil__endpoints_set(r->eps, urls, found.count);
            free(urls);
        }
        coil__naming_entries_free(&found);
    }

    pthread_mutex_lock(&r->lock);
    r->looking = false;
    if (rc == COIL_OK)
        r->have_list = true;
    /* A failed lookup is not tried again before the refresh period either
     * (unless a caller finds the list stale): a name server that is down
     * must not add a timeout to every call while the old list works. */
    if (r->have_list)
        r->fresh_until = now + r->refresh;
    bool usable = r->have_list;
    pthread_mutex_unlock(&r->lock);

    if (rc == COIL_OK || usable) {
        coil_error_free(lookup_err);
        return COIL_OK;
    }
    if (err && !*err) {
        *err = lookup_err;
        lookup_err = NULL;
    }
    coil_error_free(lookup_err);
    if (err && !*err)
        *err = coil_error_new(COIL_ENOMEM, "out of memory looking up '%s'", r->name);
    return rc;
}
