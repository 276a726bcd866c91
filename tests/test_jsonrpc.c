/* The JSON-RPC 2.0 codec (remoting/jsonrpc.c) alone, without HTTP: request
 * bodies in, response bodies out, against a service implementing the
 * interface of the specification's examples (data/iface/rpcspec.yaml). The
 * codec is compiled into this test (libcoil does not export it). Every
 * example of the specification's section 7 is here, as written there, then
 * what the specification leaves to the server: ids, messages, the mapping
 * of Coil's error codes. */
#include "support/support.h"

#include <stdlib.h>
#include <string.h>

#include "remoting/jsonrpc.h"
#include "rpcspec.h"

/* ---- The service --------------------------------------------------------- */

typedef struct spec_impl {
    int64_t updates, hellos, sums; /* what notifications and oneway calls did */
} spec_impl;

static int impl_subtract(void *self, int64_t minuend, int64_t subtrahend, int64_t *result,
                         coil_error **err) {
    (void)self;
    (void)err;
    *result = minuend - subtrahend;
    return 0;
}

static int impl_update(void *self, int64_t a, int64_t b, int64_t c, int64_t d, int64_t e,
                       coil_error **err) {
    (void)a, (void)b, (void)c, (void)d, (void)e, (void)err;
    ((spec_impl *)self)->updates++;
    return 0;
}

static int impl_sum(void *self, int64_t a, int64_t b, int64_t c, int64_t *result,
                    coil_error **err) {
    (void)self;
    (void)err;
    *result = a + b + c;
    return 0;
}

static int impl_notify_hello(void *self, int64_t n, coil_error **err) {
    (void)n;
    (void)err;
    ((spec_impl *)self)->hellos++;
    return 0;
}

static int impl_notify_sum(void *self, int64_t a, int64_t b, int64_t c, coil_error **err) {
    (void)a, (void)b, (void)c, (void)err;
    ((spec_impl *)self)->sums++;
    return 0;
}

static int impl_get_data(void *self, json_t **result, coil_error **err) {
    (void)self;
    (void)err;
    *result = json_pack("[s,i]", "hello", 5);
    return 0;
}

static int impl_fail(void *self, int64_t code, const char *message, const json_t *data,
                     coil_error **err) {
    (void)self;
    *err = coil_error_new((coil_code)code, "%s", message);
    if (data)
        (*err)->data = json_deep_copy(data);
    return (int)code;
}

static const rpcspec_ops impl_ops = {
    .subtract = impl_subtract, .update = impl_update, .sum = impl_sum,
    .notify_hello = impl_notify_hello, .notify_sum = impl_notify_sum,
    .get_data = impl_get_data, .fail = impl_fail,
};
static const coil_implements impl_ifaces[] = { { &rpcspec_interface, &impl_ops },
                                               COIL_IMPLEMENTS_END };
static const coil_class impl_class = {
    .abi = COIL_ABI_VERSION, .name = "spec_impl", .size = sizeof(spec_impl),
    .implements = impl_ifaces,
};

/* ---- Fixture: a context with the service, and the codec's target ------------ */

static coil_context *ctx;
static spec_impl *service;
static coil__rpc_target target;
static int calls;

static int call(void *arg, const coil_method *m, const json_t *params, json_t **result,
                coil_error **err) {
    calls++;
    return coil_invoke_method(arg, &rpcspec_interface, m, params, result, err);
}

static void setup(void) {
    coil_options *opts = coil_options_new();
    coil_options_add_class(opts, &impl_class);
    coil_error *err = NULL;
    ctx = coil_load_string("objects: [{object: spec, class: spec_impl}]\n", "spec.yaml", opts,
                           &err);
    coil_options_free(opts);
    cr_assert_not_null(ctx, "%s", err ? err->message : "");
    service = coil_get(ctx, "spec", &rpcspec_interface, NULL);
    target = (coil__rpc_target){ .iface = &rpcspec_interface, .call = call, .arg = service };
    calls = 0;
}

/* ---- Helpers -------------------------------------------------------------------- */

/* The response body for `request`, or NULL for none. */
static char *handle(const char *request) {
    char *out = (char *)0x1;
    size_t len = 12345;
    cr_assert_eq(coil__jsonrpc_handle(&target, request, strlen(request), &out, &len), 0);
    if (!out)
        cr_assert_eq(len, 0, "no response has length 0");
    else
        cr_assert_eq(len, strlen(out), "the length is the body's");
    return out;
}

/* Whether `got` matches `want`, where the string "*" in `want` matches
 * any value. Objects must have the same members. */
static bool matches(const json_t *want, const json_t *got) {
    if (json_is_string(want) && strcmp(json_string_value(want), "*") == 0)
        return got != NULL;
    if (json_is_object(want)) {
        if (!json_is_object(got) || json_object_size(want) != json_object_size(got))
            return false;
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)want, k, v) {
            if (!matches(v, json_object_get(got, k)))
                return false;
        }
        return true;
    }
    if (json_is_array(want)) {
        if (!json_is_array(got) || json_array_size(want) != json_array_size(got))
            return false;
        for (size_t i = 0; i < json_array_size(want); i++)
            if (!matches(json_array_get(want, i), json_array_get(got, i)))
                return false;
        return true;
    }
    return json_equal(want, got);
}

/* Asserts that `request` is answered with `want` (JSON, compared as JSON
 * with "*" wildcards), or not at all when `want` is NULL. */
#define EXPECT_RPC(request, want) expect_rpc(HERE, (request), (want))
static void expect_rpc(const char *where, const char *request, const char *want) {
    char *got = handle(request);
    if (!want) {
        cr_assert_null(got, "%s: %s\nexpected no response, got %s", where, request, got);
        return;
    }
    cr_assert_not_null(got, "%s: %s\nexpected %s, got no response", where, request, want);
    json_error_t je;
    json_t *w = json_loads(want, 0, &je);
    cr_assert_not_null(w, "%s: bad expectation: %s", where, je.text);
    json_t *g = json_loads(got, 0, &je);
    cr_assert_not_null(g, "%s: the response is not JSON: %s", where, got);
    cr_assert(matches(w, g), "%s: %s\nexpected %s\n     got %s", where, request, want, got);
    json_decref(w);
    json_decref(g);
    free(got);
}

/* Asserts the exact text of a response. */
#define EXPECT_TEXT(request, want) expect_text(HERE, (request), (want))
static void expect_text(const char *where, const char *request, const char *want) {
    char *got = handle(request);
    cr_assert_not_null(got, "%s: %s: no response", where, request);
    cr_assert_str_eq(got, want, "%s: %s", where, request);
    free(got);
}

#define RPC_TEST(name) CTEST_X(jsonrpc, name, .init = setup)

/* ---- Section 7 of the specification, example by example ---------------------------- */

RPC_TEST(spec_positional_parameters) {
    EXPECT_RPC("{\"jsonrpc\": \"2.0\", \"method\": \"subtract\", \"params\": [42, 23], \"id\": 1}",
               "{\"jsonrpc\": \"2.0\", \"result\": 19, \"id\": 1}");
    EXPECT_RPC("{\"jsonrpc\": \"2.0\", \"method\": \"subtract\", \"params\": [23, 42], \"id\": 2}",
               "{\"jsonrpc\": \"2.0\", \"result\": -19, \"id\": 2}");
    coil_close(ctx);
}

RPC_TEST(spec_named_parameters) {
    EXPECT_RPC("{\"jsonrpc\": \"2.0\", \"method\": \"subtract\", "
               "\"params\": {\"subtrahend\": 23, \"minuend\": 42}, \"id\": 3}",
               "{\"jsonrpc\": \"2.0\", \"result\": 19, \"id\": 3}");
    EXPECT_RPC("{\"jsonrpc\": \"2.0\", \"method\": \"subtract\", "
               "\"params\": {\"minuend\": 42, \"subtrahend\": 23}, \"id\": 4}",
               "{\"jsonrpc\": \"2.0\", \"result\": 19, \"id\": 4}");
    coil_close(ctx);
}

RPC_TEST(spec_notifications) {
    EXPECT_RPC("{\"jsonrpc\": \"2.0\", \"method\": \"update\", \"params\": [1,2,3,4,5]}", NULL);
    cr_assert_eq(service->updates, 1, "the notification ran");
    EXPECT_RPC("{\"jsonrpc\": \"2.0\", \"method\": \"foobar\"}", NULL);
    coil_close(ctx);
}

RPC_TEST(spec_non_existent_method) {
    EXPECT_RPC("{\"jsonrpc\": \"2.0\", \"method\": \"foobar\", \"id\": \"1\"}",
               "{\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32601, \"message\": "
               "\"interface 'rpcspec' has no method 'foobar'\", \"data\": {\"coil\": "
               "\"COIL_ENOMETHOD\"}}, \"id\": \"1\"}");
    coil_close(ctx);
}

RPC_TEST(spec_invalid_json) {
    EXPECT_RPC("{\"jsonrpc\": \"2.0\", \"method\": \"foobar, \"params\": \"bar\", \"baz]",
               "{\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32700, \"message\": \"*\"}, "
               "\"id\": null}");
    char *got = handle("{\"jsonrpc\": \"2.0\", \"method\": \"foobar, \"params\": \"bar\", \"baz]");
    cr_assert(strstr(got, "\"message\":\"parse error: ") && strstr(got, "(line 1, column "),
              "the message says what and where: %s", got);
    free(got);
    cr_assert_eq(calls, 0);
    coil_close(ctx);
}

RPC_TEST(spec_invalid_request_object) {
    EXPECT_RPC("{\"jsonrpc\": \"2.0\", \"method\": 1, \"params\": \"bar\"}",
               "{\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32600, \"message\": "
               "\"invalid request: 'method' must be a string, got a number\"}, \"id\": null}");
    coil_close(ctx);
}

RPC_TEST(spec_batch_invalid_json) {
    EXPECT_RPC("[\n"
               "  {\"jsonrpc\": \"2.0\", \"method\": \"sum\", \"params\": [1,2,4], "
               "\"id\": \"1\"},\n"
               "  {\"jsonrpc\": \"2.0\", \"method\"\n"
               "]",
               "{\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32700, \"message\": \"*\"}, "
               "\"id\": null}");
    cr_assert_eq(calls, 0, "nothing of a batch that does not parse runs");
    coil_close(ctx);
}

RPC_TEST(spec_empty_batch) {
    /* One error object, not an array of them. */
    EXPECT_RPC("[]", "{\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32600, \"message\": "
                     "\"invalid request: an empty batch\"}, \"id\": null}");
    coil_close(ctx);
}

RPC_TEST(spec_invalid_batches) {
    EXPECT_RPC("[1]", "[{\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32600, \"message\": "
                      "\"invalid request: expected an object, got a number\"}, \"id\": null}]");
    EXPECT_RPC("[1,2,3]",
               "[{\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32600, \"message\": \"*\"}, "
               "\"id\": null},"
               " {\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32600, \"message\": \"*\"}, "
               "\"id\": null},"
               " {\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32600, \"message\": \"*\"}, "
               "\"id\": null}]");
    coil_close(ctx);
}

RPC_TEST(spec_batch) {
    EXPECT_RPC(
        "[\n"
        "  {\"jsonrpc\": \"2.0\", \"method\": \"sum\", \"params\": [1,2,4], \"id\": \"1\"},\n"
        "  {\"jsonrpc\": \"2.0\", \"method\": \"notify_hello\", \"params\": [7]},\n"
        "  {\"jsonrpc\": \"2.0\", \"method\": \"subtract\", \"params\": [42,23], \"id\": \"2\"},\n"
        "  {\"foo\": \"boo\"},\n"
        "  {\"jsonrpc\": \"2.0\", \"method\": \"foo.get\", \"params\": {\"name\": \"myself\"}, "
        "\"id\": \"5\"},\n"
        "  {\"jsonrpc\": \"2.0\", \"method\": \"get_data\", \"id\": \"9\"}\n"
        "]",
        "[\n"
        "  {\"jsonrpc\": \"2.0\", \"result\": 7, \"id\": \"1\"},\n"
        "  {\"jsonrpc\": \"2.0\", \"result\": 19, \"id\": \"2\"},\n"
        "  {\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32600, \"message\": "
        "\"invalid request: 'jsonrpc' must be \\\"2.0\\\"\"}, \"id\": null},\n"
        "  {\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32601, \"message\": "
        "\"interface 'rpcspec' has no method 'foo.get'\", \"data\": {\"coil\": "
        "\"COIL_ENOMETHOD\"}}, \"id\": \"5\"},\n"
        "  {\"jsonrpc\": \"2.0\", \"result\": [\"hello\", 5], \"id\": \"9\"}\n"
        "]");
    cr_assert_eq(service->hellos, 1);
    coil_close(ctx);
}

RPC_TEST(spec_batch_of_notifications) {
    EXPECT_RPC("[\n"
               "  {\"jsonrpc\": \"2.0\", \"method\": \"notify_sum\", \"params\": [1,2,4]},\n"
               "  {\"jsonrpc\": \"2.0\", \"method\": \"notify_hello\", \"params\": [7]}\n"
               "]",
               NULL);
    cr_assert_eq(service->sums, 1);
    cr_assert_eq(service->hellos, 1);
    coil_close(ctx);
}

/* ---- Beyond the examples -------------------------------------------------------------- */

RPC_TEST(ids_are_copied_exactly) {
    EXPECT_TEXT("{\"jsonrpc\":\"2.0\",\"method\":\"sum\",\"params\":[1,2,3],\"id\":7}",
                "{\"jsonrpc\":\"2.0\",\"result\":6,\"id\":7}");
    EXPECT_TEXT("{\"jsonrpc\":\"2.0\",\"method\":\"sum\",\"params\":[1,2,3],"
                "\"id\":-9007199254740993}",
                "{\"jsonrpc\":\"2.0\",\"result\":6,\"id\":-9007199254740993}");
    EXPECT_TEXT("{\"jsonrpc\":\"2.0\",\"method\":\"sum\",\"params\":[1,2,3],"
                "\"id\":\"a \\\"b\\\" \\u00e9\"}",
                "{\"jsonrpc\":\"2.0\",\"result\":6,\"id\":\"a \\\"b\\\" \xc3\xa9\"}");
    EXPECT_TEXT("{\"jsonrpc\":\"2.0\",\"method\":\"sum\",\"params\":[1,2,3],\"id\":\"\"}",
                "{\"jsonrpc\":\"2.0\",\"result\":6,\"id\":\"\"}");
    /* Fractional ids stay fractional, in their shortest form. */
    EXPECT_TEXT("{\"jsonrpc\":\"2.0\",\"method\":\"sum\",\"params\":[1,2,3],\"id\":1.5}",
                "{\"jsonrpc\":\"2.0\",\"result\":6,\"id\":1.5}");
    EXPECT_TEXT("{\"jsonrpc\":\"2.0\",\"method\":\"sum\",\"params\":[1,2,3],\"id\":0.1}",
                "{\"jsonrpc\":\"2.0\",\"result\":6,\"id\":0.1}");
    EXPECT_TEXT("{\"jsonrpc\":\"2.0\",\"method\":\"sum\",\"params\":[1,2,3],\"id\":2.0}",
                "{\"jsonrpc\":\"2.0\",\"result\":6,\"id\":2.0}");
    EXPECT_TEXT("{\"jsonrpc\":\"2.0\",\"method\":\"sum\",\"params\":[1,2,3],\"id\":-2.5e-300}",
                "{\"jsonrpc\":\"2.0\",\"result\":6,\"id\":-2.5e-300}");
    EXPECT_TEXT("{\"jsonrpc\":\"2.0\",\"method\":\"sum\",\"params\":[1,2,3],\"id\":1e300}",
                "{\"jsonrpc\":\"2.0\",\"result\":6,\"id\":1e+300}");
    EXPECT_TEXT("{\"jsonrpc\":\"2.0\",\"method\":\"sum\",\"params\":[1,2,3],"
                "\"id\":0.30000000000000004}",
                "{\"jsonrpc\":\"2.0\",\"result\":6,\"id\":0.30000000000000004}");
    /* An id of null is a request (answered), not a notification. */
    EXPECT_TEXT("{\"jsonrpc\":\"2.0\",\"method\":\"sum\",\"params\":[1,2,3],\"id\":null}",
                "{\"jsonrpc\":\"2.0\",\"result\":6,\"id\":null}");
    /* Errors carry the id too. */
    EXPECT_RPC("{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":2.25}",
               "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32601,\"message\":\"*\",\"data\":\"*\"},"
               "\"id\":2.25}");
    coil_close(ctx);
}

RPC_TEST(invalid_requests) {
    static const struct { const char *request, *message; bool echo_id; } cases[] = {
        { "42", "invalid request: expected an object, got a number", false },
        { "\"call\"", "invalid request: expected an object, got a string", false },
        { "null", "invalid request: expected an object, got null", false },
        { "true", "invalid request: expected an object, got a boolean", false },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"sum\",\"id\":true}",
          "invalid request: 'id' must be a string, a number or null, got a boolean", false },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"sum\",\"id\":[1]}",
          "invalid request: 'id' must be a string, a number or null, got an array", false },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"sum\",\"id\":{}}",
          "invalid request: 'id' must be a string, a number or null, got an object", false },
        { "{\"method\":\"sum\",\"params\":[1,2,3],\"id\":1}",
          "invalid request: 'jsonrpc' must be \"2.0\"", true },
        { "{\"jsonrpc\":\"1.0\",\"method\":\"sum\",\"params\":[1,2,3],\"id\":1}",
          "invalid request: 'jsonrpc' must be \"2.0\"", true },
        { "{\"jsonrpc\":2.0,\"method\":\"sum\",\"params\":[1,2,3],\"id\":1}",
          "invalid request: 'jsonrpc' must be \"2.0\"", true },
        { "{\"jsonrpc\":\"2.0\",\"params\":[1,2,3],\"id\":1}",
          "invalid request: 'method' must be a string, got nothing", true },
        { "{\"jsonrpc\":\"2.0\",\"method\":null,\"id\":1}",
          "invalid request: 'method' must be a string, got null", true },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"sum\",\"params\":\"bar\",\"id\":1}",
          "invalid request: 'params' must be an array or an object, got a string", true },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"sum\",\"params\":null,\"id\":1}",
          "invalid request: 'params' must be an array or an object, got null", true },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"sum\",\"params\":7}",
          "invalid request: 'params' must be an array or an object, got a number", false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *w = json_pack("{s:s,s:{s:i,s:s},s:o}", "jsonrpc", "2.0", "error", "code",
                              -32600, "message", cases[i].message, "id",
                              cases[i].echo_id ? json_integer(1) : json_null());
        char *got = handle(cases[i].request);
        json_t *g = json_loads(got ? got : "", 0, NULL);
        cr_assert(g && json_equal(w, g), "%s\nexpected message %s\n     got %s",
                  cases[i].request, cases[i].message, got);
        json_decref(w);
        json_decref(g);
        free(got);
    }
    cr_assert_eq(calls, 0, "no invalid request reaches the service");
    coil_close(ctx);
}

RPC_TEST(parse_errors) {
    static const char *const bodies[] = { "", "   ", "{", "[1,", "{\"jsonrpc\":\"2.0\"} x",
                                          "{'jsonrpc':'2.0'}", "\xff\xfe", "{\"a\":\"\\u0000\"}" };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        char *got = handle(bodies[i]);
        json_t *g = json_loads(got ? got : "", 0, NULL);
        cr_assert_not_null(g, "[%zu] %s", i, got);
        cr_assert_eq(json_integer_value(json_object_get(json_object_get(g, "error"), "code")),
                     -32700, "[%zu] %s", i, got);
        cr_assert(json_is_null(json_object_get(g, "id")), "[%zu] %s", i, got);
        json_decref(g);
        free(got);
    }
    /* A body with a NUL inside is not cut at the NUL. */
    char *out = NULL;
    size_t len = 0;
    cr_assert_eq(coil__jsonrpc_handle(&target, "[]\0[]", 5, &out, &len), 0);
    cr_assert_not_null(strstr(out, "-32700"), "%s", out);
    free(out);
    coil_close(ctx);
}

RPC_TEST(reserved_and_unknown_methods) {
    EXPECT_RPC("{\"jsonrpc\":\"2.0\",\"method\":\"rpc.discover\",\"id\":1}",
               "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32601,\"message\":"
               "\"method names beginning with 'rpc.' are reserved\",\"data\":{\"coil\":"
               "\"COIL_ENOMETHOD\"}},\"id\":1}");
    EXPECT_RPC("{\"jsonrpc\":\"2.0\",\"method\":\"rpc.sum\",\"params\":[1,2,3]}", NULL);
    EXPECT_RPC("{\"jsonrpc\":\"2.0\",\"method\":\"\",\"id\":1}",
               "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32601,\"message\":"
               "\"interface 'rpcspec' has no method ''\",\"data\":\"*\"},\"id\":1}");
    EXPECT_RPC("{\"jsonrpc\":\"2.0\",\"method\":\"Sum\",\"params\":[1,2,3],\"id\":1}",
               "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32601,\"message\":\"*\",\"data\":\"*\"},"
               "\"id\":1}");
    cr_assert_eq(calls, 0);
    coil_close(ctx);
}

RPC_TEST(invalid_params_name_the_parameter_and_type) {
    EXPECT_RPC("{\"jsonrpc\":\"2.0\",\"method\":\"subtract\",\"params\":[42],\"id\":1}",
               "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32602,\"message\":"
               "\"subtract: missing parameter 'subtrahend' (int)\",\"data\":{\"coil\":"
               "\"COIL_EPARAMS\"}},\"id\":1}");
    EXPECT_RPC("{\"jsonrpc\":\"2.0\",\"method\":\"subtract\",\"params\":[\"42\", 1],\"id\":1}",
               "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32602,\"message\":"
               "\"subtract: parameter 'minuend': expects an int, got a string\",\"data\":\"*\"},"
               "\"id\":1}");
    EXPECT_RPC("{\"jsonrpc\":\"2.0\",\"method\":\"subtract\",\"params\":{\"minuend\":1,"
               "\"subtrahend\":2,\"x\":3},\"id\":1}",
               "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32602,\"message\":"
               "\"subtract: unknown parameter 'x'\",\"data\":\"*\"},\"id\":1}");
    EXPECT_RPC("{\"jsonrpc\":\"2.0\",\"method\":\"subtract\",\"params\":[1,2,3],\"id\":1}",
               "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32602,\"message\":"
               "\"subtract: too many parameters (3 given, it takes 2)\",\"data\":\"*\"},\"id\":1}");
    EXPECT_RPC("{\"jsonrpc\":\"2.0\",\"method\":\"subtract\",\"id\":1}",
               "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32602,\"message\":"
               "\"subtract: missing parameter 'minuend' (int)\",\"data\":\"*\"},\"id\":1}");
    EXPECT_RPC("{\"jsonrpc\":\"2.0\",\"method\":\"subtract\",\"params\":[1.5,2],\"id\":1}",
               "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32602,\"message\":"
               "\"subtract: parameter 'minuend': expects an int, got a number\",\"data\":\"*\"},"
               "\"id\":1}");
    /* A notification with bad params: nothing to answer. */
    EXPECT_RPC("{\"jsonrpc\":\"2.0\",\"method\":\"subtract\",\"params\":[1]}", NULL);
    coil_close(ctx);
}

RPC_TEST(application_errors) {
    /* A Coil code: its name in data. */
    EXPECT_RPC("{\"jsonrpc\":\"2.0\",\"method\":\"fail\",\"params\":[10,\"no such verse\"],"
               "\"id\":1}",
               "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":10,\"message\":\"no such verse\","
               "\"data\":{\"coil\":\"COIL_EVALUE\"}},\"id\":1}");
    /* The service's own data wins. */
    EXPECT_RPC("{\"jsonrpc\":\"2.0\",\"method\":\"fail\",\"params\":[10,\"bad\",{\"verse\":9}],"
               "\"id\":1}",
               "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":10,\"message\":\"bad\","
               "\"data\":{\"verse\":9}},\"id\":1}");
    /* A code of the service's own: no Coil name. */
    EXPECT_RPC("{\"jsonrpc\":\"2.0\",\"method\":\"fail\",\"params\":[1000,\"custom\"],\"id\":1}",
               "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":1000,\"message\":\"custom\"},\"id\":1}");
    EXPECT_RPC("{\"jsonrpc\":\"2.0\",\"method\":\"fail\",\"params\":[-5,\"negative\",[1]],"
               "\"id\":1}",
               "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-5,\"message\":\"negative\","
               "\"data\":[1]},\"id\":1}");
    /* JSON-RPC's reserved range: an internal error carrying the original. */
    EXPECT_RPC("{\"jsonrpc\":\"2.0\",\"method\":\"fail\",\"params\":[-32001,\"mine\"],\"id\":1}",
               "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32603,\"message\":\"mine\","
               "\"data\":{\"code\":-32001}},\"id\":1}");
    EXPECT_RPC("{\"jsonrpc\":\"2.0\",\"method\":\"fail\",\"params\":[-32768,\"edge\",\"x\"],"
               "\"id\":1}",
               "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32603,\"message\":\"edge\","
               "\"data\":{\"code\":-32768,\"data\":\"x\"}},\"id\":1}");
    EXPECT_RPC("{\"jsonrpc\":\"2.0\",\"method\":\"fail\",\"params\":[-32000,\"edge\"],\"id\":1}",
               "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32603,\"message\":\"edge\","
               "\"data\":{\"code\":-32000}},\"id\":1}");
    EXPECT_RPC("{\"jsonrpc\":\"2.0\",\"method\":\"fail\",\"params\":[-31999,\"outside\"],\"id\":1}",
               "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-31999,\"message\":\"outside\"},"
               "\"id\":1}");
    EXPECT_RPC("{\"jsonrpc\":\"2.0\",\"method\":\"fail\",\"params\":[-32769,\"outside\"],\"id\":1}",
               "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32769,\"message\":\"outside\"},"
               "\"id\":1}");
    /* Coil codes JSON-RPC has its own code for. */
    EXPECT_RPC("{\"jsonrpc\":\"2.0\",\"method\":\"fail\",\"params\":[23,\"p\"],\"id\":1}",
               "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32602,\"message\":\"p\","
               "\"data\":{\"coil\":\"COIL_EPARAMS\"}},\"id\":1}");
    EXPECT_RPC("{\"jsonrpc\":\"2.0\",\"method\":\"fail\",\"params\":[24,\"m\"],\"id\":1}",
               "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32601,\"message\":\"m\","
               "\"data\":{\"coil\":\"COIL_ENOMETHOD\"}},\"id\":1}");
    EXPECT_RPC("{\"jsonrpc\":\"2.0\",\"method\":\"fail\",\"params\":[1,\"i\"],\"id\":1}",
               "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32603,\"message\":\"i\","
               "\"data\":{\"coil\":\"COIL_EINVAL\"}},\"id\":1}");
    EXPECT_RPC("{\"jsonrpc\":\"2.0\",\"method\":\"fail\",\"params\":[2,\"o\"],\"id\":1}",
               "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32603,\"message\":\"o\","
               "\"data\":{\"coil\":\"COIL_ENOMEM\"}},\"id\":1}");
    coil_close(ctx);
}

RPC_TEST(error_objects_from_coil_errors) {
    /* A message that is not UTF-8 still makes a JSON string. */
    coil_error *e = coil_error_new(COIL_EVALUE, "bad byte \xff here");
    json_t *j = coil__jsonrpc_error_of(e, COIL_EVALUE);
    cr_assert_not_null(j);
    cr_assert_str_eq(json_string_value(json_object_get(j, "message")), "bad byte ? here");
    json_decref(j);
    coil_error_free(e);
    /* No error object at all: the return code. */
    j = coil__jsonrpc_error_of(NULL, COIL_ETIMEOUT);
    cr_assert_eq(json_integer_value(json_object_get(j, "code")), COIL_ETIMEOUT);
    cr_assert_str_eq(json_string_value(json_object_get(j, "message")), "timed out");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "data"), "coil")),
                     "COIL_ETIMEOUT");
    json_decref(j);
    coil_close(ctx);
}

RPC_TEST(oneway_methods_are_never_answered) {
    /* Even when called with an id. */
    EXPECT_RPC("{\"jsonrpc\":\"2.0\",\"method\":\"notify_hello\",\"params\":[1],\"id\":1}", NULL);
    cr_assert_eq(service->hellos, 1, "it ran");
    EXPECT_RPC("[{\"jsonrpc\":\"2.0\",\"method\":\"notify_hello\",\"params\":[1],\"id\":1},"
               "{\"jsonrpc\":\"2.0\",\"method\":\"sum\",\"params\":[1,1,1],\"id\":2}]",
               "[{\"jsonrpc\":\"2.0\",\"result\":3,\"id\":2}]");
    cr_assert_eq(service->hellos, 2);
    /* A method that returns nothing, called with an id: null. */
    EXPECT_RPC("{\"jsonrpc\":\"2.0\",\"method\":\"update\",\"params\":[1,2,3,4,5],\"id\":1}",
               "{\"jsonrpc\":\"2.0\",\"result\":null,\"id\":1}");
    coil_close(ctx);
}

RPC_TEST(batches_keep_order_and_skip_what_is_not_answered) {
    EXPECT_TEXT("[{\"jsonrpc\":\"2.0\",\"method\":\"update\",\"params\":[1,2,3,4,5]},"
                "{\"jsonrpc\":\"2.0\",\"method\":\"sum\",\"params\":[1,1,1],\"id\":\"a\"},"
                "{\"jsonrpc\":\"2.0\",\"method\":\"notify_hello\",\"params\":[1]},"
                "{\"jsonrpc\":\"2.0\",\"method\":\"sum\",\"params\":[2,2,2],\"id\":\"b\"},"
                "{\"jsonrpc\":\"2.0\",\"method\":\"update\",\"params\":[1,2,3,4,5]}]",
                "[{\"jsonrpc\":\"2.0\",\"result\":3,\"id\":\"a\"},"
                "{\"jsonrpc\":\"2.0\",\"result\":6,\"id\":\"b\"}]");
    /* Nested batches are not requests. */
    EXPECT_RPC("[[{\"jsonrpc\":\"2.0\",\"method\":\"sum\",\"params\":[1,1,1],\"id\":1}]]",
               "[{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,\"message\":"
               "\"invalid request: expected an object, got an array\"},\"id\":null}]");
    /* A large batch. */
    enum { N = 2000 };
    size_t cap = N * 80 + 16;
    char *big = malloc(cap);
    size_t n = 0;
    big[n++] = '[';
    for (int i = 0; i < N; i++)
        n += (size_t)snprintf(big + n, cap - n,
                              "%s{\"jsonrpc\":\"2.0\",\"method\":\"sum\",\"params\":[%d,0,0],"
                              "\"id\":%d}",
                              i ? "," : "", i, i);
    big[n++] = ']';
    big[n] = '\0';
    char *got = handle(big);
    json_t *g = json_loads(got, 0, NULL);
    cr_assert_eq(json_array_size(g), N);
    for (size_t i = 0; i < N; i++) {
        json_t *r = json_array_get(g, i);
        cr_assert_eq(json_integer_value(json_object_get(r, "result")), (json_int_t)i);
        cr_assert_eq(json_integer_value(json_object_get(r, "id")), (json_int_t)i);
    }
    json_decref(g);
    free(got);
    free(big);
    coil_close(ctx);
}

RPC_TEST(results_of_every_shape) {
    EXPECT_TEXT("{\"jsonrpc\":\"2.0\",\"method\":\"get_data\",\"id\":1}",
                "{\"jsonrpc\":\"2.0\",\"result\":[\"hello\",5],\"id\":1}");
    EXPECT_TEXT("{\"jsonrpc\":\"2.0\",\"method\":\"get_data\",\"params\":[],\"id\":1}",
                "{\"jsonrpc\":\"2.0\",\"result\":[\"hello\",5],\"id\":1}");
    EXPECT_TEXT("{\"jsonrpc\":\"2.0\",\"method\":\"get_data\",\"params\":{},\"id\":1}",
                "{\"jsonrpc\":\"2.0\",\"result\":[\"hello\",5],\"id\":1}");
    /* Members the specification does not define are ignored. */
    EXPECT_TEXT("{\"jsonrpc\":\"2.0\",\"method\":\"get_data\",\"id\":1,\"extra\":true}",
                "{\"jsonrpc\":\"2.0\",\"result\":[\"hello\",5],\"id\":1}");
    coil_close(ctx);
}
