/* The naming backend over an object implementing interface `naming`
 * (remoting/naming_object.c), with a coil.naming-server in the same
 * context as that object: register, renew, lookup, list, unregister, the
 * errors that come through, and a keeper and a resolver on top of it; and
 * the backend over a name server's URL (remoting/naming_remote.c). */
#include "support/support.h"

#include <stdlib.h>
#include <string.h>

#include "coil/remoting.h"
#include "remoting/naming.h"
#include "remoting/naming_client.h"
#include "remoting/naming_iface.h"

static const char *server_yaml =
    "objects:\n"
    "  - object: names\n"
    "    class: coil.naming-server\n"
    "    properties: {lease: 2}\n";

CTEST(naming_object, every_operation_through_the_typed_calls) {
    coil_context *ctx = LOAD_OK(server_yaml);
    void *names = GET_OK(ctx, "names", &naming_interface);
    coil__naming *n = NULL;
    coil_error *err = NULL;
    cr_assert_eq(coil__naming_open_object(names, &n, &err), COIL_OK);

    json_t *meta = json_pack("{s:i}", "weight", 3);
    unsigned ttl = 0;
    cr_assert_eq(n->ops->register_endpoint(n, "svc", "http://127.0.0.1:1/a", meta, &ttl, &err),
                 COIL_OK, "%s", dump_errors(err));
    cr_assert_eq(ttl, 2);
    cr_assert_eq(n->ops->register_endpoint(n, "svc", "http://127.0.0.1:2/a", NULL, &ttl, &err),
                 COIL_OK);
    cr_assert_eq(n->ops->register_endpoint(n, "svc2", "http://127.0.0.1:3/a", NULL, &ttl, &err),
                 COIL_OK);
    json_decref(meta);

    coil__naming_entries found = { 0, NULL };
    cr_assert_eq(n->ops->lookup(n, "svc", &found, &err), COIL_OK);
    cr_assert_eq(found.count, 2);
    cr_assert_str_eq(found.items[0].name, "svc");
    cr_assert_str_eq(found.items[0].url, "http://127.0.0.1:1/a");
    cr_assert_eq(json_integer_value(json_object_get(found.items[0].metadata, "weight")), 3);
    cr_assert(json_is_object(found.items[1].metadata));
    cr_assert_gt(found.items[0].expires_in, 0.0);
    coil__naming_entries_free(&found);

    cr_assert_eq(n->ops->list(n, "svc", &found, &err), COIL_OK);
    cr_assert_eq(found.count, 3);
    cr_assert_str_eq(found.items[2].name, "svc2");
    coil__naming_entries_free(&found);

    cr_assert_eq(n->ops->renew(n, "svc", "http://127.0.0.1:1/a", &ttl, &err), COIL_OK);
    cr_assert_eq(n->ops->unregister(n, "svc", "http://127.0.0.1:1/a", &err), COIL_OK);
    cr_assert_eq(n->ops->unregister(n, "svc", "http://127.0.0.1:1/a", &err), COIL_OK,
                 "removing what is not there is not an error");
    cr_assert_eq(n->ops->renew(n, "svc", "http://127.0.0.1:1/a", &ttl, &err), COIL_ENOTFOUND);
    cr_assert_not_null(err);
    coil_error_free(err);
    err = NULL;
    cr_assert_eq(n->ops->register_endpoint(n, "", "http://127.0.0.1:1/a", NULL, &ttl, &err),
                 COIL_EVALUE, "the server's checks come through");
    coil_error_free(err);
    err = NULL;

    n->ops->close(n);
    coil_close(ctx);
}

CTEST(naming_object, keeper_and_resolver) {
    coil_context *ctx = LOAD_OK(server_yaml);
    void *names = GET_OK(ctx, "names", &naming_interface);
    coil__naming *n = NULL;
    coil_error *err = NULL;
    cr_assert_eq(coil__naming_open_object(names, &n, &err), COIL_OK);
    coil__naming_keeper *k1 = NULL, *k2 = NULL;
    cr_assert_eq(coil__naming_keeper_start(n, "svc", "http://127.0.0.1:1/", NULL, 0, &k1, &err),
                 COIL_OK, "%s", dump_errors(err));
    cr_assert_eq(coil__naming_keeper_start(n, "svc", "http://127.0.0.1:2/", NULL, 0, &k2, &err),
                 COIL_OK);

    coil__endpoints *eps = coil__endpoints_new(COIL__BALANCE_ROUND_ROBIN, 1.0);
    coil__naming_resolver *r = coil__naming_resolver_new(n, "svc", 60.0, eps);
    cr_assert_eq(coil__naming_resolver_update(r, 0.0, false, &err), COIL_OK);
    cr_assert_eq(coil__endpoints_count(eps), 2);

    coil__naming_keeper_stop(k2, true);
    cr_assert_eq(coil__naming_resolver_update(r, 1.0, false, &err), COIL_OK);
    cr_assert_eq(coil__endpoints_count(eps), 2, "cached until the refresh period");
    cr_assert_eq(coil__naming_resolver_update(r, 1.0, true, &err), COIL_OK);
    cr_assert_eq(coil__endpoints_count(eps), 1, "stale: looked up again");
    char *u = coil__endpoints_pick(eps, 1.0, NULL, 0);
    cr_assert_str_eq(u, "http://127.0.0.1:1/");
    free(u);

    coil__naming_keeper_stop(k1, true);
    coil__naming_resolver_free(r);
    coil__endpoints_free(eps);
    n->ops->close(n);
    coil_close(ctx);
}

/* The backend over a name server's URL (remoting/naming_remote.c): every
 * operation as a JSON-RPC call to an exporter of a coil.naming-server, the
 * server's COIL_ENOTFOUND passed through, and a server that is not there. */
CTEST(naming_remote, every_operation_over_http) {
    coil_context *server = LOAD_OK("objects:\n"
                                   "  - object: names\n"
                                   "    class: coil.naming-server\n"
                                   "    properties: {lease: 2}\n"
                                   "  - object: exporter\n"
                                   "    class: coil.http-exporter\n"
                                   "    properties: {service: {ref: names}, interface: naming,\n"
                                   "                 listen: '127.0.0.1:0', path: /naming}\n");
    const char *url = coil_http_exporter_url(coil_get(server, "exporter", NULL, NULL));
    cr_assert_not_null(url);
    coil__naming *n = NULL;
    coil_error *err = NULL;
    cr_assert_eq(coil__naming_open_server(url, 5.0, &n, &err), COIL_OK, "%s", dump_errors(err));

    json_t *meta = json_pack("{s:s}", "zone", "a");
    unsigned ttl = 0;
    cr_assert_eq(n->ops->register_endpoint(n, "svc", "http://127.0.0.1:1/a", meta, &ttl, &err),
                 COIL_OK, "%s", dump_errors(err));
    json_decref(meta);
    cr_assert_eq(ttl, 2);
    cr_assert_eq(n->ops->register_endpoint(n, "svc2", "http://127.0.0.1:2/a", NULL, &ttl, &err),
                 COIL_OK);
    coil__naming_entries found = { 0, NULL };
    cr_assert_eq(n->ops->lookup(n, "svc", &found, &err), COIL_OK, "%s", dump_errors(err));
    cr_assert_eq(found.count, 1);
    cr_assert_str_eq(found.items[0].url, "http://127.0.0.1:1/a");
    cr_assert_str_eq(json_string_value(json_object_get(found.items[0].metadata, "zone")), "a");
    cr_assert_gt(found.items[0].expires_in, 0.0);
    coil__naming_entries_free(&found);
    cr_assert_eq(n->ops->list(n, "", &found, &err), COIL_OK);
    cr_assert_eq(found.count, 2);
    cr_assert_str_eq(found.items[1].name, "svc2");
    coil__naming_entries_free(&found);

    cr_assert_eq(n->ops->renew(n, "svc", "http://127.0.0.1:1/a", &ttl, &err), COIL_OK);
    cr_assert_eq(n->ops->unregister(n, "svc", "http://127.0.0.1:1/a", &err), COIL_OK);
    cr_assert_eq(n->ops->renew(n, "svc", "http://127.0.0.1:1/a", &ttl, &err), COIL_ENOTFOUND,
                 "the server's code comes through");
    cr_assert_not_null(strstr(err->message, "register it again"), "%s", err->message);
    coil_error_free(err);
    err = NULL;
    n->ops->close(n);

    /* Nobody there any more: a connection error, not a hang. */
    char *gone = strdup(url);
    coil_close(server);
    cr_assert_eq(coil__naming_open_server(gone, 2.0, &n, &err), COIL_OK);
    cr_assert_eq(n->ops->lookup(n, "svc", &found, &err), COIL_ECONNECT, "%s", dump_errors(err));
    cr_assert_not_null(err);
    coil_error_free(err);
    n->ops->close(n);
    free(gone);
}
