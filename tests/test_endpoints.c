/* Endpoint selection (remoting/endpoints.c): balancing, back-off and
 * failover bookkeeping, list replacement, many threads at once. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "coil/error.h"
#include "remoting/endpoints.h"
#include "support/itest.h"

static const char *const three[] = { "http://a/", "http://b/", "http://c/" };

static int index_of(const char *url)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(url, three[i]) == 0)
            return i;
    return -1;
}

ITEST(endpoints, empty_set_picks_nothing) {
    coil__endpoints *e = coil__endpoints_new(COIL__BALANCE_ROUND_ROBIN, 1.0);
    cr_assert_not_null(e);
    cr_assert_eq(coil__endpoints_count(e), 0);
    cr_assert_null(coil__endpoints_pick(e, 0, NULL, 0));
    coil__endpoints_free(e);
}

ITEST(endpoints, round_robin_goes_round_in_order) {
    coil__endpoints *e = coil__endpoints_new(COIL__BALANCE_ROUND_ROBIN, 1.0);
    cr_assert_eq(coil__endpoints_set(e, three, 3), COIL_OK);
    for (int i = 0; i < 9; i++) {
        char *u = coil__endpoints_pick(e, 0, NULL, 0);
        cr_assert_str_eq(u, three[i % 3]);
        free(u);
    }
    coil__endpoints_free(e);
}

ITEST(endpoints, random_reaches_every_endpoint) {
    coil__endpoints *e = coil__endpoints_new(COIL__BALANCE_RANDOM, 1.0);
    cr_assert_eq(coil__endpoints_set(e, three, 3), COIL_OK);
    int seen[3] = { 0 };
    for (int i = 0; i < 300; i++) {
        char *u = coil__endpoints_pick(e, 0, NULL, 0);
        int k = index_of(u);
        cr_assert_geq(k, 0);
        seen[k]++;
        free(u);
    }
    for (int k = 0; k < 3; k++)
        cr_assert_gt(seen[k], 30, "endpoint %d picked %d times of 300", k, seen[k]);
    coil__endpoints_free(e);
}

ITEST(endpoints, duplicates_count_once) {
    const char *urls[] = { "http://a/", "http://a/", "http://b/" };
    coil__endpoints *e = coil__endpoints_new(COIL__BALANCE_ROUND_ROBIN, 1.0);
    cr_assert_eq(coil__endpoints_set(e, urls, 3), COIL_OK);
    cr_assert_eq(coil__endpoints_count(e), 2);
    coil__endpoints_free(e);
}

ITEST(endpoints, a_failed_endpoint_is_skipped_until_its_backoff_ends) {
    coil__endpoints *e = coil__endpoints_new(COIL__BALANCE_ROUND_ROBIN, 2.0);
    coil__endpoints_set(e, three, 3);
    coil__endpoints_failed(e, "http://b/", 100.0);
    cr_assert(coil__endpoints_backing_off(e, "http://b/", 101.0));
    for (int i = 0; i < 6; i++) {
        char *u = coil__endpoints_pick(e, 101.0, NULL, 0);
        cr_assert_str_neq(u, "http://b/", "pick %d", i);
        free(u);
    }
    /* After the back-off it is back in the rotation. */
    cr_assert_not(coil__endpoints_backing_off(e, "http://b/", 102.0));
    int seen_b = 0;
    for (int i = 0; i < 3; i++) {
        char *u = coil__endpoints_pick(e, 102.0, NULL, 0);
        seen_b += strcmp(u, "http://b/") == 0;
        free(u);
    }
    cr_assert_eq(seen_b, 1);
    coil__endpoints_free(e);
}

ITEST(endpoints, backoff_doubles_with_failures_in_a_row_and_success_resets_it) {
    coil__endpoints *e = coil__endpoints_new(COIL__BALANCE_ROUND_ROBIN, 1.0);
    coil__endpoints_set(e, three, 3);
    coil__endpoints_failed(e, "http://a/", 0.0);   /* 1 s */
    cr_assert_not(coil__endpoints_backing_off(e, "http://a/", 1.0));
    coil__endpoints_failed(e, "http://a/", 1.0);   /* 2 s */
    cr_assert(coil__endpoints_backing_off(e, "http://a/", 2.5));
    cr_assert_not(coil__endpoints_backing_off(e, "http://a/", 3.0));
    for (int i = 0; i < 10; i++)
        coil__endpoints_failed(e, "http://a/", 10.0);
    cr_assert(coil__endpoints_backing_off(e, "http://a/", 17.9), "capped at 8x");
    cr_assert_not(coil__endpoints_backing_off(e, "http://a/", 18.0), "capped at 8x");
    coil__endpoints_succeeded(e, "http://a/");
    cr_assert_not(coil__endpoints_backing_off(e, "http://a/", 10.0));
    coil__endpoints_failed(e, "http://a/", 10.0);
    cr_assert_not(coil__endpoints_backing_off(e, "http://a/", 11.0), "back to 1 s");
    coil__endpoints_free(e);
}

ITEST(endpoints, a_call_tries_each_endpoint_once_even_when_all_back_off) {
    coil__endpoints *e = coil__endpoints_new(COIL__BALANCE_ROUND_ROBIN, 5.0);
    coil__endpoints_set(e, three, 3);
    coil__endpoints_failed(e, "http://a/", 0.0);
    coil__endpoints_failed(e, "http://c/", 1.0);
    coil__endpoints_failed(e, "http://b/", 2.0);
    char *tried[3] = { NULL, NULL, NULL };
    /* Every one is backing off: the soonest to end comes first. */
    for (int i = 0; i < 3; i++) {
        tried[i] = coil__endpoints_pick(e, 3.0, tried, (size_t)i);
        cr_assert_not_null(tried[i]);
    }
    cr_assert_str_eq(tried[0], "http://a/");
    cr_assert_str_eq(tried[1], "http://c/");
    cr_assert_str_eq(tried[2], "http://b/");
    cr_assert_null(coil__endpoints_pick(e, 3.0, tried, 3), "all tried");
    for (int i = 0; i < 3; i++)
        free(tried[i]);
    coil__endpoints_free(e);
}

ITEST(endpoints, replacing_the_list_keeps_the_state_of_endpoints_that_stay) {
    coil__endpoints *e = coil__endpoints_new(COIL__BALANCE_ROUND_ROBIN, 10.0);
    coil__endpoints_set(e, three, 3);
    coil__endpoints_failed(e, "http://b/", 0.0);
    coil__endpoints_failed(e, "http://c/", 0.0);
    const char *next[] = { "http://b/", "http://d/" };
    cr_assert_eq(coil__endpoints_set(e, next, 2), COIL_OK);
    cr_assert_eq(coil__endpoints_count(e), 2);
    cr_assert(coil__endpoints_backing_off(e, "http://b/", 1.0), "b stayed: still backing off");
    cr_assert_not(coil__endpoints_backing_off(e, "http://c/", 1.0), "c is gone");
    char *u = coil__endpoints_pick(e, 1.0, NULL, 0);
    cr_assert_str_eq(u, "http://d/");
    free(u);
    /* Reports about URLs no longer listed are ignored. */
    coil__endpoints_failed(e, "http://a/", 1.0);
    coil__endpoints_succeeded(e, "http://c/");
    cr_assert_eq(coil__endpoints_count(e), 2);
    coil__endpoints_set(e, NULL, 0);
    cr_assert_null(coil__endpoints_pick(e, 1.0, NULL, 0));
    coil__endpoints_free(e);
}

typedef struct worker_arg {
    coil__endpoints *e;
    int counts[3];
} worker_arg;

static void *worker(void *p)
{
    worker_arg *w = p;
    for (int i = 0; i < 3000; i++) {
        char *u = coil__endpoints_pick(w->e, 0, NULL, 0);
        int k = u ? index_of(u) : -1;
        if (k >= 0)
            w->counts[k]++;
        if (u && i % 7 == 0)
            coil__endpoints_succeeded(w->e, u);
        if (i % 500 == 0)
            coil__endpoints_set(w->e, three, 3);
        free(u);
    }
    return NULL;
}

ITEST(endpoints, many_threads_share_one_set) {
    coil__endpoints *e = coil__endpoints_new(COIL__BALANCE_ROUND_ROBIN, 1.0);
    coil__endpoints_set(e, three, 3);
    pthread_t t[8];
    worker_arg w[8];
    for (int i = 0; i < 8; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].e = e;
        cr_assert_eq(pthread_create(&t[i], NULL, worker, &w[i]), 0);
    }
    int total[3] = { 0 };
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        for (int k = 0; k < 3; k++)
            total[k] += w[i].counts[k];
    }
    cr_assert_eq(total[0] + total[1] + total[2], 8 * 3000);
    for (int k = 0; k < 3; k++)
        cr_assert_gt(total[k], 8 * 3000 / 3 - 8 * 3000 / 10, "endpoint %d: %d", k, total[k]);
    coil__endpoints_free(e);
}
