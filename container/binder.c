/* Property binding: checks every property value of a definition against
 * its class's property table and converts it once, at load. The generic
 * setters then copy bound values into instance fields. No class parses. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container/container.h"

#define ERR(b, code, n, ...) \
    coil__errors_add((b)->errs, code, (n)->file, (n)->line, (n)->column, __VA_ARGS__)

static void oom(coil__binder *b)
{
    coil__errors_add(b->errs, COIL_ENOMEM, NULL, 0, 0, "out of memory");
}

coil__rt *coil__rt_new(coil__binder *b, coil__def *d, bool inner)
{
    coil__rt *rt = coil__arena_alloc(b->a, sizeof *rt);
    if (!rt || coil__vec_push(b->rts, rt)) {
        oom(b);
        return NULL;
    }
    rt->def = d;
    rt->inner = inner;
    rt->creation_index = (size_t)-1;
    atomic_init(&rt->product, NULL);
    d->rt = rt;
    return rt;
}

static const char *type_words(coil_type t)
{
    switch (t) {
    case COIL_T_STRING: return "a string";
    case COIL_T_INT: return "an int";
    case COIL_T_DOUBLE: return "a number";
    case COIL_T_BOOL: return "a bool";
    case COIL_T_STRINGS: return "a list of strings";
    case COIL_T_INTS: return "a list of ints";
    case COIL_T_DOUBLES: return "a list of numbers";
    case COIL_T_BOOLS: return "a list of bools";
    case COIL_T_REF: return "a ref";
    case COIL_T_REFS: return "a list of refs";
    case COIL_T_MAP: return "a map";
    case COIL_T_ANY: return "a value";
    case COIL_T_REF_OR_VALUE: return "a ref or a value";
    }
    return "a value";
}

static coil_type element_type(coil_type t)
{
    switch (t) {
    case COIL_T_STRINGS: return COIL_T_STRING;
    case COIL_T_INTS: return COIL_T_INT;
    case COIL_T_DOUBLES: return COIL_T_DOUBLE;
    case COIL_T_BOOLS: return COIL_T_BOOL;
    case COIL_T_REFS: return COIL_T_REF;
    default: return t;
    }
}

/* Spring Python's type wrappers: a one-key map such as {int: 5}. */
static const coil__node *unwrap(const coil__node *n, const char *const *keys,
                                const char **which)
{
    if (n->kind != COIL__MAP || n->count != 1 || n->keys[0]->kind != COIL__SCALAR)
        return NULL;
    for (; *keys; keys++) {
        if (strcmp(n->keys[0]->text, *keys) == 0) {
            if (which)
                *which = *keys;
            return n->items[0];
        }
    }
    return NULL;
}

static const char *const list_wrappers[] = { "list", "tuple", "set", "frozenset", NULL };
static const char *const scalar_wrappers[] = { "str", "int", "long", "float", "bool", NULL };
static const char *const ref_key[] = { "ref", NULL };
static const char *const dict_key[] = { "dict", NULL };

/* A scalar value after placeholders and wrappers. */
typedef struct scalar_value {
    const coil__node *node;
    const char *text;
    coil__scalar s;
    bool ok;
} scalar_value;

static scalar_value read_scalar(coil__binder *b, const coil__node *n, const char *owner,
                                const char *prop)
{
    scalar_value sv = { .node = n };
    const char *wrapper = NULL;
    const coil__node *inner = unwrap(n, scalar_wrappers, &wrapper);
    if (inner) {
        if (inner->kind != COIL__SCALAR) {
            ERR(b, COIL_ETYPE, inner, "object '%s': property '%s': '%s' expects a scalar, got %s",
                owner, prop, wrapper, coil__describe(b->a, inner));
            return sv;
        }
        n = sv.node = inner;
    }
    sv.text = coil__expand(b->a, &b->cfg->vars, n, b->errs);
    if (!sv.text)
        return sv;
    if (!coil__scalar_resolve(sv.text, n->plain && !wrapper, wrapper ? NULL : n->tag, &sv.s)) {
        ERR(b, COIL_ETYPE, n, "object '%s': property '%s': unsupported tag '%s'", owner, prop,
            n->tag);
        return sv;
    }
    if (wrapper) {
        bool ok = true;
        if (strcmp(wrapper, "str") == 0)
            sv.s.type = COIL__S_STRING;
        else if (strcmp(wrapper, "int") == 0 || strcmp(wrapper, "long") == 0)
            ok = coil__parse_int(sv.text, &sv.s.i, &sv.s.int_overflow) &&
                 (sv.s.type = COIL__S_INT);
        else if (strcmp(wrapper, "float") == 0)
            ok = coil__parse_float(sv.text, &sv.s.d) && (sv.s.type = COIL__S_FLOAT);
        else
            ok = coil__parse_bool(sv.text, &sv.s.b) && (sv.s.type = COIL__S_BOOL);
        if (!ok) {
            ERR(b, COIL_ETYPE, n, "object '%s': property '%s': '%s' expects %s, got '%s'",
                owner, prop, wrapper,
                strcmp(wrapper, "float") == 0 ? "a number"
                : strcmp(wrapper, "bool") == 0 ? "a bool" : "an int",
                sv.text);
            return sv;
        }
    }
    sv.ok = true;
    return sv;
}

static bool check_value(coil__binder *b, const coil_property *p, const coil__node *at,
                        const char *owner, coil_type t, const void *value)
{
    const coil_check *c = p->check;
    if (!c)
        return true;
    if (c->kind == COIL_CHECK_RANGE && t == COIL_T_INT) {
        int64_t v = *(const int64_t *)value;
        if (v < c->min || v > c->max) {
            ERR(b, COIL_EVALUE, at,
                "object '%s': property '%s' must be between %lld and %lld, got %lld", owner,
                p->name, (long long)c->min, (long long)c->max, (long long)v);
            return false;
        }
    } else if (c->kind == COIL_CHECK_FRANGE && t == COIL_T_DOUBLE) {
        double v = *(const double *)value;
        if (!(v >= c->fmin && v <= c->fmax)) {
            ERR(b, COIL_EVALUE, at, "object '%s': property '%s' must be between %g and %g, got %g",
                owner, p->name, c->fmin, c->fmax, v);
            return false;
        }
    } else if (c->kind == COIL_CHECK_ONE_OF && t == COIL_T_STRING && c->one_of) {
        const char *v = value;
        for (const char *const *o = c->one_of; *o; o++)
            if (strcmp(*o, v) == 0)
                return true;
        coil__buf list;
        coil__buf_init(&list);
        for (const char *const *o = c->one_of; *o; o++)
            coil__buf_printf(&list, "%s%s", o == c->one_of ? "" : ", ", *o);
        ERR(b, COIL_EVALUE, at, "object '%s': property '%s' must be one of %s; got '%s'", owner,
            p->name, list.data ? list.data : "", v);
        coil__buf_free(&list);
        return false;
    }
    return true;
}

/* Converts one scalar to the element type `t`; false (reported) if it
 * does not fit. */
static bool bind_scalar(coil__binder *b, const coil_property *p, const coil__node *n,
                        const char *owner, coil_type t, void *out)
{
    scalar_value sv = read_scalar(b, n, owner, p->name);
    if (!sv.ok)
        return false;
    const coil__node *at = sv.node;
    switch (t) {
    case COIL_T_STRING:
        *(const char **)out = sv.text;
        return check_value(b, p, at, owner, t, sv.text);
    case COIL_T_INT:
        if (sv.s.type == COIL__S_INT) {
            *(int64_t *)out = sv.s.i;
            return check_value(b, p, at, owner, t, out);
        }
        if (sv.s.int_overflow) {
            ERR(b, COIL_EVALUE, at, "object '%s': property '%s': %s does not fit in an int",
                owner, p->name, sv.text);
            return false;
        }
        break;
    case COIL_T_DOUBLE:
        if (sv.s.type == COIL__S_INT || sv.s.type == COIL__S_FLOAT) {
            *(double *)out = sv.s.type == COIL__S_INT ? (double)sv.s.i : sv.s.d;
            return check_value(b, p, at, owner, t, out);
        }
        break;
    case COIL_T_BOOL:
        if (sv.s.type == COIL__S_BOOL) {
            *(bool *)out = sv.s.b;
            return true;
        }
        break;
    default:
        break;
    }
    ERR(b, COIL_ETYPE, at, "object '%s': property '%s' expects %s, got '%s'", owner, p->name,
        type_words(t), sv.text);
    return false;
}

/* ---- JSON values (COIL_T_MAP, COIL_T_ANY) ------------------------------ */

static json_t *to_json(coil__binder *b, const coil__node *n, const char *owner,
                       const char *prop);

static json_t *scalar_json(coil__binder *b, const coil__node *n, const char *owner,
                           const char *prop)
{
    scalar_value sv = read_scalar(b, n, owner, prop);
    if (!sv.ok)
        return NULL;
    json_t *j = NULL;
    switch (sv.s.type) {
    case COIL__S_NULL: j = json_null(); break;
    case COIL__S_BOOL: j = json_boolean(sv.s.b); break;
    case COIL__S_INT: j = json_integer(sv.s.i); break;
    case COIL__S_FLOAT:
        if (!isfinite(sv.s.d)) {
            ERR(b, COIL_ETYPE, sv.node,
                "object '%s': property '%s': %s cannot be stored in a JSON value", owner, prop,
                sv.text);
            return NULL;
        }
        j = json_real(sv.s.d);
        break;
    case COIL__S_STRING: j = json_string(sv.text); break;
    }
    if (!j)
        ERR(b, COIL_ETYPE, sv.node, "object '%s': property '%s': '%s' is not valid UTF-8",
            owner, prop, sv.text);
    return j;
}

static json_t *to_json(coil__binder *b, const coil__node *n, const char *owner,
                       const char *prop)
{
    if (n->kind == COIL__SCALAR || unwrap(n, scalar_wrappers, NULL))
        return scalar_json(b, n, owner, prop);
    if (unwrap(n, ref_key, NULL) || coil__is_inner_def(n)) {
        ERR(b, COIL_ETYPE, n,
            "object '%s': property '%s': refs and objects are not allowed inside a plain value",
            owner, prop);
        return NULL;
    }
    const char *wrapper = NULL;
    const coil__node *w = unwrap(n, list_wrappers, &wrapper);
    if (!w)
        w = unwrap(n, dict_key, &wrapper);
    if (w)
        n = w;
    bool ok = true;
    json_t *j;
    if (n->kind == COIL__SEQ) {
        j = json_array();
        for (size_t i = 0; j && i < n->count; i++) {
            json_t *item = to_json(b, n->items[i], owner, prop);
            if (!item) {
                ok = false;
                continue;
            }
            bool dup = false;
            if (wrapper && strstr(wrapper, "set")) {
                for (size_t k = 0; k < json_array_size(j) && !dup; k++)
                    dup = json_equal(json_array_get(j, k), item);
            }
            if (dup)
                json_decref(item);
            else if (json_array_append_new(j, item))
                ok = false;
        }
    } else if (n->kind == COIL__MAP) {
        j = json_object();
        for (size_t i = 0; j && i < n->count; i++) {
            const coil__node *k = n->keys[i];
            if (k->kind != COIL__SCALAR) {
                ERR(b, COIL_ETYPE, k, "object '%s': property '%s': map keys must be scalars",
                    owner, prop);
                ok = false;
                continue;
            }
            json_t *item = to_json(b, n->items[i], owner, prop);
            if (!item || json_object_set_new(j, k->text, item))
                ok = false;
        }
    } else {
        j = NULL;
        ok = false;
        ERR(b, COIL_ETYPE, n, "object '%s': property '%s': '%s' expects a list", owner, prop,
            wrapper);
    }
    if (!j)
        oom(b);
    if (!ok) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* ---- Refs --------------------------------------------------------------- */

/* `index` is the position in a list of refs, or -1 for a single ref; it
 * only names an anonymous inner object in messages. */
static coil__rt *bind_ref(coil__binder *b, coil__rt *owner_rt, const coil_property *p,
                          const coil__node *n, long index)
{
    const char *owner = owner_rt->def->name;
    const coil__node *idn = unwrap(n, ref_key, NULL);
    coil__rt *target = NULL;
    if (idn) {
        if (idn->kind != COIL__SCALAR) {
            ERR(b, COIL_ETYPE, idn, "object '%s': property '%s': 'ref' expects an object id, got %s",
                owner, p->name, coil__describe(b->a, idn));
            return NULL;
        }
        const char *id = coil__expand(b->a, &b->cfg->vars, idn, b->errs);
        if (!id)
            return NULL;
        coil__def *d = coil__config_find(b->cfg, id);
        if (!d) {
            ERR(b, COIL_EREF, idn, "object '%s': property '%s' refers to undefined object '%s'",
                owner, p->name, id);
            return NULL;
        }
        if (d->abstract) {
            ERR(b, COIL_EREF, idn, "object '%s': property '%s' refers to abstract object '%s'",
                owner, p->name, id);
            return NULL;
        }
        target = d->rt;
    } else if (coil__is_inner_def(n)) {
        const char *inner_name =
            index < 0 ? coil__arena_printf(b->a, "%s.%s", owner, p->name)
                      : coil__arena_printf(b->a, "%s.%s[%ld]", owner, p->name, index);
        coil__def *d =
            inner_name ? coil__config_parse_inner(b->cfg, n, owner_rt->def, inner_name) : NULL;
        if (!d)
            return NULL;
        if (d->parent)
            coil__config_inherit_one(b->cfg, d);
        target = coil__rt_new(b, d, true);
        if (!target)
            return NULL;
        coil__bind(b, target);
    } else {
        ERR(b, COIL_ETYPE, n,
            "object '%s': property '%s' expects %s ({ref: id} or an inner object), got %s",
            owner, p->name, type_words(COIL_T_REF), coil__describe(b->a, n));
        return NULL;
    }
    return target; /* interfaces are checked once every class is known */
}

/* ---- Binding a definition --------------------------------------------- */

static const coil_property *find_property(const coil__class_entry *ce, const char *name,
                                          size_t *index)
{
    uintptr_t i = (uintptr_t)coil__strmap_get(&ce->props, name);
    if (!i)
        return NULL;
    *index = i - 1;
    return &ce->cls->properties[i - 1];
}

static bool is_null_value(const coil__node *n)
{
    return n->kind == COIL__SCALAR && n->plain && !n->tag && coil__is_null(n->text);
}

static size_t elem_size(coil_type t)
{
    switch (t) {
    case COIL_T_STRING: return sizeof(const char *);
    case COIL_T_INT: return sizeof(int64_t);
    case COIL_T_DOUBLE: return sizeof(double);
    case COIL_T_BOOL: return sizeof(bool);
    case COIL_T_REF: return sizeof(coil__rt *);
    default: return sizeof(void *);
    }
}

/* Binds one value; false when it was reported (or is unset). */
static bool bind_value(coil__binder *b, coil__rt *rt, const coil_property *p,
                       const coil__node *n, coil__bound *out)
{
    const char *owner = rt->def->name;
    out->prop = p;
    out->node = n;
    switch (p->type) {
    case COIL_T_STRING:
    case COIL_T_INT:
    case COIL_T_DOUBLE:
    case COIL_T_BOOL:
        if (n->kind != COIL__SCALAR && !unwrap(n, scalar_wrappers, NULL)) {
            ERR(b, COIL_ETYPE, n, "object '%s': property '%s' expects %s, got %s", owner,
                p->name, type_words(p->type), coil__describe(b->a, n));
            return false;
        }
        return bind_scalar(b, p, n, owner, p->type, &out->v);
    case COIL_T_MAP: {
        const coil__node *m = unwrap(n, dict_key, NULL);
        if (!m)
            m = n;
        if (m->kind != COIL__MAP || unwrap(m, ref_key, NULL)) {
            ERR(b, COIL_ETYPE, n, "object '%s': property '%s' expects a map, got %s", owner,
                p->name, unwrap(m, ref_key, NULL) ? "a ref" : coil__describe(b->a, m));
            return false;
        }
        out->v.json = to_json(b, m, owner, p->name);
        return out->v.json != NULL;
    }
    case COIL_T_ANY:
        out->v.json = to_json(b, n, owner, p->name);
        return out->v.json != NULL;
    case COIL_T_REF:
        out->v.ref = bind_ref(b, rt, p, n, -1);
        return out->v.ref != NULL;
    case COIL_T_REF_OR_VALUE:
        if (unwrap(n, ref_key, NULL) || coil__is_inner_def(n)) {
            out->is_ref = true;
            out->v.ref = bind_ref(b, rt, p, n, -1);
            return out->v.ref != NULL;
        }
        out->v.json = to_json(b, n, owner, p->name);
        return out->v.json != NULL;
    default:
        break;
    }
    /* Lists. */
    const char *wrapper = NULL;
    const coil__node *seq = unwrap(n, list_wrappers, &wrapper);
    if (!seq)
        seq = n;
    if (seq->kind != COIL__SEQ) {
        ERR(b, COIL_ETYPE, n, "object '%s': property '%s' expects %s, got %s", owner, p->name,
            type_words(p->type), coil__describe(b->a, seq));
        return false;
    }
    coil_type et = element_type(p->type);
    size_t es = elem_size(et);
    char *items = coil__arena_alloc(b->a, (seq->count ? seq->count : 1) * es);
    if (!items) {
        oom(b);
        return false;
    }
    bool ok = true, dedup = wrapper && strstr(wrapper, "set");
    size_t count = 0;
    for (size_t i = 0; i < seq->count; i++) {
        const coil__node *item = seq->items[i];
        char *slot = items + count * es;
        if (et == COIL_T_REF) {
            coil__rt *t = bind_ref(b, rt, p, item, (long)i);
            if (!t) {
                ok = false;
                continue;
            }
            memcpy(slot, &t, sizeof t);
        } else {
            if (item->kind != COIL__SCALAR && !unwrap(item, scalar_wrappers, NULL)) {
                ERR(b, COIL_ETYPE, item, "object '%s': property '%s' expects %s, got %s in the list",
                    owner, p->name, type_words(p->type), coil__describe(b->a, item));
                ok = false;
                continue;
            }
            if (!bind_scalar(b, p, item, owner, et, slot)) {
                ok = false;
                continue;
            }
        }
        bool dup = false;
        for (size_t k = 0; dedup && k < count && !dup; k++) {
            const char *other = items + k * es;
            dup = et == COIL_T_STRING
                      ? strcmp(*(const char **)other, *(const char **)slot) == 0
                      : memcmp(other, slot, es) == 0;
        }
        if (!dup)
            count++;
    }
    out->v.list.count = count;
    out->v.list.items = items;
    return ok;
}

void coil__bind(coil__binder *b, coil__rt *rt)
{
    coil__def *d = rt->def;
    if (d->bad || d->abstract)
        return;
    if (!d->class_name) {
        coil__errors_add(b->errs, COIL_EREQUIRED, d->file, d->line, d->column,
                         "object '%s': no class", d->name);
        return;
    }
    const coil__class_entry *ce = coil__registry_find(b->reg, d->class_name);
    if (!ce) {
        const coil__node *at = d->class_node;
        coil__errors_add(b->errs, COIL_ECLASS, at->file, at->line, at->column,
                         "object '%s': unknown class '%s'", d->name, d->class_name);
        return;
    }
    const coil_class *cls = rt->cls = ce->cls;
    rt->ce = ce;
    size_t nprops = 0;
    if (cls->properties)
        while (cls->properties[nprops].name)
            nprops++;

    /* One slot per table row, so bound values come out in table order. */
    coil__bound *slots = coil__arena_alloc(b->a, (nprops ? nprops : 1) * sizeof *slots);
    bool *failed = coil__arena_alloc(b->a, (nprops ? nprops : 1) * sizeof *failed);
    if (!slots || !failed) {
        oom(b);
        return;
    }
    bool ok = true;
    for (size_t i = 0; i < d->nprops; i++) {
        const coil__prop_entry *e = &d->props[i];
        size_t idx;
        const coil_property *p = find_property(ce, e->name, &idx);
        if (!p) {
            coil__errors_add(b->errs, COIL_EPROPERTY, e->key->file, e->key->line,
                             e->key->column, "object '%s': class '%s' has no property '%s'",
                             d->name, cls->name, e->name);
            ok = false;
            continue;
        }
        if (is_null_value(e->value))
            continue; /* null leaves the property unset */
        if (bind_value(b, rt, p, e->value, &slots[idx])) {
            slots[idx].prop = p;
        } else {
            slots[idx].prop = NULL;
            failed[idx] = true;
            ok = false;
        }
    }
    for (size_t i = 0; i < nprops; i++) {
        const coil_property *p = &cls->properties[i];
        if (slots[i].prop || failed[i])
            continue; /* set, or already reported */
        if (p->default_value) {
            coil__node *n = coil__arena_alloc(b->a, sizeof *n);
            if (!n) {
                oom(b);
                return;
            }
            n->kind = COIL__SCALAR;
            n->file = d->file;
            n->line = d->line;
            n->column = d->column;
            n->text = p->default_value;
            n->len = strlen(p->default_value);
            n->plain = true;
            if (bind_value(b, rt, p, n, &slots[i])) {
                slots[i].prop = p;
                slots[i].node = NULL;
            } else {
                ok = false;
            }
        } else if (p->flags & COIL_REQUIRED) {
            coil__errors_add(b->errs, COIL_EREQUIRED, d->file, d->line, d->column,
                             "object '%s': missing required property '%s' of class '%s'",
                             d->name, p->name, cls->name);
            ok = false;
        }
    }
    /* Compact into table order, and collect the edges. */
    size_t nb = 0, nedges = d->ndepends;
    for (size_t i = 0; i < nprops; i++) {
        if (!slots[i].prop)
            continue;
        if (coil__bound_is_ref(&slots[i]))
            nedges++;
        else if (slots[i].prop->type == COIL_T_REFS)
            nedges += slots[i].v.list.count;
        slots[nb++] = slots[i];
    }
    rt->bounds = slots;
    rt->nbounds = nb;
    rt->edges = coil__arena_alloc(b->a, (nedges ? nedges : 1) * sizeof *rt->edges);
    if (!rt->edges) {
        oom(b);
        return;
    }
    for (size_t i = 0; i < d->ndepends; i++) {
        coil__def *t = coil__config_find(b->cfg, d->depends[i]);
        const coil__node *at = d->depends_nodes[i];
        if (!t) {
            coil__errors_add(b->errs, COIL_EREF, at->file, at->line, at->column,
                             "object '%s': depends-on refers to undefined object '%s'",
                             d->name, d->depends[i]);
            ok = false;
        } else if (t->abstract) {
            coil__errors_add(b->errs, COIL_EREF, at->file, at->line, at->column,
                             "object '%s': depends-on refers to abstract object '%s'", d->name,
                             d->depends[i]);
            ok = false;
        } else if (t->rt) {
            rt->edges[rt->nedges++] = t->rt;
        }
    }
    for (size_t i = 0; i < nb; i++) {
        if (coil__bound_is_ref(&slots[i]))
            rt->edges[rt->nedges++] = slots[i].v.ref;
        else if (slots[i].prop->type == COIL_T_REFS)
            for (size_t k = 0; k < slots[i].v.list.count; k++)
                rt->edges[rt->nedges++] = ((coil__rt **)slots[i].v.list.items)[k];
    }
    rt->bound_ok = ok;
}

void coil__bound_release(coil__rt *rt)
{
    for (size_t i = 0; i < rt->nbounds; i++) {
        coil__bound *bv = &rt->bounds[i];
        if (bv->prop->type == COIL_T_MAP || bv->prop->type == COIL_T_ANY ||
            (bv->prop->type == COIL_T_REF_OR_VALUE && !bv->is_ref)) {
            json_decref(bv->v.json);
            bv->v.json = NULL;
        }
    }
    rt->nbounds = 0;
}

/* ---- The generic setters ------------------------------------------------ */

static char **copy_strings(const char *const *src, size_t n)
{
    char **dst = calloc(n ? n : 1, sizeof *dst);
    if (!dst)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!(dst[i] = strdup(src[i]))) {
            while (i-- > 0)
                free(dst[i]);
            free(dst);
            return NULL;
        }
    }
    return dst;
}

static void *copy_array(const void *src, size_t n, size_t es)
{
    void *dst = malloc(n ? n * es : 1);
    if (dst && n)
        memcpy(dst, src, n * es);
    return dst;
}

int coil__field_set(void *self, const coil__bound *bv, void *target, void **targets,
                    bool share)
{
    char *field = (char *)self + bv->prop->offset;
    size_t n = bv->v.list.count;
    switch (bv->prop->type) {
    case COIL_T_STRING: {
        char *s = strdup(bv->v.s);
        if (!s)
            return COIL_ENOMEM;
        memcpy(field, &s, sizeof s);
        return COIL_OK;
    }
    case COIL_T_INT: memcpy(field, &bv->v.i, sizeof bv->v.i); return COIL_OK;
    case COIL_T_DOUBLE: memcpy(field, &bv->v.d, sizeof bv->v.d); return COIL_OK;
    case COIL_T_BOOL: memcpy(field, &bv->v.b, sizeof bv->v.b); return COIL_OK;
    case COIL_T_REF: memcpy(field, &target, sizeof target); return COIL_OK;
    case COIL_T_MAP:
    case COIL_T_ANY: {
        json_t *j = share ? json_incref(bv->v.json) : json_deep_copy(bv->v.json);
        if (!j)
            return COIL_ENOMEM;
        memcpy(field, &j, sizeof j);
        return COIL_OK;
    }
    case COIL_T_STRINGS: {
        coil_strings l = { n, copy_strings(bv->v.list.items, n) };
        if (!l.items)
            return COIL_ENOMEM;
        memcpy(field, &l, sizeof l);
        return COIL_OK;
    }
    case COIL_T_INTS:
    case COIL_T_DOUBLES:
    case COIL_T_BOOLS: {
        /* All three are { size_t count; T *items; }: copy by element size. */
        void *items = copy_array(bv->v.list.items, n, elem_size(element_type(bv->prop->type)));
        if (!items)
            return COIL_ENOMEM;
        coil_ints l = { n, items };
        memcpy(field, &l, sizeof l);
        return COIL_OK;
    }
    case COIL_T_REFS: {
        coil_refs l = { n, targets };
        memcpy(field, &l, sizeof l);
        return COIL_OK;
    }
    case COIL_T_REF_OR_VALUE: {
        coil_ref_or_value rv = { NULL, NULL };
        if (bv->is_ref)
            rv.ref = target;
        else if (!(rv.value = share ? json_incref(bv->v.json) : json_deep_copy(bv->v.json)))
            return COIL_ENOMEM;
        memcpy(field, &rv, sizeof rv);
        return COIL_OK;
    }
    }
    return COIL_EINVAL;
}

void coil__field_free(void *self, const coil_property *p)
{
    char *field = (char *)self + p->offset;
    switch (p->type) {
    case COIL_T_STRING: {
        char *s;
        memcpy(&s, field, sizeof s);
        free(s);
        s = NULL;
        memcpy(field, &s, sizeof s);
        break;
    }
    case COIL_T_MAP:
    case COIL_T_ANY: {
        json_t *j;
        memcpy(&j, field, sizeof j);
        json_decref(j);
        memset(field, 0, sizeof j);
        break;
    }
    case COIL_T_STRINGS: {
        coil_strings l;
        memcpy(&l, field, sizeof l);
        for (size_t i = 0; i < l.count; i++)
            free(l.items[i]);
        free(l.items);
        memset(field, 0, sizeof l);
        break;
    }
    case COIL_T_INTS:
    case COIL_T_DOUBLES:
    case COIL_T_BOOLS:
    case COIL_T_REFS: {
        /* All four are { size_t count; T *items; }. */
        coil_ints l;
        memcpy(&l, field, sizeof l);
        free(l.items);
        memset(field, 0, sizeof l);
        break;
    }
    case COIL_T_REF: {
        void *none = NULL;
        memcpy(field, &none, sizeof none);
        break;
    }
    case COIL_T_REF_OR_VALUE: {
        coil_ref_or_value rv;
        memcpy(&rv, field, sizeof rv);
        json_decref(rv.value);
        memset(field, 0, sizeof rv);
        break;
    }
    default:
        break;
    }
}

coil__impl coil__implements(const coil_class *cls, void *self, const coil_interface *iface,
                            const void **ops)
{
    if (iface->abi != COIL_ABI_VERSION)
        return COIL__IMPL_BADABI;
    if (cls->implements) {
        for (const coil_implements *i = cls->implements; i->iface; i++) {
            /* The same descriptor, or one of the same name (a module and
             * its user each link their own copy) whose signature agrees. */
            if (i->iface != iface &&
                !(i->iface->name && iface->name && strcmp(i->iface->name, iface->name) == 0))
                continue;
            if (i->iface != iface && i->iface->signature && iface->signature &&
                i->iface->signature != iface->signature)
                return COIL__IMPL_MISMATCH;
            if (ops)
                *ops = i->ops;
            return COIL__IMPL_YES;
        }
    }
    /* A query hook decides for interfaces known only at run time (a proxy
     * configured in YAML answers for the one interface it was given). */
    if (cls->query) {
        if (!self)
            return COIL__IMPL_MAYBE;
        const void *o = cls->query(self, iface);
        if (!o)
            return COIL__IMPL_NO;
        if (ops)
            *ops = o;
        return COIL__IMPL_YES;
    }
    /* Without one, a class that forwards calls implements any interface
     * whose calls can be forwarded. */
    if (cls->forward && iface->forward_ops) {
        if (ops)
            *ops = iface->forward_ops;
        return COIL__IMPL_YES;
    }
    return COIL__IMPL_NO;
}

const char *coil__impl_phrase(coil__impl r, const coil_interface *iface, char *buf,
                              size_t size)
{
    const char *name = iface && iface->name ? iface->name : "?";
    switch (r) {
    case COIL__IMPL_MISMATCH:
        snprintf(buf, size,
                 "implements another version of interface '%s' (the signatures differ: "
                 "regenerate one side)",
                 name);
        break;
    case COIL__IMPL_BADABI:
        snprintf(buf, size,
                 "cannot be checked against interface '%s': its descriptor was generated for "
                 "ABI version %u, this Coil supports %u",
                 name, iface ? iface->abi : 0u, COIL_ABI_VERSION);
        break;
    default:
        snprintf(buf, size, "does not implement interface '%s'", name);
        break;
    }
    return buf;
}

static void check_iface(coil__binder *b, const coil__rt *rt, const coil__bound *bv,
                        const coil__rt *target, const coil__node *at)
{
    const coil_property *p = bv->prop;
    coil__impl impl = target->cls ? coil__implements(target->cls, NULL, p->iface, NULL)
                                  : COIL__IMPL_YES;
    if (impl == COIL__IMPL_YES || impl == COIL__IMPL_MAYBE)
        return;
    const coil__node *idn = unwrap(at, ref_key, NULL);
    if (idn)
        at = idn;
    char why[256];
    ERR(b, COIL_EINTERFACE, at, "object '%s': property '%s' needs interface '%s'; object '%s' "
        "(class '%s') %s",
        rt->def->name, p->name, p->iface->name, target->def->name, target->cls->name,
        coil__impl_phrase(impl, p->iface, why, sizeof why));
}

void coil__check_interfaces(coil__binder *b)
{
    for (size_t i = 0; i < b->rts->count; i++) {
        const coil__rt *rt = b->rts->items[i];
        for (size_t k = 0; k < rt->nbounds; k++) {
            const coil__bound *bv = &rt->bounds[k];
            if (!bv->prop->iface || !bv->node)
                continue;
            if (coil__bound_is_ref(bv)) {
                check_iface(b, rt, bv, bv->v.ref, bv->node);
            } else if (bv->prop->type == COIL_T_REFS) {
                const coil__node *seq = unwrap(bv->node, list_wrappers, NULL);
                if (!seq)
                    seq = bv->node;
                for (size_t j = 0; j < bv->v.list.count; j++)
                    check_iface(b, rt, bv, ((coil__rt **)bv->v.list.items)[j],
                                j < seq->count ? seq->items[j] : bv->node);
            }
        }
    }
}
