/* Keepers and resolvers (remoting/naming_client.c) over a fake naming
 * backend whose state and failures the tests control: registration at
 * start, renewal on a timer, registering again when the backend lost the
 * registration, retrying after failures, unregistering at stop; cached
 * lookups, refresh, keeping the last good list, one lookup at a time. */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "remoting/naming_client.h"
#include "support/itest.h"

/* ---- A fake backend ----------------------------------------------------------- */

typedef struct fake {
    coil__naming base;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    bool registered;
    json_t *metadata;
    int fail_code;            /* every call fails with it when non-zero */
    bool forget;              /* the next renew answers COIL_ENOTFOUND */
    unsigned ttl;             /* granted */
    unsigned long registers, renews, unregisters, lookups, failed;
    const char *urls[4];
    size_t nurls;
} fake;

static fake *fake_of(coil__naming *n) { return (fake *)n; }

/* Called with f->lock held. */
static int fake_fail(fake *f, coil_error **err)
{
    f->failed++;
    if (err && !*err)
        *err = coil_error_new((coil_code)f->fail_code, "fake backend down");
    return f->fail_code;
}

static int fake_register(coil__naming *n, const char *name, const char *url,
                         const json_t *metadata, unsigned *ttl, coil_error **err)
{
    (void)name, (void)url;
    fake *f = fake_of(n);
    pthread_mutex_lock(&f->lock);
    int rc = COIL_OK;
    if (f->fail_code) {
        rc = fake_fail(f, err);
    } else {
        f->registered = true;
        json_decref(f->metadata);
        f->metadata = json_deep_copy(metadata);
        f->registers++;
        *ttl = f->ttl;
    }
    pthread_cond_broadcast(&f->changed);
    pthread_mutex_unlock(&f->lock);
    return rc;
}

static int fake_renew(coil__naming *n, const char *name, const char *url, unsigned *ttl,
                      coil_error **err)
{
    (void)name, (void)url;
    fake *f = fake_of(n);
    pthread_mutex_lock(&f->lock);
    int rc = COIL_OK;
    if (f->fail_code) {
        rc = fake_fail(f, err);
    } else if (f->forget || !f->registered) {
        f->forget = false;
        f->registered = false;
        *err = coil_error_new(COIL_ENOTFOUND, "no such registration");
        rc = COIL_ENOTFOUND;
    } else {
        f->renews++;
        *ttl = f->ttl;
    }
    pthread_cond_broadcast(&f->changed);
    pthread_mutex_unlock(&f->lock);
    return rc;
}

static int fake_unregister(coil__naming *n, const char *name, const char *url, coil_error **err)
{
    (void)name, (void)url;
    fake *f = fake_of(n);
    pthread_mutex_lock(&f->lock);
    int rc = COIL_OK;
    if (f->fail_code) {
        rc = fake_fail(f, err);
    } else {
        f->registered = false;
        f->unregisters++;
    }
    pthread_cond_broadcast(&f->changed);
    pthread_mutex_unlock(&f->lock);
    return rc;
}

static int fake_lookup(coil__naming *n, const char *name, coil__naming_entries *out,
                       coil_error **err)
{
    fake *f = fake_of(n);
    pthread_mutex_lock(&f->lock);
    f->lookups++;
    int rc = COIL_OK;
    if (f->fail_code) {
        rc = fake_fail(f, err);
    } else {
        out->count = f->nurls;
        out->items = calloc(f->nurls ? f->nurls : 1, sizeof *out->items);
        for (size_t i = 0; i < f->nurls; i++) {
            out->items[i].name = strdup(name);
            out->items[i].url = strdup(f->urls[i]);
            out->items[i].metadata = json_object();
        }
    }
    pthread_mutex_unlock(&f->lock);
    return rc;
}

static int fake_list(coil__naming *n, const char *prefix, coil__naming_entries *out,
                     coil_error **err)
{
    return fake_lookup(n, prefix, out, err);
}

static void fake_close(coil__naming *n) { (void)n; }

static const coil__naming_ops fake_ops = {
    fake_register, fake_renew, fake_unregister, fake_lookup, fake_list, fake_close,
};

static void fake_init(fake *f, unsigned ttl)
{
    memset(f, 0, sizeof *f);
    f->base.ops = &fake_ops;
    f->ttl = ttl;
    pthread_mutex_init(&f->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&f->changed, &ca);
    pthread_condattr_destroy(&ca);
}

static void fake_fini(fake *f)
{
    json_decref(f->metadata);
    pthread_cond_destroy(&f->changed);
    pthread_mutex_destroy(&f->lock);
}

/* Waits (on the fake's condition, up to `seconds`) until `counter` reaches
 * `want`; returns whether it did. */
static bool wait_count(fake *f, unsigned long *counter, unsigned long want, double seconds)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)seconds + 1;
    pthread_mutex_lock(&f->lock);
    int rc = 0;
    while (*counter < want && rc == 0)
        rc = pthread_cond_timedwait(&f->changed, &f->lock, &until);
    bool ok = *counter >= want;
    pthread_mutex_unlock(&f->lock);
    return ok;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- Keeper ---------------------------------------------------------------------- */

ITEST(keeper, registers_at_start_renews_and_unregisters_at_stop) {
    fake f;
    fake_init(&f, 1); /* renewals every third of a second */
    json_t *meta = json_pack("{s:s}", "zone", "a");
    coil__naming_keeper *k = NULL;
    coil_error *err = NULL;
    cr_assert_eq(coil__naming_keeper_start(&f.base, "svc", "http://127.0.0.1:1/", meta, 0, &k,
                                           &err), COIL_OK);
    json_decref(meta);
    cr_assert_null(err);
    cr_assert_eq(f.registers, 1);
    cr_assert_str_eq(json_string_value(json_object_get(f.metadata, "zone")), "a");
    cr_assert(wait_count(&f, &f.renews, 2, 3.0), "renewed on a timer");
    /* The keeper counts a renewal once the backend's renew has returned,
     * a moment after the fake counted it. */
    coil__naming_keeper_stats st;
    double deadline = now_s() + 3.0;
    do {
        coil__naming_keeper_stats_get(k, &st);
    } while (st.renewals < 2 && now_s() < deadline && sched_yield() == 0);
    cr_assert_geq(st.renewals, 2);
    cr_assert_eq(st.registrations, 1);
    coil__naming_keeper_stop(k, true);
    cr_assert_eq(f.unregisters, 1);
    cr_assert_not(f.registered);
    fake_fini(&f);
}

ITEST(keeper, a_failing_first_registration_is_the_error) {
    fake f;
    fake_init(&f, 1);
    f.fail_code = COIL_ECONNECT;
    coil__naming_keeper *k = (void *)1;
    coil_error *err = NULL;
    cr_assert_eq(coil__naming_keeper_start(&f.base, "svc", "http://127.0.0.1:1/", NULL, 0, &k,
                                           &err), COIL_ECONNECT);
    cr_assert_null(k);
    cr_assert_not_null(err);
    cr_assert_str_eq(err->message, "fake backend down");
    coil_error_free(err);
    fake_fini(&f);
}

ITEST(keeper, registers_again_when_the_backend_lost_it) {
    fake f;
    fake_init(&f, 1);
    coil__naming_keeper *k = NULL;
    coil_error *err = NULL;
    cr_assert_eq(coil__naming_keeper_start(&f.base, "svc", "http://127.0.0.1:1/", NULL, 0, &k,
                                           &err), COIL_OK);
    pthread_mutex_lock(&f.lock);
    f.forget = true; /* as a name server restarted without a store */
    pthread_mutex_unlock(&f.lock);
    cr_assert(wait_count(&f, &f.registers, 2, 3.0), "registered again");
    cr_assert(f.registered);
    coil__naming_keeper_stop(k, false);
    cr_assert_eq(f.unregisters, 0, "stop(unregister=false) leaves the lease to run out");
    fake_fini(&f);
}

ITEST(keeper, retries_after_failures_until_the_backend_is_back) {
    fake f;
    fake_init(&f, 1);
    coil__naming_keeper *k = NULL;
    coil_error *err = NULL;
    cr_assert_eq(coil__naming_keeper_start(&f.base, "svc", "http://127.0.0.1:1/", NULL, 0, &k,
                                           &err), COIL_OK);
    pthread_mutex_lock(&f.lock);
    f.fail_code = COIL_ETIMEOUT;
    f.registered = false; /* and it lost the registration meanwhile */
    pthread_mutex_unlock(&f.lock);
    /* The keeper counts a failure after the call returns: once a third
     * call has reached the backend, two have been counted. */
    cr_assert(wait_count(&f, &f.failed, 3, 5.0), "retried");
    coil__naming_keeper_stats st;
    coil__naming_keeper_stats_get(k, &st);
    cr_assert_geq(st.failures, 2);
    cr_assert_eq(st.last_code, COIL_ETIMEOUT);
    pthread_mutex_lock(&f.lock);
    f.fail_code = 0;
    pthread_mutex_unlock(&f.lock);
    cr_assert(wait_count(&f, &f.registers, 2, 3.0), "registered once the backend was back");
    coil__naming_keeper_stop(k, true);
    fake_fini(&f);
}

ITEST(keeper, stop_is_prompt_with_a_long_lease) {
    fake f;
    fake_init(&f, 3600);
    coil__naming_keeper *k = NULL;
    coil_error *err = NULL;
    cr_assert_eq(coil__naming_keeper_start(&f.base, "svc", "http://127.0.0.1:1/", NULL, 0, &k,
                                           &err), COIL_OK);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    coil__naming_keeper_stop(k, true);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    cr_assert_lt(took, 1.0, "stop took %.3f s", took);
    cr_assert_eq(f.renews, 0);
    fake_fini(&f);
}

/* ---- Resolver -------------------------------------------------------------------- */

ITEST(resolver, looks_up_once_then_after_the_refresh_period) {
    fake f;
    fake_init(&f, 1);
    f.urls[0] = "http://127.0.0.1:1/";
    f.urls[1] = "http://127.0.0.1:2/";
    f.nurls = 2;
    coil__endpoints *eps = coil__endpoints_new(COIL__BALANCE_ROUND_ROBIN, 1.0);
    coil__naming_resolver *r = coil__naming_resolver_new(&f.base, "svc", 10.0, eps);
    coil_error *err = NULL;
    cr_assert_eq(coil__naming_resolver_update(r, 100.0, false, &err), COIL_OK);
    cr_assert_eq(coil__endpoints_count(eps), 2);
    cr_assert_eq(coil__naming_resolver_update(r, 105.0, false, &err), COIL_OK);
    cr_assert_eq(f.lookups, 1, "fresh: no lookup");
    f.urls[2] = "http://127.0.0.1:3/";
    f.nurls = 3;
    cr_assert_eq(coil__naming_resolver_update(r, 110.0, false, &err), COIL_OK);
    cr_assert_eq(f.lookups, 2);
    cr_assert_eq(coil__endpoints_count(eps), 3, "a new server is picked up");
    cr_assert_eq(coil__naming_resolver_update(r, 111.0, true, &err), COIL_OK);
    cr_assert_eq(f.lookups, 3, "stale: looked up at once");
    cr_assert_null(err);
    coil__naming_resolver_free(r);
    coil__endpoints_free(eps);
    fake_fini(&f);
}

ITEST(resolver, keeps_the_last_good_list_while_the_backend_is_down) {
    fake f;
    fake_init(&f, 1);
    f.urls[0] = "http://127.0.0.1:1/";
    f.nurls = 1;
    coil__endpoints *eps = coil__endpoints_new(COIL__BALANCE_ROUND_ROBIN, 1.0);
    coil__naming_resolver *r = coil__naming_resolver_new(&f.base, "svc", 10.0, eps);
    coil_error *err = NULL;
    cr_assert_eq(coil__naming_resolver_update(r, 0.0, false, &err), COIL_OK);
    f.fail_code = COIL_ECONNECT;
    cr_assert_eq(coil__naming_resolver_update(r, 20.0, false, &err), COIL_OK);
    cr_assert_null(err);
    cr_assert_eq(coil__endpoints_count(eps), 1, "the old list stays");
    cr_assert_eq(coil__naming_resolver_update(r, 25.0, false, &err), COIL_OK);
    cr_assert_eq(f.lookups, 2, "a failed lookup waits for the refresh period too");
    coil__naming_resolver_free(r);
    coil__endpoints_free(eps);
    fake_fini(&f);
}

ITEST(resolver, without_any_list_the_lookup_error_comes_back) {
    fake f;
    fake_init(&f, 1);
    f.fail_code = COIL_ECONNECT;
    coil__endpoints *eps = coil__endpoints_new(COIL__BALANCE_ROUND_ROBIN, 1.0);
    coil__naming_resolver *r = coil__naming_resolver_new(&f.base, "svc", 10.0, eps);
    coil_error *err = NULL;
    cr_assert_eq(coil__naming_resolver_update(r, 0.0, false, &err), COIL_ECONNECT);
    cr_assert_not_null(err);
    cr_assert_str_eq(err->message, "fake backend down");
    coil_error_free(err);
    err = NULL;
    cr_assert_eq(coil__naming_resolver_update(r, 0.5, false, &err), COIL_ECONNECT,
                 "with nothing to go on, every call looks up");
    coil_error_free(err);
    err = NULL;
    f.fail_code = 0;
    cr_assert_eq(coil__naming_resolver_update(r, 1.0, false, &err), COIL_OK);
    cr_assert_eq(coil__endpoints_count(eps), 0, "an empty result is a list");
    coil__naming_resolver_free(r);
    coil__endpoints_free(eps);
    fake_fini(&f);
}
