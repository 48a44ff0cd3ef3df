/*
 * Every task's filter: no file is made set-user-ID or set-group-ID.
 *
 * A task without capabilities may still set those bits on a file it owns
 * (chmod needs only ownership), and the file outlives the task: a task
 * given a writable path (or, without file rules, any directory its user
 * may write) left a copy of a program there set-uid to its user — root,
 * under --user root — and any user of the machine who ran it afterwards
 * ran as that user.  no_new_privs and a nosuid mount hold inside the task
 * only.  So every call that takes a mode for a file fails with EPERM for
 * one with S_ISUID or S_ISGID, whatever the policy's own allows say: the
 * mode changers (chmod, fchmod, fchmodat, fchmodat2) and the creators
 * (open, openat, creat, mknod, mknodat).  The creators too: the kernel
 * takes S_ISGID off at a write only where the group may execute, so a
 * file made with mode 02700, filled, then given g+x by a POSIX ACL
 * (setxattr, which keeps the bit for an owner in the file's group) was a
 * set-gid program.  openat2 carries its mode in memory no filter reads,
 * so it fails with ENOSYS, as on a kernel before it (C libraries open
 * with openat).  mkdir ignores S_ISUID, and a directory's S_ISGID only
 * names the group of what is made in it.  open and openat read their mode
 * only with O_CREAT or O_TMPFILE, and are refused only then (a read-only
 * open given a stray mode is not).  io_uring's OPENAT takes its mode from
 * memory as openat2 does, so io_uring_setup fails with EPERM.
 *
 * The refusal is the policy's kill where it kills some form of the call
 * (readonly kills an O_CREAT open), else EPERM.  Each allow of the
 * policy's for these calls is cut down to modes
 * without the bits, whatever else it compares (a file descriptor, a
 * path's address): deciding from sample arguments missed an allow of
 * fchmodat for any directory fd but AT_FDCWD.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "policy.h"
#include "policy_rules.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

#define SETID_BITS ((uint64_t)(S_ISUID | S_ISGID))

/* Each call, the argument that holds its mode, and the one that holds
 * its flags where the mode counts only with O_CREAT or O_TMPFILE (-1:
 * always). */
static const struct {
    int nr;
    unsigned mode_arg;
    int flags_arg;
} mode_takers[] = {
    { SYS_chmod, 1, -1 }, { SYS_fchmod, 1, -1 }, { SYS_fchmodat, 2, -1 },
    { SYS_fchmodat2, 2, -1 }, { SYS_open, 2, 1 }, { SYS_openat, 3, 2 },
    { SYS_creat, 1, -1 }, { SYS_mknod, 1, -1 }, { SYS_mknodat, 2, -1 },
};
#define TAKER_COUNT (sizeof mode_takers / sizeof *mode_takers)

/* The flags under which open and openat read their mode; the kernel's
 * O_TMPFILE bit without the O_DIRECTORY it comes with. */
#define TMPFILE_BIT 020000000ull
static const uint64_t creating_flags[2] = { O_CREAT, TMPFILE_BIT };

bool cordon__variant_lets_setid_modes(const cordon_policy *p)
{
    for (size_t t = 0; t < TAKER_COUNT; t++)
        if (cordon__variant_lets_call_through(p, mode_takers[t].nr))
            return true;
    return cordon__variant_lets_call_through(p, SYS_openat2) ||
           cordon__variant_lets_call_through(p, SYS_io_uring_setup);
}

size_t cordon__variant_setid_rules(const cordon_policy *p)
{
    size_t allows = 0;
    for (size_t i = 0; i < p->rule_count; i++)
        for (size_t t = 0; t < TAKER_COUNT; t++)
            allows += p->rules[i].syscall == mode_takers[t].nr;
    return 2 * allows + 4 * TAKER_COUNT + 2;
}

/* The refusals of one call: each bit, and for open and openat each with
 * each creating flag. */
static size_t refusals_of(const cordon_policy *v, size_t t, cordon__rule out[4])
{
    int nr = mode_takers[t].nr, flags_arg = mode_takers[t].flags_arg;
    unsigned arg = mode_takers[t].mode_arg;
    const uint64_t bits[2] = { S_ISUID, S_ISGID };
    bool kill = cordon__variant_kills_some(v, nr);
    size_t count = 0;
    for (int f = 0; f < (flags_arg < 0 ? 1 : 2); f++)
        for (int b = 0; b < 2; b++) {
            cordon__rule *r = &out[count++];
            *r = (cordon__rule){ .action = kill ? ACTION_KILL : ACTION_ERRNO,
                                 .errno_value = EPERM, .syscall = nr };
            r->conditions[r->condition_count++] = cordon__masked_condition(arg, bits[b], bits[b]);
            if (flags_arg >= 0)
                r->conditions[r->condition_count++] = cordon__masked_condition(
                    (unsigned)flags_arg, creating_flags[f], creating_flags[f]);
        }
    return count;
}

int cordon__variant_refuse_setid_modes(cordon_policy *v)
{
    for (size_t t = 0; t < TAKER_COUNT; t++) {
        int nr = mode_takers[t].nr, flags_arg = mode_takers[t].flags_arg;
        if (!cordon__variant_lets_call_through(v, nr))
            continue; /* refused outright already, by the policy's rules or its default */
        /* Every allow of the policy's holds only for a mode without them,
         * or (open, openat) for flags that create nothing, so that none
         * holds where a refusal does. */
        const cordon__condition kept[2] = {
            cordon__masked_condition(mode_takers[t].mode_arg, SETID_BITS, 0),
            cordon__masked_condition(flags_arg < 0 ? 0 : (unsigned)flags_arg,
                                     O_CREAT | TMPFILE_BIT, 0),
        };
        int rc = cordon__variant_split_allows(v, nr, kept, flags_arg < 0 ? 1 : 2);
        cordon__rule refusals[4];
        size_t count = refusals_of(v, t, refusals);
        if (rc == 0)
            rc = cordon__variant_prepend(v, refusals, count);
        if (rc < 0)
            return rc;
    }
    /* io_uring's OPENAT takes its mode from memory too (a task made a
     * file 02700 through it, past the filter's open rules). */
    int rc = cordon__variant_refuse_outright(v, SYS_io_uring_setup, EPERM);
    return rc < 0 ? rc : cordon__variant_refuse_outright(v, SYS_openat2, ENOSYS);
}

/* The compiled filter, asked with each set-id mode and each of a few
 * values of the other arguments (fds, AT_FDCWD, addresses), open and
 * openat with each creating flag. */
bool cordon__variant_refuses_setid_modes(const cordon_policy *v)
{
    static const uint64_t modes[] = {
        S_ISUID | 0755, S_ISGID | 0700, S_ISUID | S_ISGID | 0755,
        (1ull << 32) | S_ISUID | 0755, (1ull << 16) | S_ISGID,
    };
    static const uint64_t others[] = { 0, 3, 7, (uint64_t)(int64_t)-100, 4096, 1ull << 40 };
    static const uint64_t creating[] = { O_WRONLY | O_CREAT, O_RDWR | TMPFILE_BIT | O_DIRECTORY,
                                         O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC };
    for (size_t t = 0; t < TAKER_COUNT; t++) {
        /* the flags only where the call has them */
        size_t flag_sets = mode_takers[t].flags_arg < 0 ? 1 : sizeof creating / sizeof *creating;
        for (size_t m = 0; m < sizeof modes / sizeof *modes; m++)
            for (size_t o = 0; o < sizeof others / sizeof *others; o++)
                for (size_t c = 0; c < flag_sets; c++) {
                    uint64_t args[6] = { others[o], others[o], others[o], others[o], 0, 0 };
                    args[mode_takers[t].mode_arg] = modes[m];
                    if (mode_takers[t].flags_arg >= 0)
                        args[mode_takers[t].flags_arg] = creating[c];
                    if (cordon__variant_filter_lets_through(v, mode_takers[t].nr, args) != 0)
                        return false;
                }
    }
    static const uint64_t how[6] = { (uint64_t)(int64_t)-100, 4096, 4096, 24 };
    static const uint64_t ring[6] = { 8, 4096 };
    return cordon__variant_filter_lets_through(v, SYS_openat2, how) == 0 &&
           cordon__variant_filter_lets_through(v, SYS_io_uring_setup, ring) == 0;
}
