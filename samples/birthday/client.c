/* Sings Happy Birthday through whatever service the context file defines:
 *
 *     client build/samples/birthday/local.yaml Greg ["Many happy returns"]
 *
 * It knows the service only as an object that implements the `birthday`
 * interface (birthday.yaml) and calls it through the generated typed
 * functions, never through the object's struct. So the same program works
 * with the service in its own process and, once remoting arrives, with a
 * proxy to a service in another one: only the context file changes. */
#include <stdio.h>
#include <stdlib.h>

#include <coil/coil.h>

#include "birthday.h"

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
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: %s CONTEXT.yaml [NAME [WISH]]\n", argv[0]);
        return 2;
    }
    const char *name = argc > 2 ? argv[2] : "Greg";

    coil_error *err = NULL;
    coil_context *ctx = coil_load_file(argv[1], NULL, &err);
    if (!ctx) {
        print_errors(argv[0], err);
        coil_error_free(err);
        return 1;
    }

    /* Anything that implements the interface will do. */
    void *service = coil_get(ctx, "birthday_service", &birthday_interface, &err);
    if (!service)
        goto fail;

    birthday_list_string song;
    if (birthday_happy_birthday(service, name, &song, &err) != 0)
        goto fail;                      /* on error there is nothing to free */
    for (size_t i = 0; i < song.count; i++)
        printf("%s\n", song.items[i]);
    birthday_list_string_free(&song);  /* the result is the caller's */

    if (argc > 3 && birthday_wish(service, name, argv[3], &err) != 0)
        goto fail;

    coil_close(ctx);
    return 0;

fail:
    print_errors(argv[0], err);
    coil_error_free(err);
    coil_close(ctx);
    return 1;
}
