/* The value converter: C <-> JSON for every interface type, driven by
 * typeinfo tables (written by hand here, as `coil gen` would). */
#include "support/support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "coil/interface.h"

typedef struct point { double x, y; } point;
typedef enum color { RED, GREEN, BLUE } color;
typedef struct list_point { point *items; size_t count; } list_point;
typedef struct map_list_point { char **keys; list_point *values; size_t count; } map_list_point;
typedef struct list_map_list_point { map_list_point *items; size_t count; } list_map_list_point;

typedef struct shape {
    char *name;
    color fill;
    point *center;        /* optional<point> */
    list_point corners;
    coil_bytes tag;
    json_t *extra;        /* any */
    bool visible;
    int64_t layer;
} shape;

static const coil_field point_fields[] = {
    { "x", &coil_type_double, offsetof(point, x), NULL },
    { "y", &coil_type_double, offsetof(point, y), NULL },
};
static const coil_typeinfo point_type = { .kind = COIL_K_STRUCT, .name = "point",
                                          .size = sizeof(point), .fields = point_fields,
                                          .nfields = 2 };
static const char *const color_names[] = { "red", "green", "blue" };
static const coil_typeinfo color_type = { .kind = COIL_K_ENUM, .name = "color",
                                          .size = sizeof(color), .names = color_names,
                                          .nnames = 3 };
static const coil_typeinfo optional_point = { .kind = COIL_K_OPTIONAL, .name = "optional<point>",
                                              .size = sizeof(point *), .elem = &point_type };
static const coil_typeinfo list_point_type = { .kind = COIL_K_LIST, .name = "list<point>",
                                               .size = sizeof(list_point), .elem = &point_type };
static const coil_typeinfo map_list_point_type = { .kind = COIL_K_MAP,
                                                   .name = "map<list<point>>",
                                                   .size = sizeof(map_list_point),
                                                   .elem = &list_point_type };
static const coil_typeinfo nested_type = { .kind = COIL_K_LIST, .name = "list<map<list<point>>>",
                                           .size = sizeof(list_map_list_point),
                                           .elem = &map_list_point_type };
static const coil_field shape_fields[] = {
    { "name", &coil_type_string, offsetof(shape, name), NULL },
    { "fill", &color_type, offsetof(shape, fill), NULL },
    { "center", &optional_point, offsetof(shape, center), NULL },
    { "corners", &list_point_type, offsetof(shape, corners), NULL },
    { "tag", &coil_type_bytes, offsetof(shape, tag), NULL },
    { "extra", &coil_type_any, offsetof(shape, extra), NULL },
    { "visible", &coil_type_bool, offsetof(shape, visible), NULL },
    { "layer", &coil_type_int, offsetof(shape, layer), NULL },
};
static const coil_typeinfo shape_type = { .kind = COIL_K_STRUCT, .name = "shape",
                                          .size = sizeof(shape), .fields = shape_fields,
                                          .nfields = 8 };

static json_t *parse(const char *text) {
    json_error_t e;
    json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    cr_assert_not_null(j, "bad test JSON: %s: %s", text, e.text);
    return j;
}

/* JSON -> C -> JSON gives the same JSON. */
static void round_trip(const coil_typeinfo *t, const char *text) {
    json_t *in = parse(text);
    char value[256] = { 0 };
    cr_assert_leq(t->size, sizeof value);
    coil_error *err = NULL;
    cr_assert_eq(coil_value_from_json(t, in, value, NULL, &err), 0, "%s: %s", text,
                 err ? err->message : "");
    json_t *out = coil_value_to_json(t, value, NULL, &err);
    cr_assert_not_null(out, "%s: %s", text, err ? err->message : "");
    char *a = json_dumps(in, JSON_SORT_KEYS | JSON_ENCODE_ANY);
    char *b = json_dumps(out, JSON_SORT_KEYS | JSON_ENCODE_ANY);
    cr_assert(json_equal(in, out), "%s: in %s, out %s", t->name, a, b);
    free(a);
    free(b);
    coil_value_free(t, value);
    for (size_t i = 0; i < t->size; i++)
        cr_assert_eq(value[i], 0, "coil_value_free zeroes the value");
    json_decref(in);
    json_decref(out);
}

/* JSON -> C fails with `code` and exactly `message`; the value stays zero. */
static void refused(const coil_typeinfo *t, const char *text, const char *what, int code,
                    const char *message) {
    json_t *in = parse(text);
    char value[256];
    memset(value, 0x5a, sizeof value);
    coil_error *err = NULL;
    cr_assert_eq(coil_value_from_json(t, in, value, what, &err), code, "%s", text);
    cr_assert_not_null(err, "%s", text);
    cr_assert_eq(err->code, code);
    cr_assert_str_eq(err->message, message, "%s", text);
    for (size_t i = 0; i < t->size; i++)
        cr_assert_eq(value[i], 0, "%s: a refused value is zeroed", text);
    coil_error_free(err);
    json_decref(in);
}

CTEST(values, scalars_round_trip) {
    round_trip(&coil_type_bool, "true");
    round_trip(&coil_type_bool, "false");
    round_trip(&coil_type_int, "0");
    round_trip(&coil_type_int, "-9223372036854775808");
    round_trip(&coil_type_int, "9223372036854775807");
    round_trip(&coil_type_double, "2.5");
    round_trip(&coil_type_double, "-1e300");
    round_trip(&coil_type_string, "\"\"");
    round_trip(&coil_type_string, "\"Happy Birthday Dear Grüß 🎂!\"");
    round_trip(&coil_type_any, "{\"a\": [1, 2.5, null, true, \"x\", {}]}");
    round_trip(&coil_type_any, "null");
    round_trip(&color_type, "\"blue\"");
}

CTEST(values, double_accepts_integers) {
    json_t *in = parse("3");
    double d = 0;
    cr_assert_eq(coil_value_from_json(&coil_type_double, in, &d, NULL, NULL), 0);
    cr_assert_float_eq(d, 3.0, 1e-12);
    json_decref(in);
}

CTEST(values, bytes_with_embedded_nuls) {
    static const unsigned char raw[] = { 0, 'a', 0, 0xff, 0x10, 0, 'z' };
    for (size_t n = 0; n <= sizeof raw; n++) {
        coil_bytes b = { (unsigned char *)raw, n };
        coil_error *err = NULL;
        json_t *j = coil_value_to_json(&coil_type_bytes, &b, NULL, &err);
        cr_assert_not_null(j, "%zu bytes: %s", n, err ? err->message : "");
        cr_assert_eq(json_string_length(j) % 4, 0, "padded base64");
        coil_bytes back = { 0 };
        cr_assert_eq(coil_value_from_json(&coil_type_bytes, j, &back, NULL, &err), 0);
        cr_assert_eq(back.len, n);
        cr_assert(n == 0 || memcmp(back.data, raw, n) == 0, "%zu bytes come back", n);
        coil_value_free(&coil_type_bytes, &back);
        json_decref(j);
    }
    /* The RFC 4648 test vectors. */
    static const char *const vectors[][2] = {
        { "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
        { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
    };
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        coil_bytes b = { (unsigned char *)vectors[i][0], strlen(vectors[i][0]) };
        json_t *j = coil_value_to_json(&coil_type_bytes, &b, NULL, NULL);
        cr_assert_str_eq(json_string_value(j), vectors[i][1]);
        json_decref(j);
    }
}

CTEST(values, bad_base64_is_refused) {
    refused(&coil_type_bytes, "\"Zg=\"", "data", COIL_EVALUE,
            "data: expects bytes as base64, got a string that is not");
    refused(&coil_type_bytes, "\"Z!==\"", "data", COIL_EVALUE,
            "data: expects bytes as base64, got a string that is not");
    refused(&coil_type_bytes, "\"AB==\"", "data", COIL_EVALUE,
            "data: expects bytes as base64, got a string that is not");
    refused(&coil_type_bytes, "\"AAB=\"", "data", COIL_EVALUE,
            "data: expects bytes as base64, got a string that is not");
    refused(&coil_type_bytes, "\"=Zg=\"", NULL, COIL_EVALUE,
            "expects bytes as base64, got a string that is not");
    refused(&coil_type_bytes, "12", "data", COIL_ETYPE,
            "data: expects bytes (a base64 string), got an integer");
}

CTEST(values, structs_and_nesting_round_trip) {
    round_trip(&point_type, "{\"x\": 1.5, \"y\": -2.0}");
    round_trip(&list_point_type, "[]");
    round_trip(&list_point_type, "[{\"x\": 1.0, \"y\": 2.0}, {\"x\": 3.0, \"y\": 4.0}]");
    round_trip(&map_list_point_type, "{}");
    round_trip(&nested_type,
               "[{\"a\": [{\"x\": 1.0, \"y\": 2.0}], \"b\": []}, {}, "
               "{\"ü\": [{\"x\": 0.5, \"y\": 0.25}, {\"x\": 7.0, \"y\": 8.0}]}]");
    round_trip(&shape_type,
               "{\"name\": \"sq\", \"fill\": \"green\", \"center\": {\"x\": 0.0, \"y\": 0.0},"
               " \"corners\": [{\"x\": 1.0, \"y\": 1.0}], \"tag\": \"AAEC\","
               " \"extra\": {\"k\": [1]}, \"visible\": true, \"layer\": 3}");
    round_trip(&shape_type,
               "{\"name\": \"\", \"fill\": \"red\", \"center\": null, \"corners\": [],"
               " \"tag\": \"\", \"extra\": null, \"visible\": false, \"layer\": -1}");
}

CTEST(values, an_absent_optional_field_is_null) {
    json_t *in = parse("{\"name\": \"n\", \"fill\": \"red\", \"corners\": [], \"tag\": \"\","
                       " \"extra\": 1, \"visible\": true, \"layer\": 0}");
    shape s;
    cr_assert_eq(coil_value_from_json(&shape_type, in, &s, NULL, NULL), 0);
    cr_assert_null(s.center);
    cr_assert_eq(json_integer_value(s.extra), 1);
    coil_value_free(&shape_type, &s);
    json_decref(in);
}

CTEST(values, errors_name_the_path_and_the_types) {
    refused(&coil_type_int, "\"3\"", "n", COIL_ETYPE, "n: expects an int, got a string");
    refused(&coil_type_int, "3.5", "n", COIL_ETYPE, "n: expects an int, got a number");
    refused(&coil_type_bool, "1", "flag", COIL_ETYPE, "flag: expects a bool, got an integer");
    refused(&coil_type_string, "null", "s", COIL_ETYPE, "s: expects a string, got null");
    refused(&coil_type_string, "\"a\\u0000b\"", "s", COIL_EVALUE,
            "s: a string cannot hold a NUL character (use bytes)");
    refused(&color_type, "\"purple\"", "c", COIL_EVALUE, "c: 'purple' is not a value of color");
    refused(&color_type, "2", "c", COIL_ETYPE, "c: expects a string (color), got an integer");
    refused(&point_type, "[1, 2]", "p", COIL_ETYPE, "p: expects an object (point), got an array");
    refused(&point_type, "{\"x\": 1}", "p", COIL_ETYPE, "p.y: missing (double)");
    refused(&point_type, "{\"x\": 1, \"y\": 2, \"z\": 3}", "p", COIL_ETYPE,
            "p: point has no field 'z'");
    refused(&list_point_type, "[{\"x\": 1, \"y\": 2}, {\"x\": \"no\", \"y\": 2}]", "pts",
            COIL_ETYPE, "pts[1].x: expects a double, got a string");
    refused(&nested_type, "[{}, {\"k\": [{\"x\": 1, \"y\": true}]}]", NULL, COIL_ETYPE,
            "[1][\"k\"][0].y: expects a double, got a boolean");
    refused(&map_list_point_type, "[]", "m", COIL_ETYPE,
            "m: expects an object (map<list<point>>), got an array");
}

CTEST(values, to_json_refuses_what_json_cannot_say) {
    coil_error *err = NULL;
    double inf = INFINITY;
    cr_assert_null(coil_value_to_json(&coil_type_double, &inf, "d", &err));
    cr_assert_eq(err->code, COIL_EVALUE);
    cr_assert_str_eq(err->message, "d: inf cannot be represented in JSON");
    coil_error_free(err);
    err = NULL;

    char *null_string = NULL;
    cr_assert_null(coil_value_to_json(&coil_type_string, &null_string, "s", &err));
    cr_assert_str_eq(err->message, "s: a string is NULL (use optional<string> for no value)");
    coil_error_free(err);
    err = NULL;

    char *bad_utf8 = "\xff\xfe";
    cr_assert_null(coil_value_to_json(&coil_type_string, &bad_utf8, "s", &err));
    cr_assert_str_eq(err->message, "s: a string is not valid UTF-8");
    coil_error_free(err);
    err = NULL;

    color c = (color)7;
    cr_assert_null(coil_value_to_json(&color_type, &c, "c", &err));
    cr_assert_str_eq(err->message, "c: 7 is not a value of color");
    coil_error_free(err);
    err = NULL;

    point pts[1] = { { NAN, 0 } };
    list_point l = { pts, 1 };
    cr_assert_null(coil_value_to_json(&list_point_type, &l, "pts", &err));
    cr_assert_str_eq(err->message, "pts[0].x: nan cannot be represented in JSON");
    coil_error_free(err);
}

CTEST(values, null_arguments) {
    int64_t v;
    coil_error *err = NULL;
    cr_assert_eq(coil_value_from_json(NULL, json_null(), &v, NULL, &err), COIL_EINVAL);
    coil_error_free(err);
    cr_assert_null(coil_value_to_json(&coil_type_int, NULL, NULL, NULL));
    coil_value_free(NULL, &v);
    coil_value_free(&coil_type_int, NULL);
    /* A zeroed value of any type frees cleanly. */
    shape zero = { 0 };
    coil_value_free(&shape_type, &zero);
    list_map_list_point nz = { 0 };
    coil_value_free(&nested_type, &nz);
}
