/* The client side of remoting: class `coil.http-proxy` (libcurl; one
 * `url`, a list `urls`, or the endpoints registered under `name` in
 * `naming`, balanced and failed over: http_proxy.c's header comment). The
 * JSON-level JSON-RPC 2.0 client it makes its calls with, which library
 * code also calls a JSON-RPC service with when it has no generated
 * interface (a name-server client), is remoting/rpc_client.h. */
#ifndef COIL_REMOTING_HTTP_PROXY_H
#define COIL_REMOTING_HTTP_PROXY_H

#include "coil/class.h"

/* The module holding class `coil.http-proxy`; remoting/builtins.c lists it. */
extern const coil_module coil__http_proxy_module;

#endif
