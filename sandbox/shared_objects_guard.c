/*
 * A filter stacked under the policy's for what the task shares with its
 * caller and no namespace of its own separates, under any policy and
 * under none (each part only where it applies, cordon__shared_objects_*):
 *
 * - REUSEPORT, a task that shares the caller's network namespace:
 *   setsockopt(SOL_SOCKET, SO_REUSEPORT) fails with EPERM.  The kernel
 *   lets a socket of the same user join a listener that set the option,
 *   and hands it a share of the connections: a task took 88 of 200 of
 *   its caller's, and a batch task 109 of 200 of a sibling's.  A 32-bit
 *   socketcall(SYS_SETSOCKOPT), whose arguments are in memory no filter
 *   reads, fails too, and so does io_uring_setup (EPERM) where the task
 *   has no policy (the default kills it): an io_uring sets socket options
 *   (SOCKET_URING_OP_SETSOCKOPT) that no filter sees.
 * - SYSTEM_V, a task without an IPC namespace: every System V IPC call
 *   fails with EPERM.  Segments, queues and semaphores are the machine's:
 *   a task left 350 MiB of segments behind past its --mem and its end,
 *   and could attach, read or remove the caller's own by their ids
 *   (/proc/sysvipc lists them).
 * - KEYRINGS, a task given no policy: add_key, request_key and keyctl
 *   fail with EPERM, as every policy's variant makes them fail
 *   (policy_variant.c).  The user keyring is found by a serial any
 *   process of the user reads in /proc/keys, and a user namespace does
 *   not separate it: such a task emptied its caller's, and planted keys
 *   of its own there.
 * - WATCHES, a task with file rules and no policy: inotify_add_watch
 *   and fanotify_mark fail with EACCES, as the policies' file-rules
 *   variant makes them fail: Landlock does not govern them, and a watch
 *   showed the names of files made in /root under --isolate judge.
 * - USERFAULTFD, a task without a pid namespace whose policy may make a
 *   userfaultfd (or that has none): userfaultfd(2), and ioctl
 *   USERFAULTFD_IOC_NEW on /dev/userfaultfd, fail with EPERM (policy.h
 *   says why: no init's backstop there for a parent held in the kernel).
 *
 * The program is built on the child's stack (nothing but stores), once
 * per task, from the parts that apply.
 */
#include <errno.h>
#include <linux/userfaultfd.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "guard_filter.h"
#include "policy.h"

#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#endif
#ifndef SO_REUSEPORT
#define SO_REUSEPORT 15
#endif

#define NONE 0xffffffffu
#define I386_SOCKETCALL_SETSOCKOPT 14

/* Each ABI's numbers of the calls each part refuses, in the order they
 * are tested; NONE where the ABI has no such call. */
typedef struct abi_calls {
    bool masks_x32;                     /* x32 calls come with X32_SYSCALL_BIT set */
    unsigned keyrings[3];
    const unsigned *system_v;
    unsigned system_v_count;
    unsigned watches[2];                /* inotify_add_watch, fanotify_mark */
    unsigned ring;                      /* io_uring_setup */
    unsigned setsockopt[2];             /* x86-64's and x32's own (541) */
    unsigned socketcall;                /* whose SETSOCKOPT's arguments are in memory */
    unsigned userfaultfd;
    unsigned ioctl[2];                  /* x86-64's and x32's own (514) */
} abi_calls;

static const unsigned native_system_v[] = {
#ifdef SYS_ipc
    SYS_ipc,
#endif
#ifdef SYS_shmget
    SYS_shmget, SYS_shmat, SYS_shmctl, SYS_shmdt,
#endif
#ifdef SYS_semget
    SYS_semget, SYS_semctl,
#endif
#ifdef SYS_semop
    SYS_semop,
#endif
#ifdef SYS_semtimedop
    SYS_semtimedop,
#endif
#ifdef SYS_msgget
    SYS_msgget, SYS_msgsnd, SYS_msgrcv, SYS_msgctl,
#endif
};

static const abi_calls native = {
#if defined(__x86_64__)
    .masks_x32 = true,
    .setsockopt = { SYS_setsockopt, 541 },
#else
    .setsockopt = { SYS_setsockopt, NONE },
#endif
    .keyrings = { SYS_add_key, SYS_request_key, SYS_keyctl },
    .system_v = native_system_v,
    .system_v_count = sizeof native_system_v / sizeof *native_system_v,
    .watches = { SYS_inotify_add_watch, SYS_fanotify_mark },
    .ring = SYS_io_uring_setup,
    .socketcall = NONE,
    .userfaultfd = SYS_userfaultfd,
#if defined(__x86_64__)
    .ioctl = { SYS_ioctl, 514 },
#else
    .ioctl = { SYS_ioctl, NONE },
#endif
};

#if defined(__x86_64__)
/* The 32-bit x86 ABI's, which a 64-bit kernel also takes: ipc (117),
 * semget .. msgctl (393-402) and semtimedop_time64 (420). */
static const unsigned i386_system_v[] = { 117, 393, 394, 395, 396, 397, 398,
                                          399, 400, 401, 402, 420 };
static const abi_calls i386_abi = {
    .keyrings = { 286, 287, 288 },
    .system_v = i386_system_v,
    .system_v_count = sizeof i386_system_v / sizeof *i386_system_v,
    .watches = { 292, 339 },
    .ring = 425,
    .setsockopt = { 366, NONE },
    .socketcall = 102,
    .userfaultfd = 374,
    .ioctl = { 54, NONE },
};
#endif

#define LENGTH(a) (sizeof(a) / sizeof *(a))

/* Where a jump lands: patched once the program's end is known. */
enum target { TO_ALLOW, TO_EPERM, TO_EACCES, TO_ARGUMENTS, TO_SOCKETCALL, TO_IOCTL, TARGETS };

typedef struct program {
    struct sock_filter code[96];
    unsigned length;
    unsigned short jump_from[64];
    unsigned char jump_to[64];
    unsigned jumps;
    unsigned at[TARGETS];
} program;

static void emit(program *p, struct sock_filter instruction)
{
    if (p->length < LENGTH(p->code))
        p->code[p->length] = instruction;
    p->length++;
}

/* if (A == value) goto target; else next */
static void refuse_if(program *p, unsigned value, enum target target)
{
    if (p->jumps < LENGTH(p->jump_from)) {
        p->jump_from[p->jumps] = (unsigned short)p->length;
        p->jump_to[p->jumps] = (unsigned char)target;
    }
    p->jumps++;
    emit(p, (struct sock_filter)GUARD_IF_EQUAL(value, 0, 0));
}

static void refuse_each(program *p, const unsigned *numbers, unsigned count, enum target target)
{
    for (unsigned i = 0; i < count; i++)
        refuse_if(p, numbers[i], target);
}

static void refuse_unless_none(program *p, unsigned nr, enum target target)
{
    if (nr != NONE)
        refuse_if(p, nr, target);
}

/* One ABI's part of the program: its calls of each part that applies,
 * then the allow. */
static void abi_part(program *p, const abi_calls *abi, unsigned parts)
{
    emit(p, (struct sock_filter)GUARD_LOAD(GUARD_NUMBER));
    if (abi->masks_x32)
        emit(p, (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~X32_SYSCALL_BIT));
    if (parts & CORDON__SHARED_OBJECTS_KEYRINGS)
        refuse_each(p, abi->keyrings, LENGTH(abi->keyrings), TO_EPERM);
    if (parts & CORDON__SHARED_OBJECTS_SYSTEM_V)
        refuse_each(p, abi->system_v, abi->system_v_count, TO_EPERM);
    if (parts & CORDON__SHARED_OBJECTS_WATCHES)
        refuse_each(p, abi->watches, LENGTH(abi->watches), TO_EACCES);
    if (parts & CORDON__SHARED_OBJECTS_RINGS)
        refuse_if(p, abi->ring, TO_EPERM);
    if (parts & CORDON__SHARED_OBJECTS_REUSEPORT) {
        for (size_t i = 0; i < LENGTH(abi->setsockopt); i++)
            refuse_unless_none(p, abi->setsockopt[i], TO_ARGUMENTS);
        refuse_unless_none(p, abi->socketcall, TO_SOCKETCALL);
    }
    if (parts & CORDON__SHARED_OBJECTS_USERFAULTFD) {
        refuse_if(p, abi->userfaultfd, TO_EPERM);
        for (size_t i = 0; i < LENGTH(abi->ioctl); i++)
            refuse_unless_none(p, abi->ioctl[i], TO_IOCTL);
    }
    emit(p, (struct sock_filter)GUARD_ALLOW);
}

/* The ends every jump lands on. */
static void ends(program *p)
{
    p->at[TO_ARGUMENTS] = p->length;
    emit(p, (struct sock_filter)GUARD_LOAD(GUARD_ARGUMENT(1)));
    emit(p, (struct sock_filter)GUARD_IF_EQUAL(SOL_SOCKET, 0, 2));
    emit(p, (struct sock_filter)GUARD_LOAD(GUARD_ARGUMENT(2)));
    refuse_if(p, SO_REUSEPORT, TO_EPERM);
    p->at[TO_ALLOW] = p->length;
    emit(p, (struct sock_filter)GUARD_ALLOW);
    p->at[TO_SOCKETCALL] = p->length;
    emit(p, (struct sock_filter)GUARD_LOAD(GUARD_ARGUMENT(0)));
    refuse_if(p, I386_SOCKETCALL_SETSOCKOPT, TO_EPERM);
    emit(p, (struct sock_filter)GUARD_ALLOW);
    /* The kernel reads ioctl's request as an unsigned int: its low word. */
    p->at[TO_IOCTL] = p->length;
    emit(p, (struct sock_filter)GUARD_LOAD(GUARD_ARGUMENT(1)));
    refuse_if(p, USERFAULTFD_IOC_NEW, TO_EPERM);
    emit(p, (struct sock_filter)GUARD_ALLOW);
    p->at[TO_EPERM] = p->length;
    emit(p, (struct sock_filter)GUARD_ERRNO(EPERM));
    p->at[TO_EACCES] = p->length;
    emit(p, (struct sock_filter)GUARD_ERRNO(EACCES));
}

/* Each "equal" jump to its target; "not equal" falls through.  -E2BIG
 * for a program past the bounds (none of the parts' sums is). */
static int patch(program *p)
{
    if (p->length > LENGTH(p->code) || p->jumps > LENGTH(p->jump_from))
        return -E2BIG;
    for (unsigned i = 0; i < p->jumps; i++) {
        unsigned from = p->jump_from[i], to = p->at[p->jump_to[i]];
        if (to <= from || to - from - 1 > 255)
            return -E2BIG;
        p->code[from].jt = (unsigned char)(to - from - 1);
    }
    return 0;
}

int cordon__shared_objects_guard_install(unsigned parts, bool all_threads)
{
    if (!parts)
        return 0;
    program p;
    p.length = p.jumps = 0;
#if defined(__x86_64__)
    emit(&p, (struct sock_filter)GUARD_LOAD(GUARD_ARCH));
    emit(&p, (struct sock_filter)GUARD_IF_EQUAL(AUDIT_ARCH_X86_64, 1, 0));
    emit(&p, (struct sock_filter)GUARD_IF_EQUAL(AUDIT_ARCH_I386, 0, 0)); /* patched below */
    unsigned to_i386 = p.length - 1;
    abi_part(&p, &native, parts);
    unsigned i386_start = p.length;
    abi_part(&p, &i386_abi, parts);
    p.code[to_i386].jt = (unsigned char)(i386_start - to_i386 - 1);
    /* Another ABI (x32 is the native part's): the native part's allow,
     * and the policy's own filter answers it. */
    p.code[to_i386].jf = (unsigned char)(i386_start - 1 - to_i386 - 1);
#else
    abi_part(&p, &native, parts);
#endif
    ends(&p);
    int rc = patch(&p);
    if (rc < 0)
        return rc;
    return cordon__install_guard(p.code, p.length, all_threads);
}
