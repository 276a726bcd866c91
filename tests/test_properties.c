/* Property binding: every type, YAML 1.1 scalar typing, Spring Python
 * wrappers, defaults, checks, refs and inner objects, and the type errors. */
#include "support/support.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static everything *get_x(coil_context *ctx) { return GET_OK(ctx, "x", NULL); }

/* Loads one `everything` object "x" with the given properties block (lines
 * indented by 6) followed by the given extra definitions. */
static coil_context *load_x(const char *props, const char *extra) {
    char yaml[4096];
    snprintf(yaml, sizeof yaml,
             "objects:\n"
             "  - object: x\n"
             "    class: everything\n"
             "    properties:\n"
             "%s"
             "%s", props, extra ? extra : "");
    return LOAD_OK(yaml);
}

CTEST(properties, every_type) {
    coil_context *ctx = load_x(
        "      s: hello world\n"
        "      i: -42\n"
        "      d: 4.5\n"
        "      b: yes\n"
        "      strs: [a, 1, true, \"q\", 2.50]\n"
        "      ints: [1, 0x10, 0o17, -3, +7]\n"
        "      dbls: [1, 2.5, -0.5, 3]\n"
        "      bools: [true, no, on, off, True, False]\n"
        "      ref: {ref: g1}\n"
        "      refs: [{ref: g1}, {ref: g2}]\n"
        "      map: {a: 1, b: 2.5, c: true, d: ~, e: text, f: [1, two], g: {h: i}, q: \"7\"}\n"
        "      any: [1, \"two\", 3.5, false, null, {k: v}]\n"
        "      verses: 8\n"
        "      mode: slow\n"
        "      ratio: 0.5\n",
        "  - object: g1\n"
        "    class: greeter\n"
        "  - object: g2\n"
        "    class: greeter\n"
        "    properties: {greeting: hi}\n");
    everything *x = get_x(ctx);
    cr_assert_str_eq(x->s, "hello world");
    cr_assert_eq(x->i, -42);
    cr_assert_float_eq(x->d, 4.5, 1e-12);
    cr_assert(x->b);

    cr_assert_eq(x->strs.count, 5);
    const char *strs[] = { "a", "1", "true", "q", "2.50" };
    for (size_t k = 0; k < 5; k++)
        cr_assert_str_eq(x->strs.items[k], strs[k], "strs[%zu]", k);

    cr_assert_eq(x->ints.count, 5);
    const int64_t ints[] = { 1, 16, 15, -3, 7 };
    for (size_t k = 0; k < 5; k++)
        cr_assert_eq(x->ints.items[k], ints[k], "ints[%zu] = %lld", k, (long long)x->ints.items[k]);

    cr_assert_eq(x->dbls.count, 4);
    const double dbls[] = { 1, 2.5, -0.5, 3 };
    for (size_t k = 0; k < 4; k++)
        cr_assert_float_eq(x->dbls.items[k], dbls[k], 1e-12, "dbls[%zu]", k);

    cr_assert_eq(x->bools.count, 6);
    const bool bools[] = { true, false, true, false, true, false };
    for (size_t k = 0; k < 6; k++)
        cr_assert_eq(x->bools.items[k], bools[k], "bools[%zu]", k);

    greeter *g1 = GET_OK(ctx, "g1", NULL), *g2 = GET_OK(ctx, "g2", NULL);
    cr_assert_eq(x->ref, g1);
    cr_assert_eq(x->refs.count, 2);
    cr_assert_eq(x->refs.items[0], g1);
    cr_assert_eq(x->refs.items[1], g2);
    cr_assert_str_eq(g2->greeting, "hi");

    json_t *m = x->map;
    cr_assert(json_is_object(m));
    cr_assert_eq(json_object_size(m), 8);
    cr_assert(json_is_integer(json_object_get(m, "a")));
    cr_assert_eq(json_integer_value(json_object_get(m, "a")), 1);
    cr_assert(json_is_real(json_object_get(m, "b")));
    cr_assert_float_eq(json_real_value(json_object_get(m, "b")), 2.5, 1e-12);
    cr_assert(json_is_true(json_object_get(m, "c")));
    cr_assert(json_is_null(json_object_get(m, "d")));
    cr_assert_str_eq(json_string_value(json_object_get(m, "e")), "text");
    json_t *f = json_object_get(m, "f");
    cr_assert(json_is_array(f) && json_array_size(f) == 2);
    cr_assert_eq(json_integer_value(json_array_get(f, 0)), 1);
    cr_assert_str_eq(json_string_value(json_array_get(f, 1)), "two");
    json_t *gm = json_object_get(m, "g");
    cr_assert(json_is_object(gm));
    cr_assert_str_eq(json_string_value(json_object_get(gm, "h")), "i");
    cr_assert(json_is_string(json_object_get(m, "q")), "a quoted scalar stays a string");
    cr_assert_str_eq(json_string_value(json_object_get(m, "q")), "7");

    json_t *a = x->any;
    cr_assert(json_is_array(a) && json_array_size(a) == 6);
    cr_assert(json_is_integer(json_array_get(a, 0)));
    cr_assert_str_eq(json_string_value(json_array_get(a, 1)), "two");
    cr_assert(json_is_real(json_array_get(a, 2)));
    cr_assert(json_is_false(json_array_get(a, 3)));
    cr_assert(json_is_null(json_array_get(a, 4)));
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(a, 5), "k")), "v");

    cr_assert_eq(x->verses, 8);
    cr_assert_str_eq(x->mode, "slow");
    cr_assert_float_eq(x->ratio, 0.5, 1e-12);
    coil_close(ctx);
}

CTEST(properties, defaults_apply_when_absent) {
    coil_context *ctx = load_x("      s: x\n", NULL);
    everything *x = get_x(ctx);
    cr_assert_eq(x->dint, 7);
    cr_assert_str_eq(x->dstr, "hello");
    cr_assert(x->dflag);
    cr_assert_float_eq(x->dnum, 2.5, 1e-12);
    /* Absent properties without a default stay zero. */
    cr_assert_eq(x->i, 0);
    cr_assert_null(x->mode);
    cr_assert_null(x->map);
    cr_assert_eq(x->strs.count, 0);
    coil_close(ctx);
}

CTEST(properties, defaults_are_overridden) {
    coil_context *ctx = load_x("      dint: 9\n"
                               "      dstr: bye\n"
                               "      dflag: off\n"
                               "      dnum: -1\n", NULL);
    everything *x = get_x(ctx);
    cr_assert_eq(x->dint, 9);
    cr_assert_str_eq(x->dstr, "bye");
    cr_assert_not(x->dflag);
    cr_assert_float_eq(x->dnum, -1.0, 1e-12);
    coil_close(ctx);
}

CTEST(properties, null_leaves_a_property_unset) {
    coil_context *ctx = load_x("      s: ~\n"
                               "      i: null\n"
                               "      map: ~\n"
                               "      ref: ~\n", NULL);
    everything *x = get_x(ctx);
    cr_assert_null(x->s);
    cr_assert_eq(x->i, 0);
    cr_assert_null(x->map);
    cr_assert_null(x->ref);
    coil_close(ctx);
}

CTEST(properties, string_takes_any_scalar_as_written) {
    coil_context *ctx = load_x("      s: 0x10\n"
                               "      mode: fast\n"
                               "      strs: [4.50, yes, ~x, '007', \"a: b\", -0]\n", NULL);
    everything *x = get_x(ctx);
    cr_assert_str_eq(x->s, "0x10");
    const char *want[] = { "4.50", "yes", "~x", "007", "a: b", "-0" };
    cr_assert_eq(x->strs.count, 6);
    for (size_t k = 0; k < 6; k++)
        cr_assert_str_eq(x->strs.items[k], want[k]);
    coil_close(ctx);
}

CTEST(properties, bool_words) {
    const char *words[] = { "true", "false", "yes", "no", "on", "off", "True", "False" };
    const bool values[] = { true, false, true, false, true, false, true, false };
    for (size_t k = 0; k < 8; k++) {
        char props[64];
        snprintf(props, sizeof props, "      b: %s\n      dflag: %s\n", words[k], words[k]);
        coil_context *ctx = load_x(props, NULL);
        everything *x = get_x(ctx);
        cr_assert_eq(x->b, values[k], "b: %s", words[k]);
        cr_assert_eq(x->dflag, values[k], "dflag: %s", words[k]);
        coil_close(ctx);
    }
}

CTEST(properties, integer_forms) {
    struct { const char *text; int64_t value; } cases[] = {
        { "0", 0 }, { "-17", -17 }, { "+5", 5 }, { "0x1F", 31 }, { "0o17", 15 },
        { "-0x10", -16 }, { "9223372036854775807", INT64_MAX },
        { "-9223372036854775808", INT64_MIN },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char props[64];
        snprintf(props, sizeof props, "      i: %s\n", cases[k].text);
        coil_context *ctx = load_x(props, NULL);
        cr_assert_eq(get_x(ctx)->i, cases[k].value, "i: %s gave %lld", cases[k].text,
                     (long long)get_x(ctx)->i);
        coil_close(ctx);
    }
}

CTEST(properties, double_forms) {
    coil_context *ctx = load_x("      d: 3\n"
                               "      dbls: [.inf, -.inf, .nan, 0.25, -2]\n", NULL);
    everything *x = get_x(ctx);
    cr_assert_float_eq(x->d, 3.0, 1e-12);
    cr_assert_eq(x->dbls.count, 5);
    cr_assert(isinf(x->dbls.items[0]) && x->dbls.items[0] > 0);
    cr_assert(isinf(x->dbls.items[1]) && x->dbls.items[1] < 0);
    cr_assert(isnan(x->dbls.items[2]));
    cr_assert_float_eq(x->dbls.items[3], 0.25, 1e-12);
    cr_assert_float_eq(x->dbls.items[4], -2.0, 1e-12);
    coil_close(ctx);
}

CTEST(properties, empty_lists) {
    coil_context *ctx = load_x("      strs: []\n"
                               "      ints: []\n"
                               "      refs: []\n", NULL);
    everything *x = get_x(ctx);
    cr_assert_eq(x->strs.count, 0);
    cr_assert_eq(x->ints.count, 0);
    cr_assert_eq(x->refs.count, 0);
    coil_close(ctx);
}

CTEST(properties, any_keeps_scalar_types) {
    coil_context *ctx = load_x("      any: 42\n", NULL);
    cr_assert(json_is_integer(get_x(ctx)->any));
    cr_assert_eq(json_integer_value(get_x(ctx)->any), 42);
    coil_close(ctx);
    ctx = load_x("      any: hello\n", NULL);
    cr_assert_str_eq(json_string_value(get_x(ctx)->any), "hello");
    coil_close(ctx);
    ctx = load_x("      any: \"42\"\n", NULL);
    cr_assert(json_is_string(get_x(ctx)->any));
    cr_assert_str_eq(json_string_value(get_x(ctx)->any), "42");
    coil_close(ctx);
    ctx = load_x("      any: {a: [1, {b: off}]}\n", NULL);
    json_t *b = json_object_get(json_array_get(json_object_get(get_x(ctx)->any, "a"), 1), "b");
    cr_assert(json_is_false(b));
    coil_close(ctx);
}

/* A ref-or-value property: {ref: id} or an inner object gives the object;
 * anything else is a plain value, as for COIL_T_ANY. */
CTEST(properties, ref_or_value_takes_either) {
    coil_context *ctx = load_x("      either: {ref: y}\n",
                               "  - object: y\n"
                               "    class: everything\n"
                               "    properties: {s: why}\n");
    everything *x = get_x(ctx);
    cr_assert_null(x->either.value);
    cr_assert_eq(x->either.ref, GET_OK(ctx, "y", NULL), "the ref is the object itself");
    coil_close(ctx);

    ctx = load_x("      either:\n"
                 "        class: everything\n"
                 "        properties: {s: inner}\n", NULL);
    x = get_x(ctx);
    cr_assert_null(x->either.value);
    cr_assert_not_null(x->either.ref);
    cr_assert_str_eq(((everything *)x->either.ref)->s, "inner");
    coil_close(ctx);

    ctx = load_x("      either: http://127.0.0.1:7700/naming\n", NULL);
    x = get_x(ctx);
    cr_assert_null(x->either.ref);
    cr_assert_str_eq(json_string_value(x->either.value), "http://127.0.0.1:7700/naming");
    coil_close(ctx);

    ctx = load_x("      either: {etcd: http://127.0.0.1:2379, prefix: /coil/}\n", NULL);
    x = get_x(ctx);
    cr_assert_null(x->either.ref);
    cr_assert_str_eq(json_string_value(json_object_get(x->either.value, "etcd")),
                     "http://127.0.0.1:2379");
    cr_assert_str_eq(json_string_value(json_object_get(x->either.value, "prefix")), "/coil/");
    coil_close(ctx);

    ctx = load_x("      either: 7\n", NULL);
    cr_assert_eq(json_integer_value(get_x(ctx)->either.value), 7);
    coil_close(ctx);
}

/* The ref form creates the target first, and an unknown target is the
 * same error as for a plain ref. */
CTEST(properties, ref_or_value_ref_is_a_dependency) {
    coil_context *ctx = load_x("      either: {ref: y}\n",
                               "  - object: y\n"
                               "    class: everything\n"
                               "    lazy-init: true\n");
    cr_assert_not_null(get_x(ctx)->either.ref, "a lazy target is created for it");
    coil_close(ctx);

    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: x\n"
                      "    class: everything\n"
                      "    properties:\n"
                      "      either: {ref: nowhere}\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_EREF, "app.yaml", 5, 21,
                      "object 'x': property 'either' refers to undefined object 'nowhere'");
    coil_error_free(err);
    err = NULL;

    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: x\n"
                      "    class: everything\n"
                      "    properties:\n"
                      "      either: [1, {ref: y}]\n", &err);
    cr_assert_eq(err->code, COIL_ETYPE, "%s", dump_errors(err));
    cr_assert_eq(err->line, 5);
    coil_error_free(err);
}

/* ---- Spring Python wrappers ------------------------------------------------------------ */

CTEST(properties, sequence_wrappers) {
    coil_context *ctx = load_x("      strs: {list: [a, b]}\n"
                               "      ints: {tuple: [3, 1, 3]}\n"
                               "      bools: {frozenset: [yes, yes, no]}\n"
                               "      dbls: {set: [1.5, 2, 1.5]}\n", NULL);
    everything *x = get_x(ctx);
    cr_assert_eq(x->strs.count, 2);
    cr_assert_str_eq(x->strs.items[0], "a");
    cr_assert_str_eq(x->strs.items[1], "b");
    cr_assert_eq(x->ints.count, 3, "a tuple keeps duplicates");
    cr_assert_eq(x->ints.items[2], 3);
    cr_assert_eq(x->bools.count, 2, "a frozenset drops duplicates");
    cr_assert(x->bools.items[0]);
    cr_assert_not(x->bools.items[1]);
    cr_assert_eq(x->dbls.count, 2, "a set drops duplicates");
    cr_assert_float_eq(x->dbls.items[0], 1.5, 1e-12);
    cr_assert_float_eq(x->dbls.items[1], 2.0, 1e-12);
    coil_close(ctx);
}

CTEST(properties, set_keeps_first_order) {
    coil_context *ctx = load_x("      strs: {set: [b, a, b, c, a]}\n", NULL);
    everything *x = get_x(ctx);
    cr_assert_eq(x->strs.count, 3);
    cr_assert_str_eq(x->strs.items[0], "b");
    cr_assert_str_eq(x->strs.items[1], "a");
    cr_assert_str_eq(x->strs.items[2], "c");
    coil_close(ctx);
}

CTEST(properties, dict_wrapper) {
    coil_context *ctx = load_x("      map: {dict: {a: 1, list: x}}\n"
                               "      any: {dict: {k: [1]}}\n", NULL);
    everything *x = get_x(ctx);
    cr_assert_eq(json_object_size(x->map), 2);
    cr_assert_eq(json_integer_value(json_object_get(x->map, "a")), 1);
    cr_assert_str_eq(json_string_value(json_object_get(x->map, "list")), "x");
    cr_assert(json_is_array(json_object_get(x->any, "k")));
    coil_close(ctx);
}

CTEST(properties, scalar_type_wrappers) {
    coil_context *ctx = load_x("      s: {str: 42}\n"
                               "      i: {int: \"42\"}\n"
                               "      d: {float: 3}\n"
                               "      b: {bool: \"yes\"}\n"
                               "      dint: {long: 12}\n"
                               "      any: [{str: 42}, {int: \"7\"}, {float: 2}, {bool: \"off\"}]\n", NULL);
    everything *x = get_x(ctx);
    cr_assert_str_eq(x->s, "42");
    cr_assert_eq(x->i, 42);
    cr_assert_float_eq(x->d, 3.0, 1e-12);
    cr_assert(x->b);
    cr_assert_eq(x->dint, 12);
    json_t *a = x->any;
    cr_assert(json_is_string(json_array_get(a, 0)));
    cr_assert_str_eq(json_string_value(json_array_get(a, 0)), "42");
    cr_assert(json_is_integer(json_array_get(a, 1)));
    cr_assert_eq(json_integer_value(json_array_get(a, 1)), 7);
    cr_assert(json_is_real(json_array_get(a, 2)));
    cr_assert_float_eq(json_real_value(json_array_get(a, 2)), 2.0, 1e-12);
    cr_assert(json_is_false(json_array_get(a, 3)));
    coil_close(ctx);
}

CTEST(properties, forced_type_that_does_not_fit) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: x\n"
                      "    class: everything\n"
                      "    properties:\n"
                      "      i: {int: many}\n", &err);
    cr_assert_eq(coil_error_count(err), 1, "%s", dump_errors(err));
    cr_assert_eq(err->code, COIL_ETYPE, "%s", dump_errors(err));
    cr_assert_eq(err->line, 5);
    coil_error_free(err);
}

/* ---- Refs and inner objects -------------------------------------------------------------- */

CTEST(properties, inner_objects_as_values) {
    coil_context *ctx = LOAD_OK("objects:\n"
                                "  - object: outer\n"
                                "    class: recorder\n"
                                "    properties:\n"
                                "      name: outer\n"
                                "      first:\n"
                                "        class: recorder\n"
                                "        properties: {name: inner1}\n"
                                "      items:\n"
                                "        - {ref: other}\n"
                                "        - class: recorder\n"
                                "          object: named_inner\n"
                                "          properties: {name: inner2}\n"
                                "  - object: other\n"
                                "    class: recorder\n"
                                "    properties: {name: other}\n");
    recorder *outer = GET_OK(ctx, "outer", NULL);
    recorder *other = GET_OK(ctx, "other", NULL);
    recorder *inner1 = outer->first;
    cr_assert_not_null(inner1);
    cr_assert_str_eq(inner1->name, "inner1");
    cr_assert_eq(outer->items.count, 2);
    cr_assert_eq(outer->items.items[0], other);
    cr_assert_str_eq(((recorder *)outer->items.items[1])->name, "inner2");

    /* Inner objects are private to their outer object. */
    coil_error *err = NULL;
    cr_assert_null(coil_get(ctx, "named_inner", NULL, &err));
    cr_assert_eq(err->code, COIL_ENOTFOUND);
    coil_error_free(err);
    err = NULL;
    cr_assert_null(coil_get(ctx, "outer.first", NULL, &err));
    cr_assert_eq(err->code, COIL_ENOTFOUND);
    coil_error_free(err);
    size_t n = 0;
    coil_definitions(ctx, &n);
    cr_assert_eq(n, 2, "inner objects are not top-level definitions");

    coil_close(ctx);
    cr_assert_eq(recorder_live(), 0);
    cr_assert_null(strstr(tlog_get(), "early:"), "%s", tlog_get());
    cr_assert_null(strstr(tlog_get(), "dangling:"), "%s", tlog_get());
}

CTEST(properties, inner_objects_created_in_property_order) {
    /* The shared singletons outer needs come first (other); then, as its
     * properties are set in class-table order, its own inner objects:
     * first (inner1), then items (inner2); then outer itself. */
    coil_context *ctx = LOAD_OK("objects:\n"
                                "  - object: outer\n"
                                "    class: recorder\n"
                                "    properties:\n"
                                "      name: outer\n"
                                "      first:\n"
                                "        class: recorder\n"
                                "        properties: {name: inner1}\n"
                                "      items:\n"
                                "        - {ref: other}\n"
                                "        - class: recorder\n"
                                "          properties: {name: inner2}\n"
                                "  - object: other\n"
                                "    class: recorder\n"
                                "    properties: {name: other}\n");
    cr_assert_str_eq(tlog_get(), "init:other init:inner1 init:inner2 init:outer");
    coil_close(ctx);
    cr_assert_str_eq(tlog_get(), "init:other init:inner1 init:inner2 init:outer "
                                 "destroy:outer destroy:inner2 destroy:inner1 destroy:other");
}

CTEST(properties, inner_object_errors_are_named_after_their_place) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: outer\n"
                      "    class: recorder\n"
                      "    properties:\n"
                      "      first:\n"
                      "        class: recorder\n"
                      "        properties: {bogus: 1}\n"
                      "      items:\n"
                      "        - class: greeter\n"
                      "        - class: recorder\n"
                      "          properties: {wrong: 2}\n"
                      "      second:\n"
                      "        object: named\n"
                      "        class: recorder\n"
                      "        properties: {fail: maybe}\n", &err);
    cr_assert_eq(coil_error_count(err), 3, "%s", dump_errors(err));
    EXPECT_NTH_ERROR(err, 0, COIL_EPROPERTY, "app.yaml", 7, 22,
                     "object 'outer.first': class 'recorder' has no property 'bogus'");
    EXPECT_NTH_ERROR(err, 1, COIL_EPROPERTY, "app.yaml", 11, 24,
                     "object 'outer.items[1]': class 'recorder' has no property 'wrong'");
    EXPECT_NTH_ERROR(err, 2, COIL_ETYPE, "app.yaml", 15, 28,
                     "object 'named': property 'fail' expects a bool, got 'maybe'");
    coil_error_free(err);
}

CTEST(properties, ref_property_checks_declared_interface) {
    coil_context *ctx = LOAD_OK("objects:\n"
                                "  - object: g\n"
                                "    class: greeter\n"
                                "  - object: u\n"
                                "    class: greeter_user\n"
                                "    properties: {greeter: {ref: g}}\n");
    greeter_user *u = GET_OK(ctx, "u", NULL);
    cr_assert_eq(u->greeter, GET_OK(ctx, "g", NULL));
    coil_close(ctx);

    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: r\n"
                      "    class: recorder\n"
                      "  - object: u\n"
                      "    class: greeter_user\n"
                      "    properties: {greeter: {ref: r}}\n", &err);
    cr_assert_eq(coil_error_count(err), 1, "%s", dump_errors(err));
    cr_assert_eq(err->code, COIL_EINTERFACE, "%s", dump_errors(err));
    coil_error_free(err);
    cr_assert_str_empty(tlog_get());
}

CTEST(properties, refs_inside_a_map_are_refused) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: g\n"
                      "    class: greeter\n"
                      "  - object: x\n"
                      "    class: everything\n"
                      "    properties:\n"
                      "      map: {a: 1, b: {ref: g}}\n", &err);
    cr_assert_eq(coil_error_count(err), 1, "%s", dump_errors(err));
    cr_assert_eq(err->code, COIL_ETYPE, "%s", dump_errors(err));
    cr_assert_eq(err->line, 7);
    coil_error_free(err);
}

/* ---- Type errors: the type words of the spec ------------------------------------------------ */

struct type_case { const char *prop, *value, *message; };

static void check_type_error(const struct type_case *c) {
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "objects:\n"
             "  - object: x\n"
             "    class: everything\n"
             "    properties:\n"
             "      %s: %s\n", c->prop, c->value);
    coil_error *err = NULL;
    coil_context *ctx = load_app(yaml, &err);
    cr_assert_null(ctx, "%s: %s should not load", c->prop, c->value);
    char where[128];
    snprintf(where, sizeof where, "%s: %s", c->prop, c->value);
    cr_assert_eq(coil_error_count(err), 1, "%s: %s", where, dump_errors(err));
    check_error(where, err, err, COIL_ETYPE, "app.yaml", 5, (unsigned)(7 + strlen(c->prop) + 2),
                NULL);
    /* Not fatal: every case of a table gets checked. */
    cr_expect_str_eq(err->message, c->message, "%s: message\n  expected: %s\n  got:      %s", where,
                     c->message, err->message);
    coil_error_free(err);
}

CTEST(properties, type_errors_name_expected_and_got) {
    static const struct type_case cases[] = {
        { "s", "[a, b]", "object 'x': property 's' expects a string, got a list" },
        { "s", "{k: v}", "object 'x': property 's' expects a string, got a map" },
        { "i", "4.5", "object 'x': property 'i' expects an int, got '4.5'" },
        { "i", "[1]", "object 'x': property 'i' expects an int, got a list" },
        { "i", "1_000", "object 'x': property 'i' expects an int, got '1_000'" },
        { "i", "true", "object 'x': property 'i' expects an int, got 'true'" },
        { "d", "abc", "object 'x': property 'd' expects a number, got 'abc'" },
        { "d", "{a: 1}", "object 'x': property 'd' expects a number, got a map" },
        { "b", "maybe", "object 'x': property 'b' expects a bool, got 'maybe'" },
        { "b", "1", "object 'x': property 'b' expects a bool, got '1'" },
        { "strs", "abc", "object 'x': property 'strs' expects a list of strings, got 'abc'" },
        { "ints", "5", "object 'x': property 'ints' expects a list of ints, got '5'" },
        { "dbls", "{a: 1}", "object 'x': property 'dbls' expects a list of numbers, got a map" },
        { "bools", "yes", "object 'x': property 'bools' expects a list of bools, got 'yes'" },
        { "ref", "abc", "object 'x': property 'ref' expects a ref ({ref: id} or an inner object), got 'abc'" },
        { "ref", "[a]", "object 'x': property 'ref' expects a ref ({ref: id} or an inner object), got a list" },
        { "refs", "abc", "object 'x': property 'refs' expects a list of refs, got 'abc'" },
        { "map", "abc", "object 'x': property 'map' expects a map, got 'abc'" },
        { "map", "[1, 2]", "object 'x': property 'map' expects a map, got a list" },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        check_type_error(&cases[k]);
}

CTEST(properties, int_outside_int64_is_a_value_error) {
    /* It is an integer, just too large for int64_t: COIL_EVALUE, not ETYPE. */
    static const char *const values[] = { "9223372036854775808", "-9223372036854775809" };
    for (size_t k = 0; k < sizeof values / sizeof values[0]; k++) {
        char yaml[256], want[160];
        snprintf(yaml, sizeof yaml,
                 "objects:\n  - object: x\n    class: everything\n    properties:\n      i: %s\n",
                 values[k]);
        snprintf(want, sizeof want, "object 'x': property 'i': %s does not fit in an int",
                 values[k]);
        coil_error *err = NULL;
        cr_assert_null(load_app(yaml, &err));
        EXPECT_ONLY_ERROR(err, COIL_EVALUE, "app.yaml", 5, 10, want);
        coil_error_free(err);
    }
    /* The extremes themselves fit. */
    coil_context *ctx = LOAD_OK("objects:\n  - object: x\n    class: everything\n"
                                "    properties: {i: -9223372036854775808}\n");
    coil_close(ctx);
}

CTEST(properties, list_element_errors_point_at_the_element) {
    struct { const char *line; unsigned column; } cases[] = {
        { "      ints: [1, two, 3]\n", 17 },
        { "      dbls: [1.5, x]\n", 19 },
        { "      bools: [yes, sometimes]\n", 20 },
        { "      refs: [{ref: g}, 3]\n", 24 },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char yaml[512];
        snprintf(yaml, sizeof yaml,
                 "objects:\n"
                 "  - object: g\n"
                 "    class: greeter\n"
                 "  - object: x\n"
                 "    class: everything\n"
                 "    properties:\n"
                 "%s", cases[k].line);
        coil_error *err = NULL;
        cr_assert_null(load_app(yaml, &err), "%s", cases[k].line);
        cr_assert_eq(coil_error_count(err), 1, "%s%s", cases[k].line, dump_errors(err));
        check_error(cases[k].line, err, err, COIL_ETYPE, "app.yaml", 7, cases[k].column, NULL);
        cr_assert(strncmp(err->message, "object 'x': property '", 22) == 0, "%s", err->message);
        coil_error_free(err);
    }
}

CTEST(properties, list_element_errors_across_lines) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: x\n"
                      "    class: everything\n"
                      "    properties:\n"
                      "      ints:\n"
                      "        - 1\n"
                      "        - 2\n"
                      "        - three\n"
                      "        - 4.5\n", &err);
    cr_assert_eq(coil_error_count(err), 2, "%s", dump_errors(err));
    EXPECT_NTH_ERROR(err, 0, COIL_ETYPE, "app.yaml", 8, 11, NULL);
    EXPECT_NTH_ERROR(err, 1, COIL_ETYPE, "app.yaml", 9, 11, NULL);
    coil_error_free(err);
}

CTEST(properties, checks_apply_to_defaults_and_bounds) {
    coil_context *ctx = load_x("      verses: 1\n"
                               "      ratio: 0\n"
                               "      mode: fast\n", NULL);
    cr_assert_eq(get_x(ctx)->verses, 1);
    coil_close(ctx);
    ctx = load_x("      verses: 8\n"
                 "      ratio: 1.0\n", NULL);
    cr_assert_eq(get_x(ctx)->verses, 8);
    coil_close(ctx);
}

CTEST(properties, counted_class_uses_create_and_dealloc) {
    coil_context *ctx = LOAD_OK("objects:\n"
                                "  - object: c1\n"
                                "    class: counted\n"
                                "    properties: {n: 1}\n"
                                "  - object: c2\n"
                                "    class: counted\n"
                                "    properties: {n: 2}\n");
    cr_assert_eq(counted_live(), 2);
    counted *c2 = GET_OK(ctx, "c2", NULL);
    cr_assert_eq(c2->n, 2);
    coil_close(ctx);
    cr_assert_eq(counted_live(), 0);
}
