/* remote_calls — sequential remote calls per second: Coil next to Pyro4 and
 * libjson-rpc-cpp, each serving the Happy Birthday service
 * (happy_birthday(name) returns the four lines of the song).
 *
 *   coil        `coil run` serves birthday_service (the sample's class, from
 *               libbench_birthday.so) with a coil.http-exporter; this
 *               process calls it through a coil.http-proxy with the
 *               generated typed call birthday_happy_birthday()
 *   pyro4       remote_pyro4.py: a Pyro4 daemon and a Pyro4 proxy (Python)
 *   jsonrpccpp  remote_jsonrpccpp: libjson-rpc-cpp's HttpServer and its
 *               HttpClient (C++), if it was built (libjsonrpccpp-dev)
 *
 * Three more rows are no references but show where the time goes: a
 * libcurl loop posting fixed request bytes the way the proxy sets up
 * libcurl, with no JSON and no typed values (curl>coil), and a raw client
 * (fixed request bytes written to a keep-alive socket, the reply read by
 * its Content-Length), both calling the same Coil server, and the raw
 * client calling a bare libmicrohttpd responder with a fixed reply
 * (raw>bare, this program run as --bare-server). Beside calls/s, every row shows the CPU
 * time per call of the client and of the server process.
 *
 * Every server is its own process, started once and stopped at the end.
 * A round measures each system once, in an order that rotates from round
 * to round: a fresh client (the Coil proxy context, a Pyro4 or
 * libjson-rpc-cpp client process) makes --warmup untimed calls, then
 * --calls timed sequential calls, each reply checked. One untimed round
 * comes first, then --reps timed rounds; the table shows the median.
 *
 * Everything happens on the loopback interface. As root, the benchmark
 * first moves itself (and so every process it starts) into a new network
 * namespace that has nothing but a loopback interface, because
 * libjson-rpc-cpp 0.7.0's HttpServer cannot bind to one address; the
 * other servers bind 127.0.0.1 anyway. --no-netns skips that. --cpu N pins
 * every process to one CPU, which takes the cost of waking a thread on
 * another CPU out of the figures (see docs/performance.md).
 *
 * Targets: coil >= 3 x pyro4 and coil >= 1.5 x jsonrpccpp. A miss is
 * reported as MISS, and so is a reference that could not be measured. The
 * exit status is 0 unless the benchmark itself could not run. */
#define _GNU_SOURCE /* mkdtemp, sched_setaffinity */

#include <curl/curl.h>
#include <errno.h>
#include <microhttpd.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <coil/coil.h>

#include "birthday.h"
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
#ifndef BENCH_PYRO_SCRIPT
#define BENCH_PYRO_SCRIPT "remote_pyro4.py"
#endif
#ifndef BENCH_JSONRPCCPP
#define BENCH_JSONRPCCPP "" /* not built */
#endif
#ifndef BENCH_JSONRPCCPP_VERSION
#define BENCH_JSONRPCCPP_VERSION "?"
#endif

/* The last three are no references: they show where the time goes. A
 * libcurl loop that POSTs fixed request bytes as the proxy does, but
 * without JSON or typed values (curl_calls), and a raw client
 * (bench_raw_calls: fixed request bytes on a socket), against the Coil
 * server; and the raw client against a bare libmicrohttpd responder. */
enum { SYS_COIL, SYS_PYRO, SYS_CPP, SYS_CURL_COIL, SYS_RAW_COIL, SYS_RAW_BARE, NSYS };
static const char *const sys_name[NSYS] = { "coil", "pyro4", "jsonrpccpp", "curl>coil",
                                            "raw>coil", "raw>bare" };

typedef struct options {
    long calls, warmup;
    int reps;
    bool netns, verbose;
    const char *only;   /* NULL, or the one system to measure */
    int cpu;            /* -1, or the CPU every process is pinned to */
    const char *python;
    const char *coil_tool, *module, *pyro_script, *jsonrpccpp;
    const char *threading; /* NULL, or the exporter's `threading` */
} options;

typedef struct system_ {
    bool enabled;       /* to be measured */
    bool ok;            /* every run so far succeeded */
    char why[8192];     /* why not enabled / not ok */
    bench_proc server;  /* its server, unless it shares another's */
    int server_of;      /* whose server it calls (its own index, or SYS_COIL) */
    char url[512];
    char version[512];
    double *rate;       /* calls/s of each timed round */
    double *ccpu;       /* client CPU us per call, each timed round */
    double server_cpu;  /* server CPU seconds over the timed rounds, or -1 */
    double server_calls; /* calls it served in them (warm-ups included) */
    int nrate;
} system_;

static char tmpdir[4096];

static void print_errors(const char *what, const coil_error *err)
{
    for (const coil_error *e = err; e; e = e->next) {
        char buf[1024];
        coil_error_format(e, buf, sizeof buf);
        fprintf(stderr, "remote_calls: %s: %s [%s]\n", what, buf, coil_error_name(e->code));
    }
}

/* ---- The Coil client: in this process ------------------------------------ */

/* One round: a fresh proxy context, `warmup` untimed and `calls` timed
 * typed calls. Returns the seconds of the timed calls (their CPU time in
 * *cpu), or -1. */
static double coil_round(const char *url, long calls, long warmup, double *cpu)
{
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "objects:\n"
             "  - object: birthday\n"
             "    class: coil.http-proxy\n"
             "    properties: {url: \"%s\", interface: birthday}\n",
             url);
    coil_options *opts = coil_options_new();
    if (!opts)
        return -1;
    coil_options_use_environment(opts, false);
    coil_error *err = NULL;
    coil_context *ctx = coil_load_string(yaml, "<remote_calls proxy>", opts, &err);
    coil_options_free(opts);
    void *service = ctx ? coil_get(ctx, "birthday", &birthday_interface, &err) : NULL;
    if (!service) {
        print_errors("coil proxy", err);
        coil_error_free(err);
        coil_close(ctx);
        return -1;
    }
    static const char *const expected[4] = { "Happy Birthday to you!", "Happy Birthday to you!",
                                             "Happy Birthday Dear Greg!",
                                             "Happy Birthday to you!" };
    double t0 = 0, c0 = 0, seconds = -1;
    for (long i = -warmup; i < calls; i++) {
        if (i == 0) {
            t0 = bench_now();
            c0 = bench_cpu_self();
        }
        birthday_list_string song;
        if (birthday_happy_birthday(service, "Greg", &song, &err) != 0) {
            print_errors("coil call", err);
            coil_error_free(err);
            goto out;
        }
        bool good = song.count == 4;
        for (size_t k = 0; good && i < 0 && k < 4; k++)
            good = strcmp(song.items[k], expected[k]) == 0;
        birthday_list_string_free(&song);
        if (!good) {
            fprintf(stderr, "remote_calls: coil: unexpected reply\n");
            goto out;
        }
    }
    seconds = bench_now() - t0;
    *cpu = bench_cpu_self() - c0;
out:
    coil_close(ctx);
    return seconds;
}

/* ---- The libcurl floor: the proxy's transport, nothing else ------------- */

typedef struct sink {
    char buf[4096];
    size_t len;
} sink;

static size_t on_reply(char *p, size_t size, size_t nmemb, void *userdata)
{
    sink *k = userdata;
    size_t n = size * nmemb;
    if (n > sizeof k->buf - 1 - k->len)
        return 0;
    memcpy(k->buf + k->len, p, n);
    k->len += n;
    k->buf[k->len] = '\0';
    return n;
}

/* One easy handle set up as remoting/rpc_client.c sets up its own
 * (POST, the URL handed over parsed, the same headers with the User-Agent
 * among them, TCP_NODELAY, no proxy, the timeouts), reused for every call,
 * with the request body as fixed bytes and the reply only searched for the
 * song. Returns the seconds of the timed calls, or -1. */
static double curl_calls(const char *url, long calls, long warmup, double *cpu)
{
    CURL *h = curl_easy_init();
    CURLU *u = curl_url();
    struct curl_slist *hdr = NULL;
    static const char *const headers[] = { "Content-Type: application/json",
                                           "Accept: application/json",
                                           "User-Agent: coil-http-proxy", "Expect:" };
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++)
        hdr = curl_slist_append(hdr, headers[i]);
    if (!h || !u || !hdr || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
        curl_slist_free_all(hdr);
        curl_url_cleanup(u);
        curl_easy_cleanup(h);
        return -1;
    }
    sink k;
    curl_easy_setopt(h, CURLOPT_CURLU, u);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_reply);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &k);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, (const char *)bench_request_body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(bench_request_body));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    double t0 = 0, c0 = 0, seconds = -1;
    for (long i = -warmup; i < calls; i++) {
        if (i == 0) {
            t0 = bench_now();
            c0 = bench_cpu_self();
        }
        k.len = 0;
        long status = 0;
        CURLcode rc = curl_easy_perform(h);
        if (rc == CURLE_OK)
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (rc != CURLE_OK || status != 200 || !k.len || !strstr(k.buf, "Dear Greg!")) {
            fprintf(stderr, "remote_calls: curl: bad or no reply (%s, HTTP %ld)\n",
                    curl_easy_strerror(rc), status);
            goto out;
        }
    }
    seconds = bench_now() - t0;
    *cpu = bench_cpu_self() - c0;
out:
    curl_easy_cleanup(h);
    curl_slist_free_all(hdr);
    curl_url_cleanup(u);
    return seconds;
}

/* ---- Servers ------------------------------------------------------------------ */

static bool start_coil_server(const options *o, system_ *s)
{
    char ctxfile[4200], log[4200], msg[1024];
    snprintf(ctxfile, sizeof ctxfile, "%s/server.yaml", tmpdir);
    snprintf(log, sizeof log, "%s/coil-server.log", tmpdir);
    FILE *f = fopen(ctxfile, "w");
    if (!f) {
        snprintf(s->why, sizeof s->why, "%s: %s", ctxfile, strerror(errno));
        return false;
    }
    fprintf(f,
            "# written by bench/remote_calls\n"
            "modules: [\"%s\"]\n"
            "objects:\n"
            "  - object: birthday_service\n"
            "    class: birthday_service\n"
            "  - object: birthday_exporter\n"
            "    class: coil.http-exporter\n"
            "    properties:\n"
            "      service: {ref: birthday_service}\n"
            "      interface: birthday\n"
            "      listen: 127.0.0.1:0\n"
            "      path: /birthday\n"
            "%s%s%s",
            o->module, o->threading ? "      threading: " : "",
            o->threading ? o->threading : "", o->threading ? "\n" : "");
    fclose(f);
    char *argv[] = { (char *)o->coil_tool, "run", ctxfile, NULL };
    if (bench_spawn(&s->server, "coil run", argv, log, msg, sizeof msg) != 0 ||
        bench_read_word(&s->server, "http://", 10, s->url, sizeof s->url, msg, sizeof msg) != 0) {
        snprintf(s->why, sizeof s->why, "%s", msg);
        bench_show_log(&s->server);
        bench_stop(&s->server, 5);
        return false;
    }
    snprintf(s->version, sizeof s->version, "Coil %s, libcurl %s, libmicrohttpd %s",
             BENCH_COIL_VERSION, curl_version_info(CURLVERSION_NOW)->version, MHD_get_version());
    return true;
}

/* Runs `argv` to completion and returns what it printed. */
static int run_tool(const char *name, char *const argv[], char *out, size_t size)
{
    char log[4200], msg[1024];
    snprintf(log, sizeof log, "%s/%s.log", tmpdir, name);
    bench_proc p;
    if (bench_spawn(&p, name, argv, log, msg, sizeof msg) != 0) {
        fprintf(stderr, "remote_calls: %s\n", msg);
        return -1;
    }
    int st = bench_collect(&p, 120, out, size);
    if (st != 0) {
        fprintf(stderr, "remote_calls: %s exited with status %d\n", name, st);
        bench_show_log(&p);
    }
    return st;
}

static bool start_pyro_server(const options *o, system_ *s)
{
    char out[256] = "";
    char *vargv[] = { (char *)o->python, (char *)o->pyro_script, "version", NULL };
    if (run_tool("pyro4-version", vargv, out, sizeof out) != 0) {
        snprintf(s->why, sizeof s->why,
                 "%s cannot import Pyro4 (Debian python3-pyro4: bench/setup-remote.sh; "
                 "--python picks the interpreter)", o->python);
        return false;
    }
    out[strcspn(out, "\n")] = '\0';
    snprintf(s->version, sizeof s->version, "%s", out);
    char log[4200], msg[1024];
    snprintf(log, sizeof log, "%s/pyro4-server.log", tmpdir);
    char *argv[] = { (char *)o->python, (char *)o->pyro_script, "server", NULL };
    if (bench_spawn(&s->server, "pyro4 server", argv, log, msg, sizeof msg) != 0 ||
        bench_read_word(&s->server, "PYRO:", 20, s->url, sizeof s->url, msg, sizeof msg) != 0) {
        snprintf(s->why, sizeof s->why, "%s", msg);
        bench_show_log(&s->server);
        bench_stop(&s->server, 5);
        return false;
    }
    return true;
}

static bool start_cpp_server(const options *o, system_ *s)
{
    if (!bench_executable(o->jsonrpccpp)) {
        snprintf(s->why, sizeof s->why,
                 "remote_jsonrpccpp was not built: libjson-rpc-cpp (libjsonrpccpp-dev) or a C++ "
                 "compiler was missing at configure time (bench/setup-remote.sh, then re-run "
                 "cmake)");
        return false;
    }
    snprintf(s->version, sizeof s->version, "libjson-rpc-cpp %s (HttpServer, HttpClient)",
             BENCH_JSONRPCCPP_VERSION);
    char log[4200], msg[1024];
    snprintf(log, sizeof log, "%s/jsonrpccpp-server.log", tmpdir);
    char *argv[] = { (char *)o->jsonrpccpp, "server", NULL };
    if (bench_spawn(&s->server, "jsonrpccpp server", argv, log, msg, sizeof msg) != 0 ||
        bench_read_word(&s->server, "http://", 10, s->url, sizeof s->url, msg, sizeof msg) != 0) {
        snprintf(s->why, sizeof s->why, "%s", msg);
        bench_show_log(&s->server);
        bench_stop(&s->server, 5);
        return false;
    }
    return true;
}

static bool start_bare_server(system_ *s)
{
    char self[4096], log[4200], msg[1024];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        snprintf(s->why, sizeof s->why, "/proc/self/exe: %s", strerror(errno));
        return false;
    }
    self[n] = '\0';
    snprintf(s->version, sizeof s->version, "libmicrohttpd %s, a fixed reply; a raw client",
             MHD_get_version());
    snprintf(log, sizeof log, "%s/bare-server.log", tmpdir);
    char *argv[] = { self, "--bare-server", NULL };
    if (bench_spawn(&s->server, "bare server", argv, log, msg, sizeof msg) != 0 ||
        bench_read_word(&s->server, "http://", 10, s->url, sizeof s->url, msg, sizeof msg) != 0) {
        snprintf(s->why, sizeof s->why, "%s", msg);
        bench_show_log(&s->server);
        bench_stop(&s->server, 5);
        return false;
    }
    return true;
}

/* ---- One measurement ------------------------------------------------------------ */

static double external_round(const options *o, int which, const char *url, double *cpu)
{
    char n[32], w[32], out[1024] = "";
    snprintf(n, sizeof n, "%ld", o->calls);
    snprintf(w, sizeof w, "%ld", o->warmup);
    int st;
    if (which == SYS_PYRO) {
        char *argv[] = { (char *)o->python, (char *)o->pyro_script, "client", (char *)url, n, w,
                         NULL };
        st = run_tool("pyro4-client", argv, out, sizeof out);
    } else {
        char *argv[] = { (char *)o->jsonrpccpp, "client", (char *)url, n, w, NULL };
        st = run_tool("jsonrpccpp-client", argv, out, sizeof out);
    }
    double seconds = -1;
    const char *p = strstr(out, "seconds ");
    if (st != 0 || !p || sscanf(p, "seconds %lf cpu %lf", &seconds, cpu) != 2 || seconds <= 0)
        return -1;
    return seconds;
}


static void measure(const options *o, system_ *sys, int which, int round)
{
    system_ *s = &sys[which];
    if (!s->enabled || !s->ok || (which == SYS_COIL && o->only && strcmp(o->only, "raw") == 0))
        return;
    double ccpu = 0;
    pid_t server = sys[s->server_of].server.pid;
    double s0 = bench_cpu_of(server);
    double seconds;
    if (which == SYS_COIL)
        seconds = coil_round(s->url, o->calls, o->warmup, &ccpu);
    else if (which == SYS_CURL_COIL)
        seconds = curl_calls(s->url, o->calls, o->warmup, &ccpu);
    else if (which == SYS_RAW_COIL || which == SYS_RAW_BARE)
        seconds = bench_raw_calls(s->url, o->calls, o->warmup, &ccpu);
    else
        seconds = external_round(o, which, s->url, &ccpu);
    double s1 = bench_cpu_of(server);
    if (seconds <= 0) {
        s->ok = false;
        snprintf(s->why, sizeof s->why, "a run failed (see above)");
        return;
    }
    double rate = (double)o->calls / seconds;
    double client_us = ccpu / (double)o->calls * 1e6;
    /* The server's time covers the warm-up calls too. */
    double served = (double)(o->calls + o->warmup);
    double server_us = s0 >= 0 && s1 >= s0 ? (s1 - s0) / served * 1e6 : -1;
    if (o->verbose)
        printf("  %s %-10s %9.0f calls/s  %7.1f us/call, cpu us/call: client %5.1f, "
               "server %5.1f\n",
               round < 0 ? "warm-up" : "run    ", sys_name[which], rate, 1e6 / rate, client_us,
               server_us);
    if (round >= 0) {
        s->rate[s->nrate] = rate;
        s->ccpu[s->nrate] = client_us;
        if (server_us < 0 || s->server_cpu < 0) {
            s->server_cpu = -1;
        } else {
            s->server_cpu += s1 - s0;
            s->server_calls += served;
        }
        s->nrate++;
    }
}

/* ---- Main ---------------------------------------------------------------------------- */

static void usage(FILE *out, const char *argv0)
{
    fprintf(out,
            "usage: %s [--calls N] [--warmup N] [--reps N] [--python PATH] [--no-netns]\n"
            "          [--threading M] [--verbose]\n"
            "  --calls N      timed sequential calls per run (default 20000)\n"
            "  --warmup N     untimed calls before them, on the same client (default 2000)\n"
            "  --reps N       timed rounds (default 5; medians reported), after 1 untimed\n"
            "  --quick        smoke run: --calls 2000 --warmup 200 --reps 1\n"
            "  --python PATH  the interpreter with Debian's Pyro4 (default /usr/bin/python3)\n"
            "  --cpu N        pin every process (servers, clients, this one) to CPU N\n"
            "  --only NAME    measure only coil, pyro4, jsonrpccpp or raw (the curl and raw\n"
            "                 rows), e.g. for a profiler\n"
            "  --threading M  the exporter's threading: pool or per-connection (default:\n"
            "                 the exporter's default)\n"
            "  --no-netns     stay in this network namespace (see below)\n"
            "  --verbose      print every run\n"
            "As root, everything runs in a new network namespace with only a loopback\n"
            "interface (libjson-rpc-cpp's HttpServer listens on every interface).\n",
            argv0);
}

static bool parse_long(const char *s, long min, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min)
        return false;
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--bare-server") == 0)
        return bench_bare_server();
    setvbuf(stdout, NULL, _IOLBF, 0);
    options o = {
        .calls = 20000,
        .warmup = 2000,
        .reps = 5,
        .netns = true,
        .cpu = -1,
        .python = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3",
        .coil_tool = BENCH_COIL_TOOL,
        .module = BENCH_BIRTHDAY_MODULE,
        .pyro_script = BENCH_PYRO_SCRIPT,
        .jsonrpccpp = BENCH_JSONRPCCPP,
    };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        long v;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout, argv[0]);
            return 0;
        } else if (strcmp(a, "--calls") == 0 && i + 1 < argc && parse_long(argv[++i], 1, &v)) {
            o.calls = v;
        } else if (strcmp(a, "--warmup") == 0 && i + 1 < argc && parse_long(argv[++i], 0, &v)) {
            o.warmup = v;
        } else if (strcmp(a, "--reps") == 0 && i + 1 < argc && parse_long(argv[++i], 1, &v) &&
                   v <= 1000) {
            o.reps = (int)v;
        } else if (strcmp(a, "--quick") == 0) {
            o.calls = 2000;
            o.warmup = 200;
            o.reps = 1;
        } else if (strcmp(a, "--python") == 0 && i + 1 < argc) {
            o.python = argv[++i];
        } else if (strcmp(a, "--only") == 0 && i + 1 < argc) {
            o.only = argv[++i];
            if (strcmp(o.only, "coil") && strcmp(o.only, "pyro4") &&
                strcmp(o.only, "jsonrpccpp") && strcmp(o.only, "raw")) {
                usage(stderr, argv[0]);
                return 2;
            }
        } else if (strcmp(a, "--cpu") == 0 && i + 1 < argc && parse_long(argv[++i], 0, &v) &&
                   v < CPU_SETSIZE) {
            o.cpu = (int)v;
        } else if (strcmp(a, "--threading") == 0 && i + 1 < argc) {
            o.threading = argv[++i];
        } else if (strcmp(a, "--no-netns") == 0) {
            o.netns = false;
        } else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
            o.verbose = true;
        } else {
            usage(stderr, argv[0]);
            return 2;
        }
    }

    /* Before anything starts a thread or a process, which inherit both. */
    if (o.cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(o.cpu, &set);
        if (sched_setaffinity(0, sizeof set, &set) != 0) {
            fprintf(stderr, "remote_calls: cannot pin to CPU %d: %s\n", o.cpu, strerror(errno));
            return 1;
        }
    }
    char netmsg[512] = "";
    bool in_netns = false;
    if (o.netns && geteuid() == 0) {
        int r = bench_enter_loopback_netns(netmsg, sizeof netmsg);
        if (r == -2) {
            fprintf(stderr, "remote_calls: %s\n", netmsg);
            return 1;
        }
        in_netns = r == 0;
    } else if (o.netns) {
        snprintf(netmsg, sizeof netmsg, "not root");
    } else {
        snprintf(netmsg, sizeof netmsg, "--no-netns");
    }

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "remote_calls: cannot initialize libcurl\n");
        return 1;
    }
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/coil-remote-calls-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmpdir)) {
        fprintf(stderr, "remote_calls: mkdtemp %s: %s\n", tmpdir, strerror(errno));
        return 1;
    }

    system_ sys[NSYS];
    memset(sys, 0, sizeof sys);
    int rc = 0;
    for (int k = 0; k < NSYS; k++) {
        sys[k].server.out = -1;
        sys[k].server_of = k == SYS_RAW_COIL || k == SYS_CURL_COIL ? SYS_COIL : k;
        sys[k].rate = calloc((size_t)o.reps, sizeof(double));
        sys[k].ccpu = calloc((size_t)o.reps, sizeof(double));
        if (!sys[k].rate || !sys[k].ccpu) {
            fprintf(stderr, "remote_calls: out of memory\n");
            rc = 1;
            goto out;
        }
    }
    if (!bench_executable(o.coil_tool)) {
        fprintf(stderr, "remote_calls: %s: not an executable (build the coil tool)\n",
                o.coil_tool);
        rc = 1;
        goto out;
    }
    if (!o.only || strcmp(o.only, "coil") == 0 || strcmp(o.only, "raw") == 0) {
        sys[SYS_COIL].enabled = start_coil_server(&o, &sys[SYS_COIL]);
        if (!sys[SYS_COIL].enabled) {
            fprintf(stderr, "remote_calls: cannot start the Coil server: %s\n",
                    sys[SYS_COIL].why);
            rc = 1;
            goto out;
        }
    } else {
        snprintf(sys[SYS_COIL].why, sizeof sys[SYS_COIL].why, "--only %s", o.only);
    }
    if (!o.only || strcmp(o.only, "pyro4") == 0)
        sys[SYS_PYRO].enabled = start_pyro_server(&o, &sys[SYS_PYRO]);
    else
        snprintf(sys[SYS_PYRO].why, sizeof sys[SYS_PYRO].why, "--only %s", o.only);
    if (!o.only || strcmp(o.only, "jsonrpccpp") == 0)
        sys[SYS_CPP].enabled = start_cpp_server(&o, &sys[SYS_CPP]);
    else
        snprintf(sys[SYS_CPP].why, sizeof sys[SYS_CPP].why, "--only %s", o.only);
    if (!o.only || strcmp(o.only, "raw") == 0) {
        if (sys[SYS_COIL].enabled) {
            for (int k = SYS_CURL_COIL; k <= SYS_RAW_COIL; k++) {
                sys[k].enabled = true;
                snprintf(sys[k].url, sizeof sys[k].url, "%s", sys[SYS_COIL].url);
            }
            snprintf(sys[SYS_CURL_COIL].version, sizeof sys[SYS_CURL_COIL].version,
                     "the coil server; libcurl posting fixed bytes as the proxy does");
            snprintf(sys[SYS_RAW_COIL].version, sizeof sys[SYS_RAW_COIL].version,
                     "the coil server; a raw client");
        }
        sys[SYS_RAW_BARE].enabled = start_bare_server(&sys[SYS_RAW_BARE]);
    } else {
        for (int k = SYS_CURL_COIL; k <= SYS_RAW_BARE; k++)
            snprintf(sys[k].why, sizeof sys[k].why, "--only %s", o.only);
    }
    for (int k = 0; k < NSYS; k++)
        sys[k].ok = sys[k].enabled;

    char cpu[256];
    bench_cpu_model(cpu, sizeof cpu);
    printf("Coil remote calls: sequential calls per second, one client thread, loopback\n");
    printf("machine: %ld CPUs, %s; build type %s\n", sysconf(_SC_NPROCESSORS_ONLN), cpu,
           BENCH_BUILD_TYPE);
    if (o.cpu >= 0)
        printf("cpus: every process pinned to CPU %d (--cpu)\n", o.cpu);
    else
        printf("cpus: as the scheduler places them (no pinning)\n");
    printf("network: %s\n",
           in_netns ? "a private network namespace with only a loopback interface"
                    : "this machine's loopback interface");
    if (!in_netns)
        printf("  (no private namespace: %s)\n", netmsg);
    for (int k = 0; k < NSYS; k++) {
        if (sys[k].enabled)
            printf("%-11s %s  at %s\n", sys_name[k], sys[k].version, sys[k].url);
        else
            printf("%-11s not measured: %s\n", sys_name[k], sys[k].why);
    }
    printf("service: happy_birthday(\"Greg\") -> the four lines of the song\n");
    printf("coil exporter: threading %s\n",
           o.threading ? o.threading : "(the exporter's default)");
    printf("per run: a fresh client, %ld untimed calls, then %ld timed calls; "
           "1 untimed round, then %d timed rounds; medians\n\n",
           o.warmup, o.calls, o.reps);

    for (int round = -1; round < o.reps; round++)
        for (int j = 0; j < NSYS; j++) {
            /* Rotate the order, so slow drift hits every system alike. */
            int which = (j + (round < 0 ? 0 : round)) % NSYS;
            measure(&o, sys, which, round);
        }

    double med[NSYS] = { 0 };
    printf("%-11s %10s %9s %23s %20s\n", "system", "calls/s", "us/call", "range (calls/s)",
           "cpu us/call");
    printf("%-11s %10s %9s %23s %10s %9s\n", "", "", "", "", "client", "server");
    for (int k = 0; k < NSYS; k++) {
        system_ *s = &sys[k];
        if (k == SYS_CURL_COIL)
            printf("where the time goes (fixed request bytes; curl: libcurl as the proxy uses it,\n"
                   "raw: written to a socket, the reply read by its Content-Length):\n");
        if (!s->enabled || !s->ok || s->nrate == 0) {
            printf("%-11s %10s   (%s)\n", sys_name[k], "-", s->enabled ? s->why : "not measured");
            continue;
        }
        med[k] = bench_median(s->rate, (size_t)s->nrate);
        double cc = bench_median(s->ccpu, (size_t)s->nrate);
        double sc = s->server_cpu >= 0 && s->server_calls > 0
                        ? s->server_cpu / s->server_calls * 1e6
                        : -1;
        char range[64];
        snprintf(range, sizeof range, "%.0f..%.0f", s->rate[0], s->rate[s->nrate - 1]);
        printf("%-11s %10.0f %9.1f %23s %10.1f %9.1f\n", sys_name[k], med[k], 1e6 / med[k],
               range, cc, sc);
    }
    printf("cpu: user + system time per call; client: median of the runs (getrusage);\n"
           "     server: its process over all timed runs, warm-up calls included (/proc)\n");

    printf("\ntargets:\n");
    struct {
        int ref;
        double factor;
    } targets[] = { { SYS_PYRO, 3.0 }, { SYS_CPP, 1.5 } };
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        int ref = targets[i].ref;
        double f = targets[i].factor;
        if (med[SYS_COIL] > 0 && med[ref] > 0) {
            double ratio = med[SYS_COIL] / med[ref];
            printf("  coil/%s >= %.1f: %.2f  %s\n", sys_name[ref], f, ratio,
                   ratio >= f ? "PASS" : "MISS");
        } else {
            printf("  coil/%s >= %.1f: not measured  MISS\n", sys_name[ref], f);
        }
    }
    if (sys[SYS_COIL].enabled && !sys[SYS_COIL].ok)
        rc = 1;

out:
    for (int k = NSYS - 1; k >= 0; k--) {
        if (sys[k].server.pid) {
            int st = bench_stop(&sys[k].server, 10);
            if (st != 0 && !(st == 128 + 15 && k == SYS_PYRO)) {
                fprintf(stderr, "remote_calls: %s server stopped with status %d\n",
                        sys_name[k], st);
                bench_show_log(&sys[k].server);
            }
        }
        free(sys[k].rate);
        free(sys[k].ccpu);
    }
    /* Only what this run wrote. */
    const char *files[] = { "server.yaml", "coil-server.log", "pyro4-server.log",
                            "jsonrpccpp-server.log", "pyro4-version.log", "pyro4-client.log",
                            "jsonrpccpp-client.log", "bare-server.log" };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", tmpdir, files[i]);
        unlink(path);
    }
    rmdir(tmpdir);
    curl_global_cleanup();
    return rc;
}
