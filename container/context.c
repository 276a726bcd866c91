/* The context: the load pipeline (read, register, inherit, bind, check,
 * plan, create), the creation log, and the public object API. */
#include <stdlib.h>
#include <string.h>

#include "container/container.h"

struct coil_options {
    coil__vec classes;        /* const coil_class * */
    coil__vec modules;        /* const coil_module * */
    coil__vec set_names;      /* char * (owned) */
    coil__vec set_values;     /* char * (owned) */
    bool use_env;
    bool create;
    size_t max_errors;
};

struct coil_context {
    coil__arena arena;
    coil__config cfg;
    coil__registry reg;
    coil__vec rts;            /* every definition's runtime state */
    coil__vec log;            /* coil__instance *, in creation order */
    pthread_mutex_t lock;     /* creation and the log; recursive */
    bool create;
    unsigned epoch;
    coil_definition_info *infos;
    size_t ninfos;
};

#define APPLICATION "the application"

/* ---- Options ------------------------------------------------------------ */

coil_options *coil_options_new(void)
{
    coil_options *o = calloc(1, sizeof *o);
    if (o) {
        o->use_env = true;
        o->create = true;
        o->max_errors = 100;
    }
    return o;
}

void coil_options_free(coil_options *opts)
{
    if (!opts)
        return;
    for (size_t i = 0; i < opts->set_names.count; i++) {
        free(opts->set_names.items[i]);
        free(opts->set_values.items[i]);
    }
    coil__vec_free(&opts->set_names);
    coil__vec_free(&opts->set_values);
    coil__vec_free(&opts->classes);
    coil__vec_free(&opts->modules);
    free(opts);
}

int coil_options_add_class(coil_options *opts, const coil_class *cls)
{
    if (!opts || coil__class_problem(cls))
        return COIL_EINVAL;
    for (size_t i = 0; i < opts->classes.count; i++) {
        const coil_class *c = opts->classes.items[i];
        if (c == cls)
            return COIL_OK;
        if (strcmp(c->name, cls->name) == 0)
            return COIL_EDUPLICATE;
    }
    return coil__vec_push(&opts->classes, (void *)cls);
}

int coil_options_add_module(coil_options *opts, const coil_module *mod)
{
    if (!opts || !mod)
        return COIL_EINVAL;
    if (mod->abi != COIL_ABI_VERSION)
        return COIL_EABI;
    if (!mod->classes)
        return COIL_OK;
    for (const coil_class *const *c = mod->classes; *c; c++) {
        int rc = coil_options_add_class(opts, *c);
        if (rc)
            return rc;
    }
    return COIL_OK;
}

int coil_options_set(coil_options *opts, const char *name, const char *value)
{
    if (!opts || !name || !*name || !value)
        return COIL_EINVAL;
    char *v = strdup(value);
    if (!v)
        return COIL_ENOMEM;
    for (size_t i = 0; i < opts->set_names.count; i++) {
        if (strcmp(opts->set_names.items[i], name) == 0) {
            free(opts->set_values.items[i]);
            opts->set_values.items[i] = v;
            return COIL_OK;
        }
    }
    char *n = strdup(name);
    if (!n || coil__vec_push(&opts->set_names, n)) {
        free(n);
        free(v);
        return COIL_ENOMEM;
    }
    if (coil__vec_push(&opts->set_values, v)) {
        opts->set_names.count--;
        free(n);
        free(v);
        return COIL_ENOMEM;
    }
    return COIL_OK;
}

void coil_options_use_environment(coil_options *opts, bool use)
{
    if (opts)
        opts->use_env = use;
}

void coil_options_max_errors(coil_options *opts, size_t max)
{
    if (opts)
        opts->max_errors = max;
}

void coil_options_create_objects(coil_options *opts, bool create)
{
    if (opts)
        opts->create = create;
}

/* ---- Instances ------------------------------------------------------------ */

static void destroy_instance(coil__instance *inst)
{
    const coil_class *cls = inst->rt->cls;
    if (inst->registered)
        coil__objects_remove(inst->product);
    if (inst->initialized && cls->destroy)
        cls->destroy(inst->self);
    for (size_t i = 0; i < inst->napplied; i++)
        coil__field_free(inst->self, inst->rt->bounds[i].prop);
    if (inst->self && cls->create) {
        if (cls->dealloc)
            cls->dealloc(inst->self);
        else
            free(inst->self);
    }
    if (coil__is_shared(inst->rt) && inst->rt->instance == inst) {
        inst->rt->instance = NULL;
        atomic_store_explicit(&inst->rt->product, NULL, memory_order_release);
    }
    free(inst);
}

/* Destroys the log's entries from `mark` on, newest first. */
static void rollback(coil_context *ctx, size_t mark)
{
    while (ctx->log.count > mark)
        destroy_instance(ctx->log.items[--ctx->log.count]);
}

static void report(coil__errors *errs, const coil__def *d, coil_code code, coil_error *hook_err,
                   const char *what)
{
    if (hook_err) {
        char *prefix = NULL;
        size_t n = strlen(d->name) + strlen(what) + 16;
        prefix = malloc(n);
        if (prefix)
            snprintf(prefix, n, "object '%s': %s: ", d->name, what);
        /* The hook's own code is kept only when it is more precise. */
        for (coil_error *e = hook_err; e; e = e->next)
            if (e->code == COIL_OK)
                e->code = code;
        coil__errors_adopt(errs, hook_err, d->file, d->line, d->column, prefix);
        free(prefix);
    } else {
        coil__errors_add(errs, code, d->file, d->line, d->column, "object '%s': %s", d->name,
                         what);
    }
}

static coil__instance *create_instance(coil_context *ctx, coil__rt *rt, coil__instance *owner,
                                       coil__errors *errs);

/* The instance a ref points at: the shared singleton, or a new instance
 * created for `owner`. */
static coil__instance *obtain(coil_context *ctx, coil__rt *t, coil__instance *owner,
                              coil__errors *errs)
{
    if (coil__is_shared(t)) {
        if (!t->instance)
            coil__errors_add(errs, COIL_ESTATE, t->def->file, t->def->line, t->def->column,
                             "object '%s' is not created yet (internal ordering error)",
                             t->def->name);
        return t->instance;
    }
    return create_instance(ctx, t, owner, errs);
}

static bool check_ref_iface(const coil__bound *bv, coil__instance *target, coil__errors *errs,
                            const coil__def *owner)
{
    const coil_interface *iface = bv->prop->iface;
    coil__impl impl =
        iface ? coil__implements(target->rt->cls, target->self, iface, NULL) : COIL__IMPL_YES;
    if (impl == COIL__IMPL_YES)
        return true;
    const coil__node *at = bv->node;
    char why[256];
    coil__errors_add(errs, COIL_EINTERFACE, at ? at->file : owner->file,
                     at ? at->line : owner->line, at ? at->column : owner->column,
                     "object '%s': property '%s' needs interface '%s'; object '%s' (class "
                     "'%s') %s",
                     owner->name, bv->prop->name, iface->name, target->rt->def->name,
                     target->rt->cls->name, coil__impl_phrase(impl, iface, why, sizeof why));
    return false;
}

static coil__instance *create_instance(coil_context *ctx, coil__rt *rt, coil__instance *owner,
                                       coil__errors *errs)
{
    const coil_class *cls = rt->cls;
    const coil__def *d = rt->def;
    size_t mark = ctx->log.count;
    coil__instance *inst = calloc(1, sizeof *inst + (cls->create ? 0 : cls->size));
    if (!inst) {
        coil__errors_add(errs, COIL_ENOMEM, NULL, 0, 0, "out of memory");
        return NULL;
    }
    inst->rt = rt;
    inst->owner = owner;
    if (cls->create) {
        coil_error *e = NULL;
        inst->self = cls->create(&e);
        if (!inst->self) {
            report(errs, d, COIL_EINIT, e, "cannot create an instance");
            goto fail;
        }
    } else {
        inst->self = inst->storage; /* allocated with the record */
    }
    for (size_t i = 0; i < rt->nbounds; i++) {
        const coil__bound *bv = &rt->bounds[i];
        void *target = NULL;
        void **targets = NULL;
        if (coil__bound_is_ref(bv)) {
            coil__instance *t = obtain(ctx, bv->v.ref, inst, errs);
            if (!t || !check_ref_iface(bv, t, errs, d))
                goto fail;
            target = t->product;
        } else if (bv->prop->type == COIL_T_REFS) {
            size_t n = bv->v.list.count;
            targets = calloc(n ? n : 1, sizeof *targets);
            if (!targets) {
                coil__errors_add(errs, COIL_ENOMEM, NULL, 0, 0, "out of memory");
                goto fail;
            }
            for (size_t k = 0; k < n; k++) {
                coil__instance *t = obtain(ctx, ((coil__rt **)bv->v.list.items)[k], inst, errs);
                if (!t || !check_ref_iface(bv, t, errs, d)) {
                    free(targets);
                    goto fail;
                }
                targets[k] = t->product;
            }
        }
        if (coil__field_set(inst->self, bv, target, targets, coil__is_shared(rt))) {
            free(targets);
            coil__errors_add(errs, COIL_ENOMEM, NULL, 0, 0, "out of memory");
            goto fail;
        }
        inst->napplied = i + 1;
    }
    if (cls->init) {
        coil_error *e = NULL;
        if (cls->init(inst->self, &e) != 0) {
            report(errs, d, COIL_EINIT, e, "init failed");
            goto fail;
        }
    }
    inst->initialized = true;
    if (cls->produce) {
        coil_error *e = NULL;
        inst->product = cls->produce(inst->self, &e);
        if (!inst->product) {
            report(errs, d, COIL_EINIT, e, "factory produced no object");
            goto fail;
        }
    } else {
        inst->product = inst->self;
    }
    if (coil__vec_push(&ctx->log, inst)) {
        coil__errors_add(errs, COIL_ENOMEM, NULL, 0, 0, "out of memory");
        goto fail;
    }
    if (coil__objects_add(inst->product, cls, inst->self, d->name)) {
        ctx->log.count--;
        coil__errors_add(errs, COIL_ENOMEM, NULL, 0, 0, "out of memory");
        goto fail;
    }
    inst->registered = true;
    return inst;
fail:
    destroy_instance(inst);
    rollback(ctx, mark); /* what was created only for this instance */
    return NULL;
}

/* Creates the singletons of a plan, in order. False at the first failure
 * (what was created stays: it is valid). */
static bool create_plan(coil_context *ctx, coil__vec *plan, coil__errors *errs)
{
    /* Room in the live-object map for the plan at once, not by doubling
     * (an allocation failure here is not an error: adds grow it anyway). */
    if (plan->count > 1)
        coil__objects_reserve(plan->count);
    for (size_t i = 0; i < plan->count; i++) {
        coil__rt *rt = plan->items[i];
        if (rt->instance)
            continue;
        coil__instance *inst = create_instance(ctx, rt, NULL, errs);
        if (!inst)
            return false;
        rt->instance = inst;
        atomic_store_explicit(&rt->product, inst->product, memory_order_release);
    }
    return true;
}

/* ---- Loading -------------------------------------------------------------- */

static void context_free(coil_context *ctx)
{
    rollback(ctx, 0);
    coil__vec_free(&ctx->log);
    for (size_t i = 0; i < ctx->rts.count; i++)
        coil__bound_release(ctx->rts.items[i]);
    coil__vec_free(&ctx->rts);
    coil__registry_free(&ctx->reg); /* modules go last: their code ran above */
    coil__config_free(&ctx->cfg);
    coil__arena_free(&ctx->arena);
    free(ctx->infos);
    pthread_mutex_destroy(&ctx->lock);
    free(ctx);
}

static int build_infos(coil_context *ctx, coil__vec *plan)
{
    coil__config *cfg = &ctx->cfg;
    size_t n = 0;
    for (size_t i = 0; i < cfg->defs.count; i++)
        n += !((coil__def *)cfg->defs.items[i])->overridden;
    ctx->infos = calloc(n ? n : 1, sizeof *ctx->infos);
    if (!ctx->infos)
        return COIL_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < plan->count; i++) {
        coil__rt *rt = plan->items[i];
        rt->creation_index = k++;
    }
    size_t later = k;
    coil__vec deps = { 0 }, todo = { 0 };
    for (size_t i = 0; i < cfg->defs.count; i++) {
        coil__def *d = cfg->defs.items[i];
        if (d->overridden)
            continue;
        coil__rt *rt = d->rt;
        size_t at = rt && rt->creation_index != (size_t)-1 ? rt->creation_index : later++;
        coil_definition_info *info = &ctx->infos[at];
        info->name = d->id;
        info->class_name = d->class_name;
        info->scope = d->scope;
        info->lazy = d->lazy;
        info->abstract = d->abstract;
        info->factory = rt && rt->cls && rt->cls->produce;
        info->file = d->file;
        info->line = d->line;
        info->column = d->column;
        info->creation_index = rt ? rt->creation_index : (size_t)-1;
        /* Aliases, in the order they were written. */
        const char **aliases =
            coil__arena_alloc(&ctx->arena, (cfg->aliases.count + 1) * sizeof *aliases);
        if (!aliases)
            goto oom;
        size_t na = 0;
        for (size_t s = 0; s < cfg->aliases.count; s++) {
            const coil__alias *al = cfg->aliases.items[s];
            bool dup = false;
            for (size_t j = 0; j < na && !dup; j++)
                dup = strcmp(aliases[j], al->alias) == 0;
            if (!dup && coil__strmap_get(&cfg->alias_defs, al->alias) == d)
                aliases[na++] = al->alias;
        }
        info->aliases = aliases;
        /* Direct dependencies on other top-level objects, through inner
         * objects. */
        deps.count = todo.count = 0;
        if (rt && coil__vec_push(&todo, rt))
            goto oom;
        while (todo.count) {
            coil__rt *cur = todo.items[--todo.count];
            for (size_t e = 0; e < cur->nedges; e++) {
                coil__rt *t = cur->edges[e];
                int rc;
                if (t->inner) {
                    rc = coil__vec_push(&todo, t);
                } else {
                    bool seen = false;
                    for (size_t j = 0; j < deps.count && !seen; j++)
                        seen = deps.items[j] == t->def->id;
                    rc = seen ? COIL_OK : coil__vec_push(&deps, (void *)t->def->id);
                }
                if (rc)
                    goto oom;
            }
        }
        const char **dn = coil__arena_alloc(&ctx->arena, (deps.count + 1) * sizeof *dn);
        if (!dn)
            goto oom;
        if (deps.count)
            memcpy(dn, deps.items, deps.count * sizeof *dn);
        info->depends_on = dn;
    }
    coil__vec_free(&deps);
    coil__vec_free(&todo);
    ctx->ninfos = n;
    return COIL_OK;
oom:
    coil__vec_free(&deps);
    coil__vec_free(&todo);
    return COIL_ENOMEM;
}

static coil_context *load(const char *path, const char *text, const char *name,
                          const coil_options *opts, coil_error **err)
{
    static const coil_options defaults = { .use_env = true, .create = true, .max_errors = 100 };
    if (!opts)
        opts = &defaults;
    coil_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        coil__fail(err, COIL_ENOMEM, "out of memory");
        return NULL;
    }
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&ctx->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    coil__arena_init(&ctx->arena);
    coil__errors errs;
    coil__errors_init(&errs, opts->max_errors);
    coil__config *cfg = &ctx->cfg;
    coil__config_init(cfg, &ctx->arena, &errs);
    coil__registry_init(&ctx->reg, &ctx->arena);
    ctx->create = opts->create;
    coil__vec plan = { 0 };

    cfg->vars.use_env = opts->use_env;
    for (size_t i = 0; i < opts->set_names.count; i++) {
        char *k = coil__arena_strdup(&ctx->arena, opts->set_names.items[i]);
        char *v = coil__arena_strdup(&ctx->arena, opts->set_values.items[i]);
        if (!k || !v || coil__strmap_put(&cfg->vars.set, k, v, NULL))
            coil__errors_add(&errs, COIL_ENOMEM, NULL, 0, 0, "out of memory");
    }
    for (const coil_module *const *m = coil__builtin_modules; *m; m++)
        coil__registry_add_module(&ctx->reg, *m, "Coil", &errs, NULL);
    for (size_t i = 0; i < opts->classes.count; i++)
        coil__registry_add(&ctx->reg, opts->classes.items[i], APPLICATION, &errs, NULL);
    for (size_t i = 0; i < opts->modules.count; i++)
        coil__registry_add_module(&ctx->reg, opts->modules.items[i], APPLICATION, &errs, NULL);

    if (path)
        coil__config_read_file(cfg, path);
    else
        coil__config_read_string(cfg, text, name ? name : "<string>");
    for (size_t i = 0; i < cfg->modules.count; i++)
        coil__registry_load(&ctx->reg, cfg->modules.items[i], &errs);
    coil__config_inherit(cfg);
    coil__config_resolve_aliases(cfg);

    coil__binder b = { .cfg = cfg, .reg = &ctx->reg, .a = &ctx->arena, .errs = &errs,
                       .rts = &ctx->rts };
    for (size_t i = 0; i < cfg->defs.count; i++) {
        coil__def *d = cfg->defs.items[i];
        if (!d->overridden)
            coil__rt_new(&b, d, false);
    }
    size_t ntop = ctx->rts.count;
    for (size_t i = 0; i < ntop; i++) {
        if (coil__errors_full(&errs)) {
            errs.truncated = true; /* there may be more: say so */
            break;
        }
        coil__bind(&b, ctx->rts.items[i]);
    }
    coil__check_interfaces(&b);
    coil__graph_cycles(&ctx->rts, &errs);

    if (!errs.count && !errs.oom) {
        coil__vec roots = { 0 };
        for (size_t i = 0; i < ntop; i++) {
            coil__rt *rt = ctx->rts.items[i];
            if (!rt->def->abstract && coil__is_shared(rt) && !rt->def->lazy &&
                coil__vec_push(&roots, rt))
                errs.oom = true;
        }
        if (!errs.oom && coil__graph_plan((coil__rt **)roots.items, roots.count, ++ctx->epoch,
                                          &plan))
            errs.oom = true;
        coil__vec_free(&roots);
        if (!errs.oom && build_infos(ctx, &plan))
            errs.oom = true;
    }
    if (!errs.count && !errs.oom && ctx->create) {
        errs.max = 0; /* creation stops at its first failure anyway */
        create_plan(ctx, &plan, &errs);
    }
    coil__vec_free(&plan);
    if (errs.count || errs.oom) {
        coil__errors_sort(&errs);
        coil__errors_finish(&errs, err);
        context_free(ctx);
        return NULL;
    }
    return ctx;
}

coil_context *coil_load_file(const char *path, const coil_options *opts, coil_error **err)
{
    if (!path) {
        coil__fail(err, COIL_EINVAL, "coil_load_file: path is NULL");
        return NULL;
    }
    return load(path, NULL, NULL, opts, err);
}

coil_context *coil_load_string(const char *yaml, const char *name, const coil_options *opts,
                               coil_error **err)
{
    if (!yaml) {
        coil__fail(err, COIL_EINVAL, "coil_load_string: yaml is NULL");
        return NULL;
    }
    return load(NULL, yaml, name, opts, err);
}

/* ---- Objects -------------------------------------------------------------- */

static void *check_iface(coil__rt *rt, coil__instance *inst, const coil_interface *iface,
                         coil_error **err)
{
    coil__impl impl = iface ? coil__implements(rt->cls, inst->self, iface, NULL) : COIL__IMPL_YES;
    if (impl == COIL__IMPL_YES)
        return inst->product;
    char why[256];
    coil__fail(err, impl == COIL__IMPL_BADABI ? COIL_EABI : COIL_EINTERFACE,
               "object '%s' (class '%s') %s", rt->def->name, rt->cls->name,
               coil__impl_phrase(impl, iface, why, sizeof why));
    return NULL;
}

void *coil_get(coil_context *ctx, const char *name, const coil_interface *iface,
               coil_error **err)
{
    if (!ctx || !name) {
        coil__fail(err, COIL_EINVAL, "coil_get: %s is NULL", ctx ? "name" : "context");
        return NULL;
    }
    coil__def *d = coil__config_find(&ctx->cfg, name);
    if (!d) {
        coil__fail(err, COIL_ENOTFOUND, "no object named '%s'", name);
        return NULL;
    }
    if (d->abstract) {
        coil__fail(err, COIL_ESTATE, "object '%s' is abstract", d->id);
        return NULL;
    }
    if (!ctx->create) {
        coil__fail(err, COIL_ESTATE,
                   "object '%s': this context was loaded without creating objects", d->id);
        return NULL;
    }
    coil__rt *rt = d->rt;
    if (coil__is_shared(rt) && atomic_load_explicit(&rt->product, memory_order_acquire))
        return check_iface(rt, rt->instance, iface, err);

    coil__errors errs;
    coil__errors_init(&errs, 0);
    void *result = NULL;
    pthread_mutex_lock(&ctx->lock);
    coil__vec plan = { 0 };
    if (coil__graph_plan(&rt, 1, ++ctx->epoch, &plan)) {
        coil__errors_add(&errs, COIL_ENOMEM, NULL, 0, 0, "out of memory");
    } else if (create_plan(ctx, &plan, &errs)) {
        if (coil__is_shared(rt)) {
            result = check_iface(rt, rt->instance, iface, err);
        } else {
            size_t mark = ctx->log.count;
            coil__instance *inst = create_instance(ctx, rt, NULL, &errs);
            if (inst) {
                result = check_iface(rt, inst, iface, err);
                if (!result)
                    rollback(ctx, mark);
            }
        }
    }
    coil__vec_free(&plan);
    pthread_mutex_unlock(&ctx->lock);
    coil__errors_finish(&errs, err);
    return result;
}

int coil_release(coil_context *ctx, void *object)
{
    if (!ctx || !object)
        return COIL_EINVAL;
    pthread_mutex_lock(&ctx->lock);
    coil__instance *top = NULL;
    for (size_t i = ctx->log.count; i-- > 0;) {
        coil__instance *inst = ctx->log.items[i];
        if (inst->product == object && !inst->owner && !coil__is_shared(inst->rt)) {
            top = inst;
            break;
        }
    }
    if (!top) {
        pthread_mutex_unlock(&ctx->lock);
        return COIL_EINVAL;
    }
    /* The instance and everything created for it, newest first. */
    size_t n = ctx->log.count;
    bool *doomed = calloc(n, sizeof *doomed);
    if (!doomed) {
        pthread_mutex_unlock(&ctx->lock);
        return COIL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        for (coil__instance *o = ctx->log.items[i]; o; o = o->owner) {
            if (o == top) {
                doomed[i] = true;
                break;
            }
        }
    }
    for (size_t i = n; i-- > 0;)
        if (doomed[i])
            destroy_instance(ctx->log.items[i]);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!doomed[i])
            ctx->log.items[k++] = ctx->log.items[i];
    ctx->log.count = k;
    free(doomed);
    pthread_mutex_unlock(&ctx->lock);
    return COIL_OK;
}

const coil_definition_info *coil_definitions(const coil_context *ctx, size_t *count)
{
    if (!ctx) {
        if (count)
            *count = 0;
        return NULL;
    }
    if (count)
        *count = ctx->ninfos;
    return ctx->infos;
}

void coil_close(coil_context *ctx)
{
    if (ctx)
        context_free(ctx);
}
