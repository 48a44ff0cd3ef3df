/*
 * A small online judge: runs each submitted program under the "judge"
 * isolation preset (nothing readable but the system's directories and
 * its own, a private /tmp, no network) with a deadline, a CPU and a memory
 * limit, streams the test's input to it from a callback, compares its
 * output and prints a verdict.
 *
 *   build/examples/judge [SUBMISSIONS_DIR]     (make demo runs it)
 *
 * SUBMISSIONS_DIR defaults to submissions/ beside the judge's own
 * executable, so that it runs from any directory.
 *
 * The problem: print the sum of the numbers on stdin.  The submissions are
 * the programs in examples/submissions/, built by make: one right, one wrong, one
 * endless, one that crashes, one that hogs memory, one hostile.
 *
 * The preset's private /tmp hides the caller's: a program beneath /tmp
 * (a source tree checked out there) cannot be run from where it is.  So
 * each submission is copied into a scratch directory of the judge's in
 * /var/tmp, the one directory it is given.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cordon.h>

#define NUMBERS 200000 /* about 1.4 MB of input: more than a pipe holds */

/* The test's input, made as it is fed: number i of the stream. */
static long long number(unsigned i)
{
    return (long long)((i * 2654435761u) % 2000001u) - 1000000;
}

typedef struct feed {
    unsigned next;
} feed;

/* Called by cordon whenever the submission's stdin can take more. */
static ssize_t feed_numbers(void *user, char *buf, size_t cap)
{
    feed *f = user;
    size_t len = 0;
    while (f->next < NUMBERS && cap - len >= 24)
        len += (size_t)snprintf(buf + len, cap - len, "%lld\n", number(f->next++));
    return (ssize_t)len; /* 0: the end of the input */
}

static const char *verdict(const cordon_result *r, const char *expected)
{
    if (r->exception) {
        if (!strcmp(r->exception, "Timeout") || !strcmp(r->exception, "CpuLimit"))
            return "Time Limit Exceeded";
        if (!strcmp(r->exception, "MemoryLimit"))
            return "Memory Limit Exceeded";
        if (!strcmp(r->exception, "ConfinementError") || !strcmp(r->exception, "StdinError"))
            return "Judge Error";
        return "Runtime Error";
    }
    if (r->exit_code != 0)
        return "Runtime Error";
    size_t len = r->std_out.len;
    while (len && (r->std_out.data[len - 1] == '\n' || r->std_out.data[len - 1] == ' '))
        len--;
    return len == strlen(expected) && !memcmp(r->std_out.data, expected, len) ? "Accepted"
                                                                              : "Wrong Answer";
}

/* Copies the program `from` to `to`, executable; 0 or -errno. */
static int copy_program(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -errno;
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    int rc = out < 0 ? -errno : 0;
    char buf[65536];
    for (bool end = false; rc == 0 && !end;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno != EINTR)
            rc = -errno;
        end = n == 0;
        for (ssize_t done = 0; rc == 0 && done < n;) {
            ssize_t w = write(out, buf + done, (size_t)(n - done));
            if (w >= 0)
                done += w;
            else if (errno != EINTR)
                rc = -errno;
        }
    }
    if (out >= 0 && close(out) < 0 && rc == 0)
        rc = -errno;
    close(in);
    return rc;
}

/* The directory of this program's own executable, where make put the
 * files it goes with: found that way, it runs from any directory (a
 * relative path was the source tree's, and from elsewhere it found
 * nothing, said so per file, and exited 0).  0, or -1. */
static int own_directory(char *dir, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", dir, size - 1);
    if (n <= 0 || (size_t)n >= size - 1)
        return -1;
    dir[n] = '\0';
    char *slash = strrchr(dir, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    return 0;
}

static const char *const submissions[] = { "sum", "off_by_one", "spin", "crash", "hog",
                                            "hostile" };
enum { SUBMISSIONS = sizeof submissions / sizeof *submissions };

/* A directory holding none of them is a wrong directory, said once (it
 * was said six times, one "cannot copy" per submission). */
static bool holds_any_submission(const char *dir)
{
    for (size_t i = 0; i < SUBMISSIONS; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, submissions[i]);
        if (access(path, F_OK) == 0)
            return true;
    }
    return false;
}

/* SUBMISSIONS_DIR, or the submissions beside the executable; NULL after
 * saying what is missing. */
static const char *submissions_dir(int argc, char **argv, char *buf, size_t size)
{
    if (argc > 1)
        snprintf(buf, size, "%s", argv[1]);
    else if (own_directory(buf, size) < 0 || strlen(buf) + sizeof "/submissions" > size) {
        fprintf(stderr, "judge: cannot find its own directory through /proc/self/exe: give "
                        "the submissions' directory (judge SUBMISSIONS_DIR)\n");
        return NULL;
    } else {
        strcat(buf, "/submissions");
    }
    struct stat st;
    const char *why = stat(buf, &st) < 0       ? strerror(errno)
                      : !S_ISDIR(st.st_mode) ? "not a directory"
                      : !holds_any_submission(buf)
                          ? "none of sum, off_by_one, spin, crash, hog, hostile is there"
                          : NULL;
    if (why) {
        fprintf(stderr, "judge: no submissions in '%s': %s (make examples builds them)\n", buf,
                why);
        return NULL;
    }
    return buf;
}

/* One submission, confined; returns cordon_run's answer. */
static int judge_one(const char *dir, const char *scratch, const char *name,
                     const char *expected, bool *isolated)
{
    char from[4096], path[4096];
    snprintf(from, sizeof from, "%s/%s", dir, name);
    snprintf(path, sizeof path, "%s/%s", scratch, name);
    int rc = copy_program(from, path);
    if (rc < 0) {
        printf("  %-12s cannot copy %s into %s: %s\n", name, from, scratch, strerror(-rc));
        return rc;
    }
    const char *argv[] = { path, NULL };
    cordon_task *t = cordon_command_task(argv);
    if (!t)
        return -errno;
    /* The judge preset needs Landlock and namespaces; where the machine
     * has no Landlock the judge says so and runs with the limits only. */
    *isolated = cordon_set_isolation(t, "judge") == 0;
    if (*isolated && (rc = cordon_allow_path(t, scratch, CORDON_READ | CORDON_EXEC)) < 0) {
        printf("  %-12s cannot give it %s: %s\n", name, scratch, strerror(-rc));
        cordon_task_free(t);
        unlink(path);
        return rc;
    }
    cordon_set_timeout_ms(t, 3000);
    cordon_set_limit(t, CORDON_LIMIT_CPU_MS, 1000);
    cordon_set_limit(t, CORDON_LIMIT_MEMORY, 64u << 20);
    cordon_set_limit(t, CORDON_LIMIT_PROCESSES, 8);
    cordon_set_limit(t, CORDON_LIMIT_OUTPUT, 64u << 10);
    feed f = { 0 };
    cordon_set_stdin_callback(t, feed_numbers, &f);

    rc = cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    if (rc < 0) {
        printf("  %-12s cordon could not run it: %s\n", name, strerror(-rc));
    } else {
        printf("  %-12s %-22s %6.0f ms  %6" PRIu64 " KiB  fed %u of %u numbers\n", name,
               verdict(r, expected), (double)r->usage.wall_us / 1000, r->usage.max_rss_kb,
               f.next, NUMBERS);
        if (r->exception)
            printf("               %.*s\n", (int)strcspn(r->exc_out.data, "\n"), r->exc_out.data);
        else if (r->exit_code != 0) /* its own ending: say which, and what the limit was */
            printf("               exit code %d%s\n", r->exit_code,
                   r->confinement & CORDON_CONFINED_CGROUP
                       ? ""
                       : " (no cgroup here: the memory limit is RLIMIT_AS, and an allocation"
                         "\n               that fails is the program's to handle)");
        if (r->std_err.len)
            printf("%s", r->std_err.data);
    }
    cordon_task_free(t);
    unlink(path);
    return rc;
}

int main(int argc, char **argv)
{
    char dir_buf[4096];
    const char *dir = submissions_dir(argc, argv, dir_buf, sizeof dir_buf);
    if (!dir)
        return 1;
    long long sum = 0;
    for (unsigned i = 0; i < NUMBERS; i++)
        sum += number(i);
    char expected[32];
    snprintf(expected, sizeof expected, "%lld", sum);
    printf("problem: the sum of %d numbers (expected %s)\n", NUMBERS, expected);

    char scratch[] = "/var/tmp/cordon-judge-XXXXXX";
    if (!mkdtemp(scratch)) {
        printf("cannot make a scratch directory in /var/tmp: %s\n", strerror(errno));
        return 1;
    }
    bool isolated = true;
    unsigned unjudged = 0; /* could not be copied, confined or run */
    for (size_t i = 0; i < SUBMISSIONS; i++)
        unjudged += judge_one(dir, scratch, submissions[i], expected, &isolated) < 0;
    rmdir(scratch);
    if (!isolated)
        printf("(no Landlock here: submissions ran with limits, a policy and namespaces only)\n");
    if (unjudged)
        fprintf(stderr, "judge: %u of %d submissions could not be judged\n", unjudged,
                SUBMISSIONS);
    return unjudged ? 1 : 0;
}
