/*
 * What is left of a task once cordon stops waiting for its killed tree:
 * its init to reap and its cgroups to remove, done by one thread of the
 * caller's, apart from any task.
 *
 * The kernel frees what a killed process holds in its exit, and a task
 * can make that long: one that touched 512 MiB and forked copies of it
 * until its deadline made each exit unmap those pages once more, and a
 * caller that waited for the tree's end got its result of a 3 s deadline
 * at 5.2-5.8 s (a 10 s one at 16.3 s), whatever its --procs or --mem.
 * Every process of the tree is killed by then (the init, killed, takes
 * its pid namespace with it; a cgroup's are killed one by one): none
 * runs any of the task's code again, so the result is final, less the
 * CPU and faults of the ending itself (README, "Deadline").
 *
 * A process that exits while some remain (the CLI, a batch, a script)
 * leaves their removal to a copy of itself, made at its exit, that holds
 * nothing else of its (not its output, which a reader waits to see
 * closed) and ends with them: the init, its parent gone, is reaped by
 * whoever adopts it.  Where no copy can be made, the next cordon sweeps
 * cgroups whose maker is gone (cordon__cgroup_sweep_orphans).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "../sandbox/fork_reset.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

typedef struct ending {
    struct ending *next;
    bool taken;             /* the thread works on it: kept listed for an exit's copy */
    pid_t pid;              /* the init (or first process) to reap, or 0 */
    int pidfd;              /* its pidfd, or -1; the thread's alone once taken */
    bool has_orphans;       /* a subreaper caller's: the task's orphans to reap */
    cordon__task_orphans orphans;
    cordon__cgroup cgroup;  /* taken over from the task; the thread's alone once taken */
    /* What an exit's copy removes, never changed: the thread may be half
     * way through the cgroup above when the copy is made. */
    int dir_count;
    char *dirs[CORDON_CGROUP_MAX_DIRS];
    cordon__cgroup_version versions[CORDON_CGROUP_MAX_DIRS];
} ending;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t more;
    ending *queue;
    bool thread_running, exit_hook_set;
    pid_t owner;
} endings = { .lock = PTHREAD_MUTEX_INITIALIZER, .more = PTHREAD_COND_INITIALIZER };
CORDON__RESET_IN_FORKED_COPIES(&endings.lock);
CORDON__FORGOTTEN_IN_FORKED_COPIES(&endings.owner);

/* The orphans still dying are waited for this long, in the background. */
#define ORPHANS_WAIT_NS (60ull * 1000 * 1000 * 1000)

/* Through its pidfd where there is one, so that a pid the caller's own
 * wait reaped and the kernel gave to another child is never taken; a
 * caller that ignores SIGCHLD or reaped it already leaves nothing. */
static void reap(const ending *e)
{
    siginfo_t info;
    int rc;
    do {
        rc = e->pidfd >= 0 ? (int)syscall(SYS_waitid, P_PIDFD, e->pidfd, &info, WEXITED | __WALL,
                                          NULL)
                           : waitpid(e->pid, NULL, __WALL);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0 && errno == EINVAL && e->pidfd >= 0) /* a kernel without P_PIDFD (5.4) */
        while (waitpid(e->pid, NULL, __WALL) < 0 && errno == EINTR)
            ;
}

/* The first process, then (a subreaper caller's, without namespaces) the
 * orphans the caller adopts as the killed tree ends, then the cgroups. */
static void finish(ending *e)
{
    if (e->pid > 0)
        reap(e);
    if (e->pidfd >= 0)
        close(e->pidfd);
    e->pidfd = -1;
    if (e->has_orphans)
        cordon__reap_task_orphans(&e->orphans, cordon__now_ns() + ORPHANS_WAIT_NS);
    cordon__cgroup_destroy(&e->cgroup);
}

static void release(ending *e)
{
    free(e->orphans.v2_dir);
    for (int i = 0; i < e->dir_count; i++)
        free(e->dirs[i]);
    free(e);
}

static void unlist(ending *done)
{
    for (ending **at = &endings.queue; *at; at = &(*at)->next)
        if (*at == done) {
            *at = done->next;
            return;
        }
}

static void *ending_thread(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&endings.lock);
    for (;;) {
        ending *e = endings.queue;
        while (e && e->taken)
            e = e->next;
        if (!e) {
            pthread_cond_wait(&endings.more, &endings.lock);
            continue;
        }
        e->taken = true;
        pthread_mutex_unlock(&endings.lock);
        finish(e);
        pthread_mutex_lock(&endings.lock);
        unlist(e);
        release(e);
    }
    return NULL;
}

/* In the copy made at the exit: the init is not its child, so its end is
 * seen on its pidfd (a killed tree ends; one a device holds in the
 * kernel is given up on after a while, for the sweep); the cgroups are
 * removed from the list made at the hand-over, not from what the thread
 * may have been changing. */
#define COPY_WAITS_MS (60 * 1000)
static void finish_in_the_copy(const ending *e)
{
    struct pollfd end = { .fd = e->pidfd, .events = POLLIN };
    while (e->pidfd >= 0 && poll(&end, 1, COPY_WAITS_MS) < 0 && errno == EINTR)
        ;
    cordon__cgroup cg;
    cordon__cgroup_init_empty(&cg);
    for (int i = 0; i < e->dir_count; i++) {
        cg.dirs[i] = strdup(e->dirs[i]); /* removed, not pooled: the copy's pool ends with it */
        cg.versions[i] = e->versions[i];
        cg.count = cg.dirs[i] ? i + 1 : cg.count;
    }
    cordon__cgroup_destroy(&cg);
}

/* The descriptors the copy keeps: 0-2 (on /dev/null) and the pidfds it
 * watches.  NULL where none could be listed (then 0-2 alone). */
static int *kept_fds(size_t *count)
{
    size_t entries = 0;
    for (ending *e = endings.queue; e; e = e->next)
        entries++;
    int *fds = calloc(entries + 3, sizeof *fds);
    *count = 0;
    for (int fd = 0; fds && fd < 3; fd++)
        fds[(*count)++] = fd;
    for (ending *e = endings.queue; fds && e; e = e->next)
        fds[(*count)++] = e->pidfd;
    return fds;
}

/* Holds nothing of the exiting process's but what the endings need: not
 * its output, which a reader waits to see closed. */
static void hold_only_the_endings(void)
{
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd < 3 && null >= 0; fd++)
        dup2(null, fd);
    size_t count;
    int *fds = kept_fds(&count);
    int standard[3] = { 0, 1, 2 };
    cordon__close_all_fds_but(fds ? fds : standard, fds ? count : 3);
}

static void finish_after_exit(void)
{
    /* Only tried: a lock held at the exit (the thread, listing) is left
     * held, and then the sweep removes what is left. */
    if (pthread_mutex_trylock(&endings.lock) != 0)
        return;
    if (endings.owner == getpid() && endings.queue && fork() == 0) {
        setsid();
        prctl(PR_SET_NAME, "cordon-ending"); /* what `ps` shows of it */
        hold_only_the_endings();
        for (ending *e = endings.queue; e; e = e->next)
            finish_in_the_copy(e);
        _exit(0);
    }
    pthread_mutex_unlock(&endings.lock);
}

/* Under the lock.  The thread takes no signal meant for the caller's. */
static bool thread_started(void)
{
    if (endings.owner != getpid()) { /* a forked copy: its parent's queue is not its own */
        endings.queue = NULL;
        endings.thread_running = false; /* exit_hook_set is: atexit's list came along */
        endings.owner = getpid();
    }
    if (!endings.exit_hook_set)
        endings.exit_hook_set = atexit(finish_after_exit) == 0;
    if (endings.thread_running)
        return true;
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0)
        return false;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t thread;
    endings.thread_running = pthread_create(&thread, &attr, ending_thread, NULL) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    return endings.thread_running;
}

/* The list an exit's copy removes: the cgroup's directories as handed over. */
static void note_dirs(ending *e)
{
    for (int i = 0; i < e->cgroup.count; i++) {
        if (!e->cgroup.dirs[i] || !(e->dirs[e->dir_count] = strdup(e->cgroup.dirs[i])))
            continue;
        e->versions[e->dir_count++] = e->cgroup.versions[i];
    }
}

void cordon__ending_hand_over(pid_t pid, int *pidfd, cordon__task_orphans *orphans,
                              cordon__cgroup *cgroup)
{
    ending here = { .next = NULL, .pid = pid, .pidfd = *pidfd, .cgroup = *cgroup };
    if (orphans) {
        here.has_orphans = true;
        here.orphans = *orphans;
        orphans->v2_dir = NULL;
    }
    *pidfd = -1;
    cordon__cgroup_init_empty(cgroup);
    ending *e = malloc(sizeof *e);
    if (!e) { /* done in place: the caller waits, as before */
        finish(&here);
        free(here.orphans.v2_dir);
        return;
    }
    *e = here;
    note_dirs(e);
    pthread_mutex_lock(&endings.lock);
    bool queued = thread_started();
    if (queued) {
        e->next = endings.queue;
        endings.queue = e;
        pthread_cond_signal(&endings.more);
    }
    pthread_mutex_unlock(&endings.lock);
    if (!queued) { /* no thread could be made: the same */
        finish(e);
        release(e);
    }
}
