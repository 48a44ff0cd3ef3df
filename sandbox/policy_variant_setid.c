/*
 * Every task's filter: no file is made set-user-ID or set-group-ID.
 *
 * A task without capabilities may still set those bits on a file it owns
 * (chmod needs only ownership), and the file outlives the task: a task
 * given a writable path (or, without file rules, any directory its user
 * may write) left a copy of a program there set-uid to its user — root,
 * under --user root — and any user of the machine who ran it afterwards
 * ran as that user.  no_new_privs and a nosuid mount hold inside the task
 * only.  So chmod, fchmod, fchmodat and fchmodat2 fail with EPERM for a
 * mode with S_ISUID or S_ISGID, whatever the policy's own allows say.
 * The other ways to such a mode leave nothing to run: a file created with
 * it (open, mknod) is empty, and the kernel takes both bits off at its
 * first write, truncate or fallocate by a process without CAP_FSETID, as
 * every task is; mkdir ignores S_ISUID, and a directory's S_ISGID only
 * names the group of what is made in it.
 */
#include <errno.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "policy.h"
#include "policy_rules.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

#define SETID_BITS ((uint64_t)(S_ISUID | S_ISGID))

/* Each call and the argument that holds its mode. */
static const struct {
    int nr;
    unsigned mode_arg;
} mode_setters[] = {
    { SYS_chmod, 1 },
    { SYS_fchmod, 1 },
    { SYS_fchmodat, 2 },
    { SYS_fchmodat2, 2 },
};
#define SETTER_COUNT (sizeof mode_setters / sizeof *mode_setters)

/* The modes asked about: each bit alone, both, and each with bits above
 * the 16 the kernel reads (umode_t). */
static const uint64_t setid_modes[] = {
    S_ISUID | 0755, S_ISGID | 0755, S_ISUID | S_ISGID | 0755,
    (1ull << 32) | S_ISUID | 0755, (1ull << 16) | S_ISGID,
};
#define MODE_COUNT (sizeof setid_modes / sizeof *setid_modes)

static void args_for(size_t setter, uint64_t mode, uint64_t args[6])
{
    for (int i = 0; i < 6; i++)
        args[i] = 0;
    args[0] = mode_setters[setter].mode_arg == 1 ? 3 : (uint64_t)(int64_t)-100; /* fd, AT_FDCWD */
    args[1] = 4096;                                                             /* a path */
    args[mode_setters[setter].mode_arg] = mode;
}

static bool lets_a_setid_mode_through(const cordon_policy *p, size_t setter)
{
    for (size_t m = 0; m < MODE_COUNT; m++) {
        uint64_t args[6];
        args_for(setter, setid_modes[m], args);
        if (cordon__variant_lets_through(p, mode_setters[setter].nr, args))
            return true;
    }
    return false;
}

bool cordon__variant_lets_setid_modes(const cordon_policy *p)
{
    for (size_t s = 0; s < SETTER_COUNT; s++)
        if (lets_a_setid_mode_through(p, s))
            return true;
    return false;
}

size_t cordon__variant_setid_rules(const cordon_policy *p)
{
    size_t allows = 0;
    for (size_t i = 0; i < p->rule_count; i++)
        for (size_t s = 0; s < SETTER_COUNT; s++)
            allows += p->rules[i].syscall == mode_setters[s].nr;
    return allows + 2 * SETTER_COUNT;
}

int cordon__variant_refuse_setid_modes(cordon_policy *v)
{
    for (size_t s = 0; s < SETTER_COUNT; s++) {
        if (!lets_a_setid_mode_through(v, s))
            continue; /* refused already, by the policy's rules or its default */
        int nr = mode_setters[s].nr;
        unsigned arg = mode_setters[s].mode_arg;
        /* Every allow of the policy's holds only for a mode without
         * them, so that none holds where a refusal does. */
        const cordon__condition kept = cordon__masked_condition(arg, SETID_BITS, 0);
        int rc = cordon__variant_split_allows(v, nr, &kept, 1);
        cordon__rule refusals[2];
        const uint64_t bits[2] = { S_ISUID, S_ISGID };
        for (int b = 0; b < 2; b++) {
            refusals[b] = (cordon__rule){ .action = ACTION_ERRNO, .errno_value = EPERM,
                                          .syscall = nr, .condition_count = 1 };
            refusals[b].conditions[0] = cordon__masked_condition(arg, bits[b], bits[b]);
        }
        if (rc == 0)
            rc = cordon__variant_prepend(v, refusals, 2);
        if (rc < 0)
            return rc;
    }
    return 0;
}

bool cordon__variant_refuses_setid_modes(const cordon_policy *v)
{
    for (size_t s = 0; s < SETTER_COUNT; s++)
        for (size_t m = 0; m < MODE_COUNT; m++) {
            uint64_t args[6];
            args_for(s, setid_modes[m], args);
            if (cordon__variant_filter_lets_through(v, mode_setters[s].nr, args) != 0)
                return false;
        }
    return true;
}
