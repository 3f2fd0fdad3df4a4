/* check_main.h - the main() every unit-test binary shares: runs one Check suite and
 * exits non-zero when any test fails. Tests run from the repository root. */
#ifndef LF_CHECK_MAIN_H
#define LF_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

#define LF_FIXTURE(name) "tests/fixtures/" name

#define LF_CHECK_MAIN(suite_fn)                                                                    \
    int main(void)                                                                                 \
    {                                                                                              \
        SRunner *runner = srunner_create(suite_fn());                                              \
        srunner_run_all(runner, CK_NORMAL);                                                        \
        int failed = srunner_ntests_failed(runner);                                                \
        srunner_free(runner);                                                                      \
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;                                          \
    }

#endif
