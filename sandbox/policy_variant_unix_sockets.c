/*
 * A policy's variant for a task with file rules: no unix socket bound to
 * a path outside them.
 *
 * Landlock (up to ABI 7) governs the opening of files, not connect() or
 * sendto() to a socket file, so a task with file rules alone reached
 * every socket its user may reach: the caller's session bus (and through
 * it a service manager that starts processes outliving the run), an ssh
 * agent, a container engine.  Under file rules socket(AF_UNIX) fails with
 * EACCES, as without a network (policy_variant_network.c), and so does a
 * datagram (or raw) socketpair, which can send to any path it names; a
 * stream or seqpacket pair reaches only its peer, and abstract sockets are
 * Landlock's scope already (sandbox/landlock.c).  io_uring, whose socket
 * and connect operations no filter sees, is refused beside it
 * (policy_variant.c).
 *
 * A policy's allow does not undo it: each allow rule of the policy's for
 * socket is cut down to one rule per other family the kernel knows, and a
 * family argument with bits above the 32 the kernel reads (0x100000001 is
 * AF_UNIX to the kernel) or past the last family fails with EAFNOSUPPORT,
 * where the policy let it through.  The compiled variant is then asked
 * every form (policy_variant.c): if one still goes through, the variant is
 * not used and the task does not run.
 */
#include <errno.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "policy.h"
#include "policy_rules.h"

static const uint64_t unix_socket_types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET,
                                              SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK };
#define TYPE_COUNT (sizeof unix_socket_types / sizeof *unix_socket_types)

/* AF_UNIX as the kernel reads it, and a family past every one it knows. */
static const uint64_t refused_families[] = { AF_UNIX, (1ull << 32) | AF_UNIX, AF_MAX };

static bool goes_through(const cordon_policy *v, uint64_t family, bool compiled)
{
    for (size_t i = 0; i < TYPE_COUNT; i++) {
        const uint64_t args[6] = { family, unix_socket_types[i], 0, 0, 0, 0 };
        if (compiled ? cordon__variant_filter_lets_through(v, SYS_socket, args) != 0
                     : cordon__variant_lets_through(v, SYS_socket, args))
            return true;
    }
    return false;
}

static int refuse(cordon_policy *v, int error, enum cordon__compare compare, uint64_t family)
{
    cordon__rule r = { .action = ACTION_ERRNO, .errno_value = error, .syscall = SYS_socket,
                       .condition_count = 1 };
    r.conditions[0] = (cordon__condition){ .arg = 0, .compare = compare, .value = family };
    return cordon__variant_append(v, &r);
}

static int socket_rules(cordon_policy *v)
{
    cordon__rule *decider = cordon__variant_last_unconditional(v, SYS_socket);
    if (decider && !cordon__action_allows(decider->action))
        return 0;
    /* asked before the allows are cut down: refusals only where the
     * policy let the family through (its own refusals keep their action) */
    bool unix_through = goes_through(v, AF_UNIX, false);
    bool beyond_through = goes_through(v, (1ull << 32) | AF_UNIX, false) ||
                          goes_through(v, AF_MAX, false);
    cordon__condition kept[AF_MAX - 1];
    size_t count = 0;
    for (uint64_t family = 0; family < AF_MAX; family++)
        if (family != AF_UNIX)
            kept[count++] = (cordon__condition){ .arg = 0, .compare = COMPARE_EQ, .value = family };
    int rc = cordon__variant_split_allows(v, SYS_socket, kept, count);
    if (rc == 0 && unix_through)
        rc = refuse(v, EACCES, COMPARE_EQ, AF_UNIX);
    if (rc == 0 && beyond_through)
        rc = refuse(v, EAFNOSUPPORT, COMPARE_GE, AF_MAX);
    return rc;
}

/* A datagram pair sends to any path it names: refused, a stream or a
 * seqpacket pair kept (each allow of socketpair cut down to them).  A raw
 * unix pair is a datagram one to the kernel (unix_create). */
static const uint64_t datagram_types[] = { SOCK_DGRAM, SOCK_RAW };

int cordon__variant_refuse_datagram_pairs(cordon_policy *v)
{
    static const cordon__condition kept[] = {
        { .arg = 1, .compare = COMPARE_MASKED_EQ, .mask = 0xf, .value = SOCK_STREAM },
        { .arg = 1, .compare = COMPARE_MASKED_EQ, .mask = 0xf, .value = SOCK_SEQPACKET },
    };
    cordon__rule *decider = cordon__variant_last_unconditional(v, SYS_socketpair);
    if (decider && !cordon__action_allows(decider->action))
        return 0;
    bool through[2];
    for (size_t i = 0; i < 2; i++) {
        const uint64_t args[6] = { AF_UNIX, datagram_types[i], 0, 0, 0, 0 };
        through[i] = cordon__variant_lets_through(v, SYS_socketpair, args);
    }
    int rc = cordon__variant_split_allows(v, SYS_socketpair, kept, sizeof kept / sizeof *kept);
    for (size_t i = 0; i < 2 && rc == 0; i++) {
        if (!through[i])
            continue;
        cordon__rule r = { .action = ACTION_ERRNO, .errno_value = EACCES,
                           .syscall = SYS_socketpair, .condition_count = 1 };
        r.conditions[0] = cordon__masked_condition(1, 0xf, datagram_types[i]);
        rc = cordon__variant_append(v, &r);
    }
    return rc;
}

bool cordon__variant_refuses_datagram_pairs(const cordon_policy *v)
{
    static const uint64_t pair_types[] = { SOCK_DGRAM, SOCK_DGRAM | SOCK_CLOEXEC,
                                           SOCK_DGRAM | (1ull << 32), SOCK_RAW,
                                           SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK };
    for (size_t i = 0; i < sizeof pair_types / sizeof *pair_types; i++) {
        uint64_t args[6] = { AF_UNIX, pair_types[i], 0, 0, 0, 0 };
        if (cordon__variant_filter_lets_through(v, SYS_socketpair, args) != 0)
            return false;
    }
    return true;
}

size_t cordon__variant_unix_socket_rules(const cordon_policy *p)
{
    size_t allows = 0;
    for (size_t i = 0; i < p->rule_count; i++)
        allows += p->rules[i].syscall == SYS_socket && cordon__action_allows(p->rules[i].action);
    return allows * (AF_MAX - 1) + 5;
}

int cordon__variant_refuse_unix_sockets(cordon_policy *v)
{
    int rc = socket_rules(v);
    return rc < 0 ? rc : cordon__variant_refuse_datagram_pairs(v);
}

const char *cordon__variant_unrefused_unix_socket(const cordon_policy *v)
{
    for (size_t i = 0; i < sizeof refused_families / sizeof *refused_families; i++)
        if (goes_through(v, refused_families[i], true))
            return "socket(AF_UNIX)";
    return cordon__variant_refuses_datagram_pairs(v) ? NULL : "socketpair(AF_UNIX, SOCK_DGRAM)";
}
