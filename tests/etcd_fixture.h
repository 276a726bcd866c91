/* A private etcd for one test: started as a child process on 127.0.0.1
 * with free ports and a new data directory, stopped and removed after.
 *
 *   static etcd_fixture etcd;
 *   static void up(void) { etcd_fixture_start(&etcd); }
 *   static void down(void) { etcd_fixture_stop(&etcd); }
 *   TestSuite(suite, .init = up, .fini = down);
 *
 * etcd runs with a 10 ms heartbeat and a 50 ms election timeout: it elects
 * itself at once, and its minimum lease ttl ((3/2 x election ticks) x
 * heartbeat, rounded up to whole seconds: 2 s with the defaults) is 1 s, so
 * tests of expiry take about a second. It dies with the test process
 * (PR_SET_PDEATHSIG) even when the test crashes before stopping it; the
 * directory such a test leaves behind (TMPDIR or /tmp, coil-etcd-*) is
 * removed by the next start, which finds its owner process gone. */
#ifndef COIL_TEST_ETCD_FIXTURE_H
#define COIL_TEST_ETCD_FIXTURE_H

#include <sys/types.h>

typedef struct etcd_fixture {
    pid_t pid;           /* 0 when not running */
    char dir[256];       /* its directory: data/ and etcd.log; "" when none */
    char url[64];        /* its client URL, http://127.0.0.1:PORT */
} etcd_fixture;

/* Starts etcd and returns once it answers /health. Fails the test (with
 * etcd's log) when etcd is not installed or does not come up within 20 s. */
void etcd_fixture_start(etcd_fixture *f);

/* Stops etcd (SIGTERM, SIGKILL if it has not exited within 10 s), waits for
 * it and removes its directory. Does nothing when nothing is running. */
void etcd_fixture_stop(etcd_fixture *f);

#endif
