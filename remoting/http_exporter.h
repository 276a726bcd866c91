/* The server side of remoting: class `coil.http-exporter` (libmicrohttpd). */
#ifndef COIL_REMOTING_HTTP_EXPORTER_H
#define COIL_REMOTING_HTTP_EXPORTER_H

#include "coil/class.h"

/* The module holding class `coil.http-exporter`; remoting/builtins.c lists it. */
extern const coil_module coil__http_exporter_module;

#endif
