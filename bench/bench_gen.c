/* bench_gen N FILE — writes a benchmark context of N bench.node singletons.
 *
 * The file is what bench_load measures; see docs/performance.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

int main(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "--help") == 0) {
        fprintf(stderr, "usage: %s N FILE\n"
                        "writes a context of N singletons o0..oN-1 (class bench.node)\n",
                argv[0]);
        return argc == 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
    }
    char *end;
    errno = 0;
    unsigned long long n = strtoull(argv[1], &end, 10);
    if (errno || *end || end == argv[1] || argv[1][0] == '-') {
        fprintf(stderr, "%s: bad object count '%s'\n", argv[0], argv[1]);
        return 2;
    }
    size_t bytes = 0;
    if (bench_generate(argv[2], (size_t)n, &bytes) != 0) {
        fprintf(stderr, "%s: %s: %s\n", argv[0], argv[2], strerror(errno));
        return 1;
    }
    printf("%s: %llu objects, %zu bytes\n", argv[2], n, bytes);
    return 0;
}
