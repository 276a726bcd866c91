/* bench_load — how long a full Coil load takes next to a bare libyaml parse.
 *
 * For two sizes (default 10,000 and 100,000 objects) it generates a context
 * file (see gen.c) and measures, each run in a freshly forked process:
 *
 *   bare  the bare libyaml event loop over the file: yaml_parser_parse until
 *         YAML_STREAM_END_EVENT, deleting every event. This is the least any
 *         YAML-based loader must spend on the file, hence the reference.
 *   coil  coil_load_file(): parse, resolve, create, inject, init of every
 *         object. coil_close() is timed separately.
 *
 * Each case runs --reps times (after one untimed warm-up run); the table
 * shows the median. Peak memory is ru_maxrss of the child, from wait4(), so
 * one measurement never sees another's memory. Targets: coil/bare <= 2.0 at
 * both sizes, coil(large)/coil(small) <= 1.1 x (large/small) (11 for the
 * default sizes). Misses are reported as MISS; the exit status is 0 unless
 * the benchmark itself could not run (bad usage, a failed load, a crash).
 */
#define _DEFAULT_SOURCE /* wait4, mkdtemp, strsignal */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <yaml.h>

#include <coil/coil.h>

#include "gen.h"

#ifndef BENCH_BUILD_TYPE
#define BENCH_BUILD_TYPE "unknown"
#endif

/* ---- The class the generated contexts use ----------------------------- */

typedef struct bench_node {
    char *name;
    int64_t count;
    double weight;
    coil_strings tags;
    json_t *attrs;
    struct bench_node *next;
    bool initialized;
} bench_node;

static size_t g_inits, g_destroys;

/* A trivial check, so init really runs and sees its dependency ready. */
static int bench_node_init(void *self, coil_error **err)
{
    bench_node *n = self;
    if (!n->name || n->tags.count == 0 || !json_is_object(n->attrs)
        || (n->next && !n->next->initialized)) {
        *err = coil_error_new(COIL_EINIT, "node '%s' is incomplete",
                              n->name ? n->name : "?");
        return -1;
    }
    n->initialized = true;
    g_inits++;
    return 0;
}

static void bench_node_destroy(void *self)
{
    (void)self;
    g_destroys++;
}

static const coil_property bench_node_properties[] = {
    { .name = "name",   .type = COIL_T_STRING,  .offset = offsetof(bench_node, name),
      .flags = COIL_REQUIRED },
    { .name = "count",  .type = COIL_T_INT,     .offset = offsetof(bench_node, count) },
    { .name = "weight", .type = COIL_T_DOUBLE,  .offset = offsetof(bench_node, weight) },
    { .name = "tags",   .type = COIL_T_STRINGS, .offset = offsetof(bench_node, tags) },
    { .name = "attrs",  .type = COIL_T_MAP,     .offset = offsetof(bench_node, attrs) },
    { .name = "next",   .type = COIL_T_REF,     .offset = offsetof(bench_node, next) },
    COIL_PROPERTIES_END
};

static const coil_class bench_node_class = {
    .abi = COIL_ABI_VERSION,
    .name = "bench.node",
    .doc = "benchmark node: a link of a chain of refs",
    .size = sizeof(bench_node),
    .properties = bench_node_properties,
    .init = bench_node_init,
    .destroy = bench_node_destroy,
};

/* ---- Measurements, each in a forked child ----------------------------- */

enum kind { K_NOP, K_BARE, K_COIL };

typedef struct result {
    int ok;            /* 1: measured; 0: failed, see msg */
    double load_ms;    /* bare: parse; coil: coil_load_file */
    double close_ms;   /* coil: coil_close */
    size_t events;     /* bare: events parsed */
    long maxrss_kib;   /* filled in by the parent from wait4 */
    double user_ms, sys_ms; /* the whole child's CPU time, from wait4 */
    char msg[512];
} result;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void child_bare(const char *path, result *r)
{
    double t0 = now_ms();
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(r->msg, sizeof r->msg, "%s: %s", path, strerror(errno));
        return;
    }
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        snprintf(r->msg, sizeof r->msg, "yaml_parser_initialize failed");
        fclose(f);
        return;
    }
    yaml_parser_set_input_file(&parser, f);
    size_t events = 0;
    bool done = false, failed = false;
    while (!done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            failed = true;
            break;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        events++;
        yaml_event_delete(&ev);
    }
    if (failed)
        snprintf(r->msg, sizeof r->msg, "%s:%zu: %s", path,
                 parser.problem_mark.line + 1, parser.problem ? parser.problem : "?");
    yaml_parser_delete(&parser);
    fclose(f);
    double t1 = now_ms();
    if (failed)
        return;
    r->load_ms = t1 - t0;
    r->events = events;
    r->ok = 1;
}

static void child_coil(const char *path, size_t n, result *r)
{
    coil_options *opts = coil_options_new();
    if (!opts || coil_options_add_class(opts, &bench_node_class) != 0) {
        snprintf(r->msg, sizeof r->msg, "cannot set up coil_options");
        return;
    }
    coil_options_use_environment(opts, false);

    coil_error *err = NULL;
    double t0 = now_ms();
    coil_context *ctx = coil_load_file(path, opts, &err);
    double t1 = now_ms();
    if (!ctx) {
        size_t len = 0;
        len += (size_t)snprintf(r->msg, sizeof r->msg, "coil_load_file failed (%zu errors): ",
                                coil_error_count(err));
        if (err && len < sizeof r->msg)
            coil_error_format(err, r->msg + len, sizeof r->msg - len);
        coil_error_free(err);
        coil_options_free(opts);
        return;
    }

    /* Check (untimed) that the load did what we think it did. */
    size_t chain = 0;
    bench_node *head = coil_get(ctx, "o0", NULL, &err);
    for (bench_node *p = head; p && chain <= n; p = p->next)
        chain++;
    if (err) {
        coil_error_format(err, r->msg, sizeof r->msg);
        coil_error_free(err);
    } else if (g_inits != n || chain != n) {
        snprintf(r->msg, sizeof r->msg, "expected %zu objects: %zu init calls, chain of %zu",
                 n, g_inits, chain);
    }

    double t2 = now_ms();
    coil_close(ctx);
    double t3 = now_ms();
    coil_options_free(opts);
    if (r->msg[0])
        return;
    if (g_destroys != n) {
        snprintf(r->msg, sizeof r->msg, "expected %zu destroy calls, got %zu", n, g_destroys);
        return;
    }
    r->load_ms = t1 - t0;
    r->close_ms = t3 - t2;
    r->ok = 1;
}

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Runs one measurement in a fresh child; the child reports through a pipe,
 * its peak RSS comes from wait4(). */
static result run_child(enum kind kind, const char *path, size_t n)
{
    result r;
    memset(&r, 0, sizeof r);
    int fds[2];
    if (pipe(fds) != 0) {
        snprintf(r.msg, sizeof r.msg, "pipe: %s", strerror(errno));
        return r;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(r.msg, sizeof r.msg, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return r;
    }
    if (pid == 0) {
        close(fds[0]);
        if (kind == K_BARE)
            child_bare(path, &r);
        else if (kind == K_COIL)
            child_coil(path, n, &r);
        else
            r.ok = 1;
        _exit(write_all(fds[1], &r, sizeof r) == 0 ? 0 : 1);
    }
    close(fds[1]);
    size_t got = 0;
    while (got < sizeof r) {
        ssize_t k = read(fds[0], (char *)&r + got, sizeof r - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    close(fds[0]);

    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
        ;
    if (got != sizeof r) {
        memset(&r, 0, sizeof r);
        if (WIFSIGNALED(status))
            snprintf(r.msg, sizeof r.msg, "child killed by signal %d (%s)",
                     WTERMSIG(status), strsignal(WTERMSIG(status)));
        else
            snprintf(r.msg, sizeof r.msg, "child exited with status %d without a result",
                     WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    r.maxrss_kib = ru.ru_maxrss; /* KiB on Linux */
    r.user_ms = (double)ru.ru_utime.tv_sec * 1e3 + (double)ru.ru_utime.tv_usec / 1e3;
    r.sys_ms = (double)ru.ru_stime.tv_sec * 1e3 + (double)ru.ru_stime.tv_usec / 1e3;
    return r;
}

/* ---- Driver ----------------------------------------------------------- */

typedef struct series {
    size_t n;
    char path[4096];
    size_t bytes;
    bool ok;
    double bare_ms, coil_ms, close_ms; /* medians */
    double bare_min, bare_max, coil_min, coil_max;
    double bare_peak_mib, coil_peak_mib; /* max over runs */
    double coil_user_ms, coil_sys_ms;    /* medians, whole child */
    size_t events;
} series;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t k)
{
    qsort(v, k, sizeof *v, cmp_double);
    return k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
}

static bool verbose;

static bool measure(series *s, int reps)
{
    double *bare = calloc((size_t)reps, sizeof *bare);
    double *coil = calloc((size_t)reps, sizeof *coil);
    double *cls = calloc((size_t)reps, sizeof *cls);
    double *usr = calloc((size_t)reps, sizeof *usr);
    double *sys = calloc((size_t)reps, sizeof *sys);
    if (!bare || !coil || !cls || !usr || !sys) {
        free(bare), free(coil), free(cls), free(usr), free(sys);
        return false;
    }
    long bare_rss = 0, coil_rss = 0;
    bool ok = true;

    /* One untimed warm-up of each (page cache, lazy binding). */
    for (int rep = -1; rep < reps && ok; rep++) {
        /* Alternate the order so slow drift hits both sides alike. */
        for (int side = 0; side < 2 && ok; side++) {
            bool do_bare = (side == 0) == (rep % 2 == 0);
            result r = run_child(do_bare ? K_BARE : K_COIL, s->path, s->n);
            if (!r.ok) {
                fprintf(stderr, "bench_load: %zu objects, %s: %s\n", s->n,
                        do_bare ? "bare parse" : "coil load", r.msg);
                ok = false;
                break;
            }
            if (verbose)
                printf("  %zu objects, %s %s: %.2f ms (close %.2f ms), peak %.1f MiB,"
                       " process cpu user %.0f ms sys %.0f ms\n",
                       s->n, rep < 0 ? "warm-up" : "run", do_bare ? "bare" : "coil",
                       r.load_ms, r.close_ms, (double)r.maxrss_kib / 1024.0, r.user_ms,
                       r.sys_ms);
            if (rep < 0)
                continue;
            if (do_bare) {
                bare[rep] = r.load_ms;
                s->events = r.events;
                if (r.maxrss_kib > bare_rss)
                    bare_rss = r.maxrss_kib;
            } else {
                coil[rep] = r.load_ms;
                cls[rep] = r.close_ms;
                usr[rep] = r.user_ms;
                sys[rep] = r.sys_ms;
                if (r.maxrss_kib > coil_rss)
                    coil_rss = r.maxrss_kib;
            }
        }
    }
    if (ok) {
        s->bare_ms = median(bare, (size_t)reps);
        s->bare_min = bare[0];
        s->bare_max = bare[reps - 1];
        s->coil_ms = median(coil, (size_t)reps);
        s->coil_min = coil[0];
        s->coil_max = coil[reps - 1];
        s->close_ms = median(cls, (size_t)reps);
        s->coil_user_ms = median(usr, (size_t)reps);
        s->coil_sys_ms = median(sys, (size_t)reps);
        s->bare_peak_mib = (double)bare_rss / 1024.0;
        s->coil_peak_mib = (double)coil_rss / 1024.0;
    }
    s->ok = ok;
    free(bare);
    free(coil);
    free(cls);
    free(usr);
    free(sys);
    return ok;
}

static void cpu_model(char *buf, size_t size)
{
    snprintf(buf, size, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *p = strchr(line, ':');
            if (p) {
                p++;
                while (*p == ' ' || *p == '\t')
                    p++;
                p[strcspn(p, "\n")] = '\0';
                snprintf(buf, size, "%s", p);
            }
            break;
        }
    }
    fclose(f);
}

static void usage(FILE *out, const char *argv0)
{
    fprintf(out,
            "usage: %s [--quick] [--reps N] [--sizes SMALL,LARGE] [--dir DIR] [--verbose]\n"
            "  --quick          smoke run: 1000 and 10000 objects, 3 repetitions\n"
            "  --reps N         timed repetitions per case (default 5; median reported)\n"
            "  --sizes A,B      object counts (default 10000,100000)\n"
            "  --dir DIR        keep the generated files in DIR (reused if present)\n"
            "  --verbose        print every run\n"
            "  --profile N      no measurement: one coil load of N objects in this process\n"
            "                   (for perf record / valgrind --tool=callgrind)\n",
            argv0);
}

static bool parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || (*end && *end != ',') || v == 0 || s[0] == '-')
        return false;
    *out = (size_t)v;
    return true;
}

/* DIR/bench-N.yaml into buf; -1 when it does not fit. */
static int file_path(char *buf, size_t size, const char *dir, size_t n)
{
    int w = snprintf(buf, size, "%s/bench-%zu.yaml", dir, n);
    return w < 0 || (size_t)w >= size ? -1 : 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    size_t sizes[2] = { 10000, 100000 };
    int reps = 5;
    bool reps_set = false;
    const char *dir = NULL;
    size_t profile_n = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout, argv[0]);
            return 0;
        } else if (strcmp(a, "--quick") == 0) {
            sizes[0] = 1000;
            sizes[1] = 10000;
            if (!reps_set)
                reps = 3;
        } else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
            verbose = true;
        } else if (strcmp(a, "--reps") == 0 && i + 1 < argc) {
            reps = atoi(argv[++i]);
            reps_set = true;
            if (reps < 1 || reps > 1000) {
                fprintf(stderr, "%s: bad --reps\n", argv[0]);
                return 2;
            }
        } else if (strcmp(a, "--sizes") == 0 && i + 1 < argc) {
            const char *s = argv[++i];
            const char *comma = strchr(s, ',');
            if (!comma || !parse_size(s, &sizes[0]) || !parse_size(comma + 1, &sizes[1])
                || sizes[1] <= sizes[0]) {
                fprintf(stderr, "%s: --sizes wants SMALL,LARGE with SMALL < LARGE\n", argv[0]);
                return 2;
            }
        } else if (strcmp(a, "--profile") == 0 && i + 1 < argc) {
            if (!parse_size(argv[++i], &profile_n) || strchr(argv[i], ',')) {
                fprintf(stderr, "%s: bad --profile count\n", argv[0]);
                return 2;
            }
        } else if (strcmp(a, "--dir") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else {
            usage(stderr, argv[0]);
            return 2;
        }
    }

    char tmpdir[4096] = "";
    if (!dir) {
        const char *t = getenv("TMPDIR");
        snprintf(tmpdir, sizeof tmpdir, "%s/coil-bench-XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(tmpdir)) {
            fprintf(stderr, "%s: mkdtemp %s: %s\n", argv[0], tmpdir, strerror(errno));
            return 1;
        }
        dir = tmpdir;
    } else if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "%s: mkdir %s: %s\n", argv[0], dir, strerror(errno));
        return 1;
    }

    series s[2];
    memset(s, 0, sizeof s);
    int rc = 0;
    if (profile_n) {
        /* One load in this very process, so a profiler sees only it. */
        if (file_path(s[0].path, sizeof s[0].path, dir, profile_n) != 0) {
            fprintf(stderr, "%s: %s: the directory name is too long\n", argv[0], dir);
            rc = 1;
            goto out;
        }
        struct stat st;
        if ((tmpdir[0] || stat(s[0].path, &st) != 0)
            && bench_generate(s[0].path, profile_n, &s[0].bytes) != 0) {
            fprintf(stderr, "%s: %s: %s\n", argv[0], s[0].path, strerror(errno));
            rc = 1;
            goto out;
        }
        result r;
        memset(&r, 0, sizeof r);
        child_coil(s[0].path, profile_n, &r);
        if (!r.ok) {
            fprintf(stderr, "%s: %s\n", argv[0], r.msg);
            rc = 1;
        } else {
            printf("%zu objects: coil_load_file %.1f ms, coil_close %.1f ms\n", profile_n,
                   r.load_ms, r.close_ms);
        }
        goto out;
    }
    for (int k = 0; k < 2; k++) {
        s[k].n = sizes[k];
        if (file_path(s[k].path, sizeof s[k].path, dir, sizes[k]) != 0) {
            fprintf(stderr, "%s: %s: the directory name is too long\n", argv[0], dir);
            rc = 1;
            goto out;
        }
        struct stat st;
        if (!tmpdir[0] && stat(s[k].path, &st) == 0) {
            s[k].bytes = (size_t)st.st_size;
        } else if (bench_generate(s[k].path, sizes[k], &s[k].bytes) != 0) {
            fprintf(stderr, "%s: %s: %s\n", argv[0], s[k].path, strerror(errno));
            rc = 1;
            goto out;
        }
    }

    char cpu[256];
    cpu_model(cpu, sizeof cpu);
    result base = run_child(K_NOP, NULL, 0);
    printf("Coil load benchmark: full coil_load_file() vs. a bare libyaml event loop\n");
    printf("machine: %ld CPUs, %s; libyaml %s; build type %s\n",
           sysconf(_SC_NPROCESSORS_ONLN), cpu, yaml_get_version_string(), BENCH_BUILD_TYPE);
    printf("each run in a fresh forked process; %d timed runs per case after 1 warm-up; "
           "times are medians\n", reps);
    printf("peak = ru_maxrss of the run's process (an idle forked child: %.1f MiB)\n\n",
           (double)base.maxrss_kib / 1024.0);
    fflush(stdout);

    for (int k = 0; k < 2; k++)
        if (!measure(&s[k], reps))
            rc = 1;

    printf("%9s %9s %9s %9s %10s %9s %10s %10s\n", "objects", "file MiB", "bare ms",
           "coil ms", "coil/bare", "close ms", "bare peak", "coil peak");
    printf("%9s %9s %9s %9s %10s %9s %10s %10s\n", "", "", "", "", "", "", "MiB", "MiB");
    for (int k = 0; k < 2; k++) {
        if (!s[k].ok) {
            printf("%9zu %9.1f   (failed, see above)\n", s[k].n, (double)s[k].bytes / 1048576.0);
            continue;
        }
        printf("%9zu %9.1f %9.1f %9.1f %10.2f %9.1f %10.1f %10.1f\n", s[k].n,
               (double)s[k].bytes / 1048576.0, s[k].bare_ms, s[k].coil_ms,
               s[k].coil_ms / s[k].bare_ms, s[k].close_ms, s[k].bare_peak_mib,
               s[k].coil_peak_mib);
    }
    printf("\nrange over runs (min..max ms); CPU time of a whole coil run (load + close,"
           " median):\n");
    for (int k = 0; k < 2; k++)
        if (s[k].ok)
            printf("%9zu  bare %.1f..%.1f  coil %.1f..%.1f  coil cpu: user %.0f ms, sys %.0f ms"
                   "  (%zu YAML events)\n", s[k].n, s[k].bare_min, s[k].bare_max, s[k].coil_min,
                   s[k].coil_max, s[k].coil_user_ms, s[k].coil_sys_ms, s[k].events);

    printf("\ntargets:\n");
    for (int k = 0; k < 2; k++) {
        if (!s[k].ok) {
            printf("  coil/bare <= 2.0 at %zu objects: not measured  MISS\n", s[k].n);
            continue;
        }
        double ratio = s[k].coil_ms / s[k].bare_ms;
        printf("  coil/bare <= 2.0 at %zu objects: %.2f  %s\n", s[k].n, ratio,
               ratio <= 2.0 ? "PASS" : "MISS");
    }
    double limit = 1.1 * (double)sizes[1] / (double)sizes[0];
    if (s[0].ok && s[1].ok) {
        double scale = s[1].coil_ms / s[0].coil_ms;
        printf("  coil(%zu)/coil(%zu) <= %.4g (linear): %.2f  %s\n", sizes[1], sizes[0],
               limit, scale, scale <= limit ? "PASS" : "MISS");
    } else {
        printf("  coil(%zu)/coil(%zu) <= %.4g (linear): not measured  MISS\n", sizes[1],
               sizes[0], limit);
    }

out:
    if (tmpdir[0]) {
        for (int k = 0; k < 2; k++)
            if (s[k].path[0])
                unlink(s[k].path);
        rmdir(tmpdir);
    }
    return rc;
}
