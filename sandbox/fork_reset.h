/* What a forked copy of the caller must find in order.  A copy made
 * while another thread held one of cordon's locks (a caller's own fork
 * beside a thread that runs a task; Python's multiprocessing forking its
 * workers) has only the forking thread: the lock stayed held for good,
 * and the copy's first task hung in it.  Each lock named here is made
 * anew in the copy, each owner word is cleared there, and each gate is
 * taken by the fork itself so that no holder is inside it when the copy
 * is made (fork_reset.c): one pthread_atfork registration for all. */
#ifndef CORDON_SANDBOX_FORK_RESET_H
#define CORDON_SANDBOX_FORK_RESET_H

#include <pthread.h>
#include <sys/types.h>

#define CORDON__FORK_RESET_NAME2(line) cordon__fork_reset_##line
#define CORDON__FORK_RESET_NAME(line) CORDON__FORK_RESET_NAME2(line)
/* At file scope, after the lock: `lock` is its address.  What it guards
 * is the copy's to take over. */
#define CORDON__RESET_IN_FORKED_COPIES(lock)                                                 \
    static pthread_mutex_t *const CORDON__FORK_RESET_NAME(__LINE__)                          \
        __attribute__((section("cordon_fork_reset"), used)) = (lock)

/* At file scope, after the word: `owner` is the address of a pid_t that
 * names the process whose state it is, set to 0 in a forked copy, which
 * then takes none of that state for its own.  The pid alone does not
 * tell a copy from its parent: a function task's process is pid 2 of its
 * own pid namespace, and so is that of a function task it runs, which
 * took its parent's Landlock ruleset fd (closed at its start, by then one
 * of its own files) for its own. */
#define CORDON__FORGOTTEN_IN_FORKED_COPIES(owner)                                            \
    static pid_t *const CORDON__FORK_RESET_NAME(__LINE__)                                    \
        __attribute__((section("cordon_fork_forget"), used)) = (owner)

/* At file scope, after the gate: `gate` is the address of a rwlock whose
 * readers do what no fork may catch half done (a walk of the loader's
 * list, whose lock glibc's fork leaves held in the copy).  A fork takes
 * it as writer before it is made, so it waits for the readers under way
 * and none starts until it is made; the parent gives it back, and the
 * copy makes it anew.  A fork waits at most a second (fork_reset.c). */
#define CORDON__HELD_ACROSS_FORKS(gate)                                                      \
    static pthread_rwlock_t *const CORDON__FORK_RESET_NAME(__LINE__)                         \
        __attribute__((section("cordon_fork_gate"), used)) = (gate)

/* Registers the handlers with pthread_atfork, once per process (at the
 * program's or the library's start, and again harmlessly from each
 * task's making and each gate's first use). */
void cordon__fork_reset_watch(void);

#endif
