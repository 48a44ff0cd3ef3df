/*
 * Whether a task under a policy may make a userfaultfd: with one, it can
 * leave a page of its own missing and unserved, and any read of that page
 * (the parent's read of a path it passed to a refused call) waits until
 * someone serves it.  The parent reads through a helper it can give up on
 * when the answer is yes (task_memory.c); when no, in place, as a helper
 * costs some 100 us a read and a device's open under `readonly` is one.
 *
 * There are two ways to one: userfaultfd(2), whose flags the kernel reads
 * as an int and allows only O_CLOEXEC, O_NONBLOCK and UFFD_USER_MODE_ONLY
 * in; and ioctl(USERFAULTFD_IOC_NEW) on /dev/userfaultfd, whose request
 * the kernel reads as an unsigned int.  The policy's own decision is asked
 * for every such value with the upper half clear and set.  That covers
 * every value only while the policy's rules for these calls compare no
 * other argument, compare only for (in)equality, and look at no upper
 * half; a policy beyond that, or one letting another ABI through, is
 * taken to allow one.
 */
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "policy_decide.h"

/* The argument each call's value is in; the others the kernel ignores. */
static bool rules_stay_within(const cordon_policy *p, int nr, unsigned arg)
{
    for (size_t i = 0; i < p->rule_count; i++) {
        const cordon__rule *rule = &p->rules[i];
        if (rule->syscall != nr)
            continue;
        for (unsigned c = 0; c < rule->condition_count; c++) {
            const cordon__condition *condition = &rule->conditions[c];
            bool equality = condition->compare == COMPARE_EQ ||
                            condition->compare == COMPARE_NE ||
                            condition->compare == COMPARE_MASKED_EQ;
            uint64_t upper = condition->value |
                             (condition->compare == COMPARE_MASKED_EQ ? condition->mask : 0);
            if (condition->arg != arg || !equality || (upper >> 32) != 0)
                return false;
        }
    }
    return true;
}

/* Some value of argument `arg`, its low half one of `values`, lets `nr`
 * through. */
static bool some_value_passes(const cordon_policy *p, int nr, unsigned arg,
                              const uint64_t *values, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        for (uint64_t upper = 0; upper <= 1; upper++) {
            uint64_t args[6] = { 3, 0, 0, 0, 0, 0 };
            args[arg] = values[i] | (upper << 32);
            if (cordon__variant_lets_through(p, nr, args))
                return true;
        }
    }
    return false;
}

bool cordon__policy_lets_userfaultfd_be_made(const cordon_policy *p)
{
    if (p->foreign_arches || !rules_stay_within(p, SYS_userfaultfd, 0) ||
        !rules_stay_within(p, SYS_ioctl, 1))
        return true;
    uint64_t flags[8];
    for (unsigned i = 0; i < 8; i++)
        flags[i] = ((i & 1) ? O_CLOEXEC : 0) | ((i & 2) ? O_NONBLOCK : 0) |
                   ((i & 4) ? UFFD_USER_MODE_ONLY : 0);
    const uint64_t request[] = { USERFAULTFD_IOC_NEW };
    return some_value_passes(p, SYS_userfaultfd, 0, flags, 8) ||
           some_value_passes(p, SYS_ioctl, 1, request, 1);
}
