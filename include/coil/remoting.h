/* Coil — remoting: exporting objects over JSON-RPC 2.0 on HTTP.
 *
 * Every context knows the class `coil.http-exporter`, which serves one
 * object through one of its interfaces at one URL:
 *
 *     - object: calc_exporter
 *       class: coil.http-exporter
 *       properties:
 *         service: {ref: calc}
 *         interface: calc
 *         listen: 127.0.0.1:7766        # the default; localhost, IPv4, [IPv6]; port 0: any
 *         path: /calc                   # the default is /
 *
 * More properties: `max-body` (bytes, default 1048576), `max-connections`
 * (default 0: libmicrohttpd's default), `timeout` (seconds of inactivity
 * per connection, default 30, 0: none), `threads` (default 0: one per
 * core). Exporters on one listen address share one server (and must agree
 * on max-connections, timeout and threads); each has its own path.
 * Calls into an object whose class lacks COIL_CLASS_THREAD_SAFE are made
 * one at a time.
 *
 * With `name` and `naming` the exporter registers its URL (or `advertise`)
 * under that service name, with `metadata`, when it starts; the lease is
 * renewed from a thread of its own until it unregisters at shutdown:
 *
 *         name: birthday
 *         naming: http://127.0.0.1:7700/naming      # or {etcd: URL, prefix: /coil/},
 *                                                   # or {ref: names}
 * The exporter listens from its init until its destroy,
 * which waits (up to `timeout` seconds) for the calls in progress.
 *
 * The functions below let a host program (`coil run`) find and report the
 * exporters of its contexts.
 */
#ifndef COIL_REMOTING_H
#define COIL_REMOTING_H

#include <stdbool.h>

#include "coil/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Whether `object` (anything coil_get() returned) is a live
 * coil.http-exporter. */
COIL_API bool coil_is_http_exporter(const void *object);

/* The exporter's endpoint URL with the port it really listens on
 * ("http://127.0.0.1:43521/calc"), or NULL when `exporter` is not a live
 * exporter. The string belongs to the exporter and lives as long as it. */
COIL_API const char *coil_http_exporter_url(const void *exporter);

/* The object the exporter serves (its `service`), or NULL when `exporter`
 * is not a live exporter. coil_class_of() tells its class and name. */
COIL_API void *coil_http_exporter_service(const void *exporter);

/* The service name the exporter registered its endpoint under (its `name`
 * property), or NULL when it has none or `exporter` is not a live
 * exporter. Owned by the exporter. */
COIL_API const char *coil_http_exporter_name(const void *exporter);

/* Unregisters every exporter registered under a name (clients stop
 * choosing it), then stops every exporter's server from accepting new
 * connections; those already open are still served until their exporters
 * are destroyed. For a process about to shut down (drain, then
 * coil_close). */
COIL_API void coil_http_exporters_quiesce(void);

#ifdef __cplusplus
}
#endif

#endif
