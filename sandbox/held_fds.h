/*
 * Fds the library keeps from one task to the next (the Landlock rulesets,
 * the spare namespaces' keeper's socket and pidfd, the mount table's
 * watch), checked before each
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
/* Marks `fd` as this process's (F_SETOWN to its pid: no signal comes of
 * it without O_ASYNC), for the kinds a caller can make an identical one
 * of (every Landlock ruleset reads back as the same anon inode; a
 * /proc file opened again has the same inode).  0 or -errno. */
int cordon__held_fd_mark(int fd);
/* Whether `fd` is still the one marked: of the kernel object named
 * `link`, as /proc/self/fd/N reads ("anon_inode:[landlock-ruleset]"), or
 * with `when_opened` the same file, and marked by this process (a
 * caller's own ruleset or mountinfo at the number is not).  Without a
 * /proc to read, the mark and the fd's being open. */
bool cordon__held_fd_is_marked(int fd, const char *link, const struct stat *when_opened);
/* Whether `fd` is still a pidfd of `pid` (its fdinfo's "Pid:" line). */
bool cordon__held_fd_is_pidfd_of(int fd, pid_t pid);

#endif
