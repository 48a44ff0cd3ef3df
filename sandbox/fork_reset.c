/*
 * What the linker gathered in the sections fork_reset.h's macros fill,
 * put in order around every fork of the process: the gates taken before
 * it and given back after it in the parent; the locks and gates made
 * anew and the owners' pids set to 0 in the copy.  The sections' bounds
 * are weak, so that a program that links none of them still links.  The
 * copy's handler runs right after fork(), before fork returns there:
 * nothing but initialisers and stores.
 */
#include <stdbool.h>
#include <time.h>

#include "fork_reset.h"

extern pthread_mutex_t *const __start_cordon_fork_reset[] __attribute__((weak));
extern pthread_mutex_t *const __stop_cordon_fork_reset[] __attribute__((weak));
extern pid_t *const __start_cordon_fork_forget[] __attribute__((weak));
extern pid_t *const __stop_cordon_fork_forget[] __attribute__((weak));
extern pthread_rwlock_t *const __start_cordon_fork_gate[] __attribute__((weak));
extern pthread_rwlock_t *const __stop_cordon_fork_gate[] __attribute__((weak));

/* A fork waits this long at most for a gate's readers.  A reader lasts
 * microseconds; the bound is for a fork that could never have the gate:
 * one made from inside a reader (a caller's own dl_iterate_phdr callback,
 * whose loader lock a walk of cordon's then waits for), or from behind
 * another library's handler that took a lock a reader's malloc needs. */
#define FORK_WAITS_FOR_GATE_S 1

/* Which gates this thread's fork holds (by their place in the section):
 * two threads may fork at once, and a gate not had in time is not
 * given back. */
#define MOST_GATES 64
static __thread unsigned long long gates_held_by_this_fork;

static void take_the_gates(void)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += FORK_WAITS_FOR_GATE_S;
    gates_held_by_this_fork = 0;
    for (pthread_rwlock_t *const *gate = __start_cordon_fork_gate;
         gate && gate < __stop_cordon_fork_gate && gate - __start_cordon_fork_gate < MOST_GATES;
         gate++)
        if (pthread_rwlock_timedwrlock(*gate, &until) == 0)
            gates_held_by_this_fork |= 1ull << (gate - __start_cordon_fork_gate);
}

static void give_the_gates_back(void)
{
    for (pthread_rwlock_t *const *gate = __start_cordon_fork_gate;
         gate && gate < __stop_cordon_fork_gate && gate - __start_cordon_fork_gate < MOST_GATES;
         gate++)
        if (gates_held_by_this_fork & (1ull << (gate - __start_cordon_fork_gate)))
            pthread_rwlock_unlock(*gate);
    gates_held_by_this_fork = 0;
}

/* The copy has only the forking thread: no holder of anything is left. */
static void reset_in_the_copy(void)
{
    for (pthread_mutex_t *const *lock = __start_cordon_fork_reset;
         lock && lock < __stop_cordon_fork_reset; lock++)
        pthread_mutex_init(*lock, NULL);
    for (pid_t *const *owner = __start_cordon_fork_forget;
         owner && owner < __stop_cordon_fork_forget; owner++)
        **owner = 0;
    for (pthread_rwlock_t *const *gate = __start_cordon_fork_gate;
         gate && gate < __stop_cordon_fork_gate; gate++)
        pthread_rwlock_init(*gate, NULL);
    gates_held_by_this_fork = 0;
}

static void watch_forks(void)
{
    pthread_atfork(take_the_gates, give_the_gates_back, reset_in_the_copy);
}

void cordon__fork_reset_watch(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, watch_forks);
}

/* From the program's start, not only from its first task: a program that
 * used only the policy functions from threads, then forked, left its
 * copy a lock held for good as well.  Before the other constructors of
 * cordon's, one of which walks the loader's list behind a gate. */
__attribute__((constructor(101))) static void watch_from_the_start(void)
{
    cordon__fork_reset_watch();
}
