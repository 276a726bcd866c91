/* `coil run CONTEXT`: the host. Signals are blocked before anything starts
 * a thread, so every server thread inherits the mask and the main thread
 * alone takes SIGINT/SIGTERM, with sigwait: no handler, no races. */
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/run.h"
#include "coil/remoting.h"

/* The host logs; the library never prints. */
__attribute__((format(printf, 2, 3)))
static void say(const char *prog, const char *fmt, ...)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", gmtime_r(&now, &tm));
    fprintf(stderr, "%s %s: ", stamp, prog);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int coil__cli_run(const char *prog, const char *path, coil_options *opts)
{
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    if (pthread_sigmask(SIG_BLOCK, &stop, NULL) != 0) {
        fprintf(stderr, "%s: cannot block SIGINT and SIGTERM\n", prog);
        return 1;
    }

    coil_error *err = NULL;
    coil_context *ctx = coil_load_file(path, opts, &err);
    if (!ctx) {
        coil__cli_print_errors(prog, err);
        coil_error_free(err);
        return 1;
    }

    /* One line per endpoint, on stdout, for people and scripts. Only
     * objects the load created are asked for: a get would create others. */
    size_t n, endpoints = 0;
    const coil_definition_info *defs = coil_definitions(ctx, &n);
    for (size_t i = 0; i < n; i++) {
        if (defs[i].creation_index == (size_t)-1)
            continue;
        void *obj = coil_get(ctx, defs[i].name, NULL, NULL);
        if (!obj || !coil_is_http_exporter(obj))
            continue;
        /* Named after the object it serves (an inner one has a derived name). */
        const char *served = NULL;
        if (!coil_class_of(coil_http_exporter_service(obj), &served) || !served)
            served = defs[i].name;
        printf("%s at %s\n", served, coil_http_exporter_url(obj));
        if (coil_http_exporter_name(obj))
            say(prog, "%s registered as '%s'", served, coil_http_exporter_name(obj));
        endpoints++;
    }
    fflush(stdout);
    say(prog, "running %s; SIGINT or SIGTERM stops", path);
    if (!endpoints)
        say(prog, "%s exports nothing", path);

    int sig = 0;
    while (sigwait(&stop, &sig) != 0)
        ;
    say(prog, "%s: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
    coil_http_exporters_quiesce(); /* no new connections; calls in progress go on */
    coil_close(ctx);               /* exporters wait for their calls, then everything
                                      is destroyed in reverse creation order */
    say(prog, "%s", "stopped");
    return 0;
}
