/*
 * The parent's side of a running task: one poll over every pipe, the
 * seccomp listener, the child's pidfd and the deadline, so that no stream
 * can block another and a task cannot hang its parent.
 *
 * The end: when the child exits, its whole process group is killed while
 * the child is still an unreaped zombie (so its pid, the group's id, cannot
 * have been reused), the pipes are drained for a short grace (a grandchild
 * that escaped the group and holds them cannot keep the parent waiting),
 * and the child is reaped with wait4 for its rusage.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "../sandbox/policy.h"
#include "../sandbox/policy_learn.h"

#define READ_CHUNK         (64 * 1024)
#define FIRST_READ         1024
#define DRAIN_GRACE_NS     (100ull * 1000 * 1000)
#define CPU_CHECK_NS       (10ull * 1000 * 1000)
#define CPU_CHECK_MIN_NS   (250ull * 1000)
#define NO_PIDFD_TICK_NS   (5ull * 1000 * 1000)
#define HOLD_LOOK_NS       (5ull * 1000 * 1000)

enum { SLOT_PID, SLOT_STDOUT, SLOT_STDERR, SLOT_LOG, SLOT_STDIN, SLOT_SOCKET, SLOT_LISTENER,
       SLOT_CANCEL, SLOT_TIMER, SLOT_RELAY_OUT, SLOT_RELAY_ERR, SLOT_STDIN_SOURCE,
       SLOT_COUNTER_RECORDS, SLOT_COUNT };

uint64_t cordon__now_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

uint64_t cordon__thread_cpu_ns(void)
{
    struct timespec now;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now) != 0)
        return 0;
    return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

struct timespec cordon__monotonic_after_ms(int timeout_ms)
{
    struct timespec at;
    clock_gettime(CLOCK_MONOTONIC, &at);
    at.tv_sec += timeout_ms / 1000;
    at.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
    if (at.tv_nsec >= 1000000000) {
        at.tv_sec++;
        at.tv_nsec -= 1000000000;
    }
    return at;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* A task in namespaces is ended by its init, asked with SIGUSR1: it kills
 * every process of the namespace and reaps them, so that their usage
 * counts.  Otherwise the task's group, and whatever left it in its cgroup.
 * The group's id stays taken while the unreaped child is one of its
 * members. */
static void kill_group(cordon__attempt_state *s)
{
    if (!s->tree_killed_ns)
        s->tree_killed_ns = cordon__now_ns();
    if (s->in_namespaces) {
        if (!s->exited) {
            kill(s->pid, SIGUSR1);
            /* The init kills the rest once it runs; a task that keeps
             * every CPU busy would have it wait its turn: what the cgroup
             * lists dies now (the init, spared, reaps and counts it). */
            if (s->cgroup && s->cgroup->count)
                cordon__cgroup_kill_all_but(s->cgroup, s->pid);
        } else if (s->cgroup && s->cgroup->count) {
            cordon__cgroup_kill(s->cgroup);
        }
        return;
    }
    if (s->group > 0) /* never 0: that would be the caller's own group */
        kill(-s->group, SIGKILL);
    if (!s->exited)
        kill(s->pid, SIGKILL); /* in case it left its group after all */
    if (s->cgroup && s->cgroup->count)
        cordon__cgroup_kill(s->cgroup); /* and whatever left the group */
}

/* A tree cordon killed that has not ended this long after (the kernel
 * frees what each killed process held in its exit, and a task can make
 * that long; or an init stopped from outside by root or the caller's own
 * user, whose child it is, does not end it) is not waited for: every
 * process of it is killed (the init, killed, takes its namespace with
 * it), so none runs the task's code again, and the rest of its ending is
 * reaped in the background. */
static bool ending_overdue(const cordon__attempt_state *s, uint64_t now)
{
    return s->tree_killed_ns && !s->exited && now >= s->tree_killed_ns + CORDON__ENDING_WAIT_NS;
}

/* A larger pipe means fewer wake-ups under a flood, but costs every task
 * that writes little: it is grown when a stream first fills a whole read. */
static void enlarge_pipe_once(cordon__attempt_state *s, int fd, int stream)
{
    if (s->pipe_enlarged[stream])
        return;
    s->pipe_enlarged[stream] = true;
    fcntl(fd, F_SETPIPE_SZ, 1 << 20); /* best effort */
}

/* The caller's reader left (cordon_close_output, or an inherited pipe
 * with no reader): the task's pipe is closed as a pipeline's would be,
 * so that its next write meets EPIPE and SIGPIPE instead of a drain that
 * never ends. */
static bool closed_for_the_caller(cordon_task *t, cordon__attempt_state *s, int *fd, int stream)
{
    bool closed = __atomic_load_n(&t->output_closed[stream], __ATOMIC_ACQUIRE) ||
                  (stream < 3 && s->relay_reader_gone[stream]);
    if (closed)
        close_fd(fd);
    return closed;
}

/* Where a read goes that cannot go straight into the buffer.  Most tasks
 * write little: a small first read on the stack keeps this frame, and so
 * the pages of the caller's stack it writes after each fork (each a
 * copy-on-write fault while the task lives), small; a stream that fills
 * it has a chunk of its buffer reserved, and only past the buffer's cap,
 * where what comes is dropped, a chunk of its own for the attempt. */
static char *read_target(cordon__attempt_state *s, const cordon__buffer *buffer, int round,
                         char *first, size_t *room)
{
    if (buffer->len + READ_CHUNK <= buffer->cap && buffer->len + READ_CHUNK < buffer->size) {
        *room = READ_CHUNK;
        return buffer->data + buffer->len;
    }
    if (round > 0 && (s->flood_chunk || (s->flood_chunk = malloc(READ_CHUNK)))) {
        *room = READ_CHUNK;
        return s->flood_chunk;
    }
    *room = FIRST_READ;
    return first;
}

/* Reads what is there now; returns false at end of stream. */
static bool read_stream(cordon_task *t, cordon__attempt_state *s, int *fd,
                        cordon__buffer *buffer, int stream)
{
    if (closed_for_the_caller(t, s, fd, stream))
        return false;
    if (stream < 3 && s->relayed[stream])
        return cordon__relay_read(s, fd, stream, buffer);
    char first[FIRST_READ];
    for (int round = 0; round < 16; round++) {
        size_t room;
        char *target = read_target(s, buffer, round, first, &room);
        bool direct = target != first && target != s->flood_chunk;
        ssize_t n = read(*fd, target, room);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return true;
        if (n <= 0) {
            close_fd(fd);
            return false;
        }
        if (t->output_fn)
            t->output_fn(t->output_user, stream, target, (size_t)n);
        if (direct) {
            buffer->len += (size_t)n;
            buffer->data[buffer->len] = '\0';
        } else {
            cordon__buffer_append(buffer, target, (size_t)n);
        }
        if (closed_for_the_caller(t, s, fd, stream))
            return false;
        if ((size_t)n < room)
            return true;
        enlarge_pipe_once(s, *fd, stream);
        if (buffer->len + READ_CHUNK <= buffer->cap) /* best effort: else copy */
            cordon__buffer_reserve(buffer, buffer->len + READ_CHUNK);
    }
    return true;
}

/* Streamed stdin: the next chunk from the caller's callback once the last
 * one is written.  False at the end of the input, or when the callback
 * failed (then the task is ended: its input was cut short). */
static bool refill_stdin(cordon__attempt_state *s)
{
    if (!s->stdin_fn || s->stdin_written < s->stdin_len)
        return s->stdin_written < s->stdin_len;
    ssize_t n = s->stdin_fn(s->stdin_user, s->stdin_chunk, s->stdin_chunk_size);
    if (n < 0 || (size_t)n > s->stdin_chunk_size) {
        bool errno_given = n < 0 && n >= -4095;
        s->stdin_error = errno_given ? (int)n : -EINVAL;
        s->stdin_bad_return = !errno_given;
        s->stdin_returned = n;
        kill_group(s);
        return false;
    }
    s->stdin_data = s->stdin_chunk;
    s->stdin_len = (size_t)n;
    s->stdin_written = 0;
    s->stdin_fed += (uint64_t)n;
    return n > 0;
}

/* A task that reads as fast as it is fed would keep the loop here: after
 * a few chunks the other streams and the deadline get their turn. */
#define STDIN_ROUNDS 16

static void write_stdin_unguarded(cordon__attempt_state *s)
{
    for (int round = 0; refill_stdin(s); round++) {
        if (round == STDIN_ROUNDS)
            return;
        ssize_t n = write(s->stdin_fd, s->stdin_data + s->stdin_written,
                          s->stdin_len - s->stdin_written);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            /* The task closed its stdin: that is its business, and the
             * relay reads no more of the caller's input for it. */
            cordon__stdin_source_close(s);
            break;
        }
        s->stdin_written += (size_t)n;
    }
    if (s->stdin_source >= 0)
        return; /* all relayed so far: the next chunk comes when it is there */
    /* After a failed callback the task is being killed: it must not read
     * an EOF first and take the input cut short for the whole. */
    if (!s->stdin_error)
        close_fd(&s->stdin_fd);
}

/*
 * A task that exits, or closes its stdin, before it has read what it was
 * given makes the next write fail with EPIPE and raise SIGPIPE, whose
 * default action would kill the caller.  The caller's dispositions are its
 * own, so the signal is kept from it per call instead: blocked in this
 * thread around the writes (a pipe's SIGPIPE goes to the writing thread, so
 * it stays pending on this thread only), then taken back with a
 * zero-timeout sigtimedwait, unless one was already pending before, which
 * is the caller's and stays.  Then the previous mask comes back.
 */
static void write_stdin(cordon__attempt_state *s)
{
    sigset_t pipe_only, previous, pending;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &previous);
    sigpending(&pending);
    bool was_pending = sigismember(&pending, SIGPIPE) == 1;
    write_stdin_unguarded(s);
    struct timespec zero = { 0, 0 };
    if (!was_pending)
        while (sigtimedwait(&pipe_only, NULL, &zero) < 0 && errno == EINTR)
            ;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
}

/* A relayed stdin: the caller's next chunk, then on into the task's pipe. */
static void relay_stdin(cordon__attempt_state *s)
{
    int error = cordon__stdin_relay_read(s);
    if (error) {
        s->stdin_error = error;
        kill_group(s);
        return;
    }
    if (s->stdin_fd >= 0)
        write_stdin(s);
}

/* The listener's hand-over is hostile input (lib/listener_handover.c):
 * anything but cordon's own message ends the task. */
static void receive_listener(cordon__attempt_state *s)
{
    cordon__listener_receive(s, kill_group);
}

static void handle_notification(cordon_task *t, cordon__attempt_state *s,
                                struct cordon__notify_state *notify)
{
    if (s->in_namespaces) /* the command's own exec comes from the init's child */
        notify->child_pid = __atomic_load_n(&s->init_report->task_pid, __ATOMIC_ACQUIRE);
    char description[sizeof s->violation];
    int rc = t->learning ? cordon__learn_handle(s->listener_fd, notify, t->learning, description,
                                                sizeof description)
                         : cordon__notification_handle(s->listener_fd, notify, description,
                                                       sizeof description);
    if (rc == 0 && !s->violated) {
        s->violated = true;
        memcpy(s->violation, description, sizeof description);
        kill_group(s);
    } else if (rc < 0 && rc != -ENOENT && rc != -EINTR && rc != -EAGAIN) {
        close_fd(&s->listener_fd); /* broken listener: stop polling it */
    }
}

static bool child_has_exited(cordon__attempt_state *s)
{
    siginfo_t info;
    memset(&info, 0, sizeof info);
    int rc;
    do
        rc = waitid(P_PID, (id_t)s->pid, &info, WEXITED | WNOHANG | WNOWAIT | __WALL);
    while (rc < 0 && errno == EINTR);
    /* A first process that made the caller its tracer (PTRACE_TRACEME,
     * which every filter refuses without namespaces, sandbox/
     * policy_variant.c, but a run without seccomp, under valgrind, lets
     * through) has its stops reported too: no end. */
    return rc < 0 || (info.si_pid == s->pid && info.si_code != CLD_TRAPPED &&
                      info.si_code != CLD_STOPPED && info.si_code != CLD_CONTINUED);
}

/* A stream passed on to the caller's terminal is read only while its
 * backlog has room (the task then waits on its writes, as on a terminal);
 * the terminal is polled while the backlog holds something. */
static int readable_stream(const cordon__attempt_state *s, int fd, int stream)
{
    return s->relayed[stream] && !cordon__relay_wants_input(s, stream) ? -1 : fd;
}

/* The caller holds the stream (cordon_hold_output) while the task runs:
 * not read, and not polled, until it lets it go. */
static bool held(const cordon_task *t, const cordon__attempt_state *s, int stream)
{
    return !s->exited && __atomic_load_n(&t->output_held[stream], __ATOMIC_ACQUIRE);
}

static bool any_held(const cordon_task *t, const cordon__attempt_state *s)
{
    return held(t, s, 1) || held(t, s, 2) || held(t, s, 3);
}

static int relay_target(const cordon__attempt_state *s, int stream)
{
    return cordon__relay_pending(s, stream) ? s->relay_fd[stream] : -1;
}

/* A relayed stdin with all it read written: the caller's fd is watched
 * for more, the task's pipe not (it would wake the loop for nothing). */
static bool relay_waits(const cordon__attempt_state *s)
{
    return s->stdin_source >= 0 && s->stdin_fd >= 0 && !s->stdin_error &&
           s->stdin_written == s->stdin_len;
}

/* The task's first process waits for the parent's answer to its offer of
 * the listener (lib/listener_handover.c): a stdin callback that keeps the
 * loop away must not hold it.  Only while a listener is to come (a filter
 * without one sends none, and a process a set-up hook forked may keep the
 * socket open to the end), and not while a set-up hook may still run: it
 * is the caller's code, and may read its stdin before the filter. */
static bool handover_pending(const cordon__attempt_state *s)
{
    if (!s->listener_expected || s->listener_socket < 0 || s->listener_received ||
        s->handover_forged)
        return false;
    return !s->hook_state || __atomic_load_n(s->hook_state, __ATOMIC_ACQUIRE) == HOOK_DONE;
}

/* The streams still to be read, and the bytes still to be passed on. */
static int build_poll_set(const cordon_task *t, cordon__attempt_state *s, struct pollfd *fds)
{
    int wanted[SLOT_COUNT] = {
        [SLOT_PID] = s->exited ? -1 : s->pidfd,
        [SLOT_STDOUT] = held(t, s, 1) ? -1 : readable_stream(s, s->stdout_fd, 1),
        [SLOT_STDERR] = held(t, s, 2) ? -1 : readable_stream(s, s->stderr_fd, 2),
        [SLOT_LOG] = held(t, s, 3) ? -1 : s->log_fd,
        [SLOT_STDIN] = s->stdin_error || relay_waits(s) || handover_pending(s) ? -1 : s->stdin_fd,
        [SLOT_STDIN_SOURCE] = relay_waits(s) && !handover_pending(s) ? s->stdin_source : -1,
        [SLOT_SOCKET] = s->handover_forged ? -1 : s->listener_socket,
        [SLOT_LISTENER] = s->exited ? -1 : s->listener_fd,
        [SLOT_CANCEL] = s->exited || s->cancelled ? -1 : s->cancel_fd,
        [SLOT_TIMER] = s->timer_fd,
        [SLOT_RELAY_OUT] = relay_target(s, 1), [SLOT_RELAY_ERR] = relay_target(s, 2),
        [SLOT_COUNTER_RECORDS] = cordon__counter_records_wanted(s)
                                     ? cordon__counter_follower_wake_fd(s->counter_follower) : -1,
    };
    int open_streams = 0;
    for (int i = 0; i < SLOT_COUNT; i++) {
        fds[i].fd = wanted[i];
        fds[i].events = i == SLOT_STDIN || i == SLOT_RELAY_OUT || i == SLOT_RELAY_ERR ? POLLOUT
                                                                                     : POLLIN;
        fds[i].revents = 0;
    }
    open_streams = (s->stdout_fd >= 0) + (s->stderr_fd >= 0) + (s->log_fd >= 0) +
                   cordon__relay_pending(s, 1) + cordon__relay_pending(s, 2);
    return open_streams;
}

/* The next moment the loop must wake without an event: the deadline, the
 * end of the drain, the next CPU check, a tick.  A deadline or limit that
 * already fired is not one: the tree is being killed, and a loop that
 * polled without waiting until its end was seen would take the CPU that
 * the dying processes need to end. */
static bool limit_acts_watched(const cordon__attempt_state *s);
static void look_at_limit_acts(cordon__attempt_state *s, uint64_t now);

static uint64_t next_wake_ns(const cordon__attempt_state *s, uint64_t now, uint64_t grace_end,
                             bool streams_held)
{
    uint64_t until = UINT64_MAX;
    if (streams_held) /* a release is seen at the next look */
        until = now + HOLD_LOOK_NS;
    if (s->deadline_ns && !s->exited && !s->timed_out && s->deadline_ns < until)
        until = s->deadline_ns;
    if (grace_end && grace_end < until)
        until = grace_end;
    if (s->tree_killed_ns && !s->exited && s->tree_killed_ns + CORDON__ENDING_WAIT_NS < until)
        until = s->tree_killed_ns + CORDON__ENDING_WAIT_NS;
    if (s->cpu_limit_ns && !s->exited && !s->cpu_exceeded && s->next_cpu_check_ns < until)
        until = s->next_cpu_check_ns;
    if (limit_acts_watched(s) && s->next_limit_look_ns < until)
        until = s->next_limit_look_ns;
    if ((s->pidfd < 0 || s->processes) && !s->exited) {
        uint64_t tick = now + (s->pidfd < 0 ? NO_PIDFD_TICK_NS : CPU_CHECK_NS);
        if (tick < until)
            until = tick;
    }
    return until;
}

/* poll's own timeout is late by its timer slack, which grows with the
 * timeout (some 30 ms for 30 s): the wake-up is a timerfd with an absolute
 * CLOCK_MONOTONIC expiry, which has none.  It is made at the first wake-up
 * the loop needs: a task with no deadline, limit or tick never needs one,
 * and costs no timer.  Where none could be made, poll's timeout. */
static int poll_timeout_ms(cordon__attempt_state *s, uint64_t now, uint64_t until)
{
    if (until == UINT64_MAX) {
        struct itimerspec disarmed = { { 0, 0 }, { 0, 0 } };
        if (s->timer_fd >= 0)
            timerfd_settime(s->timer_fd, TFD_TIMER_ABSTIME, &disarmed, NULL);
        return -1;
    }
    if (s->timer_fd < 0 && !s->timer_tried) {
        s->timer_tried = true;
        s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    }
    if (s->timer_fd >= 0 && until > now) {
        struct itimerspec when = { .it_value = {
            .tv_sec = (time_t)(until / 1000000000ull), .tv_nsec = (long)(until % 1000000000ull) } };
        if (timerfd_settime(s->timer_fd, TFD_TIMER_ABSTIME, &when, NULL) == 0)
            return -1;
    }
    if (until <= now)
        return 0;
    uint64_t ms = (until - now) / 1000000 + 1;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

static void clear_timer(cordon__attempt_state *s)
{
    uint64_t expirations;
    while (read(s->timer_fd, &expirations, sizeof expirations) < 0 && errno == EINTR)
        ;
}

/* Without namespaces, the tree's count as the first process's end is
 * seen, before the kill: what the kill's endings add after it is not the
 * task's (lib/classify.c); plus one, 0 being none. */
static void count_at_the_first_end(cordon__attempt_state *s)
{
    if (!s->cpu_limit_ns || s->in_namespaces || s->cpu_exceeded)
        return;
    s->cpu_at_first_end_ns = cordon__tree_cpu_ns(s, false) + 1;
    s->first_end_seen_ns = s->ended_ns;
}

static void on_exit_seen(cordon__attempt_state *s, uint64_t *grace_end)
{
    s->ended_ns = cordon__now_ns();
    if (limit_acts_watched(s))
        look_at_limit_acts(s, s->ended_ns);
    s->exited = true;
    count_at_the_first_end(s);
    kill_group(s);
    close_fd(&s->stdin_fd);
    cordon__stdin_source_close(s); /* nothing more of the caller's is read for it */
    *grace_end = cordon__now_ns() + DRAIN_GRACE_NS;
}

/* The tree can spend at most one second of CPU per usable CPU per second:
 * the next check comes before the rest of the budget can be gone, so the
 * limit is overshot by at most CPU_CHECK_MIN_NS per CPU (plus the
 * counter's own lag), while a tree far from its limit costs a read every
 * CPU_CHECK_NS.  The counter itself lags: every reading of another
 * process's CPU time (cgroup, /proc, its clock) is as of the scheduler's
 * last tick on each CPU it runs on (4 ms at HZ=250), so the limit shows
 * in it only at the first tick past it, as it does to the kernel's own
 * CPU timers.  Checks a quarter of a millisecond apart near the limit see
 * that tick within that time: the overshoot is the tick's, not ours (one
 * millisecond apart it was up to two milliseconds more on two CPUs), for
 * a handful of reads more per task.  A read that scans /proc (no v2
 * cgroup) costs with the machine's processes, which a task can multiply:
 * checks are kept at least CPU_CHECK_COST_SHARE times the last read's CPU
 * time apart, so that they never take more than a twentieth of a CPU.
 * Its CPU time, not its wall time: a read the task's own spinners kept
 * off the CPU for a tick would have put the next check 80 ms off, and
 * the limit as far past. */
#define CPU_CHECK_COST_SHARE 20u
/* A tree whose counter stood still for two ticks is asleep: checks every
 * tick's length, not every quarter of a millisecond (a task asleep just
 * short of its limit had the caller wake 4,000 times a second for as long
 * as it slept).  One that wakes and spins is seen within that.  Still is
 * within CPU_IDLE_MOVE_NS of where it last moved to: the init's looks at
 * the tree's CPU move the counter until it publishes its own CPU, in
 * microseconds rounded, so a sleeping tree's figure wanders a few
 * microseconds up and down (compared exactly, it never stood still: the
 * caller woke 1,800 times in the 2 s such a task slept, under ASan). */
#define CPU_IDLE_AFTER_NS  (8ull * 1000 * 1000)
#define CPU_IDLE_CHECK_NS  (4ull * 1000 * 1000)
#define CPU_IDLE_MOVE_NS   (500ull * 1000)
static void note_cpu_move(cordon__attempt_state *s, uint64_t now)
{
    if (!s->cpu_changed_ns || s->cpu_used_ns > s->cpu_moved_to_ns + CPU_IDLE_MOVE_NS ||
        s->cpu_used_ns + CPU_IDLE_MOVE_NS < s->cpu_moved_to_ns) {
        s->cpu_changed_ns = now;
        s->cpu_moved_to_ns = s->cpu_used_ns;
    }
}

/* cordon itself ended the tree, for another cause than the CPU limit:
 * the deadline, the caller's cancel, its stdin's failure, a policy
 * violation.  What the killed processes spend on their ending after that
 * (freeing their memory: some 80-120 ms a GiB) is no evidence of the
 * limit: a task killed at its 1 s deadline with 1 GiB in hand, under a
 * CPU limit of 1,030 ms, was a CpuLimit, and so was one cancelled, or
 * whose stdin failed, asleep 60 ms under its limit (a Python caller's
 * cancel even read as the task's own SIGKILL). */
static bool ended_for_another_cause(const cordon__attempt_state *s)
{
    return s->timed_out || s->cancelled || s->stdin_error || s->violated;
}

/* How long after an OOM kill its victim's ending may still be counted:
 * freeing its memory (at most the limit) takes the kernel some 120 ms a
 * GiB here; twice that, and 100 ms more, at most 2 s.  A fixed second
 * named a task MemoryLimit that had spun 684 ms of its 1 s after a
 * child of 128 MiB was killed. */
static bool in_oom_ending(const cordon__attempt_state *s, uint64_t now)
{
    uint64_t window_ms = 100 + (s->memory_limit_bytes >> 20) * 250 / 1024;
    if (window_ms > 2000)
        window_ms = 2000;
    return s->oom_kill_seen_ns && now - s->oom_kill_seen_ns < window_ms * 1000000u;
}

/* A count of a limit's acts that moved since the last look: when. */
static void note_count(uint64_t count, uint64_t *seen, uint64_t *seen_ns, uint64_t now)
{
    if (count > *seen) {
        *seen = count;
        *seen_ns = now;
    }
}

/* An OOM kill of one of the task's processes, seen since the last check
 * (only where a memory cgroup counts them, under a limit of the task's:
 * 9 us a read here). */
static void note_oom_kills(cordon__attempt_state *s, uint64_t now)
{
    if (s->memory_limit_bytes && s->cgroup && s->cgroup->count)
        note_count(cordon__cgroup_oom_kills(s->cgroup), &s->oom_kills_seen, &s->oom_kill_seen_ns,
                   now);
}

/* A refused fork of the task's, seen since the last look (only where a
 * pids cgroup counts them, under a limit of the task's). */
static void note_pids_refusals(cordon__attempt_state *s, uint64_t now)
{
    if (s->processes_limit && s->cgroup && s->cgroup->count)
        note_count(cordon__cgroup_pids_refusals(s->cgroup), &s->pids_refusals_seen,
                   &s->pids_refusal_seen_ns, now);
}

/* The memory and process limits act on the task (an OOM kill, a refused
 * fork) without ending it: when they did is looked at every
 * LIMIT_LOOK_NS while the first process runs, and once more as its end is
 * seen, so that an ending long after the act is not put down to the limit
 * (lib/classify.c): a first process killed from outside 3 s after a
 * child's OOM kill had read as a MemoryLimit. */
#define LIMIT_LOOK_NS (100ull * 1000 * 1000)
static bool limit_acts_watched(const cordon__attempt_state *s)
{
    return !s->exited && s->cgroup && s->cgroup->count &&
           (s->memory_limit_bytes || s->processes_limit);
}

static void look_at_limit_acts(cordon__attempt_state *s, uint64_t now)
{
    note_oom_kills(s, now);
    note_pids_refusals(s, now);
    s->next_limit_look_ns = now + LIMIT_LOOK_NS;
}

static void check_cpu(cordon__attempt_state *s, uint64_t now)
{
    uint64_t read_start = cordon__thread_cpu_ns();
    s->cpu_used_ns = cordon__tree_cpu_ns(s, false);
    note_cpu_move(s, now);
    note_oom_kills(s, now); /* paced with the count's read */
    uint64_t read_end = cordon__thread_cpu_ns();
    uint64_t read_ns = read_end > read_start ? read_end - read_start : 0;
    /* Beside the counter, a scan keeps its own pace (lib/tree_cpu.c). */
    if (s->cpu_counter_fd >= 0 && !s->counter_short)
        read_ns -= s->last_scan_cpu_ns < read_ns ? s->last_scan_cpu_ns : read_ns;
    if (ended_for_another_cause(s))
        return;
    if (s->cpu_used_ns >= s->cpu_limit_ns) {
        /* Still the limit, and enforced; but named by the memory limit's
         * kill where that kill came first and its victim's ending (the
         * kernel freeing what it held) may be what crossed it
         * (lib/classify.c). */
        s->cpu_crossed_in_oom_ending = in_oom_ending(s, now);
        s->cpu_exceeded = true;
        s->cpu_at_kill_ns = s->cpu_used_ns;
        s->cpu_exceeded_seen_ns = now;
        kill_group(s);
        return;
    }
    /* Past what the limit can count (lib/tree_cpu.c): ended, and said. */
    if (s->left_the_counter || s->counter_records_lost) {
        kill_group(s);
        return;
    }
    static unsigned cpus;
    if (!__atomic_load_n(&cpus, __ATOMIC_RELAXED))
        __atomic_store_n(&cpus, cordon__usable_cpus(), __ATOMIC_RELAXED);
    uint64_t wait = cordon__cpu_look_wait((s->cpu_limit_ns - s->cpu_used_ns) /
                                              __atomic_load_n(&cpus, __ATOMIC_RELAXED),
                                          CPU_CHECK_NS, CPU_CHECK_MIN_NS,
                                          read_ns * CPU_CHECK_COST_SHARE);
    if (now - s->cpu_changed_ns >= CPU_IDLE_AFTER_NS && wait < CPU_IDLE_CHECK_NS)
        wait = CPU_IDLE_CHECK_NS;
    s->next_cpu_check_ns = now + wait;
}

static void check_deadline(cordon__attempt_state *s, uint64_t now)
{
    if (s->deadline_ns && now >= s->deadline_ns && !s->timed_out) {
        s->timed_out = true;
        kill_group(s);
    }
}

/* In namespaces the init kills the rest of the tree by itself once the
 * first process has ended (lib/task_init.c), and nothing of that reaches
 * this loop but the init's report: the ending is bounded from the init's
 * kill as from one of cordon's (a first process that left 200 copies of
 * 400 MiB held the caller 2-10 s past its end, each copy freeing its
 * memory).  Looked at every ENDING_LOOK_NS while the tree runs, on
 * poll's own timeout: no timer is made for it. */
#define ENDING_LOOK_NS (50ull * 1000 * 1000)

static void note_the_init_s_kill(cordon__attempt_state *s)
{
    /* From when this loop saw it, not from the init's kill: a loop kept
     * away (a slow callback, a busy machine) would take a tree that ended
     * at once for one overdue. */
    if (s->in_namespaces && !s->exited && !s->tree_killed_ns &&
        __atomic_load_n(&s->init_report->task_status_valid, __ATOMIC_ACQUIRE))
        s->tree_killed_ns = cordon__now_ns();
}

static int with_a_look_at_the_init(const cordon__attempt_state *s, int timeout_ms)
{
    const int look_ms = (int)(ENDING_LOOK_NS / 1000000);
    if (!s->in_namespaces || s->exited || s->tree_killed_ns)
        return timeout_ms;
    return timeout_ms < 0 || timeout_ms > look_ms ? look_ms : timeout_ms;
}

/* The child (the init in namespaces) has ended, its end not yet taken:
 * it ended while this loop was kept away, and is seen as any end is. */
static bool child_ended_unseen(cordon__attempt_state *s)
{
    if (s->pidfd < 0)
        return child_has_exited(s);
    struct pollfd ended = { .fd = s->pidfd, .events = POLLIN };
    int ready;
    while ((ready = poll(&ended, 1, 0)) < 0 && errno == EINTR)
        ;
    return ready > 0;
}

static void leave_the_ending(cordon__attempt_state *s, uint64_t now, uint64_t *grace_end)
{
    /* A loop kept away past the bound (a callback that slept 300 ms) took
     * a tree that had ended in milliseconds for one that had not: its
     * exception said cordon had not waited for it. */
    if (!ending_overdue(s, now) || child_ended_unseen(s))
        return;
    kill(s->pid, SIGKILL); /* the unreaped child: its pid is still its own */
    s->ending_left = true;
    s->exited = true;
    s->ended_ns = now;
    close_fd(&s->stdin_fd);
    cordon__stdin_source_close(s);
    *grace_end = now; /* what is in the pipes is read; no more is waited for */
}

static void check_limits(cordon__attempt_state *s, uint64_t now)
{
    if (s->exited)
        return;
    check_deadline(s, now);
    if (s->cpu_limit_ns && !s->cpu_exceeded && now >= s->next_cpu_check_ns)
        check_cpu(s, now);
    if (limit_acts_watched(s) && now >= s->next_limit_look_ns)
        look_at_limit_acts(s, now);
}

static void dispatch(cordon_task *t, cordon__attempt_state *s, struct pollfd *fds,
                     struct cordon__notify_state *notify, uint64_t *grace_end)
{
    if (fds[SLOT_STDOUT].revents)
        read_stream(t, s, &s->stdout_fd, &t->std_out, 1);
    if (fds[SLOT_STDERR].revents)
        read_stream(t, s, &s->stderr_fd, &t->std_err, 2);
    if (fds[SLOT_LOG].revents)
        read_stream(t, s, &s->log_fd, &t->log_out, 3);
    if (fds[SLOT_STDIN].revents)
        write_stdin(s);
    if (fds[SLOT_STDIN_SOURCE].revents)
        relay_stdin(s);
    if (fds[SLOT_RELAY_OUT].revents)
        cordon__relay_flush(s, 1, &t->std_out);
    if (fds[SLOT_RELAY_ERR].revents)
        cordon__relay_flush(s, 2, &t->std_err);
    if (fds[SLOT_SOCKET].revents)
        receive_listener(s);
    if (fds[SLOT_LISTENER].revents & POLLIN)
        handle_notification(t, s, notify);
    else if (fds[SLOT_LISTENER].revents & (POLLHUP | POLLERR | POLLNVAL))
        close_fd(&s->listener_fd);
    if (fds[SLOT_TIMER].revents)
        clear_timer(s);
    /* Read before the kernel's buffers fill (lib/tree_cpu_followed.c). */
    if (fds[SLOT_COUNTER_RECORDS].revents)
        cordon__counter_records_read(s);
    if (fds[SLOT_CANCEL].revents && !s->exited) {
        s->cancelled = true; /* the task is being freed: no one waits for it */
        /* cordon_cancel's own kill, where it came first (this loop was
         * held): the task's end is then no earlier than the kill. */
        uint64_t killed = cordon__cancel_killed_ns(t);
        s->cancel_kill_ns = killed ? killed : cordon__now_ns();
        kill_group(s);
    }
    if (fds[SLOT_PID].revents && !s->exited) {
        /* The end of a task still running at its deadline, which its
         * backstop (its init, a function's own timer) kept while this
         * loop was away: a Timeout, as if this loop had been there. */
        check_deadline(s, cordon__now_ns());
        on_exit_seen(s, grace_end);
    }
}

static void drain_remaining(cordon_task *t, cordon__attempt_state *s)
{
    /* What the task wrote before it ended is already in the pipes. */
    if (s->stdout_fd >= 0)
        read_stream(t, s, &s->stdout_fd, &t->std_out, 1);
    if (s->stderr_fd >= 0)
        read_stream(t, s, &s->stderr_fd, &t->std_err, 2);
    if (s->log_fd >= 0)
        read_stream(t, s, &s->log_fd, &t->log_out, 3);
}

/* The exit status from the pidfd, for a child the kernel already reaped
 * because the caller ignores SIGCHLD (Linux 6.15 and later keep it). */
struct pidfd_exit_info {
    uint64_t mask, cgroupid;
    uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
    int32_t exit_code;
};
#define PIDFD_GET_INFO_REQUEST _IOWR(0xFF, 11, struct pidfd_exit_info)
#define PIDFD_INFO_EXIT_FLAG (1ull << 3)

static int status_from_pidfd(cordon__attempt_state *s)
{
    struct pidfd_exit_info info;
    memset(&info, 0, sizeof info);
    info.mask = PIDFD_INFO_EXIT_FLAG;
    if (s->pidfd < 0 || ioctl(s->pidfd, PIDFD_GET_INFO_REQUEST, &info) != 0 ||
        !(info.mask & PIDFD_INFO_EXIT_FLAG))
        return -ECHILD;
    s->wait_status = info.exit_code;
    memset(&s->rusage, 0, sizeof s->rusage); /* gone with the child */
    return 0;
}

static int reap(cordon__attempt_state *s)
{
    int rc;
    do /* past a stop of a process that made the caller its tracer */
        rc = wait4(s->pid, &s->wait_status, __WALL, &s->rusage);
    while ((rc < 0 && errno == EINTR) || (rc == s->pid && WIFSTOPPED(s->wait_status)));
    if (rc < 0 && errno == ECHILD && s->in_namespaces &&
        __atomic_load_n(&s->init_report->task_status_valid, __ATOMIC_ACQUIRE)) {
        /* A caller that ignores SIGCHLD had the init reaped already; its
         * report still has the task's status, the usage is gone. */
        memset(&s->rusage, 0, sizeof s->rusage);
        return 0;
    }
    if (rc < 0 && errno == ECHILD)
        return status_from_pidfd(s);
    return rc < 0 ? -errno : 0;
}

/* A tree left to end in the background: no wait4 figures.  Its first
 * process ended as the init saw it (classify reads that), else of the
 * init's kill; its CPU is the counter's, read now (cordon's start left
 * out), which usage then shows (cordon__usage_count_scanned). */
static int left_ending(cordon__attempt_state *s)
{
    s->wait_status = SIGKILL; /* killed by that signal, as the init was */
    memset(&s->rusage, 0, sizeof s->rusage);
    /* What the init had reaped by the first process's end, that process
     * among it (its max_rss_kb, faults and I/O had read 0). */
    if (s->in_namespaces && __atomic_load_n(&s->init_report->task_status_valid, __ATOMIC_ACQUIRE))
        s->rusage = s->init_report->usage_at_task_end;
    uint64_t used = cordon__tree_cpu_ns(s, true);
    if (used > s->scanned_cpu_ns)
        s->scanned_cpu_ns = used;
    return 0;
}

/* After the end: the tree's final figure, for a CPU limit reached
 * between two checks (or enforced by RLIMIT_CPU's SIGXCPU).  Not when
 * the deadline ended the task; but a task whose first process ended, as
 * the init timed it, before the deadline that this loop, kept away (a
 * stopped or busy caller), found passed when it came back, was ended by
 * a CPU limit reached by then (the init's hold on it, a function's own
 * CPU timer), if by one. */
static void final_cpu_check(cordon__attempt_state *s)
{
    if (!s->cpu_limit_ns || s->violated || s->cancelled || s->stdin_error ||
        (s->timed_out && !cordon__ended_before_deadline(s)))
        return;
    uint64_t used = cordon__tree_cpu_ns(s, true);
    uint64_t reaped = (uint64_t)(s->rusage.ru_utime.tv_sec + s->rusage.ru_stime.tv_sec) *
                          1000000000ull +
                      (uint64_t)(s->rusage.ru_utime.tv_usec + s->rusage.ru_stime.tv_usec) * 1000u;
    if (reaped > used)
        used = reaped;
    if (used > s->cpu_used_ns)
        s->cpu_used_ns = used;
    /* The init's own count, when it ended the tree at the limit while
     * this loop was kept away (lib/init_cpu_limit.c). */
    uint64_t init_count = s->in_namespaces
        ? __atomic_load_n(&s->init_report->cpu_limit_reached_ns, __ATOMIC_ACQUIRE) : 0;
    if (init_count && !s->cpu_at_kill_ns)
        s->cpu_at_kill_ns = init_count;
    if (init_count > s->cpu_used_ns)
        s->cpu_used_ns = init_count;
    bool crossed_now = !s->cpu_exceeded && (s->cpu_used_ns >= s->cpu_limit_ns || init_count);
    if (crossed_now) {
        /* Crossed between the last check and the end (or by the init's
         * own hold): as check_cpu, near a kill of the memory limit's. */
        uint64_t now = cordon__now_ns();
        note_oom_kills(s, now);
        s->cpu_crossed_in_oom_ending = in_oom_ending(s, now);
        s->cpu_exceeded = true;
    }
}

static int collect_loop(cordon_task *t, cordon__attempt_state *s)
{
    struct cordon__notify_state notify = {
        .child_pid = s->pid, .exec_attempts = s->exec_attempts,
        .policy = t->policy_set ? t->policy : cordon__policy_builtin_default(),
        /* the parent's own open of a device would pass by file rules */
        .devices_by_parent = t->isolation == NULL,
        .watch_signal_sources = s->signal_sources_watched,
    };
    struct pollfd fds[SLOT_COUNT];
    uint64_t grace_end = 0;
    s->next_cpu_check_ns = s->started_ns;
    s->next_limit_look_ns = s->started_ns;
    for (;;) {
        uint64_t now = cordon__now_ns();
        check_limits(s, now);
        note_the_init_s_kill(s);
        leave_the_ending(s, now, &grace_end);
        if (s->processes && !s->exited)
            cordon__process_table_tick(s->processes, s->pid, s->group, now);
        if (!s->exited && s->pidfd < 0 && child_has_exited(s))
            on_exit_seen(s, &grace_end);
        int open_streams = build_poll_set(t, s, fds);
        s->signal_source_used |= notify.signal_source_used;
        if (s->exited && (open_streams == 0 || (grace_end && now >= grace_end)))
            return 0;
        int timeout = poll_timeout_ms(s, now, next_wake_ns(s, now, grace_end, any_held(t, s)));
        timeout = with_a_look_at_the_init(s, timeout);
        fds[SLOT_TIMER].fd = s->timer_fd; /* made by the line above, at the first wake-up */
        int ready = poll(fds, SLOT_COUNT, timeout);
        if (ready < 0 && errno != EINTR)
            return -errno; /* cannot happen with valid fds; the caller kills and reaps */
        if (ready > 0)
            dispatch(t, s, fds, &notify, &grace_end);
    }
}

int cordon__collect(cordon_task *t, cordon__attempt_state *s)
{
    s->timer_fd = -1;
    s->timer_tried = false;
    s->flood_chunk = NULL;
    int rc = cordon__stdin_reader_start(s->stdin_reader);
    cordon__cancel_target(t, s);
    /* In namespaces the init keeps the deadline beside this loop; a
     * command's start without them had its watch started already. */
    cordon__deadline_watch *watch = &s->deadline_watch;
    if (rc == 0 && s->deadline_ns && !s->in_namespaces && !watch->started)
        cordon__deadline_watch_start(watch, t, s->deadline_ns, NULL);
    if (rc == 0)
        rc = collect_loop(t, s);
    close_fd(&s->timer_fd);
    if (rc == 0)
        drain_remaining(t, s);
    /* The loop, held by the task, found the task ended by the watch: the
     * deadline's doing, which the loop itself would have said. */
    if (cordon__deadline_watch_stop(watch) && !s->timed_out)
        s->timed_out = true;
    cordon__cancel_target(t, NULL); /* before the pidfd is closed and the child reaped */
    /* A message that came after the loop stopped reading: a forged one
     * ahead of cordon's is seen here at the latest. */
    if (rc == 0 && s->listener_socket >= 0 && !s->handover_forged)
        receive_listener(s);
    /* What the terminal has not taken by now is dropped, and counted. */
    cordon__relay_finish(s, 1, &t->std_out);
    cordon__relay_finish(s, 2, &t->std_err);
    free(s->flood_chunk);
    s->flood_chunk = NULL;
    if (rc < 0)
        return rc;
    s->reaped_at_ticks = cordon__boot_ticks();
    rc = s->ending_left ? left_ending(s) : reap(s);
    /* The init's report of the tree, without the init's own use.  That
     * use is wait4's figure less the tree's: its CPU to the end, freeing
     * its copy of the caller's memory included (some 70 ms for 4 GiB),
     * which the cgroup counted and the task's usage leaves out. */
    if (rc == 0 && s->in_namespaces &&
        __atomic_load_n(&s->init_report->tree_usage_valid, __ATOMIC_ACQUIRE)) {
        uint64_t with_init = cordon__rusage_cpu_ns(&s->rusage);
        s->rusage = s->init_report->tree_usage;
        uint64_t tree = cordon__rusage_cpu_ns(&s->rusage);
        s->init_own_cpu_ns = with_init > tree ? with_init - tree : 0;
    }
    if (rc == 0)
        cordon__usage_leave_out_give_back(s);
    cordon__usage_count_unwaited(s);
    final_cpu_check(s);
    cordon__usage_count_scanned(s);
    if (s->cgroup) {
        s->oom_killed = cordon__cgroup_oom_killed(s->cgroup);
        /* cordon's process share names nothing: the task sees its fork
         * refused, as under RLIMIT_NPROC (sandbox/process_share.c). */
        s->pids_limited = !s->process_share && cordon__cgroup_pids_limited(s->cgroup);
        s->tree_peak_bytes = cordon__cgroup_memory_peak(s->cgroup);
    }
    return rc;
}
