/* The module the remote benchmarks serve (libbench_birthday.so): the Happy
 * Birthday service of samples/birthday, compiled from that very source, so
 * the benchmark measures the sample's code and not a copy of it. Two
 * classes:
 *
 *   birthday_service         the sample's class as it is: declared
 *                            COIL_CLASS_THREAD_SAFE (happy_birthday only
 *                            reads the properties and allocates its
 *                            result), so an exporter calls it from all its
 *                            threads at once
 *   birthday_service_serial  the same code and properties without the
 *                            flag, so an exporter makes its calls one at a
 *                            time (what a class gets that does not declare
 *                            itself thread-safe)
 *
 * The sample's own COIL_MODULE line is turned into a plain class list while
 * its source is included, and this file defines the module with both
 * classes. */
#include <coil/coil.h>

#pragma push_macro("COIL_MODULE")
#undef COIL_MODULE
#define COIL_MODULE(mod_name, mod_version, ...)                                      \
    __attribute__((unused)) static const coil_class *const bench__sample_classes[] = { \
        __VA_ARGS__, NULL }

#include "../samples/birthday/birthday_service.c"

#pragma pop_macro("COIL_MODULE")

static const coil_class birthday_service_serial_class = {
    .abi = COIL_ABI_VERSION,
    .name = "birthday_service_serial",
    .doc = "Sings Happy Birthday (the sample's service, its calls one at a time).",
    .size = sizeof(birthday_service),
    .properties = service_properties,
    .implements = service_implements,
};

COIL_MODULE("bench-birthday", "1.0", &birthday_service_class, &birthday_service_serial_class);
