/* Reads context files into definitions. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/context_file.h"

enum file_state { FILE_READING = 1, FILE_DONE };

typedef struct file_info {
    const char *shown;
    enum file_state state;
} file_info;

void coil__config_init(coil__config *c, coil__arena *a, coil__errors *errs)
{
    memset(c, 0, sizeof *c);
    c->a = a;
    c->errs = errs;
    coil__vars_init(&c->vars);
    coil__strmap_init(&c->ids);
    coil__strmap_init(&c->alias_defs);
    coil__strmap_init(&c->files);
}

void coil__config_free(coil__config *c)
{
    coil__vars_free(&c->vars);
    coil__vec_free(&c->defs);
    coil__vec_free(&c->modules);
    coil__vec_free(&c->aliases);
    coil__vec_free(&c->stack);
    coil__strmap_free(&c->ids);
    coil__strmap_free(&c->alias_defs);
    coil__strmap_free(&c->files);
}

#define ERR(c, code, n, ...) \
    coil__errors_add((c)->errs, code, (n)->file, (n)->line, (n)->column, __VA_ARGS__)

static void oom(coil__config *c)
{
    coil__errors_add(c->errs, COIL_ENOMEM, NULL, 0, 0, "out of memory");
}

const char *coil__describe(coil__arena *a, const coil__node *n)
{
    if (n->kind == COIL__SEQ)
        return "a list";
    if (n->kind == COIL__MAP)
        return "a map";
    const char *s = coil__arena_printf(a, "'%s'", n->text);
    return s ? s : "a scalar";
}

/* A scalar's text with placeholders expanded; NULL (reported) otherwise. */
static const char *scalar(coil__config *c, const coil__node *n, const char *owner,
                          const char *key, const char *expects)
{
    if (n->kind != COIL__SCALAR) {
        if (owner)
            ERR(c, COIL_ETYPE, n, "object '%s': '%s' expects %s, got %s", owner, key, expects,
                coil__describe(c->a, n));
        else
            ERR(c, COIL_ETYPE, n, "'%s' expects %s, got %s", key, expects,
                coil__describe(c->a, n));
        return NULL;
    }
    return coil__expand(c->a, &c->vars, n, c->errs);
}

static bool bool_value(coil__config *c, const coil__node *n, const char *owner,
                       const char *key, bool *out)
{
    const char *t = scalar(c, n, owner, key, "a bool");
    if (!t)
        return false;
    if (!coil__parse_bool(t, out)) {
        ERR(c, COIL_ETYPE, n, "object '%s': '%s' expects a bool, got '%s'", owner, key, t);
        return false;
    }
    return true;
}

/* A scalar or a list of scalars, as an array of expanded strings. */
static size_t name_list(coil__config *c, const coil__node *n, const char *owner,
                        const char *key, const char ***names, const coil__node ***nodes)
{
    size_t count = n->kind == COIL__SEQ ? n->count : 1;
    *names = coil__arena_alloc(c->a, count * sizeof **names);
    *nodes = coil__arena_alloc(c->a, count * sizeof **nodes);
    if (!*names || !*nodes) {
        oom(c);
        return 0;
    }
    size_t k = 0;
    for (size_t i = 0; i < count; i++) {
        const coil__node *item = n->kind == COIL__SEQ ? n->items[i] : n;
        const char *t = scalar(c, item, owner, key, "a name or a list of names");
        if (t) {
            (*names)[k] = t;
            (*nodes)[k] = item;
            k++;
        }
    }
    return k;
}

static coil__def *parse_def(coil__config *c, const coil__node *map, coil__def *outer,
                            const char *inner_name)
{
    coil__def *d = coil__arena_alloc(c->a, sizeof *d);
    if (!d) {
        oom(c);
        return NULL;
    }
    /* A definition is where its first key is: for a flow mapping that is
     * past the brace. */
    const coil__node *first = map->count ? map->keys[0] : map;
    d->file = first->file;
    d->line = first->line;
    d->column = first->column;
    d->outer = outer;
    d->scope = COIL_SINGLETON;

    const coil__node *id_node = coil__map_get(map, "object");
    if (id_node && id_node->kind == COIL__SCALAR && id_node->plain && coil__is_null(id_node->text))
        id_node = NULL; /* `object:` left empty, as Spring Python allows for inner objects */
    if (id_node) {
        d->id = scalar(c, id_node, outer ? outer->name : NULL, "object", "a name");
        if (!d->id)
            d->bad = true;
    }
    if (outer)
        d->name = d->id ? d->id : inner_name;
    else if (d->id)
        d->name = d->id;
    else {
        d->name = "?";
        if (!id_node)
            ERR(c, COIL_EREQUIRED, map, "object definition without 'object' id");
        d->bad = true;
    }

    for (size_t i = 0; i < map->count; i++) {
        const coil__node *k = map->keys[i], *v = map->items[i];
        if (k->kind != COIL__SCALAR) {
            ERR(c, COIL_EKEY, k, "object '%s': keys must be names, got %s", d->name,
                coil__describe(c->a, k));
            continue;
        }
        const char *key = k->text;
        if (k->len == 6 && memcmp(key, "object", 6) == 0) {
            continue;
        } else if (strcmp(key, "class") == 0) {
            d->class_name = scalar(c, v, d->name, key, "a class name");
            d->class_node = v;
        } else if (strcmp(key, "scope") == 0) {
            const char *t = scalar(c, v, d->name, key, "singleton or prototype");
            if (!t)
                continue;
            d->has_scope = true;
            if (strcmp(t, "singleton") == 0)
                d->scope = COIL_SINGLETON;
            else if (strcmp(t, "prototype") == 0)
                d->scope = COIL_PROTOTYPE;
            else
                ERR(c, COIL_EVALUE, v,
                    "object '%s': bad scope '%s' (expected singleton or prototype)", d->name,
                    t);
        } else if (strcmp(key, "lazy-init") == 0) {
            if (bool_value(c, v, d->name, key, &d->lazy))
                d->has_lazy = true;
        } else if (strcmp(key, "abstract") == 0) {
            bool_value(c, v, d->name, key, &d->abstract);
        } else if (strcmp(key, "parent") == 0) {
            d->parent = scalar(c, v, d->name, key, "an object id");
            d->parent_node = v;
        } else if (strcmp(key, "properties") == 0 || strcmp(key, "constructor-args") == 0) {
            if (v->kind == COIL__SCALAR && coil__is_null(v->text) && v->plain)
                continue;
            if (v->kind != COIL__MAP) {
                if (strcmp(key, "constructor-args") == 0 && v->kind == COIL__SEQ)
                    ERR(c, COIL_ETYPE, v,
                        "object '%s': positional constructor-args are not supported; name "
                        "them (a map of property names to values)",
                        d->name);
                else
                    ERR(c, COIL_ETYPE, v, "object '%s': '%s' expects a map, got %s", d->name,
                        key, coil__describe(c->a, v));
                continue;
            }
            size_t n = d->nprops + v->count;
            coil__prop_entry *props = coil__arena_alloc(c->a, (n ? n : 1) * sizeof *props);
            if (!props) {
                oom(c);
                continue;
            }
            if (d->nprops)
                memcpy(props, d->props, d->nprops * sizeof *props);
            /* YAML already refuses a key twice in one map: only names given
             * under both properties and constructor-args can clash. */
            size_t before = d->nprops;
            for (size_t j = 0; j < v->count; j++) {
                const coil__node *pk = v->keys[j];
                if (pk->kind != COIL__SCALAR) {
                    ERR(c, COIL_EPROPERTY, pk, "object '%s': property names must be scalars",
                        d->name);
                    continue;
                }
                bool dup = false;
                for (size_t m = 0; m < before; m++) {
                    if (strcmp(props[m].name, pk->text) == 0) {
                        ERR(c, COIL_EDUPLICATE, pk,
                            "object '%s': property '%s' is given twice (properties and "
                            "constructor-args)",
                            d->name, pk->text);
                        dup = true;
                    }
                }
                if (dup)
                    continue;
                props[d->nprops].name = pk->text;
                props[d->nprops].key = pk;
                props[d->nprops].value = v->items[j];
                d->nprops++;
            }
            d->props = props;
        } else if (strcmp(key, "depends-on") == 0) {
            d->ndepends = name_list(c, v, d->name, key, &d->depends, &d->depends_nodes);
        } else if (strcmp(key, "alias") == 0) {
            if (outer) {
                ERR(c, COIL_EKEY, k, "object '%s': inner objects cannot have aliases",
                    d->name);
                continue;
            }
            d->naliases = name_list(c, v, d->name, key, &d->aliases, &d->alias_nodes);
        } else {
            ERR(c, COIL_EKEY, k, "object '%s': unknown key '%s'", d->name, key);
        }
    }
    if (outer && d->abstract) {
        ERR(c, COIL_EVALUE, map, "object '%s': an inner object cannot be abstract", d->name);
        d->abstract = false;
    }
    return d;
}

coil__def *coil__config_parse_inner(coil__config *c, const coil__node *map,
                                    coil__def *outer, const char *name)
{
    return parse_def(c, map, outer, name);
}

bool coil__is_inner_def(const coil__node *map)
{
    return map->kind == COIL__MAP &&
           (coil__map_get(map, "class") || coil__map_get(map, "object") ||
            coil__map_get(map, "parent"));
}

/* ---- Files ------------------------------------------------------------ */

static void read_node(coil__config *c, const coil__node *root, const char *shown,
                      const char *dir);

static const char *dir_of(coil__arena *a, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return ".";
    if (slash == path)
        return "/";
    return coil__arena_strndup(a, path, (size_t)(slash - path));
}

static const char *join(coil__arena *a, const char *dir, const char *rel)
{
    if (rel[0] == '/' || strcmp(dir, ".") == 0)
        return coil__arena_strdup(a, rel);
    return coil__arena_printf(a, "%s/%s", dir, rel);
}

/* Reads one file; `from` is the import entry that named it (NULL: root). */
static void read_file(coil__config *c, const char *path, const coil__node *from)
{
    char real[PATH_MAX];
    if (!realpath(path, real)) {
        int e = errno;
        if (from)
            ERR(c, COIL_EIO, from, "cannot import '%s': %s", path, strerror(e));
        else
            coil__errors_add(c->errs, COIL_EIO, NULL, 0, 0, "cannot read '%s': %s", path,
                             strerror(e));
        return;
    }
    file_info *fi = coil__strmap_get(&c->files, real);
    if (fi) {
        if (fi->state == FILE_READING) {
            coil__buf chain;
            coil__buf_init(&chain);
            bool on = false;
            for (size_t i = 0; i < c->stack.count; i++) {
                file_info *s = c->stack.items[i];
                if (s == fi)
                    on = true;
                if (on)
                    coil__buf_printf(&chain, "%s -> ", s->shown);
            }
            coil__buf_adds(&chain, fi->shown);
            ERR(c, COIL_ECYCLE, from, "import cycle: %s", chain.data ? chain.data : path);
            coil__buf_free(&chain);
        }
        return; /* each file is read once */
    }
    fi = coil__arena_alloc(c->a, sizeof *fi);
    char *key = coil__arena_strdup(c->a, real);
    if (!fi || !key || coil__strmap_put(&c->files, key, fi, NULL)) {
        oom(c);
        return;
    }
    fi->shown = coil__arena_strdup(c->a, path);
    fi->state = FILE_READING;

    FILE *f = fopen(path, "rb");
    if (!f) {
        int err = errno;
        if (from)
            ERR(c, COIL_EIO, from, "cannot import '%s': %s", path, strerror(err));
        else
            coil__errors_add(c->errs, COIL_EIO, NULL, 0, 0, "cannot read '%s': %s", path,
                             strerror(err));
        fi->state = FILE_DONE;
        return;
    }
    bool ok;
    coil__node *root = coil__yaml_read_file(c->a, f, path, c->errs, &ok);
    fclose(f);
    if (ok && coil__vec_push(&c->stack, fi) == COIL_OK) {
        read_node(c, root, fi->shown, dir_of(c->a, path));
        c->stack.count--;
    }
    fi->state = FILE_DONE;
}

void coil__config_read_file(coil__config *c, const char *path)
{
    read_file(c, path, NULL);
}

void coil__config_read_string(coil__config *c, const char *text, const char *name)
{
    bool ok;
    coil__node *root = coil__yaml_read(c->a, text, strlen(text), name, c->errs, &ok);
    if (ok)
        read_node(c, root, name, ".");
}

static void read_properties(coil__config *c, const coil__node *v)
{
    if (v->kind != COIL__MAP) {
        ERR(c, COIL_ETYPE, v, "'properties' expects a map of names to values, got %s",
            coil__describe(c->a, v));
        return;
    }
    for (size_t i = 0; i < v->count; i++) {
        const coil__node *k = v->keys[i], *val = v->items[i];
        if (k->kind != COIL__SCALAR || val->kind != COIL__SCALAR) {
            ERR(c, COIL_ETYPE, val, "property '%s' must be a scalar, got %s",
                k->kind == COIL__SCALAR ? k->text : "?", coil__describe(c->a, val));
            continue;
        }
        /* The first file to define a name wins: importers are read before
         * the files they import. */
        if (!coil__strmap_get(&c->vars.props, k->text) &&
            coil__strmap_put(&c->vars.props, k->text, (void *)val, NULL))
            oom(c);
    }
}

static void add_def(coil__config *c, coil__def *d, coil__strmap *in_file)
{
    if (!d->id) {
        if (coil__vec_push(&c->defs, d))
            oom(c);
        return;
    }
    coil__def *same = coil__strmap_get(in_file, d->id);
    if (same) {
        coil__errors_add(c->errs, COIL_EDUPLICATE, d->file, d->line, d->column,
                         "duplicate object id '%s' (first defined at %s:%u:%u)", d->id,
                         same->file, same->line, same->column);
        d->bad = true;
        return;
    }
    coil__def *old = NULL;
    if (coil__strmap_put(in_file, d->id, d, NULL) ||
        coil__strmap_put(&c->ids, d->id, d, (void **)&old) || coil__vec_push(&c->defs, d)) {
        oom(c);
        return;
    }
    if (old)
        old->overridden = true; /* a later file replaces the definition */
}

static void read_node(coil__config *c, const coil__node *root, const char *shown,
                      const char *dir)
{
    (void)shown;
    if (!root)
        return; /* an empty file is an empty context */
    if (root->kind == COIL__SCALAR && root->plain && coil__is_null(root->text))
        return;
    if (root->kind != COIL__MAP) {
        ERR(c, COIL_ETYPE, root,
            "a context file is a map (objects, imports, modules, properties, aliases), got %s",
            coil__describe(c->a, root));
        return;
    }
    static const char *const order[] = { "properties", "imports", "modules", "aliases",
                                         "objects" };
    for (size_t i = 0; i < root->count; i++) {
        const coil__node *k = root->keys[i];
        bool known = false;
        for (size_t j = 0; j < sizeof order / sizeof *order; j++)
            known |= k->kind == COIL__SCALAR && strcmp(k->text, order[j]) == 0;
        if (!known)
            ERR(c, COIL_EKEY, k,
                "unknown top-level key '%s' (expected objects, imports, modules, properties "
                "or aliases)",
                k->kind == COIL__SCALAR ? k->text : "?");
    }
    const coil__node *v;
    if ((v = coil__map_get(root, "properties")) && !(v->kind == COIL__SCALAR && v->plain &&
                                                      coil__is_null(v->text)))
        read_properties(c, v);

    const char *lists[] = { "imports", "modules" };
    for (int l = 0; l < 2; l++) {
        v = coil__map_get(root, lists[l]);
        if (!v || (v->kind == COIL__SCALAR && v->plain && coil__is_null(v->text)))
            continue;
        if (v->kind != COIL__SEQ) {
            ERR(c, COIL_ETYPE, v, "'%s' expects a list of paths, got %s", lists[l],
                coil__describe(c->a, v));
            continue;
        }
        for (size_t i = 0; i < v->count; i++) {
            const coil__node *item = v->items[i];
            const char *rel = scalar(c, item, NULL, lists[l], "a path");
            if (!rel)
                continue;
            const char *path = join(c->a, dir, rel);
            if (!path) {
                oom(c);
                continue;
            }
            if (l == 0) {
                read_file(c, path, item);
            } else {
                coil__module_ref *m = coil__arena_alloc(c->a, sizeof *m);
                if (!m || coil__vec_push(&c->modules, m)) {
                    oom(c);
                    continue;
                }
                m->path = path;
                m->node = item;
            }
        }
    }

    if ((v = coil__map_get(root, "aliases")) && !(v->kind == COIL__SCALAR && v->plain &&
                                                   coil__is_null(v->text))) {
        if (v->kind != COIL__MAP) {
            ERR(c, COIL_ETYPE, v, "'aliases' expects a map of alias: id, got %s",
                coil__describe(c->a, v));
        } else {
            for (size_t i = 0; i < v->count; i++) {
                const char *alias = scalar(c, v->keys[i], NULL, "aliases", "a name");
                const char *target = scalar(c, v->items[i], NULL, "aliases", "an object id");
                if (!alias || !target)
                    continue;
                coil__alias *al = coil__arena_alloc(c->a, sizeof *al);
                if (!al || coil__vec_push(&c->aliases, al)) {
                    oom(c);
                    continue;
                }
                al->alias = alias;
                al->target = target;
                al->node = v->keys[i];
                al->target_node = v->items[i];
            }
        }
    }

    if ((v = coil__map_get(root, "objects")) && !(v->kind == COIL__SCALAR && v->plain &&
                                                   coil__is_null(v->text))) {
        if (v->kind != COIL__SEQ) {
            ERR(c, COIL_ETYPE, v, "'objects' expects a list of object definitions, got %s",
                coil__describe(c->a, v));
            return;
        }
        coil__strmap in_file;
        coil__strmap_init(&in_file);
        for (size_t i = 0; i < v->count; i++) {
            const coil__node *item = v->items[i];
            if (item->kind != COIL__MAP) {
                ERR(c, COIL_ETYPE, item, "an object definition is a map, got %s",
                    coil__describe(c->a, item));
                continue;
            }
            coil__def *d = parse_def(c, item, NULL, NULL);
            if (d)
                add_def(c, d, &in_file);
        }
        coil__strmap_free(&in_file);
    }
}

/* ---- Inheritance and names ---------------------------------------------- */

static void inherit(coil__config *c, coil__def *d, coil__vec *stack)
{
    if (d->inherited)
        return;
    if (!d->parent) {
        d->inherited = true;
        return;
    }
    for (size_t i = 0; i < stack->count; i++) {
        if (stack->items[i] != d)
            continue;
        coil__buf msg;
        coil__buf_init(&msg);
        for (size_t j = i; j < stack->count; j++) {
            coil__def *s = stack->items[j];
            coil__buf_printf(&msg, "%s -> ", s->name);
            s->inherited = s->bad = true;
        }
        coil__buf_adds(&msg, d->name);
        ERR(c, COIL_ECYCLE, d->parent_node, "object '%s': parent cycle: %s", d->name,
            msg.data ? msg.data : "");
        coil__buf_free(&msg);
        return;
    }
    coil__def *parent = coil__strmap_get(&c->ids, d->parent);
    if (!parent) {
        ERR(c, COIL_EPARENT, d->parent_node, "object '%s': parent '%s' is not defined",
            d->name, d->parent);
        d->bad = d->inherited = true;
        return;
    }
    if (!parent->abstract) {
        ERR(c, COIL_EPARENT, d->parent_node, "object '%s': parent '%s' is not abstract",
            d->name, d->parent);
        d->bad = d->inherited = true;
        return;
    }
    if (coil__vec_push(stack, d)) {
        oom(c);
        return;
    }
    inherit(c, parent, stack);
    stack->count--;
    if (d->inherited)
        return; /* part of a parent cycle, reported */
    d->inherited = true;
    if (parent->bad) {
        d->bad = true;
        return;
    }
    if (!d->class_name) {
        d->class_name = parent->class_name;
        d->class_node = parent->class_node;
    }
    if (!d->has_scope) {
        d->scope = parent->scope;
        d->has_scope = parent->has_scope;
    }
    if (!d->has_lazy) {
        d->lazy = parent->lazy;
        d->has_lazy = parent->has_lazy;
    }
    /* Properties: the parent's, overridden by the child's, by name. */
    size_t n = parent->nprops + d->nprops;
    coil__prop_entry *props = coil__arena_alloc(c->a, (n ? n : 1) * sizeof *props);
    if (!props) {
        oom(c);
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < parent->nprops; i++) {
        bool overridden = false;
        for (size_t j = 0; j < d->nprops && !overridden; j++)
            overridden = strcmp(parent->props[i].name, d->props[j].name) == 0;
        if (!overridden)
            props[k++] = parent->props[i];
    }
    if (d->nprops)
        memcpy(props + k, d->props, d->nprops * sizeof *props);
    d->props = props;
    d->nprops = k + d->nprops;
    if (parent->ndepends) {
        size_t nd = parent->ndepends + d->ndepends;
        const char **names = coil__arena_alloc(c->a, nd * sizeof *names);
        const coil__node **nodes = coil__arena_alloc(c->a, nd * sizeof *nodes);
        if (!names || !nodes) {
            oom(c);
            return;
        }
        memcpy(names, parent->depends, parent->ndepends * sizeof *names);
        memcpy(nodes, parent->depends_nodes, parent->ndepends * sizeof *nodes);
        if (d->ndepends) {
            memcpy(names + parent->ndepends, d->depends, d->ndepends * sizeof *names);
            memcpy(nodes + parent->ndepends, d->depends_nodes, d->ndepends * sizeof *nodes);
        }
        d->depends = names;
        d->depends_nodes = nodes;
        d->ndepends = nd;
    }
}

void coil__config_inherit(coil__config *c)
{
    coil__vec stack = { 0 };
    for (size_t i = 0; i < c->defs.count; i++) {
        coil__def *d = c->defs.items[i];
        if (!d->overridden)
            inherit(c, d, &stack);
    }
    coil__vec_free(&stack);
}

void coil__config_inherit_one(coil__config *c, coil__def *d)
{
    coil__vec stack = { 0 };
    inherit(c, d, &stack);
    coil__vec_free(&stack);
}

void coil__config_resolve_aliases(coil__config *c)
{
    for (size_t i = 0; i < c->defs.count; i++) {
        coil__def *d = c->defs.items[i];
        if (d->overridden)
            continue;
        for (size_t j = 0; j < d->naliases; j++) {
            coil__alias *al = coil__arena_alloc(c->a, sizeof *al);
            if (!al || coil__vec_push(&c->aliases, al)) {
                oom(c);
                return;
            }
            al->alias = d->aliases[j];
            al->target = d->id;
            al->node = d->alias_nodes[j];
            al->target_node = NULL;
        }
    }
    for (size_t i = 0; i < c->aliases.count; i++) {
        coil__alias *al = c->aliases.items[i];
        coil__def *target = coil__strmap_get(&c->ids, al->target);
        if (!target) {
            const coil__node *at = al->target_node ? al->target_node : al->node;
            ERR(c, COIL_EREF, at, "alias '%s' refers to undefined object '%s'", al->alias,
                al->target);
            continue;
        }
        if (coil__strmap_get(&c->ids, al->alias)) {
            ERR(c, COIL_EDUPLICATE, al->node, "alias '%s' clashes with an object id",
                al->alias);
            continue;
        }
        coil__def *other = coil__strmap_get(&c->alias_defs, al->alias);
        if (other) {
            if (other != target)
                ERR(c, COIL_EDUPLICATE, al->node,
                    "alias '%s' already names object '%s'", al->alias, other->name);
            continue;
        }
        if (coil__strmap_put(&c->alias_defs, al->alias, target, NULL))
            oom(c);
    }
}

coil__def *coil__config_find(const coil__config *c, const char *name)
{
    coil__def *d = coil__strmap_get(&c->ids, name);
    return d ? d : coil__strmap_get(&c->alias_defs, name);
}
