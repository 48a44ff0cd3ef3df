/* A file the caller opens for reading at a path a task may have chosen
 * or changed: a regular file only, looked at before it is opened. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* The path is resolved once, to an O_PATH fd (which opens nothing); the
 * file is then opened through that fd, not the path, so that nothing can
 * be swapped in between: a FIFO or a device at the path is never opened
 * (a FIFO's open waits for a writer for good; a device's acts). */
int cordon__open_regular_file(const char *path)
{
    int path_fd = open(path, O_PATH | O_CLOEXEC);
    if (path_fd < 0)
        return -1;
    struct stat st;
    int fd = -1;
    if (fstat(path_fd, &st) == 0 && S_ISREG(st.st_mode)) {
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", path_fd);
        fd = open(proc, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    }
    close(path_fd);
    return fd;
}
