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
 * read (a 32-bit program of this kernel's age calls socket itself); with
 * no policy, io_uring_setup fails with EPERM (an io_uring's own sockets,
 * made under --policy none, got one), and so does a socket of a family
 * no network namespace holds (below).  A guard of its own for the reason
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
#define REFUSE_FAMILY GUARD_ERRNO(EAFNOSUPPORT)

/* Where there is no policy, io_uring_setup is refused too (EPERM; the
 * policies' variant refuses it for a task without a network, and a
 * learning run then learns it): an io_uring makes sockets
 * (IORING_OP_SOCKET) that no filter sees.  And so is a socket of any
 * family but AF_UNIX, IPv4, IPv6, netlink and packet (EAFNOSUPPORT, as the
 * policies' variant refuses them): a family that no network namespace
 * holds apart reaches the machine from a task without a network; vsock
 * (AF_VSOCK), whose ports are the whole machine's, let a task of
 * `--isolate isolated --policy none` take a port of the caller's and
 * speak to the hypervisor's host.  Under a policy its variant refuses
 * them with its own action (nonet-kill's kill, which an errno here would
 * have overtaken). */
#if defined(__x86_64__)
#define I386_SOCKET 359
#define I386_SOCKETCALL 102
#define SOCKETCALL_SOCKET 1
/* RING: the io_uring_setup number, or one no call has (0xffffffff);
 * OTHER_FAMILIES: what a socket of a family no namespace holds gets. */
#define GUARD(RING, OTHER_FAMILIES)                                                          \
    {                                                                                        \
        /* 0 */ GUARD_LOAD(GUARD_ARCH),                                                      \
        /* 1 */ GUARD_IF_EQUAL(AUDIT_ARCH_I386, 5, 0),                                       \
        /* 2 */ GUARD_IF_EQUAL(AUDIT_ARCH_X86_64, 0, 19),                                    \
        /* 3 */ GUARD_LOAD(GUARD_NUMBER),                                                    \
        /* 4 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~X32_SYSCALL_BIT),                       \
        /* 5 */ GUARD_IF_EQUAL(SYS_socket, 7, 0),                                            \
        /* 6 */ GUARD_IF_EQUAL(RING, 17, 15),                                                \
        /* 7 */ GUARD_LOAD(GUARD_NUMBER),                                                    \
        /* 8 */ GUARD_IF_EQUAL(I386_SOCKET, 4, 0),                                           \
        /* 9 */ GUARD_IF_EQUAL(RING, 14, 0),                                                 \
        /* 10 */ GUARD_IF_EQUAL(I386_SOCKETCALL, 0, 11),                                     \
        /* 11 */ GUARD_LOAD(GUARD_ARGUMENT(0)),                                              \
        /* 12 */ GUARD_IF_EQUAL(SOCKETCALL_SOCKET, 10, 9),                                   \
        /* 13 */ GUARD_LOAD(GUARD_ARGUMENT(0)),                                              \
        /* 14 */ GUARD_IF_EQUAL(AF_NETLINK, 0, 2),                                           \
        /* 15 */ GUARD_LOAD(GUARD_ARGUMENT(2)),                                              \
        /* 16 */ GUARD_IF_EQUAL(NETLINK_KOBJECT_UEVENT, 6, 5),                               \
        /* 17 */ GUARD_IF_EQUAL(AF_UNIX, 4, 0),                                              \
        /* 18 */ GUARD_IF_EQUAL(AF_INET, 3, 0),                                              \
        /* 19 */ GUARD_IF_EQUAL(AF_INET6, 2, 0),                                             \
        /* 20 */ GUARD_IF_EQUAL(AF_PACKET, 1, 0),                                            \
        /* 21 */ OTHER_FAMILIES,                                                             \
        /* 22 */ ALLOW,                                                                      \
        /* 23 */ REFUSE,                                                                     \
        /* 24 */ REFUSE_RING,                                                                \
    }
#else
#define GUARD(RING, OTHER_FAMILIES)                                                          \
    {                                                                                        \
        /* 0 */ GUARD_LOAD(GUARD_NUMBER),                                                    \
        /* 1 */ GUARD_IF_EQUAL(RING, 12, 0),                                                 \
        /* 2 */ GUARD_IF_EQUAL(SYS_socket, 0, 9),                                            \
        /* 3 */ GUARD_LOAD(GUARD_ARGUMENT(0)),                                               \
        /* 4 */ GUARD_IF_EQUAL(AF_NETLINK, 0, 2),                                            \
        /* 5 */ GUARD_LOAD(GUARD_ARGUMENT(2)),                                               \
        /* 6 */ GUARD_IF_EQUAL(NETLINK_KOBJECT_UEVENT, 6, 5),                                \
        /* 7 */ GUARD_IF_EQUAL(AF_UNIX, 4, 0),                                               \
        /* 8 */ GUARD_IF_EQUAL(AF_INET, 3, 0),                                               \
        /* 9 */ GUARD_IF_EQUAL(AF_INET6, 2, 0),                                              \
        /* 10 */ GUARD_IF_EQUAL(AF_PACKET, 1, 0),                                            \
        /* 11 */ OTHER_FAMILIES,                                                             \
        /* 12 */ ALLOW,                                                                      \
        /* 13 */ REFUSE,                                                                     \
        /* 14 */ REFUSE_RING,                                                                \
    }
#endif

#define NO_CALL 0xffffffffu
static const struct sock_filter guard_without_policy[] =
    GUARD(SYS_io_uring_setup, REFUSE_FAMILY);
static const struct sock_filter guard[] = GUARD(NO_CALL, ALLOW);

int cordon__device_events_guard_install(bool all_threads, bool no_policy)
{
    if (no_policy)
        return cordon__install_guard(guard_without_policy,
                                     sizeof guard_without_policy / sizeof *guard_without_policy,
                                     all_threads);
    return cordon__install_guard(guard, sizeof guard / sizeof *guard, all_threads);
}
