/* server_rps — requests per second a Coil exporter serves under wrk, next
 * to a bare libmicrohttpd responder on the same machine.
 *
 *   bare     this program as --bare-server (bench_bare_server(), in
 *            remote_util.c): libmicrohttpd with the thread model of Coil's
 *            exporter (epoll, an internal thread pool of one thread per
 *            core, the same timeout), answering every POST with one fixed
 *            JSON reply — the song, as Coil answers it — and nothing else:
 *            no parsing, no call. The limit of this machine.
 *   coil     `coil run` serving the sample's birthday_service class with a
 *            coil.http-exporter (default settings but the address). The
 *            class is declared COIL_CLASS_THREAD_SAFE, so calls run in all
 *            server threads at once.
 *   coil-1   the same service code without that flag
 *            (birthday_service_serial in libbench_birthday.so): the
 *            exporter makes its calls one at a time, as it does for any
 *            class that does not declare itself thread-safe.
 *
 * Each is measured with `wrk -t2 -c8 -d10s -s post.lua URL`: 8 keep-alive
 * connections posting happy_birthday("Greg") (post.lua). Before measuring,
 * one request to each server checks its reply; after each run, wrk's
 * count of non-2xx replies and socket errors must be zero. One short
 * untimed round, then --reps rounds in rotating order; medians.
 *
 * Every run also reports the CPU time per request of the server and of
 * wrk and how busy the machine was: on a small machine the bare responder
 * often leaves the CPUs partly idle (its threads and wrk's wait on each
 * other across CPUs), so requests per busy CPU-second are shown beside
 * requests per second.
 *
 * Target: coil >= 85% of bare, in requests per second. coil-1 is
 * reported beside it. The exit status is 0 unless the benchmark itself
 * could not run. */
#define _GNU_SOURCE /* mkdtemp */

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "remote_util.h"

#ifndef BENCH_BUILD_TYPE
#define BENCH_BUILD_TYPE "unknown"
#endif
#ifndef BENCH_COIL_VERSION
#define BENCH_COIL_VERSION "?"
#endif
#ifndef BENCH_COIL_TOOL
#define BENCH_COIL_TOOL "coil"
#endif
#ifndef BENCH_BIRTHDAY_MODULE
#define BENCH_BIRTHDAY_MODULE "libbench_birthday.so"
#endif
#ifndef BENCH_POST_LUA
#define BENCH_POST_LUA "post.lua"
#endif

/* ---- The benchmark --------------------------------------------------------------- */

enum { S_BARE, S_COIL, S_COIL_1, NSERVERS };
static const char *const server_name[NSERVERS] = { "bare", "coil", "coil-1" };

typedef struct server {
    bench_proc proc;
    char url[512];
    bool ok;
    double *rps;
    double *eff;          /* requests per busy CPU-second of the machine */
    double cpu, requests; /* server CPU seconds and requests, timed runs */
    double latency_us;    /* wrk's mean latency, last timed run */
    int n;
} server;

typedef struct options {
    int duration, warmup_duration, reps, threads, connections;
    bool verbose;
    const char *wrk, *coil_tool, *module, *post_lua;
    const char *threading; /* NULL, or the exporters' `threading` */
} options;

static char tmpdir[4096];

static bool start_coil(const options *o, server *s, const char *cls, const char *tag)
{
    char ctxfile[4200], log[4200], msg[1024];
    snprintf(ctxfile, sizeof ctxfile, "%s/%s.yaml", tmpdir, tag);
    snprintf(log, sizeof log, "%s/%s.log", tmpdir, tag);
    FILE *f = fopen(ctxfile, "w");
    if (!f) {
        fprintf(stderr, "server_rps: %s: %s\n", ctxfile, strerror(errno));
        return false;
    }
    fprintf(f,
            "# written by bench/server_rps\n"
            "modules: [\"%s\"]\n"
            "objects:\n"
            "  - object: birthday_service\n"
            "    class: %s\n"
            "  - object: birthday_exporter\n"
            "    class: coil.http-exporter\n"
            "    properties:\n"
            "      service: {ref: birthday_service}\n"
            "      interface: birthday\n"
            "      listen: 127.0.0.1:0\n"
            "      path: /birthday\n"
            "%s%s%s",
            o->module, cls, o->threading ? "      threading: " : "",
            o->threading ? o->threading : "", o->threading ? "\n" : "");
    fclose(f);
    char *argv[] = { (char *)o->coil_tool, "run", ctxfile, NULL };
    if (bench_spawn(&s->proc, tag, argv, log, msg, sizeof msg) != 0 ||
        bench_read_word(&s->proc, "http://", 10, s->url, sizeof s->url, msg, sizeof msg) != 0) {
        fprintf(stderr, "server_rps: %s\n", msg);
        bench_show_log(&s->proc);
        bench_stop(&s->proc, 5);
        return false;
    }
    return true;
}

static bool start_bare(server *s)
{
    char self[PATH_MAX], log[4200], msg[1024];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        fprintf(stderr, "server_rps: /proc/self/exe: %s\n", strerror(errno));
        return false;
    }
    self[n] = '\0';
    snprintf(log, sizeof log, "%s/bare.log", tmpdir);
    char *argv[] = { self, "--bare-server", NULL };
    if (bench_spawn(&s->proc, "bare", argv, log, msg, sizeof msg) != 0 ||
        bench_read_word(&s->proc, "http://", 10, s->url, sizeof s->url, msg, sizeof msg) != 0) {
        fprintf(stderr, "server_rps: %s\n", msg);
        bench_show_log(&s->proc);
        bench_stop(&s->proc, 5);
        return false;
    }
    return true;
}

typedef struct reply {
    char *data;
    size_t len;
} reply;

static size_t on_body(char *p, size_t size, size_t nmemb, void *userdata)
{
    reply *r = userdata;
    size_t n = size * nmemb;
    char *d = realloc(r->data, r->len + n + 1);
    if (!d)
        return 0;
    memcpy(d + r->len, p, n);
    r->len += n;
    d[r->len] = '\0';
    r->data = d;
    return n;
}

/* One request as post.lua makes it; the reply must be the song. */
static bool check_server(const char *name, const char *url)
{
    CURL *h = curl_easy_init();
    if (!h)
        return false;
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    reply r = { 0 };
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, (const char *)bench_request_body);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    bool ok = rc == CURLE_OK && status == 200 && r.data && strcmp(r.data, bench_song_reply) == 0;
    if (!ok)
        fprintf(stderr, "server_rps: %s: unexpected reply (curl %d, HTTP %ld): %s\n", name,
                (int)rc, status, r.data ? r.data : curl_easy_strerror(rc));
    free(r.data);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    return ok;
}


/* wrk's "Latency   123.45us ..." as microseconds. */
static double parse_latency(const char *out)
{
    const char *p = strstr(out, "Latency");
    double v;
    char unit[8];
    if (!p || sscanf(p + 7, "%lf%7s", &v, unit) != 2)
        return -1;
    if (strcmp(unit, "us") == 0)
        return v;
    if (strcmp(unit, "ms") == 0)
        return v * 1e3;
    if (strcmp(unit, "s") == 0)
        return v * 1e6;
    return -1;
}

/* Busy and total jiffies of the whole machine so far (/proc/stat). */
static void machine_jiffies(double *busy, double *total)
{
    *busy = *total = 0;
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return;
    unsigned long long v[8] = { 0 };
    if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
               &v[4], &v[5], &v[6], &v[7]) == 8) {
        for (int i = 0; i < 8; i++)
            *total += (double)v[i];
        *busy = *total - (double)v[3] - (double)v[4]; /* less idle and iowait */
    }
    fclose(f);
}

static double children_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* One wrk run against s. Returns requests/s, or -1; *cpu is the server's
 * CPU seconds, *wrk_cpu wrk's, *busy the fraction of the machine's CPU
 * time that was busy during the run. */
static double run_wrk(const options *o, server *s, int which, int seconds, double *cpu,
                      double *wrk_cpu, double *busy, double *requests, double *latency)
{
    char t[16], c[16], d[16], log[4200], msg[1024];
    snprintf(t, sizeof t, "%d", o->threads);
    snprintf(c, sizeof c, "%d", o->connections);
    snprintf(d, sizeof d, "%ds", seconds);
    snprintf(log, sizeof log, "%s/wrk.log", tmpdir);
    char *argv[] = { (char *)o->wrk, "-t", t, "-c", c, "-d", d, "-s", (char *)o->post_lua,
                     s->url, NULL };
    bench_proc p;
    double c0 = bench_cpu_of(s->proc.pid), w0 = children_cpu(), b0, t0;
    machine_jiffies(&b0, &t0);
    if (bench_spawn(&p, "wrk", argv, log, msg, sizeof msg) != 0) {
        fprintf(stderr, "server_rps: %s\n", msg);
        return -1;
    }
    char out[8192];
    int st = bench_collect(&p, seconds + 60, out, sizeof out);
    double c1 = bench_cpu_of(s->proc.pid), w1 = children_cpu(), b1, t1;
    machine_jiffies(&b1, &t1);
    if (o->verbose)
        printf("--- wrk against %s:\n%s", server_name[which], out);
    if (st != 0) {
        fprintf(stderr, "server_rps: wrk against %s exited with status %d\n",
                server_name[which], st);
        bench_show_log(&p);
        return -1;
    }
    const char *rps = strstr(out, "Requests/sec:");
    const char *total = strstr(out, " requests in ");
    double v = -1, count = 0;
    if (!rps || sscanf(rps + 13, "%lf", &v) != 1 || v <= 0) {
        fprintf(stderr, "server_rps: no Requests/sec in wrk's output:\n%s", out);
        return -1;
    }
    if (total) {
        const char *q = total;
        while (q > out && q[-1] != '\n' && q[-1] != ' ')
            q--;
        count = strtod(q, NULL);
    }
    if (strstr(out, "Non-2xx") || strstr(out, "Socket errors")) {
        fprintf(stderr, "server_rps: wrk against %s saw failed requests:\n%s",
                server_name[which], out);
        return -1;
    }
    *cpu = c0 >= 0 && c1 >= c0 ? c1 - c0 : -1;
    *wrk_cpu = w1 - w0;
    *busy = t1 > t0 ? (b1 - b0) / (t1 - t0) : -1;
    *requests = count;
    *latency = parse_latency(out);
    return v;
}

static void usage(FILE *out, const char *argv0)
{
    fprintf(out,
            "usage: %s [--duration S] [--reps N] [--connections N] [--threads N] [--quick]\n"
            "          [--wrk PATH] [--threading M] [--verbose]\n"
            "  --duration S     seconds of each timed wrk run (default 10)\n"
            "  --reps N         timed rounds (default 3; medians reported), after 1 short\n"
            "                   untimed one\n"
            "  --connections N  wrk's keep-alive connections (default 8)\n"
            "  --threads N      wrk's threads (default 2)\n"
            "  --quick          smoke run: --duration 2 --reps 1\n"
            "  --wrk PATH       the wrk to run (default: wrk in PATH)\n"
            "  --threading M    the exporters' threading: pool or per-connection (default:\n"
            "                   the exporter's default)\n"
            "  --verbose        print wrk's output of every run\n",
            argv0);
}

static bool parse_int(const char *s, int min, int max, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return false;
    *out = (int)v;
    return true;
}

/* wrk in PATH, as a full path (NULL when there is none). */
static const char *find_in_path(const char *name, char *buf, size_t size)
{
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        snprintf(buf, size, "%.*s/%s", (int)n, path, name);
        if (n && bench_executable(buf))
            return buf;
        path += n + (path[n] == ':');
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--bare-server") == 0)
        return bench_bare_server();

    setvbuf(stdout, NULL, _IOLBF, 0);
    char wrkbuf[PATH_MAX];
    options o = {
        .duration = 10,
        .warmup_duration = 2,
        .reps = 3,
        .threads = 2,
        .connections = 8,
        .wrk = NULL,
        .coil_tool = BENCH_COIL_TOOL,
        .module = BENCH_BIRTHDAY_MODULE,
        .post_lua = BENCH_POST_LUA,
    };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout, argv[0]);
            return 0;
        } else if (strcmp(a, "--duration") == 0 && i + 1 < argc &&
                   parse_int(argv[++i], 1, 3600, &o.duration)) {
        } else if (strcmp(a, "--reps") == 0 && i + 1 < argc &&
                   parse_int(argv[++i], 1, 100, &o.reps)) {
        } else if (strcmp(a, "--connections") == 0 && i + 1 < argc &&
                   parse_int(argv[++i], 1, 10000, &o.connections)) {
        } else if (strcmp(a, "--threads") == 0 && i + 1 < argc &&
                   parse_int(argv[++i], 1, 256, &o.threads)) {
        } else if (strcmp(a, "--quick") == 0) {
            o.duration = 2;
            o.warmup_duration = 1;
            o.reps = 1;
        } else if (strcmp(a, "--threading") == 0 && i + 1 < argc) {
            o.threading = argv[++i];
        } else if (strcmp(a, "--wrk") == 0 && i + 1 < argc) {
            o.wrk = argv[++i];
        } else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
            o.verbose = true;
        } else {
            usage(stderr, argv[0]);
            return 2;
        }
    }
    if (o.threads > o.connections)
        o.threads = o.connections; /* wrk refuses more threads than connections */
    if (!o.wrk)
        o.wrk = find_in_path("wrk", wrkbuf, sizeof wrkbuf);
    if (!o.wrk || !bench_executable(o.wrk)) {
        fprintf(stderr, "server_rps: no wrk (Debian wrk: bench/setup-remote.sh installs it)\n");
        return 1;
    }
    if (!bench_executable(o.coil_tool)) {
        fprintf(stderr, "server_rps: %s: not an executable (build the coil tool)\n",
                o.coil_tool);
        return 1;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "server_rps: cannot initialize libcurl\n");
        return 1;
    }

    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/coil-server-rps-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmpdir)) {
        fprintf(stderr, "server_rps: mkdtemp %s: %s\n", tmpdir, strerror(errno));
        return 1;
    }

    server srv[NSERVERS];
    memset(srv, 0, sizeof srv);
    int rc = 0;
    for (int k = 0; k < NSERVERS; k++) {
        srv[k].proc.out = -1;
        srv[k].rps = calloc((size_t)o.reps, sizeof(double));
        srv[k].eff = calloc((size_t)o.reps, sizeof(double));
        if (!srv[k].rps || !srv[k].eff) {
            rc = 1;
            goto out;
        }
    }
    if (!start_bare(&srv[S_BARE]) ||
        !start_coil(&o, &srv[S_COIL], "birthday_service", "coil") ||
        !start_coil(&o, &srv[S_COIL_1], "birthday_service_serial", "coil-1")) {
        rc = 1;
        goto out;
    }
    for (int k = 0; k < NSERVERS; k++) {
        srv[k].ok = check_server(server_name[k], srv[k].url);
        if (!srv[k].ok)
            rc = 1;
    }
    if (rc)
        goto out;

    char cpu[256], wrkver[1024] = "wrk";
    bench_cpu_model(cpu, sizeof cpu);
    {
        char *vargv[] = { (char *)o.wrk, "--version", NULL };
        bench_proc p;
        char log[4200], msg[512], out[1024] = "";
        snprintf(log, sizeof log, "%s/wrk.log", tmpdir);
        if (bench_spawn(&p, "wrk", vargv, log, msg, sizeof msg) == 0) {
            bench_collect(&p, 10, out, sizeof out);
            out[strcspn(out, "\n")] = '\0';
            char *cut = strstr(out, " Copyright");
            if (cut)
                *cut = '\0';
            if (out[0])
                snprintf(wrkver, sizeof wrkver, "%s", out);
        }
    }
    printf("Coil server throughput: requests per second under wrk, loopback\n");
    printf("machine: %ld CPUs, %s; build type %s\n", sysconf(_SC_NPROCESSORS_ONLN), cpu,
           BENCH_BUILD_TYPE);
    printf("load: %s -t%d -c%d -d%ds -s post.lua URL (%d keep-alive connections, each POSTing\n"
           "      happy_birthday(\"Greg\") as application/json)\n",
           wrkver, o.threads, o.connections, o.duration, o.connections);
    printf("servers (libmicrohttpd %s, epoll, a pool of %u threads, on 127.0.0.1):\n",
           MHD_get_version(), bench_cores());
    printf("  bare     a fixed JSON reply, the request unread  at %s\n", srv[S_BARE].url);
    printf("  coil     coil run (Coil %s): birthday_service (thread-safe: calls at once)  at %s\n",
           BENCH_COIL_VERSION, srv[S_COIL].url);
    printf("  coil-1   coil run: birthday_service_serial, the same code, calls one at a time  at %s\n",
           srv[S_COIL_1].url);
    printf("coil and coil-1: threading %s\n",
           o.threading ? o.threading : "(the exporter's default)");
    printf("1 untimed round of %d s runs, then %d timed rounds of %d s runs; medians\n\n",
           o.warmup_duration, o.reps, o.duration);

    for (int round = -1; round < o.reps && !rc; round++) {
        for (int j = 0; j < NSERVERS && !rc; j++) {
            int which = (j + (round < 0 ? 0 : round)) % NSERVERS;
            server *s = &srv[which];
            double cpu_s = -1, wrk_s = -1, busy = -1, requests = 0, latency = -1;
            double v = run_wrk(&o, s, which, round < 0 ? o.warmup_duration : o.duration, &cpu_s,
                               &wrk_s, &busy, &requests, &latency);
            if (v < 0) {
                rc = 1;
                break;
            }
            printf("  %s %-8s %7.0f requests/s, latency %4.0f us; cpu us/request: server %4.1f, "
                   "wrk %4.1f; machine %3.0f%% busy\n",
                   round < 0 ? "warm-up" : "run    ", server_name[which], v, latency,
                   cpu_s >= 0 && requests > 0 ? cpu_s / requests * 1e6 : -1.0,
                   requests > 0 ? wrk_s / requests * 1e6 : -1.0, 100.0 * busy);
            if (round >= 0) {
                s->eff[s->n] = busy > 0 ? v / (busy * (double)bench_cores()) : 0;
                s->rps[s->n++] = v;
                if (cpu_s >= 0 && requests > 0) {
                    s->cpu += cpu_s;
                    s->requests += requests;
                }
                s->latency_us = latency;
            }
        }
    }
    if (rc)
        goto out;

    double med[NSERVERS], eff[NSERVERS];
    printf("\n%-8s %11s %17s %8s %10s %8s %9s\n", "server", "requests/s", "range", "of bare",
           "req/cpu-s", "of bare", "cpu us/req");
    for (int k = 0; k < NSERVERS; k++) {
        med[k] = bench_median(srv[k].rps, (size_t)srv[k].n);
        eff[k] = bench_median(srv[k].eff, (size_t)srv[k].n);
    }
    for (int k = 0; k < NSERVERS; k++) {
        char range[64];
        snprintf(range, sizeof range, "%.0f..%.0f", srv[k].rps[0], srv[k].rps[srv[k].n - 1]);
        printf("%-8s %11.0f %17s %7.1f%% %10.0f %7.1f%% %9.1f\n", server_name[k], med[k], range,
               100.0 * med[k] / med[S_BARE], eff[k], 100.0 * eff[k] / eff[S_BARE],
               srv[k].requests > 0 ? srv[k].cpu / srv[k].requests * 1e6 : -1.0);
    }
    printf("req/cpu-s: requests per busy CPU-second of the whole machine (wrk included),\n"
           "           which does not depend on how much of the time the CPUs were idle\n"
           "cpu us/req: the server process's user + system time per request, timed runs\n");
    printf("\ntargets:\n");
    double r = med[S_COIL] / med[S_BARE];
    printf("  coil/bare >= 85%%: %.1f%%  %s\n", 100.0 * r, r >= 0.85 ? "PASS" : "MISS");
    double rts = med[S_COIL_1] / med[S_BARE];
    printf("  (calls one at a time, coil-1/bare: %.1f%%  %s)\n", 100.0 * rts,
           rts >= 0.85 ? "PASS" : "MISS");

out:
    for (int k = NSERVERS - 1; k >= 0; k--) {
        if (srv[k].proc.pid) {
            int st = bench_stop(&srv[k].proc, 10);
            if (st != 0) {
                fprintf(stderr, "server_rps: %s server stopped with status %d\n",
                        server_name[k], st);
                bench_show_log(&srv[k].proc);
            }
        }
        free(srv[k].rps);
        free(srv[k].eff);
    }
    const char *files[] = { "coil.yaml", "coil.log", "coil-1.yaml", "coil-1.log", "bare.log",
                            "wrk.log" };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", tmpdir, files[i]);
        unlink(path);
    }
    rmdir(tmpdir);
    curl_global_cleanup();
    return rc;
}
