/*
 * Child side: installing the compiled program.  Async-signal-safe: one raw
 * seccomp(2) call, nothing allocated (lib/child.c's rule).
 */
#include <errno.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "policy.h"
#include "policy_rules.h"

int cordon__policy_install(const cordon_policy *p)
{
    unsigned flags = p->notifies ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
    long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &p->program);
    /* Where seccomp(2) is missing (old kernels, valgrind), prctl installs
     * the same program; a listener needs seccomp(2), so the compiler only
     * asked for one where libseccomp found it. */
    if (rc < 0 && errno == ENOSYS && !flags)
        rc = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &p->program, 0, 0);
    if (rc < 0)
        return -errno;
    /* The kernel opens the listener close-on-exec. */
    return p->notifies ? (int)rc : -1;
}

#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif

/* For a process that may hold more threads than the calling one (a
 * function task's set-up hook may have started some): every thread gets
 * the filter, or none does and the call fails (-ESRCH: a thread that
 * could not be synchronized; -EINVAL: a kernel before 5.7, without
 * TSYNC_ESRCH).  No prctl fallback: it filters the calling thread only. */
int cordon__policy_install_all_threads(const cordon_policy *p)
{
    unsigned flags = SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH |
                     (p->notifies ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0);
    long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &p->program);
    if (rc < 0)
        return -errno;
    return p->notifies ? (int)rc : -1;
}
