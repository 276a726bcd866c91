/* Spring Python's MovieLister example in C: the instance structs of the
 * movies module's classes and the functions a program calls on them.
 *
 * The module (libmovies.so, loaded by the context file) defines the classes;
 * a program gets the objects with coil_get() and uses them through the
 * functions below, which movies.c compiles into both.
 */
#ifndef MOVIES_H
#define MOVIES_H

#include <stddef.h>

#include <coil/class.h>

typedef struct movie {
    char *title;
    char *director;
    int year;
} movie;

/* class movie_finder: reads a colon-separated file, one
 * "title:director:year" per line, when it is initialized. */
typedef struct movie_finder {
    char *filename;    /* property `filename` (required) */
    movie *movies;     /* read by init, freed by destroy */
    size_t count;
} movie_finder;

/* class movie_lister: finds movies through its finder. */
typedef struct movie_lister {
    void *finder;      /* property `finder`: a movie_finder (required) */
    char *description; /* property `description` */
} movie_lister;

/* class string_holder: holds one string. */
typedef struct string_holder {
    char *str;         /* property `str` */
} string_holder;

/* Hand-written interfaces and ops tables (until `coil gen` writes them).
 * Interfaces are matched by name, so the module's copy and a program's copy
 * of these descriptors are the same interface. */
extern const coil_interface movie_finder_iface;
extern const coil_interface movie_lister_iface;

typedef struct movie_finder_ops {
    const movie *(*find_all)(const movie_finder *finder, size_t *count);
} movie_finder_ops;

typedef struct movie_lister_ops {
    size_t (*find_by_director)(const movie_lister *lister, const char *director,
                               const movie **out, size_t max);
} movie_lister_ops;

/* Every movie the finder read; *count receives how many. */
const movie *movie_finder_find_all(const movie_finder *finder, size_t *count);

/* Stores up to `max` of the lister's movies directed by `director` in `out`
 * (in file order) and returns how many there are in all, like snprintf:
 * call with max 0 to count them. */
size_t movie_lister_find_by_director(const movie_lister *lister,
                                     const char *director,
                                     const movie **out, size_t max);

#endif
