/*
 * Opening a null device or a terminal is not writing a file.  A policy
 * that refuses open/openat for writing (readonly) would otherwise kill
 * `echo hi >/dev/null`, subprocess.DEVNULL, os.openpty() and bash at its
 * start (it opens /dev/tty read-write): the filter sees the flags, never
 * the path.  So when such a kill reaches the parent, and the same call
 * opening for reading would have been allowed, the parent reads the path
 * from the suspended task and:
 * - for /dev/null, /dev/zero, /dev/full and /dev/ptmx, opens the device
 *   itself and hands the task that fd as the call's result
 *   (SECCOMP_IOCTL_NOTIF_ADDFD with SECCOMP_ADDFD_FLAG_SEND, Linux 5.14);
 * - for /dev/tty, answers ENXIO, what the kernel says to a process
 *   without a controlling terminal, which a task never has.
 * The task never gets its own call let through (it could change the path
 * after the check): what it gets is the parent's fd of the device the
 * path named when it was read, checked to be that device.  Anything else
 * — another path, a relative one, a link — stays a violation, and so does
 * every such open of a task with isolation options: the parent's open
 * would pass by the task's file rules (its /dev/tty is still ENXIO: a
 * refusal passes by nothing).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "policy_decide.h"
#include "syscall_args.h"

#define WRITING_FLAGS ((uint64_t)(O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_EXCL))

static const struct device {
    const char *path;
    unsigned major, minor;
} devices[] = {
    { "/dev/null", 1, 3 }, { "/dev/zero", 1, 5 }, { "/dev/full", 1, 7 }, { "/dev/ptmx", 5, 2 },
};

/* The path argument of open/openat, read from the task (task_memory.c:
 * a read the task can make wait is given up); false when it is not a
 * short absolute path (no device of ours is longer). */
static bool read_path(const struct seccomp_notif *request, bool may_wait, uint64_t address,
                      char *path, size_t size)
{
    int len = cordon__task_read_string((pid_t)request->pid, address, path, size, may_wait);
    return len >= 0 && (size_t)len < size - 1 && path[0] == '/';
}

/* The parent's own fd of the device, checked to be it.  /dev/ptmx is the
 * task's, seen through its root: the kernel makes the terminal in the
 * devpts mounted beside the ptmx opened, and the task has one of its own
 * (sandbox/own_pts.c), where it then finds the terminal's name.  A task
 * that owns its /dev (a root caller's: the machine's) can put a FIFO at
 * that path, whose open for writing waited for a reader for good: the
 * node is opened non-blocking, checked, and only then given the task's
 * own blocking mode. */
static int open_device(const struct device *d, uint64_t flags, pid_t task)
{
    int own = (int)(flags & (O_ACCMODE | O_NONBLOCK | O_APPEND));
    char path[64];
    if (d->major == 5)
        snprintf(path, sizeof path, "/proc/%d/root%s", (int)task, d->path);
    else
        snprintf(path, sizeof path, "%s", d->path);
    int fd = open(path, own | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != d->major ||
        minor(st.st_rdev) != d->minor ||
        (!(own & O_NONBLOCK) && fcntl(fd, F_SETFL, own & (O_NONBLOCK | O_APPEND)) != 0)) {
        close(fd);
        return -EPERM;
    }
    return fd;
}

static int answer_error(int listener_fd, uint64_t id, int error)
{
    struct seccomp_notif_resp response;
    memset(&response, 0, sizeof response);
    response.id = id;
    response.error = -error;
    return ioctl(listener_fd, SECCOMP_IOCTL_NOTIF_SEND, &response) == 0 ? 1 : -errno;
}

static int hand_over(int listener_fd, uint64_t id, int fd, uint64_t flags)
{
    struct seccomp_notif_addfd addfd = {
        .id = id, .flags = SECCOMP_ADDFD_FLAG_SEND, .srcfd = (uint32_t)fd,
        .newfd_flags = (uint32_t)(flags & O_CLOEXEC),
    };
    int rc = ioctl(listener_fd, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
    int saved = errno;
    close(fd);
    /* EINVAL: a kernel before 5.14, without FLAG_SEND: a violation then */
    return rc >= 0 ? 1 : saved == ENOENT ? -ENOENT : 0;
}

int cordon__notification_device_open(int listener_fd, const struct seccomp_notif *request,
                                     const cordon_policy *policy, bool may_open, bool may_wait)
{
    const struct seccomp_data *data = &request->data;
    if (!policy || data->arch != seccomp_arch_native() ||
        (data->nr != SYS_open && data->nr != SYS_openat))
        return 0;
    unsigned path_arg = data->nr == SYS_openat ? 1 : 0;
    uint64_t args[6];
    for (unsigned i = 0; i < 6; i++)
        args[i] = data->args[i];
    uint64_t flags = args[path_arg + 1];
    /* refused only for writing: read-only, the same call would pass */
    args[path_arg + 1] &= ~WRITING_FLAGS;
    enum cordon__action action;
    int errno_value;
    if (cordon__policy_decide(policy, data->nr, args, &action, &errno_value)
            ? action != ACTION_ALLOW && action != ACTION_LOG
            : policy->default_action != ACTION_ALLOW && policy->default_action != ACTION_LOG)
        return 0;
    char path[32];
    if (!read_path(request, may_wait, args[path_arg], path, sizeof path))
        return 0;
    /* the pid still names the task that made the call: what was read is its */
    uint64_t id = request->id;
    if (ioctl(listener_fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) != 0)
        return -ENOENT;
    if (strcmp(path, "/dev/tty") == 0)
        return answer_error(listener_fd, request->id, ENXIO);
    for (size_t i = 0; may_open && i < sizeof devices / sizeof *devices; i++) {
        if (strcmp(path, devices[i].path) != 0)
            continue;
        int fd = open_device(&devices[i], flags, (pid_t)request->pid);
        return fd < 0 ? answer_error(listener_fd, request->id, -fd)
                      : hand_over(listener_fd, request->id, fd, flags);
    }
    return 0;
}
