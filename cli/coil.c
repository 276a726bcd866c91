/* coil — the host binary. `coil check CONTEXT` loads a context without
 * creating anything and prints what a load would create, in order;
 * `coil run CONTEXT` hosts it until SIGINT/SIGTERM (cli/run.c);
 * `coil gen FILE -o DIR` turns an interface file into C (cli/gen.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coil/coil.h"
#include "cli/gen.h"
#include "cli/run.h"

#define COIL_CLI_VERSION "0.1.0"

static const char usage[] =
    "usage: coil run CONTEXT [--set NAME=VALUE]... [--no-env]\n"
    "       coil check CONTEXT [--set NAME=VALUE]... [--no-env]\n"
    "       coil gen INTERFACE [-o DIR]\n"
    "       coil --help | --version\n"
    "\n"
    "commands:\n"
    "  run     load CONTEXT, start its exporters, print one line per endpoint\n"
    "          (ID at URL), and serve until SIGINT or SIGTERM; then stop accepting,\n"
    "          let calls in progress finish, destroy everything, and exit 0\n"
    "  check   load CONTEXT, report every error with file:line:column, and print\n"
    "          the objects a load would create, in creation order; creates nothing\n"
    "  gen     turn the interface file INTERFACE into C: writes DIR/NAME.h and\n"
    "          DIR/NAME.c, NAME being the interface's name; a file whose content\n"
    "          would not change is left untouched\n"
    "\n"
    "options:\n"
    "  --set NAME=VALUE  give placeholder ${NAME} a value (wins over the context's\n"
    "                    properties: and the environment); may repeat\n"
    "  --no-env          do not take placeholder values from the environment\n"
    "  -o, --output DIR  (gen) where to write; created when missing (default: .)\n";

void coil__cli_print_errors(const char *prog, const coil_error *err)
{
    for (const coil_error *e = err; e; e = e->next) {
        if (e->file)
            fprintf(stderr, "%s:%u:%u: error: %s\n", e->file, e->line, e->column, e->message);
        else
            fprintf(stderr, "%s: error: %s\n", prog, e->message);
    }
    size_t n = coil_error_count(err);
    if (n > 1)
        fprintf(stderr, "%s: %zu errors\n", prog, n);
}

static const char *kind(const coil_definition_info *d)
{
    if (d->abstract)
        return "abstract";
    if (d->scope == COIL_PROTOTYPE)
        return "prototype";
    if (d->lazy)
        return "lazy";
    return "singleton";
}

static int cmd_check(const char *prog, const char *path, coil_options *opts)
{
    coil_options_create_objects(opts, false);
    coil_error *err = NULL;
    coil_context *ctx = coil_load_file(path, opts, &err);
    if (!ctx) {
        coil__cli_print_errors(prog, err);
        coil_error_free(err);
        return 1;
    }
    size_t n;
    const coil_definition_info *defs = coil_definitions(ctx, &n);
    size_t eager = 0;
    for (size_t i = 0; i < n; i++)
        eager += defs[i].creation_index != (size_t)-1;
    printf("%s: %zu object%s, %zu created at load\n", path, n, n == 1 ? "" : "s", eager);
    for (size_t i = 0; i < n; i++) {
        const coil_definition_info *d = &defs[i];
        if (i == eager && eager < n)
            printf("created on demand or never:\n");
        if (d->creation_index != (size_t)-1)
            printf("%3zu. %s (%s%s) %s:%u:%u", d->creation_index + 1, d->name, d->class_name,
                   d->factory ? ", factory" : "", d->file, d->line, d->column);
        else
            printf("     %s (%s, %s%s) %s:%u:%u", d->name,
                   d->class_name ? d->class_name : "no class", kind(d),
                   d->factory ? ", factory" : "", d->file, d->line, d->column);
        if (d->depends_on[0]) {
            printf(" <- ");
            for (const char *const *dep = d->depends_on; *dep; dep++)
                printf("%s%s", dep == d->depends_on ? "" : ", ", *dep);
        }
        if (d->aliases[0]) {
            printf(" aka ");
            for (const char *const *a = d->aliases; *a; a++)
                printf("%s%s", a == d->aliases ? "" : ", ", *a);
        }
        printf("\n");
    }
    coil_close(ctx);
    return 0;
}

static int cmd_gen(const char *prog, int argc, char **argv)
{
    const char *path = NULL, *dir = NULL;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0 ||
            strncmp(a, "--output=", 9) == 0) {
            const char *d = a[1] == '-' && a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
            if (!d || !*d) {
                fprintf(stderr, "%s: %s expects a directory\n", prog, a);
                return 2;
            }
            dir = d;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "%s: unknown option '%s'\n\n%s", prog, a, usage);
            return 2;
        } else if (!path) {
            path = a;
        } else {
            fprintf(stderr, "%s: gen takes one interface file\n", prog);
            return 2;
        }
    }
    if (!path) {
        fprintf(stderr, "%s: gen needs an interface file\n\n%s", prog, usage);
        return 2;
    }
    coil_error *err = NULL;
    if (coil__gen_files(path, dir ? dir : ".", NULL, &err) != 0) {
        coil__cli_print_errors(prog, err);
        coil_error_free(err);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *prog = "coil";
    if (argc < 2) {
        fputs(usage, stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("coil %s\n", COIL_CLI_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "gen") == 0)
        return cmd_gen(prog, argc, argv);
    const char *cmd = argv[1];
    if (strcmp(cmd, "check") != 0 && strcmp(cmd, "run") != 0) {
        fprintf(stderr, "%s: unknown command '%s'\n\n%s", prog, cmd, usage);
        return 2;
    }
    coil_options *opts = coil_options_new();
    if (!opts) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return 1;
    }
    const char *path = NULL;
    int rc = 2;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--set") == 0 || strncmp(a, "--set=", 6) == 0) {
            const char *kv = a[5] == '=' ? a + 6 : (i + 1 < argc ? argv[++i] : NULL);
            const char *eq = kv ? strchr(kv, '=') : NULL;
            if (!eq || eq == kv) {
                fprintf(stderr, "%s: --set expects NAME=VALUE\n", prog);
                goto out;
            }
            char *name = strndup(kv, (size_t)(eq - kv));
            int r = name ? coil_options_set(opts, name, eq + 1) : COIL_ENOMEM;
            free(name);
            if (r) {
                fprintf(stderr, "%s: --set %s: %s\n", prog, kv, coil_strerror(r));
                goto out;
            }
        } else if (strcmp(a, "--no-env") == 0) {
            coil_options_use_environment(opts, false);
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "%s: unknown option '%s'\n\n%s", prog, a, usage);
            goto out;
        } else if (!path) {
            path = a;
        } else {
            fprintf(stderr, "%s: %s takes one context file\n", prog, cmd);
            goto out;
        }
    }
    if (!path) {
        fprintf(stderr, "%s: %s needs a context file\n\n%s", prog, cmd, usage);
        goto out;
    }
    rc = strcmp(cmd, "run") == 0 ? coil__cli_run(prog, path, opts) : cmd_check(prog, path, opts);
out:
    coil_options_free(opts);
    return rc;
}
