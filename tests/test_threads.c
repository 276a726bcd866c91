/* coil_get / coil_release / coil_definitions from many threads at once.
 * Threads start together on a barrier; nothing sleeps. */
#include "support/support.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define NTHREADS 8

struct shared {
    coil_context *ctx;
    pthread_barrier_t barrier;
    const char *names[NTHREADS];
    void *got[NTHREADS];
    int failures[NTHREADS];
    int rounds;
};

struct arg { struct shared *sh; int index; };

static void *get_one(void *p) {
    struct arg *a = p;
    pthread_barrier_wait(&a->sh->barrier);
    coil_error *err = NULL;
    a->sh->got[a->index] = coil_get(a->sh->ctx, a->sh->names[a->index], NULL, &err);
    if (err) {
        a->sh->failures[a->index]++;
        coil_error_free(err);
    }
    return NULL;
}

static void run_threads(struct shared *sh, void *(*fn)(void *)) {
    pthread_t th[NTHREADS];
    struct arg args[NTHREADS];
    cr_assert_eq(pthread_barrier_init(&sh->barrier, NULL, NTHREADS), 0);
    for (int k = 0; k < NTHREADS; k++) {
        args[k] = (struct arg){ sh, k };
        cr_assert_eq(pthread_create(&th[k], NULL, fn, &args[k]), 0);
    }
    for (int k = 0; k < NTHREADS; k++)
        pthread_join(th[k], NULL);
    pthread_barrier_destroy(&sh->barrier);
}

CTEST_X(threads, lazy_singleton_created_exactly_once, .timeout = 60) {
    for (int round = 0; round < 20; round++) {
        coil_context *ctx = LOAD_OK("objects:\n"
                                    "  - object: slow\n"
                                    "    class: slow\n"
                                    "    lazy-init: true\n"
                                    "    properties: {id: 1}\n");
        int before = slow_creations();
        struct shared sh = { .ctx = ctx };
        for (int k = 0; k < NTHREADS; k++)
            sh.names[k] = "slow";
        run_threads(&sh, get_one);
        cr_assert_eq(slow_creations() - before, 1, "round %d: created %d times", round,
                     slow_creations() - before);
        for (int k = 0; k < NTHREADS; k++) {
            cr_assert_eq(sh.failures[k], 0, "round %d thread %d failed", round, k);
            cr_assert_not_null(sh.got[k]);
            cr_assert_eq(sh.got[k], sh.got[0], "round %d: thread %d got another instance", round, k);
        }
        cr_assert_eq(((slow *)sh.got[0])->id, 1);
        coil_close(ctx);
    }
}

CTEST_X(threads, shared_lazy_dependency_created_once, .timeout = 60) {
    for (int round = 0; round < 20; round++) {
        tlog_reset();
        char yaml[4096];
        size_t len = (size_t)snprintf(yaml, sizeof yaml,
                                      "objects:\n"
                                      "  - object: shared\n"
                                      "    class: recorder\n"
                                      "    lazy-init: true\n"
                                      "    properties: {name: shared}\n");
        for (int k = 0; k < NTHREADS; k++)
            len += (size_t)snprintf(yaml + len, sizeof yaml - len,
                                    "  - object: l%d\n"
                                    "    class: recorder\n"
                                    "    lazy-init: true\n"
                                    "    properties: {name: l%d, first: {ref: shared}}\n", k, k);
        coil_context *ctx = LOAD_OK(yaml);
        static const char *names[NTHREADS] = { "l0", "l1", "l2", "l3", "l4", "l5", "l6", "l7" };
        struct shared sh = { .ctx = ctx };
        for (int k = 0; k < NTHREADS; k++)
            sh.names[k] = names[k];
        run_threads(&sh, get_one);
        cr_assert_eq(recorder_live(), NTHREADS + 1);
        recorder *shared = GET_OK(ctx, "shared", NULL);
        for (int k = 0; k < NTHREADS; k++) {
            cr_assert_not_null(sh.got[k], "thread %d", k);
            cr_assert_eq(((recorder *)sh.got[k])->first, shared);
        }
        const char *log = tlog_get();
        cr_assert_eq(strncmp(log, "init:shared ", 12), 0, "round %d: %s", round, log);
        cr_assert_null(strstr(log + 1, "init:shared"), "round %d: created twice: %s", round, log);
        cr_assert_null(strstr(log, "early:"), "round %d: used before init: %s", round, log);
        coil_close(ctx);
        cr_assert_eq(recorder_live(), 0);
        cr_assert_not_null(strstr(tlog_get(), "destroy:shared"));
        /* shared was created first, so it is destroyed last. */
        const char *last = strrchr(tlog_get(), ' ');
        cr_assert_str_eq(last, " destroy:shared", "%s", tlog_get());
    }
}

#define PER_THREAD 50

static void *get_prototypes(void *p) {
    struct arg *a = p;
    void *mine[PER_THREAD];
    pthread_barrier_wait(&a->sh->barrier);
    for (int k = 0; k < PER_THREAD; k++) {
        mine[k] = coil_get(a->sh->ctx, "proto", NULL, NULL);
        if (!mine[k])
            a->sh->failures[a->index]++;
        size_t n = 0;
        if (!coil_definitions(a->sh->ctx, &n) || n != 2)
            a->sh->failures[a->index]++;
    }
    for (int k = 0; k < PER_THREAD; k++)
        for (int j = 0; j < k; j++)
            if (mine[k] == mine[j])
                a->sh->failures[a->index]++;
    /* Release half now, the rest is left for coil_close. */
    for (int k = 0; k < PER_THREAD; k += 2)
        if (mine[k] && coil_release(a->sh->ctx, mine[k]) != 0)
            a->sh->failures[a->index]++;
    return NULL;
}

CTEST_X(threads, prototypes_from_many_threads, .timeout = 60) {
    coil_context *ctx = LOAD_OK("objects:\n"
                                "  - object: proto\n"
                                "    class: counted\n"
                                "    scope: prototype\n"
                                "    properties: {n: 3}\n"
                                "  - object: single\n"
                                "    class: counted\n");
    cr_assert_eq(counted_live(), 1);
    struct shared sh = { .ctx = ctx };
    run_threads(&sh, get_prototypes);
    for (int k = 0; k < NTHREADS; k++)
        cr_assert_eq(sh.failures[k], 0, "thread %d: %d failures", k, sh.failures[k]);
    cr_assert_eq(counted_live(), 1 + NTHREADS * PER_THREAD / 2);
    coil_close(ctx);
    cr_assert_eq(counted_live(), 0);
}

static void *get_many_names(void *p) {
    struct arg *a = p;
    static const char *names[] = { "e", "l", "alias_l", "proto", "ghost" };
    pthread_barrier_wait(&a->sh->barrier);
    for (int r = 0; r < 200; r++) {
        const char *name = names[(r + a->index) % 5];
        coil_error *err = NULL;
        void *o = coil_get(a->sh->ctx, name, NULL, &err);
        bool ok = strcmp(name, "ghost") == 0 ? (o == NULL && err && err->code == COIL_ENOTFOUND)
                                             : (o != NULL && err == NULL);
        if (!ok)
            a->sh->failures[a->index]++;
        coil_error_free(err);
        if (o && strcmp(name, "proto") == 0 && coil_release(a->sh->ctx, o) != 0)
            a->sh->failures[a->index]++;
    }
    return NULL;
}

CTEST_X(threads, mixed_gets_and_releases, .timeout = 60) {
    coil_context *ctx = LOAD_OK("objects:\n"
                                "  - object: e\n"
                                "    class: counted\n"
                                "  - object: l\n"
                                "    class: counted\n"
                                "    lazy-init: true\n"
                                "    alias: alias_l\n"
                                "  - object: proto\n"
                                "    class: counted\n"
                                "    scope: prototype\n");
    struct shared sh = { .ctx = ctx };
    run_threads(&sh, get_many_names);
    for (int k = 0; k < NTHREADS; k++)
        cr_assert_eq(sh.failures[k], 0, "thread %d: %d failures", k, sh.failures[k]);
    cr_assert_eq(counted_live(), 2, "e and l remain; every prototype was released");
    coil_close(ctx);
    cr_assert_eq(counted_live(), 0);
}
