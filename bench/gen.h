/* Benchmark context generator, shared by bench_gen and bench_load. */
#ifndef COIL_BENCH_GEN_H
#define COIL_BENCH_GEN_H

#include <stddef.h>

/* Writes a context file of `n` singletons o0..o(n-1) of class `bench.node`
 * to `path`. Each object has a string `name`, an int `count`, a double
 * `weight`, a list `tags` (strings for even ids, ints for odd ids), a small
 * map `attrs`, and `next: {ref: o(i+1)}` (the last object has no `next`),
 * so the whole file is one chain of refs. Values differ per object.
 * Returns 0, or -1 with errno set. On success stores the file size in
 * *bytes when `bytes` is not NULL. */
int bench_generate(const char *path, size_t n, size_t *bytes);

#endif
