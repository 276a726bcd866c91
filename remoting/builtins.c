/* The modules libcoil brings with it, registered in every context before
 * the application's classes and the context's modules. The container reads
 * this list by its symbol and knows nothing of what is in it. */
#include "container/container.h"
#include "remoting/http_exporter.h"
#include "remoting/http_proxy.h"
#include "remoting/naming_server.h"

const coil_module *const coil__builtin_modules[] = {
    &coil__http_exporter_module,
    &coil__http_proxy_module,
    &coil__naming_server_module,
    NULL
};
