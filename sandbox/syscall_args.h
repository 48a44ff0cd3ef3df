/*
 * A native (x86_64) syscall and its arguments as a reader wants them:
 * "socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE)".  Shared by
 * the violation report (policy_notify.c), "policy explain" and learning.
 * The values come from a task: they are only formatted, never trusted.
 */
#ifndef CORDON_SANDBOX_SYSCALL_ARGS_H
#define CORDON_SANDBOX_SYSCALL_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Writes "name(arg, …)" for native syscall `nr` into `out` (always
 * NUL-terminated when size > 0): flags, families, requests and options
 * named where cordon knows the argument's kind, numbers otherwise
 * (decimal when small, hex when large).  A number nobody names is
 * "syscall N(…)" with all six arguments.  Returns the length it wanted,
 * as snprintf does. */
size_t cordon__describe_call(int nr, const uint64_t args[6], char *out, size_t size);

/* Reads the NUL-terminated string at `address` of the task into
 * `buffer` (at most size - 1 bytes, NUL-terminated): its length, or a
 * negative errno.  `context` is the reader's own. */
typedef int (*cordon__string_reader)(void *context, uint64_t address, char *buffer, size_t size);

/* As cordon__describe_call, with path and name arguments read through
 * `read` (NULL: shown as addresses), quoted and escaped, cut at 128
 * bytes ("…" then marks the cut). */
size_t cordon__describe_call_reading(int nr, const uint64_t args[6], cordon__string_reader read,
                                     void *context, char *out, size_t size);

/* A string of task `pid` at `address`, read with process_vm_readv page by
 * page (task_memory.c): its length, or a negative errno.  `may_wait`: the
 * task may hold a userfaultfd (cordon__policy_lets_userfaultfd_be_made),
 * with which it can make the read wait for good; it is then made by a
 * helper given up after half a second. */
int cordon__task_read_string(pid_t pid, uint64_t address, char *buffer, size_t size, bool may_wait);

/* One argument, `value` of argument `arg` of syscall `nr`, as
 * cordon__describe_call writes it ("AF_UNIX", "CLONE_NEWUSER"). */
size_t cordon__describe_argument(int nr, unsigned arg, uint64_t value, char *out, size_t size);

/* How many arguments syscall `nr` takes as described (6 when unknown). */
unsigned cordon__call_arity(int nr);

#endif
