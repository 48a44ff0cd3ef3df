/* Opening the files the runner writes on a task's behalf (--out-dir,
 * --audit, learn --out).  Such a file may sit in a directory the task can write, so a
 * task may have planted a symbolic link, a hard link or a FIFO at its
 * name: none of them is ever written through or waited on.  Every error
 * is said on stderr, naming the option, the path and what was wrong. */
#ifndef CORDON_RUNNER_SAFE_OPEN_H
#define CORDON_RUNNER_SAFE_OPEN_H

/* The directory itself, not a symbolic link to one: later files are
 * opened relative to this fd, so renaming a component of `path` cannot
 * redirect them; and the caller's, not writable by every user (a task
 * that may write it rewrites or renames what cordon writes there).  The
 * fd, or -1 after a message. */
int safe_open_dir(const char *option, const char *path);

/* A new, empty regular file `name` in `dir_fd` (whose path is `dir`, for
 * messages), created by the runner itself: whatever stood at that name
 * is removed first.  The fd (write-only), or -1. */
int safe_create_at(const char *option, int dir_fd, const char *dir, const char *name);

/* Removes whatever stands at `name` in `dir_fd` (a file, a link, never
 * what it points to); nothing there is no error.  0, or -1 after saying
 * why (a directory is refused). */
int safe_remove_at(const char *option, int dir_fd, const char *dir, const char *name);

/* `path` opened for appending (read-write, created 0644 if absent), only
 * when it is a regular file with one name and not a symbolic link.
 * Opening never blocks.  The fd, or -1. */
int safe_open_append(const char *option, const char *path);

/* `path` opened for writing from its start (created 0644 if absent,
 * emptied only after the checks), only when it is a regular file with
 * one name, the runner's user's, and not a symbolic link.  Opening never blocks.  The fd
 * (write-only), or -1. */
int safe_open_replace(const char *option, const char *path);

/* The directory that holds `path` (its last component is *name), pinned
 * now as an O_PATH fd: a file the runner writes after a task ran is
 * opened relative to it (safe_open_replace_in), so that a link the task
 * planted in place of a parent directory (it may write the one above)
 * cannot send it elsewhere.  The fd, or -1 after saying why. */
int safe_pin_parent(const char *option, const char *path, const char **name);

/* safe_open_replace of `name` in the pinned `dir_fd` (`path`, for
 * messages). */
int safe_open_replace_in(const char *option, int dir_fd, const char *name, const char *path);

/* Whether safe_open_replace would take `path` (by the same rules, said
 * the same way), checked before a run whose result it will hold, so that
 * a bad path is refused before anything runs.  Nothing is created or
 * emptied: a missing file needs a directory this process may write.  0,
 * or -1 after saying why. */
int safe_check_replace(const char *option, const char *path);

#endif
