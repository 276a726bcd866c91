/* Loads a context file, gets the MovieLister from it and prints the movies
 * of one director:
 *
 *     lister build/samples/movies/app.yaml "Sergio Leone"
 */
#include <stdio.h>
#include <stdlib.h>

#include <coil/coil.h>

#include "movies.h"

/* Prints every error of the chain as "file:line:column: message". */
static void print_errors(const char *prog, const coil_error *err)
{
    for (const coil_error *e = err; e; e = e->next) {
        char small[256];
        char *text = small;
        size_t len = coil_error_format(e, small, sizeof small);
        if (len >= sizeof small) {
            text = malloc(len + 1);
            if (text)
                coil_error_format(e, text, len + 1);
            else
                text = small;  /* print it cut rather than not at all */
        }
        fprintf(stderr, "%s: %s [%s]\n", prog, text, coil_error_name(e->code));
        if (text != small)
            free(text);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s CONTEXT.yaml [DIRECTOR]\n", argv[0]);
        return 2;
    }
    const char *director = argc == 3 ? argv[2] : "Sergio Leone";

    coil_error *err = NULL;
    coil_context *ctx = coil_load_file(argv[1], NULL, &err);
    if (!ctx) {
        print_errors(argv[0], err);
        coil_error_free(err);
        return 1;
    }

    /* Asking for the interface makes the cast safe: coil_get() fails
     * rather than hand out something that is not a movie lister. */
    movie_lister *lister = coil_get(ctx, "MovieLister", &movie_lister_iface, &err);
    if (!lister) {
        print_errors(argv[0], err);
        coil_error_free(err);
        coil_close(ctx);
        return 1;
    }

    size_t count = movie_lister_find_by_director(lister, director, NULL, 0);
    const movie **found = calloc(count ? count : 1, sizeof *found);
    if (!found) {
        fprintf(stderr, "%s: out of memory\n", argv[0]);
        coil_close(ctx);
        return 1;
    }
    movie_lister_find_by_director(lister, director, found, count);

    if (lister->description)
        printf("%s\n", lister->description);
    printf("%zu movie%s directed by %s:\n", count, count == 1 ? "" : "s", director);
    for (size_t i = 0; i < count; i++)
        printf("  %s (%d)\n", found[i]->title, found[i]->year);
    free(found);

    /* A lazy singleton: created now, on its first get. */
    string_holder *holder = coil_get(ctx, "SingletonString", NULL, &err);
    if (!holder) {
        print_errors(argv[0], err);
        coil_error_free(err);
        coil_close(ctx);
        return 1;
    }
    printf("SingletonString: %s\n", holder->str ? holder->str : "(unset)");

    coil_close(ctx);
    return 0;
}
