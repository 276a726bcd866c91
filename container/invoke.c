/* Calls through interfaces: finding an object's ops table, forwarding
 * generic calls, and dynamic invocation with JSON parameters checked
 * against the method's descriptor. */
#include <stdlib.h>
#include <string.h>

#include "container/container.h"

const void *coil_ops(void *object, const coil_interface *iface, coil_error **err)
{
    if (!object || !iface) {
        coil__fail(err, COIL_EINVAL, "coil_ops: %s is NULL", object ? "interface" : "object");
        return NULL;
    }
    const coil_class *cls;
    void *self;
    if (!coil__objects_find(object, &cls, &self)) {
        coil__fail(err, COIL_ENOTFOUND,
                   "%p is not an object of a live Coil context (interface '%s')", object,
                   iface->name ? iface->name : "?");
        return NULL;
    }
    const void *ops = NULL;
    coil__impl impl = coil__implements(cls, self, iface, &ops);
    if (impl == COIL__IMPL_YES)
        return ops;
    char why[256];
    coil__fail(err, impl == COIL__IMPL_BADABI ? COIL_EABI : COIL_EINTERFACE, "class '%s' %s",
               cls->name, coil__impl_phrase(impl, iface, why, sizeof why));
    return NULL;
}

int coil_forward(void *object, const coil_method *m, void *const *args, void *result,
                 coil_error **err)
{
    if (!object || !m)
        return coil__fail(err, COIL_EINVAL, "coil_forward: %s is NULL",
                          object ? "method" : "object");
    const coil_class *cls;
    void *self;
    if (!coil__objects_find(object, &cls, &self))
        return coil__fail(err, COIL_ENOTFOUND, "%p is not an object of a live Coil context",
                          object);
    if (!cls->forward)
        return coil__fail(err, COIL_EINTERFACE, "class '%s' cannot forward calls (method '%s')",
                          cls->name, m->name);
    return cls->forward(object, m, args, result, err);
}

const coil_method *coil_method_find(const coil_interface *iface, const char *name)
{
    if (!iface || !name)
        return NULL;
    for (size_t i = 0; i < iface->nmethods; i++)
        if (strcmp(iface->methods[i].name, name) == 0)
            return &iface->methods[i];
    return NULL;
}

/* The interface of `cls` that has a method `name`, when exactly one has. */
static const coil_interface *iface_with(const coil_class *cls, const char *name,
                                        coil_error **err, const coil_method **m)
{
    const coil_interface *found = NULL;
    for (const coil_implements *i = cls->implements; i && i->iface; i++) {
        const coil_method *cand = coil_method_find(i->iface, name);
        if (!cand)
            continue;
        if (found) {
            coil__fail(err, COIL_ENOMETHOD,
                       "method '%s' is in interfaces '%s' and '%s' of class '%s': name the "
                       "interface",
                       name, found->name, i->iface->name, cls->name);
            return NULL;
        }
        found = i->iface;
        *m = cand;
    }
    if (!found)
        coil__fail(err, COIL_ENOMETHOD, "class '%s' has no method '%s'", cls->name, name);
    return found;
}

int coil_invoke(void *object, const coil_interface *iface, const char *method,
                const json_t *params, json_t **result, coil_error **err)
{
    if (!object || !method || !result)
        return coil__fail(err, COIL_EINVAL, "coil_invoke: %s is NULL",
                          !object ? "object" : !method ? "method" : "result");
    const coil_method *m = NULL;
    if (iface) {
        m = coil_method_find(iface, method);
        if (!m)
            return coil__fail(err, COIL_ENOMETHOD, "interface '%s' has no method '%s'",
                              iface->name, method);
    } else {
        const coil_class *cls;
        void *self;
        if (!coil__objects_find(object, &cls, &self))
            return coil__fail(err, COIL_ENOTFOUND, "%p is not an object of a live Coil context",
                              object);
        iface = iface_with(cls, method, err, &m);
        if (!iface)
            return err && *err ? (*err)->code : COIL_ENOMETHOD;
    }
    return coil_invoke_method(object, iface, m, params, result, err);
}

/* Storage for a call's arguments and result: one block. */
typedef struct frame {
    void **args;
    void *result;
    size_t nconverted;
    char *block;
} frame;

static size_t round_up(size_t n)
{
    const size_t a = _Alignof(max_align_t);
    return (n + a - 1) & ~(a - 1);
}

static bool frame_alloc(frame *f, const coil_method *m)
{
    size_t total = round_up(m->nparams * sizeof(void *));
    for (size_t i = 0; i < m->nparams; i++)
        total += round_up(m->params[i].type->size);
    total += m->result ? round_up(m->result->size) : 0;
    f->block = calloc(1, total ? total : 1);
    if (!f->block)
        return false;
    f->args = (void **)f->block;
    char *p = f->block + round_up(m->nparams * sizeof(void *));
    for (size_t i = 0; i < m->nparams; i++) {
        f->args[i] = p;
        p += round_up(m->params[i].type->size);
    }
    f->result = m->result ? p : NULL;
    f->nconverted = 0;
    return true;
}

static void frame_free(frame *f, const coil_method *m)
{
    for (size_t i = 0; i < f->nconverted; i++)
        coil_value_free(m->params[i].type, f->args[i]);
    free(f->block);
}

static int param_error(coil_error **err, coil_code code, const coil_method *m, const char *fmt,
                       const char *a, const char *b)
{
    char msg[256];
    snprintf(msg, sizeof msg, fmt, a, b);
    return coil__fail(err, code, "%s: %s", m->name, msg);
}

/* Converts params (array, object or NULL) into the frame's arguments. */
static int convert_params(const coil_method *m, const json_t *params, frame *f,
                          coil_error **err)
{
    bool named = json_is_object(params);
    if (params && !named && !json_is_array(params))
        return coil__fail(err, COIL_EPARAMS,
                          "%s: params must be an array (positional) or an object (named)",
                          m->name);
    if (named) {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)params, key, v) {
            bool known = false;
            for (size_t i = 0; i < m->nparams && !known; i++)
                known = strcmp(m->params[i].name, key) == 0;
            if (!known)
                return param_error(err, COIL_EPARAMS, m, "unknown parameter '%s'%s", key, "");
        }
    } else if (params && json_array_size(params) > m->nparams) {
        char n[32];
        snprintf(n, sizeof n, "%zu", m->nparams);
        return coil__fail(err, COIL_EPARAMS, "%s: too many parameters (%zu given, it takes %s)",
                          m->name, json_array_size(params), n);
    }
    for (size_t i = 0; i < m->nparams; i++) {
        const coil_param *p = &m->params[i];
        const json_t *v = !params ? NULL
                          : named ? json_object_get(params, p->name)
                                  : json_array_get(params, i);
        if (!v) {
            if (p->type->kind != COIL_K_OPTIONAL)
                return param_error(err, COIL_EPARAMS, m, "missing parameter '%s' (%s)", p->name,
                                   p->type->name);
            f->nconverted = i + 1; /* a zeroed optional: absent */
            continue;
        }
        coil_error *e = NULL;
        int rc = coil_value_from_json(p->type, v, f->args[i], NULL, NULL);
        if (rc) {
            /* Again, for the message, which names the parameter: formatted
             * only for a call that fails. */
            char what[160];
            snprintf(what, sizeof what, "%s: parameter '%s'", m->name, p->name);
            rc = coil_value_from_json(p->type, v, f->args[i], what, &e);
            if (!rc) { /* out of memory the first time only */
                f->nconverted = i + 1;
                continue;
            }
            /* Every conversion failure is an invalid parameter. */
            if (e)
                e->code = rc == COIL_ENOMEM ? COIL_ENOMEM : COIL_EPARAMS;
            if (err && !*err)
                *err = e;
            else
                coil_error_free(e);
            return rc == COIL_ENOMEM ? COIL_ENOMEM : COIL_EPARAMS;
        }
        f->nconverted = i + 1;
    }
    return COIL_OK;
}

int coil_invoke_method(void *object, const coil_interface *iface, const coil_method *m,
                       const json_t *params, json_t **result, coil_error **err)
{
    if (!object || !iface || !m || !result)
        return coil__fail(err, COIL_EINVAL, "coil_invoke_method: an argument is NULL");
    const void *ops = coil_ops(object, iface, err);
    if (!ops)
        return err && *err ? (*err)->code : COIL_EINTERFACE;
    frame f;
    if (!frame_alloc(&f, m))
        return coil__fail(err, COIL_ENOMEM, "out of memory");
    int rc = convert_params(m, params, &f, err);
    if (rc) {
        frame_free(&f, m);
        return rc;
    }
    coil_error *call_err = NULL;
    rc = m->call(ops, object, f.args, f.result, &call_err);
    if (rc) {
        /* The method failed: by the ownership rule its result holds nothing. */
        frame_free(&f, m);
        if (!call_err)
            call_err = coil_error_new(rc, "%s failed (%s)", m->name, coil_strerror(rc));
        if (err && !*err)
            *err = call_err;
        else
            coil_error_free(call_err);
        return rc;
    }
    json_t *out;
    if (m->result) {
        out = coil_value_to_json(m->result, f.result, m->name, err);
        coil_value_free(m->result, f.result);
    } else {
        out = json_null();
    }
    frame_free(&f, m);
    if (!out)
        return err && *err ? (*err)->code : COIL_EVALUE;
    *result = out;
    return COIL_OK;
}
