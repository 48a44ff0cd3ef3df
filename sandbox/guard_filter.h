/* What the guards are written with: small classic-BPF filters stacked
 * under a policy's (terminal_guard.c, device_events_guard.c), installed
 * by cordon__install_guard (policy_install.c). */
#ifndef CORDON_SANDBOX_GUARD_FILTER_H
#define CORDON_SANDBOX_GUARD_FILTER_H

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>

/* The low 32 bits of argument n: the int the kernel reads. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define GUARD_ARGUMENT(n) offsetof(struct seccomp_data, args[n])
#else
#define GUARD_ARGUMENT(n) (offsetof(struct seccomp_data, args[n]) + 4)
#endif
#define GUARD_ARCH offsetof(struct seccomp_data, arch)
#define GUARD_NUMBER offsetof(struct seccomp_data, nr)

#define GUARD_LOAD(where) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (where))
#define GUARD_IF_EQUAL(value, then, otherwise)                                               \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (value), (then), (otherwise))
#define GUARD_ALLOW BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
#define GUARD_ERRNO(error) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (error))

#ifndef X32_SYSCALL_BIT
#define X32_SYSCALL_BIT 0x40000000
#endif

#endif
