/* The `calc` service shared by the call and proxy tests: every method with
 * plain, checkable behaviour, application errors on demand, and `count`
 * left unimplemented. */
#include "support/support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calc.h"
#include "support/calc_service.h"

static int impl_add(void *self, int64_t a, int64_t b, int64_t *result, coil_error **err) {
    (void)err;
    *result = a + b + ((calc_impl *)self)->base;
    return 0;
}

static int impl_greet(void *self, const char *name, const char *title, char **result,
                      coil_error **err) {
    (void)self;
    (void)err;
    size_t n = strlen(name) + (title ? strlen(title) + 1 : 0) + 8;
    *result = malloc(n);
    snprintf(*result, n, "Hello, %s%s%s", title ? title : "", title ? " " : "", name);
    return 0;
}

static int impl_centroid(void *self, const calc_list_point *points, calc_point *result,
                         coil_error **err) {
    (void)self;
    if (!points->count) {
        *err = coil_error_new(COIL_EVALUE, "the centroid of no points is undefined");
        return COIL_EVALUE;
    }
    calc_point c = { 0, 0 };
    for (size_t i = 0; i < points->count; i++) {
        c.x += points->items[i].x / (double)points->count;
        c.y += points->items[i].y / (double)points->count;
    }
    *result = c;
    return 0;
}

static int impl_tally(void *self, const calc_list_string *words, calc_map_int *result,
                      coil_error **err) {
    (void)self;
    (void)err;
    calc_map_int m = { calloc(words->count + 1, sizeof(char *)),
                       calloc(words->count + 1, sizeof(int64_t)), 0 };
    for (size_t i = 0; i < words->count; i++) {
        size_t k = 0;
        while (k < m.count && strcmp(m.keys[k], words->items[i]) != 0)
            k++;
        if (k == m.count)
            m.keys[m.count++] = strdup(words->items[i]);
        m.values[k]++;
    }
    *result = m;
    return 0;
}

static int impl_echo(void *self, const json_t *value, json_t **result, coil_error **err) {
    (void)self;
    (void)err;
    *result = json_deep_copy(value);
    return 0;
}

static int impl_reverse(void *self, const coil_bytes *data, coil_bytes *result,
                        coil_error **err) {
    (void)self;
    (void)err;
    coil_bytes r = { malloc(data->len + 1), data->len };
    for (size_t i = 0; i < data->len; i++)
        r.data[i] = data->data[data->len - 1 - i];
    *result = r;
    return 0;
}

static int impl_note(void *self, const char *text, coil_error **err) {
    (void)text;
    (void)err;
    ((calc_impl *)self)->notes++;
    return 0;
}

static int impl_fail(void *self, int64_t code, coil_error **err) {
    (void)self;
    if (code == 0)
        return COIL_EINIT; /* fails without saying why */
    *err = coil_error_new((coil_code)code, "failing on purpose with %lld", (long long)code);
    return (int)code;
}

static int impl_feel(void *self, calc_mood m, calc_mood *result, coil_error **err) {
    (void)self;
    (void)err;
    *result = m == CALC_MOOD_HAPPY ? CALC_MOOD_SAD : CALC_MOOD_HAPPY;
    return 0;
}

static const calc_ops impl_ops = {
    .add = impl_add, .greet = impl_greet, .centroid = impl_centroid, .tally = impl_tally,
    .echo = impl_echo, .reverse = impl_reverse, .note = impl_note, .fail = impl_fail,
    .feel = impl_feel, /* count is left out on purpose */
};

static const coil_property impl_props[] = {
    { .name = "base", .type = COIL_T_INT, .offset = offsetof(calc_impl, base) },
    COIL_PROPERTIES_END
};
static const coil_implements impl_ifaces[] = { { &calc_interface, &impl_ops }, COIL_IMPLEMENTS_END };
const coil_class calc_impl_class = {
    .abi = COIL_ABI_VERSION, .name = "calc_impl", .size = sizeof(calc_impl),
    .properties = impl_props, .implements = impl_ifaces,
};

/* Every calc method with the results a calc_impl with base 100 gives:
 * the same from the local object, a forwarding object and a proxy. */
void calc_expect_typed_calls(void *obj) {
    coil_error *err = NULL;
    int64_t sum = 0;
    cr_assert_eq(calc_add(obj, 2, 3, &sum, &err), 0, "%s", err ? err->message : "");
    cr_assert_eq(sum, 105);

    char *hello = NULL;
    cr_assert_eq(calc_greet(obj, "Ann", NULL, &hello, &err), 0);
    cr_assert_str_eq(hello, "Hello, Ann");
    free(hello);
    cr_assert_eq(calc_greet(obj, "Ann", "Dr.", &hello, &err), 0);
    cr_assert_str_eq(hello, "Hello, Dr. Ann");
    free(hello);

    calc_point pts[] = { { 0, 0 }, { 2, 4 } };
    calc_list_point list = { pts, 2 };
    calc_point c;
    cr_assert_eq(calc_centroid(obj, &list, &c, &err), 0);
    cr_assert_float_eq(c.x, 1.0, 1e-12);
    cr_assert_float_eq(c.y, 2.0, 1e-12);

    char *words[] = { "a", "b", "a" };
    calc_list_string wl = { words, 3 };
    calc_map_int tally = { 0 };
    cr_assert_eq(calc_tally(obj, &wl, &tally, &err), 0);
    cr_assert_eq(tally.count, 2);
    cr_assert_str_eq(tally.keys[0], "a");
    cr_assert_eq(tally.values[0], 2);
    cr_assert_str_eq(tally.keys[1], "b");
    cr_assert_eq(tally.values[1], 1);
    calc_map_int_free(&tally);

    json_t *in = json_pack("{s:[i,s,n]}", "k", 1, "two"), *out = NULL;
    cr_assert_eq(calc_echo(obj, in, &out, &err), 0);
    cr_assert(json_equal(in, out));
    json_decref(in);
    json_decref(out);

    unsigned char raw[] = { 1, 0, 2 };
    coil_bytes b = { raw, 3 }, rb = { 0 };
    cr_assert_eq(calc_reverse(obj, &b, &rb, &err), 0);
    cr_assert_eq(rb.len, 3);
    cr_assert(rb.data[0] == 2 && rb.data[1] == 0 && rb.data[2] == 1);
    free(rb.data);

    calc_mood mood;
    cr_assert_eq(calc_feel(obj, CALC_MOOD_HAPPY, &mood, &err), 0);
    cr_assert_eq(mood, CALC_MOOD_SAD);

    cr_assert_eq(calc_note(obj, "remember", &err), 0);

    /* Errors come back with the service's code and message. */
    cr_assert_eq(calc_fail(obj, COIL_EVALUE, &err), COIL_EVALUE);
    cr_assert_str_eq(err->message, "failing on purpose with 10");
    coil_error_free(err);
    err = NULL;

    calc_list_point none = { NULL, 0 };
    calc_point untouched = { 7, 7 };
    cr_assert_eq(calc_centroid(obj, &none, &untouched, &err), COIL_EVALUE);
    cr_assert_str_eq(err->message, "the centroid of no points is undefined");
    cr_assert_float_eq(untouched.x, 7.0, 0, "the result is untouched on error");
    coil_error_free(err);
    err = NULL;

    /* A method the class left out. */
    int64_t n = -1;
    cr_assert_eq(calc_count(obj, &n, &err), COIL_EINTERFACE);
    cr_assert_str_eq(err->message, "calc.count is not implemented");
    cr_assert_eq(n, -1);
    coil_error_free(err);
}
