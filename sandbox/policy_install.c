/*
 * Child side: installing the compiled program.  Async-signal-safe: one raw
 * seccomp(2) call, nothing allocated (lib/child.c's rule).
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "policy.h"
#include "policy_rules.h"

#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif

int cordon__install_program(const struct sock_fprog *program, bool notifies)
{
    unsigned flags = notifies ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
    long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, program);
    /* Where seccomp(2) is missing (old kernels, valgrind), prctl installs
     * the same program; a listener needs seccomp(2), so the compiler only
     * asked for one where libseccomp found it. */
    if (rc < 0 && errno == ENOSYS && !flags)
        rc = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, program, 0, 0);
    if (rc < 0)
        return -errno;
    /* The kernel opens the listener close-on-exec. */
    return notifies ? (int)rc : -1;
}

int cordon__install_guard(const struct sock_filter *filter, size_t length, bool all_threads)
{
    struct sock_fprog program = { .len = (unsigned short)length,
                                  .filter = (struct sock_filter *)filter };
    unsigned flags = all_threads ? SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH : 0;
    long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &program);
    /* As above: valgrind knows prctl's form alone (a task without an IPC
     * namespace there, whose guard this is, failed to start). */
    if (rc < 0 && errno == ENOSYS && !flags)
        rc = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0);
    return rc < 0 ? -errno : 0;
}

int cordon__policy_install(const cordon_policy *p)
{
    return cordon__install_program(&p->program, p->notifies);
}

bool cordon__policy_notifies(const cordon_policy *p)
{
    return p->notifies;
}

#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/* Refuses pidfd_getfd (EPERM) on every ABI, lets the rest through to the
 * policy's own filter. */
static const struct sock_filter no_fd_taking[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~X32_SYSCALL_BIT),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pidfd_getfd, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};

/*
 * The listener is made in the calling thread's fd table, and the threads
 * a set-up hook left running are the task's code: one that copied it
 * there (dup of the fd the listener lands on, or pidfd_getfd from this
 * thread) before cordon closes it could answer the filter's notifications
 * itself and let through the very calls the policy kills.  So, before the
 * listener exists: every thread loses pidfd_getfd (the one way into
 * another thread's table, open to the same thread group whatever its
 * rights), and this thread takes a table of its own (unshare(CLONE_FILES):
 * a copy; the other threads keep the one they share).  No-ops for a
 * process with one thread but for the refusal of pidfd_getfd.
 */
static int seal_off_the_listener(void)
{
    struct sock_fprog guard = {
        .len = sizeof no_fd_taking / sizeof *no_fd_taking,
        .filter = (struct sock_filter *)no_fd_taking,
    };
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH, &guard) != 0 ||
        unshare(CLONE_FILES) != 0)
        return -errno;
    return 0;
}

/* For a process that may hold more threads than the calling one (a
 * function task's set-up hook may have started some): every thread gets
 * the filter, or none does and the call fails (-ESRCH: a thread that
 * could not be synchronized; -EINVAL: a kernel before 5.7, without
 * TSYNC_ESRCH).  No prctl fallback: it filters the calling thread only.
 * A listener is made out of the other threads' reach (above). */
int cordon__policy_install_all_threads(const cordon_policy *p)
{
    unsigned flags = SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH |
                     (p->notifies ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0);
    int sealed = p->notifies ? seal_off_the_listener() : 0;
    if (sealed < 0)
        return sealed;
    long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &p->program);
    if (rc < 0)
        return -errno;
    return p->notifies ? (int)rc : -1;
}
