/* coil.http-exporter (remoting/http_exporter.c, http_server.c): real
 * exporters on ephemeral ports of 127.0.0.1, called with libcurl, with raw
 * sockets where HTTP itself is under test, and for interoperability with
 * Python's http.client and the curl command. The service implements the
 * generated calc interface (data/iface/calc.yaml) as in test_invoke.c.
 * Nothing sleeps: threads meet on condition variables, and waits that
 * must end (a server's answer) are blocking calls. */
#include "support/support.h"
#include "support/http.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "calc.h"
#include "coil/remoting.h"

extern char **environ;

/* ---- The services ------------------------------------------------------------- */

typedef struct calc_impl {
    int64_t base;
    int64_t notes;
} calc_impl;

/* Calls inside `add` right now, and the most there ever were. With a
 * rendezvous of N, `add` waits (bounded) until N calls are inside. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int inside, most_inside, rendezvous;
static bool met; /* the rendezvous happened: nobody waits any more */
static atomic_int racing, most_racing;

static struct timespec in_seconds(int s) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += s;
    return t;
}

static void gate_enter(void) {
    pthread_mutex_lock(&gate_lock);
    inside++;
    if (inside > most_inside)
        most_inside = inside;
    if (rendezvous && inside >= rendezvous)
        met = true;
    pthread_cond_broadcast(&gate_cond);
    struct timespec until = in_seconds(20);
    while (rendezvous && !met)
        if (pthread_cond_timedwait(&gate_cond, &gate_lock, &until) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&gate_lock);
}

static void gate_leave(void) {
    pthread_mutex_lock(&gate_lock);
    inside--;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
}

/* Waits until `n` calls are inside `add`. */
static void wait_inside(int n) {
    pthread_mutex_lock(&gate_lock);
    struct timespec until = in_seconds(20);
    while (inside < n)
        if (pthread_cond_timedwait(&gate_cond, &gate_lock, &until) == ETIMEDOUT)
            break;
    int now = inside;
    pthread_mutex_unlock(&gate_lock);
    cr_assert_geq(now, n, "%d calls inside add, expected %d", now, n);
}

static int impl_add(void *self, int64_t a, int64_t b, int64_t *result, coil_error **err) {
    (void)err;
    /* Counts overlapping calls without any lock of its own. */
    int now = atomic_fetch_add(&racing, 1) + 1;
    int seen = atomic_load(&most_racing);
    while (now > seen && !atomic_compare_exchange_weak(&most_racing, &seen, now))
        ;
    for (int i = 0; i < 200; i++)
        sched_yield();
    int64_t base = ((calc_impl *)self)->base; /* before waiting: see destroy tests */
    gate_enter();
    *result = a + b + base;
    gate_leave();
    atomic_fetch_sub(&racing, 1);
    return 0;
}

static int impl_greet(void *self, const char *name, const char *title, char **result,
                      coil_error **err) {
    (void)self;
    (void)err;
    size_t n = strlen(name) + (title ? strlen(title) + 1 : 0) + 8;
    *result = malloc(n);
    snprintf(*result, n, "Hello, %s%s%s", title ? title : "", title ? " " : "", name);
    return 0;
}

static int impl_centroid(void *self, const calc_list_point *points, calc_point *result,
                         coil_error **err) {
    (void)self;
    if (!points->count) {
        *err = coil_error_new(COIL_EVALUE, "the centroid of no points is undefined");
        return COIL_EVALUE;
    }
    calc_point c = { 0, 0 };
    for (size_t i = 0; i < points->count; i++) {
        c.x += points->items[i].x / (double)points->count;
        c.y += points->items[i].y / (double)points->count;
    }
    *result = c;
    return 0;
}

static int impl_echo(void *self, const json_t *value, json_t **result, coil_error **err) {
    (void)self;
    (void)err;
    *result = json_deep_copy(value);
    return 0;
}

static int impl_note(void *self, const char *text, coil_error **err) {
    (void)text;
    (void)err;
    pthread_mutex_lock(&gate_lock);
    ((calc_impl *)self)->notes++;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
    return 0;
}

static int impl_fail(void *self, int64_t code, coil_error **err) {
    (void)self;
    *err = coil_error_new((coil_code)code, "failing on purpose with %lld", (long long)code);
    if (code == 42)
        (*err)->data = json_pack("{s:s}", "hint", "the answer");
    return (int)code;
}

static const calc_ops impl_ops = {
    .add = impl_add, .greet = impl_greet, .centroid = impl_centroid, .echo = impl_echo,
    .note = impl_note, .fail = impl_fail,
};

static const coil_property impl_props[] = {
    { .name = "base", .type = COIL_T_INT, .offset = offsetof(calc_impl, base) },
    COIL_PROPERTIES_END
};
static const coil_implements impl_ifaces[] = { { &calc_interface, &impl_ops },
                                               COIL_IMPLEMENTS_END };
/* One at a time, and the same class declaring it takes concurrent calls. */
static const coil_class impl_class = {
    .abi = COIL_ABI_VERSION, .name = "calc_impl", .size = sizeof(calc_impl),
    .properties = impl_props, .implements = impl_ifaces,
};
static const coil_class safe_class = {
    .abi = COIL_ABI_VERSION, .name = "calc_safe", .size = sizeof(calc_impl),
    .properties = impl_props, .implements = impl_ifaces, .flags = COIL_CLASS_THREAD_SAFE,
};
typedef struct plain { int64_t n; } plain;
static const coil_class plain_class = { .abi = COIL_ABI_VERSION, .name = "plain",
                                        .size = sizeof(plain) };

/* ---- Contexts ------------------------------------------------------------------------ */

static coil_context *load(const char *yaml, coil_error **err) {
    coil_options *opts = coil_options_new();
    coil_options_add_class(opts, &impl_class);
    coil_options_add_class(opts, &safe_class);
    coil_options_add_class(opts, &plain_class);
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

/* A calc service (class `cls`, base 100) exported on 127.0.0.1, port 0, at
 * /calc, with `extra` exporter properties ("max-body: 100, "...). */
static coil_context *exported(const char *cls, const char *extra) {
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "objects:\n"
             "  - object: calc\n"
             "    class: %s\n"
             "    properties: {base: 100}\n"
             "  - object: exporter\n"
             "    class: coil.http-exporter\n"
             "    properties: {%sservice: {ref: calc}, interface: calc,\n"
             "                 listen: '127.0.0.1:0', path: /calc}\n",
             cls, extra ? extra : "threads: 2, ");
    return load_ok(yaml);
}

/* ---- libcurl --------------------------------------------------------------------------- */

static http_reply post(const char *url, const char *body) {
    return http_request(NULL, url, "application/json", body);
}

/* Asserts a 200 application/json reply whose body is `want` as JSON ("" for
 * an empty body), and frees it. */
#define EXPECT_REPLY(r, want) expect_reply(HERE, (r), (want))
static void expect_reply(const char *where, http_reply r, const char *want) {
    cr_assert_eq(r.rc, CURLE_OK, "%s: %s", where, curl_easy_strerror(r.rc));
    cr_assert_eq(r.status, 200, "%s: HTTP %ld: %s", where, r.status, r.body ? r.body : "");
    cr_assert_str_eq(r.content_type, "application/json", "%s", where);
    if (!*want) {
        cr_assert_eq(r.len, 0, "%s: expected an empty body, got %s", where, r.body);
    } else {
        json_t *w = json_loads(want, 0, NULL);
        json_t *g = r.body ? json_loads(r.body, 0, NULL) : NULL;
        cr_assert_not_null(w, "%s: bad expectation", where);
        cr_assert(g && json_equal(w, g), "%s:\nexpected %s\n     got %s", where, want,
                  r.body ? r.body : "(nothing)");
        json_decref(w);
        json_decref(g);
    }
    free(r.body);
}

/* Asserts an HTTP error status, and frees the reply. */
#define EXPECT_STATUS(r, code) expect_status(HERE, (r), (code))
static void expect_status(const char *where, http_reply r, long code) {
    cr_assert_eq(r.rc, CURLE_OK, "%s: %s", where, curl_easy_strerror(r.rc));
    cr_assert_eq(r.status, code, "%s: HTTP %ld, expected %ld: %s", where, r.status, code,
                 r.body ? r.body : "");
    free(r.body);
}

/* ---- Raw sockets, where the bytes on the wire matter -------------------------------------- */

static bool contains_nocase(const char *hay, const char *needle) {
    for (size_t n = strlen(needle); *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return false;
}

/* A JSON POST of `body` to `path`. */
static const char *request_text(const char *path, const char *body) {
    return http_request_text("POST", path, "application/json", body);
}

/* ---- Calls ------------------------------------------------------------------------------ */

CTEST(exporter, positional_and_named_params) {
    coil_context *ctx = exported("calc_impl", NULL);
    const char *url = http_url_of(ctx, "exporter");
    EXPECT_REPLY(post(url, "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[2,3],\"id\":1}"),
                 "{\"jsonrpc\":\"2.0\",\"result\":105,\"id\":1}");
    EXPECT_REPLY(post(url, "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":{\"b\":3,\"a\":2},"
                           "\"id\":\"x\"}"),
                 "{\"jsonrpc\":\"2.0\",\"result\":105,\"id\":\"x\"}");
    EXPECT_REPLY(post(url, "{\"jsonrpc\":\"2.0\",\"method\":\"greet\",\"params\":"
                           "{\"name\":\"Ann\",\"title\":\"Dr.\"},\"id\":2}"),
                 "{\"jsonrpc\":\"2.0\",\"result\":\"Hello, Dr. Ann\",\"id\":2}");
    EXPECT_REPLY(post(url, "{\"jsonrpc\":\"2.0\",\"method\":\"centroid\",\"params\":"
                           "[[{\"x\":0,\"y\":0},{\"x\":2,\"y\":4}]],\"id\":3}"),
                 "{\"jsonrpc\":\"2.0\",\"result\":{\"x\":1.0,\"y\":2.0},\"id\":3}");
    EXPECT_REPLY(post(url, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":"
                           "[{\"deep\":[1,{\"er\":null}]}],\"id\":4.5}"),
                 "{\"jsonrpc\":\"2.0\",\"result\":{\"deep\":[1,{\"er\":null}]},\"id\":4.5}");
    coil_close(ctx);
}

CTEST(exporter, notifications_get_200_and_an_empty_body) {
    coil_context *ctx = exported("calc_impl", NULL);
    const char *url = http_url_of(ctx, "exporter");
    calc_impl *calc = coil_get(ctx, "calc", NULL, NULL);
    EXPECT_REPLY(post(url, "{\"jsonrpc\":\"2.0\",\"method\":\"note\",\"params\":[\"hi\"]}"), "");
    EXPECT_REPLY(post(url, "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[1,2]}"), "");
    /* A oneway method called with an id is not answered either. */
    EXPECT_REPLY(post(url, "{\"jsonrpc\":\"2.0\",\"method\":\"note\","
                           "\"params\":[\"hi\"],\"id\":1}"),
                 "");
    /* The reply came after the call: the notes are counted. */
    cr_assert_eq(calc->notes, 2);
    /* Nor is a batch of notifications. */
    EXPECT_REPLY(post(url, "[{\"jsonrpc\":\"2.0\",\"method\":\"note\",\"params\":[\"a\"]},"
                           "{\"jsonrpc\":\"2.0\",\"method\":\"note\",\"params\":[\"b\"]}]"),
                 "");
    cr_assert_eq(calc->notes, 4);
    coil_close(ctx);
}

CTEST(exporter, batches) {
    coil_context *ctx = exported("calc_impl", NULL);
    const char *url = http_url_of(ctx, "exporter");
    EXPECT_REPLY(post(url, "[{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[1,1],\"id\":1},"
                           "{\"jsonrpc\":\"2.0\",\"method\":\"note\",\"params\":[\"x\"]},"
                           "{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":2},"
                           "{\"bad\":true},"
                           "{\"jsonrpc\":\"2.0\",\"method\":\"greet\",\"params\":[\"Bo\"],"
                           "\"id\":3}]"),
                 "[{\"jsonrpc\":\"2.0\",\"result\":102,\"id\":1},"
                 "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32601,\"message\":"
                 "\"interface 'calc' has no method 'nope'\",\"data\":{\"coil\":\"COIL_ENOMETHOD\""
                 "}},"
                 "\"id\":2},"
                 "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,\"message\":"
                 "\"invalid request: 'jsonrpc' must be \\\"2.0\\\"\"},\"id\":null},"
                 "{\"jsonrpc\":\"2.0\",\"result\":\"Hello, Bo\",\"id\":3}]");
    EXPECT_REPLY(post(url, "[]"),
                 "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,\"message\":"
                 "\"invalid request: an empty batch\"},\"id\":null}");
    coil_close(ctx);
}

CTEST(exporter, errors_are_json_rpc_errors_with_200) {
    coil_context *ctx = exported("calc_impl", NULL);
    const char *url = http_url_of(ctx, "exporter");
    /* Bad JSON. */
    http_reply r =
        post(url, "{\"jsonrpc\": \"2.0\", \"method\": \"foobar, \"params\": \"bar\", \"baz]");
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.content_type, "application/json");
    json_t *j = json_loads(r.body, 0, NULL);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "error"), "code")), -32700,
                 "%s", r.body);
    cr_assert(json_is_null(json_object_get(j, "id")));
    json_decref(j);
    free(r.body);
    /* Mistyped params name the parameter and the type. */
    EXPECT_REPLY(post(url, "{\"jsonrpc\":\"2.0\",\"method\":\"add\","
                           "\"params\":[\"two\",3],\"id\":1}"),
                 "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32602,\"message\":"
                 "\"add: parameter 'a': expects an int, got a string\",\"data\":"
                 "{\"coil\":\"COIL_EPARAMS\"}},\"id\":1}");
    EXPECT_REPLY(post(url, "{\"jsonrpc\":\"2.0\",\"method\":\"centroid\",\"params\":"
                           "[[{\"x\":1,\"y\":\"no\"}]],\"id\":1}"),
                 "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32602,\"message\":"
                 "\"centroid: parameter 'points'[0].y: expects a double, got a string\",\"data\":"
                 "{\"coil\":\"COIL_EPARAMS\"}},\"id\":1}");
    /* Application errors: the service's code, message and data. */
    EXPECT_REPLY(post(url, "{\"jsonrpc\":\"2.0\",\"method\":\"fail\",\"params\":[10],\"id\":1}"),
                 "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":10,\"message\":"
                 "\"failing on purpose with 10\",\"data\":{\"coil\":\"COIL_EVALUE\"}},\"id\":1}");
    EXPECT_REPLY(post(url, "{\"jsonrpc\":\"2.0\",\"method\":\"fail\",\"params\":[42],\"id\":1}"),
                 "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":42,\"message\":"
                 "\"failing on purpose with 42\",\"data\":{\"hint\":\"the answer\"}},\"id\":1}");
    EXPECT_REPLY(post(url, "{\"jsonrpc\":\"2.0\",\"method\":\"centroid\","
                           "\"params\":[[]],\"id\":1}"),
                 "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":10,\"message\":"
                 "\"the centroid of no points is undefined\",\"data\":{\"coil\":\"COIL_EVALUE\"}},"
                 "\"id\":1}");
    /* A method of the interface the class left out. */
    EXPECT_REPLY(post(url, "{\"jsonrpc\":\"2.0\",\"method\":\"count\",\"id\":1}"),
                 "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":19,\"message\":"
                 "\"calc.count is not implemented\",\"data\":{\"coil\":\"COIL_EINTERFACE\"}},"
                 "\"id\":1}");
    coil_close(ctx);
}

/* ---- HTTP -------------------------------------------------------------------------------- */

CTEST(exporter, http_statuses) {
    coil_context *ctx = exported("calc_impl", "threads: 2, max-body: 100, ");
    const char *url = http_url_of(ctx, "exporter");
    char other[256];
    snprintf(other, sizeof other, "%.*sother", (int)(strrchr(url, '/') + 1 - url), url);
    const char *call = "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[1,2],\"id\":1}";

    EXPECT_STATUS(post(other, call), 404);
    EXPECT_STATUS(http_request(NULL, other, NULL, NULL), 404);
    char slash[256];
    snprintf(slash, sizeof slash, "%s/", url);
    EXPECT_STATUS(post(slash, call), 404);

    http_reply r = http_request(NULL, url, NULL, NULL); /* GET */
    cr_assert_eq(r.status, 405);
    cr_assert_str_eq(r.allow, " POST\r\n");
    free(r.body);

    EXPECT_STATUS(http_request(NULL, url, "text/plain", call), 415);
    EXPECT_STATUS(http_request(NULL, url, NULL, call), 415);
    EXPECT_STATUS(http_request(NULL, url, "application/x-www-form-urlencoded", call), 415);
    EXPECT_STATUS(http_request(NULL, url, "application/jsonx", call), 415);
    EXPECT_STATUS(http_request(NULL, url, "application/json-rpcx", call), 415);
    static const char *const accepted[] = {
        "application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8",
        "Application/JSON", "APPLICATION/JSON-RPC", "application/json-rpc",
        "application/json-rpc; charset=utf-8", " application/json ; charset=\"utf-8\"",
    };
    for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++)
        EXPECT_REPLY(http_request(NULL, url, accepted[i], call),
                     "{\"jsonrpc\":\"2.0\",\"result\":103,\"id\":1}");

    char big[200];
    snprintf(big, sizeof big,
             "{\"jsonrpc\":\"2.0\",\"method\":\"greet\",\"params\":[\"%080d\"],\"id\":1}", 0);
    EXPECT_STATUS(post(url, big), 413);
    /* Exactly the limit is fine. */
    char exact[101];
    int n = snprintf(exact, sizeof exact,
                     "{\"jsonrpc\":\"2.0\",\"method\":\"greet\",\"params\":[\"");
    int pad = 100 - n - (int)strlen("\"],\"id\":1}");
    memset(exact + n, 'a', (size_t)pad);
    snprintf(exact + n + pad, sizeof exact - (size_t)(n + pad), "\"],\"id\":1}");
    cr_assert_eq(strlen(exact), 100);
    r = post(url, exact);
    cr_assert_eq(r.status, 200, "%s", r.body);
    free(r.body);
    coil_close(ctx);
}

CTEST(exporter, too_large_is_refused_before_the_body_is_read) {
    coil_context *ctx = exported("calc_impl", "threads: 1, max-body: 100, ");
    unsigned port = http_port_of(http_url_of(ctx, "exporter"));
    /* Content-Length says too much: 413 at once, though no body was sent. */
    int fd = http_connect(port);
    http_send_all(fd, "POST /calc HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 "Content-Length: 1000000000\r\n\r\n");
    http_raw_reply r = http_read_reply(fd);
    cr_assert_eq(r.status, 413, "%s", r.headers);
    close(fd);
    /* A chunked body is cut off once it is over, before it ends. */
    fd = http_connect(port);
    http_send_all(fd, "POST /calc HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n");
    http_send_all(fd, "40\r\n[                                                              \r\n");
    http_send_all(fd, "40\r\n                                                               \r\n");
    r = http_read_reply(fd); /* the body has not ended: no "0" chunk was sent */
    cr_assert_eq(r.status, 413, "%s", r.headers);
    close(fd);
    /* A chunked body within the limit is fine. */
    fd = http_connect(port);
    http_send_all(fd, "POST /calc HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n");
    http_send_all(fd, "11\r\n{\"jsonrpc\":\"2.0\",\r\n");
    http_send_all(fd, "2b\r\n\"method\":\"add\",\"params\":[1,2],\"id\":\"c\"}    \r\n0\r\n\r\n");
    r = http_read_reply(fd);
    cr_assert_eq(r.status, 200, "%s", r.headers);
    cr_assert_str_eq(r.body, "{\"jsonrpc\":\"2.0\",\"result\":103,\"id\":\"c\"}");
    close(fd);
    coil_close(ctx);
}

CTEST(exporter, keep_alive_reuses_the_connection) {
    coil_context *ctx = exported("calc_impl", NULL);
    const char *url = http_url_of(ctx, "exporter");
    CURL *h = curl_easy_init();
    http_reply r1 = http_request(h, url, "application/json",
                    "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[1,2],\"id\":1}");
    cr_assert_eq(r1.connects, 1);
    long port1 = 0, port2 = 0;
    curl_easy_getinfo(h, CURLINFO_LOCAL_PORT, &port1);
    EXPECT_REPLY(r1, "{\"jsonrpc\":\"2.0\",\"result\":103,\"id\":1}");
    /* A notification (empty body) keeps the connection too. */
    http_reply r2 = http_request(h, url, "application/json",
                    "{\"jsonrpc\":\"2.0\",\"method\":\"note\",\"params\":[\"x\"]}");
    cr_assert_eq(r2.connects, 0, "the second request reused the connection");
    EXPECT_REPLY(r2, "");
    http_reply r3 = http_request(h, url, "application/json",
                    "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[2,2],\"id\":2}");
    cr_assert_eq(r3.connects, 0);
    curl_easy_getinfo(h, CURLINFO_LOCAL_PORT, &port2);
    cr_assert_eq(port1, port2);
    EXPECT_REPLY(r3, "{\"jsonrpc\":\"2.0\",\"result\":104,\"id\":2}");
    curl_easy_cleanup(h);

    /* The same on the wire: two requests, one connection, no Connection: close. */
    int fd = http_connect(http_port_of(url));
    http_send_all(fd, request_text("/calc", "{\"jsonrpc\":\"2.0\",\"method\":\"add\","
                                            "\"params\":[5,5],\"id\":1}"));
    http_raw_reply a = http_read_reply(fd);
    cr_assert_eq(a.status, 200);
    cr_assert_not(contains_nocase(a.headers, "Connection: close"), "%s", a.headers);
    http_send_all(fd, request_text("/calc", "{\"jsonrpc\":\"2.0\",\"method\":\"add\","
                                            "\"params\":[6,6],\"id\":2}"));
    http_raw_reply b = http_read_reply(fd);
    cr_assert_eq(b.status, 200);
    cr_assert_str_eq(b.body, "{\"jsonrpc\":\"2.0\",\"result\":112,\"id\":2}");
    close(fd);
    coil_close(ctx);
}

CTEST(exporter, idle_connections_time_out) {
    coil_context *ctx = exported("calc_impl", "threads: 1, timeout: 1, ");
    int fd = http_connect(http_port_of(http_url_of(ctx, "exporter")));
    /* Say nothing: the server closes the connection after a second (a
     * blocking read that ends when it does; 20 s would fail the test). */
    char c;
    cr_assert_eq(recv(fd, &c, 1, 0), 0, "the server closed the idle connection");
    close(fd);
    coil_close(ctx);
}

CTEST(exporter, max_connections_limits_connections) {
    coil_context *ctx = exported("calc_impl", "threads: 1, max-connections: 1, ");
    unsigned port = http_port_of(http_url_of(ctx, "exporter"));
    const char *call = "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[1,2],\"id\":1}";
    int first = http_connect(port);
    http_send_all(first, request_text("/calc", call));
    cr_assert_eq(http_read_reply(first).status, 200);
    /* `first` stays open (keep-alive) and holds the only connection: the
     * second waits. That nothing comes can only be seen by waiting a
     * little: the one timeout in this file that checks an absence. */
    int second = http_connect(port);
    http_send_all(second, request_text("/calc", call));
    struct timeval brief = { 0, 200000 }, normal = { 20, 0 };
    setsockopt(second, SOL_SOCKET, SO_RCVTIMEO, &brief, sizeof brief);
    char c;
    ssize_t got = recv(second, &c, 1, MSG_PEEK);
    cr_assert(got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK),
              "the second connection was served while the first was open (%zd)", got);
    setsockopt(second, SOL_SOCKET, SO_RCVTIMEO, &normal, sizeof normal);
    /* Once the first closes, the second is served. */
    close(first);
    http_raw_reply r = http_read_reply(second);
    cr_assert_eq(r.status, 200, "%s", r.headers);
    cr_assert_str_eq(r.body, "{\"jsonrpc\":\"2.0\",\"result\":103,\"id\":1}");
    close(second);
    coil_close(ctx);
}

/* ---- Several exporters --------------------------------------------------------------------- */

CTEST(exporter, two_exporters_share_one_listen_address) {
    coil_context *ctx = load_ok("objects:\n"
                                "  - {object: one, class: calc_impl, properties: {base: 100}}\n"
                                "  - {object: two, class: calc_impl, properties: {base: 200}}\n"
                                "  - object: x1\n"
                                "    class: coil.http-exporter\n"
                                "    properties: {service: {ref: one}, interface: calc,\n"
                                "                 listen: '127.0.0.1:0', path: /one, threads: 2}\n"
                                "  - object: x2\n"
                                "    class: coil.http-exporter\n"
                                "    properties: {service: {ref: two}, interface: calc,\n"
                                "                 listen: '127.0.0.1:0', path: /two, threads: 2}"
                                "\n");
    const char *u1 = http_url_of(ctx, "x1"), *u2 = http_url_of(ctx, "x2");
    unsigned port = http_port_of(u1);
    char want[64];
    snprintf(want, sizeof want, "http://127.0.0.1:%u/two", port);
    cr_assert_str_eq(u2, want, "one port for both");
    const char *call = "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[1,2],\"id\":1}";
    EXPECT_REPLY(post(u1, call), "{\"jsonrpc\":\"2.0\",\"result\":103,\"id\":1}");
    EXPECT_REPLY(post(u2, call), "{\"jsonrpc\":\"2.0\",\"result\":203,\"id\":1}");
    /* One connection reaches both paths. */
    int fd = http_connect(port);
    http_send_all(fd, request_text("/one", call));
    cr_assert_str_eq(http_read_reply(fd).body, "{\"jsonrpc\":\"2.0\",\"result\":103,\"id\":1}");
    http_send_all(fd, request_text("/two", call));
    cr_assert_str_eq(http_read_reply(fd).body, "{\"jsonrpc\":\"2.0\",\"result\":203,\"id\":1}");
    close(fd);

    /* Another context joins the same daemon by naming its port, and
     * leaving stops only its own endpoint. */
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "objects:\n"
             "  - {object: three, class: calc_impl, properties: {base: 300}}\n"
             "  - object: x3\n"
             "    class: coil.http-exporter\n"
             "    properties: {service: {ref: three}, interface: calc,\n"
             "                 listen: 'localhost:%u', path: /three, threads: 2}\n",
             port);
    coil_context *ctx2 = load_ok(yaml);
    char u3[64];
    snprintf(u3, sizeof u3, "%s", http_url_of(ctx2, "x3"));
    snprintf(want, sizeof want, "http://127.0.0.1:%u/three", port);
    cr_assert_str_eq(u3, want);
    EXPECT_REPLY(post(u3, call), "{\"jsonrpc\":\"2.0\",\"result\":303,\"id\":1}");
    coil_close(ctx2);
    EXPECT_STATUS(post(u3, call), 404);
    EXPECT_REPLY(post(u1, call), "{\"jsonrpc\":\"2.0\",\"result\":103,\"id\":1}");
    coil_close(ctx);
}

CTEST(exporter, one_path_twice_is_a_load_error) {
    coil_error *err = NULL;
    cr_assert_null(load("objects:\n"
                        "  - {object: calc, class: calc_impl}\n"
                        "  - object: x1\n"
                        "    class: coil.http-exporter\n"
                        "    properties: {service: {ref: calc}, interface: calc,\n"
                        "                 listen: '127.0.0.1:0', path: /same, threads: 1}\n"
                        "  - object: x2\n"
                        "    class: coil.http-exporter\n"
                        "    properties: {service: {ref: calc}, interface: calc,\n"
                        "                 listen: '127.0.0.1:0', path: /same, threads: 1}\n",
                        &err));
    cr_assert_eq(coil_error_count(err), 1, "%s", dump_errors(err));
    cr_assert_eq(err->code, COIL_EDUPLICATE, "%s", dump_errors(err));
    cr_assert_eq(err->line, 7);
    const char *head = "object 'x2': init failed: path '/same' on 127.0.0.1:";
    cr_assert(strncmp(err->message, head, strlen(head)) == 0 &&
                  strstr(err->message, " is already exported"),
              "%s", err->message);
    coil_error_free(err);
    err = NULL;
    /* Daemon settings must agree. */
    cr_assert_null(load("objects:\n"
                        "  - {object: calc, class: calc_impl}\n"
                        "  - object: x1\n"
                        "    class: coil.http-exporter\n"
                        "    properties: {service: {ref: calc}, interface: calc,\n"
                        "                 listen: '127.0.0.1:0', path: /a, threads: 1}\n"
                        "  - object: x2\n"
                        "    class: coil.http-exporter\n"
                        "    properties: {service: {ref: calc}, interface: calc,\n"
                        "                 listen: '127.0.0.1:0', path: /b, threads: 2}\n",
                        &err));
    cr_assert_eq(err->code, COIL_EVALUE, "%s", dump_errors(err));
    cr_assert(strstr(err->message, "is already served with threads 1, max-connections 0, "
                                   "timeout 30 and threading pool: every exporter on one listen "
                                   "address must use the same (this one: 2, 0, 30 and pool)"),
              "%s", err->message);
    coil_error_free(err);
}

CTEST(exporter, a_port_in_use_is_a_load_error) {
    /* Hold a port with a listening socket of our own. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(fd, 1), 0);
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    unsigned port = ntohs(a.sin_port);
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "objects:\n"
             "  - {object: calc, class: calc_impl}\n"
             "  - object: exporter\n"
             "    class: coil.http-exporter\n"
             "    properties: {service: {ref: calc}, interface: calc, listen: '127.0.0.1:%u',\n"
             "                 threads: 1}\n",
             port);
    coil_error *err = NULL;
    cr_assert_null(load(yaml, &err));
    char want[160];
    snprintf(want, sizeof want,
             "object 'exporter': init failed: cannot listen on 127.0.0.1:%u: Address already in "
             "use",
             port);
    EXPECT_ONLY_ERROR(err, COIL_ELISTEN, "app.yaml", 3, 5, want);
    coil_error_free(err);
    close(fd);
}

CTEST(exporter, configuration_errors) {
    static const struct { const char *props; coil_code code; const char *message; } cases[] = {
        { "interface: nope", COIL_EINTERFACE,
          "object 'exporter': init failed: its service 'calc' (class 'calc_impl') does not implement "
          "interface 'nope' (it implements 'calc')" },
        { "interface: calc, path: calc", COIL_EVALUE,
          "object 'exporter': init failed: path 'calc' must start with '/'" },
        { "interface: calc, listen: '127.0.0.1'", COIL_EVALUE,
          "object 'exporter': init failed: listen address '127.0.0.1': expected HOST:PORT, where "
          "HOST is localhost, an IPv4 address or an IPv6 address in brackets and PORT a number "
          "from 0 to 65535" },
        { "interface: calc, listen: 'example.com:80'", COIL_EVALUE, NULL },
        { "interface: calc, listen: '::1:80'", COIL_EVALUE, NULL },
        { "interface: calc, listen: '[::1]80'", COIL_EVALUE, NULL },
        { "interface: calc, listen: '127.0.0.1:65536'", COIL_EVALUE, NULL },
        { "interface: calc, listen: '127.0.0.1:-1'", COIL_EVALUE, NULL },
        { "interface: calc, listen: '127.0.0.1:'", COIL_EVALUE, NULL },
        { "interface: calc, listen: ':80'", COIL_EVALUE, NULL },
        { "interface: calc, listen: '256.0.0.1:80'", COIL_EVALUE, NULL },
        { "interface: calc, max-body: 0", COIL_EVALUE, NULL },
        { "interface: calc, max-body: 1073741825", COIL_EVALUE, NULL },
        { "interface: calc, max-connections: -1", COIL_EVALUE, NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char yaml[512];
        snprintf(yaml, sizeof yaml,
                 "objects:\n"
                 "  - {object: calc, class: calc_impl}\n"
                 "  - object: exporter\n"
                 "    class: coil.http-exporter\n"
                 "    properties: {service: {ref: calc}, threads: 1, %s}\n",
                 cases[i].props);
        coil_error *err = NULL;
        cr_assert_null(load(yaml, &err), "%s", cases[i].props);
        cr_assert_eq(coil_error_count(err), 1, "%s: %s", cases[i].props, dump_errors(err));
        cr_assert_eq(err->code, cases[i].code, "%s: %s", cases[i].props, dump_errors(err));
        if (cases[i].message)
            cr_assert_str_eq(err->message, cases[i].message);
        coil_error_free(err);
    }
    /* Required properties. */
    coil_error *err = NULL;
    cr_assert_null(load("objects: [{object: exporter, class: coil.http-exporter}]\n", &err));
    cr_assert_eq(coil_error_count(err), 2, "%s", dump_errors(err));
    cr_assert_eq(err->code, COIL_EREQUIRED);
    coil_error_free(err);
    /* A service that implements no interface at all. */
    err = NULL;
    cr_assert_null(load("objects:\n"
                        "  - {object: p, class: plain}\n"
                        "  - object: exporter\n"
                        "    class: coil.http-exporter\n"
                        "    properties: {service: {ref: p}, interface: calc, threads: 1}\n",
                        &err));
    cr_assert_str_eq(err->message, "object 'exporter': init failed: its service 'p' (class 'plain') "
                                   "does not implement interface 'calc' (it implements none)");
    coil_error_free(err);
}

CTEST(exporter, listen_addresses) {
    coil_context *ctx = load_ok("objects:\n"
                                "  - {object: calc, class: calc_impl, properties: {base: 100}}\n"
                                "  - object: exporter\n"
                                "    class: coil.http-exporter\n"
                                "    properties: {service: {ref: calc}, interface: calc,\n"
                                "                 listen: 'localhost:0', threads: 1}\n");
    const char *url = http_url_of(ctx, "exporter");
    cr_assert(strncmp(url, "http://127.0.0.1:", 17) == 0, "%s", url);
    EXPECT_REPLY(post(url, "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[0,0],\"id\":1}"),
                 "{\"jsonrpc\":\"2.0\",\"result\":100,\"id\":1}");
    coil_close(ctx);

    /* IPv6 loopback, where the machine has it. */
    int probe = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
    bool v6 = probe >= 0 && bind(probe, (struct sockaddr *)&a6, sizeof a6) == 0;
    if (probe >= 0)
        close(probe);
    if (!v6)
        return;
    coil_error *err = NULL;
    ctx = load("objects:\n"
               "  - {object: calc, class: calc_impl}\n"
               "  - object: exporter\n"
               "    class: coil.http-exporter\n"
               "    properties: {service: {ref: calc}, interface: calc, listen: '[::1]:0',\n"
               "                 path: /v6, threads: 1}\n",
               &err);
    cr_assert_not_null(ctx, "%s", dump_errors(err));
    url = http_url_of(ctx, "exporter");
    cr_assert(strncmp(url, "http://[::1]:", 13) == 0 && strstr(url, "/v6"), "%s", url);
    EXPECT_REPLY(post(url, "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[0,1],\"id\":1}"),
                 "{\"jsonrpc\":\"2.0\",\"result\":1,\"id\":1}");
    coil_close(ctx);
}

CTEST(exporter, finding_exporters) {
    coil_context *ctx = exported("calc_impl", NULL);
    void *x = coil_get(ctx, "exporter", NULL, NULL);
    void *calc = coil_get(ctx, "calc", NULL, NULL);
    cr_assert(coil_is_http_exporter(x));
    cr_assert_not(coil_is_http_exporter(calc));
    cr_assert_not(coil_is_http_exporter(NULL));
    cr_assert_null(coil_http_exporter_url(calc));
    cr_assert_null(coil_http_exporter_url(NULL));
    const char *url = coil_http_exporter_url(x);
    unsigned port = http_port_of(url);
    char want[64];
    snprintf(want, sizeof want, "http://127.0.0.1:%u/calc", port);
    cr_assert_str_eq(url, want);
    /* The default path is /. */
    coil_context *ctx2 = load_ok("objects:\n"
                                 "  - {object: calc, class: calc_impl}\n"
                                 "  - object: exporter\n"
                                 "    class: coil.http-exporter\n"
                                 "    properties: {service: {ref: calc}, interface: calc,\n"
                                 "                 listen: '127.0.0.1:0', threads: 2}\n");
    const char *root = http_url_of(ctx2, "exporter");
    cr_assert_eq(root[strlen(root) - 1], '/', "%s", root);
    cr_assert_eq(strchr(root + 7, '/'), root + strlen(root) - 1, "%s", root);
    coil_close(ctx2);
    coil_close(ctx);
    cr_assert_not(coil_is_http_exporter(x), "a destroyed exporter is no exporter");
}

CTEST(exporter, quiesce_keeps_open_connections) {
    coil_context *ctx = exported("calc_impl", NULL);
    const char *url = http_url_of(ctx, "exporter");
    const char *call = "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[1,2],\"id\":1}";
    CURL *h = curl_easy_init();
    EXPECT_REPLY(http_request(h, url, "application/json", call),
                 "{\"jsonrpc\":\"2.0\",\"result\":103,\"id\":1}");
    coil_http_exporters_quiesce();
    coil_http_exporters_quiesce(); /* twice is fine */
    http_reply r = http_request(h, url, "application/json", call);
    cr_assert_eq(r.connects, 0, "the open connection is still served");
    EXPECT_REPLY(r, "{\"jsonrpc\":\"2.0\",\"result\":103,\"id\":1}");
    /* New connections are refused at once (not left waiting in the
     * listen queue until the server stops): a proxy tries another
     * endpoint, knowing the request never arrived. */
    CURL *fresh = curl_easy_init();
    http_reply refused = http_request(fresh, url, "application/json", call);
    cr_assert_eq(refused.rc, CURLE_COULDNT_CONNECT, "a new connection after quiesce: %s",
                 curl_easy_strerror(refused.rc));
    curl_easy_cleanup(fresh);
    curl_easy_cleanup(h);
    coil_close(ctx);
}

/* ---- Threads ------------------------------------------------------------------------------ */

typedef struct client {
    const char *url;
    int calls;
    int ok;
} client;

static void *client_main(void *arg) {
    client *c = arg;
    CURL *h = curl_easy_init();
    for (int i = 0; i < c->calls; i++) {
        char body[128];
        snprintf(body, sizeof body,
                 "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[%d,1],\"id\":%d}", i, i);
        http_reply r = http_request(h, c->url, "application/json", body);
        char want[96];
        snprintf(want, sizeof want, "{\"jsonrpc\":\"2.0\",\"result\":%d,\"id\":%d}", i + 101, i);
        if (r.rc == CURLE_OK && r.status == 200 && r.body && strcmp(r.body, want) == 0)
            c->ok++;
        free(r.body);
    }
    curl_easy_cleanup(h);
    return NULL;
}

CTEST(exporter, calls_into_a_service_that_is_not_thread_safe_are_serialized) {
    coil_context *ctx = exported("calc_impl", "threads: 4, ");
    const char *url = http_url_of(ctx, "exporter");
    enum { THREADS = 4, CALLS = 25 };
    pthread_t th[THREADS];
    client c[THREADS];
    for (int i = 0; i < THREADS; i++) {
        c[i] = (client){ .url = url, .calls = CALLS };
        cr_assert_eq(pthread_create(&th[i], NULL, client_main, &c[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(c[i].ok, CALLS, "client %d: %d of %d calls answered right", i, c[i].ok,
                     CALLS);
    }
    cr_assert_eq(atomic_load(&most_racing), 1, "calls overlapped: %d at once",
                 atomic_load(&most_racing));
    coil_close(ctx);
}

typedef struct one_call {
    const char *url;
    http_reply r;
} one_call;

static void *one_call_main(void *arg) {
    one_call *c = arg;
    c->r = post(c->url, "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[1,1],\"id\":1}");
    return NULL;
}

CTEST(exporter, a_thread_safe_service_takes_concurrent_calls) {
    coil_context *ctx = exported("calc_safe", "threads: 2, ");
    const char *url = http_url_of(ctx, "exporter");
    /* Each call waits inside `add` until both are there: they can only
     * both return if the exporter let them in at once. The second client
     * connects once the first call is inside, so the server thread that
     * is busy with it cannot be the one to accept the second. */
    rendezvous = 2;
    one_call c1 = { .url = url }, c2 = { .url = url };
    pthread_t t1, t2;
    cr_assert_eq(pthread_create(&t1, NULL, one_call_main, &c1), 0);
    wait_inside(1);
    cr_assert_eq(pthread_create(&t2, NULL, one_call_main, &c2), 0);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    cr_assert_eq(most_inside, 2, "both calls were inside at once");
    EXPECT_REPLY(c1.r, "{\"jsonrpc\":\"2.0\",\"result\":102,\"id\":1}");
    EXPECT_REPLY(c2.r, "{\"jsonrpc\":\"2.0\",\"result\":102,\"id\":1}");
    coil_close(ctx);
}

CTEST(exporter, one_service_behind_two_exporters_is_still_called_one_at_a_time) {
    coil_context *ctx = load_ok("objects:\n"
                                "  - {object: calc, class: calc_impl, properties: {base: 100}}\n"
                                "  - object: x1\n"
                                "    class: coil.http-exporter\n"
                                "    properties: {service: {ref: calc}, interface: calc,\n"
                                "                 listen: '127.0.0.1:0', path: /a, threads: 4}\n"
                                "  - object: x2\n"
                                "    class: coil.http-exporter\n"
                                "    properties: {service: {ref: calc}, interface: calc,\n"
                                "                 listen: '127.0.0.1:0', path: /b, threads: 4}\n");
    enum { THREADS = 4, CALLS = 20 };
    pthread_t th[THREADS];
    client c[THREADS];
    for (int i = 0; i < THREADS; i++) {
        c[i] = (client){ .url = http_url_of(ctx, i % 2 ? "x1" : "x2"), .calls = CALLS };
        cr_assert_eq(pthread_create(&th[i], NULL, client_main, &c[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(c[i].ok, CALLS);
    }
    cr_assert_eq(atomic_load(&most_racing), 1);
    coil_close(ctx);
}

/* ---- Destroy while a call is in progress ------------------------------------------------- */

typedef struct releaser {
    const char *url;
    int polls;
} releaser;

/* Calls `greet` until the endpoint answers 404 (its exporter is being
 * destroyed), then lets the call waiting in `add` return. */
static void *release_when_closing(void *arg) {
    releaser *rel = arg;
    for (;;) {
        http_reply r = post(rel->url,
                       "{\"jsonrpc\":\"2.0\",\"method\":\"greet\",\"params\":[\"x\"],\"id\":1}");
        free(r.body);
        rel->polls++;
        if (r.rc != CURLE_OK || r.status == 404)
            break;
    }
    pthread_mutex_lock(&gate_lock);
    rendezvous = 0;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
    return NULL;
}

CTEST(exporter, destroy_waits_for_calls_in_progress) {
    coil_context *ctx = exported("calc_safe", "threads: 2, ");
    const char *url = http_url_of(ctx, "exporter");
    /* A call waits inside `add` for a second one that never comes... */
    rendezvous = 2;
    one_call c = { .url = url };
    pthread_t caller, helper;
    cr_assert_eq(pthread_create(&caller, NULL, one_call_main, &c), 0);
    wait_inside(1);
    /* ...until the helper sees the exporter going away. */
    releaser rel = { .url = url };
    cr_assert_eq(pthread_create(&helper, NULL, release_when_closing, &rel), 0);
    coil_close(ctx);
    pthread_mutex_lock(&gate_lock);
    int still = inside;
    pthread_mutex_unlock(&gate_lock);
    cr_assert_eq(still, 0, "close returned with a call inside the service");
    pthread_join(helper, NULL);
    pthread_join(caller, NULL);
    /* The reply was sent before the server stopped. */
    EXPECT_REPLY(c.r, "{\"jsonrpc\":\"2.0\",\"result\":102,\"id\":1}");
}

CTEST(exporter, destroy_waits_no_longer_than_the_timeout) {
    /* timeout: 1 bounds the wait: close returns with the call still inside
     * (the service must not be touched by it after that: add reads its
     * base before it waits). */
    coil_context *ctx = exported("calc_safe", "threads: 2, timeout: 1, ");
    const char *url = http_url_of(ctx, "exporter");
    rendezvous = 2;
    one_call c = { .url = url };
    pthread_t caller;
    cr_assert_eq(pthread_create(&caller, NULL, one_call_main, &c), 0);
    wait_inside(1);
    coil_close(ctx);
    pthread_mutex_lock(&gate_lock);
    int still = inside;
    rendezvous = 0;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
    cr_assert_eq(still, 1, "close waited for the call");
    /* The call finishes and is answered by the server left to it. */
    pthread_join(caller, NULL);
    EXPECT_REPLY(c.r, "{\"jsonrpc\":\"2.0\",\"result\":102,\"id\":1}");
}

/* ---- Interoperability ------------------------------------------------------------------------ */

/* A program on PATH (or /usr/bin/python3 first, for python3), or NULL. */
static const char *find_program(const char *name, char *buf, size_t size) {
    if (strcmp(name, "python3") == 0 && access("/usr/bin/python3", X_OK) == 0)
        return "/usr/bin/python3";
    const char *path = getenv("PATH");
    while (path && *path) {
        size_t n = strcspn(path, ":");
        snprintf(buf, size, "%.*s/%s", (int)n, path, name);
        if (n && access(buf, X_OK) == 0)
            return buf;
        path += n + (path[n] == ':');
    }
    return NULL;
}

/* Runs argv, returns its exit status and its stdout (malloc'd). */
static int run(char *const argv[], char **out) {
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    cr_assert_eq(rc, 0, "cannot run %s: %s", argv[0], strerror(rc));
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    ssize_t got;
    while ((got = read(fds[0], buf + len, cap - len - 1)) > 0) {
        len += (size_t)got;
        if (cap - len < 2)
            buf = realloc(buf, cap *= 2);
    }
    buf[len] = '\0';
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    *out = buf;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Python's standard library as a client: one HTTPConnection (kept alive),
 * every kind of call, and the HTTP errors. Prints "ok" or fails. */
static const char python_client[] =
    "import http.client, json, sys, urllib.parse\n"
    "u = urllib.parse.urlsplit(sys.argv[1])\n"
    "c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)\n"
    "def call(body, ctype='application/json', method='POST', path=u.path):\n"
    "    data = body if isinstance(body, (str, bytes)) else json.dumps(body)\n"
    "    headers = {'Content-Type': ctype} if ctype else {}\n"
    "    c.request(method, path, body=data, headers=headers)\n"
    "    r = c.getresponse()\n"
    "    return r.status, r.getheader('Content-Type'), r.getheader('Allow'), r.read()\n"
    "def rpc(body):\n"
    "    s, t, _, d = call(body)\n"
    "    assert s == 200 and t == 'application/json', (s, t, d)\n"
    "    return json.loads(d) if d else None\n"
    "assert rpc({'jsonrpc': '2.0', 'method': 'add', 'params': [2, 3], 'id': 1}) == \\\n"
    "    {'jsonrpc': '2.0', 'result': 105, 'id': 1}\n"
    "assert rpc({'jsonrpc': '2.0', 'method': 'greet', 'params': {'name': 'Ann'},\n"
    "            'id': 'g'}) == {'jsonrpc': '2.0', 'result': 'Hello, Ann', 'id': 'g'}\n"
    "assert rpc({'jsonrpc': '2.0', 'method': 'echo', 'params': ['h\\u00e9 \\u2603'],\n"
    "            'id': 0.5}) == {'jsonrpc': '2.0', 'result': 'h\\u00e9 \\u2603', 'id': 0.5}\n"
    "assert rpc({'jsonrpc': '2.0', 'method': 'note', 'params': ['x']}) is None\n"
    "got = rpc([{'jsonrpc': '2.0', 'method': 'add', 'params': [1, 1], 'id': 1},\n"
    "           {'jsonrpc': '2.0', 'method': 'note', 'params': ['y']},\n"
    "           {'jsonrpc': '2.0', 'method': 'fail', 'params': [42], 'id': 2}])\n"
    "assert got == [{'jsonrpc': '2.0', 'result': 102, 'id': 1},\n"
    "               {'jsonrpc': '2.0', 'error': {'code': 42,\n"
    "                                            'message': 'failing on purpose with 42',\n"
    "                                            'data': {'hint': 'the answer'}}, 'id': 2}], got\n"
    "e = rpc({'jsonrpc': '2.0', 'method': 'add', 'params': [1], 'id': 3})['error']\n"
    "assert e['code'] == -32602 and e['message'] == \"add: missing parameter 'b' (int)\", e\n"
    "assert rpc('{not json')['error']['code'] == -32700\n"
    "assert rpc({'jsonrpc': '2.0', 'method': 'add', 'params': [1, 2], 'id': None})['id'] is None\n"
    "assert call(b'{}', ctype='application/json-rpc; charset=utf-8')[0] == 200\n"
    "assert call(b'{}', ctype='text/plain')[0] == 415\n"
    "assert call(b'{}', ctype=None)[0] == 415\n"
    "s, _, allow, _ = call(None, method='GET')\n"
    "assert s == 405 and allow == 'POST', (s, allow)\n"
    "assert call(b'{}', path='/nowhere')[0] == 404\n"
    "assert rpc({'jsonrpc': '2.0', 'method': 'add', 'params': [0, 0], 'id': 9})['result'] == 100\n"
    "print('ok')\n";

CTEST(exporter, interop_python_http_client) {
    char buf[4096];
    const char *python = find_program("python3", buf, sizeof buf);
    if (!python)
        cr_skip_test("python3 is not installed (scripts/setup.sh installs it): skipping the "
                     "Python interoperability test");
    coil_context *ctx = exported("calc_impl", NULL);
    char *argv[] = { (char *)python, "-c", (char *)python_client,
                     (char *)http_url_of(ctx, "exporter"), NULL };
    char *out = NULL;
    int status = run(argv, &out);
    cr_assert_eq(status, 0, "python3 failed (%d): %s", status, out);
    cr_assert_str_eq(out, "ok\n");
    free(out);
    coil_close(ctx);
}

CTEST(exporter, interop_curl_command) {
    char buf[4096];
    const char *curl = find_program("curl", buf, sizeof buf);
    if (!curl)
        cr_skip_test("the curl command is not installed: skipping its interoperability test");
    coil_context *ctx = exported("calc_impl", NULL);
    const char *url = http_url_of(ctx, "exporter");
    char *argv[] = { (char *)curl, "-sS", "-H", "Content-Type: application/json",
                     "--data-binary",
                     "{\"jsonrpc\":\"2.0\",\"method\":\"add\","
                     "\"params\":{\"a\":20,\"b\":22},\"id\":7}",
                     "-w", "\\n%{http_code} %{content_type}", (char *)url, NULL };
    char *out = NULL;
    cr_assert_eq(run(argv, &out), 0, "%s", out);
    cr_assert_str_eq(out, "{\"jsonrpc\":\"2.0\",\"result\":142,\"id\":7}\n200 application/json");
    free(out);
    /* A notification: 200, nothing else. */
    char *note[] = { (char *)curl, "-sS", "-H", "Content-Type: application/json-rpc",
                     "--data-binary",
                     "{\"jsonrpc\":\"2.0\",\"method\":\"note\",\"params\":[\"n\"]}",
                     "-w", "%{http_code} %{size_download}", (char *)url, NULL };
    cr_assert_eq(run(note, &out), 0, "%s", out);
    cr_assert_str_eq(out, "200 0");
    free(out);
    /* curl -d sends a form content type: 415. */
    char *form[] = { (char *)curl, "-s", "-o", "/dev/null", "-d", "{}", "-w", "%{http_code}",
                     (char *)url, NULL };
    cr_assert_eq(run(form, &out), 0, "%s", out);
    cr_assert_str_eq(out, "415");
    free(out);
    coil_close(ctx);
}
