/* Interface files: reads an interface file (YAML) into a checked model of
 * its methods and types, with positions, for `coil gen`. Not public API.
 *
 *     interface: greeter
 *     doc: Sings to people.
 *     types:
 *       point:                        # a struct
 *         doc: A place.
 *         fields:
 *           - {name: x, type: double, doc: across}
 *           - {name: y, type: double}
 *       color:                        # an enum
 *         enum: [red, green, blue]
 *     methods:
 *       happy_birthday:
 *         doc: The song, line by line.
 *         params: [{name: name, type: string}]
 *         returns: list<string>
 *         idempotent: true
 *       wish:
 *         params: [{name: to, type: string}, {name: text, type: string}]
 *         oneway: true
 */
#ifndef COIL_INTERFACE_FILE_H
#define COIL_INTERFACE_FILE_H

#include "coil/interface.h"
#include "config/yaml_tree.h"

typedef struct coil__idecl coil__idecl;
typedef struct coil__itype coil__itype;

/* A type expression, resolved. One object per distinct type: the model
 * interns them, so `list<point>` written twice is the same coil__itype. */
struct coil__itype {
    coil_kind kind;
    const char *spelling;     /* canonical: "int", "list<map<point>>", "point" */
    const char *mangled;      /* an identifier part: "int", "list_map_point" */
    coil__itype *elem;        /* list, map, optional */
    coil__idecl *decl;        /* struct, enum */
};

typedef struct coil__ifield {
    const char *name;
    coil__itype *type;
    const char *doc;          /* NULL when none */
    const coil__node *at;     /* the entry, for messages */
} coil__ifield;

struct coil__idecl {
    const char *name;
    bool is_enum;
    coil__ifield *fields;     /* structs */
    size_t nfields;
    const char **values;      /* enums, in order */
    size_t nvalues;
    const char *doc;
    const coil__node *at;
};

typedef struct coil__imethod {
    const char *name;
    coil__ifield *params;
    size_t nparams;
    coil__itype *result;      /* NULL: returns nothing */
    bool oneway, idempotent;
    const char *doc;
    const coil__node *at;
} coil__imethod;

typedef struct coil__ifile {
    const char *path;         /* as given */
    const char *name;         /* the interface's name, a C identifier */
    const char *doc;
    coil__idecl **decls;      /* in file order */
    size_t ndecls;
    coil__imethod *methods;   /* in file order */
    size_t nmethods;
    /* Every distinct type the file uses, each after the types it is made
     * of (so C definitions can be emitted in this order). */
    coil__itype **types;
    size_t ntypes;
    uint64_t signature;       /* FNV-1a of the canonical signature text */
} coil__ifile;

/* Reads and checks an interface file. Returns the model, or NULL with every
 * error found added to `errs` (each positioned). Everything lives in `a`. */
coil__ifile *coil__interface_read(coil__arena *a, const char *path, coil__errors *errs);

/* The same from text; `name` is the file name used in positions. */
coil__ifile *coil__interface_read_string(coil__arena *a, const char *text, const char *name,
                                         coil__errors *errs);

/* Whether `name` is a C keyword (C11's, or C23's). A method may be named
 * after one: its member in the ops struct is then NAME_ (see cli/gen.c). */
bool coil__is_c_keyword(const char *name);

#endif
