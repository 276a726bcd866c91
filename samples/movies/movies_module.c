/* The movies module: three classes, described by tables, that a context
 * file loads with `modules: [libmovies.so]`. */
#include "movies.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- movie_finder ---------------------------------------------------- */

static void free_movies(movie *movies, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(movies[i].title);
        free(movies[i].director);
    }
    free(movies);
}

/* Splits "title:director:year" from the right, so titles may hold colons.
 * Returns 0, or -1 when the line has not that shape. */
static int parse_movie(char *line, movie *out)
{
    char *year_sep = strrchr(line, ':');
    if (!year_sep || year_sep == line)
        return -1;
    *year_sep = '\0';
    char *director_sep = strrchr(line, ':');
    if (!director_sep || director_sep == line || director_sep + 1 == year_sep)
        return -1;
    *director_sep = '\0';

    char *end;
    errno = 0;
    long year = strtol(year_sep + 1, &end, 10);
    if (errno != 0 || end == year_sep + 1 || *end != '\0' || year < 0 || year > INT_MAX)
        return -1;

    out->title = strdup(line);
    out->director = strdup(director_sep + 1);
    out->year = (int)year;
    if (!out->title || !out->director) {
        free(out->title);
        free(out->director);
        return -1;
    }
    return 0;
}

static coil_error *cannot_read(const char *filename, int errnum)
{
    char why[128];
    if (strerror_r(errnum, why, sizeof why) != 0)
        snprintf(why, sizeof why, "error %d", errnum);
    return coil_error_new(COIL_EINIT, "cannot read '%s': %s", filename, why);
}

static int finder_init(void *self, coil_error **err)
{
    movie_finder *finder = self;
    FILE *file = fopen(finder->filename, "r");
    if (!file) {
        *err = cannot_read(finder->filename, errno);
        return -1;
    }

    movie *movies = NULL;
    size_t count = 0, capacity = 0, lineno = 0;
    char *line = NULL;
    size_t line_size = 0;
    ssize_t len;
    int rc = 0;

    errno = 0;
    while ((len = getline(&line, &line_size, file)) != -1) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0 || line[0] == '#')
            continue;
        if (count == capacity) {
            size_t grown = capacity ? 2 * capacity : 16;
            movie *bigger = realloc(movies, grown * sizeof *movies);
            if (!bigger) {
                *err = coil_error_new(COIL_ENOMEM, "out of memory reading '%s'", finder->filename);
                rc = -1;
                break;
            }
            movies = bigger;
            capacity = grown;
        }
        if (parse_movie(line, &movies[count]) != 0) {
            *err = coil_error_new(COIL_EINIT, "%s:%zu: expected title:director:year",
                                  finder->filename, lineno);
            rc = -1;
            break;
        }
        count++;
    }
    if (rc == 0 && ferror(file)) {
        *err = cannot_read(finder->filename, errno);
        rc = -1;
    }
    free(line);
    fclose(file);

    if (rc != 0) {
        free_movies(movies, count);
        return rc;
    }
    finder->movies = movies;
    finder->count = count;
    return 0;
}

static void finder_destroy(void *self)
{
    movie_finder *finder = self;
    free_movies(finder->movies, finder->count);
    finder->movies = NULL;
    finder->count = 0;
}

static const coil_property finder_properties[] = {
    { "filename", COIL_T_STRING, offsetof(movie_finder, filename), COIL_REQUIRED,
      .doc = "colon-separated file: title:director:year per line" },
    COIL_PROPERTIES_END
};

/* The interface rows let the container refuse a `finder` ref to anything
 * that is not a movie finder, when the context loads. */
static const movie_finder_ops finder_ops = { movie_finder_find_all };

static const coil_implements finder_implements[] = {
    { &movie_finder_iface, &finder_ops },
    COIL_IMPLEMENTS_END
};

static const coil_class movie_finder_class = {
    .abi = COIL_ABI_VERSION,
    .name = "movie_finder",
    .doc = "Reads movies from a colon-separated file.",
    .size = sizeof(movie_finder),
    .properties = finder_properties,
    .init = finder_init,
    .destroy = finder_destroy,
    .implements = finder_implements,
};

/* ---- movie_lister ---------------------------------------------------- */

static const coil_property lister_properties[] = {
    { "finder", COIL_T_REF, offsetof(movie_lister, finder), COIL_REQUIRED,
      .iface = &movie_finder_iface, .doc = "where the movies come from" },
    { "description", COIL_T_STRING, offsetof(movie_lister, description),
      .doc = "a line printed above the list" },
    COIL_PROPERTIES_END
};

static const movie_lister_ops lister_ops = { movie_lister_find_by_director };

static const coil_implements lister_implements[] = {
    { &movie_lister_iface, &lister_ops },
    COIL_IMPLEMENTS_END
};

static const coil_class movie_lister_class = {
    .abi = COIL_ABI_VERSION,
    .name = "movie_lister",
    .doc = "Lists movies by director.",
    .size = sizeof(movie_lister),
    .properties = lister_properties,
    .implements = lister_implements,
};

/* ---- string_holder --------------------------------------------------- */

static const coil_property holder_properties[] = {
    { "str", COIL_T_STRING, offsetof(string_holder, str), .doc = "the string" },
    COIL_PROPERTIES_END
};

static const coil_class string_holder_class = {
    .abi = COIL_ABI_VERSION,
    .name = "string_holder",
    .doc = "Holds one string.",
    .size = sizeof(string_holder),
    .properties = holder_properties,
};

COIL_MODULE("movies", "1.0", &movie_finder_class, &movie_lister_class, &string_holder_class);
