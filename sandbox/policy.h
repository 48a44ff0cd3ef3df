/*
 * Internal interface of the seccomp policy module (sandbox/policy_*.c).
 *
 * A cordon_policy is parsed and compiled to BPF with libseccomp in the
 * parent, before any fork; the child only installs the finished program.
 * Rules whose action is "kill" are compiled to SCMP_ACT_NOTIFY: the parent,
 * holding the listener, names the offending call and its arguments and
 * kills the task's tree while the call is still suspended, so the call
 * never returns.  A kernel without user notification gets
 * SCMP_ACT_KILL_PROCESS (the violation is then reported without a name).
 */
#ifndef CORDON_SANDBOX_POLICY_H
#define CORDON_SANDBOX_POLICY_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/cordon.h"

/* The built-in "default" policy, compiled once on first use and never freed.
 * NULL only if compiling it failed (out of memory). */
const cordon_policy *cordon__policy_builtin_default(void);
/* The filter of a task with no policy that has no pid namespace: every
 * call allowed, for cordon's rules of that kind to be added (NULL with
 * ENOMEM). */
const cordon_policy *cordon__policy_fence_alone(void);

/* What `p` means for a task without a pid namespace (policy_variant.c):
 * NO_PID_NAMESPACE refuses prlimit64 setting the limits of any pid but 0
 * (killed where `p` has a kill rule for prlimit64, else EPERM);
 * NO_TREE_HOLD (no pid namespace, no v2 cgroup) refuses setsid and
 * setpgid with EPERM.  Each of these kinds holds whatever `p`'s own allow
 * rules say; what `p` refuses outright keeps its action.  `p` itself for
 * kind 0.  Made once per policy and kind, freed with it. */
#define CORDON__VARIANT_NO_PID_NAMESPACE 1u
#define CORDON__VARIANT_NO_TREE_HOLD     2u
/* NO_NETWORK (a task without a network, CORDON_NETWORK_NONE): a network
 * namespace does not hold a unix socket bound to a path (and Landlock
 * does not govern connect()), so the caller's services (a container
 * engine's socket, a session bus, an ssh agent) would stay in reach, nor
 * a vsock (the hypervisor's host); socket(AF_UNIX) fails with EACCES,
 * every family but IPv4, IPv6, netlink and packet with EAFNOSUPPORT, and
 * a datagram socketpair with EACCES, whatever `p`'s own allow rules say
 * (policy_variant_network.c). */
#define CORDON__VARIANT_NO_NETWORK       4u
/* FILE_RULES (a task with Landlock file rules): Landlock does not govern
 * inotify or fanotify, with which a task would follow the names and the
 * activity of the files in a directory it may not list;
 * inotify_add_watch and fanotify_mark fail with EACCES.  Nor connect() to
 * a socket file outside the rules: socket(AF_UNIX) and a datagram or raw
 * socketpair fail with EACCES, and io_uring_setup with EPERM, as under
 * NO_NETWORK (policy_variant_unix_sockets.c). */
#define CORDON__VARIANT_FILE_RULES       8u
/* FILE_SIZE_LIMIT (a task with RLIMIT_FSIZE): the limit's only report is
 * the SIGXFSZ the kernel sends the writer, as kill(2) would; kill, tkill,
 * tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo and pidfd_send_signal of
 * SIGXFSZ, prctl(PR_SET_PDEATHSIG, SIGXFSZ), fcntl(F_SETSIG, SIGXFSZ),
 * ptrace resuming a tracee with it and a clone whose exit signal is
 * SIGXFSZ fail with EPERM, so that a task cannot pose as having reached
 * its limit; so do setrlimit and prlimit64 setting RLIMIT_FSIZE, so that
 * the limit it meets is cordon's (reading it is allowed).  Where the
 * policy's own rules still let one through,
 * cordon__policy_refuses_own_sigxfsz says so.  And fallocate's
 * INSERT_RANGE and KEEP_SIZE (but with PUNCH_HOLE), which lengthen a file
 * or reserve its blocks past the limit unchecked, fail with EOPNOTSUPP. */
#define CORDON__VARIANT_FILE_SIZE_LIMIT  16u
/* NO_LISTENER (added by cordon__policy_variant itself to every kind of a
 * policy whose filter has no listener (it refuses sendmsg, or the kernel
 * cannot notify) and traps no call): its kills are a bare SIGSYS, so the same sends of
 * SIGSYS fail with EPERM, and cordon__policy_sigsys_is_evidence says
 * whether they all do. */
#define CORDON__VARIANT_NO_LISTENER      32u
/* SHARED_COUNTS (every task): counts no namespace divides.  Keys:  The user keyring
 * (@u, and @us which links it) is its user's, kept by the kernel per user
 * id and user namespace, and a process names it as its possessor
 * (KEY_SPEC_USER_KEYRING): a task without a user namespace of its own
 * linked it into its own session keyring, read the keys the caller keeps
 * there and planted keys for the caller and its siblings of that user.
 * And every key counts against its user id's quota (200 keys, 20,000
 * bytes for any user but root), whatever the user namespace: a task in
 * one of its own took it all, and its caller's user could add no key
 * (EDQUOT), nor the caller's next task join a session keyring of its own
 * to start.  add_key, request_key and keyctl fail with EPERM, whatever
 * the policy's own allow rules say.  And the machine's AIO contexts
 * (fs.aio-max-nr, 65,536 events here, for every process of the machine):
 * a task's one io_setup took them all, and no other process could make
 * one (EAGAIN) while it ran.  io_setup fails with ENOSYS, as on a kernel
 * without AIO (libaio's users fall back to threads). */
#define CORDON__VARIANT_SHARED_COUNTS 64u
/* UNCOUNTED_SHARED_MEMORY (a memory limit held by RLIMIT_AS alone, no
 * memory cgroup): address space counts memory only while it is mapped,
 * and a memfd or a System V segment keeps its pages when unmapped: a task
 * under a 64 MiB limit wrote 512 MiB into a memfd (and a segment filled
 * through shmat stays filled after shmdt).  memfd_create, memfd_secret
 * and shmget fail with EPERM, whatever `p`'s own allow rules say. */
#define CORDON__VARIANT_UNCOUNTED_SHARED_MEMORY 128u
/* CGROUP_MOVES (a task of uid 0, or one with a v2 cgroup of its own): a
 * task of uid 0 may write root's cgroup.procs (the owner's write bit, no
 * capability needed), a delegated user its own, and clone3 with
 * CLONE_INTO_CGROUP starts a child in any cgroup whose directory it can
 * open, which neither a read-only mount nor Landlock governs: a root task
 * with no policy and no pid namespace started a child in the v2 root
 * cgroup, out of the cgroup that held its tree, which outlived its run.
 * clone3 fails with ENOSYS (its flags are in memory no filter reads; C
 * libraries fall back to clone), whatever `p`'s own allow rules say.  And
 * unshare and clone with CLONE_NEWCGROUP fail with EPERM: in a cgroup
 * namespace of its own such a task mounts its cgroup's files, and wrote
 * its own limits and the caller's v1 freezer.state
 * (policy_variant_cgroup_namespace.c). */
#define CORDON__VARIANT_CGROUP_MOVES 256u
/* TERMINAL_STDIN (a task given a terminal as its stdin, --tty): the
 * terminal is the caller's, and setting its window size (TIOCSWINSZ)
 * sends SIGWINCH to the terminal's foreground process group — the
 * caller's shell, the caller itself — and leaves the caller's screen at
 * a size it does not have: a task set it to 3 rows of 7 columns, and the
 * caller's shell got the signal.  ioctl(TIOCSWINSZ) fails with EPERM on
 * any fd (a filter cannot tell the caller's terminal from a pseudo-
 * terminal of the task's own), whatever `p`'s own allow rules say. */
#define CORDON__VARIANT_TERMINAL_STDIN 512u
/* SETID_MODES (every task): a task may set S_ISUID or S_ISGID on a file
 * it owns, and the file outlives it: a task given a writable path left a
 * program there set-uid to its user (root's, under --user root) for any
 * user of the machine to run as that user.  chmod, fchmod, fchmodat and
 * fchmodat2 fail with EPERM for such a mode, whatever `p`'s own allow
 * rules say (policy_variant_setid.c). */
#define CORDON__VARIANT_SETID_MODES 1024u
/* ROOT_UNIX_SOCKETS (a task of uid 0): the kernel lets uid 0 write its
 * settings (/proc/sys, root's sysfs files) by the file's owner bits, no
 * capability needed; the task's own view has them read-only, but a
 * descriptor of a writable proc or sysfs mount, the machine's or one made
 * in a user namespace of anyone's, sent over a unix socket bound to a path
 * (a nobody process's, in /var/tmp) let a root task open
 * kernel.core_pattern for writing, and no path rule holds a descriptor
 * made elsewhere.  So, as under FILE_RULES, socket(AF_UNIX) and a
 * datagram or raw socketpair fail with EACCES and io_uring_setup with
 * EPERM, whatever `p`'s own allow rules say: a stream or seqpacket pair
 * reaches only its peer, and abstract sockets are Landlock's scope. */
#define CORDON__VARIANT_ROOT_UNIX_SOCKETS 2048u
/* INIT_LIMITS (a pid namespace whose init runs as the task's user, the
 * caller's in a user namespace, or root beside a root task): prlimit64
 * setting the limits of pid 1, cordon's init, fails with EPERM (the
 * policy's kill where it kills some prlimit64), whatever the policy's own
 * allow rules say.  The init needs its limits to hold the tree: under
 * --policy none or an imported Docker profile a task set the init's
 * RLIMIT_NOFILE to 0, the init could no longer open the caller's status
 * to see it being killed, and a SIGKILLed caller stayed in the kernel,
 * unkillable, for as long as the task ran on (for good). */
#define CORDON__VARIANT_INIT_LIMITS 4096u
/* How many kinds there are: a policy's variants, by kind. */
#define CORDON__VARIANT_KINDS 8192u
/* 0 when `p`'s rules and those of a variant of `kind` can be put
 * together; else -EINVAL, with `err` naming why and the policy's line that
 * stands in the way (an 'arch i386' for a task without a network).  What
 * cordon__policy_variant checks first, without compiling anything. */
int cordon__policy_combinable(const cordon_policy *p, unsigned kind, cordon_error *err);

/* NULL with errno ENOMEM, EMFILE or ENFILE (out of memory or fds to
 * compile it); EPERM where the compiled variant would still let through a
 * call it must refuse; EINVAL where the policy's rules and the variant's
 * cannot be put together (the task is then not run), with `err` naming
 * why and the policy's line that stands in the way. */
const cordon_policy *cordon__policy_variant(const cordon_policy *p, unsigned kind,
                                            cordon_error *err);
/* The negative errno of the last cordon__policy_variant or learning
 * variant that failed, from its errno (anything unforeseen: -ENOMEM). */
int cordon__variant_error(void);
/* For a learning run under `base` with the isolation `kind`: the variant
 * of a copy of `base` whose default allows, whose compiled filter says
 * what cordon refuses besides the base's rules (*out NULL: nothing).
 * Owned by the caller (cordon_policy_free); errors as above. */
int cordon__learning_confinement(const cordon_policy *base, unsigned kind, cordon_policy **out,
                                 cordon_error *err);

/* Whether `p` (a FILE_SIZE_LIMIT variant) refuses every way of sending
 * SIGXFSZ and of changing RLIMIT_FSIZE listed above, as its compiled
 * filter decides. */
bool cordon__policy_refuses_own_sigxfsz(const cordon_policy *p);

/* Whether `p` (a FILE_SIZE_LIMIT variant) hands timer_create and
 * mq_notify to the parent (struct cordon__notify_state). */
bool cordon__policy_watches_signal_sources(const cordon_policy *p);

/* Whether a SIGSYS death of a task under `p` (as returned by
 * cordon__policy_variant) is its filter's: `p` reports on a listener
 * (before the listener is handed over, no code of the task's runs), or
 * refuses every way the task would send itself SIGSYS. */
bool cordon__policy_sigsys_is_evidence(const cordon_policy *p);

/* Whether `p` traps native call `nr` (SIGSYS to the task) for some
 * arguments: a rule for it, or a default or "newer" that reaches it.  A
 * function task's crash record naming `nr` is its own word; this is what
 * makes it credible (forging one gains nothing a real call would not). */
bool cordon__policy_may_trap(const cordon_policy *p, int nr);
/* Whether `p` answers native call `nr` with the errno `error` for some
 * arguments: then that errno from the call is no evidence of the kernel's. */
bool cordon__policy_may_answer_errno(const cordon_policy *p, int nr, int error);

/* The compiled program, ready for the child. */
const struct sock_fprog *cordon__policy_program(const cordon_policy *p);
/* Whether a task under `p` may make a namespace of its own (unshare,
 * clone or clone3 let through): only then do its user namespace's
 * namespace limits need writing (per_user_limits.c). */
bool cordon__policy_may_make_namespaces(const cordon_policy *p);
/* Whether a child that hands over a listener under `p` may lower its own
 * RLIMIT_NOFILE afterwards (cordon's allow for it, not undone by a rule of
 * the policy's): only then is the hand-over made at the caller's hard
 * limit (lib/spawn.c). */
bool cordon__policy_lowers_open_files_after_handover(const cordon_policy *p);
/* Whether a child under `p` may offer its listener and read the parent's
 * answer on fd 4 (cordon's allow, not undone by a rule of the policy's):
 * only then is the listener taken with pidfd_getfd (lib/child.c). */
bool cordon__policy_reads_handover_answer(const cordon_policy *p);

/* Child side, async-signal-safe (raw syscalls only).  Installs the program;
 * PR_SET_NO_NEW_PRIVS must already be set.  Returns the user-notification
 * listener fd (>= 0, close-on-exec) when the program has notify rules, -1
 * when it has none, or a negative errno when installing failed. */
int cordon__policy_install(const cordon_policy *p);
/* The same for every thread of the process (TSYNC), failing closed. */
int cordon__policy_install_all_threads(const cordon_policy *p);
/* The same for a program copied out of the policy (a command's first
 * process, lib/exec_plan.c), with whether it has notify rules. */
int cordon__install_program(const struct sock_fprog *program, bool notifies);
/* Child side: a guard, a small filter stacked under the policy's (the
 * kernel takes the strictest answer of the two), installed before it;
 * every thread's where all_threads.  0 or -errno. */
int cordon__install_guard(const struct sock_filter *filter, size_t length, bool all_threads);
/* terminal_guard.c: refuses setting a terminal's modes (EPERM), for a
 * task given the caller's terminal. */
int cordon__terminal_guard_install(bool all_threads);
/* device_events_guard.c: refuses the kernel's device events (a netlink
 * socket of NETLINK_KOBJECT_UEVENT, EACCES), for a task without a
 * network; with no_policy also io_uring_setup (EPERM) and sockets of the
 * families no network namespace holds (EAFNOSUPPORT). */
int cordon__device_events_guard_install(bool all_threads, bool no_policy);
/* shared_objects_guard.c: what no namespace of the task's keeps from its
 * caller, refused under any policy and none; parts, by when they apply: */
#define CORDON__SHARED_OBJECTS_REUSEPORT 1u /* the caller's network: SO_REUSEPORT */
#define CORDON__SHARED_OBJECTS_RINGS 2u     /* that, and no policy: io_uring_setup */
#define CORDON__SHARED_OBJECTS_SYSTEM_V 4u  /* no IPC namespace: System V IPC */
#define CORDON__SHARED_OBJECTS_KEYRINGS 8u  /* no policy: the keyring calls */
#define CORDON__SHARED_OBJECTS_WATCHES 16u  /* file rules, no policy: inotify, fanotify */
/* No pid namespace, so no init to end a task its parent cannot reach:
 * userfaultfd(2) and /dev/userfaultfd's USERFAULTFD_IOC_NEW (EPERM).  A
 * task of root's opened the device (its file mode is its only check)
 * and wrote to its stdout from a page it never served: the kernel held
 * the pipe's lock through the fault, the parent's read of the pipe
 * waited on it past the deadline, and no signal, SIGKILL included, ended
 * the caller. */
#define CORDON__SHARED_OBJECTS_USERFAULTFD 32u
int cordon__shared_objects_guard_install(unsigned parts, bool all_threads);

/* task_filter.c: which filter a task runs under and which guards lie
 * beneath it, from what its start is (lib/spawn.c, and the floor the
 * benchmarks confine by hand, bench/confined_floor.h). */
typedef struct cordon__filter_facts {
    unsigned namespaces;   /* CORDON__NAMESPACE_* the task is in */
    bool v2_cgroup;        /* a v2 cgroup of its own holds its tree */
    bool runs_as_root;
    bool owns_ruleset;     /* file rules of its own */
    bool file_size_limit;
    bool uncounted_memory; /* a memory limit that no memory cgroup counts */
    bool terminal_stdin;   /* its stdin is a terminal (the caller's) */
} cordon__filter_facts;
/* The variant kind (CORDON__VARIANT_*) of the task's policy. */
unsigned cordon__filter_kind(const cordon__filter_facts *f);
/* A task given no policy gets cordon's own rules alone
 * (cordon__policy_fence_alone), of the kind cordon__filter_fence_kind
 * keeps of its kind. */
bool cordon__filter_fence_needed(const cordon__filter_facts *f);
unsigned cordon__filter_fence_kind(unsigned kind);
/* The CORDON__SHARED_OBJECTS_* guards under `policy` (NULL: none given). */
unsigned cordon__filter_guard_parts(const cordon__filter_facts *f, const cordon_policy *policy);
/* policy_variant_network.c: the policy's own rules refuse SO_REUSEPORT. */
bool cordon__policy_refuses_reuseport(const cordon_policy *p);
bool cordon__policy_notifies(const cordon_policy *p);

/* Nonzero when the program sends execve/execveat to the listener (policies
 * that forbid exec after the first, like "noexec").  The engine must then not
 * suspend itself until the child's exec (no CLONE_VFORK), since it has to
 * answer that first exec. */
int cordon__policy_watches_exec(const cordon_policy *p);
/* Whether `program` sends the native call `nr` with `args` to the
 * listener, as the kernel would run it (policy_simulate.c).  Pure:
 * async-signal-safe, for the child. */
bool cordon__program_notifies(const struct sock_fprog *program, int nr, const uint64_t args[6]);
/* Whether `nr` has a rule of its own in `p`'s program (not overridden,
 * not the same as the default). */
bool cordon__policy_rules_in_program(const cordon_policy *p, int nr);

/* What the parent must remember between notifications of one task. */
struct cordon__notify_state {
    pid_t child_pid;
    /* Command tasks: the child counts here each execve it is about to make
     * before its command runs (the region is gone from the task once it
     * has exec'd, so the command cannot forge it).  NULL for functions. */
    const volatile uint32_t *exec_attempts;
    uint32_t execs_answered;
    /* The task's policy: to name the line that forbade a call, and for the
     * opens of devices it refuses only for writing (policy_devices.c);
     * NULL: none. */
    const cordon_policy *policy;
    /* the parent may open those devices for the task: false for a task
     * with isolation options, whose file rules the parent's open would
     * pass by */
    bool devices_by_parent;
    /* A file size limit's variant hands the task's timer_create and
     * mq_notify to the parent (policy_variant_signals.c): let through
     * where the policy lets them, and noted, since their signal (in a
     * struct no filter reads) may be a SIGXFSZ the task sends itself. */
    bool watch_signal_sources;
    bool signal_source_used;
    /* Learning (policy_learn.c): what no rule of the policy refuses goes
     * through, its default unasked, a userfaultfd among them; so every
     * read of the task's memory may wait (task_memory.c). */
    bool learning;
};

/* Parent side: receives one pending notification from `listener_fd`.
 * Returns 1 when it was answered: the command's own exec, let through, or
 * a write-open of a null device that state->policy refuses only for its
 * writing (cordon__notification_device_open);
 * returns 0 when it was a violation: the call is left unanswered (the
 * engine kills the task, which dies inside it) and a description such as
 * "socket(AF_INET, SOCK_STREAM, 0): killed by rule nonet.policy:4" is
 * written into `description`.
 * Returns a negative errno on failure (-ENOENT when the notification
 * vanished because the task died meanwhile). */
int cordon__notification_handle(int listener_fd, struct cordon__notify_state *state,
                                char *description, size_t size);

/* A kill of open/openat that the policy decided only because the call
 * writes, for /dev/null, /dev/zero, /dev/full or /dev/ptmx (with
 * `may_open`: the parent opens the device and hands the fd over as the
 * call's result) or /dev/tty (ENXIO): 1 when answered so, 0 when it stays a violation,
 * `may_wait`: the task may make a userfaultfd, so the read of the path may wait;
 * -ENOENT when the task died meanwhile (policy_devices.c). */
struct seccomp_notif;
int cordon__notification_device_open(int listener_fd, const struct seccomp_notif *request,
                                     const cordon_policy *policy, bool may_open, bool may_wait);

/* Learning: what becomes of native call `nr`: 0 let it through, a
 * positive errno fail it with that, CORDON__NOTIFY_ERRNO_ZERO fail it
 * with 0 (a rule's "errno 0": it returns 0 without being made), -1 a
 * violation (left unanswered). */
#define CORDON__NOTIFY_ERRNO_ZERO 0x10000
typedef int (*cordon__notify_decide)(void *user, int nr, const uint64_t args[6]);
/* cordon__notification_handle's contract, for a learning run: the
 * command's own exec is let through, a foreign ABI's call is a violation,
 * every other call is what `decide` says (a kill of a device's open
 * answered as cordon__notification_device_open does, for state->policy). */
int cordon__notification_learn(int listener_fd, struct cordon__notify_state *state,
                               cordon__notify_decide decide, void *user, char *description,
                               size_t size);

/* The name of syscall `nr` of the native architecture ("socket"), or NULL. */
const char *cordon__syscall_name(int nr);

#endif
