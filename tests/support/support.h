/* Test support for the Coil criterion suites: test classes compiled into the
 * test executables, a global lifecycle log, and assertion helpers that check
 * an error's code, position and message exactly. */
#ifndef COIL_TEST_SUPPORT_H
#define COIL_TEST_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <criterion/criterion.h>

#include "coil/coil.h"

/* ---- Leak-checked tests ---------------------------------------------------
 * Criterion runs each test in a forked child and ignores LeakSanitizer's exit
 * status, so under COIL_SANITIZE every test body ends with an explicit leak
 * check that fails the test when anything allocated by it is unreachable.
 * Write tests as  CTEST(suite, name) { ... }, or with criterion options as
 * CTEST_X(suite, name, .timeout = 30) { ... } */
void support_leak_check(void);

#define CTEST_X(suite, name, ...)                                 \
    static void suite##__##name##__body(void);                    \
    Test(suite, name, __VA_ARGS__) {                              \
        suite##__##name##__body();                                \
        support_leak_check();                                     \
    }                                                             \
    static void suite##__##name##__body(void)

#define CTEST(suite, name) CTEST_X(suite, name, .disabled = false)

/* ---- The lifecycle log ----------------------------------------------------
 * recorder and widget_factory hooks append "init:NAME", "destroy:NAME",
 * "produce:NAME" here; entries are separated by single spaces. Thread-safe. */
void tlog_reset(void);
void tlog_add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *tlog_get(void);

/* ---- Interfaces ---------------------------------------------------------- */
extern const coil_interface greeter_iface;   /* "greeter" */
extern const coil_interface widget_iface;    /* "widget" */
extern const coil_interface other_iface;     /* "other": implemented by nobody */
extern const coil_interface dynamic_iface;   /* "dynamic": only via query() */

typedef struct greeter_ops { const char *(*greet)(void *self); } greeter_ops;
extern const greeter_ops greeter_impl_ops;
typedef struct dynamic_ops { int (*answer)(void *self); } dynamic_ops;
extern const dynamic_ops dyn_ops;

/* A typed call carried out the way a remoting proxy does it, without the
 * network: the arguments of `m` (of interface `iface`) to JSON, the call
 * on `target` with coil_invoke_method, and the reply back into *result.
 * For the `forward` hook of test classes; returns its code, *err set on
 * failure. */
int support_forward_json(void *target, const coil_interface *iface, const coil_method *m,
                         void *const *args, void *result, coil_error **err);

/* ---- Classes -------------------------------------------------------------- */

/* "everything": one property of every type, with checks and defaults. */
typedef struct everything {
    char *s;
    int64_t i;
    double d;
    bool b;
    coil_strings strs;
    coil_ints ints;
    coil_doubles dbls;
    coil_bools bools;
    void *ref;
    coil_refs refs;
    json_t *map;
    json_t *any;
    coil_ref_or_value either;
    int64_t verses;     /* COIL_RANGE(1, 8) */
    char *mode;         /* one of fast, slow */
    double ratio;       /* COIL_FRANGE(0, 1) */
    int64_t dint;       /* default "7" */
    char *dstr;         /* default "hello" */
    bool dflag;         /* default "yes" */
    double dnum;        /* default "2.5" */
} everything;
extern const coil_class everything_class;

/* "needy": `finder` (ref) and `name` (string) are required. */
typedef struct needy { void *finder; char *name; int64_t count; } needy;
extern const coil_class needy_class;

/* "recorder": logs init:NAME / destroy:NAME; init fails (COIL_EINIT, message
 * "boom from NAME") when `fail` is true. Its refs must point to recorders:
 * init checks they were initialized first (else logs "early:NAME"). */
#define RECORDER_MAGIC 0x7265636fu
typedef struct recorder {
    uint32_t magic;       /* set by init, cleared by destroy */
    char *name;
    bool fail;
    void *first;
    void *second;
    coil_refs items;
} recorder;
extern const coil_class recorder_class;
int recorder_live(void);  /* initialized and not yet destroyed */

/* "widget_factory": a factory; coil_get returns its `widget` product, which
 * implements "widget". Logs init:LABEL, produce:LABEL, destroy:LABEL. */
#define WIDGET_MAGIC 0x77696467u
typedef struct widget { uint32_t magic; const char *label; } widget;
typedef struct widget_factory { char *label; bool fail_produce; widget product; } widget_factory;
extern const coil_class widget_factory_class;

/* "greeter": implements "greeter". */
typedef struct greeter { char *greeting; } greeter;
extern const coil_class greeter_class;

/* "greeter_user": its `greeter` ref property declares the "greeter" interface. */
typedef struct greeter_user { void *greeter; } greeter_user;
extern const coil_class greeter_user_class;

/* "dyn": implements the interface named by its `iface` property via query(). */
typedef struct dyn { char *iface; } dyn;
extern const coil_class dyn_class;

/* "slow": a slow init (yields a few thousand times) counting creations. */
typedef struct slow { int64_t id; int creation; } slow;
extern const coil_class slow_class;
int slow_creations(void);

/* "counted": custom create/dealloc; counted_live() tracks instances. */
typedef struct counted { int64_t n; } counted;
extern const coil_class counted_class;
int counted_live(void);

/* Spring Python's example classes, under the names its YamlConfig docs use. */
#define SPRING_PKG "springpythontest.support.testSupportClasses."
typedef struct movie_lister { void *finder; void *description; } movie_lister;
typedef struct movie_finder { char *filename; } movie_finder;
typedef struct string_holder { char *str; } string_holder;
typedef struct value_holder {
    json_t *some_dict;
    coil_strings some_list;
    coil_strings some_set;
    coil_strings some_frozen_set;
    coil_strings some_tuple;
    json_t *some_props;
    coil_refs holders;
    int64_t count;
    double ratio;
    bool flag;
    char *label;
} value_holder;
extern const coil_class movie_lister_class;
extern const coil_class movie_finder_class;
extern const coil_class string_holder_class;
extern const coil_class value_holder_class;

/* An in-process module ("linked", classes "linked.a" and "linked.b": both
 * plain greeters) and one with a wrong ABI version. */
extern const coil_module linked_module;
extern const coil_module linked_module_badabi;

/* ---- Helpers ------------------------------------------------------------- */

/* New options with every test class above registered. */
coil_options *test_options(void);

/* coil_load_string(yaml, "app.yaml", opts) with test_options() when opts is NULL. */
coil_context *load_app(const char *yaml, coil_error **err);
coil_context *load_app_opts(const char *yaml, const coil_options *opts, coil_error **err);

/* All errors of a chain, formatted one per line (static buffer), for
 * assertion messages. */
const char *dump_errors(const coil_error *err);

/* The n-th error (0-based) of a chain, or NULL. */
const coil_error *nth_error(const coil_error *err, size_t n);

/* The first error with `code` in a chain, or NULL. */
const coil_error *find_error(const coil_error *err, coil_code code);

/* Checks one error exactly: code, file (NULL: no check), line/column (0: no
 * check), message (NULL: no check). `all` is the whole chain, for the
 * failure message. */
void check_error(const char *where, const coil_error *all, const coil_error *e,
                 coil_code code, const char *file, unsigned line, unsigned column,
                 const char *message);

#define SUPPORT_STR2(x) #x
#define SUPPORT_STR(x) SUPPORT_STR2(x)
#define HERE __FILE__ ":" SUPPORT_STR(__LINE__)

/* Asserts that `err` holds exactly one error and checks it. */
#define EXPECT_ONLY_ERROR(err, code, file, line, col, msg)                       \
    do {                                                                          \
        cr_assert_eq(coil_error_count(err), 1, "%s: expected exactly one error, got %zu:\n%s", \
                     HERE, coil_error_count(err), dump_errors(err));              \
        check_error(HERE, (err), (err), (code), (file), (line), (col), (msg));    \
    } while (0)

/* Checks the n-th error of the chain. */
#define EXPECT_NTH_ERROR(err, n, code, file, line, col, msg)                     \
    check_error(HERE, (err), nth_error((err), (n)), (code), (file), (line), (col), (msg))

/* Checks the first error with that code (which must exist). */
#define EXPECT_SOME_ERROR(err, code, file, line, col, msg)                       \
    check_error(HERE, (err), find_error((err), (code)), (code), (file), (line), (col), (msg))

/* Loads `yaml` as app.yaml and asserts the load failed. */
#define EXPECT_LOAD_FAILS(yaml, errp)                                             \
    do {                                                                          \
        coil_context *ctx_ = load_app((yaml), (errp));                            \
        cr_assert_null(ctx_, "%s: the load should have failed", HERE);            \
        cr_assert_not_null(*(errp), "%s: a failed load must report an error", HERE); \
    } while (0)

/* Loads `yaml` as app.yaml and asserts it worked. */
#define LOAD_OK(yaml)                                                             \
    ({                                                                            \
        coil_error *e_ = NULL;                                                    \
        coil_context *c_ = load_app((yaml), &e_);                                 \
        cr_assert_not_null(c_, "%s: load failed:\n%s", HERE, dump_errors(e_));    \
        cr_assert_null(e_, "%s: a successful load left errors:\n%s", HERE, dump_errors(e_)); \
        c_;                                                                       \
    })

/* coil_get that must succeed. */
#define GET_OK(ctx, name, iface)                                                  \
    ({                                                                            \
        coil_error *ge_ = NULL;                                                   \
        void *go_ = coil_get((ctx), (name), (iface), &ge_);                       \
        cr_assert_not_null(go_, "%s: coil_get(%s) failed:\n%s", HERE, (name), dump_errors(ge_)); \
        cr_assert_null(ge_, "%s: coil_get(%s) left an error", HERE, (name));      \
        go_;                                                                      \
    })

/* Changes to the tests/data directory (relative context paths). */
void chdir_data(void);

#endif
