/* The two uses of a naming backend (naming.h):
 *
 * - an exporter keeps its registration alive with a keeper: registered at
 *   start, renewed from a thread of its own, registered again when the
 *   backend lost it, unregistered at a clean stop;
 * - a proxy finds the endpoints of a name with a resolver: looked up once,
 *   then again when the result is older than the refresh period (or when
 *   every endpoint failed), keeping the last good list while the backend is
 *   unreachable.
 *
 * Neither owns the backend; it must outlive them. Nothing here prints. */
#ifndef COIL_REMOTING_NAMING_CLIENT_H
#define COIL_REMOTING_NAMING_CLIENT_H

#include <stdbool.h>

#include <jansson.h>

#include "coil/error.h"
#include "remoting/endpoints.h"
#include "remoting/naming.h"

/* ---- Keeper ---------------------------------------------------------------- */

typedef struct coil__naming_keeper coil__naming_keeper;

/* Registers `url` under `name` with `metadata` (borrowed; NULL: none) now,
 * and fails with the backend's error if that does not work. Then a thread
 * renews the lease each time a third of it has passed; when the backend
 * answers that the registration is gone (COIL_ENOTFOUND: a lease that ran
 * out, a name server restarted without a store) it registers again; on any
 * other failure it retries after min(1 s, a sixth of the lease) until one
 * works. `ttl` is the lease asked for (0: the backend's default). */
int coil__naming_keeper_start(coil__naming *n, const char *name, const char *url,
                              const json_t *metadata, unsigned ttl,
                              coil__naming_keeper **out, coil_error **err);

/* What the keeper has done so far (for tests and the host's log). */
typedef struct coil__naming_keeper_stats {
    unsigned long renewals;        /* successful renewals */
    unsigned long registrations;   /* successful registrations, the first included */
    unsigned long failures;        /* failed attempts of either kind */
    int last_code;                 /* the last failure's code (COIL_OK: none yet) */
} coil__naming_keeper_stats;

void coil__naming_keeper_stats_get(coil__naming_keeper *k, coil__naming_keeper_stats *out);

/* Stops the thread (promptly: it waits on a condition, not a sleep), then
 * unregisters when `unregister` is true (errors ignored: the lease ends by
 * itself), and frees the keeper. NULL is allowed. */
void coil__naming_keeper_stop(coil__naming_keeper *k, bool unregister);

/* ---- Resolver -------------------------------------------------------------- */

typedef struct coil__naming_resolver coil__naming_resolver;

/* A resolver for `name` that feeds `eps` (borrowed, must outlive it).
 * `refresh` is how many seconds a lookup is used (> 0). NULL when out of
 * memory. */
coil__naming_resolver *coil__naming_resolver_new(coil__naming *n, const char *name,
                                                 double refresh, coil__endpoints *eps);
void coil__naming_resolver_free(coil__naming_resolver *r);

/* Makes `eps` current at `now` (CLOCK_MONOTONIC seconds): looks the name up
 * when there has been no successful lookup yet, when the last one is older
 * than the refresh period, or when `stale` (the caller found every endpoint
 * failing). One thread looks up at a time; the others go on with the list
 * they have. Returns 0 when `eps` holds a list to use (possibly an older
 * one, when the lookup failed but an earlier one had worked), or the
 * lookup's error when there has never been a list. An empty lookup result
 * is a list too: the caller reports "no endpoint registered". */
int coil__naming_resolver_update(coil__naming_resolver *r, double now, bool stale,
                                 coil_error **err);

#endif
