/* A path option pinned when the command starts (pinned_path.c). */
#ifndef CORDON_RUNNER_PINNED_PATH_H
#define CORDON_RUNNER_PINNED_PATH_H

#define PINNED_PATH_SIZE 32

/* Writes to `out` "/proc/self/fd/N" of an O_PATH fd opened on `path` now
 * and kept open, or "" where /proc cannot show it (use the path as
 * given); -1 with errno when `path` cannot be opened. */
int pinned_path(const char *path, char out[PINNED_PATH_SIZE]);

/* The name to hand the library: the pinned one, or the path as given. */
static inline const char *pinned_or(const char *pinned, const char *path)
{
    return pinned[0] ? pinned : path;
}

#endif
