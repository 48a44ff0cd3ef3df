/* cordon's usage figures against the kernel's own wait4 and GNU time on the
 * same workloads — a CPU spin, a memory touch, a file write — run in
 * interleaved rounds; the medians and cordon's relative error against
 * wait4's.  wait4 is the floor: a bare fork, execvp and wait4 of the same
 * command.  GNU time (/usr/bin/time -v, Debian's `time`) is left out with a
 * note where it is not installed.
 * Usage: usage_accuracy [ROUNDS] (default 5).  `usage_accuracy --touch MIB`
 * is the memory workload itself. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "../lib/cordon.h"
#include "bench_common.h"

enum { MAX_ROUNDS = 31, FIGURES = 4 };
static const char *const figure_names[FIGURES] = { "cpu ms", "max rss KiB", "minflt",
                                                   "oublock" };

typedef struct figures {
    double value[FIGURES];
} figures;

static double timeval_ms(struct timeval tv)
{
    return (double)tv.tv_sec * 1e3 + (double)tv.tv_usec / 1e3;
}

static int touch(size_t mib)
{
    size_t len = mib << 20;
    volatile char *block = malloc(len);
    if (!block)
        return 1;
    for (size_t i = 0; i < len; i += 4096)
        block[i] = 1;
    return block[len / 2] != 1;
}

/* The kernel's own figures: fork, execvp, wait4. */
static bool by_wait4(char *const argv[], figures *f)
{
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        dup2(null, 1);
        execvp(argv[0], argv);
        _exit(127);
    }
    struct rusage ru;
    int status;
    while (wait4(pid, &status, 0, &ru) < 0)
        if (errno != EINTR)
            return false;
    f->value[0] = timeval_ms(ru.ru_utime) + timeval_ms(ru.ru_stime);
    f->value[1] = (double)ru.ru_maxrss;
    f->value[2] = (double)ru.ru_minflt;
    f->value[3] = (double)ru.ru_oublock;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* GNU time's report, through a file: -o keeps it apart from the output. */
static bool by_gnu_time(char *const argv[], figures *f)
{
    char report[] = "/tmp/cordon-bench-time-XXXXXX";
    int fd = mkstemp(report);
    if (fd < 0)
        return false;
    close(fd);
    char *args[16] = { "/usr/bin/time", "-v", "-o", report };
    int n = 4;
    for (int i = 0; argv[i] && n < 15; i++)
        args[n++] = argv[i];
    args[n] = NULL;
    figures ignored;
    bool ok = by_wait4(args, &ignored);
    FILE *in = fopen(report, "r");
    char line[256];
    double user = 0, sys = 0;
    while (in && fgets(line, sizeof line, in)) {
        const char *colon = strrchr(line, ':');
        double value = colon ? atof(colon + 1) : 0;
        if (strstr(line, "User time (seconds)"))
            user = value;
        else if (strstr(line, "System time (seconds)"))
            sys = value;
        else if (strstr(line, "Maximum resident set size"))
            f->value[1] = value;
        else if (strstr(line, "Minor (reclaiming a frame)"))
            f->value[2] = value;
        else if (strstr(line, "File system outputs"))
            f->value[3] = value;
    }
    if (in)
        fclose(in);
    unlink(report);
    f->value[0] = (user + sys) * 1e3;
    return ok;
}

static bool by_cordon(char *const argv[], figures *f, double *tree_peak_kb)
{
    cordon_task *t = cordon_command_task((const char *const *)argv);
    cordon_set_tree_accounting(t, 1);
    int rc = cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    const cordon_usage *u = &r->usage;
    f->value[0] = (double)(u->user_us + u->sys_us) / 1e3;
    f->value[1] = (double)u->max_rss_kb;
    f->value[2] = (double)u->minflt;
    f->value[3] = (double)u->oublock;
    *tree_peak_kb = (double)u->tree_peak_kb;
    bool ok = rc == 0 && r->exit_code == 0;
    cordon_task_free(t);
    return ok;
}

static double median_of(const figures *runs, int count, int which)
{
    double values[MAX_ROUNDS];
    for (int i = 0; i < count; i++)
        values[i] = runs[i].value[which];
    return bench_median(values, count);
}

static void print_error(double value, double reference)
{
    if (reference == 0)
        printf(value == 0 ? "   (0 = 0)" : "   (vs 0)");
    else
        printf(" %+7.1f%%", (value - reference) / reference * 100.0);
}

static void workload(const char *name, char *const argv[], int rounds, bool gnu_time)
{
    figures kernel[MAX_ROUNDS], gnu[MAX_ROUNDS], ours[MAX_ROUNDS];
    double peaks[MAX_ROUNDS];
    int failures = 0;
    for (int i = 0; i < rounds; i++) {
        memset(&gnu[i], 0, sizeof gnu[i]);
        failures += !by_wait4(argv, &kernel[i]);
        failures += !by_cordon(argv, &ours[i], &peaks[i]);
        if (gnu_time)
            failures += !by_gnu_time(argv, &gnu[i]);
    }
    printf("%s%s\n", name, failures ? "  (some runs failed: figures unreliable)" : "");
    for (int k = 0; k < FIGURES; k++) {
        double reference = median_of(kernel, rounds, k);
        double mine = median_of(ours, rounds, k);
        printf("  %-12s wait4 %10.1f   cordon %10.1f", figure_names[k], reference, mine);
        print_error(mine, reference);
        if (gnu_time) {
            double theirs = median_of(gnu, rounds, k);
            printf("   GNU time %10.1f", theirs);
            print_error(theirs, reference);
        }
        printf("\n");
    }
    printf("  %-12s cordon %9.1f  (the tree's memory cgroup; 0: none)\n", "tree peak KiB",
           bench_median(peaks, rounds));
}

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "--touch") == 0)
        return touch((size_t)atoi(argv[2]));
    int rounds = (int)bench_count_argument(argc, argv, "rounds", 5, MAX_ROUNDS);
    bool gnu_time = access("/usr/bin/time", X_OK) == 0;
    printf("usage figures: medians of %d interleaved rounds, cordon's relative error against "
           "wait4%s\n", rounds, gnu_time ? " (and GNU time's)" : "");
    if (!gnu_time)
        printf("(no /usr/bin/time: install Debian's `time` for the GNU time column)\n");
    char *spin[] = { "sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done", NULL };
    workload("CPU spin (sh counting to 200000)", spin, rounds, gnu_time);
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len > 0) {
        self[len] = '\0';
        char *memory[] = { self, "--touch", "200", NULL };
        workload("memory touch (200 MiB, one write per page)", memory, rounds, gnu_time);
    }
    char file[] = "/tmp/cordon-bench-write-XXXXXX";
    int fd = mkstemp(file);
    if (fd >= 0) {
        close(fd);
        char of[300];
        snprintf(of, sizeof of, "of=%s", file);
        char *write_file[] = { "dd", "if=/dev/zero", of, "bs=1M", "count=64", "conv=fsync",
                               "status=none", NULL };
        workload("file write (64 MiB, dd conv=fsync)", write_file, rounds, gnu_time);
        unlink(file);
    }
    return 0;
}
