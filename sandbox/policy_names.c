/*
 * The names a policy may use: constants for argument values, errno names,
 * actions and syscalls.  Tables, so that adding a name is adding a line.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/btrfs.h>
#include <linux/fs.h>
#include <linux/fscrypt.h>
#include <linux/fsverity.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <asm/prctl.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "policy.h"
#include "policy_rules.h"

struct named_value {
    const char *name;
    uint64_t value;
};

#define NAMED(constant) { #constant, (uint64_t)(constant) }

/* ext4's own requests (fs/ext4/ext4.h, in no uapi header): as the inode's
 * owner, through an fd opened for reading, they set the inode's generation
 * and convert its block map to extents. */
#define EXT4_IOC_SETVERSION _IOW('f', 4, long)
#define EXT4_IOC_MIGRATE    _IO('f', 9)

static const struct named_value constants[] = {
    /* socket families and types */
    NAMED(AF_UNSPEC), NAMED(AF_UNIX), NAMED(AF_LOCAL), NAMED(AF_INET), NAMED(AF_INET6),
    NAMED(AF_NETLINK), NAMED(AF_PACKET), NAMED(AF_BLUETOOTH), NAMED(AF_ALG), NAMED(AF_VSOCK),
    NAMED(AF_KEY), NAMED(AF_APPLETALK), NAMED(AF_X25), NAMED(AF_CAN), NAMED(AF_TIPC),
    NAMED(SOCK_STREAM), NAMED(SOCK_DGRAM), NAMED(SOCK_RAW), NAMED(SOCK_SEQPACKET),
    NAMED(SOCK_NONBLOCK), NAMED(SOCK_CLOEXEC),
    NAMED(IPPROTO_IP), NAMED(IPPROTO_TCP), NAMED(IPPROTO_UDP), NAMED(IPPROTO_ICMP),
    NAMED(IPPROTO_ICMPV6), NAMED(IPPROTO_RAW),
    /* open flags */
    NAMED(O_RDONLY), NAMED(O_WRONLY), NAMED(O_RDWR), NAMED(O_ACCMODE), NAMED(O_CREAT),
    NAMED(O_EXCL), NAMED(O_NOCTTY), NAMED(O_TRUNC), NAMED(O_APPEND), NAMED(O_NONBLOCK),
    NAMED(O_DSYNC), NAMED(O_SYNC), NAMED(O_DIRECTORY), NAMED(O_NOFOLLOW), NAMED(O_CLOEXEC),
    NAMED(O_PATH), NAMED(O_TMPFILE), NAMED(O_NOATIME), NAMED(O_DIRECT),
    /* *at flags, and the "current directory" fd (-100, as libc passes it:
     * sign-extended to 64 bits) */
    NAMED(AT_FDCWD), NAMED(AT_EMPTY_PATH), NAMED(AT_SYMLINK_NOFOLLOW), NAMED(AT_SYMLINK_FOLLOW),
    NAMED(AT_REMOVEDIR),
    /* memory */
    NAMED(PROT_NONE), NAMED(PROT_READ), NAMED(PROT_WRITE), NAMED(PROT_EXEC),
    NAMED(MAP_SHARED), NAMED(MAP_PRIVATE), NAMED(MAP_FIXED), NAMED(MAP_ANONYMOUS),
    NAMED(MAP_NORESERVE), NAMED(MAP_STACK), NAMED(MAP_GROWSDOWN), NAMED(MAP_POPULATE),
    /* clone and namespaces */
    NAMED(CLONE_VM), NAMED(CLONE_FS), NAMED(CLONE_FILES), NAMED(CLONE_SIGHAND),
    NAMED(CLONE_PIDFD), NAMED(CLONE_PTRACE), NAMED(CLONE_VFORK), NAMED(CLONE_PARENT),
    NAMED(CLONE_THREAD), NAMED(CLONE_SETTLS), NAMED(CLONE_NEWNS), NAMED(CLONE_NEWCGROUP),
    NAMED(CLONE_NEWUTS), NAMED(CLONE_NEWIPC), NAMED(CLONE_NEWUSER), NAMED(CLONE_NEWPID),
    NAMED(CLONE_NEWNET), NAMED(CLONE_NEWTIME), NAMED(CLONE_IO),
    /* what fork and pthread_create pass, for learned policies */
    NAMED(CLONE_SYSVSEM), NAMED(CLONE_PARENT_SETTID), NAMED(CLONE_CHILD_CLEARTID),
    NAMED(CLONE_CHILD_SETTID), NAMED(SIGCHLD),
    NAMED(FIOCLEX), NAMED(FIONCLEX), NAMED(TIOCGWINSZ), NAMED(TIOCSWINSZ), NAMED(TCSETS),
    NAMED(TCSETSW), NAMED(TCSETSF), NAMED(TIOCGPGRP), NAMED(TIOCSPGRP),
    NAMED(ARCH_SET_FS), NAMED(ARCH_GET_FS), NAMED(ARCH_SET_GS), NAMED(ARCH_GET_GS),
    /* fcntl, ioctl, prctl */
    NAMED(F_DUPFD), NAMED(F_DUPFD_CLOEXEC), NAMED(F_GETFD), NAMED(F_SETFD), NAMED(F_GETFL),
    NAMED(F_SETFL), NAMED(F_SETLK), NAMED(F_SETLKW), NAMED(F_GETLK),
    NAMED(TIOCSTI), NAMED(TIOCLINUX), NAMED(TIOCSCTTY), NAMED(FIONREAD), NAMED(FIONBIO),
    NAMED(TCGETS), NAMED(USERFAULTFD_IOC_NEW),
    /* requests that change a file or a file system through any fd: the
     * 32-bit forms are what a compat (i386, x32) caller sends */
    NAMED(FS_IOC_SETFLAGS), NAMED(FS_IOC32_SETFLAGS), NAMED(FS_IOC_SETVERSION),
    NAMED(FS_IOC32_SETVERSION), NAMED(FS_IOC_FSSETXATTR), NAMED(FS_IOC_SETFSLABEL),
    NAMED(FS_IOC_SET_ENCRYPTION_POLICY), NAMED(FS_IOC_ENABLE_VERITY), NAMED(FIDEDUPERANGE),
    NAMED(FICLONE), NAMED(FICLONERANGE), NAMED(EXT4_IOC_SETVERSION), NAMED(EXT4_IOC_MIGRATE),
    NAMED(BTRFS_IOC_SNAP_CREATE), NAMED(BTRFS_IOC_SNAP_CREATE_V2),
    NAMED(BTRFS_IOC_SUBVOL_CREATE), NAMED(BTRFS_IOC_SUBVOL_CREATE_V2),
    NAMED(BTRFS_IOC_SNAP_DESTROY), NAMED(BTRFS_IOC_SNAP_DESTROY_V2),
    NAMED(BTRFS_IOC_SUBVOL_SETFLAGS), NAMED(BTRFS_IOC_SET_RECEIVED_SUBVOL),
    NAMED(PR_SET_NAME), NAMED(PR_GET_NAME), NAMED(PR_SET_DUMPABLE), NAMED(PR_SET_PDEATHSIG),
    NAMED(PR_SET_NO_NEW_PRIVS), NAMED(PR_SET_SECCOMP), NAMED(PR_CAPBSET_DROP),
    NAMED(PR_SET_CHILD_SUBREAPER),
    /* signals, for kill, tgkill, rt_sigaction and the like (SIGCHLD is
     * above, with clone's flags) */
    NAMED(SIGHUP), NAMED(SIGINT), NAMED(SIGQUIT), NAMED(SIGILL), NAMED(SIGTRAP),
    NAMED(SIGABRT), NAMED(SIGBUS), NAMED(SIGFPE), NAMED(SIGKILL), NAMED(SIGUSR1),
    NAMED(SIGSEGV), NAMED(SIGUSR2), NAMED(SIGPIPE), NAMED(SIGALRM), NAMED(SIGTERM),
    NAMED(SIGCONT), NAMED(SIGSTOP), NAMED(SIGTSTP), NAMED(SIGTTIN), NAMED(SIGTTOU),
    NAMED(SIGURG), NAMED(SIGXCPU), NAMED(SIGXFSZ), NAMED(SIGVTALRM), NAMED(SIGPROF),
    NAMED(SIGWINCH), NAMED(SIGIO), NAMED(SIGPWR), NAMED(SIGSYS),
};

static const struct named_value errnos[] = {
    NAMED(EPERM), NAMED(ENOENT), NAMED(ESRCH), NAMED(EINTR), NAMED(EIO), NAMED(ENXIO),
    NAMED(E2BIG), NAMED(ENOEXEC), NAMED(EBADF), NAMED(ECHILD), NAMED(EAGAIN), NAMED(ENOMEM),
    NAMED(EACCES), NAMED(EFAULT), NAMED(EBUSY), NAMED(EEXIST), NAMED(EXDEV), NAMED(ENODEV),
    NAMED(ENOTDIR), NAMED(EISDIR), NAMED(EINVAL), NAMED(ENFILE), NAMED(EMFILE),
    NAMED(ENOTTY), NAMED(ETXTBSY), NAMED(EFBIG), NAMED(ENOSPC), NAMED(ESPIPE), NAMED(EROFS),
    NAMED(EMLINK), NAMED(EPIPE), NAMED(EDOM), NAMED(ERANGE), NAMED(ENOSYS),
    NAMED(ENAMETOOLONG), NAMED(ENOTEMPTY), NAMED(ELOOP), NAMED(ENOTSUP), NAMED(EOPNOTSUPP),
    NAMED(ENOTSOCK), NAMED(EPROTONOSUPPORT), NAMED(EAFNOSUPPORT), NAMED(EADDRINUSE),
    NAMED(EADDRNOTAVAIL), NAMED(ENETUNREACH), NAMED(ECONNREFUSED), NAMED(EHOSTUNREACH),
    NAMED(ETIMEDOUT), NAMED(ECANCELED), NAMED(EDQUOT),
};

#define COUNT(table) (sizeof table / sizeof *table)

static const struct named_value *find(const struct named_value *table, size_t count,
                                      const char *name, size_t len)
{
    for (size_t i = 0; i < count; i++) {
        if (strlen(table[i].name) == len && memcmp(table[i].name, name, len) == 0)
            return &table[i];
    }
    return NULL;
}

int cordon__constant_lookup(const char *name, size_t len, uint64_t *value)
{
    const struct named_value *found = find(constants, COUNT(constants), name, len);
    if (!found)
        return -ENOENT;
    *value = found->value;
    return 0;
}

const char *cordon__constant_name_at(size_t i)
{
    return i < COUNT(constants) ? constants[i].name : NULL;
}

const char *cordon__errno_name_at(size_t i)
{
    return i < COUNT(errnos) ? errnos[i].name : NULL;
}

int cordon__errno_lookup(const char *name, size_t len)
{
    const struct named_value *found = find(errnos, COUNT(errnos), name, len);
    return found ? (int)found->value : -ENOENT;
}

const char *cordon__errno_name(int value)
{
    /* EAGAIN and EWOULDBLOCK, ENOTSUP and EOPNOTSUPP share a value: the
     * first in the table names it. */
    for (size_t i = 0; i < COUNT(errnos); i++) {
        if ((int)errnos[i].value == value)
            return errnos[i].name;
    }
    return NULL;
}

const char *cordon__action_name(enum cordon__action action)
{
    static const char *const names[] = {
        [ACTION_ALLOW] = "allow", [ACTION_KILL] = "kill", [ACTION_TRAP] = "trap",
        [ACTION_ERRNO] = "errno", [ACTION_LOG] = "log",
    };
    return names[action];
}

/* Calls newer than libseccomp 2.5.4 (Debian 12's), from the kernel's
 * arch/x86/entry/syscalls/syscall_64.tbl: cordon names them itself, so
 * that a policy can refuse them by name and a report names them.  Every
 * number from 424 on is the same on i386 and, plus 0x40000000, on x32.
 * The last one is CORDON_NEWEST_KNOWN_SYSCALL. */
static const struct { int nr; const char *name; } newer_syscalls[] = {
    /* x86_64's own (Linux 6.11), numbered in a gap of the older calls;
     * i386 and x32 have no such call */
    { 335, "uretprobe" },
    { 451, "cachestat" },        { 452, "fchmodat2" },         { 453, "map_shadow_stack" },
    { 454, "futex_wake" },       { 455, "futex_wait" },        { 456, "futex_requeue" },
    { 457, "statmount" },        { 458, "listmount" },         { 459, "lsm_get_self_attr" },
    { 460, "lsm_set_self_attr" }, { 461, "lsm_list_modules" }, { 462, "mseal" },
    { 463, "setxattrat" },       { 464, "getxattrat" },        { 465, "listxattrat" },
    { 466, "removexattrat" },    { 467, "open_tree_attr" },    { 468, "file_getattr" },
    { 469, "file_setattr" },     { 470, "listns" },
};

_Static_assert(470 == CORDON_NEWEST_KNOWN_SYSCALL,
               "the newest name in newer_syscalls is CORDON_NEWEST_KNOWN_SYSCALL");

/* Native syscall names by number, resolved once through libseccomp (then
 * cordon's own list) so that reports can name a syscall without
 * allocating; a number nobody names is labelled by its digits. */
static char *syscall_names[CORDON_SYSCALL_TABLE_SIZE];
static bool named_by_libseccomp[CORDON_SYSCALL_TABLE_SIZE];
static char number_labels[CORDON_SYSCALL_TABLE_SIZE][5];
static pthread_once_t syscall_names_once = PTHREAD_ONCE_INIT;

static void resolve_syscall_names(void)
{
    for (int nr = 0; nr < CORDON_SYSCALL_TABLE_SIZE; nr++) {
        syscall_names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
        named_by_libseccomp[nr] = syscall_names[nr] != NULL;
        snprintf(number_labels[nr], sizeof number_labels[nr], "%d", nr);
    }
    for (size_t i = 0; i < COUNT(newer_syscalls); i++)
        if (!syscall_names[newer_syscalls[i].nr])
            syscall_names[newer_syscalls[i].nr] = (char *)newer_syscalls[i].name;
}

const char *cordon__syscall_name(int nr)
{
    if (nr < 0 || nr >= CORDON_SYSCALL_TABLE_SIZE)
        return NULL;
    pthread_once(&syscall_names_once, resolve_syscall_names);
    return syscall_names[nr];
}

const char *cordon__syscall_label(int nr)
{
    const char *name = cordon__syscall_name(nr);
    return name ? name : number_labels[nr];
}

bool cordon__syscall_named_by_libseccomp(int nr)
{
    return cordon__syscall_name(nr) && named_by_libseccomp[nr];
}

static int newer_syscall_lookup(const char *name)
{
    for (size_t i = 0; i < COUNT(newer_syscalls); i++)
        if (strcmp(newer_syscalls[i].name, name) == 0)
            return newer_syscalls[i].nr;
    return -1;
}

int cordon__syscall_lookup(const char *name, size_t len, const char **stored_name)
{
    char copy[64];
    if (len == 0 || len >= sizeof copy)
        return -1;
    memcpy(copy, name, len);
    copy[len] = '\0';
    /* Negative numbers are libseccomp's pseudo-syscalls: names that exist
     * on some other architecture only. */
    int nr = seccomp_syscall_resolve_name(copy);
    if (nr < 0)
        nr = newer_syscall_lookup(copy);
    if (nr < 0 || !(*stored_name = cordon__syscall_name(nr)))
        return -1;
    return nr;
}

/* A cut of `text` at `at` moved back to the start of the UTF-8
 * character it falls in: a 6,000-byte path of "é" cut at byte offsets
 * left a lone continuation byte in the message. */
static size_t character_start(const char *text, size_t at)
{
    while (at > 0 && ((unsigned char)text[at] & 0xC0) == 0x80)
        at--;
    return at;
}

const char *cordon__name_shown(char out[CORDON__NAME_SHOWN_SIZE], const char *name, size_t len)
{
    size_t shown = len <= 64 ? len : character_start(name, 64);
    snprintf(out, CORDON__NAME_SHOWN_SIZE, "'%.*s%s'", (int)shown, name, len > 64 ? "..." : "");
    return out;
}

/* Copies `len` bytes of `text` into `out`, its middle cut to "..." when
 * longer than `room`: the start and the end (a path's file name) stay,
 * each cut between characters. */
static size_t put_cut(char *out, const char *text, size_t len, size_t room)
{
    if (len <= room || room < 3) {
        size_t kept = len <= room ? len : character_start(text, room);
        memcpy(out, text, kept);
        return kept;
    }
    size_t head = character_start(text, (room - 3) / 3);
    size_t tail_start = len - (room - 3 - (room - 3) / 3);
    while (tail_start < len && ((unsigned char)text[tail_start] & 0xC0) == 0x80)
        tail_start++;
    size_t tail = len - tail_start;
    memcpy(out, text, head);
    memcpy(out + head, "...", 3);
    memcpy(out + head + 3, text + tail_start, tail);
    return head + 3 + tail;
}

/* The least of an origin kept when the message is long: its file name. */
#define ORIGIN_KEPT_AT_LEAST 60

/* The position and the reason's end are never lost: a long path had the
 * whole prefix dropped, a long reason its end. */
void cordon__error_set(cordon_error *err, int code, const char *origin, unsigned line,
                       unsigned column, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    cordon__error_setv(err, code, origin, line, column, fmt, args);
    va_end(args);
}

void cordon__error_setv(cordon_error *err, int code, const char *origin, unsigned line,
                        unsigned column, const char *fmt, va_list args)
{
    if (!err)
        return;
    err->code = code;
    err->line = line;
    err->column = column;
    char short_reason[1024], position[40] = "";
    va_list again;
    va_copy(again, args);
    int made = vsnprintf(short_reason, sizeof short_reason, fmt, args);
    /* A longer one is made whole, for its end. */
    char *reason = short_reason, *long_reason = NULL;
    if (made >= (int)sizeof short_reason && (long_reason = malloc((size_t)made + 1)) &&
        vsnprintf(long_reason, (size_t)made + 1, fmt, again) == made)
        reason = long_reason;
    va_end(again);
    size_t reason_len = strnlen(reason, made < 0 ? 0 : (size_t)made);
    if (origin && line)
        snprintf(position, sizeof position, ":%u:%u: ", line, column);
    else if (origin)
        strcpy(position, ": ");
    size_t origin_len = origin ? strlen(origin) : 0, position_len = strlen(position);
    size_t room = sizeof err->message - 1 - position_len;
    size_t origin_room = origin_len + reason_len <= room ? origin_len
                         : reason_len + ORIGIN_KEPT_AT_LEAST <= room ? room - reason_len
                         : origin_len < ORIGIN_KEPT_AT_LEAST ? origin_len
                                                              : ORIGIN_KEPT_AT_LEAST;
    size_t at = origin ? put_cut(err->message, origin, origin_len, origin_room) : 0;
    memcpy(err->message + at, position, position_len);
    at += position_len;
    at += put_cut(err->message + at, reason, reason_len, sizeof err->message - 1 - at);
    err->message[at] = '\0';
    free(long_reason);
}

const char *cordon__constant_name(const char *prefix, uint64_t value)
{
    size_t prefix_len = strlen(prefix);
    for (size_t i = 0; i < COUNT(constants); i++) {
        if (constants[i].value == value && strncmp(constants[i].name, prefix, prefix_len) == 0)
            return constants[i].name;
    }
    return NULL;
}
