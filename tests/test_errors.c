/* Every load error, with its exact code, position and message; errors from
 * coil_get; error collection and the cap; the error API itself. */
#include "support/support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- YAML syntax ------------------------------------------------------------ */

CTEST(errors, yaml_syntax_unclosed_flow_sequence) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: a\n"
                      "    class: [recorder\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_ESYNTAX, "app.yaml", 4, 1,
                      "YAML syntax error: did not find expected ',' or ']' "
                      "(while parsing a flow sequence at line 3, column 12)");
    coil_error_free(err);
}

CTEST(errors, yaml_syntax_tab_indentation) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "\t- object: a\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_ESYNTAX, "app.yaml", 2, 1,
                      "YAML syntax error: found character that cannot start any token "
                      "(while scanning for the next token)");
    coil_error_free(err);
}

CTEST(errors, yaml_syntax_unterminated_quote) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: a\n"
                      "    class: \"recorder\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_ESYNTAX, "app.yaml", 4, 1,
                      "YAML syntax error: found unexpected end of stream "
                      "(while scanning a quoted scalar at line 3, column 12)");
    coil_error_free(err);
}

CTEST(errors, two_documents_are_refused) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects: []\n"
                      "---\n"
                      "objects: []\n", &err);
    coil_error_free(err);
}

CTEST(errors, top_level_must_be_a_mapping) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("- object: a\n"
                      "  class: recorder\n", &err);
    coil_error_free(err);
}

CTEST(errors, objects_must_be_a_sequence_of_mappings) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects: 3\n", &err);
    coil_error_free(err);
    err = NULL;
    EXPECT_LOAD_FAILS("objects:\n  - just a string\n", &err);
    coil_error_free(err);
}

/* ---- Keys ------------------------------------------------------------------- */

CTEST(errors, unknown_top_level_key) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects: []\n"
                      "objcets:\n"
                      "  - object: a\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_EKEY, "app.yaml", 2, 1, "unknown top-level key 'objcets' (expected objects, imports, modules, properties or aliases)");
    coil_error_free(err);
}

CTEST(errors, unknown_definition_key) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: a\n"
                      "    class: recorder\n"
                      "    scopee: prototype\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_EKEY, "app.yaml", 4, 5, "object 'a': unknown key 'scopee'");
    coil_error_free(err);
}

CTEST(errors, definition_without_object_id) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - class: recorder\n"
                      "    properties: {name: x}\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_EREQUIRED, "app.yaml", 2, 5, "object definition without 'object' id");
    coil_error_free(err);
}

CTEST(errors, definition_key_wrong_types) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: x\n"
                      "    class: recorder\n"
                      "    lazy-init: maybe\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_ETYPE, "app.yaml", 4, 16, "object 'x': 'lazy-init' expects a bool, got 'maybe'");
    coil_error_free(err);

    err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: x\n"
                      "    class: recorder\n"
                      "    properties: 3\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_ETYPE, "app.yaml", 4, 17, "object 'x': 'properties' expects a map, got '3'");
    coil_error_free(err);

    err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: x\n"
                      "    class: recorder\n"
                      "    abstract: sure\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_ETYPE, "app.yaml", 4, 15, "object 'x': 'abstract' expects a bool, got 'sure'");
    coil_error_free(err);
}

CTEST(errors, bad_scope) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: x\n"
                      "    class: recorder\n"
                      "    scope: sometimes\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_EVALUE, "app.yaml", 4, 12,
                      "object 'x': bad scope 'sometimes' (expected singleton or prototype)");
    coil_error_free(err);
}

CTEST(errors, positional_constructor_args) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: x\n"
                      "    class: recorder\n"
                      "    constructor-args:\n"
                      "      - a\n", &err);
    cr_assert_eq(coil_error_count(err), 1, "%s", dump_errors(err));
    cr_assert_eq(err->code, COIL_ETYPE, "%s", dump_errors(err));
    const char *want = "positional constructor-args are not supported; name them "
                       "(a map of property names to values)";
    size_t n = strlen(err->message), w = strlen(want);
    cr_assert(n >= w && strcmp(err->message + n - w, want) == 0, "message: %s", err->message);
    cr_assert_str_eq(err->file, "app.yaml");
    cr_assert(err->line == 4 || err->line == 5, "position %u:%u", err->line, err->column);
    coil_error_free(err);
}

/* ---- Classes and properties ------------------------------------------------------ */

CTEST(errors, unknown_class) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: a\n"
                      "    class: nope\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_ECLASS, "app.yaml", 3, 12, "object 'a': unknown class 'nope'");
    coil_error_free(err);
}

CTEST(errors, unknown_property) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: a\n"
                      "    class: recorder\n"
                      "    properties:\n"
                      "      name: a\n"
                      "      colour: red\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_EPROPERTY, "app.yaml", 6, 7,
                      "object 'a': class 'recorder' has no property 'colour'");
    coil_error_free(err);
}

CTEST(errors, wrong_type_for_int) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: x\n"
                      "    class: everything\n"
                      "    properties:\n"
                      "      verses: many\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_ETYPE, "app.yaml", 5, 15,
                      "object 'x': property 'verses' expects an int, got 'many'");
    coil_error_free(err);
}

CTEST(errors, missing_required_property) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: x\n"
                      "    class: needy\n"
                      "    properties:\n"
                      "      name: n\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_EREQUIRED, "app.yaml", 2, 5,
                      "object 'x': missing required property 'finder' of class 'needy'");
    coil_error_free(err);
}

CTEST(errors, missing_required_properties_all_reported) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: x\n"
                      "    class: needy\n", &err);
    cr_assert_eq(coil_error_count(err), 2, "%s", dump_errors(err));
    EXPECT_NTH_ERROR(err, 0, COIL_EREQUIRED, "app.yaml", 2, 5,
                     "object 'x': missing required property 'finder' of class 'needy'");
    EXPECT_NTH_ERROR(err, 1, COIL_EREQUIRED, "app.yaml", 2, 5,
                     "object 'x': missing required property 'name' of class 'needy'");
    coil_error_free(err);
}

CTEST(errors, null_required_property_is_missing) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: f\n"
                      "    class: greeter\n"
                      "  - object: x\n"
                      "    class: needy\n"
                      "    properties:\n"
                      "      finder: {ref: f}\n"
                      "      name: ~\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_EREQUIRED, "app.yaml", 4, 5,
                      "object 'x': missing required property 'name' of class 'needy'");
    coil_error_free(err);
}

CTEST(errors, range_check) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: x\n"
                      "    class: everything\n"
                      "    properties:\n"
                      "      verses: 12\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_EVALUE, "app.yaml", 5, 15,
                      "object 'x': property 'verses' must be between 1 and 8, got 12");
    coil_error_free(err);

    err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: x\n"
                      "    class: everything\n"
                      "    properties:\n"
                      "      verses: 0\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_EVALUE, "app.yaml", 5, 15,
                      "object 'x': property 'verses' must be between 1 and 8, got 0");
    coil_error_free(err);
}

CTEST(errors, one_of_check) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: x\n"
                      "    class: everything\n"
                      "    properties:\n"
                      "      mode: medium\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_EVALUE, "app.yaml", 5, 13,
                      "object 'x': property 'mode' must be one of fast, slow; got 'medium'");
    coil_error_free(err);
}

CTEST(errors, float_range_check) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: x\n"
                      "    class: everything\n"
                      "    properties:\n"
                      "      ratio: 1.5\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_EVALUE, "app.yaml", 5, 14, NULL);
    coil_error_free(err);
}

/* ---- References -------------------------------------------------------------------- */

CTEST(errors, missing_ref_target) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: x\n"
                      "    class: recorder\n"
                      "    properties:\n"
                      "      first: {ref: nope}\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_EREF, "app.yaml", 5, 20,
                      "object 'x': property 'first' refers to undefined object 'nope'");
    coil_error_free(err);
}

CTEST(errors, missing_ref_target_in_list) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: x\n"
                      "    class: recorder\n"
                      "    properties:\n"
                      "      items:\n"
                      "        - {ref: x2}\n"
                      "        - ref: ghost\n"
                      "  - object: x2\n"
                      "    class: recorder\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_EREF, "app.yaml", 7, 16,
                      "object 'x': property 'items' refers to undefined object 'ghost'");
    coil_error_free(err);
}

CTEST(errors, depends_on_undefined) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: x\n"
                      "    class: recorder\n"
                      "    depends-on: [nope]\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_EREF, "app.yaml", 4, 18,
                      "object 'x': depends-on refers to undefined object 'nope'");
    coil_error_free(err);

    err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: x\n"
                      "    class: recorder\n"
                      "    depends-on: nope\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_EREF, "app.yaml", 4, 17,
                      "object 'x': depends-on refers to undefined object 'nope'");
    coil_error_free(err);
}

CTEST(errors, duplicate_id_in_one_file) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: a\n"
                      "    class: recorder\n"
                      "  - object: a\n"
                      "    class: recorder\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_EDUPLICATE, "app.yaml", 4, 5,
                      "duplicate object id 'a' (first defined at app.yaml:2:5)");
    coil_error_free(err);
}

/* ---- Parents ------------------------------------------------------------------------- */

CTEST(errors, parent_not_defined) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: c\n"
                      "    parent: p\n", &err);
    EXPECT_SOME_ERROR(err, COIL_EPARENT, "app.yaml", 3, 13, "object 'c': parent 'p' is not defined");
    coil_error_free(err);
}

CTEST(errors, parent_not_abstract) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: p\n"
                      "    class: recorder\n"
                      "  - object: c\n"
                      "    parent: p\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_EPARENT, "app.yaml", 5, 13, "object 'c': parent 'p' is not abstract");
    coil_error_free(err);
}

CTEST(errors, parent_cycle) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: p\n"
                      "    abstract: true\n"
                      "    parent: q\n"
                      "  - object: q\n"
                      "    abstract: true\n"
                      "    parent: p\n"
                      "  - object: c\n"
                      "    parent: p\n", &err);
    cr_assert_not_null(find_error(err, COIL_ECYCLE), "%s", dump_errors(err));
    coil_error_free(err);
}

CTEST(errors, no_class) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: x\n"
                      "    scope: prototype\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_EREQUIRED, "app.yaml", 2, 5, "object 'x': no class");
    coil_error_free(err);

    /* An abstract template without a class, and a child that adds none. */
    err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: t\n"
                      "    abstract: true\n"
                      "    properties: {name: t}\n"
                      "  - object: c\n"
                      "    parent: t\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_EREQUIRED, "app.yaml", 5, 5, "object 'c': no class");
    coil_error_free(err);
}

/* ---- Dependency cycles --------------------------------------------------------------- */

CTEST(errors, dependency_cycle_two_objects) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("# dependency cycle\n"
                      "objects:\n"
                      "  - object: a\n"
                      "    class: recorder\n"
                      "    properties:\n"
                      "      name: a\n"
                      "      first: {ref: b}\n"
                      "\n"
                      "  - object: b\n"
                      "    class: recorder\n"
                      "    properties:\n"
                      "      name: b\n"
                      "      first: {ref: a}\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_ECYCLE, "app.yaml", 3, 5,
                      "dependency cycle: a (app.yaml:3:5) -> b (app.yaml:9:5) -> a");
    coil_error_free(err);
    cr_assert_str_empty(tlog_get(), "nothing may be created: %s", tlog_get());
}

CTEST(errors, dependency_cycle_self) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: a\n"
                      "    class: recorder\n"
                      "    properties: {first: {ref: a}}\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_ECYCLE, "app.yaml", 2, 5, "dependency cycle: a (app.yaml:2:5) -> a");
    coil_error_free(err);
}

CTEST(errors, dependency_cycle_through_depends_on_and_lists) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: a\n"
                      "    class: recorder\n"
                      "    depends-on: [c]\n"
                      "  - object: b\n"
                      "    class: recorder\n"
                      "    properties: {first: {ref: a}}\n"
                      "  - object: c\n"
                      "    class: recorder\n"
                      "    properties: {items: [{ref: b}]}\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_ECYCLE, "app.yaml", 2, 5,
                      "dependency cycle: a (app.yaml:2:5) -> c (app.yaml:8:5) -> b (app.yaml:5:5) -> a");
    coil_error_free(err);
}

CTEST(errors, dependency_cycle_after_independent_objects) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: ok\n"
                      "    class: recorder\n"
                      "  - object: x\n"
                      "    class: recorder\n"
                      "    properties: {first: {ref: y}}\n"
                      "  - object: y\n"
                      "    class: recorder\n"
                      "    properties: {first: {ref: x}}\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_ECYCLE, "app.yaml", 4, 5,
                      "dependency cycle: x (app.yaml:4:5) -> y (app.yaml:7:5) -> x");
    coil_error_free(err);
    cr_assert_str_empty(tlog_get(), "a cycle is found before anything is created: %s", tlog_get());
}

CTEST(errors, dependency_cycle_among_lazy_objects) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: a\n"
                      "    class: recorder\n"
                      "    lazy-init: true\n"
                      "    properties: {first: {ref: b}}\n"
                      "  - object: b\n"
                      "    class: recorder\n"
                      "    lazy-init: true\n"
                      "    properties: {first: {ref: a}}\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_ECYCLE, "app.yaml", 2, 5,
                      "dependency cycle: a (app.yaml:2:5) -> b (app.yaml:6:5) -> a");
    coil_error_free(err);
}

/* ---- Placeholders ---------------------------------------------------------------------- */

CTEST(errors, unresolved_placeholder_plain) {
    coil_error *err = NULL;
    unsetenv("NOPE");
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: x\n"
                      "    class: everything\n"
                      "    properties:\n"
                      "      s: abc ${NOPE}\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_EPLACEHOLDER, "app.yaml", 5, 14, "unresolved placeholder '${NOPE}'");
    coil_error_free(err);
}

CTEST(errors, unresolved_placeholder_quoted_is_at_scalar_start) {
    coil_error *err = NULL;
    unsetenv("NOPE");
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: x\n"
                      "    class: everything\n"
                      "    properties:\n"
                      "      s: \"abc ${NOPE}\"\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_EPLACEHOLDER, "app.yaml", 5, 10, "unresolved placeholder '${NOPE}'");
    coil_error_free(err);
}

CTEST(errors, unresolved_placeholder_multiline_is_at_scalar_start) {
    coil_error *err = NULL;
    unsetenv("NOPE");
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: x\n"
                      "    class: everything\n"
                      "    properties:\n"
                      "      s: abc\n"
                      "        def ${NOPE}\n", &err);
    EXPECT_ONLY_ERROR(err, COIL_EPLACEHOLDER, "app.yaml", 5, 10, "unresolved placeholder '${NOPE}'");
    coil_error_free(err);
}

CTEST(errors, unresolved_placeholders_all_reported) {
    coil_error *err = NULL;
    unsetenv("NOPE1");
    unsetenv("NOPE2");
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: x\n"
                      "    class: everything\n"
                      "    properties:\n"
                      "      s: ${NOPE1}\n"
                      "      mode: ${NOPE2}\n", &err);
    cr_assert_eq(coil_error_count(err), 2, "%s", dump_errors(err));
    EXPECT_NTH_ERROR(err, 0, COIL_EPLACEHOLDER, "app.yaml", 5, 10, "unresolved placeholder '${NOPE1}'");
    EXPECT_NTH_ERROR(err, 1, COIL_EPLACEHOLDER, "app.yaml", 6, 13, "unresolved placeholder '${NOPE2}'");
    coil_error_free(err);
}

CTEST(errors, placeholder_cycle) {
    coil_error *err = NULL;
    unsetenv("PA");
    unsetenv("PB");
    EXPECT_LOAD_FAILS("properties:\n"
                      "  PA: x${PB}\n"
                      "  PB: y${PA}\n"
                      "objects:\n"
                      "  - object: x\n"
                      "    class: everything\n"
                      "    properties:\n"
                      "      s: ${PA}\n", &err);
    cr_assert_not_null(find_error(err, COIL_EPLACEHOLDER), "%s", dump_errors(err));
    coil_error_free(err);
}

/* ---- Several errors, ordering and the cap ----------------------------------------------- */

CTEST(errors, many_errors_from_one_load_in_position_order) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"                              /* 1 */
                      "  - object: a\n"                         /* 2 */
                      "    class: nope\n"                       /* 3 */
                      "  - object: b\n"                         /* 4 */
                      "    class: recorder\n"                   /* 5 */
                      "    properties:\n"                       /* 6 */
                      "      colour: red\n"                     /* 7 */
                      "  - object: c\n"                         /* 8 */
                      "    class: everything\n"                 /* 9 */
                      "    properties:\n"                       /* 10 */
                      "      verses: many\n"                    /* 11 */
                      "      mode: medium\n"                    /* 12 */
                      "  - object: d\n"                         /* 13 */
                      "    class: recorder\n"                   /* 14 */
                      "    scope: sometimes\n"                  /* 15 */
                      "    properties:\n"                       /* 16 */
                      "      first: {ref: ghost}\n"             /* 17 */
                      "bogus: 1\n", &err);                      /* 18 */
    cr_assert_eq(coil_error_count(err), 7, "%s", dump_errors(err));
    EXPECT_NTH_ERROR(err, 0, COIL_ECLASS, "app.yaml", 3, 12, "object 'a': unknown class 'nope'");
    EXPECT_NTH_ERROR(err, 1, COIL_EPROPERTY, "app.yaml", 7, 7, "object 'b': class 'recorder' has no property 'colour'");
    EXPECT_NTH_ERROR(err, 2, COIL_ETYPE, "app.yaml", 11, 15, "object 'c': property 'verses' expects an int, got 'many'");
    EXPECT_NTH_ERROR(err, 3, COIL_EVALUE, "app.yaml", 12, 13, "object 'c': property 'mode' must be one of fast, slow; got 'medium'");
    EXPECT_NTH_ERROR(err, 4, COIL_EVALUE, "app.yaml", 15, 12, "object 'd': bad scope 'sometimes' (expected singleton or prototype)");
    EXPECT_NTH_ERROR(err, 5, COIL_EREF, "app.yaml", 17, 20, "object 'd': property 'first' refers to undefined object 'ghost'");
    EXPECT_NTH_ERROR(err, 6, COIL_EKEY, "app.yaml", 18, 1, "unknown top-level key 'bogus' (expected objects, imports, modules, properties or aliases)");
    coil_error_free(err);
}

static char *unknown_classes_yaml(int n) {
    size_t cap = (size_t)n * 64 + 32, len = 0;
    char *yaml = malloc(cap);
    cr_assert_not_null(yaml);
    len += (size_t)snprintf(yaml + len, cap - len, "objects:\n");
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(yaml + len, cap - len, "  - object: o%d\n    class: nope%d\n", i, i);
    return yaml;
}

CTEST(errors, error_cap_option) {
    char *yaml = unknown_classes_yaml(10);
    coil_options *opts = test_options();
    coil_options_max_errors(opts, 3);
    coil_error *err = NULL;
    coil_context *ctx = load_app_opts(yaml, opts, &err);
    cr_assert_null(ctx);
    cr_assert_eq(coil_error_count(err), 4, "%s", dump_errors(err));
    EXPECT_NTH_ERROR(err, 0, COIL_ECLASS, "app.yaml", 3, 12, "object 'o0': unknown class 'nope0'");
    EXPECT_NTH_ERROR(err, 1, COIL_ECLASS, "app.yaml", 5, 12, "object 'o1': unknown class 'nope1'");
    EXPECT_NTH_ERROR(err, 2, COIL_ECLASS, "app.yaml", 7, 12, "object 'o2': unknown class 'nope2'");
    EXPECT_NTH_ERROR(err, 3, COIL_ETOOMANY, NULL, 0, 0, "too many errors; stopping after 3");
    coil_error_free(err);
    coil_options_free(opts);
    free(yaml);
}

CTEST(errors, error_cap_default_is_100) {
    char *yaml = unknown_classes_yaml(150);
    coil_error *err = NULL;
    cr_assert_null(load_app(yaml, &err));
    cr_assert_eq(coil_error_count(err), 101, "got %zu errors", coil_error_count(err));
    EXPECT_NTH_ERROR(err, 99, COIL_ECLASS, "app.yaml", 201, 12, "object 'o99': unknown class 'nope99'");
    EXPECT_NTH_ERROR(err, 100, COIL_ETOOMANY, NULL, 0, 0, "too many errors; stopping after 100");
    coil_error_free(err);
    free(yaml);
}

CTEST(errors, exactly_the_cap_is_not_too_many) {
    char *yaml = unknown_classes_yaml(3);
    coil_options *opts = test_options();
    coil_options_max_errors(opts, 3);
    coil_error *err = NULL;
    cr_assert_null(load_app_opts(yaml, opts, &err));
    cr_assert_eq(coil_error_count(err), 3, "%s", dump_errors(err));
    cr_assert_null(find_error(err, COIL_ETOOMANY), "%s", dump_errors(err));
    coil_error_free(err);
    coil_options_free(opts);
    free(yaml);
}

CTEST(errors, string_name_defaults_to_string_marker) {
    coil_options *opts = test_options();
    coil_error *err = NULL;
    cr_assert_null(coil_load_string("objects:\n  - object: a\n    class: nope\n", NULL, opts, &err));
    EXPECT_ONLY_ERROR(err, COIL_ECLASS, "<string>", 3, 12, "object 'a': unknown class 'nope'");
    coil_error_free(err);
    coil_options_free(opts);
}

CTEST(errors, file_errors_name_the_path_as_given) {
    chdir_data();
    coil_options *opts = test_options();
    coil_error *err = NULL;
    cr_assert_null(coil_load_file("errors/bad_class.yaml", opts, &err));
    EXPECT_ONLY_ERROR(err, COIL_ECLASS, "errors/bad_class.yaml", 4, 12,
                      "object 'thing': unknown class 'no.such.class'");
    coil_error_free(err);
    coil_options_free(opts);
}

CTEST(errors, missing_file) {
    coil_error *err = NULL;
    cr_assert_null(coil_load_file("/nonexistent/dir/app.yaml", NULL, &err));
    cr_assert_not_null(err);
    cr_assert_eq(err->code, COIL_EIO, "%s", dump_errors(err));
    coil_error_free(err);
}

CTEST(errors, failed_load_has_no_context_and_nothing_created) {
    coil_error *err = NULL;
    EXPECT_LOAD_FAILS("objects:\n"
                      "  - object: a\n"
                      "    class: recorder\n"
                      "    properties: {name: a}\n"
                      "  - object: b\n"
                      "    class: nope\n", &err);
    cr_assert_str_empty(tlog_get(), "checking errors come before creation: %s", tlog_get());
    coil_error_free(err);
}

/* ---- coil_get errors -------------------------------------------------------------------- */

CTEST(errors, get_unknown_name) {
    coil_context *ctx = LOAD_OK("objects: []\n");
    coil_error *err = NULL;
    cr_assert_null(coil_get(ctx, "ghost", NULL, &err));
    EXPECT_ONLY_ERROR(err, COIL_ENOTFOUND, NULL, 0, 0, "no object named 'ghost'");
    cr_assert_null(err->file);
    cr_assert_eq(err->line, 0);
    cr_assert_eq(err->column, 0);
    coil_error_free(err);
    coil_close(ctx);
}

CTEST(errors, get_abstract) {
    coil_context *ctx = LOAD_OK("objects:\n"
                                "  - object: p\n"
                                "    abstract: true\n"
                                "    class: recorder\n");
    coil_error *err = NULL;
    cr_assert_null(coil_get(ctx, "p", NULL, &err));
    EXPECT_ONLY_ERROR(err, COIL_ESTATE, NULL, 0, 0, "object 'p' is abstract");
    coil_error_free(err);
    coil_close(ctx);
}

CTEST(errors, get_without_created_objects) {
    coil_options *opts = test_options();
    coil_options_create_objects(opts, false);
    coil_error *err = NULL;
    coil_context *ctx = load_app_opts("objects:\n"
                                      "  - object: a\n"
                                      "    class: recorder\n"
                                      "    properties: {name: a}\n", opts, &err);
    cr_assert_not_null(ctx, "%s", dump_errors(err));
    cr_assert_null(coil_get(ctx, "a", NULL, &err));
    cr_assert_not_null(err);
    cr_assert_eq(err->code, COIL_ESTATE, "%s", dump_errors(err));
    coil_error_free(err);
    coil_close(ctx);
    coil_options_free(opts);
    cr_assert_str_empty(tlog_get());
}

CTEST(errors, get_interface_not_implemented) {
    coil_context *ctx = LOAD_OK("objects:\n"
                                "  - object: g\n"
                                "    class: greeter\n");
    coil_error *err = NULL;
    cr_assert_null(coil_get(ctx, "g", &other_iface, &err));
    EXPECT_ONLY_ERROR(err, COIL_EINTERFACE, NULL, 0, 0,
                      "object 'g' (class 'greeter') does not implement interface 'other'");
    coil_error_free(err);
    coil_close(ctx);
}

/* ---- Argument checks ---------------------------------------------------------------------- */

CTEST(errors, bad_arguments_never_abort) {
    coil_error *err = NULL;
    cr_assert_null(coil_load_string(NULL, "x", NULL, &err));
    cr_assert_not_null(err);
    cr_assert_eq(err->code, COIL_EINVAL, "%s", dump_errors(err));
    coil_error_free(err);

    err = NULL;
    cr_assert_null(coil_load_file(NULL, NULL, &err));
    cr_assert_not_null(err);
    cr_assert_eq(err->code, COIL_EINVAL, "%s", dump_errors(err));
    coil_error_free(err);

    err = NULL;
    cr_assert_null(coil_get(NULL, "x", NULL, &err));
    cr_assert_not_null(err);
    cr_assert_eq(err->code, COIL_EINVAL, "%s", dump_errors(err));
    coil_error_free(err);

    coil_context *ctx = LOAD_OK("objects: []\n");
    err = NULL;
    cr_assert_null(coil_get(ctx, NULL, NULL, &err));
    cr_assert_not_null(err);
    cr_assert_eq(err->code, COIL_EINVAL, "%s", dump_errors(err));
    coil_error_free(err);

    /* A NULL err pointer is allowed: the caller just does not get the error. */
    cr_assert_null(coil_get(ctx, "ghost", NULL, NULL));
    cr_assert_eq(coil_release(ctx, NULL), COIL_EINVAL);
    cr_assert_eq(coil_release(NULL, ctx), COIL_EINVAL);
    coil_close(ctx);

    cr_assert_null(coil_load_string("objects: [", "x", NULL, NULL));

    coil_close(NULL);
    coil_options_free(NULL);
    coil_error_free(NULL);
}

CTEST(errors, options_checks) {
    coil_options *opts = coil_options_new();
    cr_assert_not_null(opts);
    cr_assert_eq(coil_options_add_class(NULL, &recorder_class), COIL_EINVAL);
    cr_assert_eq(coil_options_add_class(opts, NULL), COIL_EINVAL);
    cr_assert_eq(coil_options_add_class(opts, &recorder_class), 0);
    static const coil_class recorder_again = { .abi = COIL_ABI_VERSION, .name = "recorder", .size = 8 };
    cr_assert_eq(coil_options_add_class(opts, &recorder_again), COIL_EDUPLICATE,
                 "another class of the same name");

    static const coil_class future = { .abi = COIL_ABI_VERSION + 1, .name = "future", .size = 8 };
    cr_assert_eq(coil_options_add_class(opts, &future), COIL_EINVAL);
    static const coil_class nameless = { .abi = COIL_ABI_VERSION, .name = NULL, .size = 8 };
    cr_assert_eq(coil_options_add_class(opts, &nameless), COIL_EINVAL);
    static const coil_class no_memory = { .abi = COIL_ABI_VERSION, .name = "no_memory" };
    cr_assert_eq(coil_options_add_class(opts, &no_memory), COIL_EINVAL, "neither size nor create");
    /* A field that starts inside the instance but runs past its end. */
    static const coil_property overhang_props[] = {
        { .name = "s", .type = COIL_T_STRINGS, .offset = 8 },
        COIL_PROPERTIES_END
    };
    static const coil_class overhang = { .abi = COIL_ABI_VERSION, .name = "overhang", .size = 16,
                                         .properties = overhang_props };
    cr_assert_eq(coil_options_add_class(opts, &overhang), COIL_EINVAL,
                 "a 16-byte list at offset 8 of a 16-byte instance");
    static const coil_property bad_type_props[] = {
        { .name = "t", .type = (coil_type)99, .offset = 0 },
        COIL_PROPERTIES_END
    };
    static const coil_class bad_type = { .abi = COIL_ABI_VERSION, .name = "bad_type", .size = 16,
                                         .properties = bad_type_props };
    cr_assert_eq(coil_options_add_class(opts, &bad_type), COIL_EINVAL);

    cr_assert_eq(coil_options_add_module(opts, NULL), COIL_EINVAL);
    cr_assert_eq(coil_options_add_module(NULL, &linked_module), COIL_EINVAL);
    cr_assert_eq(coil_options_add_module(opts, &linked_module_badabi), COIL_EABI);
    cr_assert_eq(coil_options_add_module(opts, &linked_module), 0);
    static const coil_class linked_a_again = { .abi = COIL_ABI_VERSION, .name = "linked.a", .size = 8 };
    cr_assert_eq(coil_options_add_class(opts, &linked_a_again), COIL_EDUPLICATE,
                 "a module's class names are taken");

    cr_assert_eq(coil_options_set(NULL, "A", "b"), COIL_EINVAL);
    cr_assert_eq(coil_options_set(opts, NULL, "b"), COIL_EINVAL);
    cr_assert_eq(coil_options_set(opts, "A", NULL), COIL_EINVAL);
    cr_assert_eq(coil_options_set(opts, "A", "b"), 0);
    cr_assert_eq(coil_options_set(opts, "A", "c"), 0, "setting a name again replaces it");
    coil_options_free(opts);
}

/* ---- The error API ------------------------------------------------------------------------- */

CTEST(errors, strerror_and_name_for_every_code) {
    struct { int code; const char *name, *text; } table[] = {
#define ROW(name, value, text) { value, #name, text },
        COIL_ERROR_MAP(ROW)
#undef ROW
    };
    size_t n = sizeof table / sizeof table[0];
    cr_assert_eq(n, 30, "the table has %zu rows", n);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(table[i].code, (int)i, "codes are dense");
        cr_assert_str_eq(coil_strerror(table[i].code), table[i].text, "strerror(%d)", table[i].code);
        cr_assert_str_eq(coil_error_name(table[i].code), table[i].name, "error_name(%d)", table[i].code);
    }
    cr_assert_str_eq(coil_strerror(COIL_ECLASS), "unknown class");
    cr_assert_str_eq(coil_error_name(COIL_ETOOMANY), "COIL_ETOOMANY");
    cr_assert_str_eq(coil_strerror(COIL_EPARAMS), "invalid parameters");
    cr_assert_str_eq(coil_strerror(COIL_ELISTEN), "cannot listen");
    cr_assert_str_eq(coil_strerror(30), "unknown error code");
    cr_assert_str_eq(coil_strerror(-1), "unknown error code");
    cr_assert_str_eq(coil_strerror(100000), "unknown error code");
    cr_assert_not_null(coil_error_name(-1));
    cr_assert_not_null(coil_error_name(30));
}

CTEST(errors, error_format) {
    coil_error e = { .code = COIL_ECLASS, .message = "object 'a': unknown class 'nope'",
                     .file = "app.yaml", .line = 3, .column = 12 };
    const char *full = "app.yaml:3:12: object 'a': unknown class 'nope'";
    char buf[128];
    cr_assert_eq(coil_error_format(&e, buf, sizeof buf), strlen(full));
    cr_assert_str_eq(buf, full);

    /* Truncation works like snprintf. */
    char small[9];
    memset(small, 'x', sizeof small);
    cr_assert_eq(coil_error_format(&e, small, sizeof small), strlen(full));
    cr_assert_str_eq(small, "app.yaml");
    cr_assert_eq(coil_error_format(&e, NULL, 0), strlen(full));
    char one[1] = { 'x' };
    cr_assert_eq(coil_error_format(&e, one, 1), strlen(full));
    cr_assert_eq(one[0], '\0');

    coil_error nopos = { .code = COIL_ENOTFOUND, .message = "no object named 'x'" };
    cr_assert_eq(coil_error_format(&nopos, buf, sizeof buf), strlen("no object named 'x'"));
    cr_assert_str_eq(buf, "no object named 'x'");

    /* Only the one error, not the chain. */
    e.next = &nopos;
    coil_error_format(&e, buf, sizeof buf);
    cr_assert_str_eq(buf, full);
}

CTEST(errors, error_new_and_count) {
    coil_error *e = coil_error_new(COIL_EINIT, "cannot open %s (%d)", "db", 42);
    cr_assert_not_null(e);
    cr_assert_eq(e->code, COIL_EINIT);
    cr_assert_str_eq(e->message, "cannot open db (42)");
    cr_assert_null(e->file);
    cr_assert_eq(e->line, 0);
    cr_assert_eq(e->column, 0);
    cr_assert_null(e->next);
    cr_assert_eq(coil_error_count(e), 1);
    cr_assert_eq(coil_error_count(NULL), 0);
    e->next = coil_error_new(COIL_EVALUE, "second");
    cr_assert_eq(coil_error_count(e), 2);
    coil_error_free(e);
}
