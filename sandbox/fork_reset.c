/*
 * The locks CORDON__RESET_IN_FORKED_COPIES names, made anew in a forked
 * copy (fork_reset.h).  The linker gathers their addresses in one section
 * and names its bounds; weak, so that a program that links no such lock
 * still links.  Runs in the copy right after fork(), before fork returns
 * there: nothing but pthread_mutex_init, and the owners'
 * pids CORDON__FORGOTTEN_IN_FORKED_COPIES names set to 0.
 */
#include "fork_reset.h"

extern pthread_mutex_t *const __start_cordon_fork_reset[] __attribute__((weak));
extern pthread_mutex_t *const __stop_cordon_fork_reset[] __attribute__((weak));
extern pid_t *const __start_cordon_fork_forget[] __attribute__((weak));
extern pid_t *const __stop_cordon_fork_forget[] __attribute__((weak));

static void reset_in_the_copy(void)
{
    for (pthread_mutex_t *const *lock = __start_cordon_fork_reset;
         lock && lock < __stop_cordon_fork_reset; lock++)
        pthread_mutex_init(*lock, NULL);
    for (pid_t *const *owner = __start_cordon_fork_forget;
         owner && owner < __stop_cordon_fork_forget; owner++)
        **owner = 0;
}

static void watch_forks(void)
{
    pthread_atfork(NULL, NULL, reset_in_the_copy);
}

void cordon__fork_reset_watch(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, watch_forks);
}

/* From the program's start, not only from its first task: a program that
 * used only the policy functions from threads, then forked, left its
 * copy a lock held for good as well. */
__attribute__((constructor)) static void watch_from_the_start(void)
{
    cordon__fork_reset_watch();
}
