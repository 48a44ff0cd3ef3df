/*
 * Ending what a cgroup lists: every listed process killed, and nothing
 * that is not listed.  A tree of some 11,000 processes (a task's own
 * making) lists more than one read of cgroup.procs took; this test
 * drives the listing code on a file made to look like such a list,
 * since no test here may make that many processes.  White-box: it calls
 * sandbox/cgroup.h on a directory of its own.
 */
#include <stdlib.h>
#include <sys/stat.h>

#include "support.h"
#include "../sandbox/cgroup.h"

static pid_t sleeper(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        for (;;)
            pause();
    }
    assert_true(pid > 0);
    return pid;
}

static bool ended(pid_t pid)
{
    for (int i = 0; i < 200; i++) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid)
            return true;
        usleep(10 * 1000);
    }
    return false;
}

/* Lines of nines, then "<bystander>7": the first 65,535 bytes (what one
 * read of 64 KiB took) end right after the bystander's digits. */
static void write_listing(const char *path, pid_t bystander, pid_t listed)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    char cut[32];
    int digits = snprintf(cut, sizeof cut, "%d", (int)bystander);
    long filler = 65535 - digits, written = 0;
    while (filler - written >= 10) {
        fputs("999999999\n", f);
        written += 10;
    }
    if (filler - written >= 2) {
        fprintf(f, "%.*s\n", (int)(filler - written - 1), "999999999");
        written = filler;
    } else if (filler - written == 1) {
        fputs("\n", f);
    }
    fprintf(f, "%s7\n%d\n", cut, (int)listed);
    assert_int_equal(fclose(f), 0);
}

/* Before: the bystander, whose pid was the cut line's start, was killed,
 * and the process listed after the cut was not. */
static void test_cgroup_kill_reads_a_long_list_whole(void **state)
{
    (void)state;
    pid_t bystander = sleeper(), listed = sleeper();
    char dir[] = "/tmp/cordon-kill-list-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[sizeof dir + 16];
    snprintf(path, sizeof path, "%s/cgroup.procs", dir);
    write_listing(path, bystander, listed);
    cordon__cgroup cg;
    cordon__cgroup_init_empty(&cg);
    cg.count = 1;
    cg.dirs[0] = dir;
    cg.v2_dir = 0;
    cordon__cgroup_kill_all_but(&cg, 0);
    bool listed_ended = ended(listed);
    bool bystander_ended = waitpid(bystander, NULL, WNOHANG) == bystander;
    kill(bystander, SIGKILL);
    kill(listed, SIGKILL);
    waitpid(bystander, NULL, 0);
    if (!listed_ended)
        waitpid(listed, NULL, 0);
    unlink(path);
    rmdir(dir);
    assert_false(bystander_ended);
    assert_true(listed_ended);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cgroup_kill_reads_a_long_list_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
