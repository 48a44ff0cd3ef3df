/* The number a small file begins with (a /proc/sys setting, a /proc
 * statistics line): read once, with EINTR retried, digits up to the first
 * other byte. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "confine.h"

uint64_t cordon__file_leading_number(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char text[64];
    ssize_t n;
    do
        n = read(fd, text, sizeof text - 1);
    while (n < 0 && errno == EINTR);
    close(fd);
    uint64_t value = 0;
    for (ssize_t i = 0; i < n && text[i] >= '0' && text[i] <= '9'; i++)
        value = value * 10 + (uint64_t)(text[i] - '0');
    return value;
}
