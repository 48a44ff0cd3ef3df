/*
 * The library's one way of speaking: a line on stderr for a misuse that
 * has no error to return (lib/cordon.h, "Errors"): a task or pool freed
 * from its own run's callback, a task freed while another thread joins
 * it, cordon_raise outside a function task.  write(2) alone, so that it
 * may be said from anywhere, a signal handler's path included.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

void cordon__say_misuse(const char *line)
{
    size_t left = strlen(line);
    while (left > 0) {
        ssize_t n = write(STDERR_FILENO, line, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        line += n;
        left -= (size_t)n;
    }
}
