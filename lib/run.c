/* Running a task: one attempt, blocking or on a collector thread. */
#include <errno.h>
#include <execinfo.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init_once(void)
{
    /* backtrace() loads libgcc's unwinder on first use, which allocates;
     * a crash handler in a child must find it already loaded. */
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
    close_fd(&s->pidfd);
    close_fd(&s->stdout_fd);
    close_fd(&s->stderr_fd);
    close_fd(&s->log_fd);
    close_fd(&s->stdin_fd);
    close_fd(&s->listener_socket);
    close_fd(&s->listener_fd);
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

/* A limit of centuries is no limit, not one that wrapped around to now. */
static uint64_t ms_to_ns(uint64_t ms)
{
    return ms > UINT64_MAX / 1000000u ? UINT64_MAX : ms * 1000000u;
}

static uint64_t saturating_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

int cordon__run_once(cordon_task *t)
{
    cordon__result_reset(t);
    cordon__launch launch;
    memset(&launch, 0, sizeof launch);
    launch.stdin_fd = launch.stdout_fd = launch.stderr_fd = launch.log_fd = -1;
    launch.listener_socket = -1;
    cordon__attempt_state state;
    memset(&state, 0, sizeof state);
    state.pidfd = state.stdout_fd = state.stderr_fd = state.log_fd = state.stdin_fd = -1;
    state.listener_socket = state.listener_fd = -1;

    int rc = cordon__spawn(t, &launch, &state);
    /* The child has its copies; the parent keeps only its own ends. */
    close_fd(&launch.stdin_fd);
    close_fd(&launch.stdout_fd);
    close_fd(&launch.stderr_fd);
    close_fd(&launch.log_fd);
    close_fd(&launch.listener_socket);
    if (rc == 0) {
        if (t->timeout_ms)
            state.deadline_ns = saturating_add(state.started_ns, ms_to_ns(t->timeout_ms));
        state.cpu_limit_ns = ms_to_ns(t->limits[CORDON_LIMIT_CPU_MS]);
        rc = cordon__collect(t, &state);
        if (rc < 0)
            abandon_child(&state);
    }
    if (rc == 0)
        cordon__classify(t, &state, &launch);
    release_attempt(&state);
    cordon__launch_release(&launch);
    if (rc < 0)
        return rc;
    return t->exception_class[0] ? CORDON_EXCEPTION : 0;
}

static int run_blocking(cordon_task *t)
{
    t->history_count = 0;
    t->result.attempts = 1;
    int rc = cordon__run_once(t);
    if (rc >= 0)
        cordon__history_push(t);
    return rc;
}

int cordon_run(cordon_task *t)
{
    if (!t)
        return -EINVAL;
    if (t->async_running)
        return -EBUSY;
    return run_blocking(t);
}

static void *collector_main(void *task)
{
    cordon_task *t = task;
    t->async_status = run_blocking(t);
    return NULL;
}

int cordon_run_async(cordon_task *t)
{
    if (!t)
        return -EINVAL;
    if (t->async_running)
        return -EBUSY;
    /* The collector must not take signals meant for the caller's threads. */
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    t->async_running = true;
    int rc = pthread_create(&t->collector, NULL, collector_main, t);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (rc != 0) {
        t->async_running = false;
        return -rc;
    }
    return 0;
}

int cordon_join(cordon_task *t)
{
    if (!t)
        return -EINVAL;
    if (!t->async_running)
        return -EINVAL;
    int rc = pthread_join(t->collector, NULL);
    t->async_running = false;
    if (rc != 0)
        return -rc;
    return t->async_status;
}
