/*
 * A policy's variant for a task without a network (CORDON_NETWORK_NONE):
 * only the socket families a network namespace holds are left.
 *
 * The task's network namespace has its own loopback and nothing else, but
 * it does not hold a unix socket bound to a path — the caller's services:
 * a container engine's socket, a session bus, an ssh agent — and Landlock
 * does not govern connect(); nor a vsock, which reaches the hypervisor's
 * host.  So socket(AF_UNIX) fails with EACCES, every family but IPv4,
 * IPv6, netlink and packet with EAFNOSUPPORT (as on a machine without
 * them), and a datagram socketpair, which can send to any path it names,
 * with EACCES; a stream or seqpacket pair reaches only its peer.
 *
 * The user asked for no network, so a policy's own allow does not undo it
 * (an imported Docker profile allows socket outright, or every family but
 * vsock): each allow rule of the policy's for socket (socketpair) is cut
 * down to the families (types) that are left, one rule per family, so
 * that no allow rule holds for a refused one and the refusals never meet
 * an allow of the policy's (libseccomp does not say which of two rules
 * that both hold decides).  What the policy refuses itself (a kill of
 * the internet's families, under nonet-kill) keeps its own action.
 * Values with bits above the 32 the kernel reads match no allow and fall
 * under ">= the first family past AF_PACKET".  The compiled variant is
 * then asked every family (policy_variant.c): if one it must refuse still
 * goes through, the variant is not used.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "policy.h"
#include "policy_decide.h"
#include "policy_rules.h"

/* The socket types a family is asked with: a policy's rules may tell
 * them apart (a datagram socket reaches a path as well as a stream one). */
static const uint64_t types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_RAW,
                                  SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
                                  SOCK_STREAM | SOCK_CLOEXEC };
#define TYPE_COUNT (sizeof types / sizeof *types)

static bool socket_goes_through(const cordon_policy *v, uint64_t family)
{
    for (size_t i = 0; i < TYPE_COUNT; i++) {
        const uint64_t args[6] = { family, types[i], 0, 0, 0, 0 };
        if (cordon__variant_lets_through(v, SYS_socket, args))
            return true;
    }
    return false;
}

#define MOST_UPPER 64

static bool already(const uint64_t *upper, size_t n, uint64_t half)
{
    for (size_t i = 0; i < n; i++)
        if (upper[i] == half)
            return true;
    return false;
}

/* The upper halves a family is asked with: some fixed ones, and those of
 * every value the policy's rules for socket compare the family with (and
 * its neighbours, and a mask's other bits), where its decision may turn;
 * each once (every mask of the default's family rule gives the same one,
 * all ones).  Asked with one fixed form alone, a policy that refused bit
 * 32 itself went without the ">=" refusal below, and socket(0x200000001,
 * ...) reached a unix socket of the caller's.  Returns how many. */
static size_t upper_halves(const cordon_policy *v, uint64_t upper[MOST_UPPER])
{
    static const uint64_t fixed[] = { 1ull << 32, 2ull << 32, 0x7fffffffull << 32,
                                      0xffffffffull << 32, 1ull << 63 };
    size_t n = 0;
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        upper[n++] = fixed[i];
    const cordon__rule *rules = v->rules;
    for (size_t r = 0; r < v->rule_count; r++) {
        for (unsigned c = 0; c < rules[r].condition_count && rules[r].syscall == SYS_socket; c++) {
            const cordon__condition *cond = &rules[r].conditions[c];
            uint64_t turns[4] = { cond->value, cond->value + 1, cond->value - 1,
                                  cond->value | ~cond->mask };
            for (size_t k = 0; k < 4 && n < MOST_UPPER && cond->arg == 0; k++)
                if (turns[k] >> 32 && !already(upper, n, turns[k] & ~0xffffffffull))
                    upper[n++] = turns[k] & ~0xffffffffull;
        }
    }
    return n;
}

/* Whether a family past AF_PACKET, or any family with bits set above the
 * 32 the kernel reads, goes through: the ">=" refusal below holds them
 * all (asked of the family just past AF_PACKET alone, a policy that
 * refuses that family itself, as the default does, went without it). */
static bool goes_through_beyond_the_kept(const cordon_policy *v)
{
    uint64_t upper[MOST_UPPER];
    size_t n = upper_halves(v, upper);
    for (uint64_t family = 0; family < 64; family++) {
        if (family > AF_PACKET && socket_goes_through(v, family))
            return true;
        for (size_t k = 0; k < n; k++)
            if (socket_goes_through(v, family | upper[k]))
                return true;
    }
    return false;
}

static cordon__rule refusal(int nr, int error, cordon__condition condition)
{
    cordon__rule r = { .action = ACTION_ERRNO, .errno_value = error, .syscall = nr,
                       .condition_count = 1 };
    r.conditions[0] = condition;
    return r;
}

/* Added after the policy's rules (after its allows were cut down, no
 * allow holds where these do). */
static int add(cordon_policy *v, cordon__rule rule)
{
    return cordon__variant_append(v, &rule);
}

static cordon__condition compared(unsigned arg, enum cordon__compare compare, uint64_t value)
{
    return (cordon__condition){ .arg = arg, .compare = compare, .value = value };
}

/* The families a network namespace holds, and how the rest are refused. */
static int socket_rules(cordon_policy *v)
{
    static const cordon__condition kept[] = {
        { .arg = 0, .compare = COMPARE_EQ, .value = AF_INET },
        { .arg = 0, .compare = COMPARE_EQ, .value = AF_INET6 },
        { .arg = 0, .compare = COMPARE_EQ, .value = AF_NETLINK },
        { .arg = 0, .compare = COMPARE_EQ, .value = AF_PACKET },
    };
    cordon__rule *decider = cordon__variant_last_unconditional(v, SYS_socket);
    if (decider && !cordon__action_allows(decider->action))
        return 0;
    /* asked before the allows are cut down: refusals only where the
     * policy let the family through (its own refusals keep their action,
     * and a learning run's filter, which sends them to the parent, records
     * them) */
    bool unix_through = socket_goes_through(v, AF_UNIX);
    bool through[AF_PACKET];
    for (int family = AF_UNIX + 1; family < AF_PACKET; family++)
        through[family] = socket_goes_through(v, (uint64_t)family);
    bool beyond = goes_through_beyond_the_kept(v);
    int rc = cordon__variant_split_allows(v, SYS_socket, kept, sizeof kept / sizeof *kept);
    if (rc == 0 && unix_through)
        rc = add(v, refusal(SYS_socket, EACCES, compared(0, COMPARE_EQ, AF_UNIX)));
    for (int family = AF_UNIX + 1; family < AF_PACKET && rc == 0; family++)
        if (family != AF_INET && family != AF_INET6 && family != AF_NETLINK && through[family])
            rc = add(v, refusal(SYS_socket, EAFNOSUPPORT,
                                compared(0, COMPARE_EQ, (uint64_t)family)));
    if (rc == 0 && beyond)
        rc = add(v, refusal(SYS_socket, EAFNOSUPPORT, compared(0, COMPARE_GE, AF_PACKET + 1)));
    return rc;
}

int cordon__variant_refuse_sockets_outside_the_namespace(cordon_policy *v)
{
    int rc = socket_rules(v);
    return rc < 0 ? rc : cordon__variant_refuse_datagram_pairs(v);
}

bool cordon__variant_refuses_sockets_outside_the_namespace(const cordon_policy *v)
{
    uint64_t upper[MOST_UPPER + 1] = { 0 };
    size_t forms = 1 + upper_halves(v, upper + 1);
    for (uint64_t family = AF_UNIX; family < 64; family++) { /* AF_UNSPEC: no socket */
        bool kept = family == AF_INET || family == AF_INET6 || family == AF_NETLINK ||
                    family == AF_PACKET;
        for (size_t k = 0; k < forms * TYPE_COUNT; k++) {
            uint64_t args[6] = { family | upper[k % forms], types[k / forms], 0, 0, 0, 0 };
            int through = cordon__variant_filter_lets_through(v, SYS_socket, args);
            if (through < 0 || (through && (!kept || k % forms != 0)))
                return false;
        }
    }
    return cordon__variant_refuses_datagram_pairs(v);
}

/* The policy refuses SO_REUSEPORT itself (the default one does), upper
 * bits or none: the shared-objects guard's part is not needed then. */
bool cordon__policy_refuses_reuseport(const cordon_policy *p)
{
    const uint64_t levels[] = { SOL_SOCKET, (1ull << 32) | SOL_SOCKET };
    for (size_t i = 0; i < 2; i++) {
        const uint64_t args[6] = { 3, levels[i], SO_REUSEPORT, 0, 4, 0 };
        enum cordon__action action;
        int errno_value = 0;
        bool decided = cordon__policy_decide(p, SYS_setsockopt, args, &action, &errno_value);
        if (!decided ? cordon__action_allows(p->default_action) : cordon__action_allows(action))
            return false;
    }
    return true;
}
