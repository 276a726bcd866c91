/* coil.http-proxy with several endpoints (remoting/http_proxy.c): `urls`,
 * and `name` with `naming` (a name server by URL, an object by ref, etcd);
 * balancing (round-robin, random), failover with back-off, the retry rule
 * (idempotent methods after any transport failure, the others only when
 * the request never reached a server), the whole call within `timeout`,
 * lookups cached for `refresh` and kept while the backend is gone, eight
 * threads on one proxy, and every configuration mistake with its message.
 *
 * The servers are in-process exporters of a `counter` service (the calc
 * interface of data/iface/calc.yaml: `add` is idempotent, `greet` is not,
 * `note` is oneway) that counts the calls each server ran. Each listens on
 * an address of its own (127.0.0.11, .12, ...: an exporter on port 0 of a
 * host shares that host's server) at an ephemeral port. A "dropper" is a
 * plain socket that reads a request and closes the connection without a
 * reply. Waits are for time-based behaviour (a refresh period, a back-off)
 * or polls of a condition against a deadline; nothing else sleeps. */
#include "support/support.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "calc.h"
#include "coil/remoting.h"
#include "etcd_fixture.h"
#include "remoting/naming_iface.h"

/* ---- Time ------------------------------------------------------------------ */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Lets time pass for a time-based behaviour (a refresh period). */
static void pass_time(double s) {
    struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

#define DEADLINE 20.0 /* seconds a poll may take before the test fails */

/* ---- The counting service ---------------------------------------------------- */

typedef struct counter {
    int64_t id;
    bool hold;                /* add and greet wait until the gate opens */
    atomic_long adds, greets, notes, fails;
} counter;

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_open;

static void gate_wait(const counter *c) {
    if (!c->hold)
        return;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 20;
    pthread_mutex_lock(&gate_lock);
    while (!gate_open)
        if (pthread_cond_timedwait(&gate_cond, &gate_lock, &until) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&gate_lock);
}

static void gate_release(void) {
    pthread_mutex_lock(&gate_lock);
    gate_open = true;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
}

static int c_add(void *self, int64_t a, int64_t b, int64_t *result, coil_error **err) {
    (void)err;
    counter *c = self;
    atomic_fetch_add(&c->adds, 1);
    gate_wait(c);
    *result = a + b + c->id;
    return 0;
}

static int c_greet(void *self, const char *name, const char *title, char **result,
                   coil_error **err) {
    (void)title;
    (void)err;
    counter *c = self;
    atomic_fetch_add(&c->greets, 1);
    gate_wait(c);
    size_t n = strlen(name) + 8;
    *result = malloc(n);
    snprintf(*result, n, "Hello, %s", name);
    return 0;
}

static int c_note(void *self, const char *text, coil_error **err) {
    (void)text;
    (void)err;
    atomic_fetch_add(&((counter *)self)->notes, 1);
    return 0;
}

static int c_fail(void *self, int64_t code, coil_error **err) {
    atomic_fetch_add(&((counter *)self)->fails, 1);
    *err = coil_error_new((coil_code)code, "failing on purpose with %lld", (long long)code);
    return (int)code;
}

static const calc_ops counter_ops = { .add = c_add, .greet = c_greet, .note = c_note,
                                      .fail = c_fail };
static const coil_property counter_props[] = {
    { .name = "id", .type = COIL_T_INT, .offset = offsetof(counter, id) },
    { .name = "hold", .type = COIL_T_BOOL, .offset = offsetof(counter, hold) },
    COIL_PROPERTIES_END
};
static const coil_implements counter_ifaces[] = { { &calc_interface, &counter_ops },
                                                  COIL_IMPLEMENTS_END };
static const coil_class counter_class = {
    .abi = COIL_ABI_VERSION, .name = "counter", .size = sizeof(counter),
    .properties = counter_props, .implements = counter_ifaces, .flags = COIL_CLASS_THREAD_SAFE,
};

/* ---- Contexts ------------------------------------------------------------------ */

static coil_context *load(const char *yaml, coil_error **err) {
    coil_options *opts = coil_options_new();
    coil_options_add_class(opts, &counter_class);
    coil_context *ctx = coil_load_string(yaml, "app.yaml", opts, err);
    coil_options_free(opts);
    return ctx;
}

static coil_context *load_ok(const char *yaml) {
    coil_error *err = NULL;
    coil_context *ctx = load(yaml, &err);
    cr_assert_not_null(ctx, "the load failed:\n%s\n%s", dump_errors(err), yaml);
    return ctx;
}

/* A context of one coil.http-proxy `calc` of interface calc with the
 * properties `props` (a YAML flow mapping's inside), and `more` objects. */
__attribute__((format(printf, 2, 3)))
static coil_context *proxy_load(const char *more, const char *fmt, ...) {
    char props[2048], yaml[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(props, sizeof props, fmt, ap);
    va_end(ap);
    snprintf(yaml, sizeof yaml,
             "objects:\n"
             "  - object: calc\n"
             "    class: coil.http-proxy\n"
             "    properties: {interface: calc, %s}\n%s",
             props, more ? more : "");
    return load_ok(yaml);
}

/* ---- Servers ------------------------------------------------------------------- */

typedef struct server {
    coil_context *ctx;
    counter *svc;
    char host[32];
    int port;
    char url[128];
} server;

/* A counter with `id` exported at /calc on 127.0.0.<10+id>, port `port`
 * (0: an ephemeral one). */
static void server_start(server *s, int id, int port, bool hold) {
    snprintf(s->host, sizeof s->host, "127.0.0.%d", 10 + id);
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "objects:\n"
             "  - object: svc\n"
             "    class: counter\n"
             "    properties: {id: %d, hold: %s}\n"
             "  - object: exporter\n"
             "    class: coil.http-exporter\n"
             "    properties: {service: {ref: svc}, interface: calc, listen: '%s:%d',\n"
             "                 path: /calc, threads: 2}\n",
             id, hold ? "true" : "false", s->host, port);
    s->ctx = load_ok(yaml);
    s->svc = GET_OK(s->ctx, "svc", &calc_interface);
    const char *url = coil_http_exporter_url(coil_get(s->ctx, "exporter", NULL, NULL));
    cr_assert_not_null(url);
    snprintf(s->url, sizeof s->url, "%s", url);
    const char *colon = strrchr(s->url, ':');
    s->port = atoi(colon + 1);
    cr_assert_gt(s->port, 0, "%s", s->url);
}

static void server_stop(server *s) {
    coil_close(s->ctx);
    s->ctx = NULL;
    s->svc = NULL;
}

/* A URL nothing listens on: a port that was free a moment ago. */
static void refused_url(char *url, size_t size, int id) {
    char host[32];
    snprintf(host, sizeof host, "127.0.0.%d", 10 + id);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET };
    inet_pton(AF_INET, host, &a.sin_addr);
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    snprintf(url, size, "http://%s:%d/calc", host, ntohs(a.sin_port));
}

/* ---- A dropper: reads each request, then closes without a reply ------------- */

typedef struct dropper {
    int fd;
    char url[128];
    pthread_t thread;
    atomic_int requests;    /* requests read */
    char last_method[32];   /* in the last request ("greet", "add") */
} dropper;

/* Reads one HTTP request (headers and a Content-Length body); returns
 * whether it came whole, with its text in buf. */
static bool read_request(int fd, char *buf, size_t size) {
    size_t len = 0;
    for (;;) {
        ssize_t n = recv(fd, buf + len, size - 1 - len, 0);
        if (n <= 0)
            return false;
        len += (size_t)n;
        buf[len] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        const char *cl = strstr(buf, "Content-Length:"); /* as libcurl writes it */
        if (end && cl && len >= (size_t)(end + 4 - buf) + (size_t)atol(cl + 15))
            return true;
        if (len == size - 1)
            return false;
    }
}

static void *dropper_main(void *arg) {
    dropper *d = arg;
    for (;;) {
        int c = accept(d->fd, NULL, NULL);
        if (c < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            return NULL; /* shut down */
        }
        struct timeval tv = { 5, 0 };
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char buf[8192];
        if (read_request(c, buf, sizeof buf)) {
            const char *m = strstr(buf, "\"method\":\"");
            if (m)
                sscanf(m + 10, "%31[^\"]", d->last_method);
            atomic_fetch_add(&d->requests, 1);
        }
        close(c);
    }
}

/* A dropper on 127.0.0.<10+id>, port `port` (0: an ephemeral one). */
static void dropper_start(dropper *d, int id, int port) {
    char host[32];
    snprintf(host, sizeof host, "127.0.0.%d", 10 + id);
    d->fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(d->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    inet_pton(AF_INET, host, &a.sin_addr);
    cr_assert_eq(bind(d->fd, (struct sockaddr *)&a, sizeof a), 0, "bind %s:%d: %s", host, port,
                 strerror(errno));
    cr_assert_eq(listen(d->fd, 64), 0);
    socklen_t len = sizeof a;
    getsockname(d->fd, (struct sockaddr *)&a, &len);
    snprintf(d->url, sizeof d->url, "http://%s:%d/calc", host, ntohs(a.sin_port));
    atomic_init(&d->requests, 0);
    d->last_method[0] = '\0';
    cr_assert_eq(pthread_create(&d->thread, NULL, dropper_main, d), 0);
}

static void dropper_stop(dropper *d) {
    shutdown(d->fd, SHUT_RDWR); /* accept() returns */
    pthread_join(d->thread, NULL);
    close(d->fd);
}

/* ---- Calls ------------------------------------------------------------------------ */

/* add(1, 2) through `calc`, which must work; returns the id of the server
 * that ran it. */
static int64_t add_ok(void *calc) {
    coil_error *err = NULL;
    int64_t sum = -1;
    cr_assert_eq(calc_add(calc, 1, 2, &sum, &err), 0, "add: %s", dump_errors(err));
    return sum - 3;
}

static long adds(const server *s) {
    return atomic_load(&s->svc->adds);
}

/* ---- Balancing over urls ------------------------------------------------------- */

CTEST_X(proxy_failover, round_robin_spreads_calls_evenly, .timeout = 60) {
    server s[3];
    for (int i = 0; i < 3; i++)
        server_start(&s[i], i + 1, 0, false);
    coil_context *ctx = proxy_load(NULL, "urls: ['%s', '%s', '%s']", s[0].url, s[1].url,
                                   s[2].url);
    void *calc = GET_OK(ctx, "calc", &calc_interface);
    int64_t last = 0;
    for (int i = 0; i < 300; i++) {
        int64_t id = add_ok(calc);
        cr_assert(id >= 1 && id <= 3, "add answered by %lld", (long long)id);
        if (i > 0)
            cr_assert_eq(id, last % 3 + 1, "call %d went to %lld after %lld", i, (long long)id,
                         (long long)last);
        last = id;
    }
    for (int i = 0; i < 3; i++)
        cr_assert_eq(adds(&s[i]), 100, "server %d ran %ld calls of 300", i + 1, adds(&s[i]));
    coil_close(ctx);
    for (int i = 0; i < 3; i++)
        server_stop(&s[i]);
}

CTEST_X(proxy_failover, random_reaches_every_server, .timeout = 60) {
    server s[3];
    for (int i = 0; i < 3; i++)
        server_start(&s[i], i + 1, 0, false);
    coil_context *ctx = proxy_load(NULL, "urls: ['%s', '%s', '%s'], balance: random",
                                   s[0].url, s[1].url, s[2].url);
    void *calc = GET_OK(ctx, "calc", &calc_interface);
    for (int i = 0; i < 300; i++)
        add_ok(calc);
    for (int i = 0; i < 3; i++)
        cr_assert_gt(adds(&s[i]), 20, "server %d ran %ld calls of 300", i + 1, adds(&s[i]));
    cr_assert_eq(adds(&s[0]) + adds(&s[1]) + adds(&s[2]), 300);
    coil_close(ctx);
    for (int i = 0; i < 3; i++)
        server_stop(&s[i]);
}

/* ---- Failover ------------------------------------------------------------------ */

/* One server stops during 1000 idempotent calls: none fails. Something
 * that drops every request then takes its port: it is tried again only
 * after its back-off (doubling), not on every call. Then the server comes
 * back on its port and gets calls again. */
CTEST_X(proxy_failover, a_stopped_server_is_skipped_and_tried_again_after_its_backoff,
        .timeout = 60) {
    server s[3];
    for (int i = 0; i < 3; i++)
        server_start(&s[i], i + 1, 0, false);
    coil_context *ctx = proxy_load(NULL, "urls: ['%s', '%s', '%s'], backoff: 0.2, timeout: 10",
                                   s[0].url, s[1].url, s[2].url);
    void *calc = GET_OK(ctx, "calc", &calc_interface);
    long before_stop = 0;
    int port = s[1].port;
    for (int i = 0; i < 1000; i++) {
        if (i == 100) {
            before_stop = adds(&s[1]);
            server_stop(&s[1]);
        }
        int64_t id = add_ok(calc);
        if (i >= 100)
            cr_assert_neq(id, 2, "call %d answered by the stopped server", i);
    }
    cr_assert_eq(before_stop, 33, "calls 1, 4, ..., 97");
    cr_assert_eq(adds(&s[0]) + adds(&s[2]), 1000 - before_stop,
                 "every call ran once: %ld + %ld", adds(&s[0]), adds(&s[2]));

    /* Now every request to the second endpoint is read and dropped: each
     * is one attempt. It is tried again (after its back-off: 0.2 s doubled
     * per failure in a row, at most 1.6 s), but not on every call:
     * round-robin without back-off would try it on every third. */
    dropper d;
    dropper_start(&d, 2, port);
    int calls = 0;
    double deadline = now_s() + DEADLINE;
    while (atomic_load(&d.requests) < 3 && now_s() < deadline) {
        cr_assert_neq(add_ok(calc), 2);
        calls++;
    }
    int tried = atomic_load(&d.requests);
    cr_assert_eq(tried, 3, "the endpoint is tried again after its back-off");
    cr_assert_gt(calls, 30 * tried, "%d attempts in %d calls", tried, calls);
    dropper_stop(&d);

    /* Back on its port: calls reach it again once its back-off is over. */
    server_start(&s[1], 2, port, false);
    deadline = now_s() + DEADLINE;
    while (adds(&s[1]) == 0 && now_s() < deadline)
        add_ok(calc);
    cr_assert_gt(adds(&s[1]), 0, "the restarted server gets calls again");
    coil_close(ctx);
    for (int i = 0; i < 3; i++)
        server_stop(&s[i]);
}

/* A request that reached a server which then dropped the connection: an
 * idempotent method goes on to the next endpoint, any other comes back as
 * the error, having run once. */
CTEST_X(proxy_failover, a_dropped_request_is_sent_again_only_when_idempotent, .timeout = 60) {
    server a;
    server_start(&a, 1, 0, false);
    dropper d;
    dropper_start(&d, 2, 0);
    /* Round-robin starts with the first endpoint: the dropper. */
    coil_context *ctx = proxy_load(NULL, "urls: ['%s', '%s']", d.url, a.url);
    void *calc = GET_OK(ctx, "calc", &calc_interface);
    coil_error *err = NULL;
    char *hello = NULL;
    int rc = calc_greet(calc, "Ann", NULL, &hello, &err);
    cr_assert_eq(rc, COIL_ECONNECT, "greet: %d %s", rc, dump_errors(err));
    char want[256];
    snprintf(want, sizeof want, "connection to %s lost: ", d.url);
    cr_assert(strncmp(err->message, want, strlen(want)) == 0, "%s", err->message);
    coil_error_free(err);
    err = NULL;
    cr_assert_null(hello);
    cr_assert_eq(atomic_load(&d.requests), 1);
    cr_assert_str_eq(d.last_method, "greet");
    cr_assert_eq(atomic_load(&a.svc->greets), 0, "greet ran once: on the dropper's side");
    coil_close(ctx);

    /* The same for a oneway method. */
    ctx = proxy_load(NULL, "urls: ['%s', '%s']", d.url, a.url);
    calc = GET_OK(ctx, "calc", &calc_interface);
    cr_assert_eq(calc_note(calc, "hi", &err), COIL_ECONNECT);
    coil_error_free(err);
    err = NULL;
    cr_assert_eq(atomic_load(&d.requests), 2);
    cr_assert_eq(atomic_load(&a.svc->notes), 0);
    coil_close(ctx);

    /* add is idempotent: sent again, to the next endpoint. */
    ctx = proxy_load(NULL, "urls: ['%s', '%s']", d.url, a.url);
    calc = GET_OK(ctx, "calc", &calc_interface);
    cr_assert_eq(add_ok(calc), 1);
    cr_assert_eq(atomic_load(&d.requests), 3);
    cr_assert_str_eq(d.last_method, "add");
    cr_assert_eq(adds(&a), 1);
    coil_close(ctx);
    dropper_stop(&d);
    server_stop(&a);
}

/* A server that takes the request and does not answer in time: the call
 * comes back with COIL_ETIMEOUT after `timeout`, having run once; an
 * idempotent call would go on, but the time is the whole call's. */
CTEST_X(proxy_failover, a_timeout_ends_the_call_within_its_timeout, .timeout = 60) {
    gate_open = false;
    server h, a;
    server_start(&h, 1, 0, true);
    server_start(&a, 2, 0, false);
    coil_context *ctx = proxy_load(NULL, "urls: ['%s', '%s'], timeout: 0.5", h.url, a.url);
    void *calc = GET_OK(ctx, "calc", &calc_interface);
    coil_error *err = NULL;
    char *hello = NULL;
    double t0 = now_s();
    int rc = calc_greet(calc, "Ann", NULL, &hello, &err);
    double took = now_s() - t0;
    cr_assert_eq(rc, COIL_ETIMEOUT, "greet: %d %s", rc, dump_errors(err));
    char want[256];
    snprintf(want, sizeof want, "no reply from %s within 0.5 s", h.url);
    cr_assert_str_eq(err->message, want);
    coil_error_free(err);
    err = NULL;
    cr_assert(took >= 0.45 && took < 2.0, "took %.3f s", took);
    cr_assert_eq(atomic_load(&h.svc->greets), 1);
    cr_assert_eq(atomic_load(&a.svc->greets), 0, "not sent again");
    coil_close(ctx);

    /* Idempotent, but the one holding server took all the time there was:
     * the call still ends at its timeout, the second server untried. The
     * holding server is the first picked. */
    ctx = proxy_load(NULL, "urls: ['%s', '%s'], timeout: 0.5", h.url, a.url);
    calc = GET_OK(ctx, "calc", &calc_interface);
    int64_t sum;
    t0 = now_s();
    rc = calc_add(calc, 1, 2, &sum, &err);
    took = now_s() - t0;
    cr_assert_eq(rc, COIL_ETIMEOUT, "add: %d %s", rc, dump_errors(err));
    coil_error_free(err);
    err = NULL;
    cr_assert(took < 2.0, "took %.3f s", took);
    cr_assert_eq(adds(&a), 0);
    coil_close(ctx);
    gate_release();
    server_stop(&h);
    server_stop(&a);
}

/* A refused connection never reached a server: any call goes on to the
 * next endpoint and runs once. */
CTEST_X(proxy_failover, a_refused_endpoint_is_skipped_for_every_method, .timeout = 60) {
    server a;
    server_start(&a, 1, 0, false);
    char refused[128];
    refused_url(refused, sizeof refused, 2);
    coil_context *ctx = proxy_load(NULL, "urls: ['%s', '%s']", refused, a.url);
    void *calc = GET_OK(ctx, "calc", &calc_interface);
    coil_error *err = NULL;
    char *hello = NULL;
    cr_assert_eq(calc_greet(calc, "Ann", NULL, &hello, &err), 0, "%s", dump_errors(err));
    cr_assert_str_eq(hello, "Hello, Ann");
    free(hello);
    cr_assert_eq(atomic_load(&a.svc->greets), 1);
    coil_close(ctx);

    ctx = proxy_load(NULL, "urls: ['%s', '%s']", refused, a.url);
    calc = GET_OK(ctx, "calc", &calc_interface);
    cr_assert_eq(calc_note(calc, "hi", &err), 0, "%s", dump_errors(err));
    cr_assert_eq(atomic_load(&a.svc->notes), 1);
    coil_close(ctx);
    server_stop(&a);
}

/* An error reply is an answer: it comes back as it is, from one server,
 * and the endpoint is not failed (its next call is not skipped). */
CTEST_X(proxy_failover, an_error_reply_is_not_failed_over, .timeout = 60) {
    server s[2];
    for (int i = 0; i < 2; i++)
        server_start(&s[i], i + 1, 0, false);
    coil_context *ctx = proxy_load(NULL, "urls: ['%s', '%s']", s[0].url, s[1].url);
    void *calc = GET_OK(ctx, "calc", &calc_interface);
    coil_error *err = NULL;
    cr_assert_eq(calc_fail(calc, 4004, &err), 4004);
    cr_assert_str_eq(err->message, "failing on purpose with 4004");
    coil_error_free(err);
    err = NULL;
    /* A code JSON-RPC reserves is COIL_EPROTOCOL, and still an answer. */
    cr_assert_eq(calc_fail(calc, -32000, &err), COIL_EPROTOCOL);
    coil_error_free(err);
    err = NULL;
    cr_assert_eq(atomic_load(&s[0].svc->fails), 1);
    cr_assert_eq(atomic_load(&s[1].svc->fails), 1);
    cr_assert_eq(add_ok(calc), 1, "round-robin goes on: the first endpoint is not backing off");
    coil_close(ctx);
    for (int i = 0; i < 2; i++)
        server_stop(&s[i]);
}

CTEST_X(proxy_failover, every_endpoint_failing_gives_the_last_error_and_the_count,
        .timeout = 60) {
    char r[3][128];
    for (int i = 0; i < 3; i++)
        refused_url(r[i], sizeof r[i], i + 1);
    coil_context *ctx = proxy_load(NULL, "urls: ['%s', '%s', '%s']", r[0], r[1], r[2]);
    void *calc = GET_OK(ctx, "calc", &calc_interface);
    coil_error *err = NULL;
    int64_t sum;
    cr_assert_eq(calc_add(calc, 1, 2, &sum, &err), COIL_ECONNECT);
    char want[256];
    snprintf(want, sizeof want, "cannot connect to %s: ", r[2]);
    cr_assert(strncmp(err->message, want, strlen(want)) == 0, "%s", err->message);
    cr_assert(strstr(err->message, " (3 endpoints tried)"), "%s", err->message);
    coil_error_free(err);
    err = NULL;
    coil_close(ctx);

    /* retries: more rounds over them, retry-delay apart. */
    ctx = proxy_load(NULL, "urls: ['%s', '%s', '%s'], retries: 1, retry-delay: 0.01", r[0], r[1],
                     r[2]);
    calc = GET_OK(ctx, "calc", &calc_interface);
    cr_assert_eq(calc_greet(calc, "Ann", NULL, &(char *){ NULL }, &err), COIL_ECONNECT);
    cr_assert(strstr(err->message, " (6 attempts on 3 endpoints)"), "%s", err->message);
    coil_error_free(err);
    coil_close(ctx);
}

/* ---- Eight threads on one proxy -------------------------------------------------- */

#define NTHREADS 8
#define PER_THREAD 200

typedef struct worker {
    void *calc;
    int ok;
    char error[256];
} worker;

static atomic_int calls_made;

static void *work(void *arg) {
    worker *w = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        coil_error *err = NULL;
        int64_t sum = 0;
        if (calc_add(w->calc, i, 1, &sum, &err) == 0 && sum >= i + 2 && sum <= i + 4)
            w->ok++;
        else if (err && !w->error[0])
            snprintf(w->error, sizeof w->error, "%s", err->message);
        coil_error_free(err);
        atomic_fetch_add(&calls_made, 1);
    }
    return NULL;
}

/* Eight threads call one proxy of three servers; one server stops half-way
 * (its client may be in use by several of them): every call works. */
CTEST_X(proxy_failover, eight_threads_call_one_proxy, .timeout = 60) {
    server s[3];
    for (int i = 0; i < 3; i++)
        server_start(&s[i], i + 1, 0, false);
    coil_context *ctx = proxy_load(NULL, "urls: ['%s', '%s', '%s'], backoff: 0.1", s[0].url,
                                   s[1].url, s[2].url);
    void *calc = GET_OK(ctx, "calc", &calc_interface);
    atomic_store(&calls_made, 0);
    worker w[NTHREADS];
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        w[i] = (worker){ .calc = calc };
        cr_assert_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    double deadline = now_s() + DEADLINE;
    while (atomic_load(&calls_made) < NTHREADS * PER_THREAD / 2 && now_s() < deadline)
        pass_time(0.001);
    long stopped_ran = adds(&s[1]);
    server_stop(&s[1]);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < NTHREADS; i++)
        cr_assert_eq(w[i].ok, PER_THREAD, "thread %d: %d of %d calls worked; %s", i, w[i].ok,
                     PER_THREAD, w[i].error);
    cr_assert_gt(stopped_ran, 0);
    cr_assert_gt(adds(&s[0]), 0);
    cr_assert_gt(adds(&s[2]), 0);
    coil_close(ctx);
    server_stop(&s[0]);
    server_stop(&s[2]);
}

/* ---- Configuration mistakes ------------------------------------------------------ */

static void expect_init_error(const char *props, coil_code code, const char *message) {
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "objects:\n"
             "  - object: names\n"
             "    class: coil.naming-server\n"
             "  - object: calc\n"
             "    class: coil.http-proxy\n"
             "    properties: {interface: calc, %s}\n",
             props);
    coil_error *err = NULL;
    coil_context *ctx = load(yaml, &err);
    cr_assert_null(ctx, "%s: the load should have failed", props);
    cr_assert_not_null(err);
    cr_assert_eq(err->code, code, "%s: %s", props, dump_errors(err));
    cr_assert(strstr(err->message, message), "%s: expected '%s' in:\n%s", props, message,
              dump_errors(err));
    coil_error_free(err);
}

CTEST(proxy_failover, configuration_mistakes_are_init_errors) {
    expect_init_error("url: 'http://127.0.0.1:1/a', urls: ['http://127.0.0.1:2/a']", COIL_EVALUE,
                      "object 'calc': init failed: give url, urls, or name with naming, not "
                      "both url and urls");
    expect_init_error("url: 'http://127.0.0.1:1/a', name: calc, naming: 'http://127.0.0.1:3/n'",
                      COIL_EVALUE,
                      "init failed: give url, urls, or name with naming, not both url and name");
    expect_init_error("urls: ['http://127.0.0.1:2/a'], name: calc, naming: {ref: names}",
                      COIL_EVALUE,
                      "init failed: give url, urls, or name with naming, not both urls and name");
    expect_init_error("name: calc", COIL_EVALUE,
                      "init failed: name needs naming: where to look up the endpoints of 'calc'");
    expect_init_error("naming: 'http://127.0.0.1:3/n'", COIL_EVALUE,
                      "init failed: naming needs name: the service name to look up there");
    expect_init_error("timeout: 1", COIL_EVALUE,
                      "init failed: give url, urls, or name with naming: none is set");
    expect_init_error("urls: []", COIL_EVALUE,
                      "init failed: urls is empty: give at least one endpoint");
    expect_init_error("urls: ['http://127.0.0.1:2/a', 'ftp://127.0.0.1/x']", COIL_EVALUE,
                      "init failed: url 'ftp://127.0.0.1/x' is not an HTTP URL");
    expect_init_error("name: '', naming: {ref: names}", COIL_EVALUE, "init failed: name is empty");
    expect_init_error("name: calc, naming: 42", COIL_EVALUE, "init failed: naming: got ");
    expect_init_error("name: calc, naming: {etcd: 'http://127.0.0.1:2379', prefix: x}",
                      COIL_EVALUE, "init failed: ");
    expect_init_error("urls: ['http://127.0.0.1:2/a'], balance: fastest", COIL_EVALUE,
                      "property 'balance' must be one of round-robin, random; got 'fastest'");
    expect_init_error("urls: ['http://127.0.0.1:2/a'], backoff: -1", COIL_EVALUE,
                      "property 'backoff'");
    expect_init_error("name: calc, naming: {ref: names}, refresh: 0", COIL_EVALUE,
                      "property 'refresh'");
}

/* ---- name + naming: a name server --------------------------------------------- */

typedef struct names {
    coil_context *ctx;
    void *obj;      /* the coil.naming-server */
    char url[128];  /* its exporter */
} names;

static void names_start(names *n) {
    n->ctx = load_ok("objects:\n"
                     "  - object: names\n"
                     "    class: coil.naming-server\n"
                     "    properties: {lease: 600}\n"
                     "  - object: exporter\n"
                     "    class: coil.http-exporter\n"
                     "    properties: {service: {ref: names}, interface: naming,\n"
                     "                 listen: '127.0.0.1:0', path: /naming}\n");
    n->obj = GET_OK(n->ctx, "names", &naming_interface);
    snprintf(n->url, sizeof n->url, "%s",
             coil_http_exporter_url(coil_get(n->ctx, "exporter", NULL, NULL)));
}

static void reg(void *names_obj, const char *name, const char *url) {
    coil_error *err = NULL;
    int64_t lease = 0;
    cr_assert_eq(naming_register(names_obj, name, url, NULL, &lease, &err), 0, "%s",
                 dump_errors(err));
}

static void unreg(void *names_obj, const char *name, const char *url) {
    coil_error *err = NULL;
    bool was = false;
    cr_assert_eq(naming_unregister(names_obj, name, url, &was, &err), 0, "%s", dump_errors(err));
    cr_assert(was);
}

/* The naming backend behind `register` and `unregister`, for the
 * behaviours every form shares. */
typedef struct registry {
    void (*add)(void *ctx, const char *name, const char *url);
    void (*remove)(void *ctx, const char *name, const char *url);
    void *ctx;
} registry;

static void names_add(void *ctx, const char *name, const char *url) {
    reg(ctx, name, url);
}

static void names_remove(void *ctx, const char *name, const char *url) {
    unreg(ctx, name, url);
}

/* What a proxy of name `calc` does as servers come and go (refresh 0.05
 * s): no endpoint yet is a clear error `none`; one registered now is
 * found at once (every endpoint failed: the name is looked up again); one
 * registered later is picked up after the refresh period; one removed
 * stops receiving calls. */
static void servers_come_and_go(void *calc, const registry *r, const char *none) {
    coil_error *err = NULL;
    int64_t sum;
    cr_assert_eq(calc_add(calc, 1, 2, &sum, &err), COIL_ECONNECT, "%s", dump_errors(err));
    cr_assert_str_eq(err->message, none);
    coil_error_free(err);
    err = NULL;

    server a, b;
    server_start(&a, 1, 0, false);
    r->add(r->ctx, "calc", a.url);
    cr_assert_eq(add_ok(calc), 1, "a server registered now is found at the next call");

    server_start(&b, 2, 0, false);
    r->add(r->ctx, "calc", b.url);
    double deadline = now_s() + DEADLINE;
    while (adds(&b) == 0 && now_s() < deadline)
        add_ok(calc);
    cr_assert_gt(adds(&b), 0, "a server registered later is picked up");

    r->remove(r->ctx, "calc", a.url);
    pass_time(0.2); /* the refresh period, four times */
    long a_before = adds(&a), b_before = adds(&b);
    for (int i = 0; i < 20; i++)
        cr_assert_eq(add_ok(calc), 2);
    cr_assert_eq(adds(&a), a_before, "a server unregistered gets no more calls");
    cr_assert_eq(adds(&b), b_before + 20);
    r->remove(r->ctx, "calc", b.url);
    server_stop(&a);
    server_stop(&b);
}

CTEST_X(proxy_failover, name_server_by_url, .timeout = 60) {
    names n;
    names_start(&n);
    /* The client starts before any server is registered. */
    coil_context *ctx = proxy_load(NULL, "name: calc, naming: '%s', refresh: 0.05", n.url);
    void *calc = GET_OK(ctx, "calc", &calc_interface);
    char none[256];
    snprintf(none, sizeof none, "no endpoint of 'calc' is registered (naming: %s)", n.url);
    registry r = { names_add, names_remove, n.obj };
    servers_come_and_go(calc, &r, none);
    coil_close(ctx);
    coil_close(n.ctx);
}

CTEST_X(proxy_failover, naming_object_by_ref, .timeout = 60) {
    /* The name server in the client's own context... */
    coil_context *ctx = proxy_load("  - object: names\n"
                                   "    class: coil.naming-server\n"
                                   "    properties: {lease: 600}\n",
                                   "name: calc, naming: {ref: names}, refresh: 0.05");
    void *calc = GET_OK(ctx, "calc", &calc_interface);
    registry r = { names_add, names_remove, GET_OK(ctx, "names", &naming_interface) };
    servers_come_and_go(calc, &r, "no endpoint of 'calc' is registered (naming: object 'names')");
    coil_close(ctx);

    /* ... and a proxy of a remote one. */
    names n;
    names_start(&n);
    char more[512];
    snprintf(more, sizeof more,
             "  - object: names_proxy\n"
             "    class: coil.http-proxy\n"
             "    properties: {url: '%s', interface: naming}\n",
             n.url);
    ctx = proxy_load(more, "name: calc, naming: {ref: names_proxy}, refresh: 0.05");
    calc = GET_OK(ctx, "calc", &calc_interface);
    server a;
    server_start(&a, 1, 0, false);
    reg(n.obj, "calc", a.url);
    cr_assert_eq(add_ok(calc), 1);
    coil_close(ctx);
    server_stop(&a);
    coil_close(n.ctx);
}

/* Connections of this process to `s` that are open (ESTABLISHED in
 * /proc/net/tcp, with `s` as the remote end: the proxy's side). */
static int connections_to(const server *s) {
    unsigned a, b, c, d;
    cr_assert_eq(sscanf(s->host, "%u.%u.%u.%u", &a, &b, &c, &d), 4);
    char want[32];
    snprintf(want, sizeof want, "%02X%02X%02X%02X:%04X", d, c, b, a, (unsigned)s->port);
    FILE *f = fopen("/proc/net/tcp", "r");
    cr_assert_not_null(f);
    char line[512], local[64], remote[64], state[8];
    int n = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, " %*[0-9]: %63s %63s %7s", local, remote, state) == 3 &&
            strcmp(remote, want) == 0 && strcmp(state, "01") == 0)
            n++;
    fclose(f);
    return n;
}

typedef struct greeting {
    void *calc;
    int rc;
    char *hello;
} greeting;

static void *greet_main(void *arg) {
    greeting *g = arg;
    coil_error *err = NULL;
    g->rc = calc_greet(g->calc, "Ann", NULL, &g->hello, &err);
    coil_error_free(err);
    return NULL;
}

/* An endpoint the lookups dropped keeps its client while a call is using
 * it; once unused for a while (here the least, a second) the client is
 * freed with its connections, while an endpoint still listed keeps its. */
CTEST_X(proxy_failover, clients_of_dropped_endpoints_are_freed_once_unused, .timeout = 60) {
    gate_open = false;
    coil_context *ctx = proxy_load("  - object: names\n"
                                   "    class: coil.naming-server\n"
                                   "    properties: {lease: 600}\n",
                                   "name: calc, naming: {ref: names}, refresh: 0.05, "
                                   "backoff: 0.01");
    void *calc = GET_OK(ctx, "calc", &calc_interface);
    void *names_obj = GET_OK(ctx, "names", &naming_interface);
    server h, a;
    server_start(&h, 1, 0, true);
    server_start(&a, 2, 0, false);
    reg(names_obj, "calc", h.url);
    greeting g = { .calc = calc };
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, greet_main, &g), 0);
    double deadline = now_s() + DEADLINE;
    while (atomic_load(&h.svc->greets) == 0 && now_s() < deadline)
        pass_time(0.001);
    cr_assert_eq(atomic_load(&h.svc->greets), 1, "the call is in progress on h");

    unreg(names_obj, "calc", h.url);
    reg(names_obj, "calc", a.url);
    pass_time(0.2); /* the refresh period, four times */
    double until = now_s() + 1.6;
    while (now_s() < until) {
        cr_assert_eq(add_ok(calc), 2);
        pass_time(0.005);
    }
    cr_assert_eq(connections_to(&h), 1, "the client of a call in progress is kept");
    gate_release();
    pthread_join(t, NULL);
    cr_assert_eq(g.rc, 0);
    cr_assert_str_eq(g.hello, "Hello, Ann");
    free(g.hello);

    deadline = now_s() + DEADLINE;
    while (connections_to(&h) > 0 && now_s() < deadline) {
        cr_assert_eq(add_ok(calc), 2);
        pass_time(0.01);
    }
    cr_assert_eq(connections_to(&h), 0, "the unused client of a dropped endpoint is freed");
    cr_assert_eq(connections_to(&a), 1, "a listed endpoint keeps its client");
    coil_close(ctx);
    server_stop(&h);
    server_stop(&a);
}

/* The name server goes away: calls go on with the list it last gave. */
CTEST_X(proxy_failover, calls_go_on_when_the_name_server_is_gone, .timeout = 60) {
    names n;
    names_start(&n);
    server s[2];
    for (int i = 0; i < 2; i++) {
        server_start(&s[i], i + 1, 0, false);
        reg(n.obj, "calc", s[i].url);
    }
    coil_context *ctx = proxy_load(NULL, "name: calc, naming: '%s', refresh: 0.05", n.url);
    void *calc = GET_OK(ctx, "calc", &calc_interface);
    add_ok(calc);
    coil_close(n.ctx);
    pass_time(0.2); /* the refresh period, four times: lookups fail now */
    for (int i = 0; i < 10; i++)
        add_ok(calc);
    cr_assert_eq(adds(&s[0]) + adds(&s[1]), 11);
    cr_assert_geq(adds(&s[0]), 5);
    cr_assert_geq(adds(&s[1]), 5);
    coil_close(ctx);
    for (int i = 0; i < 2; i++)
        server_stop(&s[i]);
}

/* Loading contacts nothing: a proxy whose name server is not there loads,
 * and its calls say what is wrong. */
CTEST_X(proxy_failover, no_name_server_at_all, .timeout = 60) {
    char refused[128];
    refused_url(refused, sizeof refused, 1);
    coil_context *ctx = proxy_load(NULL, "name: calc, naming: '%s'", refused);
    void *calc = GET_OK(ctx, "calc", &calc_interface);
    coil_error *err = NULL;
    int64_t sum;
    cr_assert_eq(calc_add(calc, 1, 2, &sum, &err), COIL_ECONNECT, "%s", dump_errors(err));
    char want[512];
    snprintf(want, sizeof want,
             "cannot look up the endpoints of 'calc' (naming: %s): cannot connect to %s: ",
             refused, refused);
    cr_assert(strncmp(err->message, want, strlen(want)) == 0, "%s", err->message);
    coil_error_free(err);
    coil_close(ctx);
}

/* ---- name + naming: etcd ---------------------------------------------------------- */

#define ETCD_PREFIX "/coil-proxy-test/"

static etcd_fixture etcd;

static void etcd_up(void) {
    etcd_fixture_start(&etcd);
}

static void etcd_down(void) {
    etcd_fixture_stop(&etcd);
}

TestSuite(proxy_failover_etcd, .init = etcd_up, .fini = etcd_down, .timeout = 60);

static char *base64(const char *s) {
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(s);
    char *out = malloc(4 * ((n + 2) / 3) + 1), *o = out;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)(unsigned char)s[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)(unsigned char)s[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned)(unsigned char)s[i + 2];
        *o++ = t[(v >> 18) & 63];
        *o++ = t[(v >> 12) & 63];
        *o++ = i + 1 < n ? t[(v >> 6) & 63] : '=';
        *o++ = i + 2 < n ? t[v & 63] : '=';
    }
    *o = '\0';
    return out;
}

/* The key of a registration (remoting/naming_etcd.c): PREFIX + esc(NAME) +
 * "/" + esc(URL), esc() writing '%' as %25 and '/' as %2F. */
static void etcd_key(char *key, size_t size, const char *name, const char *url) {
    size_t n = (size_t)snprintf(key, size, "%s", ETCD_PREFIX);
    const char *parts[] = { name, url };
    for (int p = 0; p < 2; p++) {
        for (const char *c = parts[p]; *c && n + 4 < size; c++) {
            if (*c == '/')
                n += (size_t)snprintf(key + n, size - n, "%%2F");
            else if (*c == '%')
                n += (size_t)snprintf(key + n, size - n, "%%25");
            else
                key[n++] = *c;
        }
        if (p == 0)
            key[n++] = '/';
        key[n] = '\0';
    }
}

static void etcd_post(const char *path, json_t *body) {
    char url[256];
    snprintf(url, sizeof url, "%s%s", etcd.url, path);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    CURL *h = curl_easy_init();
    cr_assert_not_null(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, text);
    FILE *sink = fopen("/dev/null", "w");
    curl_easy_setopt(h, CURLOPT_WRITEDATA, sink);
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    fclose(sink);
    free(text);
    cr_assert_eq(rc, CURLE_OK, "%s: %s", url, curl_easy_strerror(rc));
    cr_assert_eq(status, 200, "%s: HTTP %ld", url, status);
}

static void etcd_add(void *ctx, const char *name, const char *url) {
    (void)ctx;
    char key[512];
    etcd_key(key, sizeof key, name, url);
    json_t *value = json_pack("{s:s, s:s, s:{}}", "name", name, "url", url, "metadata");
    char *text = json_dumps(value, JSON_COMPACT);
    json_decref(value);
    char *k = base64(key), *v = base64(text);
    etcd_post("/v3/kv/put", json_pack("{s:s, s:s}", "key", k, "value", v));
    free(k);
    free(v);
    free(text);
}

static void etcd_remove(void *ctx, const char *name, const char *url) {
    (void)ctx;
    char key[512];
    etcd_key(key, sizeof key, name, url);
    char *k = base64(key);
    etcd_post("/v3/kv/deleterange", json_pack("{s:s}", "key", k));
    free(k);
}

CTEST(proxy_failover_etcd, servers_come_and_go) {
    coil_context *ctx = proxy_load(
        NULL, "name: calc, naming: {etcd: '%s', prefix: " ETCD_PREFIX "}, refresh: 0.05",
        etcd.url);
    void *calc = GET_OK(ctx, "calc", &calc_interface);
    char none[256];
    snprintf(none, sizeof none,
             "no endpoint of 'calc' is registered (naming: etcd at %s, prefix " ETCD_PREFIX ")",
             etcd.url);
    registry r = { etcd_add, etcd_remove, NULL };
    servers_come_and_go(calc, &r, none);
    coil_close(ctx);
}

CTEST(proxy_failover_etcd, calls_go_on_when_etcd_is_gone) {
    server s[2];
    for (int i = 0; i < 2; i++) {
        server_start(&s[i], i + 1, 0, false);
        etcd_add(NULL, "calc", s[i].url);
    }
    coil_context *ctx = proxy_load(
        NULL, "name: calc, naming: {etcd: '%s', prefix: " ETCD_PREFIX "}, refresh: 0.05",
        etcd.url);
    void *calc = GET_OK(ctx, "calc", &calc_interface);
    add_ok(calc);
    etcd_fixture_stop(&etcd);
    pass_time(0.2); /* the refresh period, four times: lookups fail now */
    for (int i = 0; i < 10; i++)
        add_ok(calc);
    cr_assert_eq(adds(&s[0]) + adds(&s[1]), 11);
    cr_assert_geq(adds(&s[0]), 5);
    cr_assert_geq(adds(&s[1]), 5);
    coil_close(ctx);
    for (int i = 0; i < 2; i++)
        server_stop(&s[i]);
}
