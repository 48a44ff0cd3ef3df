/*
 * Decoding a syscall's arguments for people: each argument of the calls
 * policies talk about has a kind (a family, open flags, an ioctl
 * request…), and each kind a table of names.  Tables, so that naming one
 * more constant is adding a line.
 */
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/sched.h>
#include <linux/userfaultfd.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>

#include "policy.h"
#include "policy_rules.h"
#include "syscall_args.h"
#include "text_escape.h"

typedef struct named {
    const char *name;
    uint64_t value;
} named;

#define N(constant) { #constant, (uint64_t)(constant) }
#define COUNT(table) (sizeof table / sizeof *table)

static const named families[] = {
    N(AF_UNSPEC), N(AF_UNIX), N(AF_INET), N(AF_INET6), N(AF_NETLINK), N(AF_PACKET),
    N(AF_BLUETOOTH), N(AF_ALG), N(AF_VSOCK), N(AF_KEY), N(AF_APPLETALK), N(AF_X25), N(AF_CAN),
    N(AF_TIPC), N(AF_IPX), N(AF_AX25), N(AF_RDS), N(AF_XDP), N(AF_MCTP), N(AF_QIPCRTR),
};
static const named socket_types[] = {
    N(SOCK_STREAM), N(SOCK_DGRAM), N(SOCK_RAW), N(SOCK_RDM), N(SOCK_SEQPACKET), N(SOCK_PACKET),
};
static const named socket_type_flags[] = { N(SOCK_NONBLOCK), N(SOCK_CLOEXEC) };
static const named ip_protocols[] = {
    /* 0 is "the type's own protocol": left a number */
    N(IPPROTO_ICMP), N(IPPROTO_TCP), N(IPPROTO_UDP), N(IPPROTO_ICMPV6),
    N(IPPROTO_SCTP), N(IPPROTO_RAW),
};
static const named netlink_protocols[] = {
    N(NETLINK_ROUTE), N(NETLINK_USERSOCK), N(NETLINK_SOCK_DIAG), N(NETLINK_NFLOG),
    N(NETLINK_XFRM), N(NETLINK_SELINUX), N(NETLINK_AUDIT), N(NETLINK_NETFILTER),
    N(NETLINK_KOBJECT_UEVENT), N(NETLINK_GENERIC),
};
static const named access_modes[] = { N(O_RDONLY), N(O_WRONLY), N(O_RDWR) };
/* O_TMPFILE holds O_DIRECTORY's bit: named before it, it is taken whole. */
static const named open_flags[] = {
    N(O_TMPFILE), N(O_CREAT), N(O_EXCL), N(O_NOCTTY), N(O_TRUNC), N(O_APPEND), N(O_NONBLOCK),
    N(O_SYNC), N(O_DSYNC), N(O_DIRECTORY), N(O_NOFOLLOW), N(O_CLOEXEC), N(O_PATH),
    N(O_NOATIME), N(O_DIRECT), N(O_LARGEFILE), N(O_ASYNC),
};
static const named clone_flags[] = {
    N(CLONE_VM), N(CLONE_FS), N(CLONE_FILES), N(CLONE_SIGHAND), N(CLONE_PIDFD),
    N(CLONE_PTRACE), N(CLONE_VFORK), N(CLONE_PARENT), N(CLONE_THREAD), N(CLONE_NEWNS),
    N(CLONE_SYSVSEM), N(CLONE_SETTLS), N(CLONE_PARENT_SETTID), N(CLONE_CHILD_CLEARTID),
    N(CLONE_DETACHED), N(CLONE_UNTRACED), N(CLONE_CHILD_SETTID), N(CLONE_NEWCGROUP),
    N(CLONE_NEWUTS), N(CLONE_NEWIPC), N(CLONE_NEWUSER), N(CLONE_NEWPID), N(CLONE_NEWNET),
    N(CLONE_IO),
};
static const named prctl_options[] = {
    N(PR_SET_PDEATHSIG), N(PR_GET_PDEATHSIG), N(PR_GET_DUMPABLE), N(PR_SET_DUMPABLE),
    N(PR_SET_KEEPCAPS), N(PR_SET_NAME), N(PR_GET_NAME), N(PR_GET_SECCOMP), N(PR_SET_SECCOMP),
    N(PR_CAPBSET_READ), N(PR_CAPBSET_DROP), N(PR_SET_SECUREBITS), N(PR_SET_TIMERSLACK),
    N(PR_SET_MM), N(PR_SET_PTRACER), N(PR_SET_CHILD_SUBREAPER), N(PR_SET_NO_NEW_PRIVS),
    N(PR_GET_NO_NEW_PRIVS), N(PR_SET_THP_DISABLE), N(PR_CAP_AMBIENT), N(PR_SET_VMA),
    N(PR_SET_SPECULATION_CTRL),
};
static const named ioctl_requests[] = {
    N(TIOCSTI), N(TIOCLINUX), N(TIOCSCTTY), N(TIOCGWINSZ), N(TIOCSWINSZ), N(TCGETS), N(TCSETS),
    N(TCSETSW), N(TCSETSF), N(TIOCGPGRP), N(TIOCSPGRP), N(FIONREAD), N(FIONBIO), N(FIOCLEX),
    N(FIONCLEX), N(FIOASYNC), N(USERFAULTFD_IOC_NEW),
};
static const named personalities[] = {
    N(PER_LINUX), N(PER_LINUX32), N(PER_SVR4), N(PER_BSD), N(PER_LINUX_32BIT),
    N(0xffffffff),
};
static const named personality_flags[] = {
    N(ADDR_NO_RANDOMIZE), N(ADDR_COMPAT_LAYOUT), N(READ_IMPLIES_EXEC), N(ADDR_LIMIT_32BIT),
    N(SHORT_INODE), N(WHOLE_SECONDS), N(STICKY_TIMEOUTS), N(ADDR_LIMIT_3GB),
    N(UNAME26), N(MMAP_PAGE_ZERO), N(FDPIC_FUNCPTRS),
};
static const named fcntl_commands[] = {
    N(F_DUPFD), N(F_GETFD), N(F_SETFD), N(F_GETFL), N(F_SETFL), N(F_GETLK), N(F_SETLK),
    N(F_SETLKW), N(F_SETOWN), N(F_GETOWN), N(F_SETSIG), N(F_GETSIG), N(F_DUPFD_CLOEXEC),
    N(F_SETPIPE_SZ), N(F_GETPIPE_SZ), N(F_ADD_SEALS), N(F_GET_SEALS), N(F_OFD_SETLK),
    N(F_OFD_SETLKW), N(F_OFD_GETLK),
};
static const named protections[] = { N(PROT_READ), N(PROT_WRITE), N(PROT_EXEC) };
static const named map_flags[] = {
    N(MAP_SHARED_VALIDATE), N(MAP_SHARED), N(MAP_PRIVATE), N(MAP_FIXED), N(MAP_ANONYMOUS),
    N(MAP_GROWSDOWN), N(MAP_DENYWRITE), N(MAP_EXECUTABLE), N(MAP_LOCKED), N(MAP_NORESERVE),
    N(MAP_POPULATE), N(MAP_NONBLOCK), N(MAP_STACK), N(MAP_HUGETLB), N(MAP_SYNC),
    N(MAP_FIXED_NOREPLACE),
};
static const named at_flags[] = {
    N(AT_SYMLINK_NOFOLLOW), N(AT_REMOVEDIR), N(AT_SYMLINK_FOLLOW), N(AT_NO_AUTOMOUNT),
    N(AT_EMPTY_PATH),
};

/* The kind of each argument: one letter a kind. */
enum {
    K_NUMBER = 'n', K_FD = 'f', K_POINTER = 'p', K_FAMILY = 'A', K_SOCKET_TYPE = 'T',
    K_PROTOCOL = 'P', K_OPEN = 'O', K_MODE = 'm', K_CLONE = 'C', K_PRCTL = 'R', K_IOCTL = 'I',
    K_PERSONALITY = 'X', K_FCNTL = 'F', K_PROT = 'r', K_MAP = 'M', K_SIGNAL = 's', K_AT = 'a',
    K_STRING = 'S', /* a path or a name in the task's memory */
};

static const struct { int nr; const char *kinds; } calls[] = {
    { SYS_socket, "ATP" },            { SYS_socketpair, "ATPp" },   { SYS_connect, "fpn" },
    { SYS_bind, "fpn" },              { SYS_open, "SOm" },          { SYS_openat, "fSOm" },
    { SYS_creat, "Sm" },              { SYS_clone, "Cpppp" },       { SYS_clone3, "pn" },
    { SYS_unshare, "C" },             { SYS_setns, "fC" },          { SYS_prctl, "Rnnnn" },
    { SYS_ioctl, "fIp" },             { SYS_personality, "X" },     { SYS_fcntl, "fFn" },
    { SYS_mmap, "pnrMfn" },           { SYS_mprotect, "pnr" },      { SYS_kill, "ns" },
    { SYS_tkill, "ns" },              { SYS_tgkill, "nns" },        { SYS_execve, "Spp" },
    { SYS_execveat, "fSppa" },        { SYS_mkdir, "Sm" },          { SYS_mkdirat, "fSm" },
    { SYS_unlink, "S" },              { SYS_unlinkat, "fSa" },      { SYS_rename, "SS" },
    { SYS_chmod, "Sm" },              { SYS_fchmod, "fm" },         { SYS_fchmodat, "fSm" },
    { SYS_newfstatat, "fSpa" },       { SYS_ptrace, "nnpp" },       { SYS_mount, "SSSnp" },
    { SYS_umount2, "Sn" },            { SYS_pivot_root, "SS" },     { SYS_bpf, "npn" },
    { SYS_perf_event_open, "pnnfn" }, { SYS_keyctl, "nnnnn" },      { SYS_add_key, "pppnn" },
    { SYS_request_key, "pppn" },      { SYS_init_module, "pnp" },   { SYS_finit_module, "fpn" },
    { SYS_delete_module, "Sn" },      { SYS_reboot, "nnnp" },       { SYS_kexec_load, "nnpn" },
    { SYS_setsid, "" },               { SYS_setpgid, "nn" },        { SYS_settimeofday, "pp" },
    { SYS_clock_settime, "np" },      { SYS_swapon, "Sn" },         { SYS_swapoff, "S" },
    { SYS_acct, "S" },                { SYS_syslog, "npn" },        { SYS_iopl, "n" },
    { SYS_ioperm, "nnn" },            { SYS_userfaultfd, "n" },     { SYS_io_uring_setup, "np" },
    { SYS_process_vm_readv, "npnpnn" }, { SYS_process_vm_writev, "npnpnn" },
    { SYS_prlimit64, "nnpp" },        { SYS_mq_open, "SOmp" },      { SYS_close_range, "nnn" },
    { SYS_sendmsg, "fpn" },
    { SYS_access, "Sn" },             { SYS_chroot, "S" },          { SYS_truncate, "Sn" },
    { SYS_rmdir, "S" },               { SYS_symlink, "SS" },        { SYS_link, "SS" },
    { SYS_chdir, "S" },               { SYS_faccessat, "fSn" },     { SYS_readlink, "Spn" },
    { SYS_stat, "Sp" },               { SYS_lstat, "Sp" },          { SYS_statx, "fSanp" },
    { SYS_statfs, "Sp" },             { SYS_readlinkat, "fSpn" },   { SYS_faccessat2, "fSna" },
    { SYS_getxattr, "SSpn" },         { SYS_lgetxattr, "SSpn" },    { SYS_fgetxattr, "fSpn" },
    { SYS_setxattr, "SSpnn" },        { SYS_lsetxattr, "SSpnn" },   { SYS_fsetxattr, "fSpnn" },
    { SYS_listxattr, "Spn" },         { SYS_llistxattr, "Spn" },    { SYS_flistxattr, "fpn" },
    { SYS_removexattr, "SS" },        { SYS_lremovexattr, "SS" },   { SYS_fremovexattr, "fS" },
    { SYS_chown, "Snn" },             { SYS_lchown, "Snn" },        { SYS_fchownat, "fSnna" },
    { SYS_utime, "Sp" },              { SYS_utimes, "Sp" },         { SYS_utimensat, "fSpa" },
    { SYS_futimesat, "fSp" },         { SYS_mknod, "Smn" },         { SYS_mknodat, "fSmn" },
    { SYS_renameat, "fSfS" },         { SYS_renameat2, "fSfSn" },   { SYS_linkat, "fSfSa" },
    { SYS_symlinkat, "SfS" },         { SYS_openat2, "fSpn" },      { SYS_name_to_handle_at, "fSppa" },
    { SYS_inotify_add_watch, "fSn" }, { SYS_fanotify_mark, "fnnfS" }, { SYS_memfd_create, "Sn" },
    { SYS_open_tree, "fSn" },         { SYS_move_mount, "fSfSn" },  { SYS_fsopen, "Sn" },
    { SYS_mount_setattr, "fSapn" },   { SYS_uselib, "S" },          { SYS_quotactl, "nSnp" },
    /* what a program calls first (a policy of `default kill` names one of
     * these): shown with six arguments, five of them registers' leftovers */
    { SYS_brk, "p" },                 { SYS_uname, "p" },           { SYS_arch_prctl, "np" },
    { SYS_set_tid_address, "p" },     { SYS_set_robust_list, "pn" }, { SYS_rseq, "pnnn" },
    { SYS_read, "fpn" },              { SYS_write, "fpn" },         { SYS_close, "f" },
    { SYS_fstat, "fp" },              { SYS_munmap, "pn" },         { SYS_pread64, "fpnn" },
    { SYS_getrandom, "pnn" },         { SYS_rt_sigaction, "sppn" }, { SYS_rt_sigprocmask, "nppn" },
    { SYS_exit, "n" },                { SYS_exit_group, "n" },      { SYS_mremap, "pnnnp" },
    /* calls without arguments */
    { SYS_getpid, "" },               { SYS_getppid, "" },          { SYS_gettid, "" },
    { SYS_getuid, "" },               { SYS_geteuid, "" },          { SYS_getgid, "" },
    { SYS_getegid, "" },              { SYS_sched_yield, "" },      { SYS_pause, "" },
    { SYS_fork, "" },                 { SYS_vfork, "" },            { SYS_sync, "" },
    { SYS_munlockall, "" },           { SYS_inotify_init, "" },     { SYS_getpgrp, "" },
    /* newer than the C library's SYS_ names */
    { 452 /* fchmodat2 */, "fSma" },  { 463 /* setxattrat */, "nnnnnn" },
    { 466 /* removexattrat */, "nnnn" }, { 469 /* file_setattr */, "nnnnn" },
};

static const char *kinds_of(int nr)
{
    for (size_t i = 0; i < COUNT(calls); i++)
        if (calls[i].nr == nr)
            return calls[i].kinds;
    return NULL;
}

unsigned cordon__call_arity(int nr)
{
    const char *kinds = kinds_of(nr);
    return kinds ? (unsigned)strlen(kinds) : 6;
}

/* Appends to a bounded buffer; `used` counts what was wanted. */
typedef struct writer {
    char *out;
    size_t size, used;
    cordon__string_reader read;  /* NULL: strings stay addresses */
    void *context;
} writer;

static void put(writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(writer *w, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    size_t room = w->used < w->size ? w->size - w->used : 0;
    int n = vsnprintf(room ? w->out + w->used : NULL, room, fmt, args);
    va_end(args);
    if (n > 0)
        w->used += (size_t)n;
}

/* Small numbers read best in decimal, flags and addresses in hex. */
static void put_number(writer *w, uint64_t value)
{
    if (value < 4096)
        put(w, "%llu", (unsigned long long)value);
    else if ((int64_t)value < 0 && (int64_t)value > -4096)
        put(w, "%lld", (long long)value);
    else
        put(w, "0x%llx", (unsigned long long)value);
}

static const char *name_in(const named *table, size_t count, uint64_t value)
{
    for (size_t i = 0; i < count; i++)
        if (table[i].value == value)
            return table[i].name;
    return NULL;
}

static void put_named(writer *w, const named *table, size_t count, uint64_t value)
{
    const char *name = name_in(table, count, value);
    if (name)
        put(w, "%s", name);
    else
        put_number(w, value);
}

/* "A|B|0x40": the named bits, then what is left. */
static void put_flags(writer *w, const named *table, size_t count, uint64_t value, bool any)
{
    for (size_t i = 0; i < count; i++) {
        if (table[i].value && (value & table[i].value) == table[i].value) {
            put(w, "%s%s", any ? "|" : "", table[i].name);
            value &= ~table[i].value;
            any = true;
        }
    }
    if (value || !any) {
        if (any)
            put(w, "|");
        put_number(w, value);
    }
}

/* The kernel reads these as int: only the low 32 bits count. */
static uint64_t low(uint64_t value)
{
    return value & 0xffffffffu;
}

static void put_open_flags(writer *w, uint64_t value)
{
    value = low(value);
    const char *mode = name_in(access_modes, COUNT(access_modes), value & O_ACCMODE);
    put(w, "%s", mode ? mode : "O_ACCMODE");
    put_flags(w, open_flags, COUNT(open_flags), value & ~(uint64_t)O_ACCMODE, true);
}

static void put_fd(writer *w, uint64_t value)
{
    if ((int)low(value) == AT_FDCWD)
        put(w, "AT_FDCWD");
    else
        put_number(w, value);
}

static void put_clone_flags(writer *w, uint64_t value)
{
    /* The low byte of clone's flags is the signal sent at the child's exit. */
    uint64_t exit_signal = value & 0xff;
    put_flags(w, clone_flags, COUNT(clone_flags), value & ~(uint64_t)0xff, false);
    if (exit_signal) {
        const char *name = sigabbrev_np((int)exit_signal);
        if (name)
            put(w, "|SIG%s", name);
        else
            put(w, "|%llu", (unsigned long long)exit_signal);
    }
}

static void put_personality(writer *w, uint64_t value)
{
    value = low(value);
    const char *whole = name_in(personalities, COUNT(personalities), value);
    if (whole) {
        put(w, "%s", value == 0xffffffff ? "0xffffffff (query)" : whole);
        return;
    }
    put_named(w, personalities, COUNT(personalities), value & PER_MASK);
    put_flags(w, personality_flags, COUNT(personality_flags), value & ~(uint64_t)PER_MASK, true);
}

static void put_signal(writer *w, uint64_t value)
{
    const char *name = value > 0 && value < 65 ? sigabbrev_np((int)value) : NULL;
    if (name)
        put(w, "SIG%s", name);
    else
        put_number(w, value);
}

static void put_socket_type(writer *w, uint64_t value)
{
    value = low(value);
    uint64_t flags = SOCK_NONBLOCK | SOCK_CLOEXEC;
    put_named(w, socket_types, COUNT(socket_types), value & ~flags);
    put_flags(w, socket_type_flags, COUNT(socket_type_flags), value & flags, true);
}

static void put_protocol(writer *w, uint64_t family, uint64_t value)
{
    family = low(family);
    if (family == AF_NETLINK)
        put_named(w, netlink_protocols, COUNT(netlink_protocols), low(value));
    else if (family == AF_INET || family == AF_INET6)
        put_named(w, ip_protocols, COUNT(ip_protocols), low(value));
    else
        put_number(w, value);
}

/* The file-changing requests a policy names are in the grammar's table;
 * requests are large numbers, so no small constant is taken for one. */
static void put_ioctl(writer *w, uint64_t value)
{
    const char *name = name_in(ioctl_requests, COUNT(ioctl_requests), value);
    static const char *const prefixes[] = { "FS_IOC", "FI", "EXT4_IOC", "BTRFS_IOC" };
    for (size_t i = 0; i < COUNT(prefixes) && !name && value >= 0x100; i++)
        name = cordon__constant_name(prefixes[i], value);
    if (name)
        put(w, "%s", name);
    else
        put_number(w, value);
}

/* Kinds the kernel reads as 32-bit: a value with its upper half set is
 * named as the kernel sees it, then shown whole (a task's evidence). */
static bool is_32bit_kind(char kind)
{
    return strchr("ATPORIXF", kind) != NULL;
}

#define MAX_STRING 128

/* "\"/etc/passwd\"": quoted, every byte outside printable ASCII escaped,
 * so that a task's bytes can never forge the rest of the report. */
static void put_string(writer *w, uint64_t address)
{
    char text[MAX_STRING + 1];
    int len = w->read && address ? w->read(w->context, address, text, sizeof text) : -1;
    if (len < 0) {
        address ? put(w, "0x%llx", (unsigned long long)address) : put(w, "NULL");
        return;
    }
    put(w, "\"");
    size_t room = w->used < w->size ? w->size - w->used : 0;
    w->used += cordon__escape_text(room ? w->out + w->used : NULL, room, text,
                                   len < MAX_STRING ? (size_t)len : MAX_STRING);
    put(w, len >= MAX_STRING ? "\"..." : "\"");
}

static void put_argument(writer *w, char kind, const uint64_t args[6], unsigned i)
{
    uint64_t v = args[i];
    if (is_32bit_kind(kind) && (v >> 32) != 0) {
        uint64_t low_args[6];
        memcpy(low_args, args, sizeof low_args);
        low_args[i] = low(v);
        put_argument(w, kind, low_args, i);
        put(w, " (0x%llx)", (unsigned long long)v);
        return;
    }
    switch (kind) {
    case K_FD:          put_fd(w, v); break;
    case K_POINTER:     v ? put(w, "0x%llx", (unsigned long long)v) : put(w, "NULL"); break;
    case K_FAMILY:      put_named(w, families, COUNT(families), low(v)); break;
    case K_SOCKET_TYPE: put_socket_type(w, v); break;
    case K_PROTOCOL:    put_protocol(w, args[0], v); break;
    case K_OPEN:        put_open_flags(w, v); break;
    case K_MODE:        v ? put(w, "0%llo", (unsigned long long)v) : put(w, "0"); break;
    case K_CLONE:       put_clone_flags(w, v); break;
    case K_PRCTL:       put_named(w, prctl_options, COUNT(prctl_options), low(v)); break;
    case K_IOCTL:       put_ioctl(w, low(v)); break;
    case K_PERSONALITY: put_personality(w, v); break;
    case K_FCNTL:       put_named(w, fcntl_commands, COUNT(fcntl_commands), low(v)); break;
    case K_PROT:        v ? put_flags(w, protections, COUNT(protections), v, false)
                          : put(w, "PROT_NONE"); break;
    case K_MAP:         put_flags(w, map_flags, COUNT(map_flags), v, false); break;
    case K_SIGNAL:      put_signal(w, v); break;
    case K_AT:          put_flags(w, at_flags, COUNT(at_flags), v, false); break;
    case K_STRING:      put_string(w, v); break;
    default:            put_number(w, v); break;
    }
}

size_t cordon__describe_call_reading(int nr, const uint64_t args[6], cordon__string_reader read,
                                     void *context, char *out, size_t size)
{
    writer w = { .out = out, .size = size, .used = 0, .read = read, .context = context };
    if (size)
        out[0] = '\0';
    const char *name = cordon__syscall_name(nr);
    const char *kinds = name ? kinds_of(nr) : NULL;
    if (name)
        put(&w, "%s(", name);
    else
        put(&w, "syscall %d(", nr);
    unsigned count = kinds ? (unsigned)strlen(kinds) : 6;
    for (unsigned i = 0; i < count; i++) {
        if (i)
            put(&w, ", ");
        put_argument(&w, kinds ? kinds[i] : K_NUMBER, args, i);
    }
    put(&w, ")");
    return w.used;
}

size_t cordon__describe_call(int nr, const uint64_t args[6], char *out, size_t size)
{
    return cordon__describe_call_reading(nr, args, NULL, NULL, out, size);
}

size_t cordon__describe_argument(int nr, unsigned arg, uint64_t value, char *out, size_t size)
{
    writer w = { .out = out, .size = size, .used = 0 };
    if (size)
        out[0] = '\0';
    const char *kinds = cordon__syscall_name(nr) ? kinds_of(nr) : NULL;
    uint64_t args[6] = { 0 };
    if (arg < 6)
        args[arg] = value;
    /* A pointer compared in a rule is a number; a protocol without its
     * family is too. */
    char kind = kinds && arg < strlen(kinds) ? kinds[arg] : K_NUMBER;
    if (kind == K_POINTER || kind == K_PROTOCOL || kind == K_STRING)
        kind = K_NUMBER;
    put_argument(&w, kind, args, arg < 6 ? arg : 0);
    return w.used;
}
