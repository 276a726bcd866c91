/* Placeholders: ${NAME} and ${NAME:-default} inside scalars. Values come
 * from --set (coil_options_set) first, then the context files' top-level
 * `properties:` maps, then the environment. */
#ifndef COIL_PLACEHOLDER_H
#define COIL_PLACEHOLDER_H

#include <string.h>

#include "config/yaml_tree.h"

typedef struct coil__vars {
    coil__strmap set;    /* name -> const char * (copies in the arena) */
    coil__strmap props;  /* name -> coil__node * (scalar) */
    bool use_env;
} coil__vars;

void coil__vars_init(coil__vars *v);
void coil__vars_free(coil__vars *v);

/* Expands the placeholders in scalar `n`. Returns n->text itself when it has
 * none, an arena copy otherwise, or NULL after adding an error to `errs`. */
const char *coil__expand(coil__arena *a, const coil__vars *v, const coil__node *n,
                         coil__errors *errs);

/* Whether the text contains a '$' at all (the fast path). */
static inline bool coil__has_placeholder(const coil__node *n)
{
    return memchr(n->text, '$', n->len) != NULL;
}

#endif
