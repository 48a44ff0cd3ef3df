/*
 * Which syscall arguments the kernel takes as 32-bit (int, unsigned int,
 * pid_t, umode_t…): it uses only their low 32 bits, while a seccomp
 * filter sees the whole 64-bit register.  From the SYSCALL_DEFINE lines
 * of the kernel's sources, for the calls policies commonly test.
 */
#include <string.h>

#include "policy_rules.h"

static const struct { const char *name; unsigned args; } int_args[] = {
#define A(n) (1u << (n))
    { "socket", A(0) | A(1) | A(2) },      { "socketpair", A(0) | A(1) | A(2) },
    { "connect", A(0) | A(2) },            { "bind", A(0) | A(2) },
    { "listen", A(0) | A(1) },             { "accept4", A(0) | A(3) },
    { "setsockopt", A(0) | A(1) | A(2) | A(4) }, { "getsockopt", A(0) | A(1) | A(2) },
    { "sendto", A(0) | A(3) | A(5) },      { "recvfrom", A(0) | A(3) },
    { "sendmsg", A(0) | A(2) },            { "recvmsg", A(0) | A(2) },
    { "shutdown", A(0) | A(1) },           { "open", A(1) | A(2) },
    { "openat", A(0) | A(2) | A(3) },      { "creat", A(1) },
    { "ioctl", A(0) | A(1) },              { "fcntl", A(0) | A(1) },
    { "prctl", A(0) },                     { "personality", A(0) },
    { "kill", A(0) | A(1) },               { "tkill", A(0) | A(1) },
    { "tgkill", A(0) | A(1) | A(2) },      { "setpgid", A(0) | A(1) },
    { "prlimit64", A(0) | A(1) },          { "newfstatat", A(0) | A(3) },
    { "fstat", A(0) },                     { "close", A(0) },
    { "dup", A(0) },                       { "dup2", A(0) | A(1) },
    { "dup3", A(0) | A(1) | A(2) },        { "read", A(0) },
    { "write", A(0) },                     { "mq_open", A(1) | A(2) },
    { "setns", A(0) | A(1) },              { "execveat", A(0) | A(4) },
    { "mkdirat", A(0) | A(2) },            { "unlinkat", A(0) | A(2) },
    { "renameat2", A(0) | A(2) | A(4) },   { "fchmodat", A(0) | A(2) },
    { "chmod", A(1) },                     { "fchmod", A(0) | A(1) },
    { "madvise", A(2) },                   { "futex", A(1) },
    { "clock_gettime", A(0) },             { "clock_settime", A(0) },
    { "clock_nanosleep", A(0) | A(1) },    { "setuid", A(0) },
    { "setgid", A(0) },                    { "umask", A(0) },
    { "bpf", A(0) | A(2) },                { "perf_event_open", A(1) | A(2) | A(3) },
    { "flock", A(0) | A(1) },              { "lseek", A(0) | A(2) },
    { "memfd_create", A(1) },              { "pipe2", A(1) },
    { "eventfd2", A(0) | A(1) },           { "epoll_create1", A(0) },
    { "inotify_init1", A(0) },             { "getrandom", A(2) },
    { "seccomp", A(0) | A(1) },            { "keyctl", A(0) },
    { "kcmp", A(0) | A(1) | A(2) },        { "sched_setscheduler", A(0) | A(1) },
    { "waitid", A(0) | A(1) | A(3) },      { "wait4", A(0) | A(2) },
    { "pidfd_open", A(0) | A(1) },         { "pidfd_send_signal", A(0) | A(1) | A(3) },
    { "faccessat", A(0) | A(2) },          { "faccessat2", A(0) | A(2) | A(3) },
    { "fchownat", A(0) | A(4) },           { "utimensat", A(0) | A(3) },
    { "linkat", A(0) | A(2) | A(4) },      { "symlinkat", A(1) },
    { "mknodat", A(0) | A(2) | A(3) },     { "mkdir", A(1) },
    { "mknod", A(1) | A(2) },
#undef A
};

bool cordon__argument_is_32bit(const char *syscall, unsigned arg)
{
    for (size_t i = 0; i < sizeof int_args / sizeof *int_args; i++)
        if (strcmp(int_args[i].name, syscall) == 0)
            return (int_args[i].args >> arg) & 1u;
    return false;
}
