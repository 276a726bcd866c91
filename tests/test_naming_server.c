/* coil.naming-server (remoting/naming_server.c): every method of interface
 * `naming` through the typed calls generated from remoting/naming.yaml
 * (the checked-in remoting/naming_iface.c, compiled into this test: its own
 * descriptor, matched to libcoil's by name and signature), every bad input,
 * leases (expiry, renewal, re-registration), list order, the store file
 * (persistence across a reload, time left kept, atomic writes, corrupt and
 * unwritable stores), and the same calls over HTTP through an exporter on
 * an ephemeral port of 127.0.0.1 and a coil.http-proxy.
 *
 * Leases are time: tests with a short lease poll for the outcome against a
 * deadline (a few milliseconds between looks) instead of sleeping for it. */
#include "support/support.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "coil/remoting.h"
#include "remoting/naming_iface.h"

/* ---- Helpers ------------------------------------------------------------------- */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The pause between two looks of a poll. */
static void pause_ms(long ms) {
    struct timespec ts = { 0, ms * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

#define DEADLINE 20.0   /* seconds a poll may take before the test fails */

/* A fresh directory under /tmp; removed (with what is in it) by tmp_remove. */
static char *tmp_dir(void) {
    char *dir = strdup("/tmp/coil-naming-XXXXXX");
    cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
    return dir;
}

/* The names of the files in `dir`, sorted, separated by spaces. */
static const char *dir_listing(const char *dir) {
    static char out[1024];
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    cr_assert_geq(n, 0, "scandir %s: %s", dir, strerror(errno));
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, ".."))
            snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", out[0] ? " " : "",
                     names[i]->d_name);
        free(names[i]);
    }
    free(names);
    return out;
}

static void tmp_remove(char *dir) {
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char path[512];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
    free(dir);
}

static char *path_in(const char *dir, const char *file) {
    size_t n = strlen(dir) + strlen(file) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, file);
    return p;
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s: %s", path, strerror(errno));
    fputs(text, f);
    fclose(f);
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot read %s: %s", path, strerror(errno));
    char *buf = calloc(1, 1 << 16);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* A context with the name server `names` (`props` are its properties, in
 * YAML flow style without braces; may be empty). */
static coil_context *load_names(const char *props, coil_error **err) {
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "objects:\n"
             "  - object: names\n"
             "    class: coil.naming-server\n"
             "    properties: {%s}\n",
             props);
    return coil_load_string(yaml, "app.yaml", NULL, err);
}

static coil_context *names_ok(const char *props) {
    coil_error *err = NULL;
    coil_context *ctx = load_names(props, &err);
    cr_assert_not_null(ctx, "the load failed:\n%s", dump_errors(err));
    return ctx;
}

static coil_context *names_with_store(double lease, const char *store) {
    char props[1024];
    snprintf(props, sizeof props, "lease: %g, store: '%s'", lease, store);
    return names_ok(props);
}

static void *server_of(coil_context *ctx) {
    return GET_OK(ctx, "names", &naming_interface);
}

/* register that must work; returns the lease it reports. */
static int64_t reg_ok(void *names, const char *name, const char *url, const char *metadata) {
    json_t *md = NULL;
    if (metadata) {
        json_error_t jerr;
        md = json_loads(metadata, JSON_DECODE_ANY, &jerr);
        cr_assert_not_null(md, "bad test JSON %s: %s", metadata, jerr.text);
    }
    coil_error *err = NULL;
    int64_t lease = -1;
    int rc = naming_register(names, name, url, md, &lease, &err);
    json_decref(md);
    cr_assert_eq(rc, 0, "register(%s, %s): %s", name, url, dump_errors(err));
    return lease;
}

static naming_list_endpoint lookup_ok(void *names, const char *name) {
    naming_list_endpoint l = { 0 };
    coil_error *err = NULL;
    int rc = naming_lookup(names, name, &l, &err);
    cr_assert_eq(rc, 0, "lookup(%s): %s", name, dump_errors(err));
    return l;
}

static naming_list_endpoint list_ok(void *names, const char *prefix) {
    naming_list_endpoint l = { 0 };
    coil_error *err = NULL;
    int rc = naming_list(names, prefix, &l, &err);
    cr_assert_eq(rc, 0, "list(%s): %s", prefix, dump_errors(err));
    return l;
}

/* "name url, name url, ..." of a list, for comparing whole results. */
static const char *describe(const naming_list_endpoint *l) {
    static char out[2048];
    out[0] = '\0';
    for (size_t i = 0; i < l->count; i++)
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s %s", i ? ", " : "",
                 l->items[i].name, l->items[i].url);
    return out;
}

static void expect_metadata(const naming_endpoint *e, const char *json) {
    char *got = json_dumps(e->metadata, JSON_COMPACT | JSON_SORT_KEYS);
    cr_assert_str_eq(got, json, "metadata of %s %s", e->name, e->url);
    free(got);
}

/* Expects a failed call: its return code, error code and message. Frees it. */
static void expect_fail(int rc, coil_error *err, int code, const char *message) {
    cr_assert_not_null(err, "the call should have failed with '%s' (rc %d)", message, rc);
    cr_assert_eq(rc, code, "rc %d, expected %d: %s", rc, code, err->message);
    cr_assert_eq((int)err->code, code, "code %s, expected %s: %s",
                 coil_error_name((int)err->code), coil_error_name(code), err->message);
    cr_assert_str_eq(err->message, message);
    coil_error_free(err);
}

/* Runs `call`, which stores its error in `err` (a coil_error * in scope),
 * and expects it to fail with `code` and `message`; `err` is NULL after. */
#define EXPECT_FAIL(call, code, message)          \
    do {                                          \
        int rc_ = (call);                         \
        expect_fail(rc_, err, (code), (message)); \
        err = NULL;                               \
    } while (0)

/* Polls lookup(name) until it finds nothing; returns the monotonic time it
 * first did. */
static double wait_gone(void *names, const char *name) {
    double deadline = now_s() + DEADLINE;
    for (;;) {
        naming_list_endpoint l = lookup_ok(names, name);
        size_t n = l.count;
        naming_list_endpoint_free(&l);
        double t = now_s();
        if (!n)
            return t;
        cr_assert_lt(t, deadline, "'%s' still registered after %g s", name, DEADLINE);
        pause_ms(5);
    }
}

/* ---- The methods -------------------------------------------------------------------- */

CTEST(naming_server, register_lookup_renew_unregister) {
    coil_context *ctx = names_ok("");
    void *names = server_of(ctx);

    cr_assert_eq(reg_ok(names, "calc", "http://127.0.0.1:7001/calc", "{\"zone\": \"a\"}"), 30,
                 "the default lease is 30 s");
    cr_assert_eq(reg_ok(names, "calc", "https://calc.example/rpc", NULL), 30);
    cr_assert_eq(reg_ok(names, "other", "http://127.0.0.1:7002/", "{}"), 30);

    naming_list_endpoint l = lookup_ok(names, "calc");
    cr_assert_str_eq(describe(&l),
                     "calc http://127.0.0.1:7001/calc, calc https://calc.example/rpc",
                     "registration order");
    expect_metadata(&l.items[0], "{\"zone\":\"a\"}");
    expect_metadata(&l.items[1], "{}");   /* none given */
    for (size_t i = 0; i < l.count; i++)
        cr_assert(l.items[i].expires_in > 25 && l.items[i].expires_in <= 30,
                  "expires_in %g", l.items[i].expires_in);
    naming_list_endpoint_free(&l);

    l = lookup_ok(names, "nobody");
    cr_assert_eq(l.count, 0, "an unknown name has no endpoints, and that is no error");
    naming_list_endpoint_free(&l);

    coil_error *err = NULL;
    int64_t lease = 0;
    cr_assert_eq(naming_renew(names, "calc", "https://calc.example/rpc", &lease, &err), 0,
                 "%s", dump_errors(err));
    cr_assert_eq(lease, 30);

    bool was = false;
    cr_assert_eq(naming_unregister(names, "calc", "http://127.0.0.1:7001/calc", &was, &err), 0);
    cr_assert(was, "it was registered");
    cr_assert_eq(naming_unregister(names, "calc", "http://127.0.0.1:7001/calc", &was, &err), 0,
                 "unregister is idempotent");
    cr_assert_not(was, "the second time it was not there");
    cr_assert_eq(naming_unregister(names, "never", "http://h/", &was, &err), 0);
    cr_assert_not(was);

    l = lookup_ok(names, "calc");
    cr_assert_str_eq(describe(&l), "calc https://calc.example/rpc");
    naming_list_endpoint_free(&l);

    /* Renewing what is gone: COIL_ENOTFOUND, so a client registers again. */
    EXPECT_FAIL(naming_renew(names, "calc", "http://127.0.0.1:7001/calc", &lease, &err),
                COIL_ENOTFOUND,
                "renew: http://127.0.0.1:7001/calc is not registered under 'calc' (or its "
                "lease ended): register it again");
    cr_assert_eq(lease, 30, "a failed call leaves the result alone");
    coil_close(ctx);
}

CTEST(naming_server, lease_reported_in_whole_seconds) {
    coil_context *ctx = names_ok("lease: 2.5");
    cr_assert_eq(reg_ok(server_of(ctx), "a", "http://h/", NULL), 2, "rounded down");
    coil_close(ctx);
    ctx = names_ok("lease: 0.25");
    cr_assert_eq(reg_ok(server_of(ctx), "a", "http://h/", NULL), 1, "at least 1");
    coil_close(ctx);
    ctx = names_ok("lease: 604800");
    cr_assert_eq(reg_ok(server_of(ctx), "a", "http://h/", NULL), 604800);
    coil_close(ctx);
}

CTEST(naming_server, bad_lease_is_a_load_error) {
    coil_error *err = NULL;
    cr_assert_null(load_names("lease: 0", &err));
    EXPECT_ONLY_ERROR(err, COIL_EVALUE, "app.yaml", 4, 25,
                      "object 'names': property 'lease' must be between 0.001 and 604800, "
                      "got 0");
    coil_error_free(err);
}

/* ---- Bad input ------------------------------------------------------------------------------- */

CTEST(naming_server, bad_input_to_every_method) {
    coil_context *ctx = names_ok("");
    void *names = server_of(ctx);
    coil_error *err = NULL;
    int64_t lease = 7;
    bool was = true;
    naming_list_endpoint l = { 0 };
    char long_name[300], long_url[2100];
    memset(long_name, 'n', 256);
    long_name[256] = '\0';
    memcpy(long_url, "http://", 7);
    memset(long_url + 7, 'u', 2042);
    long_url[2049] = '\0';
    char max_name[256];
    memset(max_name, 'm', 255);
    max_name[255] = '\0';
    json_t *array = json_array(), *text = json_string("x");

    struct {
        const char *name, *url;
        json_t *metadata;
        const char *message;
    } bad[] = {
        { "", "http://h/", NULL, "parameter 'name' is empty" },
        { long_name, "http://h/", NULL, "parameter 'name' is longer than 255 bytes (256)" },
        { "a\nb", "http://h/", NULL,
          "parameter 'name' contains a control character (0x0a at byte 1)" },
        { "tab\t", "http://h/", NULL,
          "parameter 'name' contains a control character (0x09 at byte 3)" },
        { "del\x7f", "http://h/", NULL,
          "parameter 'name' contains a control character (0x7f at byte 3)" },
        { "caf\xe9", "http://h/", NULL, "parameter 'name' is not valid UTF-8" },
        { "a", "", NULL, "parameter 'url' must be an http:// or https:// URL" },
        { "a", "ftp://h/", NULL, "parameter 'url' must be an http:// or https:// URL" },
        { "a", "127.0.0.1:7000", NULL, "parameter 'url' must be an http:// or https:// URL" },
        { "a", "http://", NULL, "parameter 'url' has nothing after the scheme" },
        { "a", "https://", NULL, "parameter 'url' has nothing after the scheme" },
        { "a", "http://h/a b", NULL,
          "parameter 'url' contains a space or control character (0x20 at byte 10)" },
        { "a", "http://h/\r", NULL,
          "parameter 'url' contains a space or control character (0x0d at byte 9)" },
        { "a", long_url, NULL, "parameter 'url' is longer than 2048 bytes (2049)" },
        { "a", "http://h/", array, "parameter 'metadata' must be a JSON object, got an array" },
        { "a", "http://h/", text, "parameter 'metadata' must be a JSON object, got a string" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char want[256];
        snprintf(want, sizeof want, "register: %s", bad[i].message);
        int rc = naming_register(names, bad[i].name, bad[i].url, bad[i].metadata,
                                          &lease, &err);
        EXPECT_FAIL(rc, COIL_EVALUE, want);
        if (bad[i].metadata)
            continue;
        snprintf(want, sizeof want, "renew: %s", bad[i].message);
        EXPECT_FAIL(naming_renew(names, bad[i].name, bad[i].url, &lease, &err),
                    COIL_EVALUE, want);
        snprintf(want, sizeof want, "unregister: %s", bad[i].message);
        EXPECT_FAIL(naming_unregister(names, bad[i].name, bad[i].url, &was, &err),
                    COIL_EVALUE, want);
        if (strcmp(bad[i].url, "http://h/") == 0) {
            snprintf(want, sizeof want, "lookup: %s", bad[i].message);
            EXPECT_FAIL(naming_lookup(names, bad[i].name, &l, &err), COIL_EVALUE, want);
        }
    }
    cr_assert_eq(lease, 7, "failed calls leave results alone");
    cr_assert(was);
    json_decref(array);
    json_decref(text);

    /* list takes an empty prefix (everything), but no other bad one. */
    EXPECT_FAIL(naming_list(names, long_name, &l, &err), COIL_EVALUE,
                "list: parameter 'prefix' is longer than 255 bytes (256)");
    EXPECT_FAIL(naming_list(names, "\tx", &l, &err), COIL_EVALUE,
                "list: parameter 'prefix' contains a control character (0x09 at byte 0)");
    cr_assert_null(l.items);

    /* The limits themselves are fine; nothing bad was registered. */
    reg_ok(names, max_name, "HTTPS://h", NULL);
    l = list_ok(names, "");
    cr_assert_eq(l.count, 1, "%s", describe(&l));
    cr_assert_str_eq(l.items[0].name, max_name);
    naming_list_endpoint_free(&l);

    /* The same checks by name with JSON, as the exporter calls it. */
    json_t *params = json_pack("[s, s, [i]]", "a", "http://h/", 1), *result = NULL;
    EXPECT_FAIL(coil_invoke(names, &naming_interface, "register", params, &result,
                            &err),
                COIL_EVALUE,
                "register: parameter 'metadata' must be a JSON object, got an array");
    json_decref(params);
    params = json_pack("{s:s, s:s, s:n}", "name", "a", "url", "http://h/", "metadata");
    cr_assert_eq(coil_invoke(names, &naming_interface, "register", params, &result,
                             &err),
                 0, "null metadata is none: %s", dump_errors(err));
    cr_assert(json_is_integer(result) && json_integer_value(result) == 30);
    json_decref(result);
    json_decref(params);
    coil_close(ctx);
}

/* ---- Leases ----------------------------------------------------------------------------- */

CTEST(naming_server, registrations_end_with_their_lease) {
    coil_context *ctx = names_ok("lease: 0.3");
    void *names = server_of(ctx);
    double t0 = now_s();
    reg_ok(names, "short", "http://127.0.0.1:1/", NULL);
    reg_ok(names, "short", "http://127.0.0.1:2/", NULL);
    double gone = wait_gone(names, "short");
    cr_assert_geq(gone - t0, 0.3, "gone after %g s, before its lease ended", gone - t0);

    /* Gone everywhere: list does not show it, renew does not know it. */
    naming_list_endpoint l = list_ok(names, "");
    cr_assert_eq(l.count, 0, "%s", describe(&l));
    naming_list_endpoint_free(&l);
    coil_error *err = NULL;
    int64_t lease;
    EXPECT_FAIL(naming_renew(names, "short", "http://127.0.0.1:1/", &lease, &err),
                COIL_ENOTFOUND,
                "renew: http://127.0.0.1:1/ is not registered under 'short' (or its lease "
                "ended): register it again");
    bool was = true;
    cr_assert_eq(naming_unregister(names, "short", "http://127.0.0.1:2/", &was, NULL), 0);
    cr_assert_not(was, "an ended registration is not there to remove");

    /* Registered again, it is back, as a new registration. */
    reg_ok(names, "short", "http://127.0.0.1:2/", NULL);
    l = lookup_ok(names, "short");
    cr_assert_str_eq(describe(&l), "short http://127.0.0.1:2/");
    cr_assert(l.items[0].expires_in > 0 && l.items[0].expires_in <= 0.3, "%g",
              l.items[0].expires_in);
    naming_list_endpoint_free(&l);
    coil_close(ctx);
}

CTEST(naming_server, renewal_keeps_a_registration_past_its_lease) {
    const double lease = 1.5;
    coil_context *ctx = names_ok("lease: 1.5");
    void *names = server_of(ctx);
    double t0 = now_s();
    reg_ok(names, "kept", "http://127.0.0.1:1/", NULL);
    reg_ok(names, "dropped", "http://127.0.0.1:2/", NULL);

    /* Renew `kept` every sixth of its lease for two leases; `dropped`
     * ends meanwhile, `kept` is there at every look. */
    double last = now_s();
    bool dropped_gone = false;
    unsigned renewals = 0;
    while (now_s() - t0 < 2 * lease) {
        if (now_s() - last >= lease / 6) {
            int64_t granted = 0;
            coil_error *err = NULL;
            last = now_s();
            cr_assert_eq(naming_renew(names, "kept", "http://127.0.0.1:1/", &granted, &err), 0,
                         "renewal %u at %g s: %s", renewals + 1, last - t0, dump_errors(err));
            cr_assert_eq(granted, 1);
            renewals++;
        }
        naming_list_endpoint l = lookup_ok(names, "kept");
        cr_assert_eq(l.count, 1, "renewed, yet gone at %g s", now_s() - t0);
        cr_assert(l.items[0].expires_in <= lease);
        naming_list_endpoint_free(&l);
        l = lookup_ok(names, "dropped");
        dropped_gone = dropped_gone || l.count == 0;
        naming_list_endpoint_free(&l);
        pause_ms(10);
    }
    cr_assert_geq(renewals, 5);
    cr_assert(dropped_gone, "'dropped' was never renewed, yet outlived two leases");

    /* Without renewals it ends too. */
    double stopped = now_s();
    double gone = wait_gone(names, "kept");
    cr_assert_lt(gone - stopped, lease + DEADLINE);
    coil_close(ctx);
}

CTEST(naming_server, reregistration_replaces_metadata_and_keeps_its_place) {
    coil_context *ctx = names_ok("lease: 60");
    void *names = server_of(ctx);
    reg_ok(names, "svc", "http://h1/", "{\"v\": 1, \"old\": true}");
    reg_ok(names, "svc", "http://h2/", "{\"v\": 1}");
    reg_ok(names, "svc", "http://h1/", "{\"v\": 2}");

    naming_list_endpoint l = lookup_ok(names, "svc");
    cr_assert_str_eq(describe(&l), "svc http://h1/, svc http://h2/",
                     "one registration per URL, in the order first registered");
    expect_metadata(&l.items[0], "{\"v\":2}");   /* replaced, not merged */
    expect_metadata(&l.items[1], "{\"v\":1}");
    naming_list_endpoint_free(&l);

    reg_ok(names, "svc", "http://h2/", NULL);
    l = lookup_ok(names, "svc");
    expect_metadata(&l.items[1], "{}");   /* none given: none kept */
    naming_list_endpoint_free(&l);

    /* The same URL under another name is another registration. */
    reg_ok(names, "svc2", "http://h1/", NULL);
    l = list_ok(names, "svc");
    cr_assert_str_eq(describe(&l), "svc http://h1/, svc http://h2/, svc2 http://h1/");
    naming_list_endpoint_free(&l);
    coil_close(ctx);
}

CTEST(naming_server, reregistration_starts_a_new_lease) {
    coil_context *ctx = names_ok("lease: 1.5");
    void *names = server_of(ctx);
    double t0 = now_s();
    reg_ok(names, "svc", "http://h1/", NULL);
    /* Registered again each sixth of a lease for two leases: still there. */
    double last = t0;
    while (now_s() - t0 < 3.0) {
        if (now_s() - last >= 0.25) {
            last = now_s();
            reg_ok(names, "svc", "http://h1/", NULL);
        }
        naming_list_endpoint l = lookup_ok(names, "svc");
        cr_assert_eq(l.count, 1, "re-registered, yet gone at %g s", now_s() - t0);
        naming_list_endpoint_free(&l);
        pause_ms(10);
    }
    coil_close(ctx);
}

CTEST(naming_server, list_by_prefix_orders_by_name_then_registration) {
    coil_context *ctx = names_ok("");
    void *names = server_of(ctx);
    reg_ok(names, "svc.b", "http://h/1", NULL);
    reg_ok(names, "svc.a", "http://h/2", NULL);
    reg_ok(names, "other", "http://h/3", NULL);
    reg_ok(names, "svc.a", "http://h/4", NULL);
    reg_ok(names, "svc", "http://h/5", NULL);
    reg_ok(names, "svc.a", "http://h/0", NULL);

    naming_list_endpoint l = list_ok(names, "svc.");
    cr_assert_str_eq(describe(&l), "svc.a http://h/2, svc.a http://h/4, svc.a http://h/0, "
                                   "svc.b http://h/1");
    naming_list_endpoint_free(&l);
    l = list_ok(names, "");
    cr_assert_str_eq(describe(&l), "other http://h/3, svc http://h/5, svc.a http://h/2, "
                                   "svc.a http://h/4, svc.a http://h/0, svc.b http://h/1");
    naming_list_endpoint_free(&l);
    l = list_ok(names, "svc.a");
    cr_assert_eq(l.count, 3, "a whole name is a prefix too");
    naming_list_endpoint_free(&l);
    l = list_ok(names, "SVC");
    cr_assert_eq(l.count, 0, "case matters");
    naming_list_endpoint_free(&l);
    l = list_ok(names, "svc.a.");
    cr_assert_eq(l.count, 0);
    naming_list_endpoint_free(&l);
    coil_close(ctx);
}

/* Many threads at once: the class says it takes concurrent calls. */
#define THREADS 4
#define PER_THREAD 50

static void *register_many(void *arg) {
    void *names = ((void **)arg)[0];
    int t = (int)(intptr_t)((void **)arg)[1];
    for (int i = 0; i < PER_THREAD; i++) {
        char name[32], url[64];
        snprintf(name, sizeof name, "t%d", t);
        snprintf(url, sizeof url, "http://127.0.0.1:%d/", 1000 + i);
        int64_t lease;
        if (naming_register(names, name, url, NULL, &lease, NULL) != 0)
            return "register failed";
        naming_list_endpoint l = { 0 };
        if (naming_list(names, "t", &l, NULL) != 0)
            return "list failed";
        naming_list_endpoint_free(&l);
        if (i % 2 && naming_renew(names, name, url, &lease, NULL) != 0)
            return "renew failed";
    }
    return NULL;
}

CTEST(naming_server, concurrent_calls) {
    coil_context *ctx = names_ok("");
    void *names = server_of(ctx);
    pthread_t th[THREADS];
    void *args[THREADS][2];
    for (int t = 0; t < THREADS; t++) {
        args[t][0] = names;
        args[t][1] = (void *)(intptr_t)t;
        cr_assert_eq(pthread_create(&th[t], NULL, register_many, args[t]), 0);
    }
    for (int t = 0; t < THREADS; t++) {
        void *failed = NULL;
        pthread_join(th[t], &failed);
        cr_assert_null(failed, "thread %d: %s", t, (const char *)failed);
    }
    naming_list_endpoint l = list_ok(names, "");
    cr_assert_eq(l.count, THREADS * PER_THREAD);
    for (size_t i = 1; i < l.count; i++)
        cr_assert_leq(strcmp(l.items[i - 1].name, l.items[i].name), 0, "sorted by name");
    naming_list_endpoint_free(&l);
    coil_close(ctx);
}

/* ---- The store ---------------------------------------------------------------------------- */

CTEST(naming_server, store_keeps_registrations_across_a_restart) {
    char *dir = tmp_dir();
    char *store = path_in(dir, "names.json");

    coil_context *ctx = names_with_store(30, store);
    void *names = server_of(ctx);
    reg_ok(names, "calc", "http://127.0.0.1:7001/calc", "{\"zone\": \"a\", \"weight\": 2}");
    reg_ok(names, "calc", "http://127.0.0.1:7002/calc", NULL);
    reg_ok(names, "birthday", "http://127.0.0.1:7003/birthday", "{\"tags\": [\"x\"]}");
    reg_ok(names, "gone", "http://127.0.0.1:7004/", NULL);
    bool was;
    cr_assert_eq(naming_unregister(names, "gone", "http://127.0.0.1:7004/", &was, NULL), 0);
    coil_close(ctx);

    /* The file is JSON a person can read: version 1, the registrations in
     * registration order, each with its lease's end in Unix time. */
    json_error_t jerr;
    json_t *root = json_load_file(store, 0, &jerr);
    cr_assert_not_null(root, "the store is not JSON: %s", jerr.text);
    cr_assert_eq(json_integer_value(json_object_get(root, "version")), 1);
    json_t *regs = json_object_get(root, "registrations");
    cr_assert_eq(json_array_size(regs), 3);
    json_t *first = json_array_get(regs, 0);
    cr_assert_str_eq(json_string_value(json_object_get(first, "name")), "calc");
    double expires = json_number_value(json_object_get(first, "expires"));
    cr_assert(expires > wall_s() + 20 && expires <= wall_s() + 30, "expires %f", expires);
    json_decref(root);

    /* Another server on the same store, as after a restart. */
    ctx = names_with_store(30, store);
    names = server_of(ctx);
    naming_list_endpoint l = list_ok(names, "");
    cr_assert_str_eq(describe(&l), "birthday http://127.0.0.1:7003/birthday, "
                                   "calc http://127.0.0.1:7001/calc, "
                                   "calc http://127.0.0.1:7002/calc");
    expect_metadata(&l.items[0], "{\"tags\":[\"x\"]}");
    expect_metadata(&l.items[1], "{\"weight\":2,\"zone\":\"a\"}");
    expect_metadata(&l.items[2], "{}");
    for (size_t i = 0; i < l.count; i++)
        cr_assert(l.items[i].expires_in > 20 && l.items[i].expires_in <= 30, "%g",
                  l.items[i].expires_in);
    naming_list_endpoint_free(&l);

    /* It goes on from there: renew works, and changes are kept again. */
    int64_t lease;
    cr_assert_eq(naming_renew(names, "calc", "http://127.0.0.1:7002/calc", &lease, NULL), 0);
    reg_ok(names, "new", "http://127.0.0.1:7005/", NULL);
    coil_close(ctx);
    ctx = names_with_store(30, store);
    l = lookup_ok(server_of(ctx), "new");
    cr_assert_eq(l.count, 1);
    naming_list_endpoint_free(&l);
    coil_close(ctx);

    cr_assert_str_eq(dir_listing(dir), "names.json", "no temporary file is left behind");
    free(store);
    tmp_remove(dir);
}

CTEST(naming_server, store_keeps_the_time_left) {
    char *dir = tmp_dir();
    char *store = path_in(dir, "names.json");
    coil_context *ctx = names_with_store(1, store);
    reg_ok(server_of(ctx), "brief", "http://h/", NULL);
    coil_close(ctx);

    /* A restart with a longer lease: the registration keeps the end it had. */
    ctx = names_with_store(100, store);
    void *names = server_of(ctx);
    naming_list_endpoint l = lookup_ok(names, "brief");
    if (l.count) {   /* on a very slow machine it may have ended already */
        cr_assert_leq(l.items[0].expires_in, 1.0, "the lease restarted: %g",
                      l.items[0].expires_in);
    }
    naming_list_endpoint_free(&l);
    wait_gone(names, "brief");
    int64_t lease;
    coil_error *err = NULL;
    EXPECT_FAIL(naming_renew(names, "brief", "http://h/", &lease, &err), COIL_ENOTFOUND,
                "renew: http://h/ is not registered under 'brief' (or its lease ended): "
                "register it again");
    coil_close(ctx);
    free(store);
    tmp_remove(dir);
}

CTEST(naming_server, store_drops_ended_leases_and_caps_time_left) {
    char *dir = tmp_dir();
    char *store = path_in(dir, "names.json");
    char text[1024];
    snprintf(text, sizeof text,
             "{\"version\": 1, \"registrations\": [\n"
             "  {\"name\": \"old\", \"url\": \"http://h/1\", \"metadata\": {},"
             " \"expires\": 1000},\n"
             "  {\"name\": \"live\", \"url\": \"http://h/2\", \"metadata\": {\"a\": 1},"
             " \"expires\": %.3f},\n"
             "  {\"name\": \"long\", \"url\": \"http://h/3\", \"metadata\": {},"
             " \"expires\": %.3f}]}\n",
             wall_s() + 100, wall_s() + 10000);
    write_file(store, text);

    coil_context *ctx = names_with_store(200, store);
    naming_list_endpoint l = list_ok(server_of(ctx), "");
    cr_assert_str_eq(describe(&l), "live http://h/2, long http://h/3");
    expect_metadata(&l.items[0], "{\"a\":1}");
    cr_assert(l.items[0].expires_in > 90 && l.items[0].expires_in <= 100, "%g",
              l.items[0].expires_in);
    /* No more than a lease is left, whatever the file says (a shorter
     * lease now, a wall clock set back). */
    cr_assert(l.items[1].expires_in > 190 && l.items[1].expires_in <= 200, "%g",
              l.items[1].expires_in);
    naming_list_endpoint_free(&l);
    coil_close(ctx);

    /* Loading rewrote the file without the ended one. */
    char *now = read_file(store);
    cr_assert_null(strstr(now, "\"old\""), "%s", now);
    cr_assert_not_null(strstr(now, "\"live\""), "%s", now);
    free(now);
    free(store);
    tmp_remove(dir);
}

CTEST(naming_server, missing_store_starts_empty) {
    char *dir = tmp_dir();
    char *store = path_in(dir, "names.json");
    coil_context *ctx = names_with_store(30, store);
    naming_list_endpoint l = list_ok(server_of(ctx), "");
    cr_assert_eq(l.count, 0);
    naming_list_endpoint_free(&l);
    coil_close(ctx);
    json_t *root = json_load_file(store, 0, NULL);
    cr_assert_not_null(root, "an empty store is written at once");
    cr_assert_eq(json_array_size(json_object_get(root, "registrations")), 0);
    json_decref(root);
    free(store);
    tmp_remove(dir);
}

CTEST(naming_server, without_a_store_nothing_is_kept) {
    char *dir = tmp_dir();
    cr_assert_eq(chdir(dir), 0);
    coil_context *ctx = names_ok("store: ''");   /* as ${NAMING_STORE:-} gives */
    reg_ok(server_of(ctx), "a", "http://h/", NULL);
    coil_close(ctx);
    ctx = names_ok("store: ''");
    naming_list_endpoint l = list_ok(server_of(ctx), "");
    cr_assert_eq(l.count, 0, "a new server without a store starts empty");
    naming_list_endpoint_free(&l);
    coil_close(ctx);
    cr_assert_str_eq(dir_listing(dir), "", "no file written");
    chdir_data();
    tmp_remove(dir);
}

CTEST(naming_server, relative_store_paths) {
    char *dir = tmp_dir();
    cr_assert_eq(chdir(dir), 0);
    /* Relative to the working directory, like every file property... */
    coil_context *ctx = names_with_store(30, "cwd.json");
    coil_close(ctx);
    /* ...or to the context file, with ${COIL_CONTEXT_DIR}. */
    cr_assert_eq(mkdir("conf", 0777), 0);
    write_file("conf/naming.yaml", "objects:\n"
                                   "  - object: names\n"
                                   "    class: coil.naming-server\n"
                                   "    properties: {store: '${COIL_CONTEXT_DIR}/names.json'}\n");
    coil_error *err = NULL;
    ctx = coil_load_file("conf/naming.yaml", NULL, &err);
    cr_assert_not_null(ctx, "%s", dump_errors(err));
    coil_close(ctx);
    cr_assert_str_eq(dir_listing(dir), "conf cwd.json");
    cr_assert_eq(access("conf/names.json", F_OK), 0, "the store is next to the context file");
    unlink("conf/names.json");
    unlink("conf/naming.yaml");
    rmdir("conf");
    chdir_data();
    tmp_remove(dir);
}

CTEST(naming_server, store_writes_are_atomic_and_keep_permissions) {
    char *dir = tmp_dir();
    char *store = path_in(dir, "names.json");
    char *before = path_in(dir, "before.json");
    coil_context *ctx = names_with_store(30, store);
    void *names = server_of(ctx);
    cr_assert_eq(chmod(store, 0600), 0);
    for (int i = 0; i < 20; i++) {
        /* A second name for the file as it is: a write in place would
         * change it too, a new file renamed over the store does not. */
        cr_assert_eq(link(store, before), 0, "link: %s", strerror(errno));
        char *old = read_file(store);
        char url[64];
        snprintf(url, sizeof url, "http://h/%d", i);
        reg_ok(names, "svc", url, NULL);
        int64_t lease;
        cr_assert_eq(naming_renew(names, "svc", url, &lease, NULL), 0);
        if (i % 3 == 0) {
            bool was;
            cr_assert_eq(naming_unregister(names, "svc", url, &was, NULL), 0);
        }
        struct stat now, then;
        cr_assert_eq(stat(store, &now), 0);
        cr_assert_eq(stat(before, &then), 0);
        cr_assert_neq(now.st_ino, then.st_ino, "the store was rewritten in place");
        char *kept = read_file(before);
        cr_assert_str_eq(kept, old, "the old file changed");
        free(kept);
        free(old);
        cr_assert_eq(now.st_mode & 0777, 0600, "permissions: %o", now.st_mode & 0777);
        cr_assert_eq(unlink(before), 0);
        cr_assert_str_eq(dir_listing(dir), "names.json", "after change %d", i);
    }
    coil_close(ctx);
    json_t *root = json_load_file(store, 0, NULL);
    cr_assert_eq(json_array_size(json_object_get(root, "registrations")), 13);
    json_decref(root);
    free(before);
    free(store);
    tmp_remove(dir);
}

/* A change that cannot be written is undone and reported: what the server
 * answers and what its store holds stay the same. */
CTEST(naming_server, failed_writes_change_nothing) {
    char *dir = tmp_dir();
    char *store = path_in(dir, "names.json");
    coil_context *ctx = names_with_store(30, store);
    void *names = server_of(ctx);
    reg_ok(names, "a", "http://h/1", "{\"v\": 1}");
    /* The directory goes away: no temporary file can be made there. */
    cr_assert_eq(unlink(store), 0);
    cr_assert_eq(rmdir(dir), 0);

    char want[512];
    snprintf(want, sizeof want, "cannot write store '%s': No such file or directory", store);
    coil_error *err = NULL;
    int64_t lease;
    bool was = false;
    json_t *v2 = json_pack("{s:i}", "v", 2);
    EXPECT_FAIL(naming_register(names, "b", "http://h/2", NULL, &lease, &err), COIL_EIO,
                want);
    EXPECT_FAIL(naming_register(names, "a", "http://h/1", v2, &lease, &err), COIL_EIO,
                want);
    EXPECT_FAIL(naming_renew(names, "a", "http://h/1", &lease, &err), COIL_EIO, want);
    EXPECT_FAIL(naming_unregister(names, "a", "http://h/1", &was, &err), COIL_EIO, want);
    json_decref(v2);
    naming_list_endpoint l = list_ok(names, "");
    cr_assert_str_eq(describe(&l), "a http://h/1");
    expect_metadata(&l.items[0], "{\"v\":1}");
    naming_list_endpoint_free(&l);

    /* With the directory back, changes are kept again. */
    cr_assert_eq(mkdir(dir, 0700), 0);
    reg_ok(names, "b", "http://h/2", NULL);
    cr_assert_eq(naming_unregister(names, "a", "http://h/1", &was, NULL), 0);
    cr_assert(was);
    coil_close(ctx);
    ctx = names_with_store(30, store);
    l = list_ok(server_of(ctx), "");
    cr_assert_str_eq(describe(&l), "b http://h/2");
    naming_list_endpoint_free(&l);
    coil_close(ctx);
    free(store);
    tmp_remove(dir);
}

/* A store whose content is wrong stops the load, naming the file (and the
 * place in it, when it is not JSON); the file is left as it was. */
static void expect_corrupt(const char *content, unsigned line, const char *message) {
    char *dir = tmp_dir();
    char *store = path_in(dir, "names.json");
    write_file(store, content);
    char props[512];
    snprintf(props, sizeof props, "store: '%s'", store);
    coil_error *err = NULL;
    cr_assert_null(load_names(props, &err), "a corrupt store loaded: %s", content);
    cr_assert_eq(coil_error_count(err), 1, "%s", dump_errors(err));
    char want[1024];
    snprintf(want, sizeof want, "object 'names': init failed: store '%s': %s", store, message);
    if (line) {
        check_error(HERE, err, err, COIL_EINIT, store, line, 0, NULL);
        cr_assert(strncmp(err->message, want, strlen(want)) == 0, "message '%s', expected '%s...'",
                  err->message, want);
    } else {
        check_error(HERE, err, err, COIL_EINIT, "app.yaml", 2, 5, want);
    }
    coil_error_free(err);
    char *after = read_file(store);
    cr_assert_str_eq(after, content, "the corrupt store was changed");
    free(after);
    free(store);
    tmp_remove(dir);
}

CTEST(naming_server, corrupt_store_fails_the_load) {
    expect_corrupt("{\"version\": 1,\n \"registrations\": [oops]}\n", 2, "not JSON: ");
    expect_corrupt("", 1, "not JSON: ");
    expect_corrupt("{\"version\": 1, \"version\": 1, \"registrations\": []}", 1,
                   "not JSON: duplicate object key");
    expect_corrupt("[]", 0, "expects a JSON object, got an array");
    expect_corrupt("{\"registrations\": []}", 0, "expects \"version\": 1");
    expect_corrupt("{\"version\": 2, \"registrations\": []}", 0, "expects \"version\": 1");
    expect_corrupt("{\"version\": 1}", 0, "expects \"registrations\": a list");
    expect_corrupt("{\"version\": 1, \"registrations\": [{\"name\": \"a\"}]}", 0,
                   "registrations[0]: expects \"url\": a string");
    expect_corrupt("{\"version\": 1, \"registrations\": [{\"name\": \"a\", \"url\": \"http://h/\","
                   " \"metadata\": {}, \"expires\": 1, \"extra\": 1}]}",
                   0, "registrations[0]: has keys other than name, url, metadata and expires");
    expect_corrupt("{\"version\": 1, \"registrations\": [{\"name\": \"a\", \"url\": \"ftp://h/\","
                   " \"metadata\": {}, \"expires\": 1}]}",
                   0, "registrations[0]: 'url' must be an http:// or https:// URL");
    expect_corrupt("{\"version\": 1, \"registrations\": [{\"name\": \"\", \"url\": \"http://h/\","
                   " \"metadata\": {}, \"expires\": 1}]}",
                   0, "registrations[0]: 'name' is empty");
    expect_corrupt("{\"version\": 1, \"registrations\": [{\"name\": \"a\", \"url\": \"http://h/\","
                   " \"metadata\": {}, \"expires\": \"soon\"}]}",
                   0, "registrations[0]: expects \"expires\": a number (Unix time)");
    expect_corrupt("{\"version\": 1, \"registrations\": [[]]}", 0,
                   "registrations[0]: expects an object");
    expect_corrupt("{\"version\": 1, \"registrations\": [{\"name\": \"a\", \"url\": \"http://h/\","
                   " \"metadata\": [], \"expires\": 1}]}",
                   0, "registrations[0]: expects \"metadata\": an object");
    expect_corrupt("{\"version\": 1, \"registrations\": ["
                   "{\"name\": \"a\", \"url\": \"http://h/\", \"metadata\": {}, \"expires\": 1},"
                   "{\"name\": \"a\", \"url\": \"http://h/\", \"metadata\": {}, \"expires\": 2}]}",
                   0, "registrations[1]: http://h/ is registered under 'a' twice");
}

CTEST(naming_server, unwritable_store_fails_the_load) {
    char *dir = tmp_dir();
    char *store = path_in(dir, "missing/names.json");
    char props[512];
    snprintf(props, sizeof props, "store: '%s'", store);
    coil_error *err = NULL;
    cr_assert_null(load_names(props, &err));
    char want[1024];
    snprintf(want, sizeof want,
             "object 'names': init failed: cannot write store '%s': No such file or directory",
             store);
    EXPECT_ONLY_ERROR(err, COIL_EIO, "app.yaml", 2, 5, want);
    coil_error_free(err);
    err = NULL;

    /* A store that is a directory cannot be read. */
    snprintf(props, sizeof props, "store: '%s'", dir);
    cr_assert_null(load_names(props, &err));
    snprintf(want, sizeof want,
             "object 'names': init failed: cannot read store '%s': Is a directory", dir);
    EXPECT_ONLY_ERROR(err, COIL_EIO, "app.yaml", 2, 5, want);
    coil_error_free(err);
    free(store);
    tmp_remove(dir);
}

/* ---- Over HTTP ---------------------------------------------------------------------------- */

CTEST(naming_server, over_http_through_a_proxy) {
    coil_error *err = NULL;
    coil_context *server =
        coil_load_string("objects:\n"
                         "  - object: names\n"
                         "    class: coil.naming-server\n"
                         "    properties: {lease: 45}\n"
                         "  - object: exporter\n"
                         "    class: coil.http-exporter\n"
                         "    properties: {service: {ref: names}, interface: naming,\n"
                         "                 listen: '127.0.0.1:0', path: /naming, threads: 2}\n",
                         "server.yaml", NULL, &err);
    cr_assert_not_null(server, "%s", dump_errors(err));
    const char *url = coil_http_exporter_url(coil_get(server, "exporter", NULL, NULL));
    cr_assert_not_null(url);

    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "objects:\n"
             "  - object: names\n"
             "    class: coil.http-proxy\n"
             "    properties: {url: '%s', interface: naming, timeout: 20}\n",
             url);
    coil_context *client = coil_load_string(yaml, "client.yaml", NULL, &err);
    cr_assert_not_null(client, "%s", dump_errors(err));
    void *names = GET_OK(client, "names", &naming_interface);

    cr_assert_eq(reg_ok(names, "calc", "http://127.0.0.1:7001/calc", "{\"zone\": \"a\"}"), 45);
    cr_assert_eq(reg_ok(names, "calc", "http://127.0.0.1:7002/calc", NULL), 45);
    naming_list_endpoint l = lookup_ok(names, "calc");
    cr_assert_str_eq(describe(&l),
                     "calc http://127.0.0.1:7001/calc, calc http://127.0.0.1:7002/calc");
    expect_metadata(&l.items[0], "{\"zone\":\"a\"}");
    expect_metadata(&l.items[1], "{}");
    cr_assert(l.items[0].expires_in > 40 && l.items[0].expires_in <= 45, "%g",
              l.items[0].expires_in);
    naming_list_endpoint_free(&l);
    l = list_ok(names, "ca");
    cr_assert_eq(l.count, 2);
    naming_list_endpoint_free(&l);

    int64_t lease = 0;
    cr_assert_eq(naming_renew(names, "calc", "http://127.0.0.1:7001/calc", &lease, &err), 0,
                 "%s", dump_errors(err));
    cr_assert_eq(lease, 45);
    bool was = false;
    cr_assert_eq(naming_unregister(names, "calc", "http://127.0.0.1:7001/calc", &was, &err), 0);
    cr_assert(was);

    /* The server's errors arrive with their codes. */
    EXPECT_FAIL(naming_renew(names, "calc", "http://127.0.0.1:7001/calc", &lease, &err),
                COIL_ENOTFOUND,
                "renew: http://127.0.0.1:7001/calc is not registered under 'calc' (or its "
                "lease ended): register it again");
    EXPECT_FAIL(naming_lookup(names, "", &l, &err), COIL_EVALUE,
                "lookup: parameter 'name' is empty");
    json_t *array = json_array();
    EXPECT_FAIL(naming_register(names, "a", "http://h/", array, &lease, &err),
                COIL_EVALUE,
                "register: parameter 'metadata' must be a JSON object, got an array");
    json_decref(array);

    /* What the proxy registered, the server holds. */
    l = lookup_ok(GET_OK(server, "names", &naming_interface), "calc");
    cr_assert_str_eq(describe(&l), "calc http://127.0.0.1:7002/calc");
    naming_list_endpoint_free(&l);

    coil_close(client);
    coil_close(server);
}
