/* `coil run`: hosts a context until SIGINT or SIGTERM. */
#ifndef COIL_CLI_RUN_H
#define COIL_CLI_RUN_H

#include "coil/coil.h"

/* Loads `path`, reports every exporter's endpoint on stdout ("ID at URL"),
 * waits for SIGINT or SIGTERM, then stops accepting, lets the calls in
 * progress finish (each exporter bounds its wait), closes the context and
 * returns 0. A context with errors: prints them and returns 1. */
int coil__cli_run(const char *prog, const char *path, coil_options *opts);

/* Prints an error chain as `FILE:L:C: error: MESSAGE` lines on stderr. */
void coil__cli_print_errors(const char *prog, const coil_error *err);

#endif
