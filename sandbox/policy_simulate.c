/*
 * The compiled program run in user space, as the kernel runs it on each
 * call: classic BPF over a struct seccomp_data.  "policy explain" and
 * "policy diff" check their reading of the rules against it, so that what
 * they say cannot differ from what the kernel does.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>

#include "no_cancellation.h"
#include "policy.h"
#include "policy_decide.h"
#include "policy_rules.h"

#define BPF_MEMORY_WORDS 16

/* A 32-bit word of seccomp_data; the kernel's checker refuses any other
 * load, and so does this. */
static int load_word(const struct seccomp_data *data, uint32_t offset, uint32_t *value)
{
    if (offset % 4 != 0 || offset > sizeof *data - 4)
        return -EINVAL;
    memcpy(value, (const char *)data + offset, sizeof *value);
    return 0;
}

static int alu(uint32_t op, uint32_t *a, uint32_t operand)
{
    switch (op) {
    case BPF_ADD: *a += operand; return 0;
    case BPF_SUB: *a -= operand; return 0;
    case BPF_MUL: *a *= operand; return 0;
    case BPF_DIV: if (!operand) return -EINVAL; *a /= operand; return 0;
    case BPF_MOD: if (!operand) return -EINVAL; *a %= operand; return 0;
    case BPF_OR:  *a |= operand; return 0;
    case BPF_AND: *a &= operand; return 0;
    case BPF_XOR: *a ^= operand; return 0;
    case BPF_LSH: *a = operand < 32 ? *a << operand : 0; return 0;
    case BPF_RSH: *a = operand < 32 ? *a >> operand : 0; return 0;
    case BPF_NEG: *a = -*a; return 0;
    default:      return -EINVAL;
    }
}

/* Whether a conditional jump is taken; -1 for an unknown one. */
static int jump_taken(uint32_t op, uint32_t a, uint32_t operand)
{
    switch (op) {
    case BPF_JEQ:  return a == operand;
    case BPF_JGT:  return a > operand;
    case BPF_JGE:  return a >= operand;
    case BPF_JSET: return (a & operand) != 0;
    default:       return -1;
    }
}

typedef struct machine {
    uint32_t a, x, memory[BPF_MEMORY_WORDS];
} machine;

/* One instruction that is not a return or a jump. */
static int step(machine *m, const struct sock_filter *insn, const struct seccomp_data *data)
{
    uint32_t cls = BPF_CLASS(insn->code);
    if (cls == BPF_LD && BPF_MODE(insn->code) == BPF_ABS)
        return load_word(data, insn->k, &m->a);
    if ((cls == BPF_LD || cls == BPF_LDX) && BPF_MODE(insn->code) == BPF_LEN)
        return *(cls == BPF_LD ? &m->a : &m->x) = sizeof *data, 0;
    if ((cls == BPF_LD || cls == BPF_LDX) && BPF_MODE(insn->code) == BPF_IMM)
        return *(cls == BPF_LD ? &m->a : &m->x) = insn->k, 0;
    if ((cls == BPF_LD || cls == BPF_LDX) && BPF_MODE(insn->code) == BPF_MEM &&
        insn->k < BPF_MEMORY_WORDS)
        return *(cls == BPF_LD ? &m->a : &m->x) = m->memory[insn->k], 0;
    if ((cls == BPF_ST || cls == BPF_STX) && insn->k < BPF_MEMORY_WORDS)
        return m->memory[insn->k] = cls == BPF_ST ? m->a : m->x, 0;
    if (cls == BPF_ALU)
        return alu(BPF_OP(insn->code), &m->a, BPF_SRC(insn->code) == BPF_X ? m->x : insn->k);
    if (cls == BPF_MISC && BPF_MISCOP(insn->code) == BPF_TAX)
        return m->x = m->a, 0;
    if (cls == BPF_MISC && BPF_MISCOP(insn->code) == BPF_TXA)
        return m->a = m->x, 0;
    return -EINVAL;
}

int cordon__bpf_run(const struct sock_fprog *program, const struct seccomp_data *data,
                    uint32_t *result)
{
    machine m;
    memset(&m, 0, sizeof m);
    /* Jumps only go forward, so the program ends within len steps. */
    for (unsigned pc = 0; pc < program->len; pc++) {
        const struct sock_filter *insn = &program->filter[pc];
        uint32_t cls = BPF_CLASS(insn->code);
        if (cls == BPF_RET) {
            *result = BPF_RVAL(insn->code) == BPF_A ? m.a : insn->k;
            return 0;
        }
        if (cls == BPF_JMP && BPF_OP(insn->code) == BPF_JA) {
            pc += insn->k;
            continue;
        }
        if (cls == BPF_JMP) {
            int taken = jump_taken(BPF_OP(insn->code), m.a,
                                   BPF_SRC(insn->code) == BPF_X ? m.x : insn->k);
            if (taken < 0)
                return -EINVAL;
            pc += taken ? insn->jt : insn->jf;
            continue;
        }
        int rc = step(&m, insn, data);
        if (rc < 0)
            return rc;
    }
    return -EINVAL; /* fell off the end: the kernel refuses such a program */
}

/* A seccomp return value as a decision: a notification is cordon's kill. */
static void decision_of(uint32_t value, cordon_decision *d)
{
    uint32_t action = value & SECCOMP_RET_ACTION_FULL;
    memset(d, 0, sizeof *d);
    d->reason = "filter";
    switch (action) {
    case SECCOMP_RET_ALLOW: d->action = "allow"; break;
    case SECCOMP_RET_LOG:   d->action = "log"; break;
    case SECCOMP_RET_TRAP:  d->action = "trap"; break;
    case SECCOMP_RET_ERRNO:
        d->action = "errno";
        d->errno_value = (int)(value & SECCOMP_RET_DATA);
        break;
    case SECCOMP_RET_TRACE: d->action = "trace"; break;
    default:                d->action = "kill"; break; /* kill process/thread, notify */
    }
}

int cordon__bpf_run_native(const struct sock_fprog *program, int nr, const uint64_t args[6],
                           uint32_t *result)
{
    struct seccomp_data data = { .nr = nr, .arch = AUDIT_ARCH_X86_64 };
    if (args)
        memcpy(data.args, args, sizeof data.args);
    return cordon__bpf_run(program, &data, result);
}

bool cordon__program_notifies(const struct sock_fprog *program, int nr, const uint64_t args[6])
{
    uint32_t value;
    return cordon__bpf_run_native(program, nr, args, &value) == 0 &&
           (value & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_USER_NOTIF;
}

int cordon_policy_simulate(const cordon_policy *p, int syscall_nr, const uint64_t args[6],
                           cordon_decision *decision)
{
    CORDON__NO_CANCELLATION;
    if (!p || !decision || syscall_nr < 0 || !p->program.filter)
        return -EINVAL;
    uint32_t value;
    int rc = cordon__bpf_run_native(&p->program, syscall_nr, args, &value);
    if (rc == 0)
        decision_of(value, decision);
    /* An exec the filter sends to the listener for its errno: the task
     * gets the errno the parent answers with (after the command's own). */
    int answer;
    if (rc == 0 && (value & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_USER_NOTIF &&
        p->answers_exec_errno && cordon__policy_exec_errno(p, syscall_nr, args, &answer)) {
        decision->action = cordon__action_name(ACTION_ERRNO);
        decision->errno_value = answer;
    }
    return rc;
}
