/* Calls a method of the birthday service by name, with JSON parameters,
 * and prints the JSON result — what a JSON-RPC exporter does with each
 * request:
 *
 *     invoke build/samples/birthday/local.yaml happy_birthday '["Greg"]'
 *     invoke build/samples/birthday/local.yaml happy_birthday '{"name": "Greg"}'
 *
 * coil_invoke() checks the parameters against the method's descriptor
 * (generated from birthday.yaml) before the method runs. */
#include <stdio.h>
#include <stdlib.h>

#include <coil/coil.h>

#include "birthday.h"

/* Prints the errors (load errors with file:line:column) and frees them. */
static int fail(const char *prog, coil_error *err)
{
    for (const coil_error *e = err; e; e = e->next) {
        if (e->file)
            fprintf(stderr, "%s: %s:%u:%u: %s [%s]\n", prog, e->file, e->line, e->column,
                    e->message, coil_error_name(e->code));
        else
            fprintf(stderr, "%s: %s [%s]\n", prog, e->message, coil_error_name(e->code));
    }
    coil_error_free(err);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: %s CONTEXT.yaml METHOD [PARAMS-JSON]\n", argv[0]);
        return 2;
    }
    json_t *params = NULL;         /* no params at all: fine for a method without any */
    if (argc == 4) {
        json_error_t jerr;
        params = json_loads(argv[3], JSON_DECODE_ANY, &jerr);
        if (!params) {
            fprintf(stderr, "%s: PARAMS-JSON: %s\n", argv[0], jerr.text);
            return 2;
        }
    }

    coil_error *err = NULL;
    coil_context *ctx = coil_load_file(argv[1], NULL, &err);
    void *service = ctx ? coil_get(ctx, "birthday_service", &birthday_interface, &err) : NULL;
    json_t *result = NULL;
    int rc = service ? coil_invoke(service, &birthday_interface, argv[2], params, &result, &err)
                     : 1;
    json_decref(params);
    if (rc != 0) {
        coil_close(ctx);
        return fail(argv[0], err);
    }

    char *text = json_dumps(result, JSON_ENCODE_ANY);
    printf("%s\n", text ? text : "(out of memory)");
    free(text);
    json_decref(result);
    coil_close(ctx);
    return 0;
}
