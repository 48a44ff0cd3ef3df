/*
 * Ending what a cgroup lists: every listed process killed, and nothing
 * that is not listed, nor a process that has the pid of a listed one but
 * is not in the cgroup.  A tree of some 11,000 processes (a task's own
 * making) lists more than one read of cgroup.procs took; these tests
 * drive the listing code on a file made to look like such a list, since
 * no test here may make that many processes.  White-box: they call
 * sandbox/cgroup.h on a directory of their own, named to end as the path
 * of this process's own cgroup does, so that its children count as
 * members of it.
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

/* The longest cgroup path /proc/self/cgroup gives that is not a root
 * ("/"), or false where every one is. */
static bool own_cgroup_path(char *path, size_t size)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    assert_non_null(f);
    char line[4096];
    path[0] = '\0';
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *rel = strchr(line, ':');
        rel = rel ? strchr(rel + 1, ':') : NULL;
        if (rel && strlen(rel + 1) > 1 && strlen(rel + 1) > strlen(path) &&
            strlen(rel + 1) < size)
            strcpy(path, rel + 1);
    }
    fclose(f);
    return path[0] != '\0';
}

/* A scratch directory whose path ends with `rel`; its cgroup.procs path. */
static void make_listing_dir(char *top, const char *rel, char *dir, size_t dir_size,
                             char *procs, size_t procs_size)
{
    assert_non_null(mkdtemp(top));
    snprintf(dir, dir_size, "%s%s", top, rel);
    for (char *slash = dir + strlen(top) + 1; (slash = strchr(slash, '/')); slash++) {
        *slash = '\0';
        assert_int_equal(mkdir(dir, 0700), 0);
        *slash = '/';
    }
    if (rel[0])
        assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(procs, procs_size, "%s/cgroup.procs", dir);
}

static void remove_listing_dir(const char *top, char *dir, const char *procs)
{
    unlink(procs);
    while (strcmp(dir, top) != 0) {
        rmdir(dir);
        *strrchr(dir, '/') = '\0';
    }
    rmdir(top);
}

static void kill_as_listed(char *dir)
{
    cordon__cgroup cg;
    cordon__cgroup_init_empty(&cg);
    cg.count = 1;
    cg.dirs[0] = dir;
    cg.v2_dir = 0;
    cordon__cgroup_kill_all_but(&cg, 0);
}

/* Before: the bystander, whose pid was the cut line's start, was killed,
 * and the process listed after the cut was not. */
static void test_cgroup_kill_reads_a_long_list_whole(void **state)
{
    (void)state;
    char rel[2048];
    if (!own_cgroup_path(rel, sizeof rel)) {
        print_message("skipped: this process is in no cgroup but the roots\n");
        skip();
    }
    pid_t bystander = sleeper(), listed = sleeper();
    char top[] = "/tmp/cordon-kill-list-XXXXXX", dir[4096], path[4200];
    make_listing_dir(top, rel, dir, sizeof dir, path, sizeof path);
    write_listing(path, bystander, listed);
    kill_as_listed(dir);
    bool listed_ended = ended(listed);
    bool bystander_ended = waitpid(bystander, NULL, WNOHANG) == bystander;
    kill(bystander, SIGKILL);
    kill(listed, SIGKILL);
    waitpid(bystander, NULL, 0);
    if (!listed_ended)
        waitpid(listed, NULL, 0);
    remove_listing_dir(top, dir, path);
    assert_false(bystander_ended);
    assert_true(listed_ended);
}

/* A listed process may end and be reaped before its line is reached (the
 * init reaps what it kills meanwhile, the task its own children), and its
 * pid go to a new process anywhere on the machine.  Here the list names a
 * process of another cgroup, as that list would then: before, it was
 * killed (as root, whatever process had the pid). */
static void test_cgroup_kill_spares_a_pid_no_longer_in_the_cgroup(void **state)
{
    (void)state;
    pid_t elsewhere = sleeper();
    char top[] = "/tmp/cordon-kill-list-XXXXXX", dir[4096], path[4200];
    make_listing_dir(top, "/cordon-0-0", dir, sizeof dir, path, sizeof path);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "%d\n", (int)elsewhere);
    assert_int_equal(fclose(f), 0);
    kill_as_listed(dir);
    bool elsewhere_ended = ended(elsewhere);
    if (!elsewhere_ended) {
        kill(elsewhere, SIGKILL);
        waitpid(elsewhere, NULL, 0);
    }
    remove_listing_dir(top, dir, path);
    assert_false(elsewhere_ended);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cgroup_kill_reads_a_long_list_whole),
        cmocka_unit_test(test_cgroup_kill_spares_a_pid_no_longer_in_the_cgroup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
