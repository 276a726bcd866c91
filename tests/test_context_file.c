/* The context file format: top-level keys, imports, aliases, placeholders,
 * abstract/parent inheritance, constructor-args. */
#define _DEFAULT_SOURCE 1 /* mkstemps */
#include "support/support.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static size_t ndefs(coil_context *ctx) {
    size_t n = 0;
    coil_definitions(ctx, &n);
    return n;
}

/* ---- Basic shape ------------------------------------------------------------------ */

CTEST(context_file, empty_contexts) {
    const char *empties[] = {
        "", "# only a comment\n", "objects: []\n", "---\nobjects: []\n...\n",
        "objects:\nimports: []\nmodules: []\nproperties: {}\naliases: {}\n",
    };
    for (size_t k = 0; k < sizeof empties / sizeof empties[0]; k++) {
        coil_error *err = NULL;
        coil_context *ctx = load_app(empties[k], &err);
        cr_assert_not_null(ctx, "%s\n%s", empties[k], dump_errors(err));
        cr_assert_eq(ndefs(ctx), 0);
        coil_close(ctx);
    }
}

CTEST(context_file, load_file_relative_to_cwd) {
    chdir_data();
    coil_options *opts = test_options();
    coil_error *err = NULL;
    coil_context *ctx = coil_load_file("imports/common.yaml", opts, &err);
    cr_assert_not_null(ctx, "%s", dump_errors(err));
    size_t n = 0;
    const coil_definition_info *d = coil_definitions(ctx, &n);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(d[0].name, "common_obj");
    cr_assert_str_eq(d[0].file, "imports/common.yaml");
    cr_assert_eq(d[0].line, 5);
    cr_assert_eq(d[0].column, 5);
    coil_close(ctx);
    coil_options_free(opts);
}

CTEST(context_file, context_dir_placeholder_is_the_files_directory) {
    chdir_data();
    char data[PATH_MAX];
    cr_assert_not_null(realpath(".", data));
    coil_options *opts = test_options();
    coil_error *err = NULL;
    coil_context *ctx = coil_load_file("contextdir/main.yaml", opts, &err);
    cr_assert_not_null(ctx, "%s", dump_errors(err));
    char want[PATH_MAX + 64];
    snprintf(want, sizeof want, "%s/contextdir/data.txt", data);
    everything *here = coil_get(ctx, "here", NULL, NULL);
    cr_assert_str_eq(here->s, want);
    snprintf(want, sizeof want, "%s/contextdir/sub/data.txt", data);
    everything *there = coil_get(ctx, "there", NULL, NULL);
    cr_assert_str_eq(there->s, want, "an imported file's own directory");
    coil_close(ctx);

    /* A value given by the program wins, like any placeholder's. */
    coil_options_set(opts, "COIL_CONTEXT_DIR", "/elsewhere");
    ctx = coil_load_file("contextdir/main.yaml", opts, &err);
    cr_assert_not_null(ctx, "%s", dump_errors(err));
    here = coil_get(ctx, "here", NULL, NULL);
    cr_assert_str_eq(here->s, "/elsewhere/data.txt");
    coil_close(ctx);
    coil_options_free(opts);
}

CTEST(context_file, an_empty_value_takes_the_default) {
    /* As in the shell: ${NAME:-default} covers an empty value too, while
     * ${NAME} keeps it. */
    setenv("COIL_TEST_EMPTY", "", 1);
    coil_context *ctx = LOAD_OK("objects:\n"
                                "  - object: x\n"
                                "    class: everything\n"
                                "    properties:\n"
                                "      s: \"[${COIL_TEST_EMPTY:-fallback}]\"\n"
                                "      i: ${COIL_TEST_EMPTY:-7}\n"
                                "  - object: y\n"
                                "    class: everything\n"
                                "    properties: {s: \"[${COIL_TEST_EMPTY}]\"}\n");
    everything *x = coil_get(ctx, "x", NULL, NULL), *y = coil_get(ctx, "y", NULL, NULL);
    cr_assert_str_eq(x->s, "[fallback]");
    cr_assert_eq(x->i, 7);
    cr_assert_str_eq(y->s, "[]");
    coil_close(ctx);
    unsetenv("COIL_TEST_EMPTY");
}

/* ---- Imports ------------------------------------------------------------------------------ */

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

CTEST(context_file, imports_relative_read_once_and_override) {
    chdir_data();
    coil_options *opts = test_options();
    coil_error *err = NULL;
    coil_context *ctx = coil_load_file("imports/main.yaml", opts, &err);
    cr_assert_not_null(ctx, "%s", dump_errors(err));
    cr_assert_str_eq(tlog_get(), "init:common_obj init:middle_obj init:main_obj");

    /* The later file's definition replaces the whole earlier one. */
    everything *shared = GET_OK(ctx, "shared", NULL);
    cr_assert_str_eq(shared->s, "main-version");
    cr_assert_eq(shared->i, 0, "definitions are replaced, not merged");

    /* The importing file's properties win over the imported file's. */
    everything *greeting = GET_OK(ctx, "greeting", NULL);
    cr_assert_str_eq(greeting->s, "from-main common");

    recorder *main_obj = GET_OK(ctx, "main_obj", NULL);
    recorder *middle = GET_OK(ctx, "middle_obj", NULL);
    cr_assert_eq(main_obj->first, GET_OK(ctx, "common_obj", NULL));
    cr_assert_eq(main_obj->second, middle);
    cr_assert_eq(middle->first, main_obj->first);

    size_t n = 0;
    const coil_definition_info *d = coil_definitions(ctx, &n);
    cr_assert_eq(n, 5, "shared is one definition; common.yaml was read once");
    for (size_t k = 0; k < n; k++) {
        if (strcmp(d[k].name, "shared") == 0) {
            cr_assert_str_eq(d[k].file, "imports/main.yaml");
            cr_assert_eq(d[k].line, 12);
            cr_assert_eq(d[k].column, 5);
        } else if (strcmp(d[k].name, "middle_obj") == 0) {
            cr_assert(ends_with(d[k].file, "middle.yaml"), "%s", d[k].file);
            cr_assert_eq(d[k].line, 3);
        } else if (strcmp(d[k].name, "common_obj") == 0) {
            cr_assert(ends_with(d[k].file, "common.yaml"), "%s", d[k].file);
            cr_assert_eq(d[k].line, 5);
        }
    }
    coil_close(ctx);
    coil_options_free(opts);
}

CTEST(context_file, a_file_imported_twice_is_read_once) {
    chdir_data();
    coil_options *opts = test_options();
    coil_error *err = NULL;
    cr_assert_null(coil_load_file("imports/twice/main.yaml", opts, &err));
    cr_assert_eq(coil_error_count(err), 1, "shared.yaml's error once:\n%s", dump_errors(err));
    cr_assert_eq(err->code, COIL_EKEY, "%s", dump_errors(err));
    cr_assert(ends_with(err->file, "shared.yaml"), "%s", err->file);
    cr_assert_eq(err->line, 2);
    cr_assert_eq(err->column, 1);
    cr_assert_str_eq(err->message, "unknown top-level key 'oops' (expected objects, imports, "
                                   "modules, properties or aliases)");
    coil_error_free(err);
    coil_options_free(opts);
}

CTEST(context_file, importing_file_overrides_imported_definition) {
    chdir_data();
    coil_options *opts = test_options();
    coil_error *err = NULL;
    coil_context *ctx = coil_load_file("imports/overrides_import.yaml", opts, &err);
    cr_assert_not_null(ctx, "%s", dump_errors(err));
    recorder *r = GET_OK(ctx, "common_obj", NULL);
    cr_assert_str_eq(r->name, "overridden");
    cr_assert_str_eq(tlog_get(), "init:overridden");
    coil_close(ctx);
    coil_options_free(opts);
}

CTEST(context_file, import_cycle) {
    cr_assert_eq(chdir(COIL_TEST_DATA "/cycle"), 0);
    coil_options *opts = test_options();
    coil_error *err = NULL;
    cr_assert_null(coil_load_file("a.yaml", opts, &err));
    cr_assert_eq(coil_error_count(err), 1, "%s", dump_errors(err));
    check_error(HERE, err, err, COIL_ECYCLE, NULL, 3, 5, "import cycle: a.yaml -> b.yaml -> a.yaml");
    cr_assert(ends_with(err->file, "b.yaml"), "the cycle is reported at b.yaml's import entry, not %s", err->file);
    coil_error_free(err);
    coil_options_free(opts);
}

CTEST(context_file, import_of_itself) {
    cr_assert_eq(chdir(COIL_TEST_DATA "/cycle"), 0);
    coil_options *opts = test_options();
    coil_error *err = NULL;
    cr_assert_null(coil_load_file("self.yaml", opts, &err));
    EXPECT_ONLY_ERROR(err, COIL_ECYCLE, "self.yaml", 1, 11, "import cycle: self.yaml -> self.yaml");
    coil_error_free(err);
    coil_options_free(opts);
}

CTEST(context_file, import_of_a_missing_file) {
    chdir_data();
    coil_options *opts = test_options();
    coil_error *err = NULL;
    cr_assert_null(coil_load_file("imports/missing.yaml", opts, &err));
    cr_assert_eq(coil_error_count(err), 1, "%s", dump_errors(err));
    check_error(HERE, err, err, COIL_EIO, "imports/missing.yaml", 3, 5, NULL);
    coil_error_free(err);
    coil_options_free(opts);
}

CTEST(context_file, imports_from_a_string_are_relative_to_cwd) {
    chdir_data();
    coil_context *ctx = LOAD_OK("imports: [imports/common.yaml]\n"
                                "objects:\n"
                                "  - object: mine\n"
                                "    class: recorder\n"
                                "    properties: {name: mine, first: {ref: common_obj}}\n");
    cr_assert_str_eq(tlog_get(), "init:common_obj init:mine");
    coil_close(ctx);
}

CTEST(context_file, import_paths_take_placeholders) {
    chdir_data();
    setenv("COIL_TEST_IMPORT_DIR", "imports", 1);
    coil_context *ctx = LOAD_OK("imports: [\"${COIL_TEST_IMPORT_DIR}/common.yaml\"]\n");
    GET_OK(ctx, "common_obj", NULL);
    coil_close(ctx);
    unsetenv("COIL_TEST_IMPORT_DIR");

    coil_options *opts = test_options();
    coil_options_set(opts, "DIR", "imports");
    coil_error *err = NULL;
    ctx = load_app_opts("imports: [\"${DIR}/common.yaml\"]\n", opts, &err);
    cr_assert_not_null(ctx, "%s", dump_errors(err));
    GET_OK(ctx, "common_obj", NULL);
    coil_close(ctx);
    coil_options_free(opts);

    /* The importing file's own properties are read before its imports. */
    ctx = LOAD_OK("properties: {SUB: imports}\n"
                  "imports: [\"${SUB}/common.yaml\"]\n");
    GET_OK(ctx, "greeting", NULL);
    coil_close(ctx);
}

/* ---- Aliases ------------------------------------------------------------------------------- */

CTEST(context_file, aliases) {
    coil_context *ctx = LOAD_OK("objects:\n"
                                "  - object: a\n"
                                "    class: recorder\n"
                                "    alias: [a1, a2]\n"
                                "    properties: {name: a}\n"
                                "  - object: b\n"
                                "    class: recorder\n"
                                "    alias: b1\n"
                                "    properties: {name: b, first: {ref: a1}}\n"
                                "aliases:\n"
                                "  top: b\n"
                                "  other: a\n");
    recorder *a = GET_OK(ctx, "a", NULL), *b = GET_OK(ctx, "b", NULL);
    cr_assert_eq(GET_OK(ctx, "a1", NULL), a);
    cr_assert_eq(GET_OK(ctx, "a2", NULL), a);
    cr_assert_eq(GET_OK(ctx, "other", NULL), a);
    cr_assert_eq(GET_OK(ctx, "b1", NULL), b);
    cr_assert_eq(GET_OK(ctx, "top", NULL), b);
    cr_assert_eq(b->first, a, "refs may name an alias");
    cr_assert_str_eq(tlog_get(), "init:a init:b");

    size_t n = 0;
    const coil_definition_info *d = coil_definitions(ctx, &n);
    cr_assert_eq(n, 2);
    for (size_t k = 0; k < n; k++) {
        const char *const *al = d[k].aliases;
        cr_assert_not_null(al);
        size_t count = 0;
        bool saw_top = false, saw_other = false;
        for (; al[count]; count++) {
            saw_top = saw_top || strcmp(al[count], "top") == 0;
            saw_other = saw_other || strcmp(al[count], "other") == 0;
        }
        if (strcmp(d[k].name, "a") == 0) {
            cr_assert_eq(count, 3, "a1, a2 and other");
            cr_assert(saw_other);
        } else {
            cr_assert_eq(count, 2, "b1 and top");
            cr_assert(saw_top);
        }
    }
    coil_close(ctx);
}

CTEST(context_file, alias_errors) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: a\n"
                      "    class: recorder\n"
                      "  - object: b\n"
                      "    class: recorder\n"
                      "aliases:\n"
                      "  a: b\n", &err);
    cr_assert_eq(coil_error_count(err), 1, "%s", dump_errors(err));
    cr_assert_eq(err->code, COIL_EDUPLICATE, "alias clashing with an id:\n%s", dump_errors(err));
    cr_assert_str_eq(err->file, "app.yaml");
    cr_assert_eq(err->line, 7);
    coil_error_free(err);

    err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: a\n"
                      "    class: recorder\n"
                      "    alias: x\n"
                      "  - object: b\n"
                      "    class: recorder\n"
                      "    alias: [y, x]\n", &err);
    cr_assert_eq(coil_error_count(err), 1, "%s", dump_errors(err));
    cr_assert_eq(err->code, COIL_EDUPLICATE, "alias clashing with an alias:\n%s", dump_errors(err));
    cr_assert_eq(err->line, 7);
    coil_error_free(err);

    err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: a\n"
                      "    class: recorder\n"
                      "    alias: b\n"
                      "  - object: b\n"
                      "    class: recorder\n", &err);
    cr_assert_eq(coil_error_count(err), 1, "%s", dump_errors(err));
    cr_assert_eq(err->code, COIL_EDUPLICATE, "alias clashing with a later id:\n%s", dump_errors(err));
    coil_error_free(err);

    err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: a\n"
                      "    class: recorder\n"
                      "aliases:\n"
                      "  z: nope\n", &err);
    cr_assert_eq(coil_error_count(err), 1, "%s", dump_errors(err));
    cr_assert_eq(err->code, COIL_EREF, "alias to an undefined id:\n%s", dump_errors(err));
    cr_assert_eq(err->line, 5);
    coil_error_free(err);
}

/* ---- Placeholders ------------------------------------------------------------------------------ */

static everything *x_of(coil_context *ctx) { return GET_OK(ctx, "x", NULL); }

CTEST(context_file, placeholder_from_properties_is_retyped) {
    coil_context *ctx = LOAD_OK("properties:\n"
                                "  N: 4\n"
                                "  FLAG: \"yes\"\n"
                                "objects:\n"
                                "  - object: x\n"
                                "    class: everything\n"
                                "    properties:\n"
                                "      verses: ${N}\n"
                                "      b: ${FLAG}\n"
                                "      d: ${N}\n"
                                "      any: ${N}\n"
                                "      strs:\n"
                                "        - \"${N}\"\n"
                                "        - a${N}\n");
    everything *x = x_of(ctx);
    cr_assert_eq(x->verses, 4);
    cr_assert(x->b);
    cr_assert_float_eq(x->d, 4.0, 1e-12);
    cr_assert(json_is_integer(x->any), "a plain scalar is re-typed after expansion");
    cr_assert_eq(json_integer_value(x->any), 4);
    cr_assert_str_eq(x->strs.items[0], "4");
    cr_assert_str_eq(x->strs.items[1], "a4");
    coil_close(ctx);
}

CTEST(context_file, quoted_placeholder_stays_a_string) {
    coil_context *ctx = LOAD_OK("properties: {N: 42}\n"
                                "objects:\n"
                                "  - object: x\n"
                                "    class: everything\n"
                                "    properties:\n"
                                "      any: \"${N}\"\n"
                                "      map:\n"
                                "        plain: ${N}\n"
                                "        quoted: \"${N}\"\n"
                                "        ${N}: key\n");
    everything *x = x_of(ctx);
    cr_assert(json_is_string(x->any));
    cr_assert_str_eq(json_string_value(x->any), "42");
    cr_assert(json_is_integer(json_object_get(x->map, "plain")));
    cr_assert(json_is_string(json_object_get(x->map, "quoted")));
    cr_assert_str_eq(json_string_value(json_object_get(x->map, "${N}")), "key",
                     "keys are not expanded");
    coil_close(ctx);
}

CTEST(context_file, placeholder_defaults) {
    unsetenv("COIL_T_UNSET");
    coil_context *ctx = LOAD_OK("objects:\n"
                                "  - object: x\n"
                                "    class: everything\n"
                                "    properties:\n"
                                "      verses: ${COIL_T_UNSET:-5}\n"
                                "      s: a${COIL_T_UNSET:-}b\n"
                                "      mode: ${COIL_T_UNSET:-fast}\n"
                                "      dstr: ${COIL_T_UNSET:-two words}\n");
    everything *x = x_of(ctx);
    cr_assert_eq(x->verses, 5);
    cr_assert_str_eq(x->s, "ab");
    cr_assert_str_eq(x->mode, "fast");
    cr_assert_str_eq(x->dstr, "two words");
    coil_close(ctx);
}

CTEST(context_file, placeholder_lookup_order) {
    const char *yaml = "properties:\n"
                       "  COIL_T_A: from-file\n"
                       "  COIL_T_B: from-file\n"
                       "objects:\n"
                       "  - object: x\n"
                       "    class: everything\n"
                       "    properties:\n"
                       "      strs: [\"${COIL_T_A}\", \"${COIL_T_B}\", \"${COIL_T_C}\", \"${COIL_T_D:-dflt}\"]\n";
    setenv("COIL_T_A", "from-env", 1);
    setenv("COIL_T_B", "from-env", 1);
    setenv("COIL_T_C", "from-env", 1);
    unsetenv("COIL_T_D");
    coil_options *opts = test_options();
    coil_options_set(opts, "COIL_T_A", "from-set");
    coil_error *err = NULL;
    coil_context *ctx = load_app_opts(yaml, opts, &err);
    cr_assert_not_null(ctx, "%s", dump_errors(err));
    everything *x = x_of(ctx);
    cr_assert_str_eq(x->strs.items[0], "from-set", "coil_options_set wins");
    cr_assert_str_eq(x->strs.items[1], "from-file", "then the files' properties");
    cr_assert_str_eq(x->strs.items[2], "from-env", "then the environment");
    cr_assert_str_eq(x->strs.items[3], "dflt", "then the default");
    coil_close(ctx);

    /* A set value beats a default too, and the environment can be turned off. */
    coil_options_set(opts, "COIL_T_D", "set-d");
    coil_options_use_environment(opts, false);
    err = NULL;
    ctx = load_app_opts(yaml, opts, &err);
    cr_assert_null(ctx);
    EXPECT_ONLY_ERROR(err, COIL_EPLACEHOLDER, "app.yaml", 8, 44, "unresolved placeholder '${COIL_T_C}'");
    coil_error_free(err);
    coil_options_free(opts);
    unsetenv("COIL_T_A");
    unsetenv("COIL_T_B");
    unsetenv("COIL_T_C");
}

CTEST(context_file, placeholders_in_ids_classes_and_refs) {
    coil_options *opts = test_options();
    coil_options_set(opts, "ID", "made");
    coil_options_set(opts, "CLS", "recorder");
    coil_options_set(opts, "TARGET", "made");
    coil_error *err = NULL;
    coil_context *ctx = load_app_opts("objects:\n"
                                      "  - object: ${ID}\n"
                                      "    class: ${CLS}\n"
                                      "    properties:\n"
                                      "      name: ${ID}\n"
                                      "  - object: user\n"
                                      "    class: recorder\n"
                                      "    depends-on: [\"${TARGET}\"]\n"
                                      "    properties: {name: user, first: {ref: \"${TARGET}\"}}\n"
                                      "aliases:\n"
                                      "  al: \"${ID}\"\n",
                                      opts, &err);
    cr_assert_not_null(ctx, "%s", dump_errors(err));
    recorder *made = GET_OK(ctx, "made", NULL);
    cr_assert_str_eq(made->name, "made");
    cr_assert_eq(((recorder *)GET_OK(ctx, "user", NULL))->first, made);
    cr_assert_eq(GET_OK(ctx, "al", NULL), made, "alias targets are expanded");
    coil_close(ctx);
    coil_options_free(opts);
}

CTEST(context_file, placeholder_escape_and_recursion) {
    coil_context *ctx = LOAD_OK("properties:\n"
                                "  INNER: b\n"
                                "  OUTER: a-${INNER}\n"
                                "  NUM: ${DIGITS}\n"
                                "  DIGITS: 7\n"
                                "objects:\n"
                                "  - object: x\n"
                                "    class: everything\n"
                                "    properties:\n"
                                "      s: $${HOME} and ${OUTER}\n"
                                "      i: ${NUM}\n"
                                "      strs:\n"
                                "        - \"${OUTER} ${INNER}\"\n"
                                "        - x$${y}\n");
    everything *x = x_of(ctx);
    cr_assert_str_eq(x->s, "${HOME} and a-b");
    cr_assert_eq(x->i, 7);
    cr_assert_str_eq(x->strs.items[0], "a-b b");
    cr_assert_str_eq(x->strs.items[1], "x${y}");
    coil_close(ctx);
}

CTEST(context_file, placeholder_retyped_to_wrong_type_is_an_error) {
    coil_options *opts = test_options();
    coil_options_set(opts, "V", "many");
    coil_error *err = NULL;
    cr_assert_null(load_app_opts("objects:\n"
                                 "  - object: x\n"
                                 "    class: everything\n"
                                 "    properties:\n"
                                 "      verses: ${V}\n", opts, &err));
    EXPECT_ONLY_ERROR(err, COIL_ETYPE, "app.yaml", 5, 15,
                      "object 'x': property 'verses' expects an int, got 'many'");
    coil_error_free(err);
    coil_options_free(opts);
}

/* ---- Abstract and parent --------------------------------------------------------------------- */

CTEST(context_file, parent_inheritance_and_override) {
    coil_context *ctx = LOAD_OK("objects:\n"
                                "  - object: base\n"
                                "    abstract: true\n"
                                "    class: everything\n"
                                "    scope: prototype\n"
                                "    properties: {s: base, i: 1, strs: [x]}\n"
                                "  - object: mid\n"
                                "    abstract: true\n"
                                "    parent: base\n"
                                "    properties: {d: 1.5, i: 2}\n"
                                "  - object: leaf\n"
                                "    parent: mid\n"
                                "    properties: {s: leaf}\n"
                                "  - object: child\n"
                                "    parent: base\n"
                                "    scope: singleton\n"
                                "    properties: {i: 3}\n");
    everything *leaf1 = GET_OK(ctx, "leaf", NULL), *leaf2 = GET_OK(ctx, "leaf", NULL);
    cr_assert_neq(leaf1, leaf2, "scope is inherited");
    cr_assert_str_eq(leaf1->s, "leaf");
    cr_assert_eq(leaf1->i, 2);
    cr_assert_float_eq(leaf1->d, 1.5, 1e-12);
    cr_assert_eq(leaf1->strs.count, 1);
    cr_assert_str_eq(leaf1->strs.items[0], "x");

    everything *child = GET_OK(ctx, "child", NULL);
    cr_assert_eq(child, GET_OK(ctx, "child", NULL), "the child overrides the scope");
    cr_assert_str_eq(child->s, "base");
    cr_assert_eq(child->i, 3);

    coil_error *err = NULL;
    cr_assert_null(coil_get(ctx, "base", NULL, &err));
    EXPECT_ONLY_ERROR(err, COIL_ESTATE, NULL, 0, 0, "object 'base' is abstract");
    coil_error_free(err);

    size_t n = 0;
    const coil_definition_info *d = coil_definitions(ctx, &n);
    cr_assert_eq(n, 4);
    cr_assert_str_eq(d[0].name, "child");
    cr_assert_str_eq(d[0].class_name, "everything");
    cr_assert_eq(d[0].scope, COIL_SINGLETON);
    for (size_t k = 1; k < n; k++) {
        cr_assert_eq(d[k].creation_index, (size_t)-1);
        cr_assert_str_eq(d[k].class_name, "everything", "%s", d[k].name);
        cr_assert_eq(d[k].scope, COIL_PROTOTYPE, "%s", d[k].name);
    }
    cr_assert_str_eq(d[1].name, "base");
    cr_assert(d[1].abstract);
    cr_assert_str_eq(d[3].name, "leaf");
    cr_assert_not(d[3].abstract, "abstract is not inherited");
    coil_close(ctx);
}

CTEST(context_file, child_without_properties_of_its_own) {
    coil_context *ctx = LOAD_OK("objects:\n"
                                "  - object: tmpl\n"
                                "    abstract: true\n"
                                "    class: recorder\n"
                                "    properties: {name: inherited}\n"
                                "  - object: c\n"
                                "    parent: tmpl\n");
    recorder *c = GET_OK(ctx, "c", NULL);
    cr_assert_str_eq(c->name, "inherited");
    coil_close(ctx);
}

CTEST(context_file, parent_passes_lazy_and_depends_on) {
    coil_context *ctx = LOAD_OK("objects:\n"
                                "  - object: tmpl\n"
                                "    abstract: true\n"
                                "    lazy-init: true\n"
                                "    depends-on: [dep]\n"
                                "    properties: {name: tmpl}\n"
                                "  - object: c\n"
                                "    parent: tmpl\n"
                                "    class: recorder\n"
                                "    properties: {name: c}\n"
                                "  - object: dep\n"
                                "    class: recorder\n"
                                "    lazy-init: true\n"
                                "    properties: {name: dep}\n"
                                "  - object: abstract_recorder\n"
                                "    abstract: true\n"
                                "    class: recorder\n"
                                "    properties: {name: never}\n");
    cr_assert_str_empty(tlog_get(), "lazy-init is inherited; abstract ones are never created");
    recorder *c = GET_OK(ctx, "c", NULL);
    cr_assert_str_eq(c->name, "c");
    cr_assert_str_eq(tlog_get(), "init:dep init:c", "depends-on is inherited");
    coil_close(ctx);
}

/* ---- constructor-args --------------------------------------------------------------------------- */

CTEST(context_file, constructor_args_mapping_is_properties) {
    coil_context *ctx = LOAD_OK("objects:\n"
                                "  - object: r\n"
                                "    class: recorder\n"
                                "    constructor-args:\n"
                                "      name: from-args\n"
                                "      first: {ref: s}\n"
                                "  - object: s\n"
                                "    class: recorder\n"
                                "    constructor-args: {name: s}\n");
    recorder *r = GET_OK(ctx, "r", NULL);
    cr_assert_str_eq(r->name, "from-args");
    cr_assert_eq(r->first, GET_OK(ctx, "s", NULL));
    cr_assert_str_eq(tlog_get(), "init:s init:from-args");
    coil_close(ctx);
}

CTEST(context_file, constructor_args_are_checked_like_properties) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: r\n"
                      "    class: recorder\n"
                      "    constructor-args:\n"
                      "      nmae: typo\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_EPROPERTY, "app.yaml", 5, 7,
                      "object 'r': class 'recorder' has no property 'nmae'");
    coil_error_free(err);
}

/* A file is parsed as it is read, in chunks; its errors are the same, at
 * the same positions, as for the same text given as a string. Reader errors
 * (bad encoding) carry only a byte offset, which becomes line and column. */
CTEST(context_file, file_errors_match_string_errors) {
    static const char *const texts[] = {
        "objects:\n  - object: a\n    class: [recorder\n",
        "objects:\n  - object: a\n    class: rec\xff" "order\n",
        "objects:\n  - object: a\n    class: recorder\n    properties: {a: 1, a: 2}\n",
        "objects: []\n---\nobjects: []\n",
    };
    char path[] = "/tmp/coil-test-XXXXXX.yaml";
    int fd = mkstemps(path, 5);
    cr_assert_geq(fd, 0);
    close(fd);
    coil_options *opts = test_options();
    for (size_t k = 0; k < sizeof texts / sizeof *texts; k++) {
        FILE *f = fopen(path, "w");
        cr_assert_not_null(f);
        fputs(texts[k], f);
        fclose(f);
        coil_error *from_file = NULL, *from_string = NULL;
        cr_assert_null(coil_load_file(path, opts, &from_file), "text %zu loaded", k);
        cr_assert_null(coil_load_string(texts[k], path, opts, &from_string));
        char *want = strdup(dump_errors(from_string));
        cr_assert_str_eq(dump_errors(from_file), want, "text %zu", k);
        cr_assert_eq(from_file->code, k == 2 ? COIL_EDUPLICATE : COIL_ESYNTAX);
        free(want);
        coil_error_free(from_file);
        coil_error_free(from_string);
    }
    /* The bad byte is reported where it is: line 3, column 15. */
    FILE *f = fopen(path, "w");
    fputs(texts[1], f);
    fclose(f);
    coil_error *err = NULL;
    cr_assert_null(coil_load_file(path, opts, &err));
    cr_assert_eq(err->line, 3, "%s", dump_errors(err));
    cr_assert_eq(err->column, 15, "%s", dump_errors(err));
    coil_error_free(err);
    unlink(path);
    coil_options_free(opts);
}
