/* The interface file reader (config/interface_file.c): the model it builds
 * (types interned, in dependency order, canonical and mangled spellings),
 * the signature, and every error with its code, position and message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/itest.h"

#include "config/interface_file.h"

/* ---- Helpers ------------------------------------------------------------- */

static const char *dump(const coil_error *e)
{
    static char buf[8192];
    size_t n = 0;
    buf[0] = '\0';
    for (; e && n < sizeof buf - 1; e = e->next) {
        char line[512];
        coil_error_format(e, line, sizeof line);
        n += (size_t)snprintf(buf + n, sizeof buf - n, "  %s [%s]\n", line,
                              coil_error_name((int)e->code));
    }
    return buf;
}

/* Reads `yaml` as api.yaml; it must succeed. */
static coil__ifile *read_ok(coil__arena *a, const char *yaml)
{
    coil__errors errs;
    coil__errors_init(&errs, 0);
    coil__ifile *f = coil__interface_read_string(a, yaml, "api.yaml", &errs);
    coil_error *err = NULL;
    coil__errors_finish(&errs, &err);
    cr_assert_not_null(f, "the read failed:\n%s", dump(err));
    cr_assert_null(err, "a good read left errors:\n%s", dump(err));
    return f;
}

/* Reads `yaml` as api.yaml; it must fail. Returns the errors. */
static coil_error *read_fail(const char *yaml)
{
    coil__arena a;
    coil__arena_init(&a);
    coil__errors errs;
    coil__errors_init(&errs, 0);
    coil__ifile *f = coil__interface_read_string(&a, yaml, "api.yaml", &errs);
    coil_error *err = NULL;
    coil__errors_finish(&errs, &err);
    coil__arena_free(&a);
    cr_assert_null(f, "the read should have failed");
    cr_assert_not_null(err, "a failed read must report an error");
    return err;
}

/* The error with exactly this message must exist, with this code and
 * position in api.yaml. */
static void expect(const coil_error *all, coil_code code, unsigned line, unsigned col,
                   const char *msg)
{
    const coil_error *e = all;
    while (e && strcmp(e->message, msg) != 0)
        e = e->next;
    cr_assert_not_null(e, "no error \"%s\"; got:\n%s", msg, dump(all));
    cr_assert_eq(e->code, code, "\"%s\": code %s, expected %s", msg,
                 coil_error_name((int)e->code), coil_error_name((int)code));
    cr_assert_not_null(e->file, "\"%s\": no position", msg);
    cr_assert_str_eq(e->file, "api.yaml");
    cr_assert(e->line == line && e->column == col, "\"%s\": at %u:%u, expected %u:%u", msg,
              e->line, e->column, line, col);
}

/* Exactly one error, with this code, position and message. */
static void expect_only(const char *yaml, coil_code code, unsigned line, unsigned col,
                        const char *msg)
{
    coil_error *err = read_fail(yaml);
    cr_assert_eq(coil_error_count(err), 1, "expected one error, got:\n%s", dump(err));
    expect(err, code, line, col, msg);
    coil_error_free(err);
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ull;
    }
    return h;
}

static const coil__itype *find_type(const coil__ifile *f, const char *spelling)
{
    for (size_t i = 0; i < f->ntypes; i++)
        if (strcmp(f->types[i]->spelling, spelling) == 0)
            return f->types[i];
    return NULL;
}

static size_t type_pos(const coil__ifile *f, const coil__itype *t)
{
    for (size_t i = 0; i < f->ntypes; i++)
        if (f->types[i] == t)
            return i;
    cr_assert_fail("type %s is not in types", t->spelling);
    return 0;
}

/* ---- The model ------------------------------------------------------------- */

static const char *everything =
    "interface: shapes\n"
    "doc: Draws things.\n"
    "types:\n"
    "  canvas:\n"
    "    doc: Where shapes go.\n"
    "    fields:\n"
    "      - {name: layers, type: \"list< map<point> >\", doc: by name}\n"
    "      - {name: background, type: color}\n"
    "      - {name: title, type: optional<string>}\n"
    "      - {name: origin, type: point}\n"
    "  point:\n"
    "    fields:\n"
    "      - {name: x, type: double}\n"
    "      - {name: y, type: double}\n"
    "  color:\n"
    "    doc: Paint.\n"
    "    enum: [red, green, blue]\n"
    "  node:\n"
    "    fields:\n"
    "      - {name: label, type: string}\n"
    "      - {name: children, type: list<node>}\n"
    "      - {name: parent, type: optional<node>}\n"
    "      - {name: index, type: map<node>}\n"
    "methods:\n"
    "  draw:\n"
    "    doc: Draws a canvas.\n"
    "    params:\n"
    "      - {name: c, type: canvas, doc: what}\n"
    "      - {name: scale, type: optional<int>}\n"
    "      - {name: raw, type: bytes}\n"
    "      - {name: extra, type: any}\n"
    "      - {name: visible, type: bool}\n"
    "    returns: map<list<point>>\n"
    "    idempotent: true\n"
    "  clear:\n"
    "    oneway: yes\n"
    "  ping:\n"
    "  tree:\n"
    "    params: [{name: depth, type: int}]\n"
    "    returns: node\n";

ITEST(interface_file, reads_every_kind_of_type)
{
    coil__arena a;
    coil__arena_init(&a);
    coil__ifile *f = read_ok(&a, everything);
    cr_assert_str_eq(f->path, "api.yaml");
    cr_assert_str_eq(f->name, "shapes");
    cr_assert_str_eq(f->doc, "Draws things.");

    cr_assert_eq(f->ndecls, 4);
    const coil__idecl *canvas = f->decls[0], *point = f->decls[1], *color = f->decls[2],
                      *node = f->decls[3];
    cr_assert_str_eq(canvas->name, "canvas");
    cr_assert_str_eq(canvas->doc, "Where shapes go.");
    cr_assert(!canvas->is_enum);
    cr_assert_eq(canvas->nfields, 4);
    cr_assert_eq(canvas->at->line, 4);
    cr_assert_eq(canvas->at->column, 3);
    cr_assert_str_eq(canvas->fields[0].name, "layers");
    cr_assert_str_eq(canvas->fields[0].doc, "by name");
    cr_assert_null(canvas->fields[1].doc);
    cr_assert_eq(canvas->fields[0].at->line, 7);

    /* A struct refers to one declared after it. */
    const coil__itype *layers = canvas->fields[0].type;
    cr_assert_eq(layers->kind, COIL_K_LIST);
    cr_assert_str_eq(layers->spelling, "list<map<point>>");
    cr_assert_str_eq(layers->mangled, "list_map_point");
    cr_assert_eq(layers->elem->kind, COIL_K_MAP);
    cr_assert_str_eq(layers->elem->spelling, "map<point>");
    cr_assert_str_eq(layers->elem->mangled, "map_point");
    cr_assert_eq(layers->elem->elem->kind, COIL_K_STRUCT);
    cr_assert_eq(layers->elem->elem->decl, point);
    /* Interned: one object per type. */
    cr_assert_eq(layers->elem->elem, canvas->fields[3].type);
    cr_assert_eq(point->fields[0].type, point->fields[1].type);

    const coil__itype *bg = canvas->fields[1].type;
    cr_assert_eq(bg->kind, COIL_K_ENUM);
    cr_assert_eq(bg->decl, color);
    cr_assert_str_eq(bg->spelling, "color");
    cr_assert_str_eq(bg->mangled, "color");
    const coil__itype *title = canvas->fields[2].type;
    cr_assert_eq(title->kind, COIL_K_OPTIONAL);
    cr_assert_str_eq(title->spelling, "optional<string>");
    cr_assert_str_eq(title->mangled, "optional_string");
    cr_assert_eq(title->elem->kind, COIL_K_STRING);
    cr_assert_null(title->elem->elem);
    cr_assert_null(title->elem->decl);

    cr_assert(color->is_enum);
    cr_assert_str_eq(color->doc, "Paint.");
    cr_assert_eq(color->nvalues, 3);
    cr_assert_str_eq(color->values[0], "red");
    cr_assert_str_eq(color->values[2], "blue");
    cr_assert_eq(color->nfields, 0);

    cr_assert_eq(node->fields[1].type->elem->decl, node);
    cr_assert_eq(node->fields[2].type->elem->decl, node);
    cr_assert_eq(node->fields[3].type->kind, COIL_K_MAP);

    cr_assert_eq(f->nmethods, 4);
    const coil__imethod *draw = &f->methods[0];
    cr_assert_str_eq(draw->name, "draw");
    cr_assert_str_eq(draw->doc, "Draws a canvas.");
    cr_assert_eq(draw->at->line, 25);
    cr_assert_eq(draw->at->column, 3);
    cr_assert_eq(draw->nparams, 5);
    cr_assert_str_eq(draw->params[0].name, "c");
    cr_assert_str_eq(draw->params[0].doc, "what");
    cr_assert_eq(draw->params[0].type->decl, canvas);
    static const coil_kind kinds[] = { COIL_K_STRUCT, COIL_K_OPTIONAL, COIL_K_BYTES,
                                       COIL_K_ANY, COIL_K_BOOL };
    for (size_t i = 0; i < 5; i++)
        cr_assert_eq(draw->params[i].type->kind, kinds[i], "param %zu", i);
    cr_assert_eq(draw->params[1].type->elem->kind, COIL_K_INT);
    cr_assert_str_eq(draw->result->spelling, "map<list<point>>");
    cr_assert_str_eq(draw->result->mangled, "map_list_point");
    cr_assert(draw->idempotent);
    cr_assert(!draw->oneway);

    const coil__imethod *clear = &f->methods[1], *ping = &f->methods[2], *tree = &f->methods[3];
    cr_assert_str_eq(clear->name, "clear");
    cr_assert(clear->oneway);
    cr_assert(!clear->idempotent);
    cr_assert_null(clear->result);
    cr_assert_eq(clear->nparams, 0);
    cr_assert_null(clear->doc);
    cr_assert_str_eq(ping->name, "ping");
    cr_assert_eq(ping->nparams, 0);
    cr_assert_null(ping->result);
    cr_assert_eq(tree->params[0].type->kind, COIL_K_INT);
    cr_assert_eq(tree->result->decl, node);
    coil__arena_free(&a);
}

ITEST(interface_file, types_lists_each_type_once_after_its_parts)
{
    coil__arena a;
    coil__arena_init(&a);
    coil__ifile *f = read_ok(&a, everything);
    static const char *const all[] = {
        "canvas", "point", "color", "node", "list<map<point>>", "map<point>",
        "optional<string>", "string", "double", "list<node>", "optional<node>", "map<node>",
        "optional<int>", "int", "bytes", "any", "bool", "map<list<point>>", "list<point>",
    };
    cr_assert_eq(f->ntypes, sizeof all / sizeof *all);
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        cr_assert_not_null(find_type(f, all[i]), "%s is missing", all[i]);
    for (size_t i = 0; i < f->ntypes; i++)
        for (size_t j = i + 1; j < f->ntypes; j++)
            cr_assert_neq(f->types[i], f->types[j], "%s twice", f->types[i]->spelling);

    /* Each after its parts; node and its list, optional and map refer to
     * each other, and there only node's by-value fields must come first. */
    for (size_t i = 0; i < f->ntypes; i++) {
        const coil__itype *t = f->types[i];
        if (t->elem && !(t->elem->decl && strcmp(t->elem->decl->name, "node") == 0))
            cr_assert_lt(type_pos(f, t->elem), i, "%s before %s", t->elem->spelling,
                         t->spelling);
        if (t->kind == COIL_K_STRUCT)
            for (size_t k = 0; k < t->decl->nfields; k++)
                cr_assert_lt(type_pos(f, t->decl->fields[k].type), i, "%s before %s",
                             t->decl->fields[k].type->spelling, t->spelling);
    }
    coil__arena_free(&a);
}

ITEST(interface_file, types_order_is_exact_for_a_tree)
{
    coil__arena a;
    coil__arena_init(&a);
    coil__ifile *f = read_ok(&a, "interface: g\n"
                                 "methods:\n"
                                 "  m:\n"
                                 "    params: [{name: ps, type: list<point>}]\n"
                                 "    returns: optional<map<color>>\n"
                                 "types:\n"
                                 "  line: {fields: [{name: from, type: point},\n"
                                 "                  {name: to, type: point}]}\n"
                                 "  point: {fields: [{name: x, type: int}]}\n"
                                 "  color: {enum: [red]}\n");
    static const char *const order[] = { "int", "point", "line", "color", "list<point>",
                                         "map<color>", "optional<map<color>>" };
    cr_assert_eq(f->ntypes, sizeof order / sizeof *order);
    for (size_t i = 0; i < f->ntypes; i++)
        cr_assert_str_eq(f->types[i]->spelling, order[i], "types[%zu]", i);
    /* Declarations stay in file order. */
    cr_assert_str_eq(f->decls[0]->name, "line");
    cr_assert_str_eq(f->decls[2]->name, "color");
    coil__arena_free(&a);
}

ITEST(interface_file, a_recursive_struct_comes_after_its_list)
{
    coil__arena a;
    coil__arena_init(&a);
    /* Reached first through the list, the struct must still follow it: it
     * holds the list by value, the list holds only pointers to it. */
    coil__ifile *f = read_ok(&a, "interface: g\n"
                                 "methods:\n"
                                 "  m: {returns: list<tree>}\n"
                                 "types:\n"
                                 "  holder: {fields: [{name: t, type: list<tree>}]}\n"
                                 "  tree: {fields: [{name: kids, type: list<tree>},\n"
                                 "                  {name: up, type: optional<tree>}]}\n");
    const coil__itype *tree = find_type(f, "tree"), *list = find_type(f, "list<tree>"),
                      *opt = find_type(f, "optional<tree>"), *holder = find_type(f, "holder");
    cr_assert_lt(type_pos(f, list), type_pos(f, tree));
    cr_assert_lt(type_pos(f, opt), type_pos(f, tree));
    cr_assert_lt(type_pos(f, list), type_pos(f, holder));
    cr_assert_eq(f->ntypes, 4);
    coil__arena_free(&a);
}

ITEST(interface_file, canonical_spelling_drops_spaces)
{
    coil__arena a;
    coil__arena_init(&a);
    coil__ifile *f = read_ok(&a, "interface: g\n"
                                 "methods:\n"
                                 "  m:\n"
                                 "    params:\n"
                                 "      - {name: a, type: \" list < optional < int > > \"}\n"
                                 "      - {name: b, type: list<optional<int>>}\n"
                                 "      - {name: c, type: map<  list<bytes>>}\n");
    const coil__imethod *m = &f->methods[0];
    cr_assert_str_eq(m->params[0].type->spelling, "list<optional<int>>");
    cr_assert_str_eq(m->params[0].type->mangled, "list_optional_int");
    cr_assert_eq(m->params[0].type, m->params[1].type);
    cr_assert_str_eq(m->params[2].type->spelling, "map<list<bytes>>");
    cr_assert_str_eq(m->params[2].type->mangled, "map_list_bytes");
    coil__arena_free(&a);
}

ITEST(interface_file, empty_parts_are_allowed)
{
    coil__arena a;
    coil__arena_init(&a);
    coil__ifile *f = read_ok(&a, "interface: bare\n");
    cr_assert_str_eq(f->name, "bare");
    cr_assert_null(f->doc);
    cr_assert_eq(f->nmethods, 0);
    cr_assert_eq(f->ndecls, 0);
    cr_assert_eq(f->ntypes, 0);
    f = read_ok(&a, "interface: bare\ndoc:\ntypes:\nmethods:\n  m: {params: , returns: , doc: }\n");
    cr_assert_eq(f->nmethods, 1);
    cr_assert_null(f->methods[0].doc);
    cr_assert_null(f->methods[0].result);
    coil__arena_free(&a);
}

/* ---- The signature ------------------------------------------------------------- */

static const char *greeter =
    "interface: greeter\n"
    "doc: Sings to people.\n"
    "types:\n"
    "  point:\n"
    "    doc: A place.\n"
    "    fields:\n"
    "      - {name: x, type: double, doc: across}\n"
    "      - {name: y, type: double}\n"
    "  color:\n"
    "    enum: [red, green, blue]\n"
    "methods:\n"
    "  happy_birthday:\n"
    "    doc: The song, line by line.\n"
    "    params: [{name: name, type: string}]\n"
    "    returns: list<string>\n"
    "    idempotent: true\n"
    "  wish:\n"
    "    params: [{name: to, type: string}, {name: text, type: string}]\n"
    "    oneway: true\n";

static uint64_t signature_of(const char *yaml)
{
    coil__arena a;
    coil__arena_init(&a);
    uint64_t s = read_ok(&a, yaml)->signature;
    coil__arena_free(&a);
    return s;
}

/* `yaml` with the first `from` replaced by `to`. */
static char *edit(const char *yaml, const char *from, const char *to)
{
    const char *at = strstr(yaml, from);
    cr_assert_not_null(at, "'%s' not in the text", from);
    size_t n = strlen(yaml) - strlen(from) + strlen(to) + 1;
    char *s = malloc(n);
    snprintf(s, n, "%.*s%s%s", (int)(at - yaml), yaml, to, at + strlen(from));
    return s;
}

ITEST(interface_file, signature_is_fnv1a_of_the_canonical_text)
{
    /* The helper is the standard FNV-1a 64 (published test vectors). */
    cr_assert_eq(fnv1a(""), 0xcbf29ce484222325ull);
    cr_assert_eq(fnv1a("a"), 0xaf63dc4c8601ec8cull);
    cr_assert_eq(fnv1a("foobar"), 0x85944171f73967e8ull);
    uint64_t expected = fnv1a("interface greeter\n"
                              "happy_birthday(string name)->list<string> idempotent\n"
                              "wish(string to,string text)-> oneway\n"
                              "enum color{red,green,blue}\n"
                              "struct point{double x;double y;}\n");
    cr_assert_eq(signature_of(greeter), expected, "got %016llx, expected %016llx",
                 (unsigned long long)signature_of(greeter), (unsigned long long)expected);
    cr_assert_eq(signature_of("interface: x\n"), fnv1a("interface x\n"));
    cr_assert_eq(signature_of("interface: x\nmethods:\n  ping:\n"
                              "  both: {oneway: true, idempotent: true}\n"),
                 fnv1a("interface x\nping()->\nboth()-> oneway idempotent\n"));
}

ITEST(interface_file, signature_is_stable_and_tracks_the_contract)
{
    uint64_t base = signature_of(greeter);
    cr_assert_eq(signature_of(greeter), base);
    /* Docs and spacing inside type expressions do not count. */
    char *s = edit(greeter, "doc: The song, line by line.", "doc: Another doc.");
    cr_assert_eq(signature_of(s), base);
    free(s);
    s = edit(greeter, "returns: list<string>", "returns: \"list < string >\"");
    cr_assert_eq(signature_of(s), base);
    free(s);
    /* Nor does the order types are declared in: the C layouts and the JSON
     * stay the same. */
    const char *reordered =
        "interface: greeter\n"
        "types:\n"
        "  color:\n"
        "    enum: [red, green, blue]\n"
        "  point:\n"
        "    fields:\n"
        "      - {name: x, type: double}\n"
        "      - {name: y, type: double}\n"
        "methods:\n"
        "  happy_birthday:\n"
        "    params: [{name: name, type: string}]\n"
        "    returns: list<string>\n"
        "    idempotent: true\n"
        "  wish:\n"
        "    params: [{name: to, type: string}, {name: text, type: string}]\n"
        "    oneway: true\n";
    cr_assert_eq(signature_of(reordered), base);
    /* Everything else does. */
    static const char *const changes[][2] = {
        { "{name: name, type: string}", "{name: name, type: bytes}" },
        { "{name: name, type: string}", "{name: who, type: string}" },
        { "returns: list<string>", "returns: list<bytes>" },
        { "idempotent: true", "idempotent: false" },
        { "oneway: true", "oneway: false" },
        { "{name: y, type: double}", "{name: y, type: int}" },
        { "[red, green, blue]", "[red, blue, green]" },
        { "interface: greeter", "interface: greeter2" },
    };
    for (size_t i = 0; i < sizeof changes / sizeof *changes; i++) {
        s = edit(greeter, changes[i][0], changes[i][1]);
        cr_assert_neq(signature_of(s), base, "'%s' -> '%s' kept the signature", changes[i][0],
                      changes[i][1]);
        free(s);
    }
}

/* ---- Reading files --------------------------------------------------------------- */

ITEST(interface_file, reads_a_file)
{
    char path[] = "/tmp/coil-iface-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, greeter, strlen(greeter)), (ssize_t)strlen(greeter));
    close(fd);
    coil__arena a;
    coil__arena_init(&a);
    coil__errors errs;
    coil__errors_init(&errs, 0);
    coil__ifile *f = coil__interface_read(&a, path, &errs);
    unlink(path);
    cr_assert_not_null(f);
    cr_assert_eq(errs.count, 0);
    cr_assert_str_eq(f->path, path);
    cr_assert_str_eq(f->methods[0].at->file, path);
    cr_assert_eq(f->signature, signature_of(greeter));
    coil__arena_free(&a);
}

ITEST(interface_file, missing_file)
{
    coil__arena a;
    coil__arena_init(&a);
    coil__errors errs;
    coil__errors_init(&errs, 0);
    cr_assert_null(coil__interface_read(&a, "/nonexistent/api.yaml", &errs));
    coil_error *err = NULL;
    coil__errors_finish(&errs, &err);
    cr_assert_eq(coil_error_count(err), 1);
    cr_assert_eq(err->code, COIL_EIO);
    cr_assert_str_eq(err->message,
                     "cannot read '/nonexistent/api.yaml': No such file or directory");
    cr_assert_null(err->file);
    coil_error_free(err);
    coil__arena_free(&a);
}

/* ---- Errors: the file --------------------------------------------------------------- */

ITEST(interface_errors, yaml_syntax)
{
    expect_only("interface: g\nmethods: [a\n", COIL_ESYNTAX, 3, 1,
                "YAML syntax error: did not find expected ',' or ']' "
                "(while parsing a flow sequence at line 2, column 10)");
}

ITEST(interface_errors, empty_file)
{
    expect_only("", COIL_EREQUIRED, 1, 1,
                "an interface file needs 'interface' (the interface's name)");
}

ITEST(interface_errors, not_a_map)
{
    expect_only("- a\n", COIL_ETYPE, 1, 1,
                "an interface file is a map (interface, doc, types, methods), got a list");
}

ITEST(interface_errors, missing_interface)
{
    expect_only("doc: x\nmethods:\n  m:\n", COIL_EREQUIRED, 1, 1,
                "an interface file needs 'interface' (the interface's name)");
}

ITEST(interface_errors, unknown_top_level_key)
{
    expect_only("interface: g\nmethod:\n  m:\n", COIL_EKEY, 2, 1,
                "unknown key 'method' in an interface file (expected interface, doc, types, "
                "methods)");
}

ITEST(interface_errors, bad_interface_names)
{
    expect_only("interface: my-api\n", COIL_EVALUE, 1, 12,
                "interface 'my-api': not a valid C identifier");
    expect_only("interface: [a]\n", COIL_ETYPE, 1, 12, "'interface' expects a name, got a list");
    expect_only("interface: coil\n", COIL_EVALUE, 1, 12,
                "interface 'coil': reserved name (it would collide in generated code)");
    expect_only("interface: static\n", COIL_EVALUE, 1, 12,
                "interface 'static': reserved name (a C keyword)");
}

ITEST(interface_errors, wrong_shapes_at_the_top)
{
    expect_only("interface: g\ndoc: {a: 1}\n", COIL_ETYPE, 2, 6,
                "'doc' expects text, got a map");
    expect_only("interface: g\ntypes: [a]\n", COIL_ETYPE, 2, 8,
                "'types' expects a map of type names to definitions, got a list");
    expect_only("interface: g\nmethods: [a]\n", COIL_ETYPE, 2, 10,
                "'methods' expects a map of method names to methods, got a list");
}

/* ---- Errors: types ------------------------------------------------------------------ */

ITEST(interface_errors, unknown_types)
{
    expect_only("interface: g\n"
                "methods:\n"
                "  m:\n"
                "    params: [{name: p, type: pointt}]\n",
                COIL_ETYPE, 4, 30, "method 'm': parameter 'p': unknown type 'pointt'");
    expect_only("interface: g\n"
                "types:\n"
                "  point:\n"
                "    fields:\n"
                "      - name: x\n"
                "        type: dbl\n",
                COIL_ETYPE, 6, 15, "type 'point': field 'x': unknown type 'dbl'");
    expect_only("interface: g\n"
                "methods:\n"
                "  m:\n"
                "    returns: x\n",
                COIL_ETYPE, 4, 14, "method 'm': unknown return type 'x'");
    /* Inside an expression, the unknown name is named. */
    expect_only("interface: g\n"
                "methods:\n"
                "  m:\n"
                "    returns: list<map<x>>\n",
                COIL_ETYPE, 4, 14, "method 'm': unknown return type 'x'");
}

ITEST(interface_errors, malformed_types)
{
    static const char *const bad[] = { "list<int", "map<>", "list<>", "int<string>",
                                       "list", "list<int>>", "point.x", "list<int, int>",
                                       "map<string,int>", "<int>", "list<int>x",
                                       "optional<optional>", "my-type" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char yaml[256], msg[256];
        snprintf(yaml, sizeof yaml,
                 "interface: g\nmethods:\n  m:\n    params: [{name: p, type: \"%s\"}]\n",
                 bad[i]);
        snprintf(msg, sizeof msg, "method 'm': parameter 'p': malformed type '%s'", bad[i]);
        expect_only(yaml, COIL_ETYPE, 4, 30, msg);
    }
    expect_only("interface: g\nmethods:\n  m: {returns: \"list<\"}\n", COIL_ETYPE, 3, 16,
                "method 'm': malformed return type 'list<'");
    expect_only("interface: g\nmethods:\n  m: {returns: \"\"}\n", COIL_ETYPE, 3, 16,
                "method 'm': malformed return type ''");
    expect_only("interface: g\nmethods:\n  m: {returns: [int]}\n", COIL_ETYPE, 3, 16,
                "method 'm': 'returns' expects a type, got a list");
    expect_only("interface: g\nmethods:\n  m: {params: [{name: p, type: {a: b}}]}\n",
                COIL_ETYPE, 3, 32, "method 'm': parameter 'p': 'type' expects a type, got a map");
}

ITEST(interface_errors, optional_of_optional)
{
    expect_only("interface: g\n"
                "methods:\n"
                "  m:\n"
                "    returns: list<optional<optional<int>>>\n",
                COIL_ETYPE, 4, 14, "method 'm': optional<optional<...>> is not allowed");
    expect_only("interface: g\n"
                "types:\n"
                "  s: {fields: [{name: f, type: optional< optional<s> >}]}\n",
                COIL_ETYPE, 3, 32, "type 's': field 'f': optional<optional<...>> is not allowed");
}

ITEST(interface_errors, struct_contains_itself)
{
    expect_only("interface: g\n"
                "types:\n"
                "  a: {fields: [{name: x, type: a}]}\n",
                COIL_ECYCLE, 3, 3, "struct 'a' contains itself (a -> a)");
    expect_only("interface: g\n"
                "types:\n"
                "  a: {fields: [{name: x, type: int}, {name: b, type: b}]}\n"
                "  b: {fields: [{name: c, type: c}]}\n"
                "  c: {fields: [{name: a, type: a}, {name: ok, type: list<a>}]}\n",
                COIL_ECYCLE, 3, 3, "struct 'a' contains itself (a -> b -> c -> a)");
    /* Found from a struct outside the cycle, the cycle is still named from
     * where it starts. */
    expect_only("interface: g\n"
                "types:\n"
                "  outer: {fields: [{name: x, type: a}]}\n"
                "  a: {fields: [{name: b, type: b}]}\n"
                "  b: {fields: [{name: a, type: a}]}\n",
                COIL_ECYCLE, 4, 3, "struct 'a' contains itself (a -> b -> a)");
}

ITEST(interface_errors, containing_itself_through_a_pointer_is_fine)
{
    coil__arena a;
    coil__arena_init(&a);
    read_ok(&a, "interface: g\n"
                "types:\n"
                "  a: {fields: [{name: l, type: list<a>}, {name: m, type: map<b>},\n"
                "               {name: o, type: optional<a>}]}\n"
                "  b: {fields: [{name: a, type: optional<a>}]}\n");
    coil__arena_free(&a);
}

ITEST(interface_errors, type_shapes)
{
    expect_only("interface: g\ntypes:\n  p: [a]\n", COIL_ETYPE, 3, 6,
                "type 'p': expects a map (doc, and fields or enum), got a list");
    expect_only("interface: g\ntypes:\n  p:\n", COIL_EREQUIRED, 3, 3,
                "type 'p': needs 'fields' (a struct) or 'enum' (an enum)");
    expect_only("interface: g\ntypes:\n  p: {doc: x}\n", COIL_EREQUIRED, 3, 3,
                "type 'p': needs 'fields' (a struct) or 'enum' (an enum)");
    expect_only("interface: g\ntypes:\n  p: {fields: [{name: a, type: int}], enum: [b]}\n",
                COIL_EVALUE, 3, 39,
                "type 'p': has both 'fields' and 'enum' (it is a struct or an enum)");
    expect_only("interface: g\ntypes:\n  p: {fields: [{name: a, type: int}], field: x}\n",
                COIL_EKEY, 3, 39, "type 'p': unknown key 'field' (expected doc, fields or enum)");
    expect_only("interface: g\ntypes:\n  p: {fields: x}\n", COIL_ETYPE, 3, 15,
                "type 'p': 'fields' expects a list of fields, got 'x'");
    expect_only("interface: g\ntypes:\n  p: {fields: []}\n", COIL_EVALUE, 3, 15,
                "type 'p': a struct needs at least one field");
    expect_only("interface: g\ntypes:\n  p: {enum: []}\n", COIL_EVALUE, 3, 13,
                "type 'p': an enum needs at least one value");
    expect_only("interface: g\ntypes:\n  p: {enum: red}\n", COIL_ETYPE, 3, 13,
                "type 'p': 'enum' expects a list of value names, got 'red'");
    expect_only("interface: g\ntypes:\n  p: {enum: [a, [b]]}\n", COIL_ETYPE, 3, 17,
                "type 'p': value 2 expects a name, got a list");
    expect_only("interface: g\ntypes:\n  p: {enum: [a], doc: [x]}\n", COIL_ETYPE, 3, 23,
                "type 'p': 'doc' expects text, got a list");
}

ITEST(interface_errors, field_shapes)
{
    expect_only("interface: g\ntypes:\n  p: {fields: [a]}\n", COIL_ETYPE, 3, 16,
                "type 'p': field 1 expects a map (name, type, doc), got 'a'");
    expect_only("interface: g\ntypes:\n  p: {fields: [{type: int}]}\n", COIL_EREQUIRED, 3, 16,
                "type 'p': field 1 has no 'name'");
    expect_only("interface: g\ntypes:\n  p: {fields: [{name: x}]}\n", COIL_EREQUIRED, 3, 16,
                "type 'p': field 'x' has no 'type'");
    expect_only("interface: g\ntypes:\n  p: {fields: [{name: [x], type: int}]}\n",
                COIL_ETYPE, 3, 23, "type 'p': field 1: 'name' expects a name, got a list");
    expect_only("interface: g\ntypes:\n  p: {fields: [{name: x, type: int, default: 1}]}\n",
                COIL_EKEY, 3, 37,
                "type 'p': field 'x': unknown key 'default' (expected name, type, doc)");
    expect_only("interface: g\ntypes:\n  p: {fields: [{name: x, type: int, doc: {a: b}}]}\n",
                COIL_ETYPE, 3, 42, "type 'p': field 'x': 'doc' expects text, got a map");
}

/* ---- Errors: methods ----------------------------------------------------------------- */

ITEST(interface_errors, duplicate_method)
{
    coil_error *err = read_fail("interface: g\n"
                                "methods:\n"
                                "  m:\n"
                                "  n:\n"
                                "  m:\n");
    cr_assert_eq(coil_error_count(err), 1, "%s", dump(err));
    cr_assert_eq(err->code, COIL_EDUPLICATE);
    cr_assert(strstr(err->message, "'m'"), "%s", err->message);
    cr_assert_eq(err->line, 5);
    cr_assert_eq(err->column, 3);
    coil_error_free(err);
}

ITEST(interface_errors, duplicates)
{
    expect_only("interface: g\n"
                "types:\n"
                "  point: {fields: [{name: x, type: int}, {name: x, type: int}]}\n",
                COIL_EDUPLICATE, 3, 49, "type 'point': duplicate field 'x'");
    expect_only("interface: g\n"
                "methods:\n"
                "  m: {params: [{name: p, type: int}, {name: p, type: int}]}\n",
                COIL_EDUPLICATE, 3, 45, "method 'm': duplicate parameter 'p'");
    expect_only("interface: g\n"
                "types:\n"
                "  color: {enum: [red, green, red]}\n",
                COIL_EDUPLICATE, 3, 30, "type 'color': duplicate value 'red'");
}

ITEST(interface_errors, method_shapes)
{
    expect_only("interface: g\nmethods:\n  m: [a]\n", COIL_ETYPE, 3, 6,
                "method 'm': expects a map (doc, params, returns, oneway, idempotent), got a list");
    expect_only("interface: g\nmethods:\n  m: {params: {p: int}}\n", COIL_ETYPE, 3, 15,
                "method 'm': 'params' expects a list of parameters, got a map");
    expect_only("interface: g\nmethods:\n  m: {params: [p]}\n", COIL_ETYPE, 3, 16,
                "method 'm': parameter 1 expects a map (name, type, doc), got 'p'");
    expect_only("interface: g\nmethods:\n  m: {params: [{type: int}]}\n", COIL_EREQUIRED, 3, 16,
                "method 'm': parameter 1 has no 'name'");
    expect_only("interface: g\nmethods:\n  m: {params: [{name: p}]}\n", COIL_EREQUIRED, 3, 16,
                "method 'm': parameter 'p' has no 'type'");
    expect_only("interface: g\nmethods:\n  m: {params: [{name: p, type: int, optional: true}]}\n",
                COIL_EKEY, 3, 37,
                "method 'm': parameter 'p': unknown key 'optional' (expected name, type, doc)");
    expect_only("interface: g\nmethods:\n  m: {result: int}\n", COIL_EKEY, 3, 7,
                "method 'm': unknown key 'result' (expected doc, params, returns, oneway, "
                "idempotent)");
    expect_only("interface: g\nmethods:\n  m: {oneway: maybe}\n", COIL_ETYPE, 3, 15,
                "method 'm': 'oneway' expects true or false, got 'maybe'");
    expect_only("interface: g\nmethods:\n  m: {idempotent: [x]}\n", COIL_ETYPE, 3, 19,
                "method 'm': 'idempotent' expects true or false, got a list");
}

ITEST(interface_errors, oneway_cannot_return)
{
    expect_only("interface: g\n"
                "methods:\n"
                "  wish:\n"
                "    returns: int\n"
                "    oneway: true\n",
                COIL_EVALUE, 5, 5, "method 'wish': a oneway method cannot return a value");
}

ITEST(interface_errors, rpc_names)
{
    expect_only("interface: g\nmethods:\n  rpc.ping:\n", COIL_EVALUE, 3, 3,
                "method 'rpc.ping': names starting with 'rpc.' are reserved by JSON-RPC");
}

/* ---- Errors: names --------------------------------------------------------------------- */

ITEST(interface_errors, invalid_identifiers)
{
    expect_only("interface: g\nmethods:\n  my-method:\n", COIL_EVALUE, 3, 3,
                "method 'my-method': not a valid C identifier");
    expect_only("interface: g\nmethods:\n  2go:\n", COIL_EVALUE, 3, 3,
                "method '2go': not a valid C identifier");
    expect_only("interface: g\ntypes:\n  my point: {enum: [a]}\n", COIL_EVALUE, 3, 3,
                "type 'my point': not a valid C identifier");
    expect_only("interface: g\ntypes:\n  p: {fields: [{name: x.y, type: int}]}\n", COIL_EVALUE,
                3, 23, "type 'p': field 'x.y': not a valid C identifier");
    expect_only("interface: g\nmethods:\n  m: {params: [{name: \"\", type: int}]}\n",
                COIL_EVALUE, 3, 23, "method 'm': parameter '': not a valid C identifier");
    expect_only("interface: g\ntypes:\n  color: {enum: [red, dark-red]}\n", COIL_EVALUE, 3, 23,
                "type 'color': value 'dark-red': not a valid C identifier");
    expect_only("interface: g\ntypes:\n  color: {enum: [red, 1]}\n", COIL_EVALUE, 3, 23,
                "type 'color': value '1': not a valid C identifier");
}

ITEST(interface_errors, reserved_names)
{
    /* C keywords (C11's, and C23's that C11 has as macros). */
    /* A method may be named after one: its ops member becomes while_. */
    coil__arena kwa;
    coil__arena_init(&kwa);
    const coil__ifile *kw = read_ok(&kwa, "interface: g\nmethods:\n  while:\n");
    cr_assert_str_eq(kw->methods[0].name, "while");
    coil__arena_free(&kwa);
    expect_only("interface: g\ntypes:\n  p: {fields: [{name: _Bool, type: int}]}\n", COIL_EVALUE,
                3, 23, "type 'p': field '_Bool': reserved name (a C keyword)");
    expect_only("interface: g\nmethods:\n  m: {params: [{name: true, type: int}]}\n",
                COIL_EVALUE, 3, 23, "method 'm': parameter 'true': reserved name (a C keyword)");
    expect_only("interface: g\ntypes:\n  struct: {enum: [a]}\n", COIL_EVALUE, 3, 3,
                "type 'struct': reserved name (a C keyword)");
    /* Names C reserves. */
    expect_only("interface: g\nmethods:\n  __init:\n", COIL_EVALUE, 3, 3,
                "method '__init': reserved name (C reserves names that start with '__' or '_' "
                "and a capital letter)");
    expect_only("interface: g\ntypes:\n  p: {fields: [{name: _X, type: int}]}\n", COIL_EVALUE, 3,
                23,
                "type 'p': field '_X': reserved name (C reserves names that start with '__' or "
                "'_' and a capital letter)");
    /* Enum values become prefixed constants: keywords and case are fine. */
    coil__arena a;
    coil__arena_init(&a);
    coil__ifile *f =
        read_ok(&a, "interface: g\ntypes:\n  size: {enum: [short, long, _Big, int]}\n");
    cr_assert_eq(f->decls[0]->nvalues, 4);
    /* A leading underscore and a small letter is an ordinary name. */
    read_ok(&a, "interface: g\nmethods:\n  _private:\n");
    coil__arena_free(&a);
}

ITEST(interface_errors, names_the_generator_uses)
{
    static const char *const names[] = { "ops", "interface", "methods", "free", "init",
                                         "forward_ops" };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char yaml[128], msg[128];
        snprintf(yaml, sizeof yaml, "interface: g\nmethods:\n  %s:\n", names[i]);
        snprintf(msg, sizeof msg, "method '%s': reserved name (it would collide in generated code)",
                 names[i]);
        expect_only(yaml, COIL_EVALUE, 3, 3, msg);
        snprintf(yaml, sizeof yaml, "interface: g\ntypes:\n  %s: {enum: [a]}\n", names[i]);
        snprintf(msg, sizeof msg, "type '%s': reserved name (it would collide in generated code)",
                 names[i]);
        expect_only(yaml, COIL_EVALUE, 3, 3, msg);
    }
    static const char *const builtins[] = { "bool", "int", "double", "string", "bytes", "any",
                                            "list", "map", "optional" };
    for (size_t i = 0; i < sizeof builtins / sizeof *builtins; i++) {
        char yaml[128], msg[128];
        snprintf(yaml, sizeof yaml, "interface: g\ntypes:\n  %s: {enum: [a]}\n", builtins[i]);
        snprintf(msg, sizeof msg, "type '%s': %s", builtins[i],
                 i < 6 && (strcmp(builtins[i], "bool") == 0 || strcmp(builtins[i], "int") == 0 ||
                           strcmp(builtins[i], "double") == 0)
                     ? "reserved name (a C keyword)"
                     : "reserved name (it would collide in generated code)");
        expect_only(yaml, COIL_EVALUE, 3, 3, msg);
    }
    /* The generated functions' own parameters and locals. */
    static const char *const params[] = { "obj", "self", "result", "err", "ops", "args",
                                          "json_t", "NULL" };
    for (size_t i = 0; i < sizeof params / sizeof *params; i++) {
        char yaml[128], msg[128];
        snprintf(yaml, sizeof yaml,
                 "interface: g\nmethods:\n  m: {params: [{name: %s, type: int}]}\n", params[i]);
        snprintf(msg, sizeof msg,
                 "method 'm': parameter '%s': reserved name (it would collide in generated code)",
                 params[i]);
        expect_only(yaml, COIL_EVALUE, 3, 23, msg);
    }
    /* ...which are fine as field names. */
    coil__arena a;
    coil__arena_init(&a);
    read_ok(&a, "interface: g\ntypes:\n  p: {fields: [{name: result, type: int},"
                " {name: self, type: int}]}\n");
    coil__arena_free(&a);
}

ITEST(interface_errors, names_that_collide_in_generated_code)
{
    /* A method named like a type. */
    expect_only("interface: g\n"
                "types:\n"
                "  point: {fields: [{name: x, type: int}]}\n"
                "methods:\n"
                "  point:\n",
                COIL_EVALUE, 5, 3,
                "method 'point': reserved name (it would collide in generated code with type "
                "'point')");
    /* A method named like a struct's helper. */
    expect_only("interface: g\n"
                "types:\n"
                "  point: {fields: [{name: x, type: int}]}\n"
                "methods:\n"
                "  point_free:\n",
                COIL_EVALUE, 5, 3,
                "method 'point_free': reserved name (it would collide in generated code with "
                "type 'point')");
    /* A struct named like the C type of a list the file uses. */
    expect_only("interface: g\n"
                "types:\n"
                "  list_int: {fields: [{name: x, type: int}]}\n"
                "methods:\n"
                "  m: {returns: list<int>}\n",
                COIL_EVALUE, 3, 3,
                "type 'list_int': reserved name (it would collide in generated code with "
                "list<int>)");
    /* Two types whose mangled names meet. */
    expect_only("interface: g\n"
                "types:\n"
                "  point: {fields: [{name: x, type: int}]}\n"
                "  map_point: {fields: [{name: x, type: list<map_point>}]}\n"
                "methods:\n"
                "  m: {returns: list<map<point>>}\n",
                COIL_EVALUE, 4, 3,
                "type 'map_point': reserved name (it would collide in generated code with "
                "map<point>)");
    /* A method named like another's call glue. */
    expect_only("interface: g\n"
                "methods:\n"
                "  m:\n"
                "  _call_m:\n",
                COIL_EVALUE, 4, 3,
                "method '_call_m': reserved name (it would collide in generated code with "
                "method 'm')");
    /* Enum constants: GREETER_COLOR_RED twice. */
    expect_only("interface: g\n"
                "types:\n"
                "  color: {enum: [red, RED]}\n",
                COIL_EVALUE, 3, 3,
                "type 'color': value 'RED': reserved name (it would collide in generated code "
                "with value 'red' of type 'color')");
    expect_only("interface: g\n"
                "types:\n"
                "  color: {enum: [red_x]}\n"
                "  color_red: {enum: [x]}\n",
                COIL_EVALUE, 4, 3,
                "type 'color_red': value 'x': reserved name (it would collide in generated code "
                "with value 'red_x' of type 'color')");
    /* Not used, list<int> takes no name: the struct may have it. */
    coil__arena a;
    coil__arena_init(&a);
    read_ok(&a, "interface: g\ntypes:\n  list_int: {fields: [{name: x, type: int}]}\n");
    coil__arena_free(&a);
}

/* ---- Every error at once -------------------------------------------------------------- */

ITEST(interface_errors, all_errors_of_a_file_are_reported)
{
    coil_error *err = read_fail("interface: g\n"                                   /* 1 */
                                "version: 2\n"                                     /* 2 */
                                "types:\n"                                         /* 3 */
                                "  point:\n"                                       /* 4 */
                                "    fields:\n"                                    /* 5 */
                                "      - {name: x, type: dbl}\n"                   /* 6 */
                                "      - {name: x, type: double}\n"                /* 7 */
                                "  a: {fields: [{name: b, type: b}]}\n"            /* 8 */
                                "  b: {fields: [{name: a, type: a}]}\n"            /* 9 */
                                "  color: {enum: [red, red]}\n"                    /* 10 */
                                "methods:\n"                                       /* 11 */
                                "  my-method:\n"                                   /* 12 */
                                "  m:\n"                                           /* 13 */
                                "    params:\n"                                    /* 14 */
                                "      - {name: p, type: pointt}\n"                /* 15 */
                                "      - {name: q, type: list<int}\n"              /* 16 */
                                "    returns: x\n"                                 /* 17 */
                                "  wish: {returns: int, oneway: true}\n"           /* 18 */
                                "  free:\n"                                        /* 19 */
                                "  rpc.x:\n"                                       /* 20 */
                                "  point:\n");                                     /* 21 */
    expect(err, COIL_EKEY, 2, 1,
           "unknown key 'version' in an interface file (expected interface, doc, types, methods)");
    expect(err, COIL_ETYPE, 6, 25, "type 'point': field 'x': unknown type 'dbl'");
    expect(err, COIL_EDUPLICATE, 7, 16, "type 'point': duplicate field 'x'");
    expect(err, COIL_ECYCLE, 8, 3, "struct 'a' contains itself (a -> b -> a)");
    expect(err, COIL_EDUPLICATE, 10, 23, "type 'color': duplicate value 'red'");
    expect(err, COIL_EVALUE, 12, 3, "method 'my-method': not a valid C identifier");
    expect(err, COIL_ETYPE, 15, 25, "method 'm': parameter 'p': unknown type 'pointt'");
    expect(err, COIL_ETYPE, 16, 25, "method 'm': parameter 'q': malformed type 'list<int'");
    expect(err, COIL_ETYPE, 17, 14, "method 'm': unknown return type 'x'");
    expect(err, COIL_EVALUE, 18, 24, "method 'wish': a oneway method cannot return a value");
    expect(err, COIL_EVALUE, 19, 3,
           "method 'free': reserved name (it would collide in generated code)");
    expect(err, COIL_EVALUE, 20, 3,
           "method 'rpc.x': names starting with 'rpc.' are reserved by JSON-RPC");
    expect(err, COIL_EVALUE, 21, 3,
           "method 'point': reserved name (it would collide in generated code with type "
           "'point')");
    cr_assert_eq(coil_error_count(err), 13, "%s", dump(err));
    coil_error_free(err);
}

ITEST(interface_errors, keys_must_be_names)
{
    expect_only("interface: g\n[x]: 1\n", COIL_EKEY, 2, 1, "keys must be names, got a list");
    expect_only("interface: g\nmethods:\n  [a]: {}\n", COIL_EKEY, 3, 3,
                "'methods': keys must be names, got a list");
    expect_only("interface: g\ntypes:\n  {a: b}: {enum: [x]}\n", COIL_EKEY, 3, 3,
                "'types': keys must be names, got a map");
    expect_only("interface: g\nmethods:\n  m: {[a]: 1}\n", COIL_EKEY, 3, 7,
                "method 'm': keys must be names, got a list");
}
