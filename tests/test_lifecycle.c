/* Creation order, lazy singletons, prototypes, init/destroy hooks, rollback
 * of a failing load, factories, coil_release and coil_definitions. */
#include "support/support.h"

#include <string.h>

/* A recorder definition: REC("a", "") or REC("a", ", first: {ref: b}"). */
#define REC(id, props)                                                     \
    "  - object: " id "\n"                                                 \
    "    class: recorder\n"                                                \
    "    properties: {name: " id props "}\n"
/* With extra definition keys (each line indented by 4). */
#define RECX(id, keys, props)                                              \
    "  - object: " id "\n"                                                 \
    "    class: recorder\n"                                                \
    keys                                                                   \
    "    properties: {name: " id props "}\n"

CTEST(lifecycle, independent_objects_keep_file_order) {
    coil_context *ctx = LOAD_OK("objects:\n" REC("a", "") REC("b", "") REC("c", ""));
    cr_assert_str_eq(tlog_get(), "init:a init:b init:c");
    coil_close(ctx);
    cr_assert_str_eq(tlog_get(), "init:a init:b init:c destroy:c destroy:b destroy:a");
    cr_assert_eq(recorder_live(), 0);
}

CTEST(lifecycle, dependencies_first) {
    coil_context *ctx = LOAD_OK("objects:\n"
                                REC("a", ", first: {ref: b}")
                                REC("b", ", first: {ref: c}")
                                REC("c", ""));
    cr_assert_str_eq(tlog_get(), "init:c init:b init:a");
    recorder *a = GET_OK(ctx, "a", NULL), *b = GET_OK(ctx, "b", NULL), *c = GET_OK(ctx, "c", NULL);
    cr_assert_eq(a->first, b);
    cr_assert_eq(b->first, c);
    coil_close(ctx);
    cr_assert_str_eq(tlog_get(), "init:c init:b init:a destroy:a destroy:b destroy:c");
}

CTEST(lifecycle, depends_on_in_order_given) {
    coil_context *ctx = LOAD_OK("objects:\n"
                                RECX("a", "    depends-on: [c, b]\n", "")
                                REC("b", "")
                                REC("c", ""));
    cr_assert_str_eq(tlog_get(), "init:c init:b init:a");
    coil_close(ctx);
}

CTEST(lifecycle, depends_on_as_scalar) {
    coil_context *ctx = LOAD_OK("objects:\n"
                                RECX("a", "    depends-on: b\n", "")
                                REC("b", ""));
    cr_assert_str_eq(tlog_get(), "init:b init:a");
    coil_close(ctx);
    cr_assert_str_eq(tlog_get(), "init:b init:a destroy:a destroy:b");
}

CTEST(lifecycle, properties_in_class_table_order) {
    /* `second` is written first, but `first` comes first in the class table. */
    coil_context *ctx = LOAD_OK("objects:\n"
                                REC("a", ", second: {ref: q}, first: {ref: p}")
                                REC("q", "")
                                REC("p", ""));
    cr_assert_str_eq(tlog_get(), "init:p init:q init:a");
    coil_close(ctx);
}

CTEST(lifecycle, depends_on_before_properties) {
    coil_context *ctx = LOAD_OK("objects:\n"
                                RECX("a", "    depends-on: [y]\n", ", first: {ref: x}")
                                REC("x", "")
                                REC("y", ""));
    cr_assert_str_eq(tlog_get(), "init:y init:x init:a");
    coil_close(ctx);
}

CTEST(lifecycle, list_refs_in_list_order) {
    coil_context *ctx = LOAD_OK("objects:\n"
                                REC("a", ", items: [{ref: c}, {ref: b}]")
                                REC("b", "")
                                REC("c", ""));
    cr_assert_str_eq(tlog_get(), "init:c init:b init:a");
    recorder *a = GET_OK(ctx, "a", NULL);
    cr_assert_eq(a->items.count, 2);
    cr_assert_eq(a->items.items[0], GET_OK(ctx, "c", NULL));
    cr_assert_eq(a->items.items[1], GET_OK(ctx, "b", NULL));
    coil_close(ctx);
    cr_assert_str_eq(tlog_get(), "init:c init:b init:a destroy:a destroy:b destroy:c");
}

CTEST(lifecycle, shared_dependency_created_once) {
    coil_context *ctx = LOAD_OK("objects:\n"
                                REC("a", ", first: {ref: s}")
                                REC("b", ", first: {ref: s}, second: {ref: a}")
                                REC("s", ""));
    cr_assert_str_eq(tlog_get(), "init:s init:a init:b");
    coil_close(ctx);
}

/* ---- Lazy singletons ---------------------------------------------------------------- */

CTEST(lifecycle, lazy_created_on_first_get) {
    coil_context *ctx = LOAD_OK("objects:\n"
                                RECX("l", "    lazy-init: true\n", "")
                                REC("e", ""));
    cr_assert_str_eq(tlog_get(), "init:e");
    recorder *l1 = GET_OK(ctx, "l", NULL);
    cr_assert_str_eq(tlog_get(), "init:e init:l");
    recorder *l2 = GET_OK(ctx, "l", NULL);
    cr_assert_eq(l1, l2);
    cr_assert_str_eq(tlog_get(), "init:e init:l");
    coil_close(ctx);
    cr_assert_str_eq(tlog_get(), "init:e init:l destroy:l destroy:e");
}

CTEST(lifecycle, lazy_never_requested_is_never_created) {
    coil_context *ctx = LOAD_OK("objects:\n" RECX("l", "    lazy-init: True\n", ""));
    coil_close(ctx);
    cr_assert_str_empty(tlog_get());
}

CTEST(lifecycle, lazy_dependencies_created_on_get) {
    coil_context *ctx = LOAD_OK("objects:\n"
                                RECX("l", "    lazy-init: true\n", ", first: {ref: m}")
                                RECX("m", "    lazy-init: true\n", "")
                                REC("e", ""));
    cr_assert_str_eq(tlog_get(), "init:e");
    recorder *l = GET_OK(ctx, "l", NULL);
    cr_assert_str_eq(tlog_get(), "init:e init:m init:l");
    cr_assert_eq(l->first, GET_OK(ctx, "m", NULL));
    cr_assert_str_eq(tlog_get(), "init:e init:m init:l");
    coil_close(ctx);
    cr_assert_str_eq(tlog_get(), "init:e init:m init:l destroy:l destroy:m destroy:e");
}

CTEST(lifecycle, eager_ref_to_lazy_creates_it_at_load) {
    coil_context *ctx = LOAD_OK("objects:\n"
                                REC("e", ", first: {ref: l}")
                                RECX("l", "    lazy-init: true\n", ""));
    cr_assert_str_eq(tlog_get(), "init:l init:e");
    recorder *e = GET_OK(ctx, "e", NULL);
    cr_assert_eq(e->first, GET_OK(ctx, "l", NULL));
    cr_assert_str_eq(tlog_get(), "init:l init:e", "the lazy one is not created again");
    coil_close(ctx);
    cr_assert_str_eq(tlog_get(), "init:l init:e destroy:e destroy:l");
}

CTEST(lifecycle, eager_depends_on_lazy_creates_it_at_load) {
    coil_context *ctx = LOAD_OK("objects:\n"
                                RECX("e", "    depends-on: l\n", "")
                                RECX("l", "    lazy-init: true\n", "")
                                RECX("unused", "    lazy-init: true\n", ""));
    cr_assert_str_eq(tlog_get(), "init:l init:e");
    coil_close(ctx);
    cr_assert_str_eq(tlog_get(), "init:l init:e destroy:e destroy:l");
}

CTEST(lifecycle, lazy_init_failure_on_get) {
    coil_context *ctx = LOAD_OK("objects:\n"
                                "  - object: l\n"
                                "    class: recorder\n"
                                "    lazy-init: true\n"
                                "    properties: {name: l, fail: true}\n"
                                REC("e", ""));
    coil_error *err = NULL;
    cr_assert_null(coil_get(ctx, "l", NULL, &err));
    EXPECT_ONLY_ERROR(err, COIL_EINIT, "app.yaml", 2, 5, "object 'l': init failed: boom from l");
    coil_error_free(err);
    /* The context stays usable. */
    GET_OK(ctx, "e", NULL);
    coil_close(ctx);
    cr_assert_str_eq(tlog_get(), "init:e destroy:e");
    cr_assert_eq(recorder_live(), 0);
}

/* ---- Prototypes ------------------------------------------------------------------------ */

CTEST(lifecycle, prototype_anew_on_each_get) {
    coil_context *ctx = LOAD_OK("objects:\n" RECX("p", "    scope: prototype\n", ""));
    cr_assert_str_empty(tlog_get(), "prototypes are not created at load");
    recorder *p1 = GET_OK(ctx, "p", NULL);
    recorder *p2 = GET_OK(ctx, "p", NULL);
    cr_assert_neq(p1, p2);
    cr_assert_str_eq(p1->name, "p");
    cr_assert_str_eq(p2->name, "p");
    cr_assert_str_eq(tlog_get(), "init:p init:p");
    cr_assert_eq(recorder_live(), 2);
    coil_close(ctx);
    cr_assert_str_eq(tlog_get(), "init:p init:p destroy:p destroy:p");
    cr_assert_eq(recorder_live(), 0);
}

CTEST(lifecycle, singletons_referring_to_a_prototype_get_their_own) {
    coil_context *ctx = LOAD_OK("objects:\n"
                                RECX("p", "    scope: prototype\n", "")
                                REC("s1", ", first: {ref: p}")
                                REC("s2", ", first: {ref: p}, second: {ref: p}"));
    cr_assert_str_eq(tlog_get(), "init:p init:s1 init:p init:p init:s2");
    recorder *s1 = GET_OK(ctx, "s1", NULL), *s2 = GET_OK(ctx, "s2", NULL);
    recorder *p = GET_OK(ctx, "p", NULL);
    cr_assert_not_null(s1->first);
    cr_assert_neq(s1->first, s2->first);
    cr_assert_neq(s2->first, s2->second);
    cr_assert_neq(p, s1->first);
    cr_assert_neq(p, s2->first);
    coil_close(ctx);
    cr_assert_eq(recorder_live(), 0);
    cr_assert_str_eq(tlog_get(), "init:p init:s1 init:p init:p init:s2 init:p "
                                 "destroy:p destroy:s2 destroy:p destroy:p destroy:s1 destroy:p");
}

CTEST(lifecycle, prototypes_share_singletons) {
    coil_context *ctx = LOAD_OK("objects:\n"
                                RECX("p", "    scope: prototype\n", ", first: {ref: s}")
                                REC("s", ""));
    recorder *p1 = GET_OK(ctx, "p", NULL), *p2 = GET_OK(ctx, "p", NULL);
    recorder *s = GET_OK(ctx, "s", NULL);
    cr_assert_eq(p1->first, s);
    cr_assert_eq(p2->first, s);
    cr_assert_str_eq(tlog_get(), "init:s init:p init:p");
    coil_close(ctx);
}

CTEST(lifecycle, destroy_in_exact_reverse_creation_order) {
    coil_context *ctx = LOAD_OK("objects:\n"
                                REC("e1", "")
                                RECX("l", "    lazy-init: true\n", "")
                                RECX("p", "    scope: prototype\n", "")
                                REC("e2", ""));
    GET_OK(ctx, "p", NULL);
    GET_OK(ctx, "l", NULL);
    GET_OK(ctx, "p", NULL);
    cr_assert_str_eq(tlog_get(), "init:e1 init:e2 init:p init:l init:p");
    coil_close(ctx);
    cr_assert_str_eq(tlog_get(), "init:e1 init:e2 init:p init:l init:p "
                                 "destroy:p destroy:l destroy:p destroy:e2 destroy:e1");
}

CTEST(lifecycle, release_a_prototype) {
    coil_context *ctx = LOAD_OK("objects:\n"
                                "  - object: p\n"
                                "    class: recorder\n"
                                "    scope: prototype\n"
                                "    properties:\n"
                                "      name: p\n"
                                "      first: {class: recorder, properties: {name: inner}}\n"
                                "      second: {ref: s}\n"
                                "      items: [{ref: q}]\n"
                                RECX("q", "    scope: prototype\n", "")
                                REC("s", ""));
    cr_assert_str_eq(tlog_get(), "init:s");
    recorder *p = GET_OK(ctx, "p", NULL);
    cr_assert_str_eq(tlog_get(), "init:s init:inner init:q init:p");
    cr_assert_eq(coil_release(ctx, p), 0);
    cr_assert_str_eq(tlog_get(), "init:s init:inner init:q init:p "
                                 "destroy:p destroy:q destroy:inner",
                     "the objects created only for it go with it");
    cr_assert_eq(coil_release(ctx, p), COIL_EINVAL, "released twice");
    recorder *s = GET_OK(ctx, "s", NULL);
    cr_assert_eq(coil_release(ctx, s), COIL_EINVAL, "a singleton is not released");
    int local = 0;
    cr_assert_eq(coil_release(ctx, &local), COIL_EINVAL);
    coil_close(ctx);
    cr_assert_str_eq(tlog_get(), "init:s init:inner init:q init:p "
                                 "destroy:p destroy:q destroy:inner destroy:s");
    cr_assert_eq(recorder_live(), 0);
}

CTEST(lifecycle, release_one_of_several) {
    coil_context *ctx = LOAD_OK("objects:\n" RECX("p", "    scope: prototype\n", ""));
    recorder *a = GET_OK(ctx, "p", NULL);
    recorder *b = GET_OK(ctx, "p", NULL);
    recorder *c = GET_OK(ctx, "p", NULL);
    cr_assert_eq(coil_release(ctx, b), 0);
    cr_assert_eq(recorder_live(), 2);
    cr_assert_eq(a->magic, RECORDER_MAGIC);
    cr_assert_eq(c->magic, RECORDER_MAGIC);
    coil_close(ctx);
    cr_assert_eq(recorder_live(), 0);
}

/* ---- Rollback -------------------------------------------------------------------------- */

CTEST(lifecycle, failing_init_rolls_back_in_reverse_order) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"                                   /* 1 */
                      "  - object: a\n"                              /* 2 */
                      "    class: recorder\n"                        /* 3 */
                      "    properties: {name: a}\n"                  /* 4 */
                      "  - object: b\n"                              /* 5 */
                      "    class: recorder\n"                        /* 6 */
                      "    properties: {name: b, first: {ref: a}}\n" /* 7 */
                      "  - object: c\n"                              /* 8 */
                      "    class: recorder\n"                        /* 9 */
                      "    properties: {name: c, fail: true}\n"      /* 10 */
                      "  - object: d\n"                              /* 11 */
                      "    class: recorder\n"                        /* 12 */
                      "    properties: {name: d}\n", &err);          /* 13 */
    EXPECT_ONLY_ERROR(err, COIL_EINIT, "app.yaml", 8, 5, "object 'c': init failed: boom from c");
    coil_error_free(err);
    cr_assert_str_eq(tlog_get(), "init:a init:b destroy:b destroy:a");
    cr_assert_eq(recorder_live(), 0);
}

CTEST(lifecycle, rollback_frees_every_kind_of_property) {
    /* Nothing may leak (the ASan build checks): strings, lists, JSON values,
     * inner objects, custom-allocated instances. */
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: x\n"
                      "    class: everything\n"
                      "    properties:\n"
                      "      s: text\n"
                      "      strs: [a, b, c]\n"
                      "      ints: [1, 2]\n"
                      "      dbls: [1.5]\n"
                      "      bools: [yes]\n"
                      "      map: {a: [1, 2, {b: c}]}\n"
                      "      any: {k: v}\n"
                      "      mode: fast\n"
                      "      ref: {class: recorder, properties: {name: inner}}\n"
                      "      refs: [{class: counted, properties: {n: 1}}, {ref: c}]\n"
                      "  - object: c\n"
                      "    class: counted\n"
                      "  - object: w\n"
                      "    class: widget_factory\n"
                      "    properties: {label: w}\n"
                      "  - object: bad\n"
                      "    class: recorder\n"
                      "    properties: {name: bad, fail: true, items: [{ref: p}]}\n"
                      "  - object: p\n"
                      "    class: recorder\n"
                      "    scope: prototype\n"
                      "    properties: {name: p, first: {class: recorder, properties: {name: pin}}}\n",
                      &err);
    EXPECT_ONLY_ERROR(err, COIL_EINIT, "app.yaml", 20, 5, "object 'bad': init failed: boom from bad");
    coil_error_free(err);
    cr_assert_str_eq(tlog_get(), "init:inner init:w produce:w init:pin init:p "
                                 "destroy:p destroy:pin destroy:w destroy:inner");
    cr_assert_eq(recorder_live(), 0);
    cr_assert_eq(counted_live(), 0);
}

CTEST(lifecycle, failing_produce_rolls_back) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      REC("a", "")
                      "  - object: w\n"
                      "    class: widget_factory\n"
                      "    properties: {label: w, fail_produce: true}\n"
                      REC("z", ""), &err);
    cr_assert_eq(coil_error_count(err), 1, "%s", dump_errors(err));
    cr_assert_str_eq(err->file, "app.yaml");
    cr_assert_eq(err->line, 5, "%s", dump_errors(err));
    cr_assert(strstr(err->message, "no widget today") != NULL, "%s", err->message);
    coil_error_free(err);
    cr_assert_str_eq(tlog_get(), "init:a init:w destroy:w destroy:a");
}

/* ---- Factories ----------------------------------------------------------------------------- */

CTEST(lifecycle, factory_get_returns_the_product) {
    coil_context *ctx = LOAD_OK("objects:\n"
                                "  - object: w\n"
                                "    class: widget_factory\n"
                                "    properties: {label: w1}\n"
                                "  - object: x\n"
                                "    class: everything\n"
                                "    properties: {ref: {ref: w}}\n");
    widget *w = GET_OK(ctx, "w", NULL);
    cr_assert_eq(w->magic, WIDGET_MAGIC);
    cr_assert_str_eq(w->label, "w1");
    cr_assert_eq(GET_OK(ctx, "w", &widget_iface), w, "the product implements the factory's interfaces");
    everything *x = GET_OK(ctx, "x", NULL);
    cr_assert_eq(x->ref, w, "a ref to a factory gets its product");
    cr_assert_str_eq(tlog_get(), "init:w1 produce:w1");

    coil_error *err = NULL;
    cr_assert_null(coil_get(ctx, "w", &other_iface, &err));
    EXPECT_ONLY_ERROR(err, COIL_EINTERFACE, NULL, 0, 0,
                      "object 'w' (class 'widget_factory') does not implement interface 'other'");
    coil_error_free(err);
    coil_close(ctx);
    cr_assert_str_eq(tlog_get(), "init:w1 produce:w1 destroy:w1");
}

CTEST(lifecycle, factory_prototype_produces_anew) {
    coil_context *ctx = LOAD_OK("objects:\n"
                                "  - object: w\n"
                                "    class: widget_factory\n"
                                "    scope: prototype\n"
                                "    properties: {label: pw}\n");
    widget *a = GET_OK(ctx, "w", NULL), *b = GET_OK(ctx, "w", NULL);
    cr_assert_neq(a, b);
    cr_assert_eq(coil_release(ctx, a), 0, "a prototype product is released by its pointer");
    cr_assert_str_eq(tlog_get(), "init:pw produce:pw init:pw produce:pw destroy:pw");
    coil_close(ctx);
    cr_assert_str_eq(tlog_get(), "init:pw produce:pw init:pw produce:pw destroy:pw destroy:pw");
}

/* ---- Interfaces at get time ------------------------------------------------------------------ */

CTEST(lifecycle, get_with_interfaces) {
    coil_context *ctx = LOAD_OK("objects:\n"
                                "  - object: g\n"
                                "    class: greeter\n"
                                "  - object: d\n"
                                "    class: dyn\n"
                                "    properties: {iface: dynamic}\n");
    greeter *g = GET_OK(ctx, "g", &greeter_iface);
    cr_assert_str_eq(greeter_impl_ops.greet(g), "hello");
    GET_OK(ctx, "d", &dynamic_iface);
    coil_error *err = NULL;
    cr_assert_null(coil_get(ctx, "d", &greeter_iface, &err));
    EXPECT_ONLY_ERROR(err, COIL_EINTERFACE, NULL, 0, 0,
                      "object 'd' (class 'dyn') does not implement interface 'greeter'");
    coil_error_free(err);
    /* Interfaces are matched by name, not by descriptor address. */
    static const coil_interface greeter_copy = { .abi = COIL_ABI_VERSION, .name = "greeter" };
    cr_assert_eq(GET_OK(ctx, "g", &greeter_copy), g);
    coil_close(ctx);
}

/* ---- create_objects = false --------------------------------------------------------------------- */

CTEST(lifecycle, check_only_creates_nothing) {
    coil_options *opts = test_options();
    coil_options_create_objects(opts, false);
    coil_error *err = NULL;
    coil_context *ctx = load_app_opts("objects:\n"
                                      REC("a", ", first: {ref: b}")
                                      REC("b", "")
                                      "  - object: bad\n"
                                      "    class: recorder\n"
                                      "    properties: {name: bad, fail: true}\n",
                                      opts, &err);
    cr_assert_not_null(ctx, "%s", dump_errors(err));
    size_t n = 0;
    const coil_definition_info *defs = coil_definitions(ctx, &n);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(defs[0].name, "b");
    cr_assert_eq(defs[0].creation_index, 0);
    cr_assert_str_eq(defs[1].name, "a");
    cr_assert_eq(defs[1].creation_index, 1);
    cr_assert_str_eq(defs[2].name, "bad");
    cr_assert_eq(defs[2].creation_index, 2);
    coil_close(ctx);
    coil_options_free(opts);
    cr_assert_str_empty(tlog_get());
}

CTEST(lifecycle, check_only_still_reports_errors) {
    coil_options *opts = test_options();
    coil_options_create_objects(opts, false);
    coil_error *err = NULL;
    cr_assert_null(load_app_opts("objects:\n"
                                 "  - object: a\n"
                                 "    class: nope\n", opts, &err));
    EXPECT_ONLY_ERROR(err, COIL_ECLASS, "app.yaml", 3, 12, "object 'a': unknown class 'nope'");
    coil_error_free(err);
    coil_options_free(opts);
}

/* ---- coil_definitions ------------------------------------------------------------------------------ */

static size_t strv_len(const char *const *v) {
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

CTEST(lifecycle, definitions_describe_the_context) {
    coil_context *ctx = LOAD_OK("objects:\n"                             /* 1 */
                                "  - object: lazy1\n"                    /* 2 */
                                "    class: recorder\n"                  /* 3 */
                                "    lazy-init: true\n"                  /* 4 */
                                "  - object: e1\n"                       /* 5 */
                                "    class: recorder\n"                  /* 6 */
                                "    alias: [e1a, e1b]\n"                /* 7 */
                                "    depends-on: [e2]\n"                 /* 8 */
                                "    properties: {first: {ref: e3}}\n"   /* 9 */
                                "  - object: tmpl\n"                     /* 10 */
                                "    abstract: true\n"                   /* 11 */
                                "    class: recorder\n"                  /* 12 */
                                "  - object: proto\n"                    /* 13 */
                                "    class: recorder\n"                  /* 14 */
                                "    scope: prototype\n"                 /* 15 */
                                "  - object: e2\n"                       /* 16 */
                                "    class: widget_factory\n"            /* 17 */
                                "    properties: {label: w}\n"           /* 18 */
                                "  - object: e3\n"                       /* 19 */
                                "    class: recorder\n"                  /* 20 */
                                "  - object: bare\n"                     /* 21 */
                                "    abstract: true\n");                 /* 22 */
    size_t n = 0;
    const coil_definition_info *d = coil_definitions(ctx, &n);
    cr_assert_not_null(d);
    cr_assert_eq(n, 7);
    struct {
        const char *name, *cls;
        coil_scope scope;
        bool lazy, abstract, factory;
        unsigned line;
        size_t index;
    } want[] = {
        { "e2", "widget_factory", COIL_SINGLETON, false, false, true, 16, 0 },
        { "e3", "recorder", COIL_SINGLETON, false, false, false, 19, 1 },
        { "e1", "recorder", COIL_SINGLETON, false, false, false, 5, 2 },
        { "lazy1", "recorder", COIL_SINGLETON, true, false, false, 2, (size_t)-1 },
        { "tmpl", "recorder", COIL_SINGLETON, false, true, false, 10, (size_t)-1 },
        { "proto", "recorder", COIL_PROTOTYPE, false, false, false, 13, (size_t)-1 },
        { "bare", NULL, COIL_SINGLETON, false, true, false, 21, (size_t)-1 },
    };
    for (size_t k = 0; k < n; k++) {
        cr_assert_str_eq(d[k].name, want[k].name, "definition %zu", k);
        if (want[k].cls)
            cr_assert_str_eq(d[k].class_name, want[k].cls, "%s", want[k].name);
        else
            cr_assert_null(d[k].class_name, "%s", want[k].name);
        cr_assert_eq(d[k].scope, want[k].scope, "%s", want[k].name);
        cr_assert_eq(d[k].lazy, want[k].lazy, "%s", want[k].name);
        cr_assert_eq(d[k].abstract, want[k].abstract, "%s", want[k].name);
        cr_assert_eq(d[k].factory, want[k].factory, "%s", want[k].name);
        cr_assert_str_eq(d[k].file, "app.yaml");
        cr_assert_eq(d[k].line, want[k].line, "%s line %u", want[k].name, d[k].line);
        cr_assert_eq(d[k].column, 5, "%s", want[k].name);
        cr_assert_eq(d[k].creation_index, want[k].index, "%s index %zu", want[k].name, d[k].creation_index);
    }
    /* e1: aliases and what it needs first (depends-on, then properties). */
    cr_assert_eq(strv_len(d[2].aliases), 2);
    cr_assert_str_eq(d[2].aliases[0], "e1a");
    cr_assert_str_eq(d[2].aliases[1], "e1b");
    cr_assert_eq(strv_len(d[2].depends_on), 2);
    cr_assert_str_eq(d[2].depends_on[0], "e2");
    cr_assert_str_eq(d[2].depends_on[1], "e3");
    cr_assert_eq(strv_len(d[0].aliases), 0);
    cr_assert_eq(strv_len(d[0].depends_on), 0);
    coil_close(ctx);
}

CTEST(lifecycle, definition_position_is_its_first_key) {
    coil_context *ctx = LOAD_OK("objects:\n"
                                "  - {object: a, class: recorder}\n"
                                "  - class: recorder\n"
                                "    object: b\n"
                                "  -   object: c\n"
                                "      class: recorder\n");
    size_t n = 0;
    const coil_definition_info *d = coil_definitions(ctx, &n);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(d[0].name, "a");
    cr_assert_eq(d[0].line, 2);
    cr_assert_eq(d[0].column, 6, "the o of object, not the brace: %u", d[0].column);
    cr_assert_str_eq(d[1].name, "b");
    cr_assert_eq(d[1].line, 3);
    cr_assert_eq(d[1].column, 5);
    cr_assert_str_eq(d[2].name, "c");
    cr_assert_eq(d[2].line, 5);
    cr_assert_eq(d[2].column, 7);
    coil_close(ctx);
}

CTEST(lifecycle, definitions_of_an_empty_context) {
    coil_context *ctx = LOAD_OK("");
    size_t n = 99;
    coil_definitions(ctx, &n);
    cr_assert_eq(n, 0);
    coil_close(ctx);
}
