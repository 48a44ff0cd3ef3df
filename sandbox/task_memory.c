/*
 * A string read out of a task's memory, for the report of a call it was
 * killed for ("openat(AT_FDCWD, \"/etc/shadow\", O_RDONLY)").  The task is
 * hostile: the bytes are only copied and escaped, never interpreted, and
 * the caller checks afterwards that the notification (and so the pid) is
 * still the same before it believes them.
 */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "syscall_args.h"

#define PAGE 4096u

/* process_vm_readv fails a read that crosses into an unmapped page: read
 * page by page, up to the NUL or `size - 1` bytes. */
int cordon__task_read_string(pid_t pid, uint64_t address, char *buffer, size_t size)
{
    if (size == 0 || address == 0)
        return -EINVAL;
    size_t used = 0;
    while (used + 1 < size) {
        uint64_t at = address + used;
        size_t chunk = PAGE - (size_t)(at % PAGE);
        if (chunk > size - 1 - used)
            chunk = size - 1 - used;
        struct iovec local = { buffer + used, chunk };
        struct iovec remote = { (void *)(uintptr_t)at, chunk };
        ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
        if (n <= 0) {
            if (used == 0)
                return n < 0 ? -errno : -EFAULT;
            break;
        }
        const char *nul = memchr(buffer + used, '\0', (size_t)n);
        if (nul)
            return (int)(nul - buffer);
        used += (size_t)n;
    }
    buffer[used] = '\0';
    return (int)used; /* unterminated within `size`: the caller marks it cut */
}
