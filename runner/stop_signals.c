/*
 * A signal that stops the runner (SIGINT from ^C, SIGTERM, SIGHUP,
 * SIGQUIT, and the others whose default ends a process) ends its tasks
 * the way their runs end, not by the runner's death: every run going on
 * is cancelled (cordon_cancel), so that each
 * task's cleanup is done (its cgroups removed, a terminal handed over with
 * --tty put back in the modes it had), and then the runner dies of the
 * same signal, as a shell expects of a program it interrupted (after
 * the library's exit handlers, which remove the cgroups it kept idle for
 * a next task).  Before,
 * the signal's default action killed the runner at once: the tasks died
 * by their watch of it, but a terminal was left with the task's modes
 * (echo off) and the task's cgroups stayed until another cordon process
 * swept them.
 *
 * The signals are blocked in every thread and taken by a thread of their
 * own.  A signal the runner's parent left ignored stays ignored (a job a
 * non-interactive shell started in the background).  A second signal, or
 * runs that have not all ended STOP_WAIT_MS after the first (a batch
 * blocked reading its job stream), ends the runner at once, as before.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runner.h"
#include "stop_signals.h"

#define STOP_WAIT_MS 2000
#define CANCEL_EVERY_MS 50

/* And every other signal whose default action ends a process, its own
 * CPU limit's among them (SIGXCPU: the kernel's SIGKILL at the hard limit
 * still ends it), but those of its own faults (SIGSEGV and kin), a write
 * past its RLIMIT_FSIZE (SIGXFSZ, sent to the writing thread, whose write
 * then fails with EFBIG, said as an error) and SIGPIPE (a reader that
 * went away): killed by SIGUSR1, SIGUSR2, SIGALRM or SIGPROF, the runner
 * left no record, the task's cgroups behind, and without namespaces a
 * tree that went on running with no deadline.  (The profiler's SIGPROF
 * is the task's, whose signals are its own.) */
static const int stop_signals[] = { SIGINT,  SIGTERM,   SIGHUP, SIGQUIT,   SIGUSR1,
                                    SIGUSR2, SIGALRM,   SIGIO,  SIGVTALRM, SIGPROF,
                                    SIGPWR,  SIGSTKFLT, SIGXCPU };
static sigset_t watched;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static cordon_task **running;
static size_t running_count, running_capacity;
static int caught;

static _Noreturn void die_of(int sig)
{
    signal(sig, SIG_DFL);
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, sig);
    pthread_sigmask(SIG_UNBLOCK, &only, NULL);
    raise(sig);
    _exit(128 + sig); /* a signal whose default is not to end (none here) */
}

/* Every run watched now; a run watched just before it started its
 * attempt may not take the cancel yet: asked again each round. */
static size_t cancel_all(void)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < running_count; i++)
        cordon_cancel(running[i]);
    size_t count = running_count;
    pthread_mutex_unlock(&lock);
    return count;
}

static pthread_t taker;
static pid_t taker_owner; /* 0: no thread; another pid: a forked copy's exit */
static int quitting;      /* set by the exit, whose signal then only wakes the thread */

static void *take_stop_signals(void *unused)
{
    (void)unused;
    int sig;
    while (sigwait(&watched, &sig) != 0)
        ;
    if (__atomic_load_n(&quitting, __ATOMIC_ACQUIRE))
        return NULL;
    __atomic_store_n(&caught, sig, __ATOMIC_RELEASE);
    for (int waited = 0; waited < STOP_WAIT_MS; waited += CANCEL_EVERY_MS) {
        cancel_all();
        struct timespec tick = { 0, CANCEL_EVERY_MS * 1000000L };
        int again = sigtimedwait(&watched, NULL, &tick);
        if (again > 0) /* the exit's wake-up is no second signal */
            die_of(__atomic_load_n(&quitting, __ATOMIC_ACQUIRE) ? sig : again);
    }
    die_of(sig);
}

/* A signal the thread waits for, to wake it at the exit; 0: none. */
static int a_watched_signal(void)
{
    for (int sig = 1; sig < NSIG; sig++)
        if (sigismember(&watched, sig) == 1)
            return sig;
    return 0;
}

/* Registered before anything of the library's, so run after its exit
 * handlers (the idle cgroups it keeps for the next task are removed):
 * the last thing the runner does. */
static void die_at_exit(void)
{
    int sig = stop_signals_caught();
    if (sig)
        die_of(sig);
    /* No signal came: the thread, still in sigwait, is woken by one of
     * its own signals, which the flag makes a request to return, and
     * joined, so that its stack is not left to the leak checkers as
     * "possibly lost" (a cancel, which would end the wait too, leaves
     * AddressSanitizer's marks on its stack).  A stop signal taken before
     * the flag is the thread's as ever: it ends the runner, by that
     * signal; one that comes after it finds the runner ending anyway. */
    int wake = a_watched_signal();
    if (taker_owner == getpid() && wake) {
        __atomic_store_n(&quitting, 1, __ATOMIC_RELEASE);
        pthread_kill(taker, wake);
        pthread_join(taker, NULL);
        taker_owner = 0;
        if ((sig = stop_signals_caught()))
            die_of(sig);
    }
}

static void watch_unless_ignored(int sig)
{
    struct sigaction now;
    if (sigaction(sig, NULL, &now) == 0 && now.sa_handler != SIG_IGN)
        sigaddset(&watched, sig);
}

void stop_signals_start(void)
{
    sigemptyset(&watched);
    for (size_t i = 0; i < sizeof stop_signals / sizeof *stop_signals; i++)
        watch_unless_ignored(stop_signals[i]);
    for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
        watch_unless_ignored(sig);
    if (atexit(die_at_exit) != 0)
        return; /* the signals end the runner as they did */
    sigset_t previous;
    pthread_sigmask(SIG_BLOCK, &watched, &previous);
    /* Without the thread, the signals end the runner as they did. */
    if (pthread_create(&taker, NULL, take_stop_signals, NULL) == 0)
        taker_owner = getpid();
    else
        pthread_sigmask(SIG_SETMASK, &previous, NULL);
}

void stop_signals_watch(cordon_task *t)
{
    pthread_mutex_lock(&lock);
    if (running_count == running_capacity) {
        running_capacity = running_capacity ? 2 * running_capacity : 8;
        running = runner_realloc(running, running_capacity * sizeof *running);
    }
    running[running_count++] = t;
    pthread_mutex_unlock(&lock);
}

void stop_signals_unwatch(cordon_task *t)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < running_count; i++)
        if (running[i] == t) {
            running[i] = running[--running_count];
            break;
        }
    if (running_count == 0) {
        free(running);
        running = NULL;
        running_capacity = 0;
    }
    pthread_mutex_unlock(&lock);
}

int stop_signals_caught(void)
{
    return __atomic_load_n(&caught, __ATOMIC_ACQUIRE);
}

void stop_signals_die_if_caught(void)
{
    if (!stop_signals_caught())
        return;
    (void)runner_flush_stdout(); /* what the runs said is kept */
    exit(RUNNER_EXIT_OWN_ERROR); /* its status never seen: die_at_exit */
}
