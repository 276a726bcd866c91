/* Modules: real shared libraries loaded through `modules:`, their errors,
 * unloading, and modules linked into the application. */
#define _GNU_SOURCE /* RTLD_NOLOAD */
#include "support/support.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modules/testmod.h"

#define TESTMOD COIL_TEST_BIN "/libtestmod.so"
#define BADABI COIL_TEST_BIN "/libbadabimod.so"
#define NOSYM COIL_TEST_BIN "/libnosymlib.so"
#define CLASHAPP COIL_TEST_BIN "/libclashappmod.so"
#define CLASHMOD COIL_TEST_BIN "/libclashmodmod.so"

static coil_options *mod_options(void) {
    coil_options *opts = test_options();
    cr_assert_eq(coil_options_set(opts, "TESTBIN", COIL_TEST_BIN), 0);
    return opts;
}

static bool module_loaded(const char *path) {
    void *h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
    if (h)
        dlclose(h);
    return h != NULL;
}

static int module_live(const char *path) {
    void *h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
    cr_assert_not_null(h, "%s is not loaded", path);
    testmod_live_fn live = (testmod_live_fn)(uintptr_t)dlsym(h, "testmod_live");
    cr_assert_not_null(live);
    int n = live();
    dlclose(h);
    return n;
}

static coil_context *load_mod(const char *yaml, coil_error **err) {
    coil_options *opts = mod_options();
    coil_context *ctx = load_app_opts(yaml, opts, err);
    coil_options_free(opts);
    return ctx;
}

CTEST(modules, load_and_use_module_classes) {
    cr_assert_not(module_loaded(TESTMOD));
    coil_error *err = NULL;
    coil_context *ctx = load_mod("modules: [\"${TESTBIN}/libtestmod.so\"]\n"
                                 "objects:\n"
                                 "  - object: g\n"
                                 "    class: mod.greeter\n"
                                 "  - object: g2\n"
                                 "    class: mod.greeter\n"
                                 "    properties: {greeting: howdy}\n"
                                 "  - object: n\n"
                                 "    class: mod.node\n"
                                 "    properties: {name: n, next: {ref: g}, deps: [{ref: g2}]}\n"
                                 "  - object: mixed\n"
                                 "    class: recorder\n"
                                 "    properties: {name: mixed}\n", &err);
    cr_assert_not_null(ctx, "%s", dump_errors(err));
    cr_assert(module_loaded(TESTMOD));
    mod_greeter *g = GET_OK(ctx, "g", NULL), *g2 = GET_OK(ctx, "g2", NULL);
    cr_assert_str_eq(g->greeting, "hi", "the module's default value");
    cr_assert_str_eq(g2->greeting, "howdy");
    mod_node *n = GET_OK(ctx, "n", NULL);
    cr_assert_eq(n->next, g);
    cr_assert_eq(n->deps.count, 1);
    cr_assert_eq(n->deps.items[0], g2);
    cr_assert_eq(module_live(TESTMOD), 3);

    size_t count = 0;
    const coil_definition_info *d = coil_definitions(ctx, &count);
    cr_assert_eq(count, 4);
    cr_assert_str_eq(d[0].class_name, "mod.greeter");
    coil_close(ctx);
    cr_assert_not(module_loaded(TESTMOD), "modules are unloaded at close");
}

CTEST(modules, modules_load_before_classes_are_resolved) {
    coil_error *err = NULL;
    coil_context *ctx = load_mod("objects:\n"
                                 "  - object: g\n"
                                 "    class: mod.greeter\n"
                                 "modules:\n"
                                 "  - ${TESTBIN}/libtestmod.so\n", &err);
    cr_assert_not_null(ctx, "%s", dump_errors(err));
    GET_OK(ctx, "g", NULL);
    coil_close(ctx);
}

CTEST(modules, same_module_loaded_once) {
    chdir_data();
    coil_error *err = NULL;
    coil_context *ctx = load_mod("imports: [modules/provider.yaml]\n"
                                 "modules:\n"
                                 "  - ${TESTBIN}/libtestmod.so\n"
                                 "  - \"${TESTBIN}/libtestmod.so\"\n"
                                 "  - ${TESTBIN}/./libtestmod.so\n"
                                 "objects:\n"
                                 "  - object: g\n"
                                 "    class: mod.greeter\n", &err);
    cr_assert_not_null(ctx, "the same module listed again is no class clash:\n%s", dump_errors(err));
    GET_OK(ctx, "g", NULL);
    coil_close(ctx);
    cr_assert_not(module_loaded(TESTMOD));
}

CTEST(modules, module_from_an_imported_file) {
    chdir_data();
    coil_error *err = NULL;
    coil_context *ctx = load_mod("imports: [modules/provider.yaml]\n"
                                 "objects:\n"
                                 "  - object: g\n"
                                 "    class: mod.greeter\n", &err);
    cr_assert_not_null(ctx, "%s", dump_errors(err));
    GET_OK(ctx, "g", NULL);
    coil_close(ctx);
}

CTEST(modules, relative_path_is_relative_to_the_file) {
    char path[512];
    snprintf(path, sizeof path, "%s/relmod-%ld.yaml", COIL_TEST_BIN, (long)getpid());
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("modules: [libtestmod.so]\n"
          "objects:\n"
          "  - object: g\n"
          "    class: mod.greeter\n", f);
    fclose(f);
    chdir_data(); /* not the file's directory */
    coil_options *opts = test_options();
    coil_error *err = NULL;
    coil_context *ctx = coil_load_file(path, opts, &err);
    unlink(path);
    cr_assert_not_null(ctx, "%s", dump_errors(err));
    GET_OK(ctx, "g", NULL);
    coil_close(ctx);
    coil_options_free(opts);
}

CTEST(modules, relative_path_from_a_string_is_relative_to_cwd) {
    cr_assert_eq(chdir(COIL_TEST_BIN), 0);
    coil_error *err = NULL;
    coil_context *ctx = load_app("modules: [libtestmod.so]\n"
                                 "objects:\n"
                                 "  - object: g\n"
                                 "    class: mod.greeter\n", &err);
    cr_assert_not_null(ctx, "%s", dump_errors(err));
    coil_close(ctx);
}

CTEST(modules, missing_file) {
    const char *want = "module '/nonexistent/libnope.so': cannot load: No such file or directory";
    coil_error *err = NULL;
    cr_assert_null(load_mod("modules: [/nonexistent/libnope.so]\n", &err));
    EXPECT_ONLY_ERROR(err, COIL_EMODULE, "app.yaml", 1, 11, want);
    coil_error_free(err);
}

CTEST(modules, not_a_coil_module) {
    coil_error *err = NULL;
    cr_assert_null(load_mod("objects: []\n"
                            "modules:\n"
                            "  - \"${TESTBIN}/libnosymlib.so\"\n", &err));
    EXPECT_ONLY_ERROR(err, COIL_EMODULE, "app.yaml", 3, 5,
                      "module '" NOSYM "': no symbol 'coil_module_descriptor' (not a Coil module)");
    coil_error_free(err);
    cr_assert_not(module_loaded(NOSYM), "a refused library is unloaded");
}

CTEST(modules, abi_mismatch) {
    coil_error *err = NULL;
    cr_assert_null(load_mod("modules:\n"
                            "  - ${TESTBIN}/libtestmod.so\n"
                            "  - ${TESTBIN}/libbadabimod.so\n", &err));
    EXPECT_ONLY_ERROR(err, COIL_EABI, "app.yaml", 3, 5,
                      "module '" BADABI "': ABI version 99, this Coil supports 1");
    coil_error_free(err);
    cr_assert_not(module_loaded(BADABI));
    cr_assert_not(module_loaded(TESTMOD), "a failed load unloads every module");
}

CTEST(modules, module_errors_do_not_hide_each_other) {
    coil_error *err = NULL;
    cr_assert_null(load_mod("modules:\n"
                            "  - /nonexistent/libnope.so\n"
                            "  - ${TESTBIN}/libnosymlib.so\n"
                            "  - ${TESTBIN}/libbadabimod.so\n", &err));
    cr_assert_eq(coil_error_count(err), 3, "%s", dump_errors(err));
    EXPECT_NTH_ERROR(err, 0, COIL_EMODULE, "app.yaml", 2, 5, NULL);
    EXPECT_NTH_ERROR(err, 1, COIL_EMODULE, "app.yaml", 3, 5, NULL);
    EXPECT_NTH_ERROR(err, 2, COIL_EABI, "app.yaml", 4, 5, NULL);
    coil_error_free(err);
}

CTEST(modules, class_clash_with_the_application) {
    coil_error *err = NULL;
    cr_assert_null(load_mod("modules: [\"${TESTBIN}/libclashappmod.so\"]\n", &err));
    EXPECT_ONLY_ERROR(err, COIL_EDUPLICATE, "app.yaml", 1, 11,
                      "class 'recorder' of module '" CLASHAPP "' is already defined by the application");
    coil_error_free(err);
}

CTEST(modules, class_clash_between_modules) {
    coil_error *err = NULL;
    cr_assert_null(load_mod("modules:\n"
                            "  - ${TESTBIN}/libtestmod.so\n"
                            "  - ${TESTBIN}/libclashmodmod.so\n", &err));
    cr_assert_eq(coil_error_count(err), 1, "%s", dump_errors(err));
    check_error(HERE, err, err, COIL_EDUPLICATE, "app.yaml", 3, 5, NULL);
    const char *prefix = "class 'mod.greeter' of module '" CLASHMOD "' is already defined by ";
    cr_assert(strncmp(err->message, prefix, strlen(prefix)) == 0, "%s", err->message);
    cr_assert(strstr(err->message + strlen(prefix), "libtestmod.so") != NULL,
              "names the other module: %s", err->message);
    coil_error_free(err);
    cr_assert_not(module_loaded(TESTMOD));
}

CTEST(modules, failing_init_in_a_module_class_unloads_it) {
    coil_error *err = NULL;
    cr_assert_null(load_mod("modules: [\"${TESTBIN}/libtestmod.so\"]\n"
                            "objects:\n"
                            "  - object: ok\n"
                            "    class: mod.greeter\n"
                            "  - object: bad\n"
                            "    class: mod.node\n"
                            "    properties: {name: bad, fail: true}\n", &err));
    EXPECT_ONLY_ERROR(err, COIL_EINIT, "app.yaml", 5, 5, "object 'bad': init failed: node bad refused");
    coil_error_free(err);
    cr_assert_not(module_loaded(TESTMOD));
}

CTEST(modules, check_only_loads_and_unloads_modules) {
    coil_options *opts = mod_options();
    coil_options_create_objects(opts, false);
    coil_error *err = NULL;
    coil_context *ctx = load_app_opts("modules: [\"${TESTBIN}/libtestmod.so\"]\n"
                                      "objects:\n"
                                      "  - object: bad\n"
                                      "    class: mod.node\n"
                                      "    properties: {name: bad, fail: true, colour: red}\n",
                                      opts, &err);
    cr_assert_null(ctx, "module classes are checked without creating objects");
    EXPECT_ONLY_ERROR(err, COIL_EPROPERTY, "app.yaml", 5, 41,
                      "object 'bad': class 'mod.node' has no property 'colour'");
    coil_error_free(err);
    coil_options_free(opts);
    cr_assert_not(module_loaded(TESTMOD));
}

CTEST(modules, unresolved_module_path) {
    coil_error *err = NULL;
    unsetenv("NO_SUCH_DIR");
    cr_assert_null(load_app("modules: [\"${NO_SUCH_DIR}/libtestmod.so\"]\n", &err));
    EXPECT_ONLY_ERROR(err, COIL_EPLACEHOLDER, "app.yaml", 1, 11, "unresolved placeholder '${NO_SUCH_DIR}'");
    coil_error_free(err);
}

CTEST(modules, linked_module) {
    coil_options *opts = test_options();
    cr_assert_eq(coil_options_add_module(opts, &linked_module), 0);
    coil_error *err = NULL;
    coil_context *ctx = load_app_opts("objects:\n"
                                      "  - object: a\n"
                                      "    class: linked.a\n"
                                      "  - object: b\n"
                                      "    class: linked.b\n"
                                      "    properties: {greeting: bee}\n", opts, &err);
    cr_assert_not_null(ctx, "%s", dump_errors(err));
    greeter *b = GET_OK(ctx, "b", &greeter_iface);
    cr_assert_str_eq(b->greeting, "bee");
    coil_close(ctx);
    coil_options_free(opts);
}

CTEST(modules, options_are_reusable_across_loads) {
    coil_options *opts = mod_options();
    for (int k = 0; k < 3; k++) {
        coil_error *err = NULL;
        coil_context *ctx = load_app_opts("modules: [\"${TESTBIN}/libtestmod.so\"]\n"
                                          "objects:\n"
                                          "  - object: g\n"
                                          "    class: mod.greeter\n", opts, &err);
        cr_assert_not_null(ctx, "load %d: %s", k, dump_errors(err));
        cr_assert_eq(module_live(TESTMOD), 1);
        coil_close(ctx);
        cr_assert_not(module_loaded(TESTMOD));
    }
    coil_options_free(opts);
}

CTEST(modules, two_contexts_share_a_module) {
    coil_options *opts = mod_options();
    const char *yaml = "modules: [\"${TESTBIN}/libtestmod.so\"]\n"
                       "objects:\n"
                       "  - object: g\n"
                       "    class: mod.greeter\n";
    coil_error *err = NULL;
    coil_context *one = load_app_opts(yaml, opts, &err);
    cr_assert_not_null(one, "%s", dump_errors(err));
    coil_context *two = load_app_opts(yaml, opts, &err);
    cr_assert_not_null(two, "%s", dump_errors(err));
    cr_assert_eq(module_live(TESTMOD), 2);
    coil_close(one);
    cr_assert(module_loaded(TESTMOD), "still used by the second context");
    cr_assert_eq(module_live(TESTMOD), 1);
    coil_close(two);
    cr_assert_not(module_loaded(TESTMOD));
    coil_options_free(opts);
}
