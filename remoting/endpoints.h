/* The endpoints a proxy may call, and which one to call next: balancing
 * (round-robin or random) and failover (an endpoint that failed is skipped
 * for a back-off period, then tried again). Pure bookkeeping: no I/O, no
 * clock of its own (callers pass `now`, in seconds of CLOCK_MONOTONIC), so
 * it is tested on its own. Safe to use from many threads at once.
 *
 * The list can be replaced at any time (a naming lookup refreshed it): an
 * endpoint that stays keeps its back-off state, one that goes is forgotten,
 * calls in progress are not disturbed (picked URLs are copies). */
#ifndef COIL_REMOTING_ENDPOINTS_H
#define COIL_REMOTING_ENDPOINTS_H

#include <stdbool.h>
#include <stddef.h>

typedef enum coil__balance {
    COIL__BALANCE_ROUND_ROBIN = 0,
    COIL__BALANCE_RANDOM
} coil__balance;

typedef struct coil__endpoints coil__endpoints;

/* A new, empty set; NULL when out of memory. `backoff` is the number of
 * seconds a failed endpoint is skipped (doubled on each further failure in
 * a row, up to 8 times `backoff`). */
coil__endpoints *coil__endpoints_new(coil__balance balance, double backoff);
void coil__endpoints_free(coil__endpoints *e);

/* Replaces the list (the strings are copied; duplicates count once).
 * Returns 0, or COIL_ENOMEM with the old list kept. */
int coil__endpoints_set(coil__endpoints *e, const char *const *urls, size_t count);

/* How many endpoints there are. */
size_t coil__endpoints_count(coil__endpoints *e);

/* Picks the endpoint for the next attempt of a call, skipping the URLs in
 * `tried` (those this call already used; `ntried` of them). Endpoints not
 * backing off come first, in the balancing order; when every untried one
 * is backing off, the one whose back-off ends first is picked anyway, so a
 * call is never refused while an endpoint remains. Returns a malloc'd copy
 * of the URL (the caller frees it), or NULL when every endpoint has been
 * tried or there are none (or out of memory). */
char *coil__endpoints_pick(coil__endpoints *e, double now, char *const *tried, size_t ntried);

/* Reports the outcome of an attempt on `url`: a transport failure starts
 * or lengthens its back-off; a success ends it. Unknown URLs (removed
 * meanwhile) are ignored. */
void coil__endpoints_failed(coil__endpoints *e, const char *url, double now);
void coil__endpoints_succeeded(coil__endpoints *e, const char *url);

/* Whether `url` is backing off at `now` (for tests and tools). */
bool coil__endpoints_backing_off(coil__endpoints *e, const char *url, double now);

#endif
