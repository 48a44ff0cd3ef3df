/* Several runners may append to one audit file at once.  O_APPEND makes
 * each write land at the end, but a write may be cut short (a signal, a
 * full disk, a line of many megabytes), and the rest would then land after
 * another runner's line; the exclusive lock keeps the pieces of one line
 * together until the last byte is written. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "audit.h"
#include "runner.h"

int audit_open(const char *path)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        runner_error("--audit: cannot open '%s': %s", path, strerror(errno));
    return fd;
}

int audit_append(int fd, const char *path, const char *line, size_t len)
{
    while (flock(fd, LOCK_EX) < 0) {
        if (errno != EINTR) {
            runner_error("--audit: cannot lock '%s': %s", path, strerror(errno));
            return -1;
        }
    }
    int rc = runner_write_all(fd, line, len);
    int saved = errno;
    flock(fd, LOCK_UN);
    if (rc < 0)
        runner_error("--audit: cannot write '%s': %s", path, strerror(saved));
    return rc;
}
