/*
 * clone3 for a command's vfork-style child, so that the child starts inside
 * its v2 cgroup (CLONE_INTO_CGROUP) instead of writing itself into
 * cgroup.procs: that write takes the kernel's cgroup migration lock for
 * writing, which costs a task tens to hundreds of microseconds.
 *
 * glibc has no clone3 wrapper that runs a function on a new stack, so the
 * call is made here: the child comes back from the syscall on its own
 * stack, where no C frame of the caller exists, and must go straight to the
 * function.  Only x86-64 has it; elsewhere (and where clone3 is missing or
 * refused) the caller falls back to clone().
 */
#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

#if defined(__x86_64__) && defined(SYS_clone3)
static long raw_clone3(struct clone_args *args, int (*fn)(void *), void *arg)
{
    long ret;
    register void *entry __asm__("r12") = (void *)fn;
    register void *entry_arg __asm__("r13") = arg;
    __asm__ volatile("syscall\n\t"
                     "test %%rax, %%rax\n\t"
                     "jnz 1f\n\t"
                     /* The child, on its own 16-byte aligned stack: no frame
                      * to return to, so call and then exit. */
                     "xor %%ebp, %%ebp\n\t"
                     "mov %%r13, %%rdi\n\t"
                     "call *%%r12\n\t"
                     "mov %%eax, %%edi\n\t"
                     "mov %[exit_nr], %%eax\n\t"
                     "syscall\n\t"
                     "hlt\n\t"
                     "1:\n\t"
                     : "=a"(ret)
                     : "a"((long)SYS_clone3), "D"(args), "S"(sizeof *args), "r"(entry),
                       "r"(entry_arg), [exit_nr] "i"(SYS_exit)
                     : "rcx", "r11", "memory");
    return ret;
}

pid_t cordon__clone3_vfork_into_cgroup(int (*fn)(void *), void *arg, char *stack,
                                       size_t stack_size, int cgroup_fd, int *pidfd)
{
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = CLONE_VM | CLONE_VFORK | CLONE_PIDFD | CLONE_INTO_CGROUP;
    args.pidfd = (uint64_t)(uintptr_t)pidfd;
    args.exit_signal = 0; /* none: a caller's waitpid(-1) cannot reap it */
    args.stack = (uint64_t)(uintptr_t)stack;
    args.stack_size = stack_size;
    args.cgroup = (uint64_t)cgroup_fd;
    return (pid_t)raw_clone3(&args, fn, arg); /* the pid, or -errno */
}
#else
pid_t cordon__clone3_vfork_into_cgroup(int (*fn)(void *), void *arg, char *stack,
                                       size_t stack_size, int cgroup_fd, int *pidfd)
{
    (void)fn, (void)arg, (void)stack, (void)stack_size, (void)cgroup_fd, (void)pidfd;
    return -ENOSYS;
}
#endif
