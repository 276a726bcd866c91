/* The naming backend over an object that implements interface `naming`:
 * a coil.http-proxy to a name server, or a coil.naming-server in the same
 * context. Every operation is one typed call. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "remoting/naming.h"
#include "remoting/naming_iface.h"

typedef struct object_naming {
    coil__naming base;
    void *obj;
} object_naming;

static void *target(coil__naming *n) { return ((object_naming *)n)->obj; }

static unsigned lease_of(int64_t seconds)
{
    if (seconds < 1)
        return 1;
    return seconds > UINT_MAX ? UINT_MAX : (unsigned)seconds;
}

static int on_register(coil__naming *n, const char *name, const char *url,
                       const json_t *metadata, unsigned *ttl, coil_error **err)
{
    int64_t lease = 0;
    int rc = naming_register(target(n), name, url, metadata, &lease, err);
    if (rc == COIL_OK)
        *ttl = lease_of(lease);
    return rc;
}

static int on_renew(coil__naming *n, const char *name, const char *url, unsigned *ttl,
                    coil_error **err)
{
    int64_t lease = 0;
    int rc = naming_renew(target(n), name, url, &lease, err);
    if (rc == COIL_OK)
        *ttl = lease_of(lease);
    return rc;
}

static int on_unregister(coil__naming *n, const char *name, const char *url, coil_error **err)
{
    bool was = false;
    return naming_unregister(target(n), name, url, &was, err);
}

/* Moves a generated list into the backend's entries (the list is freed). */
static int take_list(naming_list_endpoint *l, coil__naming_entries *out, coil_error **err)
{
    out->count = 0;
    out->items = calloc(l->count ? l->count : 1, sizeof *out->items);
    for (size_t i = 0; out->items && i < l->count; i++) {
        naming_endpoint *e = &l->items[i];
        if (!json_is_object(e->metadata)) {
            json_decref(e->metadata);
            if (!(e->metadata = json_object())) {
                coil__naming_entries_free(out);
                break;
            }
        }
        out->items[out->count++] = (coil__naming_entry){ e->name, e->url, e->metadata,
                                                         e->expires_in };
        *e = (naming_endpoint){ 0 };
    }
    naming_list_endpoint_free(l);
    if (!out->items) {
        if (err && !*err)
            *err = coil_error_new(COIL_ENOMEM, "out of memory");
        return COIL_ENOMEM;
    }
    return COIL_OK;
}

static int on_lookup(coil__naming *n, const char *name, coil__naming_entries *out,
                     coil_error **err)
{
    naming_list_endpoint l = { NULL, 0 };
    int rc = naming_lookup(target(n), name, &l, err);
    return rc == COIL_OK ? take_list(&l, out, err) : rc;
}

static int on_list(coil__naming *n, const char *prefix, coil__naming_entries *out,
                   coil_error **err)
{
    naming_list_endpoint l = { NULL, 0 };
    int rc = naming_list(target(n), prefix, &l, err);
    return rc == COIL_OK ? take_list(&l, out, err) : rc;
}

static void on_close(coil__naming *n) { free(n); }

static const coil__naming_ops object_ops = {
    on_register, on_renew, on_unregister, on_lookup, on_list, on_close,
};

int coil__naming_open_object(void *obj, coil__naming **out, coil_error **err)
{
    *out = NULL;
    object_naming *n = calloc(1, sizeof *n);
    if (!n) {
        if (err && !*err)
            *err = coil_error_new(COIL_ENOMEM, "out of memory");
        return COIL_ENOMEM;
    }
    n->base.ops = &object_ops;
    n->obj = obj;
    *out = &n->base;
    return COIL_OK;
}
