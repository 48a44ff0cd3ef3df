/* A nosy plugin: tries to read a file while it runs.  Under `compute` the
 * open is a PolicyViolation, named with its arguments. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int plugin_run(const char *input, char *out, size_t cap);

int plugin_run(const char *input, char *out, size_t cap)
{
    (void)input;
    int fd = open("/etc/passwd", O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, out, cap - 1) : -1;
    return n < 0 ? -1 : (int)n;
}
