/*
 * A policy's variant for a task given a terminal as its stdin (--tty,
 * cordon_set_stdin_fd of a terminal): the terminal's window size stays
 * the caller's.
 *
 * A terminal's size is the terminal's, not the description's, and setting
 * it sends SIGWINCH to the terminal's foreground process group, which is
 * the caller's (the task runs in a session of its own): a task set the
 * caller's terminal to 3 rows of 7 columns, and the caller's shell got
 * the signal.  Putting the size back after the run would undo a resize of
 * the caller's own window made meanwhile, and would signal the caller
 * again, so the call is refused instead: ioctl(TIOCSWINSZ) fails with
 * EPERM on every fd, a pseudo-terminal of the task's own included (a
 * filter cannot tell them apart).  Reading the size stays allowed.
 */
#include <errno.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "policy.h"
#include "policy_rules.h"

#define INT_MASK 0xffffffffull /* the kernel reads ioctl's command as an int */

int cordon__variant_refuse_window_size(cordon_policy *v)
{
    static const uint64_t setting[6] = { 0, TIOCSWINSZ, 4096 };
    if (!cordon__variant_lets_through(v, SYS_ioctl, setting))
        return 0; /* refused already, by the policy's rules or its default */
    int rc = cordon__variant_split_ioctl_allows(v, INT_MASK, TIOCSWINSZ);
    cordon__rule refusal = { .action = ACTION_ERRNO, .errno_value = EPERM,
                             .syscall = SYS_ioctl, .condition_count = 1 };
    refusal.conditions[0] = cordon__masked_condition(1, INT_MASK, TIOCSWINSZ);
    return rc < 0 ? rc : cordon__variant_prepend(v, &refusal, 1);
}

size_t cordon__variant_terminal_rules(const cordon_policy *p)
{
    size_t rules = 1; /* the refusal */
    for (size_t i = 0; i < p->rule_count; i++)
        /* split by bit, each copy of an earlier split (the file size
         * limit's) again */
        rules += p->rules[i].syscall == SYS_ioctl ? 32 * 32 : 0;
    return rules;
}

bool cordon__variant_refuses_window_size(const cordon_policy *v)
{
    static const uint64_t commands[] = { TIOCSWINSZ, (1ull << 32) | TIOCSWINSZ };
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
        const uint64_t args[6] = { 0, commands[i], 4096 };
        if (cordon__variant_filter_lets_through(v, SYS_ioctl, args) != 0)
            return false;
    }
    return true;
}
