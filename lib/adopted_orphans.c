/*
 * Without a pid namespace, a process of the task that outlives its parent
 * is adopted by the nearest subreaper above it, and that is the caller
 * when the caller is one (a supervisor's PR_SET_CHILD_SUBREAPER) or pid 1
 * of its pid namespace (an application run as a container's first
 * process).  cordon ends the tree, but nothing reaped what the caller
 * adopted: after three tasks of 100 double forks each, a subreaper caller
 * held 300 zombies for the rest of its life, each counted against its
 * user's processes, and a pids cgroup that counted them could not be
 * removed.  So such a caller reaps, once the tree is ended, each child of
 * its that was the task's: in the task's process group or session (which
 * a task leaves only where a v2 cgroup holds it) or in its v2 cgroup; a
 * child of the caller's own is in none of them.  One still dying is
 * waited for, at most a second; the kill was sent already.
 *
 * The caller's children are found by their parent in /proc; each is
 * pinned by a pidfd and looked at again before it is reaped through it,
 * so that a pid the caller's own thread reaped meanwhile is never taken
 * for the task's (was_the_tasks says why the first process's is not).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define DYING_WAIT_NS (1000ull * 1000 * 1000)

static bool adopts_orphans(void)
{
    int flag = 0;
    return getpid() == 1 || (prctl(PR_GET_CHILD_SUBREAPER, &flag, 0, 0, 0) == 0 && flag);
}

/* Whether /proc/PID/cgroup names the v2 cgroup `dir` (its path, mount
 * point included): the entry is the path below the mount, with
 * " (deleted)" once it is removed. */
static bool in_v2_cgroup(pid_t pid, const char *dir)
{
    char path[64], text[4096];
    snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
    if (cordon__read_small_file(path, text, sizeof text) <= 0)
        return false;
    const char *entry = strncmp(text, "0::", 3) == 0 ? text : strstr(text, "\n0::");
    if (!entry)
        return false;
    entry += entry[0] == '\n' ? 4 : 3;
    size_t len = strcspn(entry, "\n");
    const char *deleted = " (deleted)";
    size_t cut = strlen(deleted);
    if (len > cut && strncmp(entry + len - cut, deleted, cut) == 0)
        len -= cut;
    size_t dir_len = strlen(dir);
    return len > 1 && len <= dir_len && strncmp(dir + dir_len - len, entry, len) == 0;
}

/* The task's: in its v2 cgroup, or in its group or session and started
 * by the time its first process was reaped.  That process's pid is free
 * from then on, and a new child of the caller's that got it and leads a
 * group of its own was taken for the task's and reaped here (its owner's
 * waitpid then failed with ECHILD): that pid is never the task's now,
 * and while any process of the task is in the group its number cannot be
 * given again. */
static bool was_the_tasks(pid_t pid, const cordon__proc_stat *st, const cordon__task_orphans *o)
{
    if (pid == o->group)
        return false;
    if (o->v2_dir && in_v2_cgroup(pid, o->v2_dir))
        return true;
    return o->group > 0 && (st->pgrp == o->group || st->session == o->group) &&
           st->start_time <= o->reaped_at_ticks;
}

/* Reaps the zombie `pid` if it is still the caller's child and the
 * task's once pinned: false while it cannot be reaped yet.  A process
 * whose first thread has ended shows 'Z' while another of its threads
 * still dies (256 MiB of split mappings took seconds), and a waitid then
 * reaps nothing: taken for reaped, it was left a zombie of the caller's
 * for good. */
static bool reap_pinned(pid_t pid, const cordon__task_orphans *o)
{
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0)
        return true; /* gone, or no longer the one looked at */
    bool reaped = true;
    cordon__proc_stat st;
    if (cordon__proc_stat_read(pid, &st) && st.ppid == getpid() && st.state == 'Z' &&
        was_the_tasks(pid, &st, o)) {
        siginfo_t info;
        memset(&info, 0, sizeof info);
        int rc;
        while ((rc = waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, WEXITED | WNOHANG)) != 0 &&
               errno == EINTR)
            ;
        reaped = rc != 0 || info.si_pid != 0;
    }
    close(pidfd);
    return reaped;
}

/* One look over the caller's children: the task's zombies reaped; true
 * while one of the task's is not a zombie yet. */
static bool reap_once(const cordon__task_orphans *o)
{
    DIR *proc = opendir("/proc");
    if (!proc)
        return false;
    bool dying = false;
    pid_t self = getpid();
    struct dirent *entry;
    while ((entry = readdir(proc))) {
        if (!isdigit((unsigned char)entry->d_name[0]))
            continue;
        pid_t pid = (pid_t)atoi(entry->d_name);
        cordon__proc_stat st;
        if (!cordon__proc_stat_read(pid, &st) || st.ppid != self || !was_the_tasks(pid, &st, o))
            continue;
        if (st.state != 'Z' || !reap_pinned(pid, o))
            dying = true;
    }
    closedir(proc);
    return dying;
}

bool cordon__task_orphans_of(const cordon__attempt_state *s, const cordon__launch *l,
                             cordon__task_orphans *o)
{
    *o = (cordon__task_orphans){ .group = s->group, .reaped_at_ticks = s->reaped_at_ticks };
    if (s->in_namespaces || s->pid <= 0 || !adopts_orphans())
        return false;
    if (l->cgroup.v2_dir >= 0 && l->cgroup.dirs[l->cgroup.v2_dir])
        o->v2_dir = strdup(l->cgroup.dirs[l->cgroup.v2_dir]); /* NULL: by group alone */
    return true;
}

/* Looks come 1 ms apart for the first 10 ms, where orphans end, then
 * each twice as far up to 32 ms, and none past the wait's end: a look
 * reads every process's stat (some 0.54 ms over 70 processes here), and
 * one orphan stuck in its ending (in uninterruptible sleep) had the
 * background wait of 60 s look every millisecond: a third of a core. */
#define FIRST_PAUSE_NS (1000ull * 1000)
#define FIRST_PAUSES 10
#define LONGEST_PAUSE_NS (32ull * 1000 * 1000)

bool cordon__reap_task_orphans(const cordon__task_orphans *o, uint64_t until_ns)
{
    bool dying;
    uint64_t pause_ns = FIRST_PAUSE_NS, now;
    unsigned looks = 0;
    while ((dying = reap_once(o)) && (now = cordon__now_ns()) < until_ns) {
        uint64_t left = until_ns - now, wait = pause_ns < left ? pause_ns : left;
        struct timespec pause = { (time_t)(wait / 1000000000u), (long)(wait % 1000000000u) };
        nanosleep(&pause, NULL);
        if (++looks >= FIRST_PAUSES)
            pause_ns = pause_ns * 2 < LONGEST_PAUSE_NS ? pause_ns * 2 : LONGEST_PAUSE_NS;
    }
    return dying;
}

void cordon__reap_adopted_orphans(const cordon__attempt_state *s, const cordon__launch *l)
{
    cordon__task_orphans o;
    if (!cordon__task_orphans_of(s, l, &o))
        return;
    cordon__reap_task_orphans(&o, cordon__now_ns() + DYING_WAIT_NS);
    free(o.v2_dir);
}
