/* Naming: where exporters register their endpoints under a service name and
 * where proxies look them up. One internal interface, two backends:
 *
 * - the built-in name server (class `coil.naming-server`, naming_server.c),
 *   reached over JSON-RPC at its URL;
 * - etcd v3 through its HTTP/JSON gateway (naming_etcd.c): registrations
 *   are keys under a prefix attached to an etcd lease.
 *
 * A registration is a lease: it lasts `ttl` seconds unless renewed. The
 * caller asks for a ttl and the backend decides the ttl it grants (the name
 * server's configured lease time; for etcd the ttl asked for, raised to
 * etcd's minimum lease ttl when below it). Names are non-empty strings of
 * at most 255 bytes without control characters; URLs are http:// or
 * https:// URLs.
 *
 * Ownership: every out-parameter allocated here is the caller's and is
 * released with the matching free function. Backends are safe to call from
 * several threads at once. Nothing here prints. */
#ifndef COIL_REMOTING_NAMING_H
#define COIL_REMOTING_NAMING_H

#include <stddef.h>

#include <jansson.h>

#include "coil/error.h"

/* One registered endpoint of a name. */
typedef struct coil__naming_entry {
    char *name;          /* the service name it is registered under */
    char *url;           /* the endpoint */
    json_t *metadata;    /* a JSON object (never NULL; {} when none given) */
    double expires_in;   /* seconds until its lease ends, as the backend saw it;
                            -1 when the backend does not tell (etcd) */
} coil__naming_entry;

typedef struct coil__naming_entries {
    size_t count;
    coil__naming_entry *items;
} coil__naming_entries;

/* Frees what the entries hold (not `e` itself) and leaves `e` empty;
 * NULL is a no-op. */
void coil__naming_entries_free(coil__naming_entries *e);

typedef struct coil__naming coil__naming;

typedef struct coil__naming_ops {
    /* Registers (or re-registers, replacing the metadata and the lease)
     * `url` under `name`. *ttl is in and out: on entry the lease wanted, in
     * seconds (0: the backend's default; etcd's is 10 s), on return the
     * lease granted. `metadata` is a JSON object or NULL (none). */
    int (*register_endpoint)(coil__naming *n, const char *name, const char *url,
                             const json_t *metadata, unsigned *ttl, coil_error **err);
    /* Extends the lease of a registration; *ttl receives the lease's new
     * ttl in seconds. COIL_ENOTFOUND when the lease has already ended (the
     * caller then registers again); for etcd also when the registration was
     * not made through this handle, which holds the leases it granted. */
    int (*renew)(coil__naming *n, const char *name, const char *url, unsigned *ttl,
                 coil_error **err);
    /* Removes a registration; removing one that is not there is not an
     * error. */
    int (*unregister)(coil__naming *n, const char *name, const char *url, coil_error **err);
    /* Every live endpoint of `name` (possibly none: count 0, not an error),
     * in registration order (a re-registration keeps its place; one made
     * after the entry ended or was removed comes last). */
    int (*lookup)(coil__naming *n, const char *name, coil__naming_entries *out,
                  coil_error **err);
    /* Every live endpoint of every name starting with `prefix` ("" for
     * all), ordered by name (byte order), then registration order. */
    int (*list)(coil__naming *n, const char *prefix, coil__naming_entries *out,
                coil_error **err);
    void (*close)(coil__naming *n);
} coil__naming_ops;

/* Every backend's handle starts with this. */
struct coil__naming {
    const coil__naming_ops *ops;
};

/* The etcd backend: `endpoint` is etcd's client URL (http://127.0.0.1:2379),
 * `prefix` the key prefix ("/coil/" when NULL; it must end with '/'),
 * `timeout_ms` (> 0) bounds every request. Nothing is contacted until the
 * first call. A bad endpoint, prefix or timeout is COIL_EVALUE. The key
 * layout, the order and the errors are described in naming_etcd.c. Closing
 * the handle unregisters nothing: its registrations last until their leases
 * end. */
int coil__naming_open_etcd(const char *endpoint, const char *prefix, long timeout_ms,
                           coil__naming **out, coil_error **err);

/* The backend over an object that implements interface `naming`
 * (naming_iface.h): a coil.http-proxy to a name server, or a
 * coil.naming-server itself. `obj` is borrowed and must outlive the
 * backend; its lease answers (whole seconds) become the ttl. */
int coil__naming_open_object(void *obj, coil__naming **out, coil_error **err);

/* The backend over a name server's URL (a coil.http-exporter of a
 * coil.naming-server: http://127.0.0.1:7700/naming): every operation is
 * one JSON-RPC call, bounded by `timeout_s` (> 0), with the proxy's error
 * codes. Nothing is contacted until the first call. */
int coil__naming_open_server(const char *url, double timeout_s, coil__naming **out,
                             coil_error **err);

/* The backend a context's `naming:` property names (a COIL_T_REF_OR_VALUE,
 * shared by coil.http-exporter and coil.http-proxy):
 *
 *   naming: http://127.0.0.1:7700/naming         a name server's URL
 *   naming: {etcd: http://127.0.0.1:2379, prefix: /coil/}
 *   naming: {ref: names}                         an object implementing
 *                                                `naming` (a proxy of a name
 *                                                server, or one in-process)
 *
 * `timeout_s` (> 0) bounds each request of the URL and etcd forms. Returns
 * 0 with *out the caller's (closed with (*out)->ops->close), or COIL_EVALUE
 * with a message that says which forms are accepted (an unknown key in the
 * etcd map, a value of another type, a bad URL or prefix), COIL_EINTERFACE
 * (the ref does not implement `naming`) or COIL_ENOMEM. */
struct coil_ref_or_value;
int coil__naming_open_property(const struct coil_ref_or_value *v, double timeout_s,
                               coil__naming **out, coil_error **err);

#endif
