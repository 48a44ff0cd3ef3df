/*
 * The main of a test file built for ThreadSanitizer (make tsan) where only
 * some of its tests run several threads and the rest would take minutes
 * under it: the file's own main is renamed cordon_test_main and runs only
 * the tests that CORDON_TEST_FILTER (a cmocka pattern) names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

int cordon_test_main(void);

int main(void)
{
    const char *filter = getenv("CORDON_TEST_FILTER");
    if (filter && *filter)
        cmocka_set_test_filter(filter);
    return cordon_test_main();
}
