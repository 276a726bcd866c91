/* What the naming backends share: freeing a list of entries. */
#include <stdlib.h>

#include "remoting/naming.h"

void coil__naming_entries_free(coil__naming_entries *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->count; i++) {
        free(e->items[i].name);
        free(e->items[i].url);
        json_decref(e->items[i].metadata);
    }
    free(e->items);
    e->count = 0;
    e->items = NULL;
}
