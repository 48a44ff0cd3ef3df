/*
 * Confinement applied in the child, in one fixed order (see child.c):
 * no_new_privs, Landlock, fds, resource limits, bounding set, user,
 * capabilities, then seccomp last.
 * Every function here is async-signal-safe and returns 0 or a negative errno.
 */
#ifndef CORDON_SANDBOX_CONFINE_H
#define CORDON_SANDBOX_CONFINE_H

#include <stdbool.h>
#include <sys/stat.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

/* One entry of getdents64(2), which glibc declares no type for: the
 * init's walks of /proc and /dev read them raw (buffers 8-aligned). */
struct cordon__raw_dirent {
    uint64_t inode;
    int64_t offset;
    unsigned short length;
    unsigned char type;
    char name[];
};

/* Parent side: the state libcap needs, prepared before the fork (nothing
 * to release: the empty set is the process's, made once). */
typedef struct cordon__capability_plan {
    bool can_drop_bounding; /* CAP_SETPCAP is effective */
    int last_capability;
} cordon__capability_plan;

int  cordon__capability_plan_prepare(cordon__capability_plan *plan);

/* Parent side: the Landlock ruleset shared by every task of this process
 * (made once; -1 when the kernel has no Landlock) and the kernel's ABI. */
int cordon__landlock_ruleset(void);
int cordon__landlock_abi(void);
/* Makes that ruleset if it is not made yet: 0, or -errno where the kernel
 * has Landlock but no fd or memory was left to make it (not kept: a task
 * fails with it rather than run without its domain). */
int cordon__landlock_prepare(void);
/* Parent side (landlock_fence.c): the ruleset of a task without a mount
 * namespace, which also refuses writing beneath /proc, /sys and every
 * other mount of the kernel's file systems; a new fd the caller closes,
 * -EOPNOTSUPP where Landlock cannot make it (before ABI 2), or another
 * -errno where it could not be made now (no fd or memory left). */
int cordon__landlock_fence_ruleset(void);

/* Parent side (kernel_mounts.c): lists of mount points in the caller's
 * mount namespace, with each one's mount as the table said; free each with
 * cordon__path_list_free. */
typedef struct cordon__mount_place {
    dev_t device;       /* the mount's file system */
    bool reached;       /* its path leads to it: no later mount of the table
                           is at its mount point or above it */
    size_t line;        /* its line in the table read */
} cordon__mount_place;
typedef struct cordon__path_list {
    char **paths;
    cordon__mount_place *places;    /* each path's */
    size_t count;
} cordon__path_list;
void cordon__path_list_free(cordon__path_list *list);
/* `path` is `dir` or lies beneath it (every absolute path lies beneath
 * "/"); a string's comparison, no lookup, for the child's part too. */
bool cordon__path_at_or_beneath(const char *path, const char *dir);
/* The mount points of the kernel's file systems of settings and
 * processes (proc, sysfs, cgroup, debugfs, ...) but those beneath /proc
 * and /sys, as last read (again only when the mount table changed): a
 * copy in `copy` (unless NULL) and in `generation` a number that moves on
 * with each reading.  0 or -errno. */
int cordon__kernel_mounts_elsewhere(cordon__path_list *copy, unsigned *generation);
/* What the init covers in a task's mount namespace: those, and the mounts
 * of the caller's terminals and shared state (a devpts, mqueue, hugetlbfs
 * or devtmpfs, or the file system of /dev/shm) other than where the task
 * gets its own; in `table_digest` the digest of the table they were read
 * from (below).  0 or -errno. */
int cordon__mounts_to_hide(cordon__path_list *copy, uint64_t *table_digest);
/* The lists are read again at the next call: a task's view was copied
 * from another table than the one they were read from. */
void cordon__mounts_to_hide_forget(void);

/* mount_table_digest.c: a digest of a mount table's mount points, their
 * file systems and types (what the lists above are read from), from the
 * parent's read of the caller's table (`table_digest` above and
 * cordon__bind_reach's) and from the child's of its view's copy
 * (cordon__own_mount_table_digest: raw calls, after the fork): equal,
 * the covers planned fit the view.  Never 0, which stands for none. */
typedef struct cordon__mount_table_digest {
    uint64_t sum, line;               /* of the lines' hashes; the line's so far */
    unsigned field, separator_field;  /* of the line; 0: no "-" yet */
    size_t field_length;
    char field_first;
} cordon__mount_table_digest;
void cordon__mount_table_digest_start(cordon__mount_table_digest *digest);
void cordon__mount_table_digest_add(cordon__mount_table_digest *digest, const char *bytes,
                                    size_t count);
uint64_t cordon__mount_table_digest_end(const cordon__mount_table_digest *digest);
/* Of /proc/thread-self/mountinfo: 0 or -errno. */
int cordon__own_mount_table_digest(uint64_t *digest);
/* The calling thread's mountinfo, in pieces to `take` until it returns
 * false: 0 or -errno.  Raw calls and a buffer on the stack. */
int cordon__own_mount_table_read(bool (*take)(const char *piece, size_t count, void *arg),
                                 void *arg);
/* In the task's mount namespace (hidden_mounts.c): covers the mount at
 * `list`'s path `index`, one of those, with an empty read-only tmpfs
 * (mode 000) or, for a file, an empty read-only file (mode 000); one its
 * path led to when read and no longer does is covered where the view now
 * holds a mount of its file system (a directory above it renamed since),
 * which cordon__mounted_elsewhere (moved_mounts.c) finds, in `point`,
 * leaving out `list`'s other paths and the places cordon mounts the task's
 * own over: 1, 0 for none, -errno.  0 where nothing is there any more;
 * -ESTALE where renames went on past a few looks.  Raw system calls. */
int cordon__hide_kernel_mount(const cordon__path_list *list, size_t index);
int cordon__mounted_elsewhere(const cordon__path_list *list, size_t index, char *point,
                              size_t size);

/* Parent side (landlock_rules.c): a ruleset of a task's own that refuses
 * every file access but those granted (and carries the scopes of the
 * shared one).  An fd, or -errno (-EOPNOTSUPP without Landlock); a rule
 * that failed is named by *failed_rule (count when none did). */
#define CORDON__ACCESS_READ  1u
#define CORDON__ACCESS_WRITE 2u
#define CORDON__ACCESS_EXEC  4u
typedef struct cordon__path_rule {
    const char *path;
    unsigned access;   /* CORDON__ACCESS_* */
    bool optional;     /* a preset's: a path this machine lacks is skipped */
    const char *resolved; /* the caller's: where the path led when given */
} cordon__path_rule;
int cordon__landlock_file_ruleset(const cordon__path_rule *rules, size_t count,
                                  size_t *failed_rule);

/* Child side. */
/* Needs no_new_privs.  A ruleset of -1 is a machine without Landlock. */
int cordon__enter_landlock_domain(int ruleset);
int cordon__apply_resource_limits(const struct rlimit *limits, const bool *limit_set);
/* The soft RLIMIT_NOFILE up to the hard one, for the listener's hand-over. */
int cordon__raise_open_files_to_hard(void);
int cordon__switch_user(uid_t uid, gid_t gid);
/* machine_root.c: uid 0 of the caller's user namespace is the machine's
 * root (not that of a user namespace of its own). */
bool cordon__uid0_is_the_machines(void);
/* Real and saved ids set to the effective ones (rlimits.c). */
int cordon__settle_ids(void);
int cordon__drop_bounding_set(const cordon__capability_plan *plan); /* and ambient */
int cordon__clear_capabilities(const cordon__capability_plan *plan); /* E, P, I */
int cordon__set_no_new_privileges(void);
/* oom_score_adj 1000: the task's processes go first when memory runs out
 * (oom_victim.c). */
int cordon__prefer_as_oom_victim(void);
/* The process's own oom_score_adj opened for writing, -1 where there is
 * none to write, or -errno (oom_victim.c). */
int cordon__open_own_oom_score_adj(void);
/* For cordon's init, once the task started, by the fd it opened while it
 * could: -1000 (never the victim) where it may ask that, else 0; closes
 * `fd` (oom_victim.c). */
void cordon__leave_oom_victims(int fd);
/* A new session keyring of the task's own (keyrings.c). */
int cordon__leave_callers_keyrings(void);

/* Namespaces (namespaces.c).  Parent side: which of them this machine
 * lets the process make (probed once per process; CORDON_NO_NAMESPACES in
 * the environment turns them off, for tests of the fallback). */
#define CORDON__NAMESPACE_USER  1u
#define CORDON__NAMESPACE_PID   2u
#define CORDON__NAMESPACE_MOUNT 4u  /* with a /proc of the task's own */
#define CORDON__NAMESPACE_NET   8u  /* only when a task asks: loopback only */
#define CORDON__NAMESPACE_IPC  16u  /* System V IPC and POSIX message queues */
#define CORDON__NAMESPACE_UTS  32u  /* only when a task asks: a hostname of its own */
#define CORDON__NAMESPACE_CGROUP 64u /* only when a task asks: its cgroup is its root */
/* The namespaces the machine gives (probed once per process, and again
 * when its ids or dumpability change) in *available; -EAGAIN where the
 * probe was short of processes, memory or fds, -ENOSPC of namespaces (its
 * user's all made), and could not tell: not kept. */
int cordon__namespaces_available(unsigned *available);
/* The same without the probe, where it may be skipped: the namespaces a
 * process like this one gets on nearly every machine, presumed (*presumed
 * true) until a start shows them (cordon__namespaces_seen) or shows they
 * were refused (cordon__namespaces_not_as_presumed: the next call
 * probes).  The probe at a process's first task cost a start of its own
 * (a copy of the caller, namespaces made, a /proc mounted, all torn down):
 * for a program that runs one task, the CLI, about a sixth of its CPU. */
int cordon__namespaces_presumed(unsigned *available, bool *presumed);
void cordon__namespaces_seen(void);
void cordon__namespaces_not_as_presumed(void);
/* Why the last probe found fewer namespaces than a task may ask for: a
 * static text. */
const char *cordon__namespaces_missing_why(void);
/* Child side: unshares `what` (the pid namespace takes effect for the
 * children) and maps the caller's own uid and gid in a user namespace. */
int cordon__enter_namespaces(unsigned what);
/* The per-user inotify, fanotify and namespace limits a task's user
 * namespace gets (sandbox/per_user_limits.c): planned by the parent
 * (what its own user namespace allows, -1 where that cannot be read),
 * taken as a share of that, and written by the child that made the
 * namespace, as its root. */
#define CORDON__PER_USER_LIMITS 12
void cordon__per_user_limits_plan(long share[CORDON__PER_USER_LIMITS]);
/* Turns a plan's limits into the task's shares, taken from the ledger
 * (`given` records each, for cordon__shares_give_back). */
void cordon__per_user_limits_take(long share[CORDON__PER_USER_LIMITS],
                                  uint64_t given[CORDON__PER_USER_LIMITS]);
void cordon__share_per_user_limits(int proc_fd, const long share[CORDON__PER_USER_LIMITS]);
/* Drops the namespace limits from a plan: for a task whose filter lets it
 * make no namespace (cordon__policy_may_make_namespaces), eight writes it
 * would pay for nothing. */
void cordon__per_user_limits_leave_namespaces(long share[CORDON__PER_USER_LIMITS]);
/* A small file (a /proc file) read whole, NUL-terminated, up to `size`
 * less one bytes: its length, or -errno where it cannot be opened
 * (file_number.c). */
ssize_t cordon__read_small_file(const char *path, char *text, size_t size);
/* The number a small file begins with (file_number.c); 0 when it cannot
 * be read or begins with none. */
uint64_t cordon__file_leading_number(const char *path);
/* The most processes and threads a task without a process limit of its
 * own may hold at once: a quarter of the fewest of kernel.pid_max and
 * kernel.threads-max less the machine's threads now, the caller's soft
 * RLIMIT_NPROC and the room its pids cgroups leave it
 * (sandbox/process_share.c), taken from the ledger (CORDON__SHARE_PROCESSES);
 * 0 where none can be read. */
uint64_t cordon__process_share(void);
/* Three quarters of the fewer of kernel.pid_max and kernel.threads-max:
 * the soft RLIMIT_NPROC a user namespace is made with, which the kernel
 * holds the user's whole count to for every process of that namespace
 * (sandbox/process_share.c); 0: none. */
uint64_t cordon__user_processes_ceiling(void);
/* Child side, async-signal-safe: lowers the soft RLIMIT_NPROC to
 * `ceiling` (never raises it) before a user namespace is made. */
void cordon__lower_process_ceiling(uint64_t ceiling);
/* The live tasks' shares, per process (sandbox/share_ledger.c): each
 * count a task gets a quarter of has a kind; a task's share is a quarter
 * of the lesser of `room` (what is free now) and what the process's live
 * tasks were not given of the room when the first of them started, or of
 * the most found free at a start since (never less than a sixteenth of a
 * lone task's, one at least), and is given back when the task has ended. */
enum {
    CORDON__SHARE_PROCESSES,
    CORDON__SHARE_TERMINALS,
    CORDON__SHARE_PER_USER, /* one kind per per-user limit */
    CORDON__SHARE_KINDS = CORDON__SHARE_PER_USER + CORDON__PER_USER_LIMITS
};
uint64_t cordon__share_take(unsigned kind, uint64_t room);
/* `count` kinds from `first_kind` under one lock; a room of
 * CORDON__SHARE_NOT_TAKEN takes nothing and leaves its share be. */
#define CORDON__SHARE_NOT_TAKEN UINT64_MAX
void cordon__shares_take(unsigned first_kind, unsigned count, const uint64_t *room,
                         uint64_t *share);
/* Gives back what a task took (its own record, per kind), and zeroes it. */
void cordon__shares_give_back(uint64_t given[CORDON__SHARE_KINDS]);
/* In a new user namespace: the caller's uid and gid mapped to themselves,
 * setgroups denied (what cordon__enter_namespaces writes). */
int cordon__map_own_ids(uid_t uid, gid_t gid);
/* In a new mount namespace, before anything is mounted there: a copy of
 * a shared mount (every mount of a systemd machine's) is a peer of the
 * caller's, and what was mounted on it showed up, and stayed, in the
 * caller's namespace.  Each mount becomes private: a slave took the
 * caller's later mounts as they were, after the task's view was covered
 * and made read-only where it is (a /proc mounted later gave a task of
 * root's the caller's /proc/sys writable; a writable mount came into a
 * read-only view). */
int cordon__keep_mounts_apart(void);
/* In the new pid namespace, mounts kept apart: its /proc over the caller's. */
int cordon__mount_own_proc(void);
/* In the task's mount namespace, for a task that runs as uid 0: without
 * capabilities root still owns the files of /proc/sys (core_pattern runs
 * a helper with every capability), of /proc/irq and the like.  They
 * become read-only there. */
int cordon__protect_kernel_settings(void);
/* In the task's mount namespace, for every task: /sys and everything
 * mounted beneath it read-only.  Root owns its files (every cgroup.procs,
 * a way out of its cgroup), and a user owns the cgroups made in a subtree
 * delegated to it: a task of the caller's user froze (cgroup.freeze) or
 * could kill (cgroup.kill) the caller's cgroup, and raise its own
 * cgroup's limits.  Before Linux 5.12 only /sys itself. */
int cordon__make_sys_read_only(void);
/* In a new network namespace (network.c): brings its loopback up, the
 * one interface there is. */
int cordon__bring_up_loopback(void);
/* What a path named when it was given (stat's device and inode). */
typedef struct cordon__file_identity {
    dev_t device;
    ino_t inode;
} cordon__file_identity;
/* Either side (plain system calls): adds a rule granting `access`
 * (CORDON__ACCESS_*) beneath `path` to `ruleset`, made for `abi`.  For
 * what was just mounted at `path` in the task's namespace, `mounted` is
 * its root (else NULL): -ESTALE where the path leads to another file.  A
 * sibling of the task's user may rename a directory it owns even while it
 * is a mount point in another namespace, and left a link to its own
 * directory there: looked up again, the path moved the mount's grant onto
 * whatever the link named (landlock_rules.c). */
int cordon__landlock_grant(int ruleset, int abi, const char *path, unsigned access,
                           const cordon__file_identity *mounted);
/* Either side (checked_open.c): `path` as an O_PATH fd, links followed or
 * none allowed (a link on the way: -ESTALE), or -errno; and the same,
 * with `st` what it is, only if it is the file `expected` records
 * (-ESTALE otherwise; NULL: not checked). */
int cordon__open_path(const char *path, bool follow_links);
/* `path` as an O_PATH fd, no link allowed on the way or at its end
 * (ELOOP), by openat2 or, where it is missing, one name at a time; -1
 * with errno on failure.  Plain system calls only. */
long cordon__open_path_without_links(const char *path);
int cordon__open_checked(const char *path, bool follow_links,
                         const cordon__file_identity *expected, struct stat *st);
/* In the task's mount namespace (private_mounts.c): an empty tmpfs of the
 * task's own over the directory `path`. */
int cordon__mount_private_tmpfs(const char *path, const char *options);
/* The same over the directory `path` named when it was given: a task
 * that could write above it (an earlier task of a batch, an attempt
 * before a retry) may have renamed a parent and left a link or another
 * directory in its place, which the path now leads to.  The directory
 * is opened, checked against `given` and the tmpfs mounted on that fd,
 * never looked up again: -ESTALE where the path leads elsewhere now. */
int cordon__mount_private_tmpfs_on(const char *path, const cordon__file_identity *given,
                                   const char *options, cordon__file_identity *mounted);
/* A tmpfs mounted nowhere yet (fsopen, Linux 5.2: -ENOSYS before), of
 * `options` ("key=value,..." as mount(2) takes them) and the mount
 * attributes `attributes` (MOUNT_ATTR_*) besides nosuid and nodev: its
 * mount's fd, or -errno.  Raw system calls. */
int cordon__detached_tmpfs(const char *options, unsigned attributes);
/* The options of a task's tmpfs mounts ("mode=1777", with ",size=N" under
 * a memory limit: without a memory cgroup nothing else bounds what the
 * task keeps there), made in the parent: `out` holds 64 bytes. */
void cordon__tmpfs_options(char out[64], uint64_t memory_limit);
/* In the task's mount namespace (private_mounts.c): `source` bound over
 * `target` with everything mounted beneath it; read-only, submounts
 * included, when asked.  -ESTALE when the file `source` or `target`
 * leads to is not the one it named when the bind was given (replaced
 * since, e.g. a parent renamed and a link left in its place by a task
 * that could write above it): the bind is made on the target's fd,
 * opened and checked, never on a path looked up again. */
typedef struct cordon__bind {
    char *source, *target;  /* absolute, resolved when the bind was given */
    bool read_only;
    dev_t device;           /* what `source` was then */
    ino_t inode;
    cordon__file_identity target_given; /* what `target` was then */
} cordon__bind;
int cordon__mount_bind(const cordon__bind *bind, int clone);
#define CORDON__MAX_BINDS 8
/* Parent side (kernel_mounts.c): where the task's view must cover what the
 * binds bring along, the mounts of the kernel's file systems and of the
 * caller's terminals, devices and shared memory beneath each source, at
 * their place beneath the bind's target (`covers`); -EXDEV, with the bind
 * and the mount named in `refused`, for a source that lies on such a
 * mount itself (but a devtmpfs: a device node or /dev bound on purpose).
 * 0 or -errno; free `covers` with cordon__path_list_free. */
typedef struct cordon__bind_refusal {
    int index;          /* the bind refused, -1: none */
    char mount[160];    /* "POINT (TYPE)" of the mount its source lies on */
} cordon__bind_refusal;
int cordon__bind_reach(const cordon__bind *binds, size_t count, cordon__path_list *covers,
                       cordon__bind_refusal *refused, uint64_t *table_digest);
/* In the task's mount namespace (private_mounts.c), for a task with file
 * rules: Landlock governs reading and writing a file's contents and
 * names, not its metadata, so every mount becomes read-only (chmod,
 * chown, utimes and xattrs then fail with EROFS outside what the task
 * may write).  What a rule lets it write (a directory or a regular file)
 * and its writable binds' sources are cloned before (open_tree: a tree of
 * their own, with the caller's flags, read-only where the caller's were)
 * and mounted back after (move_mount).  -ENOENT from the clone: nothing
 * to clone (a path this machine lacks; with `files_only`, a device). */
int cordon__mount_everything_read_only(void);
int cordon__clone_tree(const char *path, bool files_only);
int cordon__mount_clone(int tree, const char *target);
/* A writable path's tree as the parent resolved it (realpath, then this):
 * inode 0 where it could not.  The init clones it, and mounts the clone
 * back, only where the path still leads to that file without a link: a
 * component swapped for a link since (by a sibling of the task's user)
 * is -ESTALE, never another tree made writable.  Raw system calls. */
cordon__file_identity cordon__planned_identity(const char *path);
int cordon__clone_planned_tree(const char *path, const cordon__file_identity *planned);
int cordon__mount_clone_on_planned(int tree, const char *target,
                                   const cordon__file_identity *planned);
/* In the task's mount namespace (minimal_dev.c): a tmpfs over /dev with
 * only null, zero, full, random, urandom and tty (the caller's nodes,
 * bound), a devpts of its own at /dev/pts with the ptmx link, a tmpfs
 * /dev/shm and the fd, stdin, stdout, stderr links; /dev itself then
 * read-only.  Needs the task's own /proc mounted. */
int cordon__mount_minimal_dev(const char *shm_options, const char *devpts_options);
/* In the task's mount namespace (own_pts.c), without a minimal /dev: a
 * devpts of the task's own over the caller's /dev/pts (or, where none can
 * be made, an empty read-only tmpfs), so that no terminal of the caller's
 * can be opened by name. */
int cordon__mount_own_pts(const char *devpts_options);
/* Parent: the options of a task's devpts instance: its own, at most a
 * quarter of the pool every instance but the machine's first draws on
 * (kernel.pty.max less kernel.pty.reserve) (own_pts.c); returns the
 * share taken (CORDON__SHARE_TERMINALS), 0 where the pool is unreadable. */
#define CORDON__DEVPTS_OPTIONS_SIZE 80
uint64_t cordon__devpts_options(char out[CORDON__DEVPTS_OPTIONS_SIZE]);
/* In the task's mount namespace and IPC namespace (own_mqueue.c), without
 * a minimal /dev: the task's own message queues over the caller's at
 * /dev/mqueue (or, where they cannot be mounted, an empty read-only
 * tmpfs). */
int cordon__mount_own_mqueue(void);
/* The caller's terminals that are no pseudo-terminal of /dev/pts (a
 * virtual console, a serial line, /dev/console), by their names in /dev
 * and their device numbers (found by lib/caller_terminals.c, in the
 * parent). */
#define CORDON__CALLER_TERMINALS 24
typedef struct cordon__caller_terminals {
    char names[CORDON__CALLER_TERMINALS][32];
    dev_t devices[CORDON__CALLER_TERMINALS];
    unsigned count;
} cordon__caller_terminals;
/* covered_devices.c: /dev/fuse and /dev/cuse of the caller's /dev (their
 * servers' waits outlast SIGKILL) and the caller's `terminals` (each while
 * its node is still that device) covered by the null device, in /dev
 * where `in_dev` (the caller's /dev is the task's) and beneath each of
 * `binds`, but where one of `binds` has the device's path as its target. */
int cordon__cover_devices(const cordon__caller_terminals *terminals, bool in_dev,
                          const cordon__bind *binds, size_t bind_count);
/* device_nodes.c, last of the init's mounts: every mount of the view
 * nodev but /dev (and what is mounted beneath it, the task's /dev/shm
 * aside) and the binds of `binds` whose source is a device or in /dev. */
int cordon__devices_only_in_dev(const cordon__bind *binds, size_t bind_count);
/* In a new UTS namespace (namespaces.c): the task's hostname. */
int cordon__set_hostname(const char *name);

/* A function task's child: unmaps every MAP_SHARED mapping it inherited
 * except those in `keep` (half-open ranges), as /proc/self/maps lists them. */
typedef struct cordon__address_range {
    uintptr_t start, end;
} cordon__address_range;
int cordon__unmap_shared_mappings(const cordon__address_range *keep, size_t keep_count);

/* Whether the process runs under valgrind (under_valgrind.c): asked once
 * in the parent before a child needs it, then only read. */
bool cordon__under_valgrind(void);

/* One mapping of the process's own (mapping_walk.c). */
typedef struct cordon__mapping {
    uintptr_t start, end;
    bool shared;                /* MAP_SHARED: the listing's 's' */
    bool file;                  /* backed by a file (a device or inode not 0) */
    bool special;               /* the kernel's own: [vdso], [vvar], [vsyscall], ... */
    bool heap;                  /* [heap] */
} cordon__mapping;
typedef void cordon__mapping_visit(const cordon__mapping *m, void *context);
/* Child side, async-signal-safe: calls `visit` for each mapping in address
 * order (only the shared ones with `only_shared`), as the listing opened
 * at `maps_fd` (/proc/self/maps, at its start) gives them.  0 or -errno;
 * a failure may come after some were visited. */
int cordon__walk_mappings(int maps_fd, bool only_shared, cordon__mapping_visit *visit,
                          void *context);
/* Whether `m` overlaps one of `keep` (half-open ranges). */
bool cordon__range_kept(const cordon__mapping *m, const cordon__address_range *keep, size_t count);

/* What a give-back keeps: a few ranges anywhere, and what the objects whose
 * code runs after it hold (lib/kept_objects.c; sorted and apart; NULL
 * where not known: then every file mapping is kept, and every anonymous
 * mapping directly after one is taken for a library's .bss). */
typedef struct cordon__give_back_keep {
    const cordon__address_range *ranges;
    size_t count;
    const cordon__address_range *objects;
    size_t object_count;
} cordon__give_back_keep;
/* What a give-back keeps around the code that goes on running: its stack
 * (the frames still to run below the stack pointer, and those above it)
 * and its thread's static TLS (below the thread pointer) and descriptor
 * (above it), in page-wide margins. */
#define CORDON__KEEP_STACK_BELOW (32 * 1024)
#define CORDON__KEEP_STACK_ABOVE (128 * 1024)
#define CORDON__KEEP_TLS_BELOW   (64 * 1024)
#define CORDON__KEEP_TLS_ABOVE   (8 * 1024)
static inline cordon__address_range cordon__range_around(uintptr_t at, uintptr_t below,
                                                         uintptr_t above)
{
    return (cordon__address_range){ at > below ? at - below : 0, at + above };
}

/* A command's first process, in memory copied from its caller
 * (memory_give_back.c): gives back (MADV_DONTNEED) every private mapping
 * listed at `maps_fd` but the kernel's own (file mappings only where the
 * kept objects are known), except the pages overlapping what `keep`
 * names.  The bytes given back, or -errno (what
 * was given back stays so). */
long cordon__give_back_private_memory(int maps_fd, const cordon__give_back_keep *keep);

#endif
