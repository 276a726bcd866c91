/* For suites of internal units (built from coil_internal, see
 * coil_add_internal_test): ITEST(suite, name) is criterion's Test with a
 * leak check at the end of the body, since criterion ignores
 * LeakSanitizer's exit status. Include it in exactly one file per test
 * executable (it defines LeakSanitizer's options). */
#ifndef COIL_TESTS_ITEST_H
#define COIL_TESTS_ITEST_H

#include <criterion/criterion.h>

#ifdef COIL_TEST_LSAN
#include <sanitizer/lsan_interface.h>
__attribute__((visibility("default"))) const char *__lsan_default_options(void);
__attribute__((visibility("default"))) const char *__lsan_default_options(void)
{
    return "leak_check_at_exit=0";
}
#endif

static inline void itest_leak_check(void)
{
#ifdef COIL_TEST_LSAN
    cr_assert_eq(__lsan_do_recoverable_leak_check(), 0,
                 "memory leaked: see the LeakSanitizer report above");
#endif
}

#define ITEST(suite, name)                       \
    static void suite##__##name##__body(void);   \
    Test(suite, name) {                          \
        suite##__##name##__body();               \
        itest_leak_check();                      \
    }                                            \
    static void suite##__##name##__body(void)

#endif
