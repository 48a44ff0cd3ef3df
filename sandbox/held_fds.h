/*
 * Fds the library keeps from one task to the next (the Landlock rulesets,
 * the spare namespaces' keeper's socket and pidfd), checked before each
 * use: a caller may close fds it did not open (closefrom(3), a loop up to
 * its open-file limit, Python's os.closerange) and its next open take the
 * number.  One found gone is forgotten, never closed: the number may be
 * the caller's file by now.
 */
#ifndef CORDON_SANDBOX_HELD_FDS_H
#define CORDON_SANDBOX_HELD_FDS_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Whether `fd` is still open on the file whose fstat was `when_opened`
 * (its device, inode and type: a socket's or a pipe's inode is its own). */
bool cordon__held_fd_is_file(int fd, const struct stat *when_opened);
/* Whether `fd` is still an fd of the kernel object named `link`, as
 * /proc/self/fd/N reads ("anon_inode:[landlock-ruleset]"): for the kinds
 * whose fds share one inode.  Without a /proc to read, only whether the
 * fd is open at all. */
bool cordon__held_fd_is_kind(int fd, const char *link);
/* Whether `fd` is still a pidfd of `pid` (its fdinfo's "Pid:" line). */
bool cordon__held_fd_is_pidfd_of(int fd, pid_t pid);

#endif
