/* Lifecycle log, leak check and assertion helpers for the Coil test suites. */
#include "support/support.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifdef COIL_TEST_LSAN
#include <sanitizer/lsan_interface.h>
#endif

/* Leaks are checked at the end of every test body (support_leak_check); the
 * check at exit would only repeat them, or report what a test that already
 * failed an assertion did not get to free. Programs the tests run (the coil
 * binary) keep their own exit-time check. */
#ifdef COIL_TEST_LSAN
__attribute__((visibility("default"))) const char *__lsan_default_options(void);
__attribute__((visibility("default"))) const char *__lsan_default_options(void) {
    return "leak_check_at_exit=0";
}
#endif

void support_leak_check(void) {
#ifdef COIL_TEST_LSAN
    int leaked = __lsan_do_recoverable_leak_check();
    cr_assert_eq(leaked, 0, "memory leaked: see the LeakSanitizer report above");
#endif
}

/* ---- log ----------------------------------------------------------------- */

static pthread_mutex_t tlog_lock = PTHREAD_MUTEX_INITIALIZER;
static char tlog_buf[16384];
static size_t tlog_len;

void tlog_reset(void) {
    pthread_mutex_lock(&tlog_lock);
    tlog_len = 0;
    tlog_buf[0] = '\0';
    pthread_mutex_unlock(&tlog_lock);
}

void tlog_add(const char *fmt, ...) {
    char entry[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(entry, sizeof entry, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&tlog_lock);
    int n = snprintf(tlog_buf + tlog_len, sizeof tlog_buf - tlog_len, "%s%s",
                     tlog_len ? " " : "", entry);
    if (n > 0 && (size_t)n < sizeof tlog_buf - tlog_len)
        tlog_len += (size_t)n;
    pthread_mutex_unlock(&tlog_lock);
}

const char *tlog_get(void) { return tlog_buf; }

/* ---- options and loading --------------------------------------------------- */

coil_options *test_options(void) {
    static const coil_class *const classes[] = {
        &everything_class, &needy_class, &recorder_class, &widget_factory_class,
        &greeter_class, &greeter_user_class, &dyn_class, &slow_class, &counted_class,
        &movie_lister_class, &movie_finder_class, &string_holder_class, &value_holder_class,
    };
    coil_options *opts = coil_options_new();
    cr_assert_not_null(opts);
    for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
        cr_assert_eq(coil_options_add_class(opts, classes[i]), 0,
                     "registering class %s failed", classes[i]->name);
    return opts;
}

coil_context *load_app_opts(const char *yaml, const coil_options *opts, coil_error **err) {
    return coil_load_string(yaml, "app.yaml", opts, err);
}

coil_context *load_app(const char *yaml, coil_error **err) {
    coil_options *opts = test_options();
    coil_context *ctx = load_app_opts(yaml, opts, err);
    coil_options_free(opts);
    return ctx;
}

void chdir_data(void) {
    cr_assert_eq(chdir(COIL_TEST_DATA), 0, "cannot chdir to %s", COIL_TEST_DATA);
}

/* ---- errors ------------------------------------------------------------------ */

const char *dump_errors(const coil_error *err) {
    static char buf[32768];
    size_t len = 0;
    buf[0] = '\0';
    if (!err)
        return "(no error)";
    for (const coil_error *e = err; e && len < sizeof buf - 1; e = e->next) {
        char line[1024];
        coil_error_format(e, line, sizeof line);
        int n = snprintf(buf + len, sizeof buf - len, "  [%s] %s\n",
                         coil_error_name((int)e->code), line);
        if (n < 0)
            break;
        len += (size_t)n;
        if (len >= sizeof buf)
            len = sizeof buf - 1;
    }
    return buf;
}

const coil_error *nth_error(const coil_error *err, size_t n) {
    while (err && n--)
        err = err->next;
    return err;
}

const coil_error *find_error(const coil_error *err, coil_code code) {
    for (; err; err = err->next)
        if (err->code == code)
            return err;
    return NULL;
}

void check_error(const char *where, const coil_error *all, const coil_error *e,
                 coil_code code, const char *file, unsigned line, unsigned column,
                 const char *message) {
    cr_assert_not_null(e, "%s: expected a %s error, got:\n%s", where,
                       coil_error_name((int)code), dump_errors(all));
    cr_assert_eq(e->code, code, "%s: expected code %s, got %s; errors:\n%s", where,
                 coil_error_name((int)code), coil_error_name((int)e->code), dump_errors(all));
    cr_assert_not_null(e->message, "%s: error without a message", where);
    if (message)
        cr_assert_str_eq(e->message, message, "%s: message\n  expected: %s\n  got:      %s", where,
                         message, e->message);
    if (file) {
        cr_assert_not_null(e->file, "%s: expected a position in %s, got none (%s)", where, file,
                           e->message);
        cr_assert_str_eq(e->file, file, "%s: file: expected %s, got %s (%s)", where, file,
                         e->file, e->message);
    }
    if (line)
        cr_assert(e->line == line && (column == 0 || e->column == column),
                  "%s: position: expected %u:%u, got %u:%u (%s)", where, line, column, e->line,
                  e->column, e->message);
}

int support_forward_json(void *target, const coil_interface *iface, const coil_method *m,
                         void *const *args, void *result, coil_error **err)
{
    json_t *params = json_array();
    for (size_t i = 0; i < m->nparams; i++) {
        json_t *v = coil_value_to_json(m->params[i].type, args[i], m->params[i].name, err);
        if (!v) {
            json_decref(params);
            return (*err)->code;
        }
        json_array_append_new(params, v);
    }
    json_t *reply = NULL;
    int rc = coil_invoke_method(target, iface, m, params, &reply, err);
    json_decref(params);
    if (rc == 0 && m->result)
        rc = coil_value_from_json(m->result, reply, result, m->name, err);
    json_decref(reply);
    return rc;
}
