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
 * read (a 32-bit program of this kernel's age calls socket itself), and
 * io_uring_setup fails with EPERM (an io_uring's own sockets, made under
 * --policy none, got one).  A guard of its own for the reason
 * terminal_guard.c gives: no policy's allow of socket needs cutting
 * around it.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "guard_filter.h"
#include "policy.h"

#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#endif

#define ALLOW GUARD_ALLOW
#define REFUSE GUARD_ERRNO(EACCES)
#define REFUSE_RING GUARD_ERRNO(EPERM)

/* io_uring_setup is refused too (EPERM) where no policy refuses it (the
 * policies' variant does, for a task without a network, and a learning
 * run then learns it): an io_uring makes sockets (IORING_OP_SOCKET) that
 * no filter sees. */
#if defined(__x86_64__)
#define I386_SOCKET 359
#define I386_SOCKETCALL 102
#define SOCKETCALL_SOCKET 1
/* RING: the io_uring_setup number, or one no call has (0xffffffff), for
 * the guard of a task whose policy refuses io_uring_setup itself. */
#define GUARD(RING)                                                                          \
    {                                                                                        \
        /* 0 */ GUARD_LOAD(GUARD_ARCH),                                                      \
        /* 1 */ GUARD_IF_EQUAL(AUDIT_ARCH_I386, 5, 0),                                       \
        /* 2 */ GUARD_IF_EQUAL(AUDIT_ARCH_X86_64, 0, 14),                                    \
        /* 3 */ GUARD_LOAD(GUARD_NUMBER),                                                    \
        /* 4 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~X32_SYSCALL_BIT),                       \
        /* 5 */ GUARD_IF_EQUAL(SYS_socket, 7, 0),                                            \
        /* 6 */ GUARD_IF_EQUAL(RING, 12, 10),                                                \
        /* 7 */ GUARD_LOAD(GUARD_NUMBER),                                                    \
        /* 8 */ GUARD_IF_EQUAL(I386_SOCKET, 4, 0),                                           \
        /* 9 */ GUARD_IF_EQUAL(RING, 9, 0),                                                  \
        /* 10 */ GUARD_IF_EQUAL(I386_SOCKETCALL, 0, 6),                                      \
        /* 11 */ GUARD_LOAD(GUARD_ARGUMENT(0)),                                              \
        /* 12 */ GUARD_IF_EQUAL(SOCKETCALL_SOCKET, 5, 4),                                    \
        /* 13 */ GUARD_LOAD(GUARD_ARGUMENT(0)),                                              \
        /* 14 */ GUARD_IF_EQUAL(AF_NETLINK, 0, 2),                                           \
        /* 15 */ GUARD_LOAD(GUARD_ARGUMENT(2)),                                              \
        /* 16 */ GUARD_IF_EQUAL(NETLINK_KOBJECT_UEVENT, 1, 0),                               \
        /* 17 */ ALLOW,                                                                      \
        /* 18 */ REFUSE,                                                                     \
        /* 19 */ REFUSE_RING,                                                                \
    }
#else
#define GUARD(RING)                                                                          \
    {                                                                                        \
        /* 0 */ GUARD_LOAD(GUARD_NUMBER),                                                    \
        /* 1 */ GUARD_IF_EQUAL(RING, 7, 0),                                                  \
        /* 2 */ GUARD_IF_EQUAL(SYS_socket, 0, 4),                                            \
        /* 3 */ GUARD_LOAD(GUARD_ARGUMENT(0)),                                               \
        /* 4 */ GUARD_IF_EQUAL(AF_NETLINK, 0, 2),                                            \
        /* 5 */ GUARD_LOAD(GUARD_ARGUMENT(2)),                                               \
        /* 6 */ GUARD_IF_EQUAL(NETLINK_KOBJECT_UEVENT, 1, 0),                                \
        /* 7 */ ALLOW,                                                                       \
        /* 8 */ REFUSE,                                                                      \
        /* 9 */ REFUSE_RING,                                                                 \
    }
#endif

#define NO_CALL 0xffffffffu
static const struct sock_filter guard_with_rings[] = GUARD(SYS_io_uring_setup);
static const struct sock_filter guard[] = GUARD(NO_CALL);

int cordon__device_events_guard_install(bool all_threads, bool refuse_rings)
{
    if (refuse_rings)
        return cordon__install_guard(guard_with_rings,
                                     sizeof guard_with_rings / sizeof *guard_with_rings,
                                     all_threads);
    return cordon__install_guard(guard, sizeof guard / sizeof *guard, all_threads);
}
