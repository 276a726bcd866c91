/* The etcd naming backend (remoting/naming_etcd.c) against a real etcd that
 * each test starts on free loopback ports (etcd_fixture.h): registration,
 * lookup and list with their order and isolation, the key layout, leases
 * (renewal, expiry, re-registration, unregistration), every failure with
 * its code and message, and eight threads at once. */
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "container/value_util.h"
#include "etcd_fixture.h"
#include "remoting/naming.h"
#include "support/support.h"

/* This suite links the internals (coil__ functions), not libcoil and the
 * support helpers: it brings the leak check that CTEST calls itself. */
#ifdef COIL_TEST_LSAN
#include <sanitizer/lsan_interface.h>
__attribute__((visibility("default"))) const char *__lsan_default_options(void);
__attribute__((visibility("default"))) const char *__lsan_default_options(void)
{
    return "leak_check_at_exit=0";
}
#endif

void support_leak_check(void)
{
#ifdef COIL_TEST_LSAN
    cr_assert_eq(__lsan_do_recoverable_leak_check(), 0,
                 "memory leaked: see the LeakSanitizer report above");
#endif
}

#define PREFIX "/coil-test/"
#define TIMEOUT_MS 3000

static etcd_fixture etcd;
static coil__naming *nm;

static void up(void)
{
    etcd_fixture_start(&etcd);
    coil_error *err = NULL;
    int rc = coil__naming_open_etcd(etcd.url, PREFIX, TIMEOUT_MS, &nm, &err);
    cr_assert_eq(rc, 0, "open: %s", err ? err->message : "?");
}

static void down(void)
{
    if (nm)
        nm->ops->close(nm);
    nm = NULL;
    etcd_fixture_stop(&etcd);
}

TestSuite(naming_etcd, .init = up, .fini = down, .timeout = 60);

/* ---- Helpers ------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pause_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static const char *msg(const coil_error *e)
{
    return e ? e->message : "(no error)";
}

static unsigned reg(const char *name, const char *url, const char *metadata, unsigned want)
{
    json_t *meta = metadata ? json_loads(metadata, 0, NULL) : NULL;
    cr_assert(!metadata || meta, "bad metadata in the test: %s", metadata);
    coil_error *err = NULL;
    unsigned ttl = want;
    int rc = nm->ops->register_endpoint(nm, name, url, meta, &ttl, &err);
    json_decref(meta);
    cr_assert_eq(rc, 0, "register %s at %s: %s", name, url, msg(err));
    cr_assert_null(err);
    return ttl;
}

static coil__naming_entries lookup(const char *name)
{
    coil__naming_entries out = { 0, NULL };
    coil_error *err = NULL;
    int rc = nm->ops->lookup(nm, name, &out, &err);
    cr_assert_eq(rc, 0, "lookup %s: %s", name, msg(err));
    return out;
}

static coil__naming_entries list(const char *prefix)
{
    coil__naming_entries out = { 0, NULL };
    coil_error *err = NULL;
    int rc = nm->ops->list(nm, prefix, &out, &err);
    cr_assert_eq(rc, 0, "list %s: %s", prefix, msg(err));
    return out;
}

/* The entries as "name url" lines, in order (static buffer). */
static const char *show(const coil__naming_entries *e)
{
    static char buf[8192];
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < e->count && n < sizeof buf; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s %s\n", e->items[i].name,
                              e->items[i].url);
    return buf;
}

static void expect_entries(const char *what, coil__naming_entries e, const char *expected)
{
    char got[8192];
    snprintf(got, sizeof got, "%s", show(&e));
    coil__naming_entries_free(&e);
    cr_assert_str_eq(got, expected, "%s:\n got:\n%s expected:\n%s", what, got, expected);
}

static size_t count_of(const char *name)
{
    coil__naming_entries e = lookup(name);
    size_t n = e.count;
    coil__naming_entries_free(&e);
    return n;
}

/* ---- Talking to etcd directly -------------------------------------------- */

typedef struct body_buf {
    char *data;
    size_t len;
} body_buf;

static size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    body_buf *b = userdata;
    size_t n = size * nmemb;
    b->data = realloc(b->data, b->len + n + 1);
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

/* POSTs `body` to etcd's `path` and returns the reply. */
static json_t *raw(const char *path, json_t *body)
{
    char url[128];
    snprintf(url, sizeof url, "%s%s", etcd.url, path);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    body_buf acc = { NULL, 0 };
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, text);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &acc);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_cleanup(h);
    free(text);
    cr_assert_eq(rc, CURLE_OK, "POST %s: %s", url, curl_easy_strerror(rc));
    json_t *reply = acc.data ? json_loads(acc.data, 0, NULL) : NULL;
    cr_assert_not_null(reply, "POST %s: not JSON: %s", url, acc.data ? acc.data : "");
    free(acc.data);
    return reply;
}

static json_t *b64(const char *s)
{
    size_t n;
    char *e = coil__base64_encode((const unsigned char *)s, strlen(s), &n);
    json_t *j = json_string(e);
    free(e);
    return j;
}

static char *unb64(const json_t *j)
{
    unsigned char *d;
    size_t n;
    cr_assert(json_is_string(j) &&
              coil__base64_decode(json_string_value(j), json_string_length(j), &d, &n));
    char *s = malloc(n + 1);
    memcpy(s, d, n);
    s[n] = '\0';
    free(d);
    return s;
}

/* Every key under PREFIX, one a line, in key order (static buffer). */
static const char *raw_keys(void)
{
    static char buf[4096];
    json_t *r = raw("/v3/kv/range", json_pack("{s:o, s:o}", "key", b64(PREFIX), "range_end",
                                              b64("/coil-test0")));
    size_t n = 0, i;
    json_t *kv;
    buf[0] = '\0';
    json_array_foreach(json_object_get(r, "kvs"), i, kv) {
        char *k = unb64(json_object_get(kv, "key"));
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s\n", k);
        free(k);
    }
    json_decref(r);
    return buf;
}

/* How many leases etcd holds. */
static size_t raw_lease_count(void)
{
    json_t *r = raw("/v3/lease/leases", json_object());
    size_t n = json_array_size(json_object_get(r, "leases"));
    json_decref(r);
    return n;
}

/* ---- Registration and lookup --------------------------------------------- */

CTEST(naming_etcd, register_then_lookup)
{
    cr_assert_eq(reg("calc", "http://127.0.0.1:7001/calc", NULL, 5), 5);
    coil__naming_entries e = lookup("calc");
    cr_assert_eq(e.count, 1, "%s", show(&e));
    cr_assert_str_eq(e.items[0].name, "calc");
    cr_assert_str_eq(e.items[0].url, "http://127.0.0.1:7001/calc");
    cr_assert(json_is_object(e.items[0].metadata) && json_object_size(e.items[0].metadata) == 0,
              "metadata should be {}");
    cr_assert_eq(e.items[0].expires_in, -1, "etcd does not tell: -1");
    coil__naming_entries_free(&e);
    cr_assert_eq(e.count, 0);
    cr_assert_null(e.items);

    /* A name nobody registered: nothing, not an error. */
    cr_assert_eq(count_of("nobody"), 0);
    /* The ttl asked for is granted; 0 asks for the default, 10 s. */
    cr_assert_eq(reg("calc", "http://127.0.0.1:7002/calc", NULL, 0), 10);
    cr_assert_eq(reg("calc", "http://127.0.0.1:7003/calc", NULL, 3600), 3600);
    cr_assert_eq(count_of("calc"), 3);
}

CTEST(naming_etcd, metadata_round_trip)
{
    const char *meta = "{\"weight\": 3, \"zone\": \"eu-1\", \"ratio\": 0.25, \"up\": true, "
                       "\"tags\": [\"a\", \"b\"], \"nested\": {\"k\": null}, "
                       "\"text\": \"caf\\u00e9 \\\"quoted\\\" \\\\ /\"}";
    reg("meta", "http://127.0.0.1:7001/", meta, 5);
    json_t *want = json_loads(meta, 0, NULL);
    coil__naming_entries e = lookup("meta");
    cr_assert_eq(e.count, 1);
    char *got = json_dumps(e.items[0].metadata, JSON_SORT_KEYS | JSON_COMPACT);
    cr_assert(json_equal(e.items[0].metadata, want), "metadata came back as %s", got);
    free(got);
    json_decref(want);
    coil__naming_entries_free(&e);
}

CTEST(naming_etcd, key_layout_is_prefix_escaped_name_slash_escaped_url)
{
    reg("calc", "http://127.0.0.1:7001/calc", NULL, 5);
    reg("a/b%c", "http://h:1/x%2Fy", NULL, 5);
    cr_assert_str_eq(raw_keys(),
                     PREFIX "a%2Fb%25c/http:%2F%2Fh:1%2Fx%252Fy\n"
                     PREFIX "calc/http:%2F%2F127.0.0.1:7001%2Fcalc\n");
    /* The value is the registration as JSON. */
    json_t *r = raw("/v3/kv/range",
                    json_pack("{s:o}", "key", b64(PREFIX "calc/http:%2F%2F127.0.0.1:7001%2Fcalc")));
    char *v = unb64(json_object_get(json_array_get(json_object_get(r, "kvs"), 0), "value"));
    json_t *value = json_loads(v, 0, NULL);
    json_t *want = json_pack("{s:s, s:s, s:{}}", "name", "calc", "url",
                             "http://127.0.0.1:7001/calc", "metadata");
    cr_assert(json_equal(value, want), "value: %s", v);
    free(v);
    json_decref(value);
    json_decref(want);
    json_decref(r);
}

CTEST(naming_etcd, lookup_sees_only_its_own_name)
{
    static const char *const names[] = { "a", "a/b", "ab", "a%2Fb", "a/", "a b", "b" };
    char url[64];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(url, sizeof url, "http://127.0.0.1:%zu/", 7000 + i);
        reg(names[i], url, NULL, 5);
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char expected[128];
        snprintf(expected, sizeof expected, "%s http://127.0.0.1:%zu/\n", names[i], 7000 + i);
        expect_entries(names[i], lookup(names[i]), expected);
    }
}

CTEST(naming_etcd, list_by_name_then_registration_order)
{
    /* Registered out of name order, and "a"'s URLs out of URL order. */
    reg("b", "http://127.0.0.1:1/", NULL, 5);
    reg("a", "http://127.0.0.1:3/", NULL, 5);
    reg("ab", "http://127.0.0.1:4/", NULL, 5);
    reg("a", "http://127.0.0.1:2/", NULL, 5);
    reg("b/c", "http://127.0.0.1:5/", NULL, 5);
    reg("a", "http://127.0.0.1:1/", NULL, 5);
    reg("c", "http://127.0.0.1:6/", NULL, 5);
    /* Re-registering keeps the place. */
    reg("a", "http://127.0.0.1:3/", "{\"again\": true}", 5);

    expect_entries("lookup a", lookup("a"),
                   "a http://127.0.0.1:3/\n"
                   "a http://127.0.0.1:2/\n"
                   "a http://127.0.0.1:1/\n");
    expect_entries("list a", list("a"),
                   "a http://127.0.0.1:3/\n"
                   "a http://127.0.0.1:2/\n"
                   "a http://127.0.0.1:1/\n"
                   "ab http://127.0.0.1:4/\n");
    expect_entries("list b", list("b"),
                   "b http://127.0.0.1:1/\n"
                   "b/c http://127.0.0.1:5/\n");
    expect_entries("list b/", list("b/"), "b/c http://127.0.0.1:5/\n");
    expect_entries("list all", list(""),
                   "a http://127.0.0.1:3/\n"
                   "a http://127.0.0.1:2/\n"
                   "a http://127.0.0.1:1/\n"
                   "ab http://127.0.0.1:4/\n"
                   "b http://127.0.0.1:1/\n"
                   "b/c http://127.0.0.1:5/\n"
                   "c http://127.0.0.1:6/\n");
    expect_entries("list x", list("x"), "");

    /* One that ends and comes back is registered anew: last. */
    coil_error *err = NULL;
    cr_assert_eq(nm->ops->unregister(nm, "a", "http://127.0.0.1:3/", &err), 0, "%s", msg(err));
    reg("a", "http://127.0.0.1:3/", NULL, 5);
    expect_entries("lookup a again", lookup("a"),
                   "a http://127.0.0.1:2/\n"
                   "a http://127.0.0.1:1/\n"
                   "a http://127.0.0.1:3/\n");
}

CTEST(naming_etcd, another_prefix_is_another_namespace)
{
    reg("calc", "http://127.0.0.1:1/", NULL, 5);
    coil__naming *other = NULL;
    coil_error *err = NULL;
    cr_assert_eq(coil__naming_open_etcd(etcd.url, "/coil-test-other/", TIMEOUT_MS, &other, &err),
                 0, "%s", msg(err));
    coil__naming_entries e = { 0, NULL };
    cr_assert_eq(other->ops->list(other, "", &e, &err), 0, "%s", msg(err));
    cr_assert_eq(e.count, 0, "%s", show(&e));
    other->ops->close(other);
}

/* ---- Leases -------------------------------------------------------------- */

CTEST(naming_etcd, renew_keeps_it_alive_past_the_ttl)
{
    const char *url = "http://127.0.0.1:7001/";
    cr_assert_eq(reg("kept", url, NULL, 1), 1, "the fixture's etcd grants 1 s leases");
    /* Renewed every 250 ms for 2.5 ttl: there all along. */
    double start = now_s();
    while (now_s() - start < 2.5) {
        pause_ms(250);
        coil_error *err = NULL;
        unsigned ttl = 0;
        cr_assert_eq(nm->ops->renew(nm, "kept", url, &ttl, &err), 0, "renew: %s", msg(err));
        cr_assert_eq(ttl, 1);
        cr_assert_eq(count_of("kept"), 1, "gone %.2f s after registering", now_s() - start);
    }
}

CTEST(naming_etcd, without_renewal_it_expires)
{
    const char *url = "http://127.0.0.1:7001/";
    double start = now_s();
    cr_assert_eq(reg("brief", url, NULL, 1), 1);
    reg("long", url, NULL, 30);
    cr_assert_eq(count_of("brief"), 1);
    /* etcd ends a lease within about half a second after its ttl. */
    while (count_of("brief") != 0) {
        cr_assert_lt(now_s() - start, 5.0, "still there after 5 s with a 1 s lease");
        pause_ms(20);
    }
    cr_assert_eq(count_of("long"), 1);

    coil_error *err = NULL;
    unsigned ttl = 1;
    cr_assert_eq(nm->ops->renew(nm, "brief", url, &ttl, &err), COIL_ENOTFOUND, "%s", msg(err));
    cr_assert_eq(ttl, 1, "untouched on failure");
    char want[256];
    snprintf(want, sizeof want, "the lease of 'brief' at %s on etcd at %s has ended", url,
             etcd.url);
    cr_assert_str_eq(msg(err), want);
    coil_error_free(err);

    /* The caller registers again. */
    err = NULL;
    cr_assert_eq(nm->ops->renew(nm, "brief", url, &ttl, &err), COIL_ENOTFOUND);
    coil_error_free(err);
    reg("brief", url, NULL, 5);
    cr_assert_eq(count_of("brief"), 1);
    err = NULL;
    cr_assert_eq(nm->ops->renew(nm, "brief", url, &ttl, &err), 0, "%s", msg(err));
    cr_assert_eq(ttl, 5);
}

CTEST(naming_etcd, reregistering_replaces_metadata_and_lease)
{
    const char *url = "http://127.0.0.1:7001/";
    reg("svc", url, "{\"v\": 1}", 5);
    cr_assert_eq(reg("svc", url, "{\"v\": 2}", 7), 7);
    coil__naming_entries e = lookup("svc");
    cr_assert_eq(e.count, 1, "%s", show(&e));
    cr_assert_eq(json_integer_value(json_object_get(e.items[0].metadata, "v")), 2);
    coil__naming_entries_free(&e);
    /* The old lease is revoked: one lease left, the new one. */
    cr_assert_eq(raw_lease_count(), 1);
    coil_error *err = NULL;
    unsigned ttl = 0;
    cr_assert_eq(nm->ops->renew(nm, "svc", url, &ttl, &err), 0, "%s", msg(err));
    cr_assert_eq(ttl, 7);
}

CTEST(naming_etcd, unregister)
{
    const char *url = "http://127.0.0.1:7001/";
    reg("gone", url, NULL, 30);
    reg("gone", "http://127.0.0.1:7002/", NULL, 30);
    coil_error *err = NULL;
    cr_assert_eq(nm->ops->unregister(nm, "gone", url, &err), 0, "%s", msg(err));
    expect_entries("after unregister", lookup("gone"), "gone http://127.0.0.1:7002/\n");
    cr_assert_eq(raw_lease_count(), 1, "its lease is revoked");
    unsigned ttl = 0;
    cr_assert_eq(nm->ops->renew(nm, "gone", url, &ttl, &err), COIL_ENOTFOUND);
    char want[256];
    snprintf(want, sizeof want, "'gone' at %s has no lease from this handle on etcd at %s", url,
             etcd.url);
    cr_assert_str_eq(msg(err), want);
    coil_error_free(err);
    err = NULL;
    /* Removing what is not there is not an error. */
    cr_assert_eq(nm->ops->unregister(nm, "gone", url, &err), 0, "%s", msg(err));
    cr_assert_eq(nm->ops->unregister(nm, "never", url, &err), 0, "%s", msg(err));
}

CTEST(naming_etcd, unregister_removes_what_another_handle_registered)
{
    coil__naming *other = NULL;
    coil_error *err = NULL;
    cr_assert_eq(coil__naming_open_etcd(etcd.url, PREFIX, TIMEOUT_MS, &other, &err), 0);
    unsigned ttl = 30;
    cr_assert_eq(other->ops->register_endpoint(other, "x", "http://127.0.0.1:1/", NULL, &ttl,
                                               &err), 0, "%s", msg(err));
    cr_assert_eq(count_of("x"), 1);
    /* It renews through its own handle only. */
    cr_assert_eq(nm->ops->renew(nm, "x", "http://127.0.0.1:1/", &ttl, &err), COIL_ENOTFOUND);
    coil_error_free(err);
    err = NULL;
    cr_assert_eq(nm->ops->unregister(nm, "x", "http://127.0.0.1:1/", &err), 0, "%s", msg(err));
    cr_assert_eq(count_of("x"), 0);
    other->ops->close(other);
}

/* ---- Failures ------------------------------------------------------------ */

CTEST(naming_etcd, etcd_stopped_is_econnect_at_once)
{
    reg("calc", "http://127.0.0.1:1/", NULL, 5);
    char url[64];
    snprintf(url, sizeof url, "%s", etcd.url);
    etcd_fixture_stop(&etcd);

    coil__naming_entries e = { 0, NULL };
    coil_error *err = NULL;
    double start = now_s();
    cr_assert_eq(nm->ops->lookup(nm, "calc", &e, &err), COIL_ECONNECT, "%s", msg(err));
    cr_assert_lt(now_s() - start, 1.0, "took %.2f s", now_s() - start);
    char want[128];
    snprintf(want, sizeof want, "cannot connect to etcd at %s: ", url);
    cr_assert(strncmp(msg(err), want, strlen(want)) == 0 && strstr(msg(err), "refused"),
              "message: %s", msg(err));
    cr_assert_eq(e.count, 0);
    coil_error_free(err);

    err = NULL;
    unsigned ttl = 5;
    cr_assert_eq(nm->ops->register_endpoint(nm, "calc", "http://127.0.0.1:2/", NULL, &ttl, &err),
                 COIL_ECONNECT, "%s", msg(err));
    cr_assert_eq(ttl, 5, "untouched on failure");
    coil_error_free(err);
    err = NULL;
    cr_assert_eq(nm->ops->renew(nm, "calc", "http://127.0.0.1:1/", &ttl, &err), COIL_ECONNECT,
                 "%s", msg(err));
    coil_error_free(err);
    err = NULL;
    cr_assert_eq(nm->ops->unregister(nm, "calc", "http://127.0.0.1:1/", &err), COIL_ECONNECT,
                 "%s", msg(err));
    coil_error_free(err);
}

CTEST(naming_etcd, foreign_value_under_the_prefix_is_eprotocol)
{
    reg("calc", "http://127.0.0.1:1/", NULL, 5);
    json_decref(raw("/v3/kv/put", json_pack("{s:o, s:o}", "key", b64(PREFIX "calc/junk"),
                                            "value", b64("not json"))));
    coil__naming_entries e = { 0, NULL };
    coil_error *err = NULL;
    cr_assert_eq(nm->ops->lookup(nm, "calc", &e, &err), COIL_EPROTOCOL, "%s", msg(err));
    char want[256];
    snprintf(want, sizeof want,
             "malformed entry " PREFIX "calc/junk in etcd at %s: not {\"name\", \"url\", "
             "\"metadata\"}",
             etcd.url);
    cr_assert_str_eq(msg(err), want);
    coil_error_free(err);
    cr_assert_eq(e.count, 0);

    /* A registration whose key is not its own. */
    json_decref(raw("/v3/kv/put",
                    json_pack("{s:o, s:o}", "key", b64(PREFIX "calc/junk"), "value",
                              b64("{\"name\": \"calc\", \"url\": \"http://elsewhere/\", "
                                  "\"metadata\": {}}"))));
    err = NULL;
    cr_assert_eq(nm->ops->list(nm, "", &e, &err), COIL_EPROTOCOL, "%s", msg(err));
    cr_assert(strstr(msg(err), "its key is not that of 'calc' at http://elsewhere/"), "%s",
              msg(err));
    coil_error_free(err);
}

/* A server that accepts connections (the kernel does, from the backlog) and
 * never answers. */
static int silent_server(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t alen = sizeof a;
    cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(fd, 8) == 0 &&
              getsockname(fd, (struct sockaddr *)&a, &alen) == 0);
    *port = ntohs(a.sin_port);
    return fd;
}

CTEST(naming_etcd_errors, no_reply_is_etimeout)
{
    int port;
    int fd = silent_server(&port);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    coil__naming *n = NULL;
    coil_error *err = NULL;
    cr_assert_eq(coil__naming_open_etcd(url, NULL, 200, &n, &err), 0, "%s", msg(err));
    coil__naming_entries e = { 0, NULL };
    double start = now_s();
    cr_assert_eq(n->ops->lookup(n, "calc", &e, &err), COIL_ETIMEOUT, "%s", msg(err));
    double took = now_s() - start;
    cr_assert(took >= 0.19 && took < 2.0, "took %.2f s", took);
    char want[128];
    snprintf(want, sizeof want, "no reply from etcd at %s (/v3/kv/range) within 200 ms", url);
    cr_assert_str_eq(msg(err), want);
    coil_error_free(err);
    n->ops->close(n);
    close(fd);
}

/* Answers one request with `reply_text` and closes. */
typedef struct canned {
    int fd;
    const char *reply_text;
} canned;

static void *answer_once(void *arg)
{
    canned *c = arg;
    int conn = accept(c->fd, NULL, NULL);
    if (conn >= 0) {
        char buf[4096];
        ssize_t got = read(conn, buf, sizeof buf);
        (void)got;
        ssize_t put = write(conn, c->reply_text, strlen(c->reply_text));
        (void)put;
        close(conn);
    }
    return NULL;
}

CTEST(naming_etcd_errors, a_reply_that_is_not_json_is_eprotocol)
{
    int port;
    canned c = { silent_server(&port),
                 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 8\r\n"
                 "Connection: close\r\n\r\nnot json" };
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, answer_once, &c), 0);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    coil__naming *n = NULL;
    coil_error *err = NULL;
    cr_assert_eq(coil__naming_open_etcd(url, NULL, TIMEOUT_MS, &n, &err), 0, "%s", msg(err));
    coil__naming_entries e = { 0, NULL };
    cr_assert_eq(n->ops->list(n, "", &e, &err), COIL_EPROTOCOL, "%s", msg(err));
    char want[128];
    snprintf(want, sizeof want, "malformed reply from etcd at %s (/v3/kv/range): not JSON (", url);
    cr_assert(strncmp(msg(err), want, strlen(want)) == 0, "%s", msg(err));
    coil_error_free(err);
    pthread_join(th, NULL);
    n->ops->close(n);
    close(c.fd);
}

CTEST(naming_etcd, http_error_status_is_ehttp)
{
    /* An endpoint with a path that etcd does not serve. */
    char url[96];
    snprintf(url, sizeof url, "%s/nothing/", etcd.url);
    coil__naming *n = NULL;
    coil_error *err = NULL;
    cr_assert_eq(coil__naming_open_etcd(url, NULL, TIMEOUT_MS, &n, &err), 0, "%s", msg(err));
    coil__naming_entries e = { 0, NULL };
    cr_assert_eq(n->ops->lookup(n, "calc", &e, &err), COIL_EHTTP, "%s", msg(err));
    char want[160];
    snprintf(want, sizeof want, "HTTP status 404 from etcd at %s/nothing (/v3/kv/range)",
             etcd.url);
    cr_assert_str_eq(msg(err), want);
    coil_error_free(err);
    n->ops->close(n);

    /* etcd's own refusal, with its message: a registration larger than
     * etcd takes (1.5 MiB by default). Its lease is revoked. */
    char *big = malloc(2000001);
    memset(big, 'x', 2000000);
    big[2000000] = '\0';
    json_t *meta = json_pack("{s:s}", "big", big);
    free(big);
    err = NULL;
    unsigned ttl = 5;
    cr_assert_eq(nm->ops->register_endpoint(nm, "calc", "http://127.0.0.1:1/", meta, &ttl, &err),
                 COIL_EHTTP, "%s", msg(err));
    json_decref(meta);
    char want2[160];
    snprintf(want2, sizeof want2,
             "HTTP status 400 from etcd at %s (/v3/kv/put): etcdserver: request is too large",
             etcd.url);
    cr_assert_str_eq(msg(err), want2);
    coil_error_free(err);
    cr_assert_eq(raw_lease_count(), 0);
    cr_assert_eq(count_of("calc"), 0);
}

CTEST(naming_etcd_errors, bad_endpoint_prefix_or_timeout)
{
    static const struct {
        const char *endpoint, *prefix;
        long timeout_ms;
        const char *message;
    } cases[] = {
        { "127.0.0.1:2379", NULL, 1000,
          "etcd endpoint '127.0.0.1:2379' is not an http:// or https:// URL "
          "(http://127.0.0.1:2379): Unsupported URL scheme" },
        { "ftp://127.0.0.1:2379", NULL, 1000,
          "etcd endpoint 'ftp://127.0.0.1:2379' is not an http:// or https:// URL "
          "(http://127.0.0.1:2379)" },
        { "", NULL, 1000,
          "etcd endpoint '' is not an http:// or https:// URL (http://127.0.0.1:2379): "
          "Bad scheme" },
        { "http://127.0.0.1:2379", "/coil", 1000,
          "etcd key prefix '/coil' does not end with '/'" },
        { "http://127.0.0.1:2379", "", 1000, "etcd key prefix '' does not end with '/'" },
        { "http://127.0.0.1:2379", NULL, 0, "etcd timeout 0 ms is not positive" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        coil__naming *n = NULL;
        coil_error *err = NULL;
        int rc = coil__naming_open_etcd(cases[i].endpoint, cases[i].prefix, cases[i].timeout_ms,
                                        &n, &err);
        cr_assert_eq(rc, COIL_EVALUE, "case %zu: %s", i, msg(err));
        cr_assert_null(n);
        cr_assert_str_eq(msg(err), cases[i].message, "case %zu: %s", i, msg(err));
        coil_error_free(err);
    }
}

CTEST(naming_etcd_errors, bad_names_urls_and_metadata)
{
    /* Checked before anything is sent: no etcd needed. */
    coil__naming *n = NULL;
    coil_error *err = NULL;
    cr_assert_eq(coil__naming_open_etcd("http://127.0.0.1:9/", NULL, 1000, &n, &err), 0);
    char long_name[300];
    memset(long_name, 'x', 256);
    long_name[256] = '\0';
    json_t *array = json_array();
    static const char *const url = "http://127.0.0.1:1/";
    struct {
        const char *name, *url;
        json_t *meta;
        const char *message;
    } cases[] = {
        { "", url, NULL, "naming: the service name is empty" },
        { long_name, url, NULL, "naming: the service name is longer than 255 bytes" },
        { "a\nb", url, NULL, "naming: the service name has a control character" },
        { "caf\xe9", url, NULL, "naming: the service name 'caf\xe9' is not UTF-8" },
        { "calc", "127.0.0.1:1", NULL,
          "naming: endpoint URL '127.0.0.1:1' is not an http:// or https:// URL: "
          "Unsupported URL scheme" },
        { "calc", "mailto:x@y", NULL,
          "naming: endpoint URL 'mailto:x@y' is not an http:// or https:// URL: "
          "Unsupported URL scheme" },
        { "calc", url, array, "naming: the metadata of 'calc' is not a JSON object" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned ttl = 5;
        err = NULL;
        int rc = n->ops->register_endpoint(n, cases[i].name, cases[i].url, cases[i].meta, &ttl,
                                           &err);
        cr_assert_eq(rc, COIL_EINVAL, "case %zu: %s", i, msg(err));
        cr_assert_str_eq(msg(err), cases[i].message, "case %zu: %s", i, msg(err));
        coil_error_free(err);
    }
    json_decref(array);
    coil__naming_entries e = { 0, NULL };
    err = NULL;
    cr_assert_eq(n->ops->lookup(n, "", &e, &err), COIL_EINVAL);
    coil_error_free(err);
    err = NULL;
    cr_assert_eq(n->ops->list(n, "a\tb", &e, &err), COIL_EINVAL);
    cr_assert_str_eq(msg(err), "naming: the name prefix has a control character");
    coil_error_free(err);
    n->ops->close(n);
}

/* ---- Threads ------------------------------------------------------------- */

#define THREADS 8
#define PER_THREAD 6

static void *registrar(void *arg)
{
    size_t t = (size_t)arg;
    for (size_t i = 0; i < PER_THREAD; i++) {
        char url[64];
        snprintf(url, sizeof url, "http://127.0.0.1:%zu/", 10000 + t * 100 + i);
        coil_error *err = NULL;
        unsigned ttl = 30;
        if (nm->ops->register_endpoint(nm, "busy", url, NULL, &ttl, &err) != 0)
            return err;
        coil__naming_entries e = { 0, NULL };
        if (nm->ops->lookup(nm, "busy", &e, &err) != 0)
            return err;
        coil__naming_entries_free(&e);
        /* Everyone registers this one too: one key, many leases granted. */
        ttl = 30;
        if (nm->ops->register_endpoint(nm, "shared", "http://127.0.0.1:1/", NULL, &ttl, &err) !=
            0)
            return err;
        if (nm->ops->renew(nm, "busy", url, &ttl, &err) != 0)
            return err;
    }
    return NULL;
}

CTEST(naming_etcd, eight_threads_at_once)
{
    pthread_t th[THREADS];
    for (size_t t = 0; t < THREADS; t++)
        cr_assert_eq(pthread_create(&th[t], NULL, registrar, (void *)t), 0);
    coil_error *errs[THREADS];
    for (size_t t = 0; t < THREADS; t++)
        pthread_join(th[t], (void **)&errs[t]);
    for (size_t t = 0; t < THREADS; t++)
        cr_assert_null(errs[t], "thread %zu: %s", t, msg(errs[t]));
    cr_assert_eq(count_of("busy"), THREADS * PER_THREAD);
    cr_assert_eq(count_of("shared"), 1);
    /* Every lease that lost the shared key was revoked. */
    cr_assert_eq(raw_lease_count(), THREADS * PER_THREAD + 1);
    coil_error *err = NULL;
    unsigned ttl = 0;
    cr_assert_eq(nm->ops->renew(nm, "shared", "http://127.0.0.1:1/", &ttl, &err), 0, "%s",
                 msg(err));
}
