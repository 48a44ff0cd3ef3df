/* Closing every descriptor of a process but a few, in a copy of the
 * caller that must hold nothing else of its (a terminal's keeper, the
 * copy that finishes the killed trees' endings).  Plain system calls and
 * no allocation: a forked copy of a many-threaded caller. */
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

void cordon__close_all_fds_but(int *keep, size_t count)
{
    for (size_t i = 1; i < count; i++) /* sorted, in place */
        for (size_t j = i; j > 0 && keep[j] < keep[j - 1]; j--) {
            int swap = keep[j];
            keep[j] = keep[j - 1];
            keep[j - 1] = swap;
        }
    unsigned from = 0;
    for (size_t i = 0; i < count; i++) {
        if (keep[i] < 0)
            continue;
        if ((unsigned)keep[i] > from)
            syscall(SYS_close_range, from, (unsigned)keep[i] - 1, 0);
        from = (unsigned)keep[i] + 1;
    }
    syscall(SYS_close_range, from, ~0U, 0);
}
