/* cordon: the command-line face of the library.  main only dispatches to
 * the subcommand; each lives in its own file. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "../lib/cordon.h"
#include "stop_signals.h"
#include "edit_distance.h"
#include "help.h"
#include "runner.h"

typedef struct subcommand {
    const char *name;
    int (*main)(int argc, char **argv);
} subcommand;

static const subcommand subcommands[] = {
    { "run", run_command_main },
    { "batch", batch_main },
    { "policy", policy_main },
    { "report", report_main },
    { "learn", learn_main },
};

/* /dev/null opened non-blocking and checked to be the null device: a
 * task running as root (a root caller's) owns the machine's /dev and may
 * have left a FIFO there, whose plain open waited for good.  Anything
 * else, or nothing, is -1. */
static int open_null(int flags)
{
    int fd = open("/dev/null", flags | O_NONBLOCK | O_NOCTTY);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3) &&
        fcntl(fd, F_SETFL, 0) == 0)
        return fd;
    if (fd >= 0)
        close(fd);
    return -1;
}

/* Started with fd 0, 1 or 2 closed (a service manager, `cmd <&-`), cordon
 * would hand the next fd it opens that number: a Landlock ruleset read as
 * the task's stdin (a StdinError), an audit file written as its stdout.
 * Each closed one is held: stdin by /dev/null, and stdout and stderr by
 * "/" as a path only, which holds the number and which nothing can read
 * or write.  Output cordon owes them (a --json record, the task's output)
 * then fails to reach them, and a run that succeeded exits 125, as one
 * whose stdout is full does: as /dev/null it was lost with status 0 (the
 * task's stderr, with `2>&-`, until the last of them).  Where /dev/null
 * is not the null device, "/" for stdin too. */
static void hold_standard_fds(void)
{
    for (int fd = 0; fd <= 2; fd++)
        if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
            int opened = fd == 0 ? open_null(O_RDONLY) : -1;
            if (opened < 0)
                opened = open("/", O_PATH);
            if (opened >= 0 && opened != fd) /* fd was free: open gives the lowest */
                close(opened);
        }
}

int main(int argc, char **argv)
{
    hold_standard_fds();
    /* Inherited from a parent that ignores it (SIG_IGN survives exec),
     * SIGCHLD ignored makes the kernel reap the task itself: its wait
     * then finds no child and its rusage is lost (usage all zeros,
     * max_rss_kb 0). */
    signal(SIGCHLD, SIG_DFL);
    /* A reader of our stdout going away must not kill cordon before it
     * has reaped and reported its task. */
    signal(SIGPIPE, SIG_IGN);
    /* Under the caller's own file size limit (ulimit -f) a write of an
     * audit line or a record past it would kill cordon, leaving the line
     * cut short for every later reader: EFBIG instead, said, the line
     * taken back.  The task gets every signal's default back. */
    signal(SIGXFSZ, SIG_IGN);
    /* A task can set TOSTOP on the terminal it shares with cordon and make
     * its own group the foreground one: cordon's next write there (or a
     * read) would stop cordon with SIGTTOU (SIGTTIN) while its task runs
     * on unwatched.  Ignored, the write goes through (the read fails with
     * EIO).  The task itself starts with every signal at its default. */
    signal(SIGTTOU, SIG_IGN);
    signal(SIGTTIN, SIG_IGN);
    /* Before any thread: ^C and the like end the tasks' runs first. */
    stop_signals_start();
    if (argc < 2) {
        runner_error("no command given (see 'cordon --help')");
        return RUNNER_EXIT_OWN_ERROR;
    }
    const char *name = argv[1];
    /* `cordon help run`, `cordon --help run` and `cordon -h run` are one
     * request; anything past the command's name is a mistake, said as
     * --version says it. */
    if (runner_is_help_word(name) || strcmp(name, "help") == 0) {
        if (argc > 3) {
            runner_error("%s takes at most a command's name after it (found '%s' after '%s')",
                         name, argv[3], argv[2]);
            return RUNNER_EXIT_OWN_ERROR;
        }
        return help_print(argc > 2 ? argv[2] : "cordon");
    }
    if (strcmp(name, "--version") == 0) {
        if (argc > 2) {
            runner_error("--version takes nothing after it (found '%s')", argv[2]);
            return RUNNER_EXIT_OWN_ERROR;
        }
        return runner_print_text("cordon " CORDON_VERSION "\n") == 0 ? 0
                                                                   : RUNNER_EXIT_OWN_ERROR;
    }
    for (size_t i = 0; i < sizeof subcommands / sizeof *subcommands; i++)
        if (strcmp(name, subcommands[i].name) == 0) {
            int status = subcommands[i].main(argc - 1, argv + 1);
            stop_signals_die_if_caught();
            return status;
        }
    /* Options belong to a command (`cordon run --timeout 1s …`); cordon
     * itself takes only --help and --version. */
    const char *meant = runner_meant_word(name);
    if (name[0] == '-' && name[1])
        runner_error("unknown option '%s': cordon takes only --help and --version before a "
                     "command (%s%s%ssee 'cordon --help')", name, meant ? "did you mean '" : "",
                     meant ? meant : "", meant ? "'? " : "");
    else
        runner_error("unknown command '%s' (%s%s%ssee 'cordon --help')", name,
                     meant ? "did you mean '" : "", meant ? meant : "", meant ? "'? " : "");
    return RUNNER_EXIT_OWN_ERROR;
}
