/* The naming backend over a name server's URL: every operation is one
 * JSON-RPC call (remoting/naming.yaml's methods) through the client the
 * proxies use (coil__rpc_client, rpc_client.h), so its failures are
 * reported the same way: COIL_ECONNECT, COIL_ETIMEOUT, ..., and the
 * server's own codes (COIL_ENOTFOUND from renew) as they are. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "remoting/naming.h"
#include "remoting/naming_iface.h"
#include "remoting/rpc_client.h"

typedef struct remote_naming {
    coil__naming base;
    coil__rpc_client *rpc;
    char *url;
} remote_naming;

static coil__rpc_client *rpc_of(coil__naming *n) { return ((remote_naming *)n)->rpc; }

static int protocol_error(coil__naming *n, const char *method, coil_error **err)
{
    if (err && !*err)
        *err = coil_error_new(COIL_EPROTOCOL, "name server at %s: unexpected result of '%s'",
                              ((remote_naming *)n)->url, method);
    return COIL_EPROTOCOL;
}

static int call(coil__naming *n, const char *method, json_t *params, json_t **result,
                coil_error **err)
{
    if (!params) {
        if (err && !*err)
            *err = coil_error_new(COIL_ENOMEM, "out of memory");
        return COIL_ENOMEM;
    }
    int rc = coil__rpc_client_call(rpc_of(n), method, params, result, err);
    json_decref(params);
    return rc;
}

static int lease_call(coil__naming *n, const char *method, json_t *params, unsigned *ttl,
                      coil_error **err)
{
    json_t *result = NULL;
    int rc = call(n, method, params, &result, err);
    if (rc != COIL_OK)
        return rc;
    if (!json_is_integer(result)) {
        json_decref(result);
        return protocol_error(n, method, err);
    }
    json_int_t s = json_integer_value(result);
    json_decref(result);
    *ttl = s < 1 ? 1 : s > UINT_MAX ? UINT_MAX : (unsigned)s;
    return COIL_OK;
}

static int on_register(coil__naming *n, const char *name, const char *url,
                       const json_t *metadata, unsigned *ttl, coil_error **err)
{
    json_t *params = json_pack("[ssO]", name, url, metadata ? (json_t *)metadata : json_null());
    return lease_call(n, "register", params, ttl, err);
}

static int on_renew(coil__naming *n, const char *name, const char *url, unsigned *ttl,
                    coil_error **err)
{
    return lease_call(n, "renew", json_pack("[ss]", name, url), ttl, err);
}

static int on_unregister(coil__naming *n, const char *name, const char *url, coil_error **err)
{
    json_t *result = NULL;
    int rc = call(n, "unregister", json_pack("[ss]", name, url), &result, err);
    if (rc == COIL_OK && !json_is_boolean(result))
        rc = protocol_error(n, "unregister", err);
    json_decref(result);
    return rc;
}

static int entries_call(coil__naming *n, const char *method, const char *arg,
                        coil__naming_entries *out, coil_error **err)
{
    json_t *result = NULL;
    int rc = call(n, method, json_pack("[s]", arg), &result, err);
    if (rc != COIL_OK)
        return rc;
    if (!json_is_array(result)) {
        json_decref(result);
        return protocol_error(n, method, err);
    }
    size_t count = json_array_size(result);
    out->count = 0;
    out->items = calloc(count ? count : 1, sizeof *out->items);
    if (!out->items) {
        json_decref(result);
        if (err && !*err)
            *err = coil_error_new(COIL_ENOMEM, "out of memory");
        return COIL_ENOMEM;
    }
    for (size_t i = 0; i < count; i++) {
        naming_endpoint e;
        naming_endpoint_init(&e);
        coil_error *why = NULL;
        if (naming_endpoint_from_json(json_array_get(result, i), &e, &why) != COIL_OK ||
            !json_is_object(e.metadata)) {
            if (err && !*err)
                *err = coil_error_new(COIL_EPROTOCOL,
                                      "name server at %s: malformed endpoint %zu from '%s': %s",
                                      ((remote_naming *)n)->url, i, method,
                                      why ? why->message : "metadata is not an object");
            coil_error_free(why);
            naming_endpoint_free(&e);
            coil__naming_entries_free(out);
            json_decref(result);
            return COIL_EPROTOCOL;
        }
        coil__naming_entry *o = &out->items[out->count++];
        o->name = e.name;
        o->url = e.url;
        o->metadata = e.metadata;
        o->expires_in = e.expires_in;
    }
    json_decref(result);
    return COIL_OK;
}

static int on_lookup(coil__naming *n, const char *name, coil__naming_entries *out,
                     coil_error **err)
{
    return entries_call(n, "lookup", name, out, err);
}

static int on_list(coil__naming *n, const char *prefix, coil__naming_entries *out,
                   coil_error **err)
{
    return entries_call(n, "list", prefix, out, err);
}

static void on_close(coil__naming *n)
{
    remote_naming *r = (remote_naming *)n;
    coil__rpc_client_close(r->rpc);
    free(r->url);
    free(r);
}

static const coil__naming_ops remote_ops = {
    on_register, on_renew, on_unregister, on_lookup, on_list, on_close,
};

int coil__naming_open_server(const char *url, double timeout_s, coil__naming **out,
                             coil_error **err)
{
    *out = NULL;
    remote_naming *r = calloc(1, sizeof *r);
    if (!r || !(r->url = strdup(url))) {
        free(r);
        if (err && !*err)
            *err = coil_error_new(COIL_ENOMEM, "out of memory");
        return COIL_ENOMEM;
    }
    double connect = timeout_s < 2.0 ? timeout_s : 2.0;
    int rc = coil__rpc_client_open(url, connect, timeout_s, 1, &r->rpc, err);
    if (rc != COIL_OK) {
        free(r->url);
        free(r);
        return rc;
    }
    r->base.ops = &remote_ops;
    *out = &r->base;
    return COIL_OK;
}
