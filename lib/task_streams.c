/* The options of a task's set-up hook and of its standard streams:
 * where its output goes, and stdin streamed from a callback. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "internal.h"

/* What a callback may fill at once: what a pipe holds by default. */
#define STDIN_CHUNK_SIZE (64u << 10)

int cordon_set_stdin_callback(cordon_task *t, cordon_stdin_fn fn, void *user)
{
    CORDON__NO_CANCELLATION;
    int busy = cordon__task_settable(t);
    if (busy < 0)
        return busy;
    if (fn && !t->stdin_chunk && !(t->stdin_chunk = malloc(STDIN_CHUNK_SIZE)))
        return -ENOMEM;
    t->stdin_fn = fn;
    t->stdin_user = user;
    if (fn) {
        free(t->stdin_data);
        t->stdin_data = NULL;
        t->stdin_len = 0;
        t->stdin_fd = -1;
    }
    return 0;
}

int cordon__caller_fds_check(const cordon_task *t)
{
    cordon__standard_fds_hold();
    if (t->stdin_fd >= 0) {
        int rc = cordon__stdin_fd_check(t->stdin_fd);
        if (rc < 0)
            return rc;
        /* Closed and its number taken since (another run's pipe): not
         * the file the caller gave. */
        struct stat now;
        if (fstat(t->stdin_fd, &now) != 0 || now.st_dev != t->stdin_device ||
            now.st_ino != t->stdin_inode || cordon__standard_fd_check(t->stdin_fd) < 0)
            return -EBADF;
    }
    for (int stream = 1; stream <= 2; stream++)
        if (t->output_mode[stream] == CORDON_OUTPUT_INHERIT &&
            cordon__standard_fd_check(stream) < 0)
            return -EBADF;
    return 0;
}

size_t cordon__stdin_chunk_size(void)
{
    return STDIN_CHUNK_SIZE;
}

int cordon_set_output_mode(cordon_task *t, int stream, unsigned mode)
{
    CORDON__NO_CANCELLATION;
    int busy = cordon__task_settable(t);
    if (busy < 0)
        return busy;
    if ((stream != 1 && stream != 2) ||
        (mode != CORDON_OUTPUT_CAPTURE && mode != CORDON_OUTPUT_INHERIT &&
         mode != CORDON_OUTPUT_DISCARD))
        return -EINVAL;
    t->output_mode[stream] = mode;
    return 0;
}

int cordon_set_setup_hook(cordon_task *t, cordon_setup_fn fn, void *arg)
{
    CORDON__NO_CANCELLATION;
    int busy = cordon__task_settable(t);
    if (busy < 0)
        return busy;
    if (t->kind != KIND_FUNCTION)
        return -EINVAL;
    uint64_t open_files = t->limits[CORDON_LIMIT_OPEN_FILES];
    if (fn && open_files && open_files < CORDON__HOOK_OPEN_FILES_MIN)
        return -EINVAL; /* cordon_set_limit's rule, set the other way round */
    t->setup_fn = fn;
    t->setup_arg = arg;
    return 0;
}
