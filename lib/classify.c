/*
 * One place turns the ending of a child — its wait status, the deadline,
 * the limits, a policy notification and what it wrote in the shared
 * region — into the result: an exit code, or an exception with its class
 * and its readable report.  The shared region of a function task is
 * written by code we do not trust, so every field is checked before use.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "internal.h"
#include "../sandbox/plural.h"
#include "../sandbox/policy.h"
#include "../sandbox/text_escape.h"

static void set_exception(cordon_task *t, const char *class_name)
{
    size_t len = strnlen(class_name, CORDON_CLASS_MAX - 1);
    memcpy(t->exception_class, class_name, len);
    t->exception_class[len] = '\0';
}

static uint64_t timeval_us(struct timeval tv)
{
    return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

/* When the task ended: its first process's end as cordon's init timed it
 * (in a pid namespace), else when the caller's loop saw it.  A caller
 * held up (stopped, a slow callback, a busy machine) saw a task's end
 * late: a 50 ms task whose caller was stopped 1.5 s had a wall_us of
 * 1.5 s, three times its deadline, and no Timeout. */
static uint64_t task_end_ns(const cordon__attempt_state *s)
{
    uint64_t seen = s->ended_ns ? s->ended_ns : cordon__now_ns();
    uint64_t timed = cordon__first_process_end_ns(s);
    return timed >= s->started_ns && timed < seen ? timed : seen;
}

static void fill_usage(cordon_usage *u, const cordon__attempt_state *s)
{
    const struct rusage *ru = &s->rusage;
    u->wall_us = (task_end_ns(s) - s->started_ns) / 1000u;
    u->user_us = timeval_us(ru->ru_utime);
    u->sys_us = timeval_us(ru->ru_stime);
    u->max_rss_kb = (uint64_t)ru->ru_maxrss;
    u->minflt = (uint64_t)ru->ru_minflt;
    u->majflt = (uint64_t)ru->ru_majflt;
    u->nvcsw = (uint64_t)ru->ru_nvcsw;
    u->nivcsw = (uint64_t)ru->ru_nivcsw;
    u->inblock = (uint64_t)ru->ru_inblock;
    u->oublock = (uint64_t)ru->ru_oublock;
    u->tree_peak_kb = s->tree_peak_bytes / 1024u;
}

static size_t strings_count(char *const *strings)
{
    size_t n = 0;
    while (strings && strings[n])
        n++;
    return n;
}

/* Bytes of a NULL-ended list of strings as execve copies them. */
static size_t strings_size(char *const *strings)
{
    size_t bytes = 0;
    for (size_t i = 0; strings && strings[i]; i++)
        bytes += strlen(strings[i]) + 1;
    return bytes;
}

/* A start that outgrew the memory limit, met as the cgroup's kill of it or
 * as a failed allocation of its set-up (an init's copy of a large
 * caller's page tables): one cause, said one way, `how` it ended. */
static void say_start_outgrew_memory(cordon_task *t, const char *how)
{
    cordon__buffer_printf(&t->exc_out, "ConfinementError: the task could not start within its "
                          "memory limit of %llu bytes: its start (a copy of this process until "
                          "the task's own code runs) %s\n",
                          (unsigned long long)t->limits[CORDON_LIMIT_MEMORY], how);
}

/* A root caller's task runs as nobody, which may not enter a directory
 * of root's (Debian's /root is 0700): the task starts in / instead, and a
 * relative program ("./run.sh") was "No such file or directory" there,
 * the caller left to guess why. */
static void explain_directory_refused(cordon_task *t, const cordon__setup_record *setup,
                                      const cordon__launch *launch)
{
    char here[PATH_MAX];
    /* a relative path only: a bare name was looked for in PATH */
    if (!setup->directory_refused || t->argv[0][0] == '/' || !strchr(t->argv[0], '/') ||
        !getcwd(here, sizeof here))
        return;
    char shown[1024];
    cordon__escape_text_keeping_utf8(shown, sizeof shown, here, strlen(here));
    cordon__buffer_printf(&t->exc_out, "  (the task runs as user %u%s, which may not enter "
                          "this process's working directory '%s', so it started in /: give it "
                          "a directory that user may enter, cordon run --cwd or cordon_set_cwd, "
                          "or run it as this process's user: cordon run --user, "
                          "cordon_set_user)\n",
                          (unsigned)launch->uid, launch->uid == 65534 ? " (nobody)" : "", shown);
}

/* An exec refused EAGAIN is the kernel's word that the task's user was,
 * when the task took it on, at or over the RLIMIT_NPROC cordon gave the
 * task (execve(2): the only cause of that errno in the kernel), which
 * counts every process of that user on the machine: the process limit
 * refused the start, not the program.  It had read "ExecError: cannot
 * execute '/bin/true': Resource temporarily unavailable", 126, which a
 * retry on ProcessLimit did not match.  A policy that may answer execve
 * with EAGAIN itself makes it no evidence. */
static bool exec_refused_by_process_limit(cordon_task *t, int error, const cordon__launch *launch)
{
    if (error != EAGAIN || !launch->limit_set[RLIMIT_NPROC] ||
        cordon__policy_may_answer_errno(launch->policy, SYS_execve, EAGAIN))
        return false;
    set_exception(t, "ProcessLimit");
    t->result.exit_code = 126;
    /* The rlimit counts cordon's init too, where it is of the task's user. */
    unsigned long long most = (unsigned long long)launch->limits[RLIMIT_NPROC].rlim_cur;
    most -= most && launch->nproc_counts_init ? 1 : 0;
    bool own = t->limits[CORDON_LIMIT_PROCESSES] != 0;
    cordon__buffer_printf(&t->exc_out,
                          "ProcessLimit: the command was not started: its user (uid %u) "
                          "already ran as many processes as %s of %llu lets it start "
                          "(RLIMIT_NPROC, which counts every process of that user on the "
                          "machine, not the task's alone; a pids cgroup counts the task's "
                          "own)\n",
                          (unsigned)launch->uid,
                          own ? "its process limit" : "its share of the machine's processes",
                          most);
    return true;
}

static bool setup_failed(cordon_task *t, const cordon__setup_record *setup,
                         const cordon__launch *launch)
{
    int step = setup->setup_step;
    if (step <= STEP_NONE || step >= STEP_COUNT_)
        return false;
    int error = setup->setup_errno;
    if (step == STEP_EXEC && t->kind == KIND_COMMAND &&
        exec_refused_by_process_limit(t, error, launch))
        return true;
    if (step == STEP_EXEC && t->kind == KIND_COMMAND) {
        set_exception(t, "ExecError");
        bool unfound = cordon__exec_nowhere_in_path(t, launch, error);
        if (unfound)
            error = ENOENT;
        t->result.exit_code = (error == ENOENT || error == ENOTDIR) ? 127 : 126;
        /* Escaped as the working directory below is: a newline or an
         * escape sequence in the name (a job line's) would split the
         * one-line message or reach the reader's terminal. */
        char program[1024];
        cordon__escape_text_keeping_utf8(program, sizeof program, t->argv[0], strlen(t->argv[0]));
        cordon__buffer_printf(&t->exc_out, "ExecError: cannot execute '%s': %s\n", program,
                              strerror(error));
        if (unfound)
            cordon__buffer_printf(&t->exc_out,
                                  "  (no directory of its PATH holds it; the exec said "
                                  "'Permission denied' for a directory of PATH the task may "
                                  "not search)\n");
        if (error == E2BIG)
            cordon__buffer_printf(&t->exc_out,
                                  "  (its arguments and environment together, %zu bytes in "
                                  "%zu strings, are more than the kernel takes: a quarter of "
                                  "the stack limit, and 128 KiB for any one string)\n",
                                  strings_size(t->argv) + strings_size(launch->envp),
                                  strings_count(t->argv) + strings_count(launch->envp));
        if (error == ENOENT && strchr(t->argv[0], '/'))
            cordon__explain_hidden(t, t->argv[0], "the program");
        cordon__explain_unexecutable(t, launch, error);
        explain_directory_refused(t, setup, launch);
        return true;
    }
    set_exception(t, "ConfinementError");
    t->result.exit_code = 125;
    /* The directory is named: "No such file or directory" alone leaves
     * the caller to guess which of its paths was meant.  Escaped, since a
     * newline in it would split the one-line message. */
    char dir[1024] = "", named[sizeof dir + 4] = "";
    if (step == STEP_WORKING_DIRECTORY && t->cwd) {
        cordon__escape_text_keeping_utf8(dir, sizeof dir, t->cwd, strlen(t->cwd));
        snprintf(named, sizeof named, " '%s'", dir);
    }
    /* Said as a start that outgrew the limit by its cgroup's kill is:
     * the same cause, met as a failed allocation (an init's copy of a
     * large caller's page tables). */
    if (error == ENOMEM && t->limits[CORDON_LIMIT_MEMORY] && !setup->task_start_ns) {
        char how[160];
        snprintf(how, sizeof how, "did not fit in it (%s: %s)", cordon__step_name(step),
                 strerror(error));
        say_start_outgrew_memory(t, how);
    } else {
        cordon__buffer_printf(&t->exc_out, "ConfinementError: the task's child failed %s%s: %s\n",
                              cordon__step_name(step), named, strerror(error));
    }
    if (setup->exit_refused)
        cordon__buffer_printf(&t->exc_out, "  (and could not even exit: the task's policy "
                              "refuses exit_group and exit, so every task under it ends in a "
                              "crash; allow both)\n");
    if (step == STEP_WORKING_DIRECTORY && error == ENOENT && t->cwd)
        cordon__explain_hidden(t, t->cwd, "the working directory");
    if (step == STEP_WORKING_DIRECTORY && t->cwd && error == ENAMETOOLONG)
        cordon__buffer_printf(&t->exc_out, "  (its path is longer than PATH_MAX: give one whose "
                              "absolute path is shorter than PATH_MAX, %d bytes)\n", PATH_MAX);
    if (step == STEP_WORKING_DIRECTORY && !t->cwd && (error == ENOENT || error == ENAMETOOLONG))
        cordon__buffer_printf(&t->exc_out, "  (a task in a mount namespace of its own, or run as "
                              "another user, enters the caller's working directory again by its "
                              "path, and %s: give the task one, cordon run --cwd or "
                              "cordon_set_cwd)\n",
                              error == ENOENT ? "the caller's was deleted"
                                              : "the caller's path is longer than PATH_MAX");
    /* A root caller's task runs as nobody: a directory of root's the
     * caller enters is refused to it, which the caller cannot see from
     * the message alone. */
    if (step == STEP_WORKING_DIRECTORY && error == EACCES && launch->switch_user &&
        launch->uid != geteuid())
        cordon__buffer_printf(&t->exc_out, "  (the task runs as user %u%s, not as this process: "
                              "give it a directory that user may enter, or run it as this "
                              "process's user: cordon run --user, cordon_set_user)\n",
                              (unsigned)launch->uid, launch->uid == 65534 ? " (nobody)" : "");
    /* A limit smaller than cordon's start: the child is a copy of the
     * caller until the task's own code begins, and under a memory limit
     * that copy's pages count. */
    if (error == ENOMEM && t->limits[CORDON_LIMIT_MEMORY] && setup->task_start_ns)
        cordon__buffer_printf(&t->exc_out, "  (under its memory limit of %llu bytes: the task's "
                              "start, a copy of this process until the task's own code runs, "
                              "did not fit in it)\n",
                              (unsigned long long)t->limits[CORDON_LIMIT_MEMORY]);
    /* A fresh child is never a group leader, so its setsid fails with
     * EPERM only by a filter this process is under itself: cordon's for a
     * task whose tree its process group holds (policy_variant.c), or any
     * other that refuses setsid. */
    if (step == STEP_PROCESS_GROUP && error == EPERM && prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 2)
        cordon__buffer_printf(&t->exc_out, "  (this process is under a seccomp filter that "
                              "refuses setsid, so it runs no tasks of its own: cordon's, for a "
                              "task without a pid namespace or a v2 cgroup, which its process "
                              "group holds, or a policy's or a container's)\n");
    if (step == STEP_NAMESPACES && error == ESTALE && (launch->namespaces & CORDON__NAMESPACE_MOUNT))
        cordon__buffer_printf(&t->exc_out, "  (a path of the task's view was moved by a rename, "
                              "or a link put on its way, since cordon looked it up: a bind's "
                              "source or target, or a mount of the caller's that the view covers; "
                              "nothing of the task ran)\n");
    if (step == STEP_NAMESPACES && launch->lacks_namespaces)
        cordon__buffer_printf(&t->exc_out, "  (the task's options need namespaces this "
                              "process cannot make: %s)\n", cordon__namespaces_missing_why());
    uint64_t open_files = t->limits[CORDON_LIMIT_OPEN_FILES];
    /* EBADF: an fd of cordon's moved to its number (a set-up hook's
     * reserved fd 5) at or above the limit. */
    if (open_files && (error == EMFILE || (error == EBADF && step == STEP_FILE_DESCRIPTORS &&
                                           open_files <= CORDON__CLEAR_REFS_FD)))
        cordon__buffer_printf(&t->exc_out,
                              "  (the open-files limit of %llu leaves no fd for cordon's own "
                              "set-up: fds 0-3, and under a policy the seccomp listener and "
                              "the socket that carries it; allow at least 6)\n",
                              (unsigned long long)open_files);
    return true;
}

/* A function that returned: its process exits 0 whatever the function
 * returned, and the return value is its exit code. */
static bool function_returned(const cordon_task *t, const cordon__shared *shared, int status)
{
    return t->kind == KIND_FUNCTION && shared->finished && !shared->raised && WIFEXITED(status) &&
           WEXITSTATUS(status) == 0;
}

/* The task's own ending, kept whatever exception names it: the exit code
 * (a function's return value), or 128+N and the signal N. */
static void own_ending(cordon_task *t, const cordon__shared *shared, int status)
{
    t->result.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    t->result.exit_code = t->result.signal                       ? 128 + t->result.signal
                          : function_returned(t, shared, status) ? shared->function_return
                          : WIFEXITED(status)                    ? WEXITSTATUS(status)
                                                                 : 0;
}

/* Died of a signal, or ended with a non-zero exit code: a function that
 * returned non-zero failed as a command that exits non-zero does. */
static bool failed(const cordon_task *t, const cordon__shared *shared, int status)
{
    if (WIFSIGNALED(status))
        return true;
    if (function_returned(t, shared, status))
        return shared->function_return != 0;
    return WIFEXITED(status) && WEXITSTATUS(status) != 0;
}

/* Whatever the exception, a task killed by a signal reads as a shell
 * would report it: 128+N. */
static void record_killing_signal(cordon_task *t, int status)
{
    t->result.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    if (t->result.signal)
        t->result.exit_code = 128 + t->result.signal;
}

/* A limit reached in cordon's start of the task, before its own code
 * began: a ConfinementError, and no task ran, so nothing held one. */
static void start_did_not_fit(cordon_task *t, const cordon__attempt_state *s)
{
    set_exception(t, "ConfinementError");
    t->confinement_not_reached = true;
    t->code_began = false;
    t->result.exit_code = 125;
    record_killing_signal(t, s->wait_status);
}

/* The child ended as a failed set-up step of cordon's (and, for a
 * function, before its function finished): the record is the word of
 * any process a set-up hook forked, which kept it mapped. */
static bool ended_in_setup(const cordon_task *t, const cordon__setup_record *setup,
                           const cordon__shared *shared, int status)
{
    bool failed_exit = (WIFEXITED(status) && WEXITSTATUS(status) == CORDON__CHILD_SETUP_FAILED) ||
                       (WIFSIGNALED(status) && setup->exit_refused);
    return failed_exit && setup->setup_step > STEP_NONE && setup->setup_step < STEP_COUNT_ &&
           !(t->kind == KIND_FUNCTION && shared->finished);
}

/* Whether the first process's own clock, read just before its filter as
 * the task began (lib/child.c), was already past the CPU limit: the limit
 * was reached in cordon's start, whatever ran before the kill of the
 * check that saw it landed (a command from a large caller under a limit
 * of 5 ms, killed as its exec failed, was a CpuLimit).  Less its
 * give-back of the caller's copy, which the count leaves out
 * (lib/tree_cpu.c).  A lower bound of the start's cost: the filter's
 * install comes after the read. */
static bool start_was_past_the_cpu_limit(const cordon__attempt_state *s,
                                         const cordon__setup_record *setup)
{
    uint64_t give_back = cordon__first_process_give_back_ns(s);
    uint64_t start_cpu = setup->cpu_at_task_start_ns > give_back
                             ? setup->cpu_at_task_start_ns - give_back : 0;
    return s->cpu_limit_ns && setup->task_start_ns && start_cpu >= s->cpu_limit_ns;
}

/* The first process ended by itself, failing, before the limit was
 * reached, and only what came after (the ending of the processes cordon's
 * end-of-task kill reached, each freeing its memory) took the count past
 * it: the task's own failure, not the limit's (a task that failed at
 * 1,953 ms of 2,000 was a CpuLimit "when they were killed", with nothing
 * killed at the limit).  Its end and the tree's count then: in a pid
 * namespace as the init timed and counted them, else as the caller's
 * loop saw the end, just before its kill.  A signal it died of is its own
 * too (SIGKILL or SIGXCPU it sent itself, 985 ms into a 1 s limit): every
 * kill of the limit's comes at or past it, from a check that saw it
 * (before that end), the init's hold (its own count), or the process's
 * own RLIMIT_CPU (its CPU, in the count, past the limit). */
static bool failed_before_the_limit(const cordon__attempt_state *s)
{
    uint64_t end = s->in_namespaces ? cordon__first_process_end_ns(s) : s->first_end_seen_ns;
    if (!end || __atomic_load_n(&s->init_report->cpu_limit_reached_ns, __ATOMIC_ACQUIRE))
        return false;
    if (s->cpu_exceeded_seen_ns && s->cpu_exceeded_seen_ns <= end)
        return false;
    uint64_t at_end = s->in_namespaces
                          ? __atomic_load_n(&s->init_report->cpu_at_task_end_ns, __ATOMIC_ACQUIRE)
                          : s->cpu_at_first_end_ns;
    return at_end && at_end - 1 < s->cpu_limit_ns;
}

/* A first process that died of a signal is put down to a limit only when
 * the limit's counter moved as it ended: the caller's loop looks every
 * 100 ms (lib/collect.c), so within a look and a margin.  Killed from
 * outside 3 s after a child's OOM kill, it had read as a MemoryLimit (and
 * after a refused fork as a ProcessLimit); a non-zero exit is the task's
 * own word that it failed, whenever the limit acted.  Without a time
 * seen (nothing looked), as before. */
#define LIMIT_ACT_WINDOW_NS (250ull * 1000 * 1000)
static bool acted_as_it_ended(const cordon__attempt_state *s, int status, uint64_t seen_ns)
{
    return !WIFSIGNALED(status) || !seen_ns || seen_ns + LIMIT_ACT_WINDOW_NS >= task_end_ns(s);
}

/* The only evidence of a CPU limit is the tree's counter having reached
 * it (seen while the task ran, or in its final figure): never a SIGXCPU
 * or an exit status 152, which any process can produce.  And, as with the
 * memory and process limits, only if the task then failed: one that ended
 * by itself and succeeded between reaching the limit and cordon's kill
 * (between two checks, or as the kill was sent) was not stopped by it,
 * and keeps its ending; its usage shows how far past the limit it got. */
static bool cpu_limit_reached(cordon_task *t, const cordon__attempt_state *s,
                              const cordon__shared *shared, const cordon__setup_record *setup)
{
    uint64_t cpu_ms = t->limits[CORDON_LIMIT_CPU_MS];
    if (!cpu_ms || !s->cpu_exceeded || !failed(t, shared, s->wait_status) ||
        failed_before_the_limit(s))
        return false;
    /* Crossed soon after the task's own memory limit's kill, while the
     * victim's ending (its memory freed, counted as the tree's CPU) may
     * have done it (lib/collect.c, in_oom_ending): a task 60 ms under its
     * CPU limit whose child the memory limit killed was a CpuLimit.  The
     * memory limit, which acted first, names it, where it does name it:
     * a crossing that came later than its window of the task's end (the
     * victim's ending is counted longer, up to 2 s, for a large limit)
     * had neither name, a bare SIGKILL. */
    if (s->cpu_crossed_in_oom_ending && s->oom_killed &&
        acted_as_it_ended(s, s->wait_status, s->oom_kill_seen_ns))
        return false;
    /* A child that ended as a failed set-up step (an exec of a command
     * that is not there, from a large caller whose copy the kernel freed
     * on the limit's count) ended by that failure: it is said below. */
    if (ended_in_setup(t, setup, shared, s->wait_status))
        return false;
    /* Reached before the task's own code began: by cordon's start of it
     * (a limit of 1 ms ended a task whose usage said it never ran: all
     * zeros, beside "used 1 ms"), as start_outgrew_memory_limit's; or
     * reached by the start, whose check's kill landed after it began. */
    bool past_at_start = start_was_past_the_cpu_limit(s, setup);
    if (!setup->task_start_ns || past_at_start) {
        if (past_at_start) /* what ran after was past its limit: none of its own */
            t->result.usage = (cordon_usage){ .wall_us = t->result.usage.wall_us };
        start_did_not_fit(t, s);
        cordon__buffer_printf(&t->exc_out, "ConfinementError: the task could not start within "
                              "its CPU time limit of %llu ms: its start (cordon's set-up of its "
                              "process, before the task's own code runs) used %llu ms of it\n",
                              (unsigned long long)cpu_ms,
                              (unsigned long long)(s->cpu_used_ns / 1000000u));
        return true;
    }
    set_exception(t, "CpuLimit");
    own_ending(t, shared, s->wait_status);
    uint64_t used_ms = s->cpu_used_ns / 1000000u, at_kill_ms = s->cpu_at_kill_ns / 1000000u;
    /* Processes killed still spend CPU on their ending (their exits, the
     * freeing of their memory): some 0.1-1 ms each, counted as theirs.
     * Said apart, so that a late count does not read as a late kill. */
    char at_kill[96] = "";
    if (at_kill_ms && used_ms > at_kill_ms + 1)
        snprintf(at_kill, sizeof at_kill, " (%llu ms when they were killed; their ending took "
                 "the rest)", (unsigned long long)at_kill_ms);
    cordon__buffer_printf(&t->exc_out,
                          "CpuLimit: the task's processes used %llu ms of CPU time, reaching "
                          "its limit of %llu ms%s\n",
                          (unsigned long long)used_ms, (unsigned long long)cpu_ms, at_kill);
    return true;
}

/* A refusal the task handled is what it saw, not an ending: a memory or
 * process limit is named only when its own counter says it acted (the
 * task's cgroup's limit was reached: an OOM kill, a refused fork) and the
 * task then failed — exited non-zero or died of a signal.  The exit code
 * and the signal stay the task's own. */
static bool cgroup_limit_reached(cordon_task *t, const cordon__attempt_state *s,
                                 const cordon__shared *shared)
{
    int status = s->wait_status;
    if (!failed(t, shared, status))
        return false;
    if (s->oom_killed && acted_as_it_ended(s, status, s->oom_kill_seen_ns)) {
        set_exception(t, "MemoryLimit");
        own_ending(t, shared, status);
        /* The cgroup counts its OOM kills, not whom they hit: a first
         * process that died of SIGKILL may have sent it itself after a
         * child of its was the victim. */
        cordon__buffer_printf(&t->exc_out, "MemoryLimit: the task reached its memory limit of "
                              "%llu bytes and the kernel killed one of its processes\n",
                              (unsigned long long)t->limits[CORDON_LIMIT_MEMORY]);
        if (s->cpu_crossed_in_oom_ending && s->cpu_exceeded)
            cordon__buffer_printf(&t->exc_out, "  (then its CPU time reached its limit of %llu "
                                  "ms as that process ended, and its tree was killed)\n",
                                  (unsigned long long)t->limits[CORDON_LIMIT_CPU_MS]);
        return true;
    }
    if (s->pids_limited && acted_as_it_ended(s, status, s->pids_refusal_seen_ns)) {
        set_exception(t, "ProcessLimit");
        own_ending(t, shared, status);
        /* pids.max counts threads as processes, as RLIMIT_NPROC does. */
        unsigned long long most = t->limits[CORDON_LIMIT_PROCESSES];
        cordon__buffer_printf(&t->exc_out, "ProcessLimit: the task tried to run more than %llu "
                              "%s at once and then failed\n", most,
                              cordon__plural(most, "process or thread", "processes and threads"));
        return true;
    }
    return false;
}

/* RLIMIT_FSIZE's only report is its signal: the task killed by SIGXFSZ
 * under a file size limit.  The kernel sends it as SI_USER from the
 * writer itself, as kill(2) would, so it is evidence only where the
 * task's filter refused every way the task would send it itself
 * (sandbox/policy_variant_signals.c).  A shell's exit status 153 for a
 * child that died of it is a number any task can choose: never. */
static bool file_size_limit_reached(cordon_task *t, const cordon__attempt_state *s, int signo)
{
    if (!t->limits[CORDON_LIMIT_FILE_SIZE] || signo != SIGXFSZ || !s->sigxfsz_refused ||
        s->file_size_lowered || s->signal_source_used)
        return false;
    set_exception(t, "FileSizeLimit");
    cordon__buffer_printf(&t->exc_out,
                          "FileSizeLimit: the task died of SIGXFSZ, the kernel's signal for "
                          "a write past its file size limit of %llu %s\n",
                          (unsigned long long)t->limits[CORDON_LIMIT_FILE_SIZE],
                          cordon__bytes(t->limits[CORDON_LIMIT_FILE_SIZE]));
    return true;
}

/* The set-up hook's ending, as cordon's code in the child recorded it
 * around the call: it returned non-zero (its message follows, escaped:
 * the hook runs what it loads), or the process ended while it ran. */
static bool setup_hook_ended(cordon_task *t, const cordon__setup_record *setup,
                             const cordon__shared *shared, int status)
{
    if (t->kind != KIND_FUNCTION)
        return false;
    if (setup->hook_state == HOOK_FAILED && WIFEXITED(status) &&
        setup->setup_step == STEP_SETUP_HOOK) {
        set_exception(t, "SetupError");
        t->result.exit_code = 125;
        size_t len = strnlen(setup->hook_message, sizeof setup->hook_message);
        cordon__buffer_printf(&t->exc_out, "SetupError: ");
        if (len)
            cordon__buffer_append_escaped(&t->exc_out, setup->hook_message, len);
        else
            cordon__buffer_printf(&t->exc_out, "the set-up hook returned %d", setup->hook_return);
        cordon__buffer_append(&t->exc_out, "\n", 1);
        return true;
    }
    if (setup->hook_state != HOOK_RUNNING)
        return false;
    set_exception(t, "SetupError");
    own_ending(t, shared, status);
    if (!WIFSIGNALED(status)) {
        cordon__buffer_printf(&t->exc_out, "SetupError: the set-up hook ended the task's process "
                              "(exit status %d) before the function ran\n", t->result.exit_code);
        return true;
    }
    int signo = WTERMSIG(status);
    const char *name = cordon_signal_name(signo);
    cordon__buffer_printf(&t->exc_out, "SetupError: the set-up hook was killed by %s\n",
                          name ? name : "a signal");
    const cordon__crash_record *crash = &shared->crash;
    cordon__crash_record plain = { .signal = signo };
    bool recorded = crash->signal == signo;
    cordon__crash_report(&t->exc_out, recorded ? crash : &plain, recorded, true,
                         (uintptr_t)t->setup_fn);
    return true;
}

static void signal_ending(cordon_task *t, const cordon__attempt_state *s,
                          const cordon__shared *shared, const cordon__setup_record *setup,
                          const cordon__launch *launch, int signo)
{
    t->result.signal = signo;
    t->result.exit_code = 128 + signo;
    if (file_size_limit_reached(t, s, signo))
        return;
    const cordon__crash_record *crash = t->kind == KIND_FUNCTION ? &shared->crash : NULL;
    bool recorded = crash && crash->signal == signo;
    bool filtered = !t->policy_set || t->policy != NULL;
    /* A filter that notifies reports its violations on the listener: a
     * bare SIGSYS is then the task's own (kill -SYS $$).  Without the
     * listener, a filter's kill is a SIGSYS with nothing more to see, and
     * evidence only where the task could not send itself one. */
    bool trapped = recorded && crash->syscall_nr >= 0 &&
                   cordon__policy_may_trap(t->policy_set ? t->policy
                                                         : cordon__policy_builtin_default(),
                                           crash->syscall_nr);
    if (signo == SIGSYS && filtered &&
        (trapped || (!s->listener_received && s->sigsys_is_evidence))) {
        set_exception(t, "PolicyViolation");
        const char *name = trapped ? cordon__syscall_name(crash->syscall_nr) : NULL;
        if (name)
            cordon__buffer_printf(&t->exc_out, "PolicyViolation: the seccomp filter refused "
                                  "%s\n", name);
        else
            cordon__buffer_printf(&t->exc_out, "PolicyViolation: the seccomp filter killed the "
                                  "task (a forbidden syscall or a foreign-ABI call)\n");
        return;
    }
    const char *name = cordon_signal_name(signo);
    set_exception(t, name ? name : "Signal");
    cordon__crash_record plain = { .signal = signo };
    if (recorded)
        cordon__crash_report_loaded(&t->exc_out, crash, (uintptr_t)t->fn, setup);
    else
        cordon__crash_report(&t->exc_out, &plain, false, t->kind == KIND_FUNCTION,
                             (uintptr_t)t->fn);
    /* Under an address-space limit a refused mapping is no MemoryLimit:
     * the loader's or the program's failure to map shows as a crash
     * (python3 under --mem 4M as nobody: a SIGSEGV, "no backtrace"). */
    /* The init killed from outside (root, or the caller's own user): the
     * kernel ends a pid namespace's every process with its init, and the
     * ending read as a SIGKILL someone sent the task. */
    bool ended_by_cordon = s->ending_left || (s->tree_killed_ns && s->tree_killed_ns < s->ended_ns);
    if (signo == SIGKILL && s->in_namespaces && !ended_by_cordon &&
        !__atomic_load_n(&launch->init_report->task_status_valid, __ATOMIC_ACQUIRE))
        cordon__buffer_printf(&t->exc_out, "  (cordon's init, which held the task's tree in "
                              "its pid namespace, was killed from outside cordon, and the "
                              "kernel killed the tree with it)\n");
    if ((signo == SIGSEGV || signo == SIGBUS) && launch->limit_set[RLIMIT_AS])
        cordon__buffer_printf(&t->exc_out, "  (its memory limit of %llu %s is an address-space "
                              "limit here, RLIMIT_AS, for want of a memory cgroup: a mapping "
                              "refused under it, the program's or its loader's, may show as "
                              "this crash)\n",
                              (unsigned long long)t->limits[CORDON_LIMIT_MEMORY],
                              cordon__bytes(t->limits[CORDON_LIMIT_MEMORY]));
    if (signo == SIGSYS && filtered && !s->listener_received && !s->sigsys_is_evidence)
        cordon__buffer_printf(&t->exc_out, "  (the task's filter has no listener and its rules "
                              "let the task send itself SIGSYS, or make a filter or a timer "
                              "that does, so this is not taken as a policy violation)\n");
    if (signo == SIGXFSZ && s->file_size_lowered)
        cordon__buffer_printf(&t->exc_out, "  (the caller's own file size limit, lower than the "
                              "task's %llu %s, is what the task had, so this is not taken as "
                              "the task's limit)\n",
                              (unsigned long long)t->limits[CORDON_LIMIT_FILE_SIZE],
                              cordon__bytes(t->limits[CORDON_LIMIT_FILE_SIZE]));
    else if (signo == SIGXFSZ && t->limits[CORDON_LIMIT_FILE_SIZE] && s->signal_source_used)
        cordon__buffer_printf(&t->exc_out, "  (the task had a file size limit of %llu %s, but "
                              "it set a timer or a message queue notification, whose signal may "
                              "be this one, so this is not taken as the limit)\n",
                              (unsigned long long)t->limits[CORDON_LIMIT_FILE_SIZE],
                              cordon__bytes(t->limits[CORDON_LIMIT_FILE_SIZE]));
    else if (signo == SIGXFSZ && t->limits[CORDON_LIMIT_FILE_SIZE])
        cordon__buffer_printf(&t->exc_out, "  (the task had a file size limit of %llu %s, but "
                              "nothing kept it from sending itself SIGXFSZ (no filter, or a "
                              "policy that allows it), so this is not taken as the limit)\n",
                              (unsigned long long)t->limits[CORDON_LIMIT_FILE_SIZE],
                              cordon__bytes(t->limits[CORDON_LIMIT_FILE_SIZE]));
    uint64_t used_ns = cordon__rusage_cpu_ns(&s->rusage);
    cordon__limit_clamps_explain(t, launch, used_ns > s->cpu_used_ns ? used_ns : s->cpu_used_ns,
                                 signo);
}

/* The classes cordon raises itself: a task that raises one of them would
 * pass for a real limit, deadline or violation (and be retried as one). */
static bool reserved_class(const char *name)
{
    static const char *const reserved[] = {
        "Timeout", "CpuLimit", "MemoryLimit", "FileSizeLimit", "ProcessLimit",
        "PolicyViolation", "ExecError", "ConfinementError", "InvalidException", "Signal",
        "Cancelled", "SetupError", "StdinError",
        "ok", /* what cordon report and batch call a success */
    };
    for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++) {
        if (strcmp(name, reserved[i]) == 0)
            return true;
    }
    /* "exit:N" is how batch and report name an ending by exit status: a
     * raised "exit:3" read there as the task's exit 3. */
    return strncmp(name, "SIG", 3) == 0 || strncmp(name, "exit:", 5) == 0;
}

/* A class name is an identifier: letters, digits, '_', '.', '-', ':'. */
static bool well_formed_class(const char *name)
{
    if (!name[0])
        return false;
    for (const char *c = name; *c; c++) {
        bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') || *c == '_' || *c == '.' || *c == '-' || *c == ':';
        if (!ok)
            return false;
    }
    return true;
}

/* The class as given: quoted, or NULL. */
static void quote_class(cordon_task *t, const cordon__shared *shared, const char *class_name)
{
    if (shared->raise_class_null) {
        cordon__buffer_printf(&t->exc_out, "NULL");
        return;
    }
    cordon__buffer_append(&t->exc_out, "'", 1);
    cordon__buffer_append_escaped(&t->exc_out, class_name, strlen(class_name));
    cordon__buffer_append(&t->exc_out, "'", 1);
}

static void raised_ending(cordon_task *t, const cordon__shared *shared)
{
    char class_name[CORDON_CLASS_MAX];
    memcpy(class_name, shared->raise_class, sizeof class_name);
    class_name[sizeof class_name - 1] = '\0';
    size_t len = strnlen(shared->raise_message, sizeof shared->raise_message);
    t->result.exit_code = 1;
    if (shared->raise_without_ctx) {
        set_exception(t, "InvalidException");
        cordon__buffer_printf(&t->exc_out, "InvalidException: the task called cordon_raise "
                              "with a NULL ctx, for the class ");
        quote_class(t, shared, class_name);
        cordon__buffer_printf(&t->exc_out, ": ");
    } else if (shared->raise_class_null) {
        set_exception(t, "InvalidException");
        cordon__buffer_printf(&t->exc_out, "InvalidException: the task raised a NULL class: ");
    } else if (well_formed_class(class_name) && !reserved_class(class_name)) {
        set_exception(t, class_name);
        cordon__buffer_printf(&t->exc_out, "%s: ", t->exception_class);
        cordon__result_message_raised(t, shared->raise_message, len);
    } else {
        set_exception(t, "InvalidException");
        cordon__buffer_printf(&t->exc_out, "InvalidException: the task raised the class '");
        cordon__buffer_append_escaped(&t->exc_out, class_name, strlen(class_name));
        cordon__buffer_printf(&t->exc_out, "', %s: ",
                              shared->raise_class_cut
                                  ? "which is longer than a class name may be (63 bytes)"
                              : well_formed_class(class_name) ? "which is reserved for cordon's "
                              "own exceptions" : "which is not a class name");
    }
    cordon__buffer_append_escaped(&t->exc_out, shared->raise_message, len);
    cordon__buffer_append(&t->exc_out, "\n", 1);
}

/* `shared` is the parent's copy of the header; the returned bytes are
 * read from the region itself once their length has been checked. */
static void function_ending(cordon_task *t, const cordon__shared *shared,
                            const cordon__launch *launch, int status)
{
    if (shared->raised) {
        raised_ending(t, shared);
        return;
    }
    if (!shared->finished) {
        /* The function called exit() itself: its status is all we have. */
        t->result.exit_code = status;
        return;
    }
    t->result.exit_code = shared->function_return;
    uint64_t len = shared->return_len;
    if (shared->return_state == RETURN_COMMITTED && len <= launch->return_capacity)
        cordon__buffer_append(&t->returns, (const char *)launch->shared->return_data, (size_t)len);
}

/* The memory limit reached before the task's own code began: by cordon's
 * start, a copy of the caller whose pages count once touched, not by the
 * task, which never ran. */
static bool start_outgrew_memory_limit(cordon_task *t, const cordon__setup_record *setup,
                                       const cordon__attempt_state *s)
{
    if (setup->task_start_ns || !s->oom_killed)
        return false;
    start_did_not_fit(t, s);
    say_start_outgrew_memory(t, "reached it, and the kernel killed it");
    return true;
}

/* A task cordon ended because what confined it could not be trusted to
 * hold: a ConfinementError (125), or 128+N for the signal it died of. */
static void ended_by_cordon(cordon_task *t, int status)
{
    set_exception(t, "ConfinementError");
    t->result.exit_code = 125;
    record_killing_signal(t, status);
}

/* The listener's socket carried something not of cordon's making (a
 * set-up hook's own listener): which filter the parent watched is
 * unknown, so neither a violation nor its absence is evidence.  Named
 * before anything the listener reported. */
static bool handover_forged(cordon_task *t, const cordon__attempt_state *s, int status)
{
    if (!s->handover_forged)
        return false;
    ended_by_cordon(t, status);
    cordon__buffer_printf(&t->exc_out, "ConfinementError: the channel that hands cordon the "
                          "seccomp filter's listener carried %s, not of cordon's making (a "
                          "set-up hook's?): the filter's reports could not be trusted, and the "
                          "task was ended\n", s->handover_forged);
    return true;
}

/* A process of the task left the CPU counter (lib/tree_cpu.c,
 * lib/tree_cpu_followed.c), where nothing else counts all it starts, or
 * the records of which processes it follows were lost: the limit could
 * not be held, and the task was ended. */
static bool left_the_counter(cordon_task *t, const cordon__attempt_state *s, int status)
{
    if ((!s->left_the_counter && !s->counter_records_lost) || s->cpu_exceeded)
        return false;
    ended_by_cordon(t, status);
    if (s->left_the_counter)
        cordon__buffer_printf(&t->exc_out, "ConfinementError: a process of the task (%d) left "
                              "the CPU counter, which the kernel takes off a process whose exec "
                              "involved a file its user may not read (the program, its "
                              "interpreter or its loader), with all it starts",
                              (int)s->left_the_counter);
    else
        cordon__buffer_printf(&t->exc_out, "ConfinementError: the task started and ended "
                              "processes faster than cordon could follow which of them the CPU "
                              "counter counts (the kernel's records of them were lost)");
    cordon__buffer_printf(&t->exc_out, "; without a v2 cgroup nothing else counts every one of "
                          "them, so the CPU limit of %llu ms could not be held: the task was "
                          "ended\n", (unsigned long long)(s->cpu_limit_ns / 1000000u));
    return true;
}

/* One copy of what the child wrote, read once: a process of the task that
 * is still dying cannot change a field between its check and its use. */
static void snapshot(const cordon__launch *launch, cordon__setup_record *setup,
                     cordon__shared *shared)
{
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    memcpy(setup, launch->setup, sizeof *setup);
    memcpy(shared, launch->shared, sizeof *shared);
}

static unsigned confinement(const cordon__attempt_state *s, const cordon__launch *l)
{
    unsigned held = 0;
    if (l->policy)
        held |= CORDON_CONFINED_SECCOMP;
    if (l->landlock_ruleset >= 0)
        held |= CORDON_CONFINED_LANDLOCK;
    if (s->in_namespaces) {
        held |= CORDON_CONFINED_PID_NAMESPACE;
        if (l->namespaces & CORDON__NAMESPACE_MOUNT)
            held |= CORDON_CONFINED_OWN_PROC;
        if (l->namespaces & CORDON__NAMESPACE_USER)
            held |= CORDON_CONFINED_USER_NAMESPACE;
        if (l->namespaces & CORDON__NAMESPACE_IPC)
            held |= CORDON_CONFINED_IPC_NAMESPACE;
    }
    if (l->cgroup.count)
        held |= CORDON_CONFINED_CGROUP;
    return held;
}

uint64_t cordon__first_process_end_ns(const cordon__attempt_state *s)
{
    if (!s->in_namespaces ||
        !__atomic_load_n(&s->init_report->task_status_valid, __ATOMIC_ACQUIRE))
        return 0;
    return s->init_report->task_end_ns;
}

/* cordon_cancel's kill ended the task: asked for before any limit or the
 * deadline killed it, and the task died of SIGKILL (a task that ended by
 * itself before the kill reached it keeps its own ending).  A caller held
 * up (a slow output callback) acts on a cancel late, after a task that
 * killed itself had ended: in namespaces the init's time of that end says
 * whether the kill came first; without them there is no such time. */
static bool cancelled(cordon_task *t, const cordon__attempt_state *s, int status)
{
    /* A crossing of the CPU limit seen after cordon_cancel's own kill (made
     * from the caller's thread, before this loop saw the cancel) was the
     * killed processes' ending, not the limit. */
    bool crossed_first = s->cpu_exceeded &&
                         !(s->cpu_exceeded_seen_ns && s->cancel_kill_ns &&
                           s->cpu_exceeded_seen_ns >= s->cancel_kill_ns);
    if (!s->cancelled || s->timed_out || crossed_first || !WIFSIGNALED(status) ||
        WTERMSIG(status) != SIGKILL)
        return false;
    uint64_t end = cordon__first_process_end_ns(s);
    if (end && end < s->cancel_kill_ns)
        return false;
    set_exception(t, "Cancelled");
    record_killing_signal(t, status);
    cordon__buffer_printf(&t->exc_out, "Cancelled: the caller cancelled the task (%s); "
                          "its whole tree was killed\n",
                          t->cancelled_by ? t->cancelled_by : "cordon_cancel");
    return true;
}

void cordon__refuse_start(cordon_task *t, const char *why)
{
    set_exception(t, "ConfinementError");
    t->result.exit_code = 125;
    cordon__buffer_printf(&t->exc_out, "ConfinementError: the task was not started: %s\n", why);
    t->start_refused = true;
}

bool cordon__ended_before_deadline(const cordon__attempt_state *s)
{
    uint64_t end = s->deadline_ns ? cordon__first_process_end_ns(s) : 0;
    return end && end < s->deadline_ns;
}

void cordon__classify(cordon_task *t, const cordon__attempt_state *s,
                      const cordon__launch *launch)
{
    t->result.confinement = confinement(s, launch);
    cordon__setup_record setup;
    cordon__shared copy, *shared = &copy;
    snapshot(launch, &setup, &copy);
    cordon__attempt_state ended = *s;
    /* A task in namespaces ended as its init saw its first process end;
     * an init that did not see it (killed with the tree) ended itself. */
    if (s->in_namespaces &&
        __atomic_load_n(&launch->init_report->task_status_valid, __ATOMIC_ACQUIRE))
        ended.wait_status = launch->init_report->task_status;
    s = &ended;
    fill_usage(&t->result.usage, s);
    if (!cordon__start_note_is_evidence(launch)) {
        setup.task_start_ns = 1; /* begun from the start */
        setup.cpu_at_task_start_ns = 0;
    }
    /* A task whose own code never began (ended in its start: a failed
     * set-up, the deadline, a limit, a kill) used nothing of its own:
     * what its processes used was cordon's copy of the caller (a
     * /bin/true from a caller holding 1 GiB reported a max_rss_kb of
     * 1,050,972 and 29 ms of CPU).  Nor did a command whose exec failed,
     * noted as begun just before it (an ExecError had carried some 1 ms
     * and 1.4 MiB of cordon's own). */
    t->code_began =
        setup.task_start_ns && !(t->kind == KIND_COMMAND && setup.setup_step == STEP_EXEC);
    if (!t->code_began)
        t->result.usage = (cordon_usage){ .wall_us = t->result.usage.wall_us };
    int status = s->wait_status;
    if (handover_forged(t, s, status))
        return;
    if (left_the_counter(t, s, status))
        return;
    if (s->violated) {
        set_exception(t, "PolicyViolation");
        cordon__buffer_printf(&t->exc_out, "PolicyViolation: the policy '%s' forbids %s\n",
                              t->policy ? cordon_policy_name(t->policy) : "default",
                              s->violation);
        own_ending(t, shared, status);
        return;
    }
    if (cancelled(t, s, status))
        return;
    if (cpu_limit_reached(t, s, shared, &setup))
        return;
    /* As for the limits: a task that ended by itself and succeeded as
     * the deadline passed, before the kill reached it, keeps its ending;
     * one that failed then is a Timeout with its own exit code, and one
     * that ended before the deadline is none. */
    bool began_late = s->deadline_ns && setup.task_start_ns >= s->deadline_ns;
    if (began_late)
        t->code_began = false; /* nothing of its own ran before the deadline's kill */
    if (((s->timed_out && failed(t, shared, status)) || began_late) &&
        !cordon__ended_before_deadline(s)) {
        set_exception(t, "Timeout");
        own_ending(t, shared, status);
        /* In a pid namespace the init takes every process with it; else
         * the group is killed, and a cgroup's processes where one holds
         * the tree. */
        const char *killed = s->in_namespaces ? "its whole tree was killed"
                             : s->cgroup && s->cgroup->count
                                 ? "its process group and cgroup were killed"
                                 : "its process group was killed";
        if (began_late)
            cordon__buffer_printf(&t->exc_out, "Timeout: the task began %.1f ms after its%s "
                                  "deadline of %llu ms had passed (its start took that long); "
                                  "%s\n",
                                  (double)(setup.task_start_ns - s->deadline_ns) / 1e6,
                                  s->deadline_is_total ? " total" : "",
                                  (unsigned long long)(s->deadline_is_total ? t->total_timeout_ms
                                                                            : t->timeout_ms),
                                  killed);
        else if (s->deadline_is_total)
            cordon__buffer_printf(&t->exc_out, "Timeout: the task's attempts ran past their total "
                                  "deadline of %llu ms; %s\n",
                                  (unsigned long long)t->total_timeout_ms, killed);
        else
            cordon__buffer_printf(&t->exc_out, "Timeout: the task ran past its deadline of %llu ms; "
                                  "%s\n",
                                  (unsigned long long)t->timeout_ms, killed);
        return;
    }
    if (s->stdin_error) {
        set_exception(t, "StdinError");
        own_ending(t, shared, status);
        if (s->stdin_bad_return) {
            cordon__buffer_printf(&t->exc_out, "StdinError: the stdin callback returned %zd "
                                  "after %llu %s, neither a count of at most %zu bytes (its "
                                  "cap) nor a negative errno; the task was ended\n",
                                  s->stdin_returned, (unsigned long long)s->stdin_fed,
                                  cordon__bytes(s->stdin_fed), s->stdin_chunk_size);
            return;
        }
        cordon__buffer_printf(&t->exc_out, "StdinError: %s failed after %llu %s: %s; "
                              "the task was ended\n",
                              t->stdin_fn ? "the stdin callback" : "reading the stdin fd",
                              (unsigned long long)s->stdin_fed, cordon__bytes(s->stdin_fed),
                              strerror(-s->stdin_error));
        return;
    }
    if (start_outgrew_memory_limit(t, &setup, s))
        return;
    if (cgroup_limit_reached(t, s, shared))
        return;
    /* Ended in the set-up, the hook's or cordon's: the task's own code
     * never began, whatever the start's note says (with a hook it is no
     * evidence, and reads as begun from the start). */
    if (setup_hook_ended(t, &setup, shared, status)) {
        t->code_began = false;
        return;
    }
    if (ended_in_setup(t, &setup, shared, status) && setup_failed(t, &setup, launch)) {
        /* No task ran, so nothing held one: an audit that selects runs by
         * their mechanisms counted this among them. */
        t->confinement_not_reached = !setup.task_start_ns;
        t->code_began = false;
        return;
    }
    if (WIFSIGNALED(status)) {
        signal_ending(t, s, shared, &setup, launch, WTERMSIG(status));
        return;
    }
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
    if (t->kind == KIND_FUNCTION)
        function_ending(t, shared, launch, code);
    else
        t->result.exit_code = code;
}
