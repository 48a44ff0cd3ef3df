/*
 * Calls newer than cordon's syscall table, refused in front of the
 * program libseccomp made.
 *
 * A deny-list lets through every call it does not name, so a call added to
 * the kernel after the list was written passes it unseen: setxattrat,
 * removexattrat and file_setattr (Linux 6.13 to 6.17) change files that
 * "readonly" promises to leave alone.  libseccomp has no rule for "every
 * number above N", and one rule per number would lengthen every program by
 * hundreds of instructions, so cordon puts a few of its own in front:
 *
 *       ld   arch
 *       jeq  x86_64 (or an admitted i386) ? nr : libseccomp
 *   nr: ld   nr
 *       jge  0x40000000 ? (x32 admitted ? x32 : libseccomp) : check
 *  x32: jeq  0xffffffff ? libseccomp : next      (the ptrace "skip" number)
 *       and  ~0x40000000                         (x32 shares the numbers)
 *       jgt  547 ? check : next                  (x32's own calls, 512-547,
 *       jge  512 ? libseccomp : check             are not new)
 * check: jgt CORDON_NEWEST_KNOWN_SYSCALL ? named : libseccomp
 * named: jeq N ? libseccomp : next               for each N a rule names
 *       ret  newer-action
 *
 * Foreign ABIs that the policy does not admit, and x32 numbers, go on to
 * libseccomp's program untouched, which kills them as before.  From 424
 * on, every architecture numbers new calls alike, so one bound serves
 * x86_64, i386 and x32.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "policy_rules.h"

#define X32_OWN_FIRST   512u
#define X32_OWN_LAST    547u
/* A conditional jump reaches at most 255 instructions ahead. */
#define MAX_PREFIX      200
#define MAX_NAMED_NEWER (MAX_PREFIX - 16)

bool cordon__policy_refuses_newer(const cordon_policy *p, enum cordon__action *action,
                                  int *errno_value)
{
    if (p->newer_set) {
        *action = p->newer_action;
        *errno_value = p->newer_errno;
    } else if (p->default_action == ACTION_ALLOW || p->default_action == ACTION_LOG) {
        /* ENOSYS, as for a kernel without the call: libc falls back. */
        *action = ACTION_ERRNO;
        *errno_value = ENOSYS;
    } else {
        return false;
    }
    return *action != p->default_action ||
           (*action == ACTION_ERRNO && *errno_value != p->default_errno);
}

/* The numbers above the bound that some rule names, each once: they
 * keep their rules.  Returns how many, or -E2BIG. */
static int named_newer(const cordon_policy *p, uint32_t *numbers, int capacity)
{
    int count = 0;
    for (size_t i = 0; i < p->rule_count; i++) {
        uint32_t nr = (uint32_t)p->rules[i].syscall;
        bool seen = nr <= CORDON_NEWEST_KNOWN_SYSCALL;
        for (int j = 0; j < count && !seen; j++)
            seen = numbers[j] == nr;
        if (seen)
            continue;
        if (count == capacity)
            return -E2BIG;
        numbers[count++] = nr;
    }
    return count;
}

/* A jump's targets are labels until every instruction is placed. */
enum label { NEXT, NR, X32, CHECK, NAMED, REFUSE, LIBSECCOMP };

typedef struct prefix {
    struct sock_filter code[MAX_PREFIX];
    enum label jt[MAX_PREFIX], jf[MAX_PREFIX];
    unsigned at[LIBSECCOMP + 1];
    unsigned len;
} prefix;

static void emit(prefix *b, uint16_t code, uint32_t k, enum label jt, enum label jf)
{
    b->code[b->len] = (struct sock_filter)BPF_STMT(code, k);
    b->jt[b->len] = jt;
    b->jf[b->len] = jf;
    b->len++;
}

static void mark(prefix *b, enum label label)
{
    b->at[label] = b->len;
}

static void resolve(prefix *b)
{
    b->at[LIBSECCOMP] = b->len;
    for (unsigned i = 0; i < b->len; i++) {
        if (BPF_CLASS(b->code[i].code) != BPF_JMP)
            continue;
        unsigned jt = b->jt[i] == NEXT ? i + 1 : b->at[b->jt[i]];
        unsigned jf = b->jf[i] == NEXT ? i + 1 : b->at[b->jf[i]];
        b->code[i].jt = (uint8_t)(jt - i - 1);
        b->code[i].jf = (uint8_t)(jf - i - 1);
    }
}

static void emit_abi_checks(prefix *b, unsigned foreign)
{
    emit(b, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), NEXT, NEXT);
    emit(b, BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, NR,
         foreign & ARCH_I386 ? NEXT : LIBSECCOMP);
    if (foreign & ARCH_I386)
        emit(b, BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, NR, LIBSECCOMP);
    mark(b, NR);
    emit(b, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), NEXT, NEXT);
    emit(b, BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT,
         foreign & ARCH_X32 ? X32 : LIBSECCOMP, CHECK);
    if (!(foreign & ARCH_X32))
        return;
    mark(b, X32);
    emit(b, BPF_JMP | BPF_JEQ | BPF_K, 0xffffffffu, LIBSECCOMP, NEXT);
    emit(b, BPF_ALU | BPF_AND | BPF_K, ~X32_SYSCALL_BIT, NEXT, NEXT);
    emit(b, BPF_JMP | BPF_JGT | BPF_K, X32_OWN_LAST, CHECK, NEXT);
    emit(b, BPF_JMP | BPF_JGE | BPF_K, X32_OWN_FIRST, LIBSECCOMP, CHECK);
}

int cordon__policy_prefix_newer(const cordon_policy *p, uint32_t newer_return,
                                struct sock_fprog *program)
{
    prefix *b = calloc(1, sizeof *b);
    uint32_t named[MAX_NAMED_NEWER];
    int count = named_newer(p, named, MAX_NAMED_NEWER);
    if (!b || count < 0) {
        free(b);
        return b ? count : -ENOMEM;
    }
    emit_abi_checks(b, p->foreign_arches);
    mark(b, CHECK);
    emit(b, BPF_JMP | BPF_JGT | BPF_K, CORDON_NEWEST_KNOWN_SYSCALL, NAMED, LIBSECCOMP);
    mark(b, NAMED);
    for (int i = 0; i < count; i++)
        emit(b, BPF_JMP | BPF_JEQ | BPF_K, named[i], LIBSECCOMP, NEXT);
    mark(b, REFUSE);
    emit(b, BPF_RET | BPF_K, newer_return, NEXT, NEXT);
    resolve(b);

    size_t total = b->len + (size_t)program->len;
    struct sock_filter *joined = malloc(total * sizeof *joined);
    if (!joined) {
        free(b);
        return -ENOMEM;
    }
    memcpy(joined, b->code, b->len * sizeof *joined);
    memcpy(joined + b->len, program->filter, program->len * sizeof *joined);
    free(program->filter);
    program->filter = joined;
    program->len = (unsigned short)(total > 0xffff ? 0xffff : total);
    free(b);
    return 0;
}
