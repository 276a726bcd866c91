/* The client side of remoting: class `coil.http-proxy` (libcurl). */
#ifndef COIL_REMOTING_HTTP_PROXY_H
#define COIL_REMOTING_HTTP_PROXY_H

#include "coil/class.h"

/* The module holding class `coil.http-proxy`; remoting/builtins.c lists it. */
extern const coil_module coil__http_proxy_module;

#endif
