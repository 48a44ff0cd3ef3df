/*
 * A string read out of a task's memory, for the report of a call it was
 * killed for ("openat(AT_FDCWD, \"/etc/shadow\", O_RDONLY)") and to see
 * whether an open names a device.  The task is hostile: the bytes are only
 * copied and escaped, never interpreted, and the caller checks afterwards
 * that the notification (and so the pid) is still the same before it
 * believes them.
 *
 * The read itself can be made to wait: a page that the task's own
 * userfaultfd holds (/dev/userfaultfd is open to its owner, root, without
 * a capability) faults until someone serves it, and nobody does.  The
 * parent reading it then waited for good, past the task's deadline, since
 * the parent is what enforces it.  So the read is made by a helper that
 * shares nothing but the result page, and is given up (the helper killed:
 * its wait ends on SIGKILL) after READ_TIMEOUT_MS; the report then shows
 * the address, as for an unmapped one.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fork_reset.h"
#include "syscall_args.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define PAGE 4096u
#define READ_TIMEOUT_MS 500
#define HELPER_STACK (32u << 10)
#define MAX_READ 4096u

/* Shared with the helper: MAP_SHARED, so that a helper that does not share
 * the parent's memory (under a sanitizer) still hands its result back. */
struct read_job {
    pid_t pid;
    uint64_t address;
    size_t size;
    int result;
    char text[MAX_READ];
};

/* The helper's part: raw system calls only (it may run on the parent's
 * memory with the parent's thread's TLS), up to the NUL or size - 1
 * bytes, page by page (process_vm_readv fails a read that crosses into an
 * unmapped page). */
static int read_pages(void *arg)
{
    struct read_job *job = arg;
    size_t used = 0;
    job->result = -EFAULT;
    while (used + 1 < job->size) {
        uint64_t at = job->address + used;
        size_t chunk = PAGE - (size_t)(at % PAGE);
        if (chunk > job->size - 1 - used)
            chunk = job->size - 1 - used;
        struct iovec local = { job->text + used, chunk };
        struct iovec remote = { (void *)(uintptr_t)at, chunk };
        long n = syscall(SYS_process_vm_readv, job->pid, &local, 1L, &remote, 1L, 0L);
        if (n <= 0)
            break;
        for (long i = 0; i < n; i++) {
            if (job->text[used + (size_t)i] == '\0') {
                job->result = (int)(used + (size_t)i);
                return 0;
            }
        }
        used += (size_t)n;
    }
    if (used > 0) {
        job->text[used] = '\0';
        job->result = (int)used; /* unterminated within `size`: the caller marks it cut */
    }
    return 0;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Waits up to READ_TIMEOUT_MS for the helper to end, kills it if it has
 * not, and reaps it: true if it ended by itself. */
static bool helper_ended(int pidfd)
{
    long deadline = now_ms() + READ_TIMEOUT_MS;
    bool ended = false;
    for (;;) {
        long left = deadline - now_ms();
        struct pollfd p = { .fd = pidfd, .events = POLLIN };
        int n = poll(&p, 1, left > 0 ? (int)left : 0);
        if (n < 0 && errno == EINTR)
            continue;
        ended = n > 0;
        break;
    }
    if (!ended)
        syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
    siginfo_t info;
    while (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, WEXITED | __WALL) < 0 && errno == EINTR)
        continue;
    return ended;
}

/* Starts the helper on `stack`, with every signal blocked (a handler of
 * the caller's must not run in it) and no exit signal (the caller's
 * SIGCHLD handler and waitpid(-1) never see it).  Under a sanitizer it
 * gets a copy of the memory: the sanitizers' bookkeeping is not to be
 * shared with a second process. */
static int start_helper(struct read_job *job, char *stack)
{
    int flags = CLONE_PIDFD;
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    flags |= CLONE_VM;
#endif
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int saved_errno = errno;
    int pidfd = -1;
    pid_t pid = clone(read_pages, stack + HELPER_STACK, flags, job, &pidfd);
    int clone_errno = errno;
    errno = saved_errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return pid < 0 ? -clone_errno : pidfd;
}

/* A job page and a stack for one read at a time, made once and lent out:
 * mapping and unmapping them per read cost more than the read.  One read
 * may take READ_TIMEOUT_MS, and sibling tasks are read by their own
 * collecting threads: a read that finds them lent out maps its own rather
 * than wait (a task that kept the parent reading unserved pages made every
 * other task's read wait its turn, 500 ms a read). */
struct helper_memory {
    struct read_job *job;
    char *stack;
};

static struct helper_memory kept;
/* The process that mapped `kept`: the job page is MAP_SHARED, so a
 * forked copy shares it with its parent, whose reads wrote it at the same
 * time as the copy's (each got the other's strings back).  A copy maps
 * its own. */
static pid_t kept_owner;
static pthread_mutex_t helper_lock = PTHREAD_MUTEX_INITIALIZER;
CORDON__RESET_IN_FORKED_COPIES(&helper_lock);
CORDON__FORGOTTEN_IN_FORKED_COPIES(&kept_owner);

static int map_helper_memory(struct helper_memory *m)
{
    void *job = mmap(NULL, sizeof *m->job, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    void *stack = mmap(NULL, HELPER_STACK, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (job == MAP_FAILED || stack == MAP_FAILED) {
        if (job != MAP_FAILED)
            munmap(job, sizeof *m->job);
        if (stack != MAP_FAILED)
            munmap(stack, HELPER_STACK);
        return -ENOMEM;
    }
    m->job = job;
    m->stack = stack;
    return 0;
}

static void unmap_helper_memory(struct helper_memory *m)
{
    munmap(m->job, sizeof *m->job);
    munmap(m->stack, HELPER_STACK);
}

/* Under helper_lock: whether `kept` is this process's own, mapped now
 * if not.  The parent's, in a copy, is unmapped there: only the copy's
 * own mapping of it goes. */
static bool kept_is_own(void)
{
    pid_t self = getpid();
    if (kept_owner == self && kept.job)
        return true;
    if (kept.job)
        unmap_helper_memory(&kept);
    kept.job = NULL;
    if (map_helper_memory(&kept) < 0) {
        kept.job = NULL;
        return false;
    }
    kept_owner = self;
    return true;
}

/* The helper's read into `m`, given up after READ_TIMEOUT_MS. */
static int read_by_helper(struct helper_memory *m, pid_t pid, uint64_t address, char *buffer,
                          size_t size)
{
    struct read_job *job = m->job;
    *job = (struct read_job){ .pid = pid, .address = address, .size = size, .result = -EFAULT };
    int rc = start_helper(job, m->stack);
    if (rc >= 0) {
        int pidfd = rc;
        rc = helper_ended(pidfd) ? job->result : -ETIMEDOUT;
        close(pidfd);
    }
    if (rc >= 0)
        memcpy(buffer, job->text, (size_t)rc + 1);
    return rc;
}

int cordon__task_read_string(pid_t pid, uint64_t address, char *buffer, size_t size, bool may_wait)
{
    if (size == 0 || address == 0)
        return -EINVAL;
    if (size > MAX_READ)
        size = MAX_READ;
    if (!may_wait) {
        struct read_job job = { .pid = pid, .address = address, .size = size };
        read_pages(&job);
        if (job.result >= 0)
            memcpy(buffer, job.text, (size_t)job.result + 1);
        return job.result;
    }
    if (pthread_mutex_trylock(&helper_lock) == 0) {
        if (kept_is_own()) {
            int rc = read_by_helper(&kept, pid, address, buffer, size);
            pthread_mutex_unlock(&helper_lock);
            return rc;
        }
        pthread_mutex_unlock(&helper_lock);
    }
    struct helper_memory own;
    int rc = map_helper_memory(&own);
    if (rc < 0)
        return rc;
    rc = read_by_helper(&own, pid, address, buffer, size);
    unmap_helper_memory(&own);
    return rc;
}
