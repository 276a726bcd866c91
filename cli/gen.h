/* `coil gen`: C code from an interface file. For interface NAME it writes
 * NAME.h (C types, the ops struct a class implements, typed call functions)
 * and NAME.c (the tables that describe every type and method to the
 * library, call and forwarding glue, the descriptor NAME_interface).
 * Not public API: the tool's own code. */
#ifndef COIL_CLI_GEN_H
#define COIL_CLI_GEN_H

#include <stdbool.h>

#include "config/interface_file.h"
#include "util/util.h"

/* Renders the header and the source for `f` into `h` and `c`; `shown` is
 * the interface file as the generated comments name it. Adds an error to
 * `errs`, positioned, for each name that would collide in generated C (the
 * reader rejects most such names; this catches the rest). Returns false
 * when it added errors or ran out of memory. */
bool coil__gen_render(const coil__ifile *f, const char *shown, coil__buf *h, coil__buf *c,
                      coil__errors *errs);

/* Reads the interface file at `path` and writes DIR/NAME.h and DIR/NAME.c,
 * creating DIR (and its parents) when missing. A file whose content would
 * not change is left alone (same inode, same mtime), so builds that depend
 * on it do not redo work; a changed file is replaced atomically (a
 * temporary file in DIR, then rename). Returns 0, or the first error's
 * code with every error in *err: positioned for problems in the file,
 * without position for I/O failures. `*written` (optional) counts the
 * files actually replaced. */
int coil__gen_files(const char *path, const char *dir, unsigned *written, coil_error **err);

#endif
