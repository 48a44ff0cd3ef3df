/*
 * Internal interface of the seccomp policy module (sandbox/policy_*.c).
 *
 * A cordon_policy is parsed and compiled to BPF with libseccomp in the
 * parent, before any fork; the child only installs the finished program.
 * Rules whose action is "kill" are compiled to SCMP_ACT_NOTIFY so that the
 * parent, holding the listener, can name the offending syscall and then kill
 * the task; a kernel without user notification gets SCMP_ACT_KILL_PROCESS.
 */
#ifndef CORDON_SANDBOX_POLICY_H
#define CORDON_SANDBOX_POLICY_H

#include <linux/filter.h>
#include <stddef.h>

#include "../lib/cordon.h"

/* The built-in "default" policy, compiled once on first use and never freed.
 * NULL only if compiling it failed (out of memory). */
const cordon_policy *cordon__policy_builtin_default(void);

/* The compiled program, ready for the child. */
const struct sock_fprog *cordon__policy_program(const cordon_policy *p);

/* Child side, async-signal-safe (raw syscalls only).  Installs the program;
 * PR_SET_NO_NEW_PRIVS must already be set.  Returns the user-notification
 * listener fd (>= 0, close-on-exec) when the program has notify rules, -1
 * when it has none, or a negative errno when installing failed. */
int cordon__policy_install(const cordon_policy *p);

/* Nonzero when the program sends execve/execveat to the listener (policies
 * that forbid exec after the first, like "noexec").  The engine must then not
 * suspend itself until the child's exec (no CLONE_VFORK), since it has to
 * answer that first exec. */
int cordon__policy_watches_exec(const cordon_policy *p);

/* What the parent must remember between notifications of one task. */
struct cordon__notify_state {
    int execs_allowed;   /* execve/execveat calls still let through: 1 for a
                            command task before its exec, 0 otherwise */
};

/* Parent side: receives one pending notification from `listener_fd`.
 * Returns 1 when it was a permitted call (the command's own first exec) and
 * was let through; returns 0 when it was a violation: the call is answered
 * so that it fails with EPERM, and a description such as
 * "socket(AF_INET, SOCK_STREAM, 0)" or "ptrace(16, 1234, 0, 0)" is written
 * into `description` (the engine then kills the task).  Returns a negative
 * errno on failure (-ENOENT when the notification vanished because the task
 * died meanwhile). */
int cordon__notification_handle(int listener_fd, struct cordon__notify_state *state,
                                char *description, size_t size);

/* The name of syscall `nr` of the native architecture ("socket"), or NULL. */
const char *cordon__syscall_name(int nr);

#endif
