/* coil.http-exporter: serves one object through one interface as a
 * JSON-RPC 2.0 endpoint (jsonrpc.c) on the shared HTTP server
 * (http_server.c). An ordinary class: properties in, init starts serving,
 * destroy stops. */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "coil/coil.h"
#include "coil/remoting.h"
#include "remoting/http_exporter.h"
#include "remoting/http_server.h"
#include "remoting/jsonrpc.h"
#include "remoting/naming.h"
#include "remoting/naming_client.h"

/* ---- One mutex per non-thread-safe service object ------------------------ */
/* Shared by every exporter of the object, so that two exporters (two
 * paths, two interfaces) still call it one at a time. */

typedef struct service_lock {
    struct service_lock *next;
    const void *object;
    pthread_mutex_t mutex;
    unsigned refs;
} service_lock;

static pthread_mutex_t service_locks_lock = PTHREAD_MUTEX_INITIALIZER;
static service_lock *service_locks;

static service_lock *service_lock_get(const void *object)
{
    pthread_mutex_lock(&service_locks_lock);
    service_lock *l = service_locks;
    while (l && l->object != object)
        l = l->next;
    if (l) {
        l->refs++;
    } else if ((l = calloc(1, sizeof *l))) {
        if (pthread_mutex_init(&l->mutex, NULL) != 0) {
            free(l);
            l = NULL;
        } else {
            l->object = object;
            l->refs = 1;
            l->next = service_locks;
            service_locks = l;
        }
    }
    pthread_mutex_unlock(&service_locks_lock);
    return l;
}

static void service_lock_put(service_lock *l)
{
    if (!l)
        return;
    pthread_mutex_lock(&service_locks_lock);
    bool last = --l->refs == 0;
    if (last)
        for (service_lock **p = &service_locks; *p; p = &(*p)->next)
            if (*p == l) {
                *p = l->next;
                break;
            }
    pthread_mutex_unlock(&service_locks_lock);
    if (last) {
        pthread_mutex_destroy(&l->mutex);
        free(l);
    }
}

/* ---- What a request reaches ------------------------------------------------ */
/* Separate from the exporter instance: the server keeps it until the last
 * call through it has returned, even one that outlives the exporter's
 * destroy (see coil__http_close). */

typedef struct binding {
    void *service;
    coil__rpc_target target;
    service_lock *lock;         /* NULL: the class is thread-safe */
} binding;

/* The call into a non-thread-safe object runs under its lock, and nothing
 * else of the request does: converting the parameters from JSON and the
 * result to JSON touch only the call's own values (a result is its
 * caller's), so another thread's request to the object converts its own
 * meanwhile and holds the lock only while the object works. To leave the
 * conversions to coil_invoke_method, it is handed a copy of the method
 * whose `call` is locked_call, which finds the real call and the lock in
 * the calling thread's `current_call`. */
typedef struct locked_call_ctx {
    const coil_method *m;
    pthread_mutex_t *mutex;
} locked_call_ctx;

static _Thread_local const locked_call_ctx *current_call;

static int locked_call(const void *ops, void *self, void *const *args, void *result,
                       coil_error **err)
{
    const locked_call_ctx *l = current_call;
    pthread_mutex_lock(l->mutex);
    int rc = l->m->call(ops, self, args, result, err);
    pthread_mutex_unlock(l->mutex);
    return rc;
}

static int binding_call(void *arg, const coil_method *m, const json_t *params, json_t **result,
                        coil_error **err)
{
    binding *b = arg;
    if (!b->lock)
        return coil_invoke_method(b->service, b->target.iface, m, params, result, err);
    coil_method serialized = *m;
    serialized.call = locked_call;
    locked_call_ctx ctx = { .m = m, .mutex = &b->lock->mutex };
    const locked_call_ctx *outer = current_call;
    current_call = &ctx;
    int rc = coil_invoke_method(b->service, b->target.iface, &serialized, params, result, err);
    current_call = outer;
    return rc;
}

static int binding_handle(void *arg, const char *body, size_t len, char **reply,
                          size_t *reply_len)
{
    binding *b = arg;
    return coil__jsonrpc_handle(&b->target, body, len, reply, reply_len);
}

static void binding_free(void *arg)
{
    binding *b = arg;
    if (b) {
        service_lock_put(b->lock);
        free(b);
    }
}

/* ---- The class ----------------------------------------------------------------- */

typedef struct exporter {
    /* properties */
    void *service;
    char *interface;
    char *listen;
    char *path;
    int64_t max_body;
    int64_t max_connections;
    int64_t timeout;
    int64_t threads;
    char *threading;
    char *name;                 /* registered under it; NULL: not registered */
    coil_ref_or_value naming;
    json_t *metadata;
    char *advertise;
    int64_t lease;
    /* state */
    coil__http_endpoint *endpoint;
    coil__naming *backend;      /* with `name` */
    coil__naming_keeper *keeper;/* with `name`, until unregistered (naming_lock) */
    struct exporter *next_live;
} exporter;

/* The exporters between init and destroy, for coil_is_http_exporter. */
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static exporter *live;

static void live_add(exporter *x)
{
    pthread_mutex_lock(&live_lock);
    x->next_live = live;
    live = x;
    pthread_mutex_unlock(&live_lock);
}

static void live_remove(exporter *x)
{
    pthread_mutex_lock(&live_lock);
    for (exporter **p = &live; *p; p = &(*p)->next_live)
        if (*p == x) {
            *p = x->next_live;
            break;
        }
    pthread_mutex_unlock(&live_lock);
}

/* Call with live_lock held. */
static bool is_live(const void *object)
{
    for (const exporter *x = live; x; x = x->next_live)
        if (x == object)
            return true;
    return false;
}

/* ---- Registration ------------------------------------------------------------ */
/* An exporter with `name` registers its URL with its naming backend when
 * it starts, and a keeper renews the lease. It unregisters at the first of
 * coil_http_exporters_quiesce (a host shutting down: clients stop choosing
 * it while its calls in progress finish) and its destroy. naming_lock
 * makes that "first": whoever takes the keeper stops it, and a destroy
 * waits for a quiesce still unregistering (its backend stays open until
 * then). */
static pthread_mutex_t naming_lock = PTHREAD_MUTEX_INITIALIZER;

/* Seconds every naming request may take (the URL and etcd backends). */
#define NAMING_TIMEOUT 5.0

/* Whether a listen address is every address of the machine, which no
 * client can connect to. */
static bool wildcard_listen(const char *listen)
{
    return strncmp(listen, "0.0.0.0:", 8) == 0 || strncmp(listen, "[::]:", 5) == 0 ||
           strncmp(listen, "[0:0:0:0:0:0:0:0]:", 18) == 0;
}

/* Checks the registration settings and opens the naming backend (which
 * contacts nothing yet), before anything listens. */
static int naming_open(exporter *x, coil_error **err)
{
    const bool has_naming = x->naming.ref || x->naming.value;
    if (!x->name) {
        if (has_naming || x->advertise || x->metadata) {
            *err = coil_error_new(COIL_EVALUE, "%s is set but name is not: give the name to "
                                               "register the endpoint under",
                                  has_naming ? "naming" : x->advertise ? "advertise" : "metadata");
            return COIL_EVALUE;
        }
        return COIL_OK;
    }
    if (!has_naming) {
        *err = coil_error_new(COIL_EVALUE, "name '%s' needs naming: the name server's URL, "
                                           "{etcd: URL, prefix: P} or {ref: OBJECT}",
                              x->name);
        return COIL_EVALUE;
    }
    if (!x->advertise && wildcard_listen(x->listen)) {
        *err = coil_error_new(COIL_EVALUE,
                              "listen '%s' is every address of the machine, which no client "
                              "can connect to: give advertise, the URL clients should use",
                              x->listen);
        return COIL_EVALUE;
    }
    if (x->advertise && strncmp(x->advertise, "http://", 7) != 0 &&
        strncmp(x->advertise, "https://", 8) != 0) {
        *err = coil_error_new(COIL_EVALUE, "advertise '%s' is not an http:// or https:// URL",
                              x->advertise);
        return COIL_EVALUE;
    }
    return coil__naming_open_property(&x->naming, NAMING_TIMEOUT, &x->backend, err);
}

static void naming_close(exporter *x)
{
    if (x->backend)
        x->backend->ops->close(x->backend);
    x->backend = NULL;
}

/* Registers the endpoint (when it has a name) and starts its keeper. */
static int naming_start(exporter *x, coil_error **err)
{
    if (!x->name)
        return COIL_OK;
    const char *url = x->advertise ? x->advertise : coil__http_url(x->endpoint);
    coil_error *e = NULL;
    int rc = coil__naming_keeper_start(x->backend, x->name, url, x->metadata, (unsigned)x->lease,
                                   &x->keeper, &e);
    if (rc) {
        *err = coil_error_new((coil_code)rc, "cannot register %s as '%s': %s", url, x->name,
                              e ? e->message : coil_strerror(rc));
        coil_error_free(e);
    }
    return rc;
}

/* The interface named `name` in the class's table. */
static const coil_interface *find_interface(const coil_class *cls, const char *name)
{
    for (const coil_implements *i = cls->implements; i && i->iface; i++)
        if (i->iface->name && strcmp(i->iface->name, name) == 0)
            return i->iface;
    return NULL;
}

static int no_interface(const coil_class *cls, const char *service, const char *name,
                        coil_error **err)
{
    char list[256] = "";
    size_t n = 0;
    for (const coil_implements *i = cls->implements; i && i->iface && n < sizeof list; i++) {
        int w = snprintf(list + n, sizeof list - n, "%s'%s'", n ? ", " : "",
                         i->iface->name ? i->iface->name : "?");
        n += w > 0 ? (size_t)w : 0;
    }
    *err = coil_error_new(COIL_EINTERFACE,
                          "its service '%s' (class '%s') does not implement interface '%s' "
                          "(%s%s)",
                          service, cls->name, name, n ? "it implements " : "it implements none",
                          n ? list : "");
    return COIL_EINTERFACE;
}

static int exporter_init(void *self, coil_error **err)
{
    exporter *x = self;
    if (x->path[0] != '/') {
        *err = coil_error_new(COIL_EVALUE, "path '%s' must start with '/'", x->path);
        return COIL_EVALUE;
    }
    const char *service = NULL;
    const coil_class *cls = coil_class_of(x->service, &service);
    if (!cls) {
        *err = coil_error_new(COIL_ENOTFOUND, "its service is not a live object");
        return COIL_ENOTFOUND;
    }
    const coil_interface *iface = find_interface(cls, x->interface);
    if (!iface)
        return no_interface(cls, service, x->interface, err);
    /* What every call will ask: catches a descriptor of another ABI now. */
    if (!coil_ops(x->service, iface, err))
        return *err ? (int)(*err)->code : COIL_EINTERFACE;

    binding *b = calloc(1, sizeof *b);
    if (!b) {
        *err = coil_error_new(COIL_ENOMEM, "out of memory");
        return COIL_ENOMEM;
    }
    b->service = x->service;
    b->target = (coil__rpc_target){ .iface = iface, .call = binding_call, .arg = b };
    if (!(cls->flags & COIL_CLASS_THREAD_SAFE) && !(b->lock = service_lock_get(x->service))) {
        free(b);
        *err = coil_error_new(COIL_ENOMEM, "out of memory");
        return COIL_ENOMEM;
    }
    coil__http_config c = {
        .listen = x->listen,
        .path = x->path,
        .max_body = (size_t)x->max_body,
        .max_connections = (unsigned)x->max_connections,
        .timeout = (unsigned)x->timeout,
        .threads = (unsigned)x->threads,
        .per_connection = strcmp(x->threading, "per-connection") == 0,
        .handler = binding_handle,
        .arg = b,
        .release = binding_free,
    };
    int rc = naming_open(x, err);
    if (!rc && (rc = coil__http_open(&c, &x->endpoint, err)) != COIL_OK)
        naming_close(x);
    if (rc) {
        binding_free(b);
        return rc;
    }
    if ((rc = naming_start(x, err)) != COIL_OK) {
        coil__http_close(x->endpoint, 0);
        x->endpoint = NULL;
        naming_close(x);
        return rc;
    }
    live_add(x);
    return COIL_OK;
}

static void exporter_destroy(void *self)
{
    exporter *x = self;
    pthread_mutex_lock(&naming_lock);
    live_remove(x);
    coil__naming_keeper_stop(x->keeper, true);
    x->keeper = NULL;
    pthread_mutex_unlock(&naming_lock);
    naming_close(x);
    /* Calls in progress get `timeout` seconds to finish (no bound with
     * timeout 0, as for connections). */
    coil__http_close(x->endpoint, x->timeout ? (unsigned)x->timeout : UINT_MAX / 2);
    x->endpoint = NULL;
}

static const coil_property exporter_properties[] = {
    { .name = "service", .type = COIL_T_REF, .offset = offsetof(exporter, service),
      .flags = COIL_REQUIRED, .doc = "the object to serve" },
    { .name = "interface", .type = COIL_T_STRING, .offset = offsetof(exporter, interface),
      .flags = COIL_REQUIRED, .doc = "the interface of the service to serve, by name" },
    { .name = "listen", .type = COIL_T_STRING, .offset = offsetof(exporter, listen),
      .default_value = "127.0.0.1:7766",
      .doc = "HOST:PORT; HOST is localhost, an IPv4 address or [an IPv6 address]; port 0 "
             "picks a free port" },
    { .name = "path", .type = COIL_T_STRING, .offset = offsetof(exporter, path),
      .default_value = "/", .doc = "the URL path, starting with /" },
    { .name = "max-body", .type = COIL_T_INT, .offset = offsetof(exporter, max_body),
      .check = COIL_RANGE(1, 1073741824), .default_value = "1048576",
      .doc = "the largest request body accepted, in bytes" },
    { .name = "max-connections", .type = COIL_T_INT,
      .offset = offsetof(exporter, max_connections), .check = COIL_RANGE(0, 1000000),
      .default_value = "0", .doc = "connections at once; 0: libmicrohttpd's default" },
    { .name = "timeout", .type = COIL_T_INT, .offset = offsetof(exporter, timeout),
      .check = COIL_RANGE(0, 86400), .default_value = "30",
      .doc = "seconds a connection may stay idle; 0: no limit" },
    { .name = "threads", .type = COIL_T_INT, .offset = offsetof(exporter, threads),
      .check = COIL_RANGE(0, 1024), .default_value = "0",
      .doc = "server threads; 0: one per core" },
    { .name = "name", .type = COIL_T_STRING, .offset = offsetof(exporter, name),
      .doc = "the service name to register the endpoint under (with naming)" },
    { .name = "naming", .type = COIL_T_REF_OR_VALUE, .offset = offsetof(exporter, naming),
      .doc = "where to register: a name server's URL, {etcd: URL, prefix: P} or {ref: "
             "OBJECT} implementing interface naming" },
    { .name = "metadata", .type = COIL_T_MAP, .offset = offsetof(exporter, metadata),
      .doc = "registered with the endpoint, for clients and tools" },
    { .name = "advertise", .type = COIL_T_STRING, .offset = offsetof(exporter, advertise),
      .doc = "the URL to register; default: the endpoint's own URL" },
    { .name = "lease", .type = COIL_T_INT, .offset = offsetof(exporter, lease),
      .check = COIL_RANGE(0, 86400), .default_value = "0",
      .doc = "seconds of lease asked for on etcd (0: 10 s); a name server grants its own "
             "`lease` whatever is asked" },
    { .name = "threading", .type = COIL_T_STRING, .offset = offsetof(exporter, threading),
      .check = COIL_ONE_OF("pool", "per-connection"), .default_value = "pool",
      .doc = "pool: `threads` threads share the connections, and a call that waits holds up "
             "its thread's other connections; per-connection: a thread per connection, and a "
             "call that waits holds up only its own" },
    COIL_PROPERTIES_END
};

static const coil_class http_exporter_class = {
    .abi = COIL_ABI_VERSION,
    .name = "coil.http-exporter",
    .doc = "Serves an object's interface as a JSON-RPC 2.0 endpoint over HTTP.",
    .size = sizeof(exporter),
    .properties = exporter_properties,
    .init = exporter_init,
    .destroy = exporter_destroy,
};

static const coil_class *const http_exporter_classes[] = { &http_exporter_class, NULL };

const coil_module coil__http_exporter_module = {
    .abi = COIL_ABI_VERSION,
    .name = "coil.http-exporter",
    .version = "1",
    .classes = http_exporter_classes,
};

/* ---- Public functions ------------------------------------------------------------ */

bool coil_is_http_exporter(const void *object)
{
    if (!object)
        return false;
    pthread_mutex_lock(&live_lock);
    bool yes = is_live(object);
    pthread_mutex_unlock(&live_lock);
    return yes;
}

const char *coil_http_exporter_url(const void *exporter_)
{
    if (!exporter_)
        return NULL;
    pthread_mutex_lock(&live_lock);
    const char *url = is_live(exporter_) ? coil__http_url(((const exporter *)exporter_)->endpoint)
                                         : NULL;
    pthread_mutex_unlock(&live_lock);
    return url;
}

void *coil_http_exporter_service(const void *exporter_)
{
    if (!exporter_)
        return NULL;
    pthread_mutex_lock(&live_lock);
    void *service = is_live(exporter_) ? ((const exporter *)exporter_)->service : NULL;
    pthread_mutex_unlock(&live_lock);
    return service;
}

const char *coil_http_exporter_name(const void *exporter_)
{
    if (!exporter_)
        return NULL;
    pthread_mutex_lock(&live_lock);
    const char *name = is_live(exporter_) ? ((const exporter *)exporter_)->name : NULL;
    pthread_mutex_unlock(&live_lock);
    return name;
}

void coil_http_exporters_quiesce(void)
{
    /* Unregistered first, so that clients stop choosing these endpoints
     * while the servers still answer the calls already on their way. */
    pthread_mutex_lock(&naming_lock);
    for (;;) {
        coil__naming_keeper *k = NULL;
        pthread_mutex_lock(&live_lock);
        for (exporter *x = live; x && !k; x = x->next_live)
            if (x->keeper) {
                k = x->keeper;
                x->keeper = NULL;
            }
        pthread_mutex_unlock(&live_lock);
        if (!k)
            break;
        coil__naming_keeper_stop(k, true);
    }
    pthread_mutex_unlock(&naming_lock);
    coil__http_quiesce_all();
}
