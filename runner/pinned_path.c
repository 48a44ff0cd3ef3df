/*
 * The paths a command's options grant (--ro, --rw, --exec) or bind
 * (--ro-bind, --bind), pinned when the options are read.  Each task of a
 * batch, and each run of a retry, is given them again; by their names
 * they led wherever a task had since moved them: a job that could write
 * beside a granted directory replaced it by a link to a directory of the
 * caller's, and the next job was granted (and wrote) that one.  A pinned
 * path names the file the option named when cordon started, through an
 * O_PATH fd held open for the command's life.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "pinned_path.h"

int pinned_path(const char *path, char out[PINNED_PATH_SIZE])
{
    out[0] = '\0';
    int fd = open(path, O_PATH | O_CLOEXEC);
    if (fd < 0)
        return -1;
    snprintf(out, PINNED_PATH_SIZE, "/proc/self/fd/%d", fd);
    /* Without /proc the name leads nowhere: the path as given, then. */
    int check = open(out, O_PATH | O_CLOEXEC);
    if (check < 0) {
        out[0] = '\0';
        close(fd);
        return 0;
    }
    close(check);
    return 0;
}
