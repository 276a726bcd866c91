/* Choosing a naming backend from a context's `naming:` property
 * (naming.h, coil__naming_open_property). */
#include <stdlib.h>
#include <string.h>

#include "coil/class.h"
#include "coil/interface.h"
#include "container/value_util.h"
#include "remoting/naming.h"
#include "remoting/naming_iface.h"

#define NAMING_FORMS                                                                         \
    "a name server's URL (http://127.0.0.1:7700/naming), {etcd: URL, prefix: /coil/} or "   \
    "{ref: OBJECT} (an object implementing interface 'naming')"

static int bad_naming(coil_error **err, const char *why, const char *what)
{
    if (err && !*err)
        *err = coil_error_new(COIL_EVALUE, "naming: %s%s; expected " NAMING_FORMS, why,
                              what ? what : "");
    return COIL_EVALUE;
}

static int open_etcd_map(const json_t *map, double timeout_s, coil__naming **out,
                         coil_error **err)
{
    const char *key;
    const json_t *v;
    const char *endpoint = NULL, *prefix = NULL;
    json_object_foreach((json_t *)map, key, v) {
        if (strcmp(key, "etcd") == 0 || strcmp(key, "prefix") == 0) {
            if (!json_is_string(v)) {
                if (err && !*err)
                    *err = coil_error_new(COIL_EVALUE, "naming: '%s' must be a string, got %s",
                                          key, coil__json_words(v));
                return COIL_EVALUE;
            }
            *(strcmp(key, "etcd") == 0 ? &endpoint : &prefix) = json_string_value(v);
        } else {
            if (err && !*err)
                *err = coil_error_new(COIL_EVALUE,
                                      "naming: unknown key '%s' (an etcd backend takes etcd "
                                      "and prefix)",
                                      key);
            return COIL_EVALUE;
        }
    }
    if (!endpoint)
        return bad_naming(err, "a map without 'etcd'", NULL);
    long ms = (long)(timeout_s * 1000.0);
    return coil__naming_open_etcd(endpoint, prefix, ms < 1 ? 1 : ms, out, err);
}

int coil__naming_open_property(const struct coil_ref_or_value *v, double timeout_s,
                               coil__naming **out, coil_error **err)
{
    *out = NULL;
    if (!v || (!v->ref && !v->value))
        return bad_naming(err, "not set", NULL);
    if (v->ref) {
        coil_error *e = NULL;
        if (!coil_ops(v->ref, &naming_interface, &e)) {
            if (err && !*err)
                *err = coil_error_new(COIL_EINTERFACE,
                                      "naming: the object it refers to does not implement "
                                      "interface 'naming'%s%s",
                                      e ? ": " : "", e ? e->message : "");
            coil_error_free(e);
            return COIL_EINTERFACE;
        }
        return coil__naming_open_object(v->ref, out, err);
    }
    if (json_is_string(v->value))
        return coil__naming_open_server(json_string_value(v->value), timeout_s, out, err);
    if (json_is_object(v->value))
        return open_etcd_map(v->value, timeout_s, out, err);
    return bad_naming(err, "got ", coil__json_words(v->value));
}
