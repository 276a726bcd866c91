/* coil.http-exporter with `name` and `naming`: it registers its URL (or
 * `advertise`) with `metadata` when it starts, keeps the lease, and
 * unregisters at coil_http_exporters_quiesce and at destroy; with each form
 * of `naming:` (an object implementing `naming`, a name server's URL,
 * etcd), and the configuration errors. The service exported is a
 * coil.naming-server itself: it is at hand and implements an interface. */
#include "support/support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "coil/remoting.h"
#include "etcd_fixture.h"
#include "remoting/naming.h"
#include "remoting/naming_iface.h"

/* Every endpoint registered under `name` with the name server object
 * `names`, as "URL URL ..." in registration order ("" for none). */
static const char *lookup_urls(void *names, const char *name)
{
    static char out[1024];
    naming_list_endpoint found = { 0 };
    coil_error *err = NULL;
    cr_assert_eq(naming_lookup(names, name, &found, &err), COIL_OK, "%s", dump_errors(err));
    out[0] = '\0';
    for (size_t i = 0; i < found.count; i++)
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", i ? " " : "",
                 found.items[i].url);
    naming_list_endpoint_free(&found);
    return out;
}

/* The metadata of the only endpoint of `name` (a new reference). */
static json_t *only_metadata(void *names, const char *name)
{
    naming_list_endpoint found = { 0 };
    coil_error *err = NULL;
    cr_assert_eq(naming_lookup(names, name, &found, &err), COIL_OK, "%s", dump_errors(err));
    cr_assert_eq(found.count, 1);
    json_t *m = json_incref(found.items[0].metadata);
    naming_list_endpoint_free(&found);
    return m;
}

CTEST(exporter_naming, registers_at_start_and_unregisters_at_destroy) {
    /* The name server, exported without registering. */
    coil_context *ns = LOAD_OK("objects:\n"
                               "  - {object: names, class: coil.naming-server}\n"
                               "  - object: ns_exporter\n"
                               "    class: coil.http-exporter\n"
                               "    properties: {service: {ref: names}, interface: naming,\n"
                               "                 listen: '127.0.0.1:0', path: /naming, threads: 1}\n");
    void *names = GET_OK(ns, "names", &naming_interface);
    const char *ns_url = coil_http_exporter_url(GET_OK(ns, "ns_exporter", NULL));
    cr_assert_not_null(ns_url);
    cr_assert_null(coil_http_exporter_name(GET_OK(ns, "ns_exporter", NULL)));

    /* A server registering with it by URL, with metadata. */
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "objects:\n"
             "  - {object: svc, class: coil.naming-server}\n"
             "  - object: exporter\n"
             "    class: coil.http-exporter\n"
             "    properties:\n"
             "      service: {ref: svc}\n"
             "      interface: naming\n"
             "      listen: '127.0.0.1:0'\n"
             "      path: /svc\n"
             "      threads: 1\n"
             "      name: things\n"
             "      naming: '%s'\n"
             "      metadata: {zone: a, weight: 2}\n",
             ns_url);
    coil_context *server = LOAD_OK(yaml);
    void *exporter = GET_OK(server, "exporter", NULL);
    cr_assert_str_eq(coil_http_exporter_name(exporter), "things");
    cr_assert_str_eq(lookup_urls(names, "things"), coil_http_exporter_url(exporter));
    json_t *meta = only_metadata(names, "things");
    cr_assert_str_eq(json_string_value(json_object_get(meta, "zone")), "a");
    cr_assert_eq(json_integer_value(json_object_get(meta, "weight")), 2);
    json_decref(meta);

    coil_close(server);
    cr_assert_str_eq(lookup_urls(names, "things"), "", "a clean stop unregisters");
    coil_close(ns);
}

CTEST(exporter_naming, by_ref_with_advertise_and_quiesce_unregisters) {
    coil_context *ctx = LOAD_OK("objects:\n"
                                "  - {object: names, class: coil.naming-server}\n"
                                "  - object: exporter\n"
                                "    class: coil.http-exporter\n"
                                "    properties:\n"
                                "      service: {ref: names}\n"
                                "      interface: naming\n"
                                "      listen: '127.0.0.1:0'\n"
                                "      threads: 1\n"
                                "      name: names\n"
                                "      naming: {ref: names}\n"
                                "      advertise: 'http://names.example:7700/naming'\n");
    void *names = GET_OK(ctx, "names", &naming_interface);
    cr_assert_str_eq(lookup_urls(names, "names"), "http://names.example:7700/naming");
    json_t *meta = only_metadata(names, "names");
    cr_assert_eq(json_object_size(meta), 0, "no metadata is {}");
    json_decref(meta);

    coil_http_exporters_quiesce();
    cr_assert_str_eq(lookup_urls(names, "names"), "",
                     "a host shutting down unregisters before it drains");
    coil_close(ctx); /* and destroy does not unregister twice */
}

CTEST(exporter_naming, lease_is_renewed) {
    /* A two-second lease outlives five seconds: the keeper renews it
     * (every two thirds of a second). */
    coil_context *ctx = LOAD_OK("objects:\n"
                                "  - {object: names, class: coil.naming-server,\n"
                                "     properties: {lease: 2}}\n"
                                "  - object: exporter\n"
                                "    class: coil.http-exporter\n"
                                "    properties: {service: {ref: names}, interface: naming,\n"
                                "                 listen: '127.0.0.1:0', threads: 1,\n"
                                "                 name: names, naming: {ref: names}}\n");
    void *names = GET_OK(ctx, "names", &naming_interface);
    const char *url = coil_http_exporter_url(GET_OK(ctx, "exporter", NULL));
    for (int i = 0; i < 10; i++) {
        struct timespec half = { 0, 500000000 };
        nanosleep(&half, NULL); /* time passing is what is tested */
        cr_assert_str_eq(lookup_urls(names, "names"), url, "after %d ms", (i + 1) * 500);
    }
    coil_close(ctx);
}

static etcd_fixture etcd;

CTEST_X(exporter_naming, on_etcd, .timeout = 60) {
    etcd_fixture_start(&etcd);
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "objects:\n"
             "  - {object: svc, class: coil.naming-server}\n"
             "  - object: exporter\n"
             "    class: coil.http-exporter\n"
             "    properties:\n"
             "      service: {ref: svc}\n"
             "      interface: naming\n"
             "      listen: '127.0.0.1:0'\n"
             "      threads: 1\n"
             "      name: birthday\n"
             "      naming: {etcd: '%s', prefix: /test/}\n"
             "      metadata: {node: 1}\n"
             "      lease: 2\n",
             etcd.url);
    coil_context *server = LOAD_OK(yaml);
    const char *url = coil_http_exporter_url(GET_OK(server, "exporter", NULL));

    coil__naming *n = NULL;
    coil_error *err = NULL;
    cr_assert_eq(coil__naming_open_etcd(etcd.url, "/test/", 5000, &n, &err), COIL_OK,
                 "%s", dump_errors(err));
    coil__naming_entries found = { 0, NULL };
    cr_assert_eq(n->ops->lookup(n, "birthday", &found, &err), COIL_OK, "%s", dump_errors(err));
    cr_assert_eq(found.count, 1);
    cr_assert_str_eq(found.items[0].url, url);
    cr_assert_eq(json_integer_value(json_object_get(found.items[0].metadata, "node")), 1);
    coil__naming_entries_free(&found);

    coil_close(server);
    cr_assert_eq(n->ops->lookup(n, "birthday", &found, &err), COIL_OK);
    cr_assert_eq(found.count, 0, "a clean stop deletes the key");
    coil__naming_entries_free(&found);
    n->ops->close(n);
    etcd_fixture_stop(&etcd);
}

CTEST(exporter_naming, configuration_errors) {
    static const struct { const char *props; coil_code code; const char *message; } cases[] = {
        { "name: x", COIL_EVALUE,
          "object 'exporter': init failed: name 'x' needs naming: the name server's URL, "
          "{etcd: URL, prefix: P} or {ref: OBJECT}" },
        { "naming: {ref: names}", COIL_EVALUE,
          "object 'exporter': init failed: naming is set but name is not: give the name to "
          "register the endpoint under" },
        { "metadata: {a: 1}", COIL_EVALUE,
          "object 'exporter': init failed: metadata is set but name is not: give the name to "
          "register the endpoint under" },
        { "name: x, naming: {ref: names}, listen: '0.0.0.0:0'", COIL_EVALUE,
          "object 'exporter': init failed: listen '0.0.0.0:0' is every address of the "
          "machine, which no client can connect to: give advertise, the URL clients should "
          "use" },
        { "name: x, naming: {ref: names}, advertise: 'names:7700'", COIL_EVALUE,
          "object 'exporter': init failed: advertise 'names:7700' is not an http:// or "
          "https:// URL" },
        { "name: x, naming: 42", COIL_EVALUE,
          "object 'exporter': init failed: naming: got an integer; expected a name server's "
          "URL (http://127.0.0.1:7700/naming), {etcd: URL, prefix: /coil/} or {ref: OBJECT} "
          "(an object implementing interface 'naming')" },
        { "name: x, naming: {etcd: 'http://127.0.0.1:2379', prefx: /a/}", COIL_EVALUE,
          "object 'exporter': init failed: naming: unknown key 'prefx' (an etcd backend takes "
          "etcd and prefix)" },
        { "name: x, naming: {prefix: /a/}", COIL_EVALUE,
          "object 'exporter': init failed: naming: a map without 'etcd'; expected a name "
          "server's URL (http://127.0.0.1:7700/naming), {etcd: URL, prefix: /coil/} or {ref: "
          "OBJECT} (an object implementing interface 'naming')" },
        { "name: x, naming: {etcd: 'http://127.0.0.1:2379', prefix: 7}", COIL_EVALUE,
          "object 'exporter': init failed: naming: 'prefix' must be a string, got an integer" },
        { "name: x, naming: {ref: plain}", COIL_EINTERFACE, NULL },
        { "name: x, naming: 'ftp://127.0.0.1/naming'", COIL_EVALUE, NULL },
        { "name: '', naming: {ref: names}", COIL_EVALUE, NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char yaml[1024];
        snprintf(yaml, sizeof yaml,
                 "objects:\n"
                 "  - {object: names, class: coil.naming-server}\n"
                 "  - {object: plain, class: everything}\n"
                 "  - object: exporter\n"
                 "    class: coil.http-exporter\n"
                 "    properties: {service: {ref: names}, interface: naming, threads: 1,\n"
                 "                 %s%s}\n",
                 strstr(cases[i].props, "listen:") ? "" : "listen: '127.0.0.1:0', ",
                 cases[i].props);
        coil_error *err = NULL;
        coil_context *ctx = load_app(yaml, &err);
        cr_assert_null(ctx, "%s: should fail", cases[i].props);
        cr_assert_eq(coil_error_count(err), 1, "%s: %s", cases[i].props, dump_errors(err));
        cr_assert_eq(err->code, cases[i].code, "%s: %s", cases[i].props, dump_errors(err));
        if (cases[i].message)
            cr_assert_str_eq(err->message, cases[i].message, "%s", cases[i].props);
        coil_error_free(err);
    }
}

CTEST(exporter_naming, name_server_unreachable_at_start) {
    /* Port 1 on loopback: refused at once. */
    coil_error *err = NULL;
    coil_context *ctx =
        load_app("objects:\n"
                 "  - {object: svc, class: coil.naming-server}\n"
                 "  - object: exporter\n"
                 "    class: coil.http-exporter\n"
                 "    properties: {service: {ref: svc}, interface: naming, threads: 1,\n"
                 "                 listen: '127.0.0.1:0', name: birthday,\n"
                 "                 naming: 'http://127.0.0.1:1/naming'}\n",
                 &err);
    cr_assert_null(ctx);
    cr_assert_eq(coil_error_count(err), 1, "%s", dump_errors(err));
    cr_assert_eq(err->code, COIL_ECONNECT, "%s", dump_errors(err));
    const char *head = "object 'exporter': init failed: cannot register http://127.0.0.1:";
    cr_assert(strncmp(err->message, head, strlen(head)) == 0 &&
                  strstr(err->message, "/ as 'birthday': cannot connect to "
                                       "http://127.0.0.1:1/naming"),
              "%s", err->message);
    coil_error_free(err);
}
