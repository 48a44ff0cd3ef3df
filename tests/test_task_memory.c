/*
 * A string read out of a task's memory by a helper process
 * (sandbox/task_memory.c), whose result comes back in a page kept for the
 * next read.  White-box: the tests call sandbox/syscall_args.h, reading
 * this process's own memory as the parent reads a suspended task's.
 */
#include <stdint.h>

#include "support.h"
#include "../sandbox/syscall_args.h"

static char text[64];

/* Reads `text`, set to `mine`, `rounds` times through the helper: how
 * many reads did not give it back. */
static int reads_not_mine(const char *mine, int rounds)
{
    snprintf(text, sizeof text, "%s", mine);
    int wrong = 0;
    for (int i = 0; i < rounds; i++) {
        char read[sizeof text] = "";
        int n = cordon__task_read_string(getpid(), (uint64_t)(uintptr_t)text, read, sizeof read, true);
        wrong += n < 0 || strcmp(read, mine) != 0;
    }
    return wrong;
}

/* The kept page is shared with the helper (MAP_SHARED), and so it was
 * with a copy the caller forked: the copy's reads and the caller's wrote
 * the same page at once, and each got the other's strings back (a path
 * that decides whether an open names a device, and the report of a
 * violation). */
static void test_task_memory_a_forked_copy_reads_into_a_page_of_its_own(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("the helper is a clone(2) that is neither a thread nor a fork, "
                        "which valgrind does not support (\"Unsupported clone() flags\")");
    enum { ROUNDS = 1500 };
    assert_int_equal(reads_not_mine("the caller's own", 1), 0); /* the page is kept */
    pid_t copy = fork();
    if (copy == 0)
        _exit(reads_not_mine("the copy's own text", ROUNDS) ? 1 : 0);
    assert_true(copy > 0);
    int wrong = reads_not_mine("the caller's own", ROUNDS);
    int status = 0;
    assert_int_equal(waitpid(copy, &status, 0), copy);
    print_message("the caller read %d of %d wrong; the copy %s\n", wrong, ROUNDS,
                  status == 0 ? "none" : "some");
    assert_int_equal(wrong, 0);
    assert_int_equal(status, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_task_memory_a_forked_copy_reads_into_a_page_of_its_own),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
