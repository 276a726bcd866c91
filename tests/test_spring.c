/* A context in Spring Python's own YamlConfig style loads and wires. */
#include "support/support.h"

#include <string.h>

static coil_context *load_spring(void) {
    chdir_data();
    coil_options *opts = test_options();
    coil_error *err = NULL;
    coil_context *ctx = coil_load_file("spring/app-context.yml", opts, &err);
    coil_options_free(opts);
    cr_assert_not_null(ctx, "%s", dump_errors(err));
    return ctx;
}

CTEST(spring, movie_lister_example) {
    coil_context *ctx = load_spring();
    movie_lister *l1 = GET_OK(ctx, "MovieLister", NULL);
    movie_lister *l2 = GET_OK(ctx, "MovieLister", NULL);
    cr_assert_neq(l1, l2, "scope: prototype");
    cr_assert_not_null(l1->finder);
    cr_assert_eq(l1->finder, l2->finder, "the finder is a singleton");
    cr_assert_eq(l1->finder, GET_OK(ctx, "MovieFinder", NULL));
    cr_assert_str_eq(((movie_finder *)l1->finder)->filename, "support/movies1.txt");
    string_holder *s = GET_OK(ctx, "SingletonString", NULL);
    cr_assert_eq(l1->description, s);
    cr_assert_eq(l2->description, s);
    cr_assert_str_eq(s->str, "There should only be one copy of this string");
    coil_close(ctx);
}

CTEST(spring, inner_object) {
    coil_context *ctx = load_spring();
    movie_lister *l = GET_OK(ctx, "MovieLister2", NULL);
    movie_finder *f = l->finder;
    cr_assert_not_null(f);
    cr_assert_neq(f, GET_OK(ctx, "MovieFinder", NULL));
    cr_assert_str_eq(f->filename, "support/movies1.txt");
    coil_error *err = NULL;
    cr_assert_null(coil_get(ctx, "named", NULL, &err), "inner objects are private");
    cr_assert_eq(err->code, COIL_ENOTFOUND);
    coil_error_free(err);
    coil_close(ctx);
}

CTEST(spring, constructor_args) {
    coil_context *ctx = load_spring();
    movie_lister *l = GET_OK(ctx, "MovieLister3", NULL);
    cr_assert_eq(l->finder, GET_OK(ctx, "MovieFinder", NULL));
    cr_assert_eq(l->description, GET_OK(ctx, "SingletonString", NULL));
    coil_close(ctx);
}

CTEST(spring, collections) {
    coil_context *ctx = load_spring();
    value_holder *v = GET_OK(ctx, "ValueHolder", NULL);
    cr_assert_eq(json_object_size(v->some_dict), 3);
    cr_assert_str_eq(json_string_value(json_object_get(v->some_dict, "Hello")), "World");
    cr_assert_eq(json_integer_value(json_object_get(v->some_dict, "Count")), 3);
    cr_assert_eq(v->some_list.count, 2);
    cr_assert_str_eq(v->some_list.items[0], "Hello, world!");
    cr_assert_str_eq(json_string_value(json_object_get(v->some_props, "support")), "support@example.org");
    cr_assert_eq(v->some_set.count, 2, "set drops the duplicate");
    cr_assert_str_eq(v->some_set.items[0], "Hello, world!");
    cr_assert_str_eq(v->some_set.items[1], "Spring Python");
    cr_assert_eq(v->some_frozen_set.count, 2);
    cr_assert_eq(v->some_tuple.count, 3, "tuple keeps it");
    cr_assert_str_eq(v->some_tuple.items[2], "Hello, world!");
    cr_assert_eq(v->holders.count, 2);
    cr_assert_eq(v->holders.items[0], GET_OK(ctx, "SingletonString", NULL));
    cr_assert_str_eq(((string_holder *)v->holders.items[1])->str, "an inner string");
    cr_assert_eq(v->count, 12);
    cr_assert_float_eq(v->ratio, 2.0, 1e-12);
    cr_assert(v->flag);
    cr_assert_str_eq(v->label, "42");

    value_holder *v2 = GET_OK(ctx, "ValueHolder2", NULL);
    json_t *b = json_object_get(v2->some_dict, "b");
    cr_assert(json_is_array(b) && json_array_size(b) == 2);
    cr_assert_eq(json_integer_value(json_object_get(v2->some_dict, "a")), 1);
    coil_close(ctx);
}

CTEST(spring, abstract_parent) {
    coil_context *ctx = load_spring();
    movie_finder *c = GET_OK(ctx, "childFinder", NULL);
    cr_assert_str_eq(c->filename, "support/parent.txt");
    movie_finder *o = GET_OK(ctx, "overridingChildFinder", NULL);
    cr_assert_str_eq(o->filename, "support/child.txt");
    coil_error *err = NULL;
    cr_assert_null(coil_get(ctx, "parentFinder", NULL, &err));
    EXPECT_ONLY_ERROR(err, COIL_ESTATE, NULL, 0, 0, "object 'parentFinder' is abstract");
    coil_error_free(err);
    coil_close(ctx);
}

CTEST(spring, lazy_ones_wait_for_their_first_use) {
    chdir_data();
    coil_options *opts = test_options();
    coil_error *err = NULL;
    coil_context *ctx = coil_load_file("spring/app-context.yml", opts, &err);
    cr_assert_not_null(ctx, "%s", dump_errors(err));
    size_t n = 0;
    const coil_definition_info *d = coil_definitions(ctx, &n);
    cr_assert_eq(n, 10);
    for (size_t k = 0; k < n; k++) {
        if (strcmp(d[k].name, "MovieLister3") == 0 || strcmp(d[k].name, "MovieFinder") == 0) {
            cr_assert(d[k].lazy, "%s", d[k].name);
            cr_assert_eq(d[k].creation_index, (size_t)-1, "%s", d[k].name);
        }
        if (strcmp(d[k].name, "MovieLister") == 0)
            cr_assert_eq(d[k].scope, COIL_PROTOTYPE);
        if (strcmp(d[k].name, "MovieLister2") == 0) {
            cr_assert_str_eq(d[k].file, "spring/app-context.yml");
            cr_assert_eq(d[k].line, 25);
            cr_assert_eq(d[k].column, 7);
        }
    }
    /* The eager singletons come first, with their creation index. */
    const char *eager[] = { "MovieLister2", "ValueHolder", "ValueHolder2", "childFinder",
                            "overridingChildFinder" };
    for (size_t e = 0; e < 5; e++) {
        bool found = false;
        for (size_t k = 0; k < n; k++)
            if (strcmp(d[k].name, eager[e]) == 0) {
                found = true;
                cr_assert_neq(d[k].creation_index, (size_t)-1, "%s", eager[e]);
            }
        cr_assert(found, "%s", eager[e]);
    }
    coil_close(ctx);
    coil_options_free(opts);
}
