/* The built-in name server: class `coil.naming-server` (naming_server.c),
 * which implements interface `naming` (naming.yaml, generated into
 * naming_iface.h). An ordinary class: a context exports it with a
 * coil.http-exporter like any service.
 *
 * Not public API: libcoil's own code. Nothing here prints. */
#ifndef COIL_REMOTING_NAMING_SERVER_H
#define COIL_REMOTING_NAMING_SERVER_H

#include "coil/class.h"

/* The module holding class `coil.naming-server`; remoting/builtins.c lists it. */
extern const coil_module coil__naming_server_module;

/* The checks the name server applies to what it is given, for other code
 * that wants the same rules (a client can refuse early what the server
 * would). Each returns 0, or COIL_EVALUE with *err (when `err` is not NULL)
 * saying "METHOD: parameter 'PARAM' ..." (`method` may be NULL: then the
 * message starts with "'PARAM' ...").
 *
 * A name is non-empty, at most 255 bytes, valid UTF-8 without control
 * characters. A prefix (of list) is the same but may be empty. A URL starts
 * with http:// or https:// (any case) followed by at least one character,
 * is at most 2048 bytes, valid UTF-8 without control characters or spaces. */
#define COIL__NAMING_NAME_MAX 255
#define COIL__NAMING_URL_MAX 2048
int coil__naming_check_name(const char *method, const char *param, const char *name,
                            bool empty_ok, coil_error **err);
int coil__naming_check_url(const char *method, const char *param, const char *url,
                           coil_error **err);

#endif
