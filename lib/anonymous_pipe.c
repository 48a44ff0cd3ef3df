/*
 * Whether an fd is an anonymous pipe (pipe(2), a shell's `|`).
 *
 * Opening /proc/self/fd/N of a pipe gives a new description of the same
 * pipe, for reading or for writing, whichever is asked, whatever the
 * description N was opened for.  A task handed a description of the
 * caller's pipe — even one opened again read-only (its stdin) or
 * write-only (an inherited output) — opened the other end through its own
 * /proc, with nothing to stop it but the pipe's owner and mode: the
 * caller's user, 0600, which is every task of a library caller's and of
 * an unprivileged user's `cordon run`.  Landlock does not stop it either:
 * a pipe lives in no file system a rule can name.  So a task with file
 * rules, which may write only what they grant, is never handed the
 * caller's anonymous pipe: it is relayed.  (Without file rules a task
 * writes what its user may, the user's files included, and a pipe handed
 * over keeps a task that never reads it from taking the caller's input:
 * a shell loop's.)  A named FIFO is a file at a path, governed as any
 * file is (its mode, the file rules).
 */
#include <linux/magic.h>
#include <sys/vfs.h>

#include "internal.h"

bool cordon__is_anonymous_pipe(int fd)
{
    struct statfs fs;
    return fstatfs(fd, &fs) == 0 && fs.f_type == PIPEFS_MAGIC;
}
