/* Context files: reads a file and its imports into definitions, with
 * placeholders expanded in definition keys and positions kept. Knows YAML
 * and the file format; knows nothing of classes (that is container/). */
#ifndef COIL_CONTEXT_FILE_H
#define COIL_CONTEXT_FILE_H

#include "coil/coil.h"
#include "config/placeholder.h"
#include "config/yaml_tree.h"

typedef struct coil__def coil__def;

typedef struct coil__prop_entry {
    const char *name;
    const coil__node *key, *value;
} coil__prop_entry;

struct coil__def {
    const char *id;           /* NULL for an anonymous inner object */
    const char *name;         /* for messages: the id, or OUTER.PROPERTY[i] */
    const char *file;
    unsigned line, column;    /* where the definition's mapping starts */
    const char *class_name;   /* NULL when not given (and not inherited) */
    const coil__node *class_node;
    coil_scope scope;
    bool lazy, abstract;
    bool has_scope, has_lazy;
    const char *parent;
    const coil__node *parent_node;
    coil__prop_entry *props;
    size_t nprops;
    const char **depends;
    const coil__node **depends_nodes;
    size_t ndepends;
    const char **aliases;
    const coil__node **alias_nodes;
    size_t naliases;
    coil__def *outer;         /* inner objects: the object they belong to */
    bool overridden;          /* replaced by a definition in a later file */
    bool inherited;           /* parent inheritance applied */
    bool bad;                 /* already reported: skip checks that would repeat it */
    void *rt;                 /* the container's state for this definition */
};

typedef struct coil__module_ref {
    const char *path;         /* as opened */
    const coil__node *node;
} coil__module_ref;

typedef struct coil__alias {
    const char *alias, *target;
    const coil__node *node;   /* the alias entry */
    const coil__node *target_node;
} coil__alias;

typedef struct coil__config {
    coil__arena *a;
    coil__errors *errs;
    coil__vars vars;
    coil__vec defs;           /* top-level definitions, imported files first */
    coil__vec modules;        /* coil__module_ref * */
    coil__vec aliases;        /* coil__alias * */
    coil__strmap ids;         /* id -> coil__def * (after overriding) */
    coil__strmap alias_defs;  /* alias -> coil__def * */
    coil__strmap files;       /* real path -> file state, each read once */
    coil__vec stack;          /* import chain, for cycle messages */
} coil__config;

void coil__config_init(coil__config *c, coil__arena *a, coil__errors *errs);
void coil__config_free(coil__config *c);

/* Read a context (and its imports). Errors go to c->errs. */
void coil__config_read_file(coil__config *c, const char *path);
void coil__config_read_string(coil__config *c, const char *text, const char *name);

/* Parses an inner object definition found as a property value. */
coil__def *coil__config_parse_inner(coil__config *c, const coil__node *map,
                                    coil__def *outer, const char *name);

/* Whether a mapping used as a value is an inner object definition. */
bool coil__is_inner_def(const coil__node *map);

/* Applies `parent:` inheritance to every top-level definition. */
void coil__config_inherit(coil__config *c);
/* The same for one definition (an inner object with a parent). */
void coil__config_inherit_one(coil__config *c, coil__def *d);

/* Checks aliases (clashes, undefined targets) and makes them findable. */
void coil__config_resolve_aliases(coil__config *c);

/* The definition an id or alias names, or NULL. */
coil__def *coil__config_find(const coil__config *c, const char *name);

/* "a string", "a list", "a map" or the quoted scalar, for messages. */
const char *coil__describe(coil__arena *a, const coil__node *n);

#endif
