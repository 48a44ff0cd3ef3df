/* Running a task: one attempt, blocking or on a collector thread. */
#include <errno.h>
#include <fcntl.h>
#include <execinfo.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init_once(void)
{
    /* backtrace() loads libgcc's unwinder on first use, which allocates;
     * a crash handler in a function task's process must find it already
     * loaded (lib/task.c: made for the first function task). */
    void *frames[4];
    backtrace(frames, 4);
}

void cordon__global_init(void)
{
    pthread_once(&global_once, global_init_once);
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void release_attempt(cordon__attempt_state *s)
{
    cordon__deadline_watch_stop(&s->deadline_watch); /* a failed start's */
    close_fd(&s->pidfd);
    close_fd(&s->cpu_counter_fd);
    cordon__counter_follower_free(s->counter_follower);
    s->counter_follower = NULL;
    close_fd(&s->stdout_fd);
    close_fd(&s->stderr_fd);
    close_fd(&s->log_fd);
    close_fd(&s->stdin_fd);
    cordon__stdin_source_close(s);
    cordon__terminal_restore(&s->stdin_terminal);
    for (int stream = 0; stream < 3; stream++)
        cordon__pipe_capacity_restore(&s->pipe_capacity[stream]);
    cordon__listener_release(s);
}

/* A failure of cordon's own after the child started: it must not outlive
 * the call. */
static void abandon_child(cordon__attempt_state *s)
{
    if (s->pid <= 0)
        return;
    if (s->group > 0 && !s->in_namespaces)
        kill(-s->group, SIGKILL);
    kill(s->pid, SIGKILL); /* an init takes its namespace with it */
    int status;
    while (waitpid(s->pid, &status, __WALL) < 0 && errno == EINTR)
        ;
}

/* The number of the attempt this thread is starting: a forked child keeps
 * its thread's copy, which is how a function task learns its own. */
static __thread unsigned starting_attempt;

unsigned cordon_attempt_number(cordon_ctx *ctx)
{
    (void)ctx;
    return starting_attempt ? starting_attempt : 1;
}

/* One attempt's parent side: the child's plan and what the parent holds
 * while it runs.  The state points into the launch, so both stay where
 * they are from the start to the finish. */
typedef struct attempt {
    cordon__launch launch;
    cordon__attempt_state state;
} attempt;

/* Forks (or clones) the child; on failure nothing is left behind. */
static int spawn_attempt(cordon_task *t, attempt *a)
{
    cordon__launch *launch = &a->launch;
    cordon__attempt_state *state = &a->state;
    memset(a, 0, sizeof *a);
    launch->stdin_fd = launch->stdout_fd = launch->stderr_fd = launch->log_fd = -1;
    launch->listener_socket = launch->spare_user_fd = launch->spare_net_fd = -1;
    state->pidfd = state->stdout_fd = state->stderr_fd = state->log_fd = state->stdin_fd = -1;
    state->listener_socket = state->listener_fd = state->cancel_fd = state->stdin_source = -1;
    state->stdin_terminal.fd = -1;
    state->cpu_counter_fd = -1;
    starting_attempt = t->result.attempts;
    int rc = cordon__spawn(t, launch, state);
    /* The child has its copies; the parent keeps only its own ends. */
    close_fd(&launch->stdin_fd);
    close_fd(&launch->stdout_fd);
    close_fd(&launch->stderr_fd);
    close_fd(&launch->log_fd);
    close_fd(&launch->listener_socket);
    if (rc < 0) {
        release_attempt(state);
        cordon__launch_release(launch);
    }
    return rc;
}

/* Starts made, at most, while the caller's mount table keeps changing. */
#define MOUNT_CHANGE_STARTS 9

static int attempt_start(cordon_task *t, attempt *a)
{
    cordon__result_reset(t);
    t->start_refused = false;
    for (int stream = 0; stream < 4; stream++) {
        __atomic_store_n(&t->output_closed[stream], false, __ATOMIC_RELEASE);
        __atomic_store_n(&t->output_held[stream], false, __ATOMIC_RELEASE);
    }
    t->async_joined = false;
    /* Nothing of the task ran: started again with what the probe finds
     * (a third time only for ids changed meanwhile, presumed afresh); and
     * after a view copied from another mount table than the one its
     * covers were read from, a few times, a little later each time (a
     * burst of mounts passes), then refused rather than run with a mount
     * left uncovered. */
    int rc = spawn_attempt(t, a);
    for (int presumed = 0, mounts = 1;
         (rc == CORDON__NAMESPACES_NOT_AS_PRESUMED && presumed < 2) ||
         (rc == CORDON__MOUNTS_CHANGED_DURING_START && mounts < MOUNT_CHANGE_STARTS);) {
        if (rc == CORDON__MOUNTS_CHANGED_DURING_START) {
            struct timespec pause = { 0, (long)(1000000L << (mounts < 5 ? mounts - 1 : 4)) };
            nanosleep(&pause, NULL);
            mounts++;
        } else {
            presumed++;
        }
        rc = spawn_attempt(t, a);
    }
    if (rc == CORDON__NAMESPACES_NOT_AS_PRESUMED)
        rc = -EAGAIN;
    if (rc == CORDON__MOUNTS_CHANGED_DURING_START) {
        char why[300];
        snprintf(why, sizeof why, "the machine's mount table changed while each of the task's "
                 "starts copied it for the task's view (a mount made, removed or moved meanwhile), %d "
                 "times: the view could hold a mount of the kernel's that cordon did not cover",
                 MOUNT_CHANGE_STARTS);
        cordon__refuse_start(t, why);
        rc = -EAGAIN;
    }
    if (rc < 0 && t->start_refused) {
        cordon__result_message_fill(t);
        return 1; /* ended without a child, in t->result */
    }
    return rc;
}

/* A profiled function task's plugins, named in its profile after the run
 * (the setup record goes with the attempt): copied as the record has them,
 * checked by the symbolizer that reads them. */
static void keep_hook_objects(cordon_task *t, const cordon__setup_record *setup)
{
    if (!t->profile_objects || !setup)
        return;
    memcpy(t->profile_objects, setup->hook_objects, sizeof setup->hook_objects);
    uint32_t count = __atomic_load_n(&setup->hook_object_count, __ATOMIC_RELAXED);
    t->profile_object_count = count < CORDON_HOOK_OBJECTS ? count : CORDON_HOOK_OBJECTS;
}

/* A killed tree that had not ended CORDON__ENDING_WAIT_NS after its
 * kill is reaped, and its cgroups removed, in the background
 * (lib/background_ending.c): the caller has its result at once, not
 * after the kernel has freed all the killed processes held. */
static void leave_long_endings(cordon__attempt_state *s, cordon__launch *l)
{
    /* A subreaper caller (without namespaces) adopts the task's orphans as
     * they end: reaped here, or with the rest of the ending (they had
     * stayed its zombies for good); a v1 pids cgroup counts a zombie, so
     * before the cgroups go. */
    cordon__task_orphans orphans;
    bool adopts = cordon__task_orphans_of(s, l, &orphans);
    uint64_t until = (s->tree_killed_ns ? s->tree_killed_ns : cordon__now_ns()) +
                     CORDON__ENDING_WAIT_NS;
    if (s->ending_left) {
        cordon__ending_hand_over(s->pid, &s->pidfd, adopts ? &orphans : NULL, &l->cgroup);
    } else {
        bool dying = adopts && cordon__reap_task_orphans(&orphans, until);
        int no_pidfd = -1;
        if (dying || (l->cgroup.count && !cordon__cgroup_destroy_by(&l->cgroup, until)))
            cordon__ending_hand_over(0, &no_pidfd, dying ? &orphans : NULL, &l->cgroup);
    }
    free(orphans.v2_dir); /* NULL once handed over */
}

static void say_ending_left(cordon_task *t, const cordon__attempt_state *s)
{
    if (!s->ending_left || !t->exception_class[0])
        return;
    cordon__buffer_printf(&t->exc_out, "  (cordon did not wait for the end of the killed tree, "
                          "which had not ended %llu ms after its kill: its usage leaves out the "
                          "rest of that ending)\n",
                          (unsigned long long)(CORDON__ENDING_WAIT_NS / 1000000u));
}

/* Watches the started child to its end and turns that into t->result. */
static int attempt_finish(cordon_task *t, attempt *a)
{
    cordon__attempt_state *state = &a->state;
    state->cpu_limit_ns = cordon__ms_to_ns(t->limits[CORDON_LIMIT_CPU_MS]);
    state->memory_limit_bytes = t->limits[CORDON_LIMIT_MEMORY];
    state->processes_limit = t->limits[CORDON_LIMIT_PROCESSES];
    int rc = cordon__collect(t, state);
    if (rc < 0)
        abandon_child(state);
    if (rc == 0) {
        cordon__classify(t, state, &a->launch);
        say_ending_left(t, state);
        keep_hook_objects(t, a->launch.setup);
        cordon__confinement_record(t, state, &a->launch);
        cordon__result_message_fill(t);
        /* Collected to its end: no process of the tree maps the record. */
        a->launch.setup_record_reusable = !a->launch.setup_fn;
    }
    if (rc == 0)
        leave_long_endings(state, &a->launch);
    else /* before its cgroups go: a v1 pids cgroup counts a zombie */
        cordon__reap_adopted_orphans(state, &a->launch);
    release_attempt(state);
    cordon__launch_release(&a->launch);
    if (rc < 0)
        return rc;
    return t->exception_class[0] ? CORDON_EXCEPTION : 0;
}

int cordon__run_once(cordon_task *t)
{
    /* Again for each attempt: the caller may have closed a standard fd
     * since the last, and the attempt's fds would take its number. */
    int rc = cordon__caller_fds_check(t);
    attempt a;
    if (rc == 0)
        rc = attempt_start(t, &a);
    if (rc > 0)
        return CORDON_EXCEPTION;
    if (rc == 0 && t->blocking_running)
        a.state.cancel_fd = t->cancel_pipe[0];
    if (rc == 0)
        rc = attempt_finish(t, &a);
    /* Nothing of it to read (a collection that failed too): the attempts
     * before it, in a retry, stay in the history. */
    if (rc < 0)
        cordon__result_not_run(t);
    return rc;
}

static void close_cancel_pipe(cordon_task *t);

/* Read without the lock: the run's own callbacks (its thread) see their
 * run exactly; another thread, which the header tells to use a task only
 * when no run is going on, sees it as well as atomics give. */
bool cordon__task_running(const cordon_task *t)
{
    return __atomic_load_n(&t->async_running, __ATOMIC_ACQUIRE) ||
           __atomic_load_n(&t->pool, __ATOMIC_ACQUIRE) ||
           __atomic_load_n(&t->blocking_running, __ATOMIC_ACQUIRE);
}

/* A run already going on keeps its cancel pipe and its mark: a second
 * run (from the run's own output callback, or another thread) had
 * replaced the pipe, leaking it, and its end had marked the first run
 * Cancelled; from a callback each run forked the next without end. */
int cordon__blocking_begin(cordon_task *t)
{
    int fds[2];
    /* The caller's fds are checked by each attempt (cordon__run_once);
     * here only held, so that the cancel pipe stays off a closed 0-2. */
    cordon__standard_fds_hold();
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
        return cordon__run_not_started(t, -errno);
    pthread_mutex_lock(&t->done_lock);
    bool busy = t->async_running || t->blocking_running;
    if (!busy) {
        t->cancel_pipe[0] = fds[0];
        t->cancel_pipe[1] = fds[1];
        t->blocking_thread = pthread_self();
        __atomic_store_n(&t->blocking_running, true, __ATOMIC_RELEASE);
        t->cancel_requested = false;
    }
    pthread_mutex_unlock(&t->done_lock);
    if (busy) {
        close(fds[0]);
        close(fds[1]);
        return -EBUSY;
    }
    return 0;
}

void cordon__blocking_end(cordon_task *t)
{
    pthread_mutex_lock(&t->done_lock);
    __atomic_store_n(&t->blocking_running, false, __ATOMIC_RELEASE);
    close_cancel_pipe(t);
    pthread_mutex_unlock(&t->done_lock);
}

bool cordon__cancelled_while_sleeping(cordon_task *t, uint64_t ms)
{
    struct pollfd cancel = { .fd = t->cancel_pipe[0], .events = POLLIN };
    /* Saturating: a delay of 584 years or more wrapped to a retry at once. */
    uint64_t end = cordon__saturating_add(cordon__now_ns(), cordon__ms_to_ns(ms));
    for (uint64_t now = cordon__now_ns(); now < end; now = cordon__now_ns()) {
        uint64_t left_ms = (end - now + 999999u) / 1000000u;
        if (poll(&cancel, 1, left_ms > INT32_MAX ? INT32_MAX : (int)left_ms) > 0)
            break;
    }
    pthread_mutex_lock(&t->done_lock);
    bool cancelled = t->cancel_requested;
    pthread_mutex_unlock(&t->done_lock);
    return cancelled;
}

void cordon__total_deadline_start(cordon_task *t)
{
    t->total_deadline_ns = t->total_timeout_ms ? cordon__saturating_add(
                                                     cordon__now_ns(),
                                                     cordon__ms_to_ns(t->total_timeout_ms))
                                               : 0;
}

static int run_blocking(cordon_task *t)
{
    int rc = cordon__blocking_begin(t);
    if (rc < 0)
        return rc;
    cordon__total_deadline_start(t);
    t->history_count = 0;
    t->result.attempts = 1;
    rc = cordon__run_once(t);
    if (rc >= 0)
        cordon__history_push(t);
    cordon__blocking_end(t);
    return rc;
}

int cordon_run(cordon_task *t)
{
    CORDON__NO_CANCELLATION;
    if (!t)
        return -EINVAL;
    if (cordon__task_running(t))
        return -EBUSY;
    return run_blocking(t);
}

/*
 * cordon_run_async forks before it returns, as Python's Process.start
 * does: the child is a copy of the caller as it was at the call, whatever
 * the caller changes next.  The collector thread forks and run_async waits
 * for that (rather than forking on the calling thread) because the
 * child's parent-death signal follows the thread that forked it: the task
 * must outlive a calling thread that ends before the join.
 */
typedef struct async_start {
    cordon_task *task;
    pthread_mutex_t lock;
    pthread_cond_t forked;
    bool done;
    int rc;
} async_start;

/* The task whose collector this thread is: a wait from its callbacks
 * on it would wait for ever (no other thread's reading of t->collector,
 * which pthread_create writes as the run starts). */
static __thread const cordon_task *collected_task;

bool cordon__collecting(const cordon_task *t)
{
    return t && collected_task == t;
}

bool cordon__in_own_callback(cordon_task *t)
{
    if (cordon__collecting(t))
        return true;
    pthread_mutex_lock(&t->done_lock);
    bool here = t->blocking_running && pthread_equal(t->blocking_thread, pthread_self());
    pthread_mutex_unlock(&t->done_lock);
    return here;
}

bool cordon__collecting_for(const cordon_pool *pool)
{
    return collected_task && __atomic_load_n(&collected_task->pool, __ATOMIC_ACQUIRE) == pool;
}

static void *collector_main(void *arg)
{
    async_start *start = arg;
    cordon_task *t = start->task;
    collected_task = t;
    cordon__total_deadline_start(t);
    t->history_count = 0;
    t->result.attempts = 1;
    attempt a;
    int rc = attempt_start(t, &a);
    if (rc < 0)
        cordon__result_not_run(t);
    pthread_mutex_lock(&start->lock);
    start->rc = rc > 0 ? 0 : rc;
    start->done = true;
    pthread_cond_signal(&start->forked);
    pthread_mutex_unlock(&start->lock);
    /* `start` lives on the caller's stack: gone from here on. */
    if (rc < 0)
        return NULL;
    a.state.cancel_fd = t->cancel_pipe[0];
    rc = rc > 0 ? CORDON_EXCEPTION : attempt_finish(t, &a);
    if (rc >= 0)
        cordon__history_push(t);
    t->async_status = rc;
    cordon__async_finished(t);
    return NULL;
}

static void close_cancel_pipe(cordon_task *t)
{
    close_fd(&t->cancel_pipe[0]);
    close_fd(&t->cancel_pipe[1]);
}

static int start_collector(cordon_task *t, async_start *start)
{
    /* The collector must not take signals meant for the caller's threads. */
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    int rc = pthread_create(&t->collector, NULL, collector_main, start);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (rc != 0)
        return -rc;
    pthread_mutex_lock(&start->lock);
    while (!start->done)
        pthread_cond_wait(&start->forked, &start->lock);
    pthread_mutex_unlock(&start->lock);
    if (start->rc < 0) {
        pthread_join(t->collector, NULL);
        return start->rc;
    }
    return 0;
}

int cordon_run_async(cordon_task *t)
{
    CORDON__NO_CANCELLATION;
    if (!t)
        return -EINVAL;
    if (t->pool)
        return -EBUSY;
    return cordon__run_async(t);
}

int cordon__run_async(cordon_task *t)
{
    /* cordon_task_free writes here to end a task still running.  The
     * caller's fds are checked once the run is claimed: a run refused as
     * busy leaves the result of the one going on as it is. */
    int fds[2];
    cordon__standard_fds_hold();
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
        return cordon__run_not_started(t, -errno);
    /* Claimed with the pipe under the lock: a blocking run begun meanwhile
     * (another thread, the run's own callback) keeps its pipe, and no
     * blocking run can begin from here on. */
    pthread_mutex_lock(&t->done_lock);
    bool busy = t->async_running || t->blocking_running;
    if (!busy) {
        t->cancel_pipe[0] = fds[0];
        t->cancel_pipe[1] = fds[1];
        __atomic_store_n(&t->async_running, true, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&t->done_lock);
    if (busy) {
        close(fds[0]);
        close(fds[1]);
        return -EBUSY;
    }
    int rc = cordon__caller_fds_check(t);
    if (rc == 0)
        rc = cordon__done_arm(t);
    if (rc == 0) {
        async_start start = { .task = t, .lock = PTHREAD_MUTEX_INITIALIZER,
                              .forked = PTHREAD_COND_INITIALIZER };
        rc = start_collector(t, &start);
        pthread_cond_destroy(&start.forked);
        pthread_mutex_destroy(&start.lock);
        if (rc < 0)
            cordon__done_disarm(t);
    }
    if (rc < 0) {
        cordon__result_not_run(t);
        t->history_count = 0; /* this run's: no attempt made */
        pthread_mutex_lock(&t->done_lock);
        __atomic_store_n(&t->async_running, false, __ATOMIC_RELEASE);
        close_cancel_pipe(t);
        pthread_mutex_unlock(&t->done_lock);
        return rc;
    }
    return 0;
}

/* One thread joins: two in pthread_join of one collector left one of
 * them blocked for good (and cordon_join_timeout past its timeout). */
int cordon__join(cordon_task *t)
{
    pthread_mutex_lock(&t->done_lock);
    /* Whether this thread joins the collector, apart from what the others
     * return: 1 is also a status (an exception), and a second join of a
     * task that raised had joined a collector joined already (a crash, or
     * another thread of the caller's taken). */
    bool joins = t->async_running && !t->async_joining;
    int early = !t->async_running ? (t->async_joined ? t->async_status : -EINVAL) : -EBUSY;
    if (joins)
        t->async_joining = true;
    pthread_mutex_unlock(&t->done_lock);
    if (!joins)
        return early;
    int rc = pthread_join(t->collector, NULL);
    /* cordon_cancel writes to the pipe under the same lock. */
    pthread_mutex_lock(&t->done_lock);
    t->async_joined = rc == 0;
    __atomic_store_n(&t->async_running, false, __ATOMIC_RELEASE);
    t->async_joining = false;
    close_cancel_pipe(t);
    pthread_mutex_unlock(&t->done_lock);
    cordon__done_disarm(t);
    return rc != 0 ? -rc : t->async_status;
}

bool cordon__joined_elsewhere(cordon_task *t)
{
    pthread_mutex_lock(&t->done_lock);
    bool joining = t->async_joining || t->async_waiters > 0;
    pthread_mutex_unlock(&t->done_lock);
    return joining;
}

bool cordon__run_elsewhere(cordon_task *t)
{
    pthread_mutex_lock(&t->done_lock);
    bool elsewhere = t->blocking_running && !pthread_equal(t->blocking_thread, pthread_self());
    pthread_mutex_unlock(&t->done_lock);
    return elsewhere;
}

void cordon__join_waiters(cordon_task *t, int change)
{
    pthread_mutex_lock(&t->done_lock);
    t->async_waiters += (unsigned)change;
    pthread_mutex_unlock(&t->done_lock);
}

int cordon_join(cordon_task *t)
{
    CORDON__NO_CANCELLATION;
    if (!t)
        return -EINVAL;
    if (t->pool)
        return -EBUSY; /* the pool joins it */
    if (cordon__collecting(t))
        return -EDEADLK; /* its own done callback */
    return cordon__join(t);
}

void cordon__cancel(cordon_task *t)
{
    if (!t->async_running)
        return;
    cordon_cancel(t); /* which ends the tree itself too, should the collector be held */
    cordon__join(t);
}
