/* Calls through a generated interface (tests/data/iface/calc.yaml): typed
 * calls on objects from coil_get, dynamic invocation with positional and
 * named JSON params and every parameter error, application errors, and a
 * class that forwards calls generically (as the remoting proxy will),
 * which must behave exactly like the local object. */
#include "support/support.h"

#include <stdlib.h>
#include <string.h>

#include "calc.h"
#include "support/calc_service.h"

/* ---- A forwarding class: marshals every call to JSON and back -------------- */

typedef struct loopback {
    void *target;
    int64_t forwarded;
} loopback;

static int loopback_forward(void *self, const coil_method *m, void *const *args, void *result,
                            coil_error **err) {
    loopback *lb = self;
    lb->forwarded++;
    return support_forward_json(lb->target, &calc_interface, m, args, result, err);
}

static const coil_property loopback_props[] = {
    { .name = "target", .type = COIL_T_REF, .offset = offsetof(loopback, target),
      .flags = COIL_REQUIRED, .iface = &calc_interface },
    COIL_PROPERTIES_END
};
static const coil_class loopback_class = {
    .abi = COIL_ABI_VERSION, .name = "loopback", .size = sizeof(loopback),
    .properties = loopback_props, .forward = loopback_forward,
};

typedef struct plain { int64_t n; } plain;
static const coil_class plain_class = { .abi = COIL_ABI_VERSION, .name = "plain",
                                        .size = sizeof(plain) };

static coil_context *load_calc(void) {
    coil_options *opts = coil_options_new();
    coil_options_add_class(opts, &calc_impl_class);
    coil_options_add_class(opts, &loopback_class);
    coil_options_add_class(opts, &plain_class);
    coil_error *err = NULL;
    coil_context *ctx = coil_load_string("objects:\n"
                                         "  - object: calc\n"
                                         "    class: calc_impl\n"
                                         "    properties: {base: 100}\n"
                                         "  - object: proxy\n"
                                         "    class: loopback\n"
                                         "    properties: {target: {ref: calc}}\n"
                                         "  - object: other\n"
                                         "    class: plain\n",
                                         "calc.yaml", opts, &err);
    coil_options_free(opts);
    cr_assert_not_null(ctx, "%s", err ? err->message : "");
    return ctx;
}

/* ---- Typed calls ------------------------------------------------------------- */

CTEST(invoke, typed_calls_on_a_local_object) {
    coil_context *ctx = load_calc();
    coil_error *err = NULL;
    void *calc = coil_get(ctx, "calc", &calc_interface, &err);
    cr_assert_not_null(calc, "%s", err ? err->message : "");
    calc_expect_typed_calls(calc);
    /* A caller that does not want the error may pass NULL; the
     * implementation still sets *err (and nothing leaks). */
    cr_assert_eq(calc_fail(calc, COIL_EVALUE, NULL), COIL_EVALUE);
    int64_t n;
    cr_assert_eq(calc_count(calc, &n, NULL), COIL_EINTERFACE);
    cr_assert_eq(((calc_impl *)calc)->notes, 1);
    coil_close(ctx);
}

CTEST(invoke, typed_calls_through_a_forwarding_object_behave_the_same) {
    coil_context *ctx = load_calc();
    coil_error *err = NULL;
    void *proxy = coil_get(ctx, "proxy", &calc_interface, &err);
    cr_assert_not_null(proxy, "%s", err ? err->message : "");
    calc_expect_typed_calls(proxy);
    loopback *lb = proxy;
    cr_assert_eq(lb->forwarded, 12, "every call went through forward (%lld)",
                 (long long)lb->forwarded);
    cr_assert_eq(((calc_impl *)lb->target)->notes, 1);
    coil_close(ctx);
}

CTEST(invoke, interface_checks) {
    coil_context *ctx = load_calc();
    coil_error *err = NULL;
    cr_assert_null(coil_get(ctx, "other", &calc_interface, &err));
    cr_assert_eq(err->code, COIL_EINTERFACE);
    cr_assert_str_eq(err->message, "object 'other' (class 'plain') does not implement interface 'calc'");
    coil_error_free(err);
    err = NULL;

    /* A typed call on an object that does not implement the interface. */
    void *other = coil_get(ctx, "other", NULL, NULL);
    int64_t sum;
    cr_assert_eq(calc_add(other, 1, 2, &sum, &err), COIL_EINTERFACE);
    cr_assert_str_eq(err->message, "class 'plain' does not implement interface 'calc'");
    coil_error_free(err);
    err = NULL;

    /* What an object is: its class and its definition's name. */
    const char *id = NULL;
    cr_assert_eq(coil_class_of(other, &id), &plain_class);
    cr_assert_str_eq(id, "other");
    void *proxy = coil_get(ctx, "proxy", NULL, NULL);
    cr_assert_eq(coil_class_of(((loopback *)proxy)->target, &id), &calc_impl_class,
                 "an injected object is known too");
    cr_assert_str_eq(id, "calc");

    /* A pointer the container never handed out. */
    int local;
    cr_assert_null(coil_class_of(&local, &id));
    cr_assert_eq(calc_add(&local, 1, 2, &sum, &err), COIL_ENOTFOUND);
    coil_error_free(err);
    err = NULL;

    /* The same interface name with another signature: two builds disagree,
     * and every check says so, not "does not implement". */
    coil_interface changed = calc_interface;
    changed.signature ^= 1;
    void *calc = coil_get(ctx, "calc", NULL, NULL);
    cr_assert_null(coil_ops(calc, &changed, &err));
    cr_assert_eq(err->code, COIL_EINTERFACE);
    cr_assert_str_eq(err->message, "class 'calc_impl' implements another version of interface "
                                   "'calc' (the signatures differ: regenerate one side)");
    coil_error_free(err);
    err = NULL;
    cr_assert_null(coil_get(ctx, "calc", &changed, &err));
    cr_assert_str_eq(err->message, "object 'calc' (class 'calc_impl') implements another version "
                                   "of interface 'calc' (the signatures differ: regenerate one side)");
    coil_error_free(err);
    err = NULL;

    /* A descriptor generated for another ABI is refused, not misread. */
    coil_interface future = calc_interface;
    future.abi = COIL_ABI_VERSION + 1;
    cr_assert_null(coil_get(ctx, "calc", &future, &err));
    cr_assert_eq(err->code, COIL_EABI);
    coil_error_free(err);
    err = NULL;
    cr_assert_null(coil_ops(calc, &future, &err));
    cr_assert_eq(err->code, COIL_EABI);
    coil_error_free(err);
    coil_close(ctx);

    /* After close, the objects are gone from the map. */
    err = NULL;
    cr_assert_eq(calc_add(calc, 1, 2, &sum, &err), COIL_ENOTFOUND);
    coil_error_free(err);
}

CTEST(invoke, a_ref_property_checks_its_interface_at_load) {
    coil_options *opts = coil_options_new();
    coil_options_add_class(opts, &loopback_class);
    coil_options_add_class(opts, &plain_class);
    coil_error *err = NULL;
    cr_assert_null(coil_load_string("objects:\n"
                                    "  - object: proxy\n"
                                    "    class: loopback\n"
                                    "    properties: {target: {ref: other}}\n"
                                    "  - object: other\n"
                                    "    class: plain\n",
                                    "app.yaml", opts, &err));
    EXPECT_ONLY_ERROR(err, COIL_EINTERFACE, "app.yaml", 4, 32,
                      "object 'proxy': property 'target' needs interface 'calc'; object "
                      "'other' (class 'plain') does not implement interface 'calc'");
    coil_error_free(err);
    coil_options_free(opts);
}

/* ---- Dynamic invocation --------------------------------------------------------- */

static json_t *invoke_ok(void *obj, const char *method, const char *params) {
    json_error_t je;
    json_t *p = params ? json_loads(params, JSON_DECODE_ANY, &je) : NULL;
    json_t *result = NULL;
    coil_error *err = NULL;
    int rc = coil_invoke(obj, &calc_interface, method, p, &result, &err);
    cr_assert_eq(rc, 0, "%s(%s): %s", method, params ? params : "", err ? err->message : "");
    json_decref(p);
    return result;
}

static void invoke_fails(void *obj, const char *method, const char *params, int code,
                         const char *message) {
    json_error_t je;
    json_t *p = params ? json_loads(params, JSON_DECODE_ANY, &je) : NULL;
    json_t *result = (json_t *)0x1;
    coil_error *err = NULL;
    cr_assert_eq(coil_invoke(obj, &calc_interface, method, p, &result, &err), code, "%s(%s)",
                 method, params ? params : "");
    cr_assert_not_null(err);
    cr_assert_eq(err->code, code, "%s(%s): %s", method, params, err->message);
    cr_assert_str_eq(err->message, message, "%s(%s)", method, params ? params : "");
    cr_assert_eq(result, (json_t *)0x1, "the result is untouched on error");
    coil_error_free(err);
    json_decref(p);
}

static void expect_json(json_t *got, const char *want) {
    json_error_t je;
    json_t *w = json_loads(want, JSON_DECODE_ANY, &je);
    char *g = json_dumps(got, JSON_ENCODE_ANY | JSON_SORT_KEYS);
    cr_assert(json_equal(got, w), "got %s, want %s", g, want);
    free(g);
    json_decref(w);
    json_decref(got);
}

CTEST(invoke, positional_and_named_params) {
    coil_context *ctx = load_calc();
    void *calc = coil_get(ctx, "calc", NULL, NULL);
    expect_json(invoke_ok(calc, "add", "[2, 3]"), "105");
    expect_json(invoke_ok(calc, "add", "{\"b\": 3, \"a\": 2}"), "105");
    expect_json(invoke_ok(calc, "greet", "[\"Ann\"]"), "\"Hello, Ann\"");
    expect_json(invoke_ok(calc, "greet", "[\"Ann\", null]"), "\"Hello, Ann\"");
    expect_json(invoke_ok(calc, "greet", "{\"name\": \"Ann\", \"title\": \"Dr.\"}"),
                "\"Hello, Dr. Ann\"");
    expect_json(invoke_ok(calc, "centroid", "[[{\"x\": 0, \"y\": 0}, {\"x\": 2, \"y\": 4}]]"),
                "{\"x\": 1.0, \"y\": 2.0}");
    expect_json(invoke_ok(calc, "tally", "{\"words\": [\"x\", \"y\", \"x\"]}"),
                "{\"x\": 2, \"y\": 1}");
    expect_json(invoke_ok(calc, "echo", "[{\"deep\": [1, {\"er\": null}]}]"),
                "{\"deep\": [1, {\"er\": null}]}");
    expect_json(invoke_ok(calc, "reverse", "[\"AQID\"]"), "\"AwIB\"");
    expect_json(invoke_ok(calc, "feel", "[\"sad\"]"), "\"happy\"");
    expect_json(invoke_ok(calc, "note", "[\"hi\"]"), "null");
    cr_assert_eq(((calc_impl *)calc)->notes, 1, "a oneway method ran");
    /* Without naming the interface: the object implements one with "add". */
    json_t *r = NULL;
    json_t *p = json_pack("[i,i]", 1, 1);
    cr_assert_eq(coil_invoke(calc, NULL, "add", p, &r, NULL), 0);
    expect_json(r, "102");
    json_decref(p);
    coil_close(ctx);
}

CTEST(invoke, parameter_errors_name_the_parameter_and_its_type) {
    coil_context *ctx = load_calc();
    void *calc = coil_get(ctx, "calc", NULL, NULL);
    invoke_fails(calc, "add", "[2]", COIL_EPARAMS, "add: missing parameter 'b' (int)");
    invoke_fails(calc, "add", "{\"a\": 2}", COIL_EPARAMS, "add: missing parameter 'b' (int)");
    invoke_fails(calc, "add", NULL, COIL_EPARAMS, "add: missing parameter 'a' (int)");
    invoke_fails(calc, "add", "[1, 2, 3]", COIL_EPARAMS,
                 "add: too many parameters (3 given, it takes 2)");
    invoke_fails(calc, "add", "{\"a\": 1, \"b\": 2, \"c\": 3}", COIL_EPARAMS,
                 "add: unknown parameter 'c'");
    invoke_fails(calc, "add", "[\"two\", 3]", COIL_EPARAMS,
                 "add: parameter 'a': expects an int, got a string");
    invoke_fails(calc, "add", "{\"a\": 1, \"b\": 2.5}", COIL_EPARAMS,
                 "add: parameter 'b': expects an int, got a number");
    invoke_fails(calc, "centroid", "[[{\"x\": 1, \"y\": \"no\"}]]", COIL_EPARAMS,
                 "centroid: parameter 'points'[0].y: expects a double, got a string");
    invoke_fails(calc, "feel", "[\"angry\"]", COIL_EPARAMS,
                 "feel: parameter 'm': 'angry' is not a value of mood");
    invoke_fails(calc, "reverse", "[\"not base64!\"]", COIL_EPARAMS,
                 "reverse: parameter 'data': expects bytes as base64, got a string that is not");
    invoke_fails(calc, "add", "3", COIL_EPARAMS,
                 "add: params must be an array (positional) or an object (named)");
    invoke_fails(calc, "nope", "[]", COIL_ENOMETHOD, "interface 'calc' has no method 'nope'");
    coil_close(ctx);
}

CTEST(invoke, application_errors_come_back_as_they_are) {
    coil_context *ctx = load_calc();
    void *calc = coil_get(ctx, "calc", NULL, NULL);
    invoke_fails(calc, "fail", "[10]", COIL_EVALUE, "failing on purpose with 10");
    invoke_fails(calc, "fail", "[0]", COIL_EINIT, "fail failed (object initialization failed)");
    invoke_fails(calc, "centroid", "[[]]", COIL_EVALUE, "the centroid of no points is undefined");
    invoke_fails(calc, "count", "[]", COIL_EINTERFACE, "calc.count is not implemented");
    coil_close(ctx);
}

CTEST(invoke, the_descriptor_describes_the_file) {
    cr_assert_str_eq(calc_interface.name, "calc");
    cr_assert_eq(calc_interface.nmethods, 10);
    const coil_method *add = coil_method_find(&calc_interface, "add");
    cr_assert_not_null(add);
    cr_assert_eq(add->nparams, 2);
    cr_assert_str_eq(add->params[1].name, "b");
    cr_assert_eq(add->params[1].type->kind, COIL_K_INT);
    cr_assert_eq(add->result->kind, COIL_K_INT);
    cr_assert(add->idempotent);
    cr_assert_str_eq(add->doc, "The sum of two ints.");
    const coil_method *note = coil_method_find(&calc_interface, "note");
    cr_assert(note->oneway);
    cr_assert_null(note->result);
    const coil_method *greet = coil_method_find(&calc_interface, "greet");
    cr_assert_eq(greet->params[1].type->kind, COIL_K_OPTIONAL);
    cr_assert_str_eq(greet->params[1].type->name, "optional<string>");
    cr_assert_null(coil_method_find(&calc_interface, "nope"));
    cr_assert_eq(add->iface, &calc_interface, "a method knows its interface");
    cr_assert_neq(calc_interface.signature, 0);
}
