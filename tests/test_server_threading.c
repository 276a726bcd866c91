/* The threading of the shared HTTP server (remoting/http_server.c), as
 * coil.http-exporter's `threading` property chooses it: `pool` (a few
 * epoll threads share the connections; a call runs on the thread that read
 * it) and `per-connection` (a thread per connection). Real exporters on
 * ephemeral ports of 127.0.0.1, called with libcurl and raw sockets; `coil
 * run` for the SIGTERM path. The service implements the generated calc
 * interface (data/iface/calc.yaml): add(-1, n) waits at a gate that the
 * test opens. Nothing sleeps: threads meet on condition variables, and
 * waits that must end are blocking calls. */
#include "support/support.h"
#include "support/http.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "calc.h"
#include "coil/remoting.h"

extern char **environ;

/* ---- The service: add(-1, n) waits at the gate -------------------------------------- */

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int held;        /* calls waiting at the gate now */
static bool gate_open;

static struct timespec in_seconds(int s) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += s;
    return t;
}

static int impl_add(void *self, int64_t a, int64_t b, int64_t *result, coil_error **err) {
    (void)err;
    int64_t base = *(int64_t *)self; /* before waiting: see the close tests */
    if (a == -1) {
        pthread_mutex_lock(&gate_lock);
        held++;
        pthread_cond_broadcast(&gate_cond);
        struct timespec until = in_seconds(60); /* a broken test still ends */
        while (!gate_open)
            if (pthread_cond_timedwait(&gate_cond, &gate_lock, &until) == ETIMEDOUT)
                break;
        held--;
        pthread_cond_broadcast(&gate_cond);
        pthread_mutex_unlock(&gate_lock);
    }
    *result = a + b + base;
    return 0;
}

static void open_gate(void) {
    pthread_mutex_lock(&gate_lock);
    gate_open = true;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
}

static int held_now(void) {
    pthread_mutex_lock(&gate_lock);
    int n = held;
    pthread_mutex_unlock(&gate_lock);
    return n;
}

/* Waits until `n` calls wait at the gate. */
static void wait_held(int n) {
    pthread_mutex_lock(&gate_lock);
    struct timespec until = in_seconds(20);
    while (held < n)
        if (pthread_cond_timedwait(&gate_cond, &gate_lock, &until) == ETIMEDOUT)
            break;
    int now = held;
    pthread_mutex_unlock(&gate_lock);
    cr_assert_geq(now, n, "%d calls wait at the gate, expected %d", now, n);
}

typedef struct holder { int64_t base; } holder;
static const calc_ops impl_ops = { .add = impl_add };
static const coil_property impl_props[] = {
    { .name = "base", .type = COIL_T_INT, .offset = offsetof(holder, base) },
    COIL_PROPERTIES_END
};
static const coil_implements impl_ifaces[] = { { &calc_interface, &impl_ops },
                                               COIL_IMPLEMENTS_END };
/* Thread-safe, so that the exporter lets any number of calls in at once:
 * what holds calls up here can only be the server. */
static const coil_class holder_class = {
    .abi = COIL_ABI_VERSION, .name = "holder", .size = sizeof(holder),
    .properties = impl_props, .implements = impl_ifaces, .flags = COIL_CLASS_THREAD_SAFE,
};

/* ---- Contexts ------------------------------------------------------------------------ */

static coil_context *load(const char *yaml, coil_error **err) {
    coil_options *opts = coil_options_new();
    coil_options_add_class(opts, &holder_class);
    coil_context *ctx = coil_load_string(yaml, "app.yaml", opts, err);
    coil_options_free(opts);
    return ctx;
}

static coil_context *load_ok(const char *yaml) {
    coil_error *err = NULL;
    coil_context *ctx = load(yaml, &err);
    cr_assert_not_null(ctx, "the load failed:\n%s", dump_errors(err));
    return ctx;
}

/* Two services, `one` (base 100) and `two` (base 200), exported at /one and
 * /two on one port of 127.0.0.1 (one server), each with `props`. */
static coil_context *two_exported(const char *props) {
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "objects:\n"
             "  - {object: one, class: holder, properties: {base: 100}}\n"
             "  - {object: two, class: holder, properties: {base: 200}}\n"
             "  - object: x1\n"
             "    class: coil.http-exporter\n"
             "    properties: {service: {ref: one}, interface: calc, listen: '127.0.0.1:0',\n"
             "                 path: /one, %s}\n"
             "  - object: x2\n"
             "    class: coil.http-exporter\n"
             "    properties: {service: {ref: two}, interface: calc, listen: '127.0.0.1:0',\n"
             "                 path: /two, %s}\n",
             props, props);
    return load_ok(yaml);
}

/* ---- libcurl -------------------------------------------------------------------------- */

/* add(a, b) with id 1 on handle `h` (kept open between calls: keep-alive). */
static http_reply add_on(CURL *h, const char *url, int a, int b) {
    char body[128];
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[%d,%d],\"id\":1}",
             a, b);
    return http_request(h, url, "application/json", body);
}

/* Asserts the reply to add: 200 with `sum`; frees it. */
#define EXPECT_SUM(r, sum) expect_sum(HERE, (r), (sum))
static void expect_sum(const char *where, http_reply r, long sum) {
    cr_assert_eq(r.rc, CURLE_OK, "%s: %s", where, curl_easy_strerror(r.rc));
    const char *body = r.body ? r.body : "";
    cr_assert_eq(r.status, 200, "%s: HTTP %ld: %s", where, r.status, body);
    char want[96];
    snprintf(want, sizeof want, "{\"jsonrpc\":\"2.0\",\"result\":%ld,\"id\":1}", sum);
    cr_assert_str_eq(body, want, "%s", where);
    free(r.body);
}

/* A call made in a thread of its own, on a connection of its own. */
typedef struct caller {
    pthread_t thread;
    const char *url;
    int a, b;
    http_reply r;
} caller;

static void *caller_main(void *arg) {
    caller *c = arg;
    CURL *h = curl_easy_init();
    c->r = add_on(h, c->url, c->a, c->b);
    curl_easy_cleanup(h);
    return NULL;
}

static void caller_start(caller *c, const char *url, int a, int b) {
    *c = (caller){ .url = url, .a = a, .b = b };
    cr_assert_eq(pthread_create(&c->thread, NULL, caller_main, c), 0);
}

/* ---- Raw sockets --------------------------------------------------------------------- */

/* Sends what the server takes of `data`: it may close the connection
 * first. */
static void send_some(int fd, const char *data) {
    (void)!send(fd, data, strlen(data), MSG_NOSIGNAL);
}

static const char add_1_2[] = "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[1,2],\"id\":1}";

/* Whether nothing arrives on `fd` for a fifth of a second: the one kind
 * of timed wait here, where the point is an absence. */
static bool nothing_comes(int fd) {
    struct timeval brief = { 0, 200000 }, normal = { 20, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &brief, sizeof brief);
    char c;
    ssize_t got = recv(fd, &c, 1, MSG_PEEK);
    bool none = got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &normal, sizeof normal);
    return none;
}

static unsigned cores(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (unsigned)n;
}

/* ---- per-connection: a waiting call holds up only its own connection ------------------ */

/* More calls wait inside the service than there are cores (and than
 * `threads`, which per-connection does not use), at both exporters of one
 * server. Meanwhile connections that were already open before they began,
 * to the same exporter and to the other, and new ones, are answered: the
 * gate stays closed until they all were, so nothing could have waited for
 * the held calls to return. */
CTEST_X(threading, per_connection_a_waiting_call_holds_up_no_one, .timeout = 120) {
    coil_context *ctx = two_exported("threading: per-connection, threads: 1");
    const char *one = http_url_of(ctx, "x1"), *two = http_url_of(ctx, "x2");
    cr_assert_eq(http_port_of(one), http_port_of(two), "one server: %s, %s", one, two);

    /* Connections open before anything waits. */
    CURL *open_one = curl_easy_init(), *open_two = curl_easy_init();
    EXPECT_SUM(add_on(open_one, one, 1, 1), 102);
    EXPECT_SUM(add_on(open_two, two, 1, 1), 202);

    enum { MAX_HELD = 64 };
    int n = (int)cores() + 2;
    if (n < 4)
        n = 4;
    if (n > MAX_HELD)
        n = MAX_HELD;
    caller c[MAX_HELD];
    for (int i = 0; i < n; i++)
        caller_start(&c[i], i % 2 ? two : one, -1, i);
    wait_held(n);

    /* The open connections, again and again. */
    for (int i = 0; i < 5; i++) {
        http_reply r1 = add_on(open_one, one, i, 1), r2 = add_on(open_two, two, i, 2);
        EXPECT_SUM(r1, 101 + i);
        EXPECT_SUM(r2, 202 + i);
        cr_assert_eq(r1.connects + r2.connects, 0, "the connections stayed open");
    }
    /* New connections. */
    for (int i = 0; i < 3; i++) {
        caller fresh;
        caller_start(&fresh, i % 2 ? two : one, 5, 5);
        pthread_join(fresh.thread, NULL);
        EXPECT_SUM(fresh.r, i % 2 ? 210 : 110);
    }
    cr_assert_eq(held_now(), n, "the held calls are still waiting");

    open_gate();
    for (int i = 0; i < n; i++) {
        pthread_join(c[i].thread, NULL);
        EXPECT_SUM(c[i].r, (i % 2 ? 200 : 100) - 1 + i);
    }
    curl_easy_cleanup(open_one);
    curl_easy_cleanup(open_two);
    coil_close(ctx);
}

/* ---- pool: a waiting call holds up its thread's connections --------------------------- */

/* With one pool thread, every connection is that thread's: while a call
 * waits in the service, a request on a connection that was already open
 * is not even read (to either exporter), and is answered once the call
 * returns. This is what the documentation says of `pool`. */
CTEST_X(threading, pool_a_waiting_call_holds_up_its_threads_connections, .timeout = 60) {
    coil_context *ctx = two_exported("threading: pool, threads: 1");
    const char *one = http_url_of(ctx, "x1");
    unsigned port = http_port_of(one);
    int fd1 = http_connect(port), fd2 = http_connect(port);
    http_send_all(fd1, http_request_text("POST", "/one", "application/json", add_1_2));
    cr_assert_eq(http_read_reply(fd1).status, 200);
    http_send_all(fd2, http_request_text("POST", "/two", "application/json", add_1_2));
    cr_assert_eq(http_read_reply(fd2).status, 200);

    caller c;
    caller_start(&c, one, -1, 7);
    wait_held(1);
    http_send_all(fd1, http_request_text("POST", "/one", "application/json", add_1_2));
    http_send_all(fd2, http_request_text("POST", "/two", "application/json", add_1_2));
    cr_assert(nothing_comes(fd1), "the open connection to /one was served meanwhile");
    cr_assert(nothing_comes(fd2), "the open connection to /two was served meanwhile");

    open_gate();
    pthread_join(c.thread, NULL);
    EXPECT_SUM(c.r, 106);
    http_raw_reply r1 = http_read_reply(fd1), r2 = http_read_reply(fd2);
    cr_assert_eq(r1.status, 200, "%s", r1.headers);
    cr_assert_str_eq(r1.body, "{\"jsonrpc\":\"2.0\",\"result\":103,\"id\":1}");
    cr_assert_eq(r2.status, 200, "%s", r2.headers);
    cr_assert_str_eq(r2.body, "{\"jsonrpc\":\"2.0\",\"result\":203,\"id\":1}");
    close(fd1);
    close(fd2);
    coil_close(ctx);
}

/* ---- Settings ------------------------------------------------------------------------------ */

/* `threading` is the server's, like threads, max-connections and timeout:
 * every exporter on one address gives the same, and leaving it out gives
 * the default, pool. Across contexts too. */
CTEST(threading, mismatched_threading_on_one_address_is_refused) {
    coil_context *first = load_ok("objects:\n"
                                  "  - {object: one, class: holder}\n"
                                  "  - object: x1\n"
                                  "    class: coil.http-exporter\n"
                                  "    properties: {service: {ref: one}, interface: calc,\n"
                                  "                 listen: '127.0.0.1:0', path: /one,\n"
                                  "                 threading: per-connection}\n");
    unsigned port = http_port_of(http_url_of(first, "x1"));
    static const struct { const char *setting, *this_one; } cases[] = {
        { "threading: pool", "pool" },
        { "threads: 0", "pool" }, /* the default */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char yaml[512], want[512];
        snprintf(yaml, sizeof yaml,
                 "objects:\n"
                 "  - {object: two, class: holder}\n"
                 "  - object: x2\n"
                 "    class: coil.http-exporter\n"
                 "    properties: {service: {ref: two}, interface: calc,\n"
                 "                 listen: '127.0.0.1:%u', path: /two, %s}\n",
                 port, cases[i].setting);
        snprintf(want, sizeof want,
                 "object 'x2': init failed: 127.0.0.1:%u is already served with threads 0, "
                 "max-connections 0, timeout 30 and threading per-connection: every exporter "
                 "on one listen address must use the same (this one: 0, 0, 30 and %s)",
                 port, cases[i].this_one);
        coil_error *err = NULL;
        cr_assert_null(load(yaml, &err), "%s", cases[i].setting);
        EXPECT_ONLY_ERROR(err, COIL_EVALUE, "app.yaml", 3, 5, want);
        coil_error_free(err);
    }
    /* The same setting joins the server. */
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "objects:\n"
             "  - {object: two, class: holder, properties: {base: 200}}\n"
             "  - object: x2\n"
             "    class: coil.http-exporter\n"
             "    properties: {service: {ref: two}, interface: calc,\n"
             "                 listen: '127.0.0.1:%u', path: /two, threading: per-connection}\n",
             port);
    coil_context *second = load_ok(yaml);
    CURL *h = curl_easy_init();
    EXPECT_SUM(add_on(h, http_url_of(second, "x2"), 1, 1), 202);
    curl_easy_cleanup(h);
    coil_close(second);
    coil_close(first);
}

CTEST(threading, a_bad_value_is_refused) {
    static const char *const bad[] = { "fast", "Pool", "per_connection", "" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char yaml[512], want[256];
        snprintf(yaml, sizeof yaml,
                 "objects:\n"
                 "  - {object: one, class: holder}\n"
                 "  - object: x1\n"
                 "    class: coil.http-exporter\n"
                 "    properties:\n"
                 "      service: {ref: one}\n"
                 "      interface: calc\n"
                 "      listen: '127.0.0.1:0'\n"
                 "      threading: '%s'\n",
                 bad[i]);
        snprintf(want, sizeof want,
                 "object 'x1': property 'threading' must be one of pool, per-connection; "
                 "got '%s'",
                 bad[i]);
        coil_error *err = NULL;
        cr_assert_null(load(yaml, &err), "threading '%s'", bad[i]);
        EXPECT_ONLY_ERROR(err, COIL_EVALUE, "app.yaml", 9, 18, want);
        coil_error_free(err);
    }
}

/* ---- HTTP, the same in both modes ------------------------------------------------------------ */

/* 200, 404, 405, 415 on one keep-alive connection; 413 from Content-Length
 * and for a chunked body that goes over; 431 for headers that do not fit. */
static void check_statuses(const char *props) {
    coil_context *ctx = two_exported(props);
    unsigned port = http_port_of(http_url_of(ctx, "x1"));
    static const struct { const char *method, *path, *type, *body; int status; } cases[] = {
        { "POST", "/one", "application/json", add_1_2, 200 },
        { "POST", "/two", "application/json-rpc; charset=utf-8", add_1_2, 200 },
        { "POST", "/three", "application/json", add_1_2, 404 },
        { "GET", "/one", NULL, "", 405 },
        { "POST", "/one", "text/plain", add_1_2, 415 },
        { "POST", "/one", NULL, add_1_2, 415 },
    };
    /* A connection each: after a refusal, the server closes it (it did
     * not read the body). */
    int fd;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fd = http_connect(port);
        http_send_all(fd, http_request_text(cases[i].method, cases[i].path, cases[i].type,
                                            cases[i].body));
        http_raw_reply r = http_read_reply(fd);
        close(fd);
        cr_assert_eq(r.status, cases[i].status, "%s: %s %s: %s", props, cases[i].method,
                     cases[i].path, r.headers);
        if (cases[i].status == 405)
            cr_assert(strstr(r.headers, "Allow: POST\r\n"), "%s", r.headers);
    }

    /* 413 from Content-Length, before the body. */
    fd = http_connect(port);
    http_send_all(fd, "POST /one HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 "Content-Length: 1000000000\r\n\r\n");
    cr_assert_eq(http_read_reply(fd).status, 413, "%s", props);
    close(fd);
    /* 413 for a chunked body once it is over, before it ends. */
    fd = http_connect(port);
    http_send_all(fd, "POST /one HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n");
    http_send_all(fd, "40\r\n[                                                              \r\n");
    http_send_all(fd, "40\r\n                                                               \r\n");
    cr_assert_eq(http_read_reply(fd).status, 413, "%s: chunked", props);
    close(fd);
    /* 431 for headers over the connection's memory. */
    fd = http_connect(port);
    static char big[20000 + 256];
    int n = snprintf(big, sizeof big,
                     "POST /one HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "X-Big: ");
    memset(big + n, 'x', 20000);
    snprintf(big + n + 20000, sizeof big - (size_t)n - 20000,
             "\r\nContent-Length: %zu\r\n\r\n%s", strlen(add_1_2), add_1_2);
    http_send_all(fd, big);
    cr_assert_eq(http_read_reply(fd).status, 431, "%s", props);
    close(fd);
    coil_close(ctx);
}

CTEST_X(threading, http_statuses_per_connection, .timeout = 60) {
    check_statuses("threading: per-connection, max-body: 100");
}

CTEST_X(threading, http_statuses_pool, .timeout = 60) {
    check_statuses("threading: pool, threads: 2, max-body: 100");
}

/* max-connections: libmicrohttpd's thread-per-connection mode (with poll)
 * accepts a connection over the limit and closes it at once, where the
 * pool leaves it waiting to be accepted (test_exporter.c). */
CTEST_X(threading, per_connection_max_connections, .timeout = 60) {
    coil_context *ctx = two_exported("threading: per-connection, max-connections: 1");
    unsigned port = http_port_of(http_url_of(ctx, "x1"));
    int first = http_connect(port);
    http_send_all(first, http_request_text("POST", "/one", "application/json", add_1_2));
    cr_assert_eq(http_read_reply(first).status, 200);
    /* `first` stays open and holds the only connection: the second is
     * closed unanswered. */
    int second = http_connect(port);
    send_some(second, http_request_text("POST", "/two", "application/json", add_1_2));
    cr_assert_eq(http_read_reply(second).status, 0, "a connection over the limit was served");
    close(second);
    /* Once the server has seen `first` close, a new connection is served
     * (tried until then: the server closes its side on its own time). */
    close(first);
    http_raw_reply r = { 0 };
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (now = start; !r.status && now.tv_sec - start.tv_sec < 20;
         clock_gettime(CLOCK_MONOTONIC, &now)) {
        int fd = http_connect(port);
        send_some(fd, http_request_text("POST", "/two", "application/json", add_1_2));
        r = http_read_reply(fd);
        close(fd);
    }
    cr_assert_eq(r.status, 200, "%s", r.headers);
    cr_assert_str_eq(r.body, "{\"jsonrpc\":\"2.0\",\"result\":203,\"id\":1}");
    coil_close(ctx);
}

CTEST_X(threading, per_connection_idle_connections_time_out, .timeout = 60) {
    coil_context *ctx = two_exported("threading: per-connection, timeout: 1");
    int fd = http_connect(http_port_of(http_url_of(ctx, "x1")));
    http_send_all(fd, http_request_text("POST", "/one", "application/json", add_1_2));
    cr_assert_eq(http_read_reply(fd).status, 200);
    /* Then nothing: the server closes the connection after a second (a
     * blocking read that ends when it does; 20 s would fail the test). */
    char c;
    cr_assert_eq(recv(fd, &c, 1, 0), 0, "the server closed the idle connection");
    close(fd);
    coil_close(ctx);
}

/* ---- per-connection: shutting down with a call waiting -------------------------------------- */

typedef struct releaser {
    CURL *h;            /* a connection opened before the quiesce */
    const char *url;
    int served;         /* calls answered before the 404 */
} releaser;

/* Calls on its open connection until the endpoint answers 404 (its
 * exporter is being destroyed), then opens the gate. */
static void *release_when_closing(void *arg) {
    releaser *rel = arg;
    for (;;) {
        http_reply r = add_on(rel->h, rel->url, 0, 0);
        free(r.body);
        if (r.rc != CURLE_OK || r.status != 200)
            break;
        rel->served++;
    }
    open_gate();
    return NULL;
}

/* What `coil run` does on SIGTERM (cli/run.c): quiesce, then close the
 * context. A call waiting in the service when it starts keeps running, the
 * open connections are still served, and the close waits for the call to
 * return and its reply to be sent. */
CTEST_X(threading, per_connection_quiesce_then_close_waits_for_a_waiting_call, .timeout = 60) {
    coil_context *ctx = two_exported("threading: per-connection");
    const char *one = http_url_of(ctx, "x1");
    releaser rel = { .h = curl_easy_init(), .url = one };
    EXPECT_SUM(add_on(rel.h, one, 1, 1), 102);
    caller c;
    caller_start(&c, one, -1, 1);
    wait_held(1);

    coil_http_exporters_quiesce();
    /* The open connection is served while the call waits. */
    http_reply r = add_on(rel.h, one, 2, 2);
    cr_assert_eq(r.connects, 0);
    EXPECT_SUM(r, 104);

    pthread_t helper;
    cr_assert_eq(pthread_create(&helper, NULL, release_when_closing, &rel), 0);
    coil_close(ctx);
    cr_assert_eq(held_now(), 0, "close returned with a call inside the service");
    pthread_join(helper, NULL);
    pthread_join(c.thread, NULL);
    EXPECT_SUM(c.r, 100); /* answered before the server stopped */
    curl_easy_cleanup(rel.h);
}

/* The exporter's timeout bounds the wait: close returns with the call
 * still waiting, and the server is left to it (abandoned, not stopped),
 * which answers it when it returns. */
CTEST_X(threading, per_connection_close_waits_no_longer_than_the_timeout, .timeout = 60) {
    coil_context *ctx = two_exported("threading: per-connection, timeout: 1");
    caller c;
    caller_start(&c, http_url_of(ctx, "x2"), -1, 5);
    wait_held(1);
    coil_close(ctx);
    cr_assert_eq(held_now(), 1, "close waited for the call");
    open_gate();
    pthread_join(c.thread, NULL);
    EXPECT_SUM(c.r, 204);
}

/* ---- coil run: SIGTERM with a call waiting ---------------------------------------------------- */

/* Reads a line from `fd` (no buffering beyond it), or fails the test. */
static void read_line(int fd, char *line, size_t size, const char *what) {
    size_t n = 0;
    for (;;) {
        char c;
        ssize_t got = read(fd, &c, 1);
        cr_assert_eq(got, 1, "%s: the program's output ended: '%.*s'", what, (int)n, line);
        if (c == '\n')
            break;
        if (n + 1 < size)
            line[n++] = c;
    }
    line[n] = '\0';
}

typedef struct gate_call {
    pthread_t thread;
    char url[256];
    char fifo[256];
    http_reply r;
} gate_call;

static void *gate_call_main(void *arg) {
    gate_call *g = arg;
    char body[512];
    snprintf(body, sizeof body,
             "{\"jsonrpc\":\"2.0\",\"method\":\"pass\",\"params\":[\"%s\"],\"id\":1}", g->fifo);
    g->r = http_request_timeout(NULL, g->url, "application/json", body, 60L);
    return NULL;
}

/* tests/run_drain_test.sh with a per-connection server: `coil run`, a call
 * waiting at a FIFO in the service (libgatemod.so), SIGTERM; the host says
 * it is stopping, the call completes with its result, and the host exits
 * 0. Only blocking waits: opening the FIFO for writing returns once the
 * service opened it for reading. */
CTEST_X(threading, sigterm_lets_a_waiting_call_finish, .timeout = 60) {
    char dir[] = "/tmp/coil-threading-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char context[512];
    snprintf(context, sizeof context, "%s/gate.yaml", dir);
    FILE *f = fopen(context, "w");
    cr_assert_not_null(f);
    fprintf(f,
            "modules: [\"%s/libgatemod.so\"]\n"
            "objects:\n"
            "  - {object: gatekeeper, class: test.gatekeeper}\n"
            "  - object: gate_exporter\n"
            "    class: coil.http-exporter\n"
            "    properties: {service: {ref: gatekeeper}, interface: gate,\n"
            "                 listen: '127.0.0.1:0', path: /gate, threading: per-connection}\n",
            COIL_TEST_BIN);
    fclose(f);
    gate_call g = { 0 };
    snprintf(g.fifo, sizeof g.fifo, "%s/gate", dir);
    cr_assert_eq(mkfifo(g.fifo, 0600), 0, "%s", strerror(errno));

    int out[2], err[2];
    cr_assert_eq(pipe(out), 0);
    cr_assert_eq(pipe(err), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    posix_spawn_file_actions_addclose(&fa, err[0]);
    char *argv[] = { (char *)COIL_CLI, "run", context, NULL };
    pid_t host;
    int rc = posix_spawn(&host, COIL_CLI, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    close(err[1]);
    cr_assert_eq(rc, 0, "cannot run %s: %s", COIL_CLI, strerror(rc));

    char line[512];
    read_line(out[0], line, sizeof line, "the endpoint line");
    const char *at = strstr(line, " at http://127.0.0.1:");
    cr_assert(strncmp(line, "gatekeeper at ", 14) == 0 && at, "%s", line);
    snprintf(g.url, sizeof g.url, "%s", at + 4);
    read_line(err[0], line, sizeof line, "the running line");
    cr_assert(strstr(line, "coil: running "), "%s", line);

    cr_assert_eq(pthread_create(&g.thread, NULL, gate_call_main, &g), 0);
    int gate = open(g.fifo, O_WRONLY); /* returns once the call is in the service */
    cr_assert_geq(gate, 0, "%s", strerror(errno));

    cr_assert_eq(kill(host, SIGTERM), 0);
    read_line(err[0], line, sizeof line, "the stopping line");
    cr_assert(strstr(line, "coil: SIGTERM: stopping"), "%s", line);

    cr_assert_eq(write(gate, "let it pass\n", 12), 12);
    close(gate);
    pthread_join(g.thread, NULL);
    cr_assert_eq(g.r.rc, CURLE_OK, "%s", curl_easy_strerror(g.r.rc));
    cr_assert_eq(g.r.status, 200);
    cr_assert_str_eq(g.r.body ? g.r.body : "",
                     "{\"jsonrpc\":\"2.0\",\"result\":\"let it pass\",\"id\":1}");
    free(g.r.body);

    read_line(err[0], line, sizeof line, "the stopped line");
    cr_assert(strstr(line, "coil: stopped"), "%s", line);
    int status;
    while (waitpid(host, &status, 0) < 0 && errno == EINTR)
        ;
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "coil run ended with status %d",
              status);
    close(out[0]);
    close(err[0]);
    unlink(g.fifo);
    unlink(context);
    rmdir(dir);
}
