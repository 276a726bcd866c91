/* coil.http-proxy (remoting/http_proxy.c): typed calls through a proxy to a
 * JSON-RPC 2.0 server (tests/jsonrpc_server.py, Python's standard library,
 * serving the calc interface like the implementation in test_invoke.c),
 * errors mapped from the server, every transport failure within the
 * timeout, concurrent calls, keep-alive, retries, the bytes of requests;
 * and the JSON-level client the proxy calls through (coil__rpc_client,
 * remoting/rpc_client.c), against the same server and a Coil exporter.
 * Everything on 127.0.0.1. */
#include "support/support.h"

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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "calc.h"
/* The JSON-level client is internal (libcoil does not export coil__
 * functions): this suite compiles its own copy of remoting/rpc_client.c
 * (tests/CMakeLists.txt); contexts use libcoil's. */
#include "remoting/rpc_client.h"
#include "support/calc_service.h"

extern char **environ;

#define SERVER_SCRIPT COIL_TEST_DATA "/../jsonrpc_server.py"

/* ---- The Python server -------------------------------------------------------- */

typedef struct server {
    pid_t pid;
    int stdin_fd;  /* closing it stops the server too */
    int port;
} server;

static void cloexec(int fd) {
    fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
}

static server server_start(void) {
    int in[2], out[2];
    cr_assert_eq(pipe(in), 0);
    cr_assert_eq(pipe(out), 0);
    cloexec(in[1]);
    cloexec(out[0]);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, in[0]);
    posix_spawn_file_actions_addclose(&fa, out[1]);
    char *argv[] = { "python3", SERVER_SCRIPT, NULL };
    server s = { 0 };
    int rc = posix_spawnp(&s.pid, "python3", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    cr_assert_eq(rc, 0, "cannot start python3: %s", strerror(rc));
    close(in[0]);
    close(out[1]);
    s.stdin_fd = in[1];
    /* The server prints its port once it listens: a blocking read. */
    FILE *f = fdopen(out[0], "r");
    char line[64] = "";
    bool got = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    cr_assert(got, "the server printed no port");
    s.port = atoi(line);
    cr_assert_gt(s.port, 0, "the server printed '%s'", line);
    return s;
}

static void server_stop(server *s) {
    close(s->stdin_fd);
    kill(s->pid, SIGTERM);
    int status;
    while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
        ;
}

static char *server_url(const server *s, const char *path) {
    static char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", s->port, path);
    return url;
}

/* GET /stats: one of "connections", "notes", "requests". */
static size_t collect(char *ptr, size_t size, size_t n, void *userdata) {
    char *buf = userdata;
    size_t have = strlen(buf), add = size * n;
    if (have + add >= 512)
        return 0;
    memcpy(buf + have, ptr, add);
    buf[have + add] = '\0';
    return add;
}

static int64_t server_stat(const server *s, const char *what) {
    char url[128], body[512] = "";
    snprintf(url, sizeof url, "http://127.0.0.1:%d/stats", s->port);
    CURL *h = curl_easy_init();
    cr_assert_not_null(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_cleanup(h);
    cr_assert_eq(rc, CURLE_OK, "GET /stats: %s", curl_easy_strerror(rc));
    json_t *j = json_loads(body, 0, NULL);
    cr_assert(json_is_integer(json_object_get(j, what)), "stats: %s", body);
    int64_t v = json_integer_value(json_object_get(j, what));
    json_decref(j);
    return v;
}

/* ---- Contexts ------------------------------------------------------------------ */

/* A context with one proxy "calc" for `url`; `extra` adds properties
 * ("timeout: 0.5, retries: 2"), may be NULL. */
static coil_context *load_proxy(const char *url, const char *extra) {
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "objects:\n"
             "  - object: calc\n"
             "    class: coil.http-proxy\n"
             "    properties: {url: \"%s\", interface: calc%s%s}\n",
             url, extra ? ", " : "", extra ? extra : "");
    coil_error *err = NULL;
    coil_context *ctx = coil_load_string(yaml, "client.yaml", NULL, &err);
    cr_assert_not_null(ctx, "%s", dump_errors(err));
    return ctx;
}

static void *get_proxy(coil_context *ctx) {
    return GET_OK(ctx, "calc", &calc_interface);
}

/* Seconds of CLOCK_MONOTONIC, the clock the proxy's timeouts run on. */
static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A port nobody listens on (bound, then closed). */
static int closed_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

/* Expects a failed call's error: code, message prefix, and (when not
 * NULL) its message exactly. Frees it. */
static void expect_error(int rc, coil_error *err, int code, const char *prefix,
                         const char *exact) {
    cr_assert_not_null(err, "the call failed (%d) without an error", rc);
    cr_assert_eq(rc, code, "rc %d, expected %d: %s", rc, code, err->message);
    cr_assert_eq((int)err->code, code, "code %d, expected %d: %s", (int)err->code, code,
                 err->message);
    if (prefix)
        cr_assert(strncmp(err->message, prefix, strlen(prefix)) == 0,
                  "message '%s' does not start with '%s'", err->message, prefix);
    if (exact)
        cr_assert_str_eq(err->message, exact);
    coil_error_free(err);
}

/* ---- Typed calls ----------------------------------------------------------------- */

CTEST(proxy, typed_calls_behave_like_the_local_object) {
    server s = server_start();
    coil_context *ctx = load_proxy(server_url(&s, "/calc"), NULL);
    void *calc = get_proxy(ctx);
    calc_expect_typed_calls(calc);
    /* The oneway note came as a notification, and every call (12 of them)
     * went over one kept-alive connection (the second is GET /stats). */
    int64_t conns = server_stat(&s, "connections");
    cr_assert_eq(conns, 2, "%lld connections", (long long)conns);
    cr_assert_eq(server_stat(&s, "notes"), 1);
    cr_assert_eq(server_stat(&s, "requests"), 12);
    coil_close(ctx);
    server_stop(&s);
}

CTEST(proxy, coil_get_checks_the_interface) {
    server s = server_start();
    coil_context *ctx = load_proxy(server_url(&s, "/calc"), NULL);
    coil_error *err = NULL;
    void *calc = coil_get(ctx, "calc", NULL, &err);
    cr_assert_not_null(calc);
    cr_assert_not_null(coil_ops(calc, &calc_interface, &err), "%s", dump_errors(err));
    /* The product is not the factory: typed calls take the product. */
    int64_t sum = 0;
    cr_assert_eq(calc_add(calc, 40, 2, &sum, &err), 0, "%s", dump_errors(err));
    cr_assert_eq(sum, 142);
    coil_close(ctx);
    server_stop(&s);
}

CTEST(proxy, large_values_go_through) {
    server s = server_start();
    coil_context *ctx = load_proxy(server_url(&s, "/calc"), NULL);
    void *calc = get_proxy(ctx);
    size_t n = 1 << 20;
    char *big = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)('a' + i % 26);
    big[n] = '\0';
    json_t *in = json_string(big), *out = NULL;
    coil_error *err = NULL;
    cr_assert_eq(calc_echo(calc, in, &out, &err), 0, "%s", dump_errors(err));
    cr_assert(json_equal(in, out));
    json_decref(in);
    json_decref(out);
    free(big);
    coil_close(ctx);
    server_stop(&s);
}

/* ---- Errors from the server ------------------------------------------------------ */

CTEST(proxy, application_errors_keep_code_message_and_data) {
    server s = server_start();
    coil_context *ctx = load_proxy(server_url(&s, "/calc"), NULL);
    void *calc = get_proxy(ctx);
    coil_error *err = NULL;

    cr_assert_eq(calc_fail(calc, COIL_EVALUE, &err), COIL_EVALUE);
    cr_assert_eq(err->code, COIL_EVALUE);
    cr_assert_str_eq(err->message, "failing on purpose with 10");
    json_t *want = json_pack("{s:s}", "coil", "COIL_EVALUE");
    cr_assert(json_equal(err->data, want), "data attached");
    json_decref(want);
    coil_error_free(err);
    err = NULL;

    /* A service's own code passes through as it is. */
    cr_assert_eq(calc_fail(calc, 4242, &err), 4242);
    cr_assert_eq((int)err->code, 4242);
    cr_assert_str_eq(err->message, "failing on purpose with 4242");
    coil_error_free(err);
    err = NULL;

    cr_assert_eq(calc_fail(calc, -7, &err), -7);
    coil_error_free(err);
    err = NULL;

    cr_assert_eq(calc_fail(calc, 0, &err), COIL_EINIT);
    cr_assert_str_eq(err->message, "fail failed (object initialization failed)");
    coil_error_free(err);
    err = NULL;

    /* A code in JSON-RPC's reserved range: the server sends -32603, which
     * is a protocol-level error here; the message is the server's. */
    cr_assert_eq(calc_fail(calc, -32001, &err), COIL_EPROTOCOL);
    cr_assert_str_eq(err->message, "failing on purpose with -32001");
    want = json_pack("{s:i}", "code", -32001);
    cr_assert(json_equal(err->data, want));
    json_decref(want);
    coil_error_free(err);
    err = NULL;

    /* The caller may pass no error at all. */
    cr_assert_eq(calc_fail(calc, COIL_EVALUE, NULL), COIL_EVALUE);
    coil_close(ctx);
    server_stop(&s);
}

CTEST(proxy, unknown_method_and_invalid_params_are_mapped) {
    server s = server_start();
    coil_context *ctx = load_proxy(server_url(&s, "/unknown"), NULL);
    void *calc = get_proxy(ctx);
    coil_error *err = NULL;
    int64_t sum = -1;
    int rc = calc_add(calc, 1, 2, &sum, &err);
    expect_error(rc, err, COIL_ENOMETHOD, NULL, "interface 'calc' has no method 'add'");
    cr_assert_eq(sum, -1);
    coil_close(ctx);

    ctx = load_proxy(server_url(&s, "/v2"), NULL);
    calc = get_proxy(ctx);
    err = NULL;
    rc = calc_add(calc, 1, 2, &sum, &err);
    expect_error(rc, err, COIL_EPARAMS, NULL, "add: missing parameter 'c' (int)");
    cr_assert_eq(sum, -1);
    coil_close(ctx);
    server_stop(&s);
}

/* ---- Transport failures ------------------------------------------------------------ */

CTEST(proxy, a_server_that_is_gone_fails_fast) {
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/calc", closed_port());
    coil_context *ctx = load_proxy(url, NULL); /* timeout 30 s */
    void *calc = get_proxy(ctx);
    coil_error *err = NULL;
    int64_t sum = -1;
    double t0 = now_s();
    int rc = calc_add(calc, 1, 2, &sum, &err);
    double elapsed = now_s() - t0;
    char prefix[200];
    snprintf(prefix, sizeof prefix, "cannot connect to %s: ", url);
    cr_assert_not_null(err);
    cr_assert_null(strstr(err->message, "attempts"), "%s", err->message);
    expect_error(rc, err, COIL_ECONNECT, prefix, NULL);
    cr_assert_eq(sum, -1);
    cr_assert_lt(elapsed, 1.0, "took %.3f s", elapsed);

    /* A oneway call reports it too. */
    err = NULL;
    rc = calc_note(calc, "hello?", &err);
    expect_error(rc, err, COIL_ECONNECT, prefix, NULL);
    coil_close(ctx);
}

CTEST(proxy, a_server_that_never_answers_times_out) {
    server s = server_start();
    const char *url = server_url(&s, "/hang");
    coil_context *ctx = load_proxy(url, "timeout: 0.5");
    void *calc = get_proxy(ctx);
    char want[200];
    snprintf(want, sizeof want, "no reply from %s within 0.5 s", url);
    for (int oneway = 0; oneway < 2; oneway++) {
        coil_error *err = NULL;
        int64_t sum = -1;
        double t0 = now_s();
        int rc = oneway ? calc_note(calc, "anyone?", &err) : calc_add(calc, 1, 2, &sum, &err);
        double elapsed = now_s() - t0;
        expect_error(rc, err, COIL_ETIMEOUT, NULL, want);
        cr_assert_geq(elapsed, 0.49, "took %.3f s", elapsed);
        cr_assert_lt(elapsed, 1.5, "took %.3f s", elapsed);
        cr_assert_eq(sum, -1);
    }
    coil_close(ctx);
    server_stop(&s);
}

CTEST(proxy, http_statuses_are_errors) {
    server s = server_start();
    static const int statuses[] = { 500, 404, 503, 302 };
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        char path[32], want[200];
        snprintf(path, sizeof path, "/status/%d", statuses[i]);
        const char *url = server_url(&s, path);
        snprintf(want, sizeof want, "HTTP status %d from %s", statuses[i], url);
        coil_context *ctx = load_proxy(url, NULL);
        void *calc = get_proxy(ctx);
        coil_error *err = NULL;
        int64_t sum = -1;
        int rc = calc_add(calc, 1, 2, &sum, &err);
        expect_error(rc, err, COIL_EHTTP, NULL, want);
        cr_assert_eq(sum, -1);
        err = NULL;
        rc = calc_note(calc, "x", &err); /* oneway: the status still counts */
        expect_error(rc, err, COIL_EHTTP, NULL, want);
        coil_close(ctx);
    }
    server_stop(&s);
}

CTEST(proxy, a_204_answers_a_notification_but_not_a_call) {
    /* Many servers answer notifications with 204 No Content: fine for a
     * oneway call, an error for a call that needs a reply. */
    server s = server_start();
    const char *url = server_url(&s, "/status/204");
    coil_context *ctx = load_proxy(url, NULL);
    void *calc = get_proxy(ctx);
    coil_error *err = NULL;
    cr_assert_eq(calc_note(calc, "x", &err), 0, "%s", err ? err->message : "");
    int64_t sum = -1;
    char want[200];
    snprintf(want, sizeof want, "HTTP status 204 from %s", url);
    int rc = calc_add(calc, 1, 2, &sum, &err);
    expect_error(rc, err, COIL_EHTTP, NULL, want);
    coil_close(ctx);
    server_stop(&s);
}

CTEST(proxy, malformed_replies_are_protocol_errors) {
    server s = server_start();
    static const struct { const char *path, *detail; } cases[] = {
        { "/malformed", "not JSON (" },
        { "/notrpc", "not a JSON-RPC 2.0 response object" },
        { "/wrong-id", "its id 1001 does not match the request's id 1" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *url = server_url(&s, cases[i].path);
        char want[256];
        snprintf(want, sizeof want, "malformed reply from %s: %s", url, cases[i].detail);
        coil_context *ctx = load_proxy(url, NULL);
        void *calc = get_proxy(ctx);
        coil_error *err = NULL;
        char *hello = (char *)"untouched";
        int rc = calc_greet(calc, "Ann", NULL, &hello, &err);
        expect_error(rc, err, COIL_EPROTOCOL, want, NULL);
        cr_assert_str_eq(hello, "untouched");
        coil_close(ctx);
    }
    server_stop(&s);
}

CTEST(proxy, a_connection_closed_without_reply_is_an_error) {
    server s = server_start();
    const char *url = server_url(&s, "/close");
    coil_context *ctx = load_proxy(url, NULL);
    void *calc = get_proxy(ctx);
    coil_error *err = NULL;
    int64_t sum = -1;
    char prefix[200];
    snprintf(prefix, sizeof prefix, "connection to %s lost: ", url);
    int rc = calc_add(calc, 1, 2, &sum, &err);
    expect_error(rc, err, COIL_ECONNECT, prefix, NULL);
    coil_close(ctx);
    server_stop(&s);
}

/* ---- Retries ------------------------------------------------------------------------- */

CTEST(proxy, a_refused_connection_is_tried_retries_plus_one_times) {
    char url[128], prefix[200];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/calc", closed_port());
    snprintf(prefix, sizeof prefix, "cannot connect to %s: ", url);
    /* 3 retries, 0.1 s apart: 4 attempts, at least 0.3 s. */
    coil_context *ctx = load_proxy(url, "retries: 3, retry-delay: 0.1");
    void *calc = get_proxy(ctx);
    coil_error *err = NULL;
    int64_t sum = -1;
    double t0 = now_s();
    int rc = calc_add(calc, 1, 2, &sum, &err);
    double elapsed = now_s() - t0;
    cr_assert_not_null(err);
    size_t len = strlen(err->message);
    cr_assert(len > 12 && strcmp(err->message + len - 12, "(4 attempts)") == 0, "%s",
              err->message);
    expect_error(rc, err, COIL_ECONNECT, prefix, NULL);
    cr_assert_geq(elapsed, 0.3, "took %.3f s", elapsed);
    cr_assert_lt(elapsed, 1.5, "took %.3f s", elapsed);
    coil_close(ctx);

    /* The timeout bounds the retries. */
    ctx = load_proxy(url, "retries: 1000, retry-delay: 0.1, timeout: 0.5");
    calc = get_proxy(ctx);
    err = NULL;
    t0 = now_s();
    rc = calc_add(calc, 1, 2, &sum, &err);
    elapsed = now_s() - t0;
    expect_error(rc, err, COIL_ECONNECT, prefix, NULL);
    cr_assert_lt(elapsed, 1.0, "took %.3f s", elapsed);
    coil_close(ctx);
}

/* A listener whose accept queue is full: connection attempts are dropped
 * and time out, so each attempt takes connect-timeout. */
typedef struct full_listener { int fd, filler, port; } full_listener;

static full_listener full_listener_open(void) {
    full_listener l;
    l.fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    cr_assert_eq(bind(l.fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(l.fd, 0), 0);
    socklen_t len = sizeof a;
    getsockname(l.fd, (struct sockaddr *)&a, &len);
    l.port = ntohs(a.sin_port);
    l.filler = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_eq(connect(l.filler, (struct sockaddr *)&a, sizeof a), 0);
    return l;
}

CTEST(proxy, a_connection_not_made_in_time_counts_as_never_sent) {
    full_listener l = full_listener_open();
    char url[128], prefix[200];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/calc", l.port);
    snprintf(prefix, sizeof prefix, "cannot connect to %s: ", url);
    /* Three attempts of 0.2 s each. */
    coil_context *ctx = load_proxy(url, "connect-timeout: 0.2, retries: 2, retry-delay: 0");
    void *calc = get_proxy(ctx);
    coil_error *err = NULL;
    int64_t sum = -1;
    double t0 = now_s();
    int rc = calc_add(calc, 1, 2, &sum, &err);
    double elapsed = now_s() - t0;
    cr_assert_not_null(err);
    cr_assert_not_null(strstr(err->message, "(3 attempts)"), "%s", err->message);
    expect_error(rc, err, COIL_ECONNECT, prefix, NULL);
    cr_assert_geq(elapsed, 0.59, "took %.3f s", elapsed);
    cr_assert_lt(elapsed, 1.5, "took %.3f s", elapsed);
    coil_close(ctx);

    /* When the whole call's timeout ends first, it is a timeout. */
    ctx = load_proxy(url, "connect-timeout: 5, timeout: 0.3");
    calc = get_proxy(ctx);
    err = NULL;
    t0 = now_s();
    rc = calc_add(calc, 1, 2, &sum, &err);
    elapsed = now_s() - t0;
    char want[200];
    snprintf(want, sizeof want, "no reply from %s within 0.3 s", url);
    expect_error(rc, err, COIL_ETIMEOUT, NULL, want);
    cr_assert_lt(elapsed, 1.3, "took %.3f s", elapsed);
    coil_close(ctx);
    close(l.filler);
    close(l.fd);
}

/* ---- Threads ------------------------------------------------------------------------- */

#define NTHREADS 8
#define NCALLS 40

typedef struct worker { void *calc; int id; int ok; } worker;

static void *work(void *arg) {
    worker *w = arg;
    for (int i = 0; i < NCALLS; i++) {
        coil_error *err = NULL;
        int64_t sum = 0;
        if (calc_add(w->calc, w->id, i, &sum, &err) == 0 && sum == w->id + i + 100)
            w->ok++;
        coil_error_free(err);
        err = NULL;
        char name[32], *hello = NULL, want[64];
        snprintf(name, sizeof name, "t%d-%d", w->id, i);
        snprintf(want, sizeof want, "Hello, %s", name);
        if (calc_greet(w->calc, name, NULL, &hello, &err) == 0 && strcmp(hello, want) == 0)
            w->ok++;
        free(hello);
        coil_error_free(err);
    }
    return NULL;
}

CTEST(proxy, many_threads_call_one_proxy_at_once) {
    server s = server_start();
    coil_context *ctx = load_proxy(server_url(&s, "/calc"), NULL);
    void *calc = get_proxy(ctx);
    worker w[NTHREADS];
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        w[i] = (worker){ calc, i * 1000, 0 };
        cr_assert_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(t[i], NULL);
        cr_assert_eq(w[i].ok, 2 * NCALLS, "thread %d: %d of %d calls right", i, w[i].ok,
                     2 * NCALLS);
    }
    /* No more connections than calls at once (plus GET /stats). */
    int64_t conns = server_stat(&s, "connections");
    cr_assert_leq(conns, NTHREADS + 1, "%lld connections", (long long)conns);
    cr_assert_eq(server_stat(&s, "requests"), NTHREADS * NCALLS * 2);
    coil_close(ctx);
    server_stop(&s);
}

/* ---- Configuration ------------------------------------------------------------------- */

CTEST(proxy, configuration_errors) {
    coil_error *err = NULL;
    cr_assert_null(coil_load_string("objects:\n"
                                    "  - object: calc\n"
                                    "    class: coil.http-proxy\n"
                                    "    properties: {interface: calc}\n",
                                    "client.yaml", NULL, &err));
    /* No url (nor urls, nor name and naming: test_proxy_failover.c). */
    EXPECT_ONLY_ERROR(err, COIL_EVALUE, "client.yaml", 2, 0,
                      "object 'calc': init failed: give url, urls, or name with naming: none "
                      "is set");
    coil_error_free(err);
    err = NULL;

    cr_assert_null(coil_load_string("objects:\n"
                                    "  - object: calc\n"
                                    "    class: coil.http-proxy\n"
                                    "    properties: {url: \"ftp://127.0.0.1/x\", interface: calc}\n",
                                    "client.yaml", NULL, &err));
    EXPECT_ONLY_ERROR(err, COIL_EVALUE, "client.yaml", 2, 0,
                      "object 'calc': init failed: url 'ftp://127.0.0.1/x' is not an HTTP URL "
                      "(http://host:port/path)");
    coil_error_free(err);
    err = NULL;

    cr_assert_null(coil_load_string("objects:\n"
                                    "  - object: calc\n"
                                    "    class: coil.http-proxy\n"
                                    "    properties: {url: \"http://127.0.0.1:1/\", interface: calc,"
                                    " timeout: 0}\n",
                                    "client.yaml", NULL, &err));
    cr_assert_not_null(find_error(err, COIL_EVALUE), "%s", dump_errors(err));
    coil_error_free(err);
}

/* ---- Interfaces -------------------------------------------------------------------- */

CTEST(proxy, implements_only_its_configured_interface) {
    coil_context *ctx = load_proxy("http://127.0.0.1:1/calc", NULL);
    coil_interface other = calc_interface;
    other.name = "other";
    coil_error *err = NULL;
    cr_assert_null(coil_get(ctx, "calc", &other, &err));
    cr_assert_eq(err->code, COIL_EINTERFACE, "%s", err->message);
    cr_assert_not_null(strstr(err->message, "interface 'other'"), "%s", err->message);
    coil_error_free(err);
    coil_close(ctx);
}

/* ---- End to end: a proxy and a Coil exporter in one context --------------------------- */


/* The service, its exporter on a free port, and a proxy for it. */
static coil_context *load_end_to_end(int *port) {
    *port = closed_port();
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "objects:\n"
             "  - {object: service, class: calc_impl, properties: {base: 100}}\n"
             "  - object: exporter\n"
             "    class: coil.http-exporter\n"
             "    properties: {service: {ref: service}, interface: calc,\n"
             "                 listen: '127.0.0.1:%d', path: /calc, threads: 4}\n"
             "  - object: calc\n"
             "    class: coil.http-proxy\n"
             "    properties: {url: 'http://127.0.0.1:%d/calc', interface: calc, timeout: 10}\n",
             *port, *port);
    coil_options *opts = coil_options_new();
    coil_options_add_class(opts, &calc_impl_class);
    coil_error *err = NULL;
    coil_context *ctx = coil_load_string(yaml, "both.yaml", opts, &err);
    coil_options_free(opts);
    cr_assert_not_null(ctx, "%s", dump_errors(err));
    return ctx;
}

CTEST(proxy, calls_a_coil_exporter_end_to_end) {
    int port;
    coil_context *ctx = load_end_to_end(&port);
    void *calc = get_proxy(ctx);
    calc_impl *service = GET_OK(ctx, "service", &calc_interface);
    cr_assert_neq((void *)calc, (void *)service);
    calc_expect_typed_calls(calc);
    cr_assert_eq(service->notes, 1, "the oneway note ran in the service");

    /* The service's error data comes along. */
    coil_error *err = NULL;
    cr_assert_eq(calc_fail(calc, COIL_EVALUE, &err), COIL_EVALUE);
    json_t *want = json_pack("{s:s}", "coil", "COIL_EVALUE");
    cr_assert(json_equal(err->data, want));
    json_decref(want);
    coil_error_free(err);
    coil_close(ctx);
}

CTEST(proxy, many_threads_through_a_coil_exporter) {
    int port;
    coil_context *ctx = load_end_to_end(&port);
    void *calc = get_proxy(ctx);
    worker w[NTHREADS];
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        w[i] = (worker){ calc, i * 1000, 0 };
        cr_assert_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(t[i], NULL);
        cr_assert_eq(w[i].ok, 2 * NCALLS, "thread %d: %d of %d calls right", i, w[i].ok,
                     2 * NCALLS);
    }
    coil_close(ctx);
}

/* ---- The bytes of a request ------------------------------------------------------- */

/* A listener that records what clients send: each request's head and
 * body, answered in order with the replies the test gave it (a body, sent
 * as 200 application/json; NULL for 204 No Content). Connections are
 * served one after the other. Test fixture only: the requests are ones
 * libcurl wrote, with a Content-Length. */
#define CAPTURE_MAX 8
typedef struct capture {
    int fd, port;
    pthread_t thread;
    const char *replies[CAPTURE_MAX];
    int nreplies;
    char head[CAPTURE_MAX][1024];
    char body[CAPTURE_MAX][1024];
    int n;                      /* requests recorded */
    int connections;
} capture;

static bool read_request(int fd, char *head, size_t head_size, char *body, size_t body_size) {
    char buf[4096];
    size_t len = 0;
    char *end = NULL;
    while (!end) {
        if (len + 1 >= sizeof buf)
            return false;
        ssize_t n = recv(fd, buf + len, sizeof buf - 1 - len, 0);
        if (n <= 0)
            return false;
        len += (size_t)n;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    size_t head_len = (size_t)(end - buf) + 4;
    snprintf(head, head_size, "%.*s", (int)head_len, buf);
    size_t want = 0;
    for (char *line = buf; line < end; line = strstr(line, "\r\n") + 2)
        if (strncasecmp(line, "Content-Length:", 15) == 0)
            want = strtoul(line + 15, NULL, 10);
    if (want >= body_size)
        return false;
    size_t have = len - head_len;
    memcpy(body, buf + head_len, have);
    while (have < want) {
        ssize_t n = recv(fd, body + have, want - have, 0);
        if (n <= 0)
            return false;
        have += (size_t)n;
    }
    body[want] = '\0';
    return true;
}

static void *capture_run(void *arg) {
    capture *c = arg;
    int conn;
    while ((conn = accept(c->fd, NULL, NULL)) >= 0) {
        c->connections++;
        while (c->n < c->nreplies &&
               read_request(conn, c->head[c->n], sizeof c->head[0], c->body[c->n],
                            sizeof c->body[0])) {
            const char *reply = c->replies[c->n++];
            char out[2048];
            int len = reply ? snprintf(out, sizeof out,
                                       "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                       "Content-Length: %zu\r\n\r\n%s",
                                       strlen(reply), reply)
                            : snprintf(out, sizeof out, "HTTP/1.1 204 No Content\r\n\r\n");
            if (send(conn, out, (size_t)len, MSG_NOSIGNAL) != len)
                break;
        }
        close(conn);
    }
    return NULL;
}

static void capture_start(capture *c) {
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    cr_assert_eq(bind(c->fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(c->fd, 4), 0);
    socklen_t len = sizeof a;
    getsockname(c->fd, (struct sockaddr *)&a, &len);
    c->port = ntohs(a.sin_port);
    cr_assert_eq(pthread_create(&c->thread, NULL, capture_run, c), 0);
}

static void capture_stop(capture *c) {
    shutdown(c->fd, SHUT_RDWR); /* accept() returns */
    pthread_join(c->thread, NULL);
    close(c->fd);
}

CTEST(proxy, requests_are_compact_json_rpc_with_the_documented_headers) {
    capture c = { .replies = { "{\"jsonrpc\":\"2.0\",\"result\":103,\"id\":1}",
                               "{\"jsonrpc\":\"2.0\",\"result\":\"Hello, Ann\",\"id\":2}",
                               NULL,
                               "{\"jsonrpc\":\"2.0\",\"result\":\"Hello, Dr Bo\",\"id\":3}" },
                  .nreplies = 4 };
    capture_start(&c);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/calc", c.port);
    coil_context *ctx = load_proxy(url, NULL);
    void *calc = get_proxy(ctx);
    coil_error *err = NULL;
    int64_t sum = 0;
    cr_assert_eq(calc_add(calc, 1, 2, &sum, &err), 0, "%s", dump_errors(err));
    cr_assert_eq(sum, 103);
    char *hello = NULL;
    cr_assert_eq(calc_greet(calc, "Ann", NULL, &hello, &err), 0, "%s", dump_errors(err));
    cr_assert_str_eq(hello, "Hello, Ann");
    free(hello);
    cr_assert_eq(calc_note(calc, "x\"y", &err), 0, "%s", dump_errors(err));
    cr_assert_eq(calc_greet(calc, "Bo", "Dr", &hello, &err), 0, "%s", dump_errors(err));
    free(hello);
    coil_close(ctx);
    capture_stop(&c);

    cr_assert_eq(c.n, 4);
    cr_assert_eq(c.connections, 1, "one kept-alive connection");
    cr_assert_str_eq(c.body[0],
                     "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[1,2],\"id\":1}");
    /* An absent optional parameter at the end is left out. */
    cr_assert_str_eq(c.body[1],
                     "{\"jsonrpc\":\"2.0\",\"method\":\"greet\",\"params\":[\"Ann\"],\"id\":2}");
    /* A oneway call is a notification: no id, and it takes none. */
    cr_assert_str_eq(c.body[2],
                     "{\"jsonrpc\":\"2.0\",\"method\":\"note\",\"params\":[\"x\\\"y\"]}");
    cr_assert_str_eq(c.body[3], "{\"jsonrpc\":\"2.0\",\"method\":\"greet\","
                                "\"params\":[\"Bo\",\"Dr\"],\"id\":3}");
    for (int i = 0; i < c.n; i++) {
        cr_assert(strncmp(c.head[i], "POST /calc HTTP/1.1\r\n", 21) == 0, "%s", c.head[i]);
        cr_assert_not_null(strstr(c.head[i], "\r\nContent-Type: application/json\r\n"), "%s",
                           c.head[i]);
        cr_assert_not_null(strstr(c.head[i], "\r\nAccept: application/json\r\n"), "%s", c.head[i]);
        cr_assert_not_null(strstr(c.head[i], "\r\nUser-Agent: coil-http-proxy\r\n"), "%s",
                           c.head[i]);
        cr_assert_null(strstr(c.head[i], "Expect"), "%s", c.head[i]);
    }
}

/* ---- The JSON-level client (coil__rpc_client) ------------------------------------- */

static coil__rpc_client *open_client(const char *url, double timeout, unsigned retries) {
    coil__rpc_client *c = NULL;
    coil_error *err = NULL;
    int rc = coil__rpc_client_open(url, 2, timeout, retries, &c, &err);
    cr_assert_eq(rc, 0, "%s", dump_errors(err));
    cr_assert_not_null(c);
    return c;
}

CTEST(rpc_client, calls_with_positional_named_or_no_params) {
    server s = server_start();
    coil__rpc_client *c = open_client(server_url(&s, "/calc"), 10, 0);
    coil_error *err = NULL;
    json_t *result = NULL;

    json_t *params = json_pack("[i, i]", 1, 2);
    cr_assert_eq(coil__rpc_client_call(c, "add", params, &result, &err), 0, "%s",
                 dump_errors(err));
    cr_assert(json_is_integer(result) && json_integer_value(result) == 103);
    json_decref(result);
    /* The params stay the caller's, unchanged. */
    cr_assert_eq(params->refcount, 1);
    json_decref(params);

    params = json_pack("{s:i, s:i}", "a", 40, "b", 2);
    cr_assert_eq(coil__rpc_client_call(c, "add", params, &result, &err), 0, "%s",
                 dump_errors(err));
    cr_assert_eq(json_integer_value(result), 142);
    json_decref(result);
    /* Not wanted: dropped. */
    cr_assert_eq(coil__rpc_client_call(c, "add", params, NULL, &err), 0, "%s", dump_errors(err));
    json_decref(params);

    /* Any JSON goes and comes back: escapes, UTF-8, nesting, null. */
    json_t *value = json_pack("{s:s, s:[n, b, f, I], s:{}}", "text", "\xc3\xa9 \"q\" \\ \n\t/",
                              "list", 1, 2.5, (json_int_t)1 << 40, "empty");
    params = json_pack("[O]", value);
    cr_assert_eq(coil__rpc_client_call(c, "echo", params, &result, &err), 0, "%s",
                 dump_errors(err));
    cr_assert(json_equal(result, value));
    json_decref(result);
    json_decref(params);
    json_decref(value);
    params = json_pack("[n]");
    result = json_true();
    cr_assert_eq(coil__rpc_client_call(c, "echo", params, &result, &err), 0, "%s",
                 dump_errors(err));
    cr_assert(json_is_null(result), "a null result is a result");
    json_decref(result);
    json_decref(params);

    /* No params at all: the server's count fails on purpose, with code 19. */
    result = NULL;
    int rc = coil__rpc_client_call(c, "count", NULL, &result, &err);
    cr_assert_null(result, "left as it was");
    cr_assert_not_null(err);
    json_t *want = json_pack("{s:s}", "coil", "COIL_EINTERFACE");
    cr_assert(json_equal(err->data, want));
    json_decref(want);
    expect_error(rc, err, COIL_EINTERFACE, NULL, "calc.count is not implemented");

    /* Every call on one kept-alive connection (the second is GET /stats). */
    cr_assert_eq(server_stat(&s, "connections"), 2);
    cr_assert_eq(server_stat(&s, "requests"), 6);
    coil__rpc_client_close(c);
    server_stop(&s);
}

CTEST(rpc_client, maps_errors_like_the_proxy) {
    server s = server_start();
    json_t *params = json_pack("[i]", 10);
    struct {
        const char *path, *method;
        int code;
        const char *message; /* exact, or with "%s" for the URL */
    } cases[] = {
        { "/calc", "fail", COIL_EVALUE, "failing on purpose with 10" },
        { "/unknown", "fail", COIL_ENOMETHOD, "interface 'calc' has no method 'fail'" },
        { "/status/500", "fail", COIL_EHTTP, "HTTP status 500 from %s" },
        { "/notrpc", "fail", COIL_EPROTOCOL,
          "malformed reply from %s: not a JSON-RPC 2.0 response object" },
        { "/wrong-id", "add", COIL_EPROTOCOL,
          "malformed reply from %s: its id 1001 does not match the request's id 1" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *url = server_url(&s, cases[i].path);
        char want[256];
        snprintf(want, sizeof want, cases[i].message, url);
        coil__rpc_client *c = open_client(url, 10, 0);
        coil_error *err = NULL;
        json_t *result = NULL;
        json_t *p = strcmp(cases[i].method, "add") == 0 ? json_pack("[i, i]", 1, 2)
                                                        : json_incref(params);
        int rc = coil__rpc_client_call(c, cases[i].method, p, &result, &err);
        json_decref(p);
        cr_assert_null(result);
        expect_error(rc, err, cases[i].code, NULL, want);
        coil__rpc_client_close(c);
    }
    /* -32602 from a newer server. */
    coil__rpc_client *c = open_client(server_url(&s, "/v2"), 10, 0);
    coil_error *err = NULL;
    json_t *p = json_pack("[i, i]", 1, 2);
    int rc = coil__rpc_client_call(c, "add", p, NULL, &err);
    json_decref(p);
    expect_error(rc, err, COIL_EPARAMS, NULL, "add: missing parameter 'c' (int)");
    coil__rpc_client_close(c);

    /* No reply in time. */
    const char *url = server_url(&s, "/hang");
    c = open_client(url, 0.5, 0);
    char want[256];
    snprintf(want, sizeof want, "no reply from %s within 0.5 s", url);
    err = NULL;
    double t0 = now_s();
    rc = coil__rpc_client_call(c, "fail", params, NULL, &err);
    double elapsed = now_s() - t0;
    expect_error(rc, err, COIL_ETIMEOUT, NULL, want);
    cr_assert_geq(elapsed, 0.49, "took %.3f s", elapsed);
    cr_assert_lt(elapsed, 1.5, "took %.3f s", elapsed);
    coil__rpc_client_close(c);

    /* The connection closed without a reply. */
    url = server_url(&s, "/close");
    c = open_client(url, 10, 0);
    snprintf(want, sizeof want, "connection to %s lost: ", url);
    err = NULL;
    rc = coil__rpc_client_call(c, "fail", params, NULL, &err);
    expect_error(rc, err, COIL_ECONNECT, want, NULL);
    coil__rpc_client_close(c);

    json_decref(params);
    server_stop(&s);
}

CTEST(rpc_client, a_server_that_is_gone_is_tried_retries_plus_one_times) {
    char url[128], prefix[200];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/calc", closed_port());
    snprintf(prefix, sizeof prefix, "cannot connect to %s: ", url);
    coil__rpc_client *c = open_client(url, 10, 0);
    coil_error *err = NULL;
    int rc = coil__rpc_client_call(c, "add", NULL, NULL, &err);
    cr_assert_not_null(err);
    cr_assert_null(strstr(err->message, "attempts"), "%s", err->message);
    expect_error(rc, err, COIL_ECONNECT, prefix, NULL);
    coil__rpc_client_close(c);

    /* 2 retries, 0.1 s apart. */
    c = open_client(url, 10, 2);
    err = NULL;
    double t0 = now_s();
    rc = coil__rpc_client_call(c, "add", NULL, NULL, &err);
    double elapsed = now_s() - t0;
    cr_assert_not_null(err);
    cr_assert_not_null(strstr(err->message, "(3 attempts)"), "%s", err->message);
    expect_error(rc, err, COIL_ECONNECT, prefix, NULL);
    cr_assert_geq(elapsed, 0.2, "took %.3f s", elapsed);
    cr_assert_lt(elapsed, 1.5, "took %.3f s", elapsed);
    coil__rpc_client_close(c);
}

CTEST(rpc_client, refuses_bad_arguments) {
    coil__rpc_client *c = NULL;
    coil_error *err = NULL;
    int rc = coil__rpc_client_open("ftp://127.0.0.1/x", 1, 1, 0, &c, &err);
    expect_error(rc, err, COIL_EVALUE, NULL,
                 "url 'ftp://127.0.0.1/x' is not an HTTP URL (http://host:port/path)");
    cr_assert_null(c);
    err = NULL;
    rc = coil__rpc_client_open("http://127.0.0.1:1/x", 1, 0, 0, &c, &err);
    expect_error(rc, err, COIL_EVALUE, NULL, NULL);
    cr_assert_null(c);
    err = NULL;
    rc = coil__rpc_client_open(NULL, 1, 1, 0, &c, &err);
    expect_error(rc, err, COIL_EINVAL, NULL, NULL);
    /* A failure without an error wanted. */
    cr_assert_eq(coil__rpc_client_open("nothing", 1, 1, 0, &c, NULL), COIL_EVALUE);

    c = open_client("http://127.0.0.1:1/x", 1, 0);
    json_t *s = json_string("not params");
    err = NULL;
    rc = coil__rpc_client_call(c, "add", s, NULL, &err);
    expect_error(rc, err, COIL_EINVAL, NULL, "add: params must be an array or an object");
    json_decref(s);
    err = NULL;
    rc = coil__rpc_client_call(c, NULL, NULL, NULL, &err);
    expect_error(rc, err, COIL_EINVAL, NULL, NULL);
    err = NULL;
    rc = coil__rpc_client_call(c, "bad \xff name", NULL, NULL, &err);
    expect_error(rc, err, COIL_EINVAL, NULL, NULL);
    coil__rpc_client_close(c);
    coil__rpc_client_close(NULL);
}

CTEST(rpc_client, writes_the_same_bytes_as_the_proxy) {
    capture c = { .replies = { "{\"jsonrpc\":\"2.0\",\"result\":[1,{\"a\":null}],\"id\":1}",
                               "{\"jsonrpc\":\"2.0\",\"result\":7,\"id\":2}",
                               "{\"jsonrpc\":\"2.0\",\"result\":true,\"id\":3}" },
                  .nreplies = 3 };
    capture_start(&c);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/rpc", c.port);
    coil__rpc_client *rpc = open_client(url, 10, 0);
    coil_error *err = NULL;
    json_t *result = NULL;
    json_t *params = json_pack("{s:s, s:f}", "name", "\xc3\xa9\"", "x", 0.5);
    cr_assert_eq(coil__rpc_client_call(rpc, "look\"up", params, &result, &err), 0, "%s",
                 dump_errors(err));
    json_decref(params);
    json_t *want = json_pack("[i, {s:n}]", 1, "a");
    cr_assert(json_equal(result, want));
    json_decref(want);
    json_decref(result);
    cr_assert_eq(coil__rpc_client_call(rpc, "count", NULL, &result, &err), 0, "%s",
                 dump_errors(err));
    cr_assert_eq(json_integer_value(result), 7);
    json_decref(result);
    params = json_array();
    cr_assert_eq(coil__rpc_client_call(rpc, "count", params, NULL, &err), 0, "%s",
                 dump_errors(err));
    json_decref(params);
    coil__rpc_client_close(rpc);
    capture_stop(&c);

    cr_assert_eq(c.n, 3);
    cr_assert_eq(c.connections, 1);
    cr_assert_str_eq(c.body[0], "{\"jsonrpc\":\"2.0\",\"method\":\"look\\\"up\","
                                "\"params\":{\"name\":\"\xc3\xa9\\\"\",\"x\":0.5},\"id\":1}");
    cr_assert_str_eq(c.body[1], "{\"jsonrpc\":\"2.0\",\"method\":\"count\",\"id\":2}");
    cr_assert_str_eq(c.body[2],
                     "{\"jsonrpc\":\"2.0\",\"method\":\"count\",\"params\":[],\"id\":3}");
    cr_assert(strncmp(c.head[0], "POST /rpc HTTP/1.1\r\n", 20) == 0, "%s", c.head[0]);
    cr_assert_not_null(strstr(c.head[0], "\r\nUser-Agent: coil-http-proxy\r\n"), "%s", c.head[0]);
}

typedef struct rpc_worker { coil__rpc_client *c; int id; int ok; } rpc_worker;

static void *rpc_work(void *arg) {
    rpc_worker *w = arg;
    for (int i = 0; i < NCALLS; i++) {
        json_t *params = json_pack("[i, i]", w->id, i), *result = NULL;
        coil_error *err = NULL;
        if (coil__rpc_client_call(w->c, "add", params, &result, &err) == 0 &&
            json_integer_value(result) == w->id + i + 100)
            w->ok++;
        json_decref(result);
        json_decref(params);
        coil_error_free(err);
    }
    return NULL;
}

CTEST(rpc_client, many_threads_call_one_client_at_once) {
    server s = server_start();
    coil__rpc_client *c = open_client(server_url(&s, "/calc"), 10, 0);
    rpc_worker w[NTHREADS];
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        w[i] = (rpc_worker){ c, i * 1000, 0 };
        cr_assert_eq(pthread_create(&t[i], NULL, rpc_work, &w[i]), 0);
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(t[i], NULL);
        cr_assert_eq(w[i].ok, NCALLS, "thread %d: %d of %d calls right", i, w[i].ok, NCALLS);
    }
    int64_t conns = server_stat(&s, "connections");
    cr_assert_leq(conns, NTHREADS + 1, "%lld connections", (long long)conns);
    cr_assert_eq(server_stat(&s, "requests"), NTHREADS * NCALLS);
    coil__rpc_client_close(c);
    server_stop(&s);
}

CTEST(rpc_client, calls_a_coil_exporter) {
    int port;
    coil_context *ctx = load_end_to_end(&port);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/calc", port);
    coil__rpc_client *c = open_client(url, 10, 0);
    coil_error *err = NULL;
    json_t *params = json_pack("{s:i, s:i}", "a", 40, "b", 2), *result = NULL;
    cr_assert_eq(coil__rpc_client_call(c, "add", params, &result, &err), 0, "%s",
                 dump_errors(err));
    cr_assert_eq(json_integer_value(result), 142);
    json_decref(result);
    json_decref(params);

    params = json_pack("[i]", COIL_EVALUE);
    int rc = coil__rpc_client_call(c, "fail", params, NULL, &err);
    json_decref(params);
    cr_assert_not_null(err);
    json_t *want = json_pack("{s:s}", "coil", "COIL_EVALUE");
    cr_assert(json_equal(err->data, want));
    json_decref(want);
    expect_error(rc, err, COIL_EVALUE, NULL, NULL);

    err = NULL;
    rc = coil__rpc_client_call(c, "nosuch", NULL, NULL, &err);
    expect_error(rc, err, COIL_ENOMETHOD, NULL, "interface 'calc' has no method 'nosuch'");
    err = NULL;
    params = json_pack("[s]", "x");
    rc = coil__rpc_client_call(c, "add", params, NULL, &err);
    json_decref(params);
    expect_error(rc, err, COIL_EPARAMS, NULL, NULL);
    coil__rpc_client_close(c);
    coil_close(ctx);
}

/* libcurl POSTs a call to `url` with a header of `pad` bytes; the status. */
static long post_with_header(const char *url, size_t pad) {
    char *header = malloc(pad + 16);
    int n = snprintf(header, pad + 16, "X-Pad: ");
    memset(header + n, 'a', pad);
    header[n + pad] = '\0';
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, header);
    char body[512] = "";
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS,
                     "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[1,2],\"id\":1}");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    free(header);
    cr_assert_eq(rc, CURLE_OK, "%s", curl_easy_strerror(rc));
    if (status == 200)
        cr_assert_str_eq(body, "{\"jsonrpc\":\"2.0\",\"result\":103,\"id\":1}");
    return status;
}

CTEST(proxy, an_exporter_takes_request_headers_up_to_about_15_kib) {
    int port;
    coil_context *ctx = load_end_to_end(&port);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/calc", port);
    cr_assert_eq(post_with_header(url, 14 << 10), 200);
    cr_assert_eq(post_with_header(url, 20 << 10), 431);
    coil_close(ctx);
}
