/*
 * A filter stacked under the policy's for a task without a network
 * (CORDON_NETWORK_NONE): the kernel's device events stay out of it.
 *
 * The kernel sends its device events (a disk, a USB stick or a module
 * added or removed: device paths, names, numbers, a USB device's vendor
 * and product) to a netlink socket of NETLINK_KOBJECT_UEVENT in every
 * network namespace its first user namespace owns, which is a root
 * caller's task's: under `--isolate judge` such a task bound one and read
 * the machine's events as they came, where "no network" says nothing of
 * the machine reaches it.  So socket(AF_NETLINK, *, NETLINK_KOBJECT_UEVENT)
 * fails with EACCES, under any policy and under none, and so does a
 * 32-bit socketcall(SYS_SOCKET), whose family is in memory a filter cannot
 * read (a 32-bit program of this kernel's age calls socket itself).  A
 * guard of its own for the reason terminal_guard.c gives: no policy's
 * allow of socket needs cutting around it.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "policy.h"

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define LOW_WORD(n) offsetof(struct seccomp_data, args[n])
#else
#define LOW_WORD(n) (offsetof(struct seccomp_data, args[n]) + 4)
#endif

#define LOAD(where) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (where))
#define ALLOW BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
#define REFUSE BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES)
#define IF_EQUAL(value, then, otherwise) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (value), (then), (otherwise))

#if defined(__x86_64__)
#ifndef X32_SYSCALL_BIT
#define X32_SYSCALL_BIT 0x40000000
#endif
#define I386_SOCKET 359
#define I386_SOCKETCALL 102
#define SOCKETCALL_SOCKET 1
static const struct sock_filter guard[] = {
    /* 0 */ LOAD(offsetof(struct seccomp_data, arch)),
    /* 1 */ IF_EQUAL(AUDIT_ARCH_I386, 4, 0),
    /* 2 */ IF_EQUAL(AUDIT_ARCH_X86_64, 0, 12),
    /* 3 */ LOAD(offsetof(struct seccomp_data, nr)),
    /* 4 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~X32_SYSCALL_BIT),
    /* 5 */ IF_EQUAL(SYS_socket, 5, 9),
    /* 6 */ LOAD(offsetof(struct seccomp_data, nr)),
    /* 7 */ IF_EQUAL(I386_SOCKET, 3, 0),
    /* 8 */ IF_EQUAL(I386_SOCKETCALL, 0, 6),
    /* 9 */ LOAD(LOW_WORD(0)),
    /* 10 */ IF_EQUAL(SOCKETCALL_SOCKET, 5, 4),
    /* 11 */ LOAD(LOW_WORD(0)),
    /* 12 */ IF_EQUAL(AF_NETLINK, 0, 2),
    /* 13 */ LOAD(LOW_WORD(2)),
    /* 14 */ IF_EQUAL(NETLINK_KOBJECT_UEVENT, 1, 0),
    /* 15 */ ALLOW,
    /* 16 */ REFUSE,
};
#else
static const struct sock_filter guard[] = {
    LOAD(offsetof(struct seccomp_data, nr)),
    IF_EQUAL(SYS_socket, 0, 4),
    LOAD(LOW_WORD(0)),
    IF_EQUAL(AF_NETLINK, 0, 2),
    LOAD(LOW_WORD(2)),
    IF_EQUAL(NETLINK_KOBJECT_UEVENT, 1, 0),
    ALLOW,
    REFUSE,
};
#endif

int cordon__device_events_guard_install(bool all_threads)
{
    return cordon__install_guard(guard, sizeof guard / sizeof *guard, all_threads);
}
