/*
 * A policy's variant for a task under a file size limit: the fallocate
 * modes that lengthen a file or reserve its blocks without the check
 * RLIMIT_FSIZE makes fail as on a file system that lacks them.
 *
 * The kernel holds a file to RLIMIT_FSIZE where a write, a truncate or
 * fallocate's plain mode (and ZERO_RANGE without KEEP_SIZE) would make it
 * longer, but not for INSERT_RANGE, which shifts the data up and
 * lengthens the file by the range, nor for KEEP_SIZE, which reserves the
 * range's blocks past the end and leaves the size as it was (as do the
 * FS_IOC_RESVSP and FS_IOC_RESVSP64 ioctls, on every file system): under
 * a 1 MiB limit a task made a file of 64 MiB and 64 KiB, and held 64 MiB
 * of disk in one whose size stayed 0.  So, whatever the policy's own
 * allows say, these fail with EOPNOTSUPP (a program falls back to
 * writing, which the limit holds); a plain fallocate, one with ZERO_RANGE
 * alone, and KEEP_SIZE with PUNCH_HOLE (which frees blocks) stay the
 * policy's to decide.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>

#include "policy.h"
#include "policy_rules.h"

#define MODE_ARG 1
#define IOCTL_CMD_ARG 1
#define INT_MASK 0xffffffffull /* the kernel reads ioctl's command as an int */
/* _IOW('X', 40 and 42, struct space_resv): one bit apart */
#define FS_IOC_RESVSP 0x40305828ull
#define FS_IOC_RESVSP64 0x4030582aull
#define RESVSP_MASK (INT_MASK & ~(FS_IOC_RESVSP ^ FS_IOC_RESVSP64))
#define RESVSP_SPLIT 31 /* the bits of RESVSP_MASK */

static cordon__rule refusal(int nr, unsigned arg, uint64_t mask, uint64_t value)
{
    cordon__rule r = { .action = ACTION_ERRNO, .errno_value = EOPNOTSUPP, .syscall = nr,
                       .condition_count = 1 };
    r.conditions[0] = cordon__masked_condition(arg, mask, value);
    return r;
}

/* The modes asked about: what a task grows a file with, and the same
 * with bits above the int the kernel reads. */
static const uint64_t growing_modes[] = {
    FALLOC_FL_INSERT_RANGE,
    FALLOC_FL_KEEP_SIZE,
    FALLOC_FL_KEEP_SIZE | FALLOC_FL_ZERO_RANGE,
    (1ull << 32) | FALLOC_FL_KEEP_SIZE,
};
#define GROWING_COUNT (sizeof growing_modes / sizeof *growing_modes)

int cordon__variant_refuse_unchecked_growth(cordon_policy *v)
{
    static const uint64_t reservation[6] = { 3, FS_IOC_RESVSP64, 4096 };
    int rc = 0;
    if (cordon__variant_lets_through(v, SYS_ioctl, reservation)) {
        rc = cordon__variant_split_ioctl_allows(v, RESVSP_MASK, FS_IOC_RESVSP);
        const cordon__rule refusals[] = {
            refusal(SYS_ioctl, IOCTL_CMD_ARG, RESVSP_MASK, FS_IOC_RESVSP),
        };
        if (rc == 0)
            rc = cordon__variant_prepend(v, refusals, 1);
    }
    bool through = false;
    for (size_t i = 0; i < GROWING_COUNT; i++) {
        const uint64_t args[6] = { 3, growing_modes[i], 0, 1 << 20 };
        through |= cordon__variant_lets_through(v, SYS_fallocate, args);
    }
    if (rc < 0 || !through)
        return rc; /* refused already, by the policy's rules or its default */
    /* Every allow of the policy's holds only for the modes kept, so that
     * none holds where a refusal does. */
    const cordon__condition kept[] = {
        cordon__masked_condition(MODE_ARG, FALLOC_FL_KEEP_SIZE | FALLOC_FL_INSERT_RANGE, 0),
        cordon__masked_condition(MODE_ARG,
                                 FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE |
                                     FALLOC_FL_INSERT_RANGE,
                                 FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE),
    };
    rc = cordon__variant_split_allows(v, SYS_fallocate, kept, 2);
    const cordon__rule refusals[] = {
        refusal(SYS_fallocate, MODE_ARG, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE,
                FALLOC_FL_KEEP_SIZE),
        refusal(SYS_fallocate, MODE_ARG, FALLOC_FL_INSERT_RANGE, FALLOC_FL_INSERT_RANGE),
    };
    return rc < 0 ? rc : cordon__variant_prepend(v, refusals, 2);
}

size_t cordon__variant_file_size_rules(const cordon_policy *p)
{
    size_t rules = 3; /* the refusals */
    for (size_t i = 0; i < p->rule_count; i++)
        rules += p->rules[i].syscall == SYS_fallocate          ? 1 /* split two ways */
                 : p->rules[i].syscall == SYS_ioctl            ? RESVSP_SPLIT - 1
                                                               : 0;
    return rules;
}

bool cordon__variant_refuses_unchecked_growth(const cordon_policy *v)
{
    for (size_t i = 0; i < GROWING_COUNT; i++) {
        const uint64_t args[6] = { 3, growing_modes[i], 0, 1 << 20 };
        if (cordon__variant_filter_lets_through(v, SYS_fallocate, args) != 0)
            return false;
    }
    static const uint64_t commands[] = { FS_IOC_RESVSP, FS_IOC_RESVSP64,
                                         (1ull << 32) | FS_IOC_RESVSP64 };
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
        const uint64_t args[6] = { 3, commands[i], 4096 };
        if (cordon__variant_filter_lets_through(v, SYS_ioctl, args) != 0)
            return false;
    }
    return true;
}
