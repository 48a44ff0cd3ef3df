/*
 * A task's own page that its userfaultfd holds and nobody serves: any read
 * of it, by the task or by the parent reading the task's memory, waits
 * until someone does.  For the tests of what cordon reads of a task's
 * memory (a violation's path), in the task.
 */
#ifndef CORDON_TESTS_UNSERVED_PAGE_H
#define CORDON_TESTS_UNSERVED_PAGE_H

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../lib/cordon.h"

/* The page, or NULL with why in the task's stdout ("no userfaultfd: ..."):
 * /dev/userfaultfd is root's, and the syscall is killed by the default
 * policy. */
static inline char *page_nobody_serves(void)
{
    int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
    int uffd = dev >= 0 ? ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC) : -1;
    struct uffdio_api api = { .api = UFFD_API };
    if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api) != 0) {
        printf("no userfaultfd: %s\n", strerror(errno));
        return NULL;
    }
    char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct uffdio_register range = { .range = { (uintptr_t)page, 4096 },
                                     .mode = UFFDIO_REGISTER_MODE_MISSING };
    if (page == MAP_FAILED || ioctl(uffd, UFFDIO_REGISTER, &range) != 0) {
        printf("no userfaultfd: register: %s\n", strerror(errno));
        return NULL;
    }
    return page;
}

/* A function task: openat for writing, its path on such a page. */
static inline int open_a_path_nobody_serves(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    char *page = page_nobody_serves();
    fflush(stdout);
    if (page)
        syscall(SYS_openat, AT_FDCWD, page, O_WRONLY, 0);
    return 0;
}

#endif
