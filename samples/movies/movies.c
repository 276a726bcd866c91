/* The movies API of movies.h, compiled into the module and the program. */
#include "movies.h"

#include <string.h>

const coil_interface movie_finder_iface = {
    .abi = COIL_ABI_VERSION, .name = "movies.finder",
};
const coil_interface movie_lister_iface = {
    .abi = COIL_ABI_VERSION, .name = "movies.lister",
};

const movie *movie_finder_find_all(const movie_finder *finder, size_t *count)
{
    *count = finder->count;
    return finder->movies;
}

size_t movie_lister_find_by_director(const movie_lister *lister,
                                     const char *director,
                                     const movie **out, size_t max)
{
    size_t count;
    const movie *all = movie_finder_find_all(lister->finder, &count);
    size_t found = 0;

    for (size_t i = 0; i < count; i++) {
        if (strcmp(all[i].director, director) != 0)
            continue;
        if (found < max)
            out[found] = &all[i];
        found++;
    }
    return found;
}
