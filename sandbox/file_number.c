/* A small file's text (a /proc/sys setting, a /proc statistics line, a
 * process's stat), read whole, and the number it begins with. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "confine.h"

ssize_t cordon__read_small_file(const char *path, char *text, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno; /* gone (a process that ended meanwhile), or not there */
    size_t len = 0;
    while (len < size - 1) {
        ssize_t n = read(fd, text + len, size - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    text[len] = '\0';
    return (ssize_t)len;
}

uint64_t cordon__file_leading_number(const char *path)
{
    char text[64];
    uint64_t value = 0;
    if (cordon__read_small_file(path, text, sizeof text) <= 0)
        return 0;
    for (const char *c = text; *c >= '0' && *c <= '9'; c++)
        value = value * 10 + (uint64_t)(*c - '0');
    return value;
}
