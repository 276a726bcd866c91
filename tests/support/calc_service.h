/* The `calc` service (tests/data/iface/calc.yaml) that the call, proxy
 * tests use as the object behind their calls. A target that compiles
 * calc_service.c must also get calc.h from coil_add_interface(). */
#ifndef COIL_TEST_CALC_SERVICE_H
#define COIL_TEST_CALC_SERVICE_H

#include <stdint.h>

#include "coil/class.h"

typedef struct calc_impl {
    int64_t base;           /* added to every sum: shows the object is configured */
    _Atomic int64_t notes;  /* oneway notes received (calls may come from threads) */
} calc_impl;

/* Class `calc_impl`: implements calc (all methods but `count`, left out on
 * purpose); property `base`. */
extern const coil_class calc_impl_class;

/* Calls every calc method on `obj` and asserts the results of a calc_impl
 * configured with base 100 (criterion assertions). */
void calc_expect_typed_calls(void *obj);

#endif
