/*
 * Internal structures of the task engine.  Nothing here is public; the
 * runner and users see only lib/cordon.h.
 */
#ifndef CORDON_INTERNAL_H
#define CORDON_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <termios.h>

#include "cordon.h"
#include "../sandbox/cgroup.h"
#include "../sandbox/confine.h"
#include "../sandbox/no_cancellation.h"

#define CORDON_DEFAULT_OUTPUT_CAP (64u << 20)
#define CORDON_DEFAULT_RETURN_CAP (1u << 20)
#define CORDON_MAX_CAP            (1u << 30)

/* The fds a task is started with: 0-2 and its log pipe. */
#define CORDON_LOG_FD 3
/* A task started in namespaces: what its init and first process keep of
 * the child that made them, all closed before the task runs. */
#define CORDON__RULESET_FD    5   /* its Landlock ruleset */
#define CORDON__HOST_PROC_FD  6   /* the caller's /proc, where its pid is named */
#define CORDON__CALLER_PIDFD  7   /* the caller, whose death ends the init */
/* A command's first process, for the give-back of its memory before the
 * exec (lib/child.c): opened before its Landlock domain, closed before
 * the exec. */
#define CORDON__MAPS_FD       8   /* its /proc/self/maps */
#define CORDON__CLEAR_REFS_FD 9   /* its /proc/self/clear_refs */
/* The least open-files limit a task with a set-up hook can start under. */
#define CORDON__HOOK_OPEN_FILES_MIN 6

/* A growing buffer that keeps at most `cap` bytes and counts the rest. */
typedef struct cordon__buffer {
    char *data;
    size_t len, size, cap, dropped;
} cordon__buffer;

int  cordon__buffer_reserve(cordon__buffer *b, size_t want);
void cordon__buffer_append(cordon__buffer *b, const char *data, size_t len);
void cordon__buffer_reset(cordon__buffer *b, size_t cap);
void cordon__buffer_free(cordon__buffer *b);
void cordon__buffer_printf(cordon__buffer *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends text a task chose with its control bytes shown as \xNN. */
void cordon__buffer_append_escaped(cordon__buffer *b, const char *data, size_t len);

/* The public view: data NUL-terminated, never NULL. */
cordon_bytes cordon__buffer_view(const cordon__buffer *b);

/* calloc that reuses what the allocator's per-thread cache holds
 * (lib/zeroed_memory.c). */
void *cordon__zeroed(size_t count, size_t size);

/*
 * The region shared between the parent and a function task's child
 * (MAP_SHARED, anonymous).  The child may scribble over all of it, so the
 * parent validates every field before trusting it.
 */
#define CORDON_MAX_FRAMES   64
#define CORDON_CLASS_MAX    64
/* Ends a raised class cut to fit CORDON_CLASS_MAX (lib/context.c), which
 * the shared record's raise_class_cut says. */
#define CORDON__CLASS_CUT   "\xe2\x80\xa6" /* U+2026, an ellipsis */
#define CORDON_MESSAGE_MAX  2048
#define CORDON_HISTORY_MESSAGE_MAX 256

enum cordon__return_state { RETURN_NONE = 0, RETURN_WRITING = 1, RETURN_COMMITTED = 2 };
enum cordon__cgroup_move { CGROUP_MOVE_PENDING = 0, CGROUP_MOVE_DONE = 1, CGROUP_MOVE_FAILED = 2 };
enum cordon__init_mounts { INIT_MOUNTS_PENDING = 0, INIT_MOUNTS_DONE = 1, INIT_MOUNTS_FAILED = 2 };

/* Steps of the child's set-up, reported when one fails. */
enum cordon__step {
    STEP_NONE = 0,
    STEP_PROCESS_GROUP,
    STEP_PARENT_DEATH_SIGNAL,
    STEP_CGROUP,
    STEP_LANDLOCK,
    STEP_FILE_DESCRIPTORS,
    STEP_SIGNALS,
    STEP_WORKING_DIRECTORY,
    STEP_RESOURCE_LIMITS,
    STEP_USER,
    STEP_CAPABILITIES,
    STEP_NO_NEW_PRIVILEGES,
    STEP_SECCOMP,
    STEP_SHARED_MEMORY,
    STEP_NAMESPACES,
    STEP_EXEC,
    STEP_SETUP_HOOK,            /* the caller's set-up hook returned non-zero */
    STEP_KEYRING,
    STEP_SETUP_HOOK_FDS,        /* the hook closed or replaced one of fds 0-4 */
    STEP_COUNT_
};
const char *cordon__step_name(int step);

/* SYS_SECCOMP of the kernel's asm-generic/siginfo.h, which glibc lacks:
 * a SIGSYS a seccomp filter's trap sent. */
#define CORDON__SIGSYS_BY_SECCOMP 1

typedef struct cordon__crash_record {
    int32_t signal, code;
    int32_t syscall_nr;                 /* SIGSYS from a seccomp trap */
    uint64_t address;                   /* si_addr: a fault's address */
    int32_t sender_pid, sender_uid;     /* si_pid, si_uid: a sent signal's sender */
    uint32_t frame_count;
    uint64_t frames[CORDON_MAX_FRAMES];
} cordon__crash_record;

/* An object a function task's set-up hook loaded (a dlopen'd plugin): the
 * parent has no mapping of it, so its crash frames are named from this
 * record, the task's word (lib/hook_objects.c). */
#define CORDON_HOOK_OBJECTS 8
typedef struct cordon__loaded_object {
    uint64_t base, start, end;          /* load bias; its PT_LOAD segments' span */
    char path[256];                     /* absolute */
} cordon__loaded_object;

/*
 * What cordon's own code in the child reports to the parent: a failed
 * set-up step, the cgroup hand-shake, a command's exec count.  It has a
 * page of its own at the start of the region, and a function task's child
 * unmaps that page before the function runs: nothing the task does can
 * make the parent believe in a set-up failure that did not happen.
 */
typedef struct cordon__setup_record {
    int32_t setup_step, setup_errno;    /* a failed set-up step */
    uint32_t exit_refused;              /* its child could not exit: it faulted instead */
    uint32_t directory_refused;         /* the task's user may not enter the caller's working
                                           directory: it started in / */
    uint32_t exec_attempts;             /* a command's execve calls, made or about to be */
    uint64_t task_start_ns;             /* CLOCK_MONOTONIC as the task's own code began (its
                                           function called, its first execve); 0: never */
    uint64_t cpu_at_task_start_ns;      /* the first process's own CPU time just before its
                                           filter: of what cordon's start of it cost the
                                           tree, a part (a lower bound) */
    uint32_t cgroup_moved;              /* CGROUP_MOVE_*: the parent moved a forked child */
    int32_t cgroup_move_errno;
    uint32_t init_mounts;               /* INIT_MOUNTS_*: the init's mounts, where the task
                                           waits for them (cordon__mounts_after_start) */
    /* A function task's set-up hook (cordon_set_setup_hook): */
    uint32_t hook_state;                /* HOOK_*: written around the call */
    int32_t hook_return;                /* what a failed hook returned */
    char hook_message[512];             /* what it wrote to err->message */
    uint32_t hook_object_count;         /* objects the hook left loaded */
    cordon__loaded_object hook_objects[CORDON_HOOK_OBJECTS];
} cordon__setup_record;

/*
 * What the init of a task in namespaces (lib/task_init.c) reports to the
 * parent, on a page of its own after the setup record's: the task's exit
 * status, its usage, the CPU it spent.  A function task's first process
 * writes its pid there and unmaps the page before anything of the
 * caller's runs (a set-up hook included), so that no process of the task
 * (one a hook forks keeps what the hook had mapped) can write it.
 */
typedef struct cordon__init_report {
    int32_t init_pid;                   /* the init, as the caller sees it (the kernel writes it) */
    int32_t task_pid;                   /* the task's first process, as the caller sees it */
    int32_t task_status;                /* that process's wait status, from the init */
    uint32_t task_status_valid;
    uint64_t task_end_ns;               /* CLOCK_MONOTONIC when the init reaped it: at or
                                           after its end, set before task_status_valid */
    uint64_t reaped_cpu_ns;             /* user+system CPU of all the init reaped so far */
    uint64_t init_cpu_ns;               /* the init's own CPU once it started the task */
    uint32_t task_started;              /* init_cpu_ns is written: the task runs; before,
                                           every process is cordon's, starting it */
    struct rusage usage_at_task_end;    /* what the init had reaped as the first process
                                           ended, cordon's share left out: set before
                                           task_status_valid (a left ending's usage) */
    struct rusage tree_usage;           /* at its end, what the init reaped: the task's */
    uint32_t tree_usage_valid;          /* tree without the init's own use */
    uint64_t init_stack;                /* an address on the init's stack, which a command's
                                           first process keeps when it gives back memory */
    uint64_t give_back_cpu_ns;          /* the CPU that give-back cost (before its exec):
                                           cordon's, left out of the task's */
    uint32_t giving_back;               /* that process gives back now, its cost not yet
                                           written: without namespaces the parent's CPU
                                           limit holds its figure meanwhile */
    uint32_t starter_reaped;            /* the parent reaped the child that started the init,
                                           which counted in the task's pids cgroup till then,
                                           and attached the tree's CPU counter to the init */
    uint64_t init_cpu_uncounted_ns;     /* the init's own CPU before that: not in the counter */
    uint32_t namespaces_made;           /* the init made its mounts: the namespaces work */
    uint64_t view_table_digest;         /* of the task's view's copy of the caller's mount
                                           table, once its propagation was cut (the child
                                           that starts the init reads it): 0, not read */
    uint64_t cpu_limit_reached_ns;      /* the init's count of the tree's CPU when it ended
                                           the tree at the CPU limit; 0: it did not */
    uint64_t cpu_at_task_end_ns;        /* its count as the first process ended by itself,
                                           before the rest was killed, plus 1; 0: none */
} cordon__init_report;

/* lib/init_cpu_limit.c: the init's own count of the task's CPU, for its
 * hold on the CPU limit while the parent's loop is kept away.  Read from
 * the namespace's own /proc; the init's part (raw calls, its stack). */
typedef struct cordon__init_cpu_limit {
    uint64_t limit_ns;                  /* 0: none held by the init */
    uint64_t tick_ns;                   /* a clock tick of /proc/PID/stat */
    uint64_t give_back_ns;              /* the task's first process's CPU that was cordon's */
    pid_t first;                        /* that process, as the namespace sees it */
    uint64_t last_count_ns;             /* the count at the last look */
    uint64_t next_look_ns;              /* CLOCK_MONOTONIC: no look before */
    int cpu_stat_fd;                    /* the task's v2 cgroup's cpu.stat, or -1 */
    bool counted_once;                  /* the cgroup's bases below are read */
    uint64_t cgroup_base_ns, own_base_ns;
    int counter_fd;                     /* the init's own task-clock counter, or -1 */
    uint64_t counter_own_base_ns;       /* the init's own CPU when it was opened */
    uint64_t next_scan_ns;              /* beside the counter, when a scan is due next */
    uint64_t last_scan_cost_ns;         /* what this look's scan cost (0: none) */
    bool counter_short;                 /* a scan saw more than the counter: it lost a process */
} cordon__init_cpu_limit;
uint64_t cordon__init_tree_cpu_ns(cordon__init_cpu_limit *limit,
                                  const cordon__init_report *report);
/* The init's counter of its own tree, opened before the task's first
 * process starts (lib/init_cpu_limit.c); left at -1 where refused. */
void cordon__init_open_counter(cordon__init_cpu_limit *limit);
/* A process's CPU time in ns by its CPU clock (exact, its exited threads
 * included), 0 where it cannot be read; async-signal-safe. */
uint64_t cordon__process_clock_ns(pid_t pid);
/* The wait before the next look at a CPU count (the parent's, the init's):
 * `wait` held to at most `most`, at least `least`, and at least `cost_floor`
 * (the look's own cost times the share it may take); async-signal-safe. */
static inline uint64_t cordon__cpu_look_wait(uint64_t wait, uint64_t most, uint64_t least,
                                             uint64_t cost_floor)
{
    if (wait > most)
        wait = most;
    if (wait < least)
        wait = least;
    return wait < cost_floor ? cost_floor : wait;
}


enum cordon__hook_state { HOOK_NONE = 0, HOOK_RUNNING = 1, HOOK_DONE = 2, HOOK_FAILED = 3 };

/* What the task itself writes: every field is the task's word only. */
typedef struct cordon__shared {
    int32_t finished, function_return;  /* the function returned this */
    int32_t raised;                     /* cordon_raise was called */
    char raise_class[CORDON_CLASS_MAX];
    int32_t raise_class_cut;            /* the class was longer, and cut */
    int32_t raise_without_ctx;          /* cordon_raise was given a NULL ctx */
    int32_t raise_class_null;           /* ... or a NULL class */
    char raise_message[CORDON_MESSAGE_MAX];
    cordon__crash_record crash;
    uint32_t return_state;
    uint64_t return_len;
    unsigned char return_data[];        /* return_capacity bytes */
} cordon__shared;

/* Two mappings, not one: the setup record's page must not be a page of
 * an object the task keeps mapped, or remap_file_pages(2) would bring it
 * back into the task's reach after it was unmapped. */
typedef struct cordon__region {
    cordon__setup_record *setup;
    size_t setup_size;                  /* a whole number of pages, the init's report's included */
    cordon__init_report *init_report;   /* the last page of the setup mapping */
    cordon__shared *shared;
    size_t shared_size;
} cordon__region;

struct cordon_ctx {
    cordon__shared *shared;
    size_t return_capacity;
    int log_fd;
};

enum cordon__kind { KIND_FUNCTION, KIND_COMMAND };

/* CPU_MS, MEMORY, FILE_SIZE, OPEN_FILES and PROCESSES: the limits an
 * rlimit may hold (CORDON_LIMIT_* are their indices). */
#define CORDON__RLIMIT_BACKED 5

/* Everything the child needs, prepared before the fork so that the child
 * allocates nothing. */
typedef struct cordon__launch {
    int stdin_fd, stdout_fd, stderr_fd, log_fd; /* child ends */
    int relay_fd[3];                             /* [1], [2]: the caller's terminal or pipe, reopened */
    int listener_socket;                         /* child end, or -1 */
    pid_t parent_pid;
    const cordon_policy *policy;                 /* NULL: no filter */
    struct rlimit limits[RLIM_NLIMITS];
    bool limit_set[RLIM_NLIMITS];
    /* Set after the listener's hand-over, which is made at the caller's
     * hard limit (lib/spawn.c's share_open_files); then not in `limits`. */
    bool open_files_after_handover;
    struct rlimit open_files;
    /* The task's limits the caller's own lower rlimits held lower
     * (lib/limit_clamps.c): bits 1u << CORDON_LIMIT_*, and the value that
     * held each, in the limit's own unit. */
    unsigned clamped_limits;
    bool cpu_rlimit_callers;                     /* the caller's hard RLIMIT_CPU is below
                                                    cordon's backstop: it is what may fire */
    uint64_t held_limits[CORDON__RLIMIT_BACKED];
    /* The parent is free to answer an offer of the listener (not waiting
     * for a command's child in vfork): lib/child.c's offer_listener. */
    bool parent_takes_listener;
    bool guards_terminal;                        /* stdin is a terminal: its modes are refused
                                                    (sandbox/terminal_guard.c) */
    bool given_no_policy;                        /* no policy of the task's own: policy, if
                                                    any, is cordon's rules alone */
    unsigned guards_shared_objects;              /* CORDON__SHARED_OBJECTS_* parts
                                                    (sandbox/shared_objects_guard.c) */
    bool switch_user;
    uid_t uid;
    gid_t gid;
    cordon__capability_plan capabilities;
    cordon__cgroup cgroup;
    bool parent_moves_child;                     /* forked: the parent writes cgroup.procs */
    bool child_is_a_copy;                        /* forked, not sharing the caller's memory:
                                                    a command's may give its copy back */
    bool parent_counts_child;                    /* forked, no namespaces: the parent attaches the
                                                    tree's CPU counter (lib/tree_cpu_counter.c) */
    unsigned namespaces;                         /* CORDON__NAMESPACE_*: 0 starts the task directly */
    bool namespaces_presumed;                    /* not probed: this start shows whether they work */
    int dumpable;                                /* the caller's PR_GET_DUMPABLE, as 0 or 1 */
    bool traceable_by_its_user;                  /* the caller's is 1 (SUID_DUMP_USER) */
    bool caller_filtered;                        /* the caller runs under a seccomp filter of
                                                    its own, which the child inherits */
    bool init_may_count_cpu;                     /* the init may open a CPU counter on itself
                                                    (lib/init_cpu_limit.c): not under a caller's
                                                    filter, whose rules were never asked */
    bool runs_as_root;                           /* the task's uid is 0 */
    bool nproc_counts_init;                      /* the init is of the task's user: its
                                                    RLIMIT_NPROC has a process more for it */
    bool started_in_v2_cgroup;                   /* clone3 put it there: no write needed */
    int landlock_ruleset;                        /* -1: none */
    bool owns_ruleset;                           /* the task's file rules: closed after the run */
    bool closes_ruleset;                         /* the fence's copy: closed after the run */
    char *const *tmpfs_paths;                    /* mounted by the init, in the task's namespace */
    const cordon__file_identity *tmpfs_given;    /* what each named when it was given */
    char tmpfs_options[64];                      /* theirs and /dev/shm's (cordon__tmpfs_options) */
    char devpts_options[CORDON__DEVPTS_OPTIONS_SIZE]; /* its own /dev/pts's (cordon__devpts_options) */
    size_t tmpfs_count;
    /* What the init grants on the mounts it made, which no rule made
     * before them reaches (CORDON__ACCESS_*; with owns_ruleset only). */
    unsigned tmpfs_access[8], own_proc_access;
    unsigned own_pts_access;                     /* a rule's on /dev/pts, which its own hides */
    const cordon__bind *binds;                   /* bound by the init, before the tmpfs mounts */
    size_t bind_count;
    unsigned bind_access[8];                     /* granted on each bind's target, as tmpfs_access */
    bool minimal_dev;                            /* a /dev of its own (sandbox/minimal_dev.c) */
    cordon__caller_terminals caller_terminals;   /* covered in the caller's /dev by the init */
    const char *hostname;                        /* set in its UTS namespace, or NULL */
    cordon__path_rule *file_rules;               /* what the task's ruleset was made of (owned) */
    size_t file_rule_count;
    /* The read-only view of a task with file rules (lib/isolation.c):
     * the resolved paths the init clones writable (owned; none beneath
     * another), or none at all where a rule lets the task write the root. */
    char **writable_trees;
    size_t writable_tree_count;
    cordon__file_identity *writable_tree_ids;    /* each tree as the parent resolved it */
    cordon__path_list hidden_mounts;             /* the kernel's, the init covers (mount namespace) */
    uint64_t mount_table_digest;                 /* of the caller's mount table the lists above and
                                                    below were read from (0: none, they were read
                                                    from two); the view's copy must match it */
    cordon__path_list bind_covers;               /* what the binds bring along, covered
                                                    after them */
    int *writable_tree_fds;                      /* one per writable tree, for the init's clones
                                                    (it allocates nothing) */
    bool view_stays_writable;
    /* The task's fds 0-2 that are files of the caller's tree (or, with a
     * writable view, terminals), named by the parent (owned; NULL: none,
     * or not on a mount), with the file each was: the init opens them
     * again on the read-only view, or on a read-only mount of their own
     * (lib/stream_view.c). */
    char *stream_names[3];
    cordon__file_identity stream_ids[3];
    int landlock_abi;
    uint64_t cpu_limit_ns;                       /* a CPU limit: a function's own backstop, and
                                                    the init's (lib/init_cpu_limit.c) */
    uint64_t clock_tick_ns;                      /* with it: a tick of /proc's figures */
    uint64_t deadline_ns;                        /* CLOCK_MONOTONIC, 0: none; the init's and a
                                                    function's own backstop (lib/deadline.c) */
    bool counts_processes;                       /* a process limit: the init starts the task
                                                    only once the starter has left */
    uint64_t process_share;                      /* no process limit was asked: cordon's share
                                                    (sandbox/process_share.c) holds the tree;
                                                    0: a limit of the caller's, or none */
    bool lacks_namespaces;                       /* asked for what only namespaces give, and the
                                                    machine has none: the child fails closed */
    /* A spare network namespace made ahead (lib/spare_namespaces.c), and
     * the user namespace that owns it (a caller that is not root), which
     * the child joins instead of unsharing its own; -1: none, made inline. */
    int spare_user_fd, spare_net_fd;
    /* What the task's user namespace may make of the kernel objects
     * counted per user (sandbox/per_user_limits.c); -1: left as made. */
    long per_user_share[CORDON__PER_USER_LIMITS];
    /* The soft RLIMIT_NPROC its user namespace is made with: the user's
     * whole count (sandbox/process_share.c); 0: the caller's. */
    uint64_t user_processes_ceiling;
    /* What the task took of the process's shares (sandbox/share_ledger.c),
     * per kind: given back when the launch is released. */
    uint64_t share_given[CORDON__SHARE_KINDS];
    const char *cwd;
    /* command tasks */
    char **exec_paths;                           /* candidates for argv[0] */
    char **argv, **envp;
    char *environment_block;                     /* envp's strings, one allocation */
    const cordon__address_range *kept_objects;   /* lib/kept_objects.c's, sorted */
    size_t kept_objects_count;
    bool kept_objects_known;                     /* every loaded object's is listed */
    /* function tasks */
    cordon_fn fn;
    void *arg;
    cordon_setup_fn setup_fn;                    /* NULL: no set-up hook */
    void *setup_arg;
    cordon__region region;
    bool setup_record_reusable;                  /* the tree ended, no hook: kept, not unmapped */
    cordon__setup_record *setup;                 /* region.setup */
    cordon__init_report *init_report;            /* region.init_report */
    cordon__shared *shared;                      /* region.shared */
    size_t return_capacity;
    struct cordon__profile_region *profile;     /* NULL unless profiling */
    size_t profile_size;
} cordon__launch;

/* lib/stdin_terminal.c: a terminal given as stdin, as it was when the
 * attempt started (fd -1: none saved). */
typedef struct cordon__terminal_state {
    int fd;                     /* the caller's, open until the run ends */
    struct termios modes;
    int discipline;
    int exclusive;              /* TIOCGEXCL's */
    mode_t permissions;         /* the terminal file's (its inode's, the caller's too) */
    uid_t owner;
    gid_t group;
    bool kept;                  /* a keeper holds it for this attempt (one per terminal) */
    dev_t kept_device;
    dev_t device;               /* its st_rdev: attempts given it at once share one saved state */
    bool shared;                /* that state is in the process's table */
} cordon__terminal_state;
void cordon__terminal_save(int fd, cordon__terminal_state *state);
void cordon__terminal_restore(cordon__terminal_state *state);

/* lib/quiet_copy.c: a copy of the caller with no exit signal, every
 * signal blocked until `main` (which must not return) unblocks them:
 * its pid, and its pidfd in *pidfd; -1 with errno in the caller. */
pid_t cordon__quiet_copy(int *pidfd, void (*main)(void *), void *arg);

/* lib/signal_dispositions.c: every catchable signal's disposition set to
 * `handler` (SIG_DFL, SIG_IGN) and the signal mask emptied; 0 or -errno.
 * Async-signal-safe. */
int cordon__set_every_signal(void (*handler)(int));

/* lib/pipe_capacity.c: a pipe given to the task (its stdin, an inherited
 * output), whose capacity before the first attempt given it is put back
 * when the last one ends. */
typedef struct cordon__pipe_capacity {
    bool held;                  /* this attempt counts in the pipe's saving */
    dev_t dev;
    ino_t ino;
} cordon__pipe_capacity;
void cordon__pipe_capacity_save(int fd, cordon__pipe_capacity *saved);
void cordon__pipe_capacity_restore(cordon__pipe_capacity *saved);

/* The fds one message on the listener's socket is read with. */
#define CORDON__HANDOVER_MAX_FDS 8
/* The listener's hand-over (lib/child.c, lib/listener_handover.c): the
 * child's offer (this byte, the fd's number, then a word of its own), the
 * parent's answers (the byte, then the offer's word). */
#define CORDON__LISTENER_OFFER 'P'
#define CORDON__LISTENER_TAKEN 'T'
#define CORDON__LISTENER_SEND  'S'
#define CORDON__OFFER_SIZE (1 + sizeof(int) + sizeof(uint64_t))
#define CORDON__ANSWER_SIZE (1 + sizeof(uint64_t))

/* lib/deadline_watchdog.c: the deadline of a task without a pid
 * namespace, kept beside the collector, and beside a command's start
 * (cordon waits in vfork until its exec is done), by a thread of its own. */
typedef struct cordon__deadline_watch {
    cordon_task *task;
    uint64_t deadline_ns;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    bool started, stop;
    bool ended_running_task;    /* it ended the tree, the first process still running */
    bool spawning;              /* the child is being started: ended through... */
    const int *spawn_pidfd;     /* ...its pidfd, which the kernel writes here (-1: not yet) */
} cordon__deadline_watch;

/* A running attempt: the parent's ends and what it learns. */
typedef struct cordon__attempt_state {
    pid_t pid;                  /* the child cordon waits for: the task's init, or the task */
    pid_t group;                /* the task's session and process group */
    unsigned long long reaped_at_ticks; /* boot time in clock ticks as the first process was
                                           reaped: every process of the task started before
                                           (lib/adopted_orphans.c) */
    bool in_namespaces;         /* pid is an init; the task's status comes from it */
    bool command_gives_back;    /* without namespaces: a command's forked copy, whose
                                   give-back (init report) is cordon's; never a
                                   function's, whose set-up hook could write it */
    const cordon__setup_record *setup;
    const cordon__init_report *init_report;
    int pidfd;
    int stdout_fd, stderr_fd, log_fd, stdin_fd, listener_socket, listener_fd;
    bool pipe_enlarged[4];      /* per stream (1-3): grown for a flood */
    const char *stdin_data;
    size_t stdin_len, stdin_written;
    cordon_stdin_fn stdin_fn;   /* streamed stdin: refills stdin_chunk */
    void *stdin_user;
    char *stdin_chunk;          /* the task's, stdin_chunk_size bytes */
    size_t stdin_chunk_size;
    int stdin_error;            /* the callback's (or relay's) negative errno: StdinError */
    bool stdin_bad_return;      /* the callback returned no count and no errno: ... */
    ssize_t stdin_returned;     /* ... this */
    uint64_t stdin_fed;         /* bytes the callback (or relay) gave */
    int stdin_source;           /* relayed stdin: the caller's fd (a dup), or -1 */
    struct cordon__stdin_reader *stdin_reader; /* reads it for stdin_source, or NULL */
    cordon__terminal_state stdin_terminal; /* put back when the attempt ends */
    cordon__pipe_capacity pipe_capacity[3]; /* stdin's, stdout's, stderr's: likewise */
    /* Streams inherited from the caller's terminal, passed on by the
     * collector (lib/relay.c); [1] stdout, [2] stderr. */
    bool relayed[3];
    int relay_fd[3];            /* the launch's; -1 once the target is gone */
    bool relay_reader_gone[3];  /* the target said EPIPE: the task's pipe is closed too */
    bool relay_socket[3];       /* the target is a socket: written with send */
    bool relay_pipe[3];         /* the caller's own pipe: written with RWF_NOWAIT */
    struct cordon__relay *relay[3];
    uint64_t started_ns, ended_ns, deadline_ns, cpu_limit_ns;
    uint64_t cpu_used_ns;       /* the tree's CPU time at the last check */
    uint64_t cpu_at_kill_ns;    /* the tree's CPU time when the limit's kill was sent (0:
                                   none): the dying processes' exits add to it */
    uint64_t cpu_exceeded_seen_ns; /* when a check while it ran saw it at the limit (0: none) */
    uint64_t memory_limit_bytes; /* the task's (0: none) */
    uint64_t oom_kills_seen;    /* the memory cgroup's OOM kills at the last look */
    uint64_t oom_kill_seen_ns;  /* when a look first saw the last of them (0: none) */
    uint64_t pids_refusals_seen; /* the pids cgroup's refused forks at the last look */
    uint64_t pids_refusal_seen_ns; /* when a look first saw the last of them (0: none) */
    uint64_t processes_limit;   /* the task's (0: none) */
    uint64_t next_limit_look_ns; /* the next look at those two counts */
    bool cpu_crossed_in_oom_ending; /* the CPU limit was crossed while an OOM kill's
                                       victim could still be ending */
    uint64_t first_end_seen_ns;  /* without namespaces, when the loop saw the first process end */
    uint64_t cpu_at_first_end_ns; /* the tree's count then, before the kill, plus one (0: none) */
    uint64_t cpu_changed_ns;    /* when a check last saw it move */
    uint64_t cpu_moved_to_ns;   /* the figure it then moved to */
    uint64_t scanned_cpu_ns;    /* the largest figure a scan of /proc saw (no v2 cgroup) */
    uint64_t scanned_user_ticks, scanned_system_ticks; /* that scan's split, in ticks */
    uint64_t starter_cpu_ns;    /* the CPU of the child that started the init: cordon's */
    uint64_t init_own_cpu_ns;   /* the init's whole own CPU, known once it was reaped (its
                                   end's teardown of its copy of the caller included): cordon's */
    uint64_t next_cpu_check_ns;
    uint64_t next_scan_ns;      /* beside the counter, when a scan of /proc is due next */
    uint64_t last_scan_cpu_ns;  /* the caller's CPU the last read's scan took (0: none) */
    bool counter_short;         /* a scan saw more than the counter: it lost a process */
    pid_t left_the_counter;     /* a process of the tree a scan saw run a file its user may
                                   not read, which the kernel takes off the counter (0: none) */
    uid_t task_uid;             /* the task's user and group, as the caller's /proc shows */
    gid_t task_gid;
    uint64_t last_scan_processes; /* how many processes the last scan summed */
    int cpu_counter_fd;         /* the tree's exact CPU counter (lib/tree_cpu_counter.c), or -1 */
    struct cordon__counter_follower *counter_follower; /* which processes it follows, where no
                                   v2 cgroup counts the tree (lib/tree_cpu_followed.c), or NULL */
    bool counter_records_lost;  /* the follower's records were lost: the limit cannot be held */
    int timer_fd;               /* absolute CLOCK_MONOTONIC wake-ups, or -1 */
    bool timer_tried;           /* timer_fd was made, or could not be */
    char *flood_chunk;          /* READ_CHUNK bytes, made when a stream floods past its cap */
    bool timed_out, cpu_exceeded, violated, exited;
    bool listener_received;     /* violations reach the parent as notifications */
    bool listener_send_asked;   /* an offer the parent could not take: the fd is sent */
    bool listener_expected;     /* the filter has a listener to hand over (it notifies) */
    const uint32_t *hook_state; /* the setup record's, where a function's set-up hook runs
                                   first (it may read stdin); else NULL */
    const char *handover_forged; /* what arrived on the listener's socket that was not
                                    cordon's (lib/listener_handover.c), or NULL; then what
                                    it carried is held here, unanswered, until the end */
    int forged_fds[CORDON__HANDOVER_MAX_FDS + 1];
    int forged_fd_count;
    const volatile uint32_t *exec_attempts;      /* command tasks: the child's count */
    cordon__cgroup *cgroup;
    bool oom_killed, pids_limited;
    uint64_t process_share;     /* the launch's: cordon's share held the tree, no limit
                                   (no ProcessLimit is named from it) */
    bool sigxfsz_refused;       /* the task's filter refuses every way it would send
                                   itself SIGXFSZ: a SIGXFSZ death is its file size limit */
    bool sigsys_is_evidence;    /* a SIGSYS death is the filter's: it reports on a listener,
                                   or refuses every way the task would send itself SIGSYS */
    bool signal_sources_watched; /* timer_create and mq_notify reach the listener */
    bool signal_source_used;    /* and the task made one: its SIGXFSZ is no evidence */
    bool file_size_lowered;     /* the caller's own hard RLIMIT_FSIZE was below the task's
                                   limit and is what the task had: its SIGXFSZ is the caller's */
    uint64_t tree_peak_bytes;   /* the cgroup's count of the tree's memory, 0: none */
    char violation[512];
    int wait_status;
    struct rusage rusage;
    struct cordon__process_table *processes;     /* a profiled command's tree, or NULL */
    int cancel_fd;              /* readable: end the task now (cordon_task_free); -1: none */
    bool cancelled;
    uint64_t cancel_kill_ns;    /* CLOCK_MONOTONIC as the cancel's kill was sent */
    uint64_t tree_killed_ns;    /* CLOCK_MONOTONIC as cordon first ended the tree; 0: not */
    bool ending_left;           /* the killed tree had not ended ENDING_WAIT_NS after it:
                                   its reaping was left to lib/background_ending.c */
    bool deadline_is_total;     /* the deadline is the total one of all attempts */
    cordon__deadline_watch deadline_watch;  /* without namespaces, from the start */
    int spawn_pidfd;            /* a command's child's pidfd, written by its clone */
} cordon__attempt_state;

struct cordon_task {
    enum cordon__kind kind;
    cordon_fn fn;
    void *arg;
    char **argv;               /* command tasks: owned copy */
    char *description;         /* "ls -lG" / "function 0x…" for reports */
    const cordon_policy *policy;
    bool policy_set;
    uint64_t timeout_ms;
    uint64_t core_dump_bytes;   /* RLIMIT_CORE; 0: no cores (the default) */
    bool tree_accounting;       /* a memory cgroup even without a memory limit */
    bool tree_cpu_accounting;   /* a v2 cgroup whatever else holds the tree */
    uint64_t limits[CORDON_LIMIT_COUNT_];
    char *stdin_data;
    size_t stdin_len;
    int stdin_fd;
    dev_t stdin_device;          /* what stdin_fd named when given: checked at each run */
    ino_t stdin_inode;
    cordon_output_fn output_fn;
    void *output_user;
    bool output_closed[4];       /* cordon_close_output, by stream, for this run (atomic) */
    bool output_held[4];         /* cordon_hold_output, by stream, for this run (atomic) */
    unsigned output_mode[3];    /* [1] stdout, [2] stderr: CORDON_OUTPUT_* */
    cordon_setup_fn setup_fn;
    void *setup_arg;
    cordon_stdin_fn stdin_fn;
    void *stdin_user;
    char *stdin_chunk;          /* the callback's buffer, made when it is set */
    char *cwd;
    /* What the working directory was when set: a run whose path leads
     * elsewhere since (a batch job moved it) fails rather than follow. */
    bool cwd_pinned;
    dev_t cwd_device;
    ino_t cwd_inode;
    char **env_overrides;
    size_t env_count;
    bool clear_env;
    bool preset_environment;     /* a preset's: only the caller's PATH, locale and TERM */
    bool switch_user;
    uid_t uid;
    gid_t gid;
    uint64_t backoff_initial_ms, backoff_max_ms;
    double backoff_factor;
    struct cordon__isolation *isolation;  /* file rules, network, mounts; NULL: none asked */
    struct cordon__confinement_store *confinement_store; /* result.confinement_details */
    bool confinement_not_reached; /* the child failed its set-up: nothing held a task */
    bool code_began;            /* the task's own code began in the last attempt: not ended
                                   in its start, set-up or exec (classify) */
    bool pool_start_failed;     /* its pool could not start it: it ended (atomic) */
    struct cordon__learning *learning;    /* cordon_learn's run: every call recorded */

    /* the last run */
    cordon_result result;
    cordon__buffer std_out, std_err, log_out, exc_out, returns;
    char exception_class[CORDON_CLASS_MAX];
    bool start_refused;         /* cordon__refuse_start ended the attempt before its fork */
    cordon_attempt *history;
    char (*history_classes)[CORDON_CLASS_MAX];
    char (*history_messages)[CORDON_HISTORY_MESSAGE_MAX];  /* each attempt's result.message */
    size_t history_count, history_size;
    /* The first attempt's record, in the task: most tasks make one, and
     * three allocations per task are pages of the caller's heap written
     * after each fork (lib/task.c). */
    cordon_attempt history_first;
    char history_first_class[CORDON_CLASS_MAX];
    char history_first_message[CORDON_HISTORY_MESSAGE_MAX];

    /* async */
    pthread_t collector;
    bool async_running;
    bool async_joined;          /* async_status holds the last join's answer */
    bool async_joining;         /* a thread is in the join (under done_lock): another
                                   one gets -EBUSY, not a second pthread_join */
    unsigned async_waiters;     /* in cordon_join_timeout or _wait_any (under done_lock) */
    int async_status;
    /* A blocking run's (cordon_run, cordon_run_and_retry) going on in some
     * thread, which cordon_cancel may end as it ends an async run. */
    bool blocking_running;
    pthread_t blocking_thread;  /* the thread of that run, whose callbacks it calls */
    bool cancel_requested;      /* cordon_cancel was called during the run */
    const char *cancelled_by;   /* the call that did: "cordon_cancel", "cordon_pool_free" */
    int cancel_pipe[2];         /* a run's: a byte written ends the task */
    /* The attempt going on, which cordon_cancel ends itself as well (under
     * done_lock): the collecting thread may be held in the kernel, where no
     * signal reaches it (a read of a pipe whose lock a task's splice
     * holds).  Its child's pidfd (-1: none), and how its tree is ended. */
    int end_pidfd;
    pid_t end_group;            /* without namespaces: its process group */
    bool end_through_init;      /* in namespaces: the init ends it (SIGUSR1) */
    struct cordon__cgroup *end_cgroup; /* without: its cgroup, which a process that left
                                          the group is still in (NULL: none) */
    uint64_t cancel_killed_ns;  /* when cordon_cancel ended it so (0: it did not) */

    /* async completion (lib/wait.c): set by the collector once the result
     * is complete, under done_lock; done_fd (an eventfd) turns readable */
    pthread_mutex_t done_lock;
    pthread_cond_t done_cond;   /* on CLOCK_MONOTONIC */
    bool async_done;
    int done_fd;
    cordon_done_fn done_fn;
    void *done_user;
    struct cordon_pool *pool;   /* the pool it was submitted to, until it comes out */

    /* retry extras (lib/retry.c, lib/backoff.c) */
    cordon_retry_fn retry_fn;
    void *retry_user;
    double backoff_jitter;      /* 0: none; 1: anywhere from 0 to the delay */
    uint64_t jitter_state;      /* 0: not seeded yet */
    uint64_t total_timeout_ms;  /* all attempts together; 0: none */
    uint64_t total_deadline_ns; /* of the run going on; 0: none */
    char message[CORDON_MESSAGE_MAX];  /* result.message */

    /* cordon_run_profiler: set only for the run it profiles */
    unsigned profile_hz;                                  /* 0: the default */
    struct cordon__profile_region *profile_region;        /* function tasks */
    cordon__loaded_object *profile_objects;               /* with it: CORDON_HOOK_OBJECTS
                                                             slots for the objects the set-up
                                                             hook loaded, the task's word */
    uint32_t profile_object_count;
    struct cordon__process_table *profile_processes;      /* command tasks */
};

/* 0, or -EINVAL for no task, -EBUSY while it runs (lib/task.c). */
int cordon__task_settable(const cordon_task *t);
/* lib/listener_handover.c: reads the listener's socket.  What arrived
 * that is not cordon's message alone is refused: handover_forged says
 * what, end_task kills the task, and nothing is read or answered more. */
void cordon__listener_receive(cordon__attempt_state *s,
                              void (*end_task)(cordon__attempt_state *));
/* Closes the socket, the listener and whatever a refusal held. */
void cordon__listener_release(cordon__attempt_state *s);

/* lib/relay.c: an inherited stream on the caller's terminal, passed on
 * without blocking.  Parent side; `counted` is the stream's result
 * buffer, whose `dropped` counts what the terminal never took. */
/* lib/inherited_output.c: for CORDON_OUTPUT_INHERIT of the caller's fd
 * `stream`, an fd of cordon's own: one the task may hold, or (*relay) one
 * the collector writes to (a terminal's, or for a task with file rules
 * an anonymous pipe's, or a FIFO's beneath the task's binds or tmpfs
 * (`guard`), own non-blocking description; *is_socket: with send; *is_pipe: the caller's
 * pipe, which could not be opened again, with RWF_NOWAIT).  Negative
 * errno: refused (-EBADF not open for writing, -ENOTTY a terminal's master
 * or one that cannot be opened again, or the error of opening again a
 * pipe or device that cannot be relayed without blocking). */
int  cordon__inherit_target(int stream, unsigned guard, bool *relay, bool *is_socket,
                            bool *is_pipe);
bool cordon__relay_read(cordon__attempt_state *s, int *fd, int stream, cordon__buffer *counted);
void cordon__relay_flush(cordon__attempt_state *s, int stream, cordon__buffer *counted);
bool cordon__relay_wants_input(const cordon__attempt_state *s, int stream);
bool cordon__relay_pending(const cordon__attempt_state *s, int stream);
void cordon__relay_finish(cordon__attempt_state *s, int stream, cordon__buffer *counted);
/* lib/anonymous_pipe.c: whether `fd` is a pipe of no file system (one a
 * task could open the other way round through /proc/self/fd), which a
 * task with file rules (`governed`) is never handed. */
bool   cordon__is_anonymous_pipe(int fd);
/* lib/stdin_fd.c: a stdin fd the caller hands over, given to the task as
 * a description of its own.  _check: 0, or -EBADF (-errno) when `fd` is
 * not open for reading, -EISDIR for a directory.  _open: 0 with either
 * *copy, a new read-only description of it (the child's stdin), or
 * *relay_source, a dup of it (or, with *reader set, the pipe its reader
 * thread fills from it) that the collector relays through a pipe
 * (cordon__stdin_relay_read, when poll says it is readable, into a
 * stdin_chunk of cordon__stdin_chunk_size()), set; or a negative errno. */
int    cordon__stdin_fd_check(int fd);
int    cordon__stdin_fd_open(int fd, unsigned guard, int *copy, int *relay_source,
                             struct cordon__stdin_reader **reader);
/* Ends a relayed stdin: stops its reader (if any) and closes its source. */
void   cordon__stdin_source_close(cordon__attempt_state *s);
/* lib/stdin_reader.c: a thread of cordon's own reads the caller's blocking
 * description into a pipe; *relay_source is the pipe's non-blocking read
 * end.  _open: 0 or a negative errno; _start (the collection begins): 0 or
 * a negative errno; _error: the failed read's negative errno once
 * *relay_source read EOF, else 0; _stop: cancels, joins, closes, frees. */
struct cordon__stdin_reader;
int    cordon__stdin_reader_open(int caller_fd, int *relay_source,
                                 struct cordon__stdin_reader **reader);
int    cordon__stdin_reader_start(struct cordon__stdin_reader *r);
int    cordon__stdin_reader_error(struct cordon__stdin_reader *r);
void   cordon__stdin_reader_stop(struct cordon__stdin_reader *r);
/* Reads the next chunk of a relayed stdin into stdin_chunk.  At the end
 * of the input, closes the source and the task's pipe (it reads EOF).
 * 0, or the read's negative errno (the source is closed; StdinError). */
int    cordon__stdin_relay_read(cordon__attempt_state *s);
/* The size of a task's stdin_chunk (lib/task_streams.c). */
size_t cordon__stdin_chunk_size(void);
/* The caller's fds a run hands over (its stdin fd, fds 1 and 2 for
 * CORDON_OUTPUT_INHERIT) still open, checked before the run takes an fd
 * of its own: a closed one's number would be cordon's next pipe, which
 * the task would then read or write.  0 or a negative errno. */
int    cordon__caller_fds_check(const cordon_task *t);
/* lib/standard_fds.c: /dev/null on each of the caller's fds 0-2 that is
 * closed, before a run takes an fd of its own; and whether `fd`, where it
 * is one of 0-2, is the caller's to hand on (open, not close-on-exec, as
 * no fd of cordon's is): 0 or -EBADF.  0 for any other fd. */
void   cordon__standard_fds_hold(void);
int    cordon__standard_fd_check(int fd);
/* One attempt from fork to result; fills t->result.  Returns what cordon_run
 * returns. */
int cordon__run_once(cordon_task *t);
/* Around a blocking run: its cancel pipe made (-errno where it cannot
 * be), and closed. */
int cordon__blocking_begin(cordon_task *t);
/* A run of the task is going on: cordon_run or cordon_run_and_retry
 * until it returns (its callbacks included), cordon_run_async or a pool
 * until the join.  Its options and the run calls are then -EBUSY. */
bool cordon__task_running(const cordon_task *t);
void cordon__blocking_end(cordon_task *t);
/* Sleeps `ms`, or less where the run is cancelled meanwhile: whether it
 * was (under done_lock). */
bool cordon__cancelled_while_sleeping(cordon_task *t, uint64_t ms);
/* Kills the task's async run, if one is going on, and joins it. */
void cordon__cancel(cordon_task *t);
/* cordon_cancel on behalf of the public call `who` (cordon_pool_free),
 * which the task's Cancelled message names. */
int cordon__cancel_as(cordon_task *t, const char *who);
/* cordon_run_async and cordon_join without the check that the task is
 * not in a pool: the pool's own start and join. */
int cordon__run_async(cordon_task *t);
/* Whether the calling thread is t's collector (in t's callbacks). */
bool cordon__collecting(const cordon_task *t);
/* Whether the calling thread is in a callback of t's own run, blocking
 * or async: what t's run still uses must not be freed from there. */
bool cordon__in_own_callback(cordon_task *t);
/* Whether the calling thread is the collector of a task of `pool`. */
bool cordon__collecting_for(const cordon_pool *pool);
int cordon__join(cordon_task *t);
/* A line on stderr for a misuse with no error to return (lib/misuse_line.c). */
void cordon__say_misuse(const char *line);
/* Another thread is in the task's join, or waits to join it, now. */
bool cordon__joined_elsewhere(cordon_task *t);
/* The attempt cordon_cancel may end by itself (`s`), or none (NULL). */
void cordon__cancel_target(cordon_task *t, const struct cordon__attempt_state *s);
/* When cordon_cancel ended the attempt by itself; 0 when it did not. */
uint64_t cordon__cancel_killed_ns(cordon_task *t);
/* The tree ended from another thread than the collector's, as
 * cordon_cancel ends it, at a deadline the collector did not keep (it is
 * held in the kernel by the task): true when the task's first process
 * was still running then. */
bool cordon__end_at_deadline(cordon_task *t);

/* lib/deadline_watchdog.c (struct above the attempt's state).  With
 * `spawn_pidfd`, the start is watched too, until _started. */
void cordon__deadline_watch_start(cordon__deadline_watch *w, cordon_task *t,
                                  uint64_t deadline_ns, const int *spawn_pidfd);
void cordon__deadline_watch_started(cordon__deadline_watch *w);
/* Stops and joins it: true when it had ended the task at its deadline. */
bool cordon__deadline_watch_stop(cordon__deadline_watch *w);
/* Another thread's cordon_run (or _run_and_retry) runs the task now. */
bool cordon__run_elsewhere(cordon_task *t);
/* One more (+1) or one fewer (-1) thread waiting to join the task (or in
 * cordon_wait_any on it). */
void cordon__join_waiters(cordon_task *t, int change);
/* At the start of a run: the total deadline of all its attempts. */
void cordon__total_deadline_start(cordon_task *t);
/* lib/wait.c: the per-task completion state, made with the task and
 * destroyed with it (0 or -errno). */
int  cordon__done_init(cordon_task *t);
void cordon__done_destroy(cordon_task *t);
/* At cordon_run_async: a fresh eventfd, nothing done yet (0 or -errno). */
int  cordon__done_arm(cordon_task *t);
/* At the join: the eventfd closed. */
void cordon__done_disarm(cordon_task *t);
/* Collector thread, once the result is complete: the callback, then the
 * task marked done (waiters woken, the fd readable), then its pool told. */
void cordon__async_finished(cordon_task *t);
/* lib/pool.c: a pool's task has ended (collector thread). */
void cordon__pool_task_ended(struct cordon_pool *pool, cordon_task *t);
/* A task freed while in its pool: cancelled, joined, and taken out. */
void cordon__pool_forget(cordon_task *t);
/* lib/backoff.c: the delay before retry n (n >= 1), jitter included. */
uint64_t cordon__backoff_ms(cordon_task *t, unsigned retry);
/* lib/task.c: the result's pointers (views, class, message) made current. */
void cordon__result_refresh(cordon_task *t);
/* lib/result_message.c: result.message from exc_out's first line, unless
 * a raise gave it already (its whole text, every control byte escaped);
 * then the result made current. */
void cordon__result_message_fill(cordon_task *t);
void cordon__result_message_raised(cordon_task *t, const char *text, size_t len);
/* Allocates the parent's side and the child's plan, starts the child. */
int cordon__spawn(cordon_task *t, cordon__launch *launch, cordon__attempt_state *state);

/* lib/deadline.c: the attempt's deadline from its start (s->started_ns),
 * into s->deadline_ns and s->deadline_is_total; 0 for none. */
void cordon__attempt_deadline(const cordon_task *t, cordon__attempt_state *s);
uint64_t cordon__ms_to_ns(uint64_t ms);              /* saturating */
/* lib/limit_clamps.c: which limits the caller's own rlimits held lower,
 * found once the task's rlimits are planned; a line in exc_out for an
 * ending the caller's CPU time limit caused. */
void cordon__limit_clamps_find(const cordon_task *t, cordon__launch *l);
void cordon__limit_clamps_explain(cordon_task *t, const cordon__launch *l, uint64_t used_ns,
                                  int signo);
uint64_t cordon__saturating_add(uint64_t a, uint64_t b);
void cordon__launch_release(cordon__launch *launch);
/* lib/setup_record_pool.c: a kept setup record mapping of `size` bytes,
 * zeroed, or NULL (then one is made); give_back keeps one whose task's
 * tree ended and ran no code of the task's while it was mapped. */
void *cordon__setup_record_take(size_t size);
void cordon__setup_record_give_back(void *record, size_t size);
/* Spare network namespaces (lib/spare_namespaces.c): for a task without a
 * network, a spare's fds in launch->spare_user_fd and spare_net_fd if one
 * is waiting (else both -1: the child makes it inline); closed by
 * cordon__spare_close once the child has joined it. */
void cordon__spare_take(cordon__launch *launch);
void cordon__spare_close(cordon__launch *launch);
/* The caller is out of fds (a task's start failed with EMFILE or ENFILE):
 * a running keeper is ended and no spare is made again in this process.
 * True if one was, whose fds the start may try again without. */
bool cordon__spares_give_up(void);
/* The keeper (lib/spare_keeper.c), a copy of the caller that makes them. */
#define CORDON__SPARES_AHEAD 2
#define CORDON__KEEPER_CANNOT_MAKE 3 /* its exit status: its maker failed */
typedef struct cordon__keeper_plan {
    int socket;       /* the keeper's end; the spares go out on it */
    pid_t caller, keeper;
    bool started_by_main_thread; /* its death is the caller's: PR_SET_PDEATHSIG */
    bool user;        /* a user namespace owns each spare */
    uid_t uid;        /* mapped to themselves there */
    gid_t gid;
    uint64_t processes_ceiling; /* each spare user namespace's (cordon__user_processes_ceiling) */
    const cordon__address_range *kept_objects; /* the caller's objects', sorted; NULL: */
    size_t kept_objects_count;                 /* not known (kept whole) */
} cordon__keeper_plan;
_Noreturn void cordon__keeper_main(cordon__keeper_plan *plan);
/* The parent's loop: pipes, deadline, notifications and the child's exit. */
int cordon__collect(cordon_task *t, cordon__attempt_state *state);
/* Before the fork: the options asked for confinement that cannot be
 * given together (the task is not run), and `why` says what and where;
 * t->result becomes that ConfinementError. */
void cordon__refuse_start(cordon_task *t, const char *why);
/* When the task's first process ended, as cordon's init timed it as it
 * reaped it (at or after the end itself): 0 where no init timed it (no
 * pid namespace, or not yet). */
uint64_t cordon__first_process_end_ns(const cordon__attempt_state *s);
/* The deadline's evidence is its kill ending the task, not the caller
 * finding the deadline passed: a caller held up (a slow output callback,
 * a loaded machine, a stop) can find it so after the first process ended
 * by itself or at a limit.  Whether the init timed that end before the
 * deadline; without an init's time, false, and a task whose end the
 * caller saw late stays a Timeout. */
bool cordon__ended_before_deadline(const cordon__attempt_state *s);
/* Turns the ending into t->result. */
void cordon__classify(cordon_task *t, const cordon__attempt_state *state,
                      const cordon__launch *launch);
/* Child side (async-signal-safe): set-up, then the function or the exec. */
_Noreturn void cordon__child_main(const cordon__launch *launch);
/* What a function task's child does before its _exit, whether the function
 * returned or raised: writes out what stdout and stderr hold, and removes
 * the idle cgroups of tasks it ran itself. */
void cordon__function_child_wind_down(void);
/* The shared record of the function task this process runs (or of the one
 * whose child forked it), for a cordon_raise given a NULL ctx. */
void cordon__context_enter(cordon__shared *shared);
/* Set around a function task's set-up hook, which has no ctx: there
 * cordon_raise(NULL, ...) fails the hook, with its words. */
void cordon__context_in_hook(cordon__setup_record *setup);
int cordon__child_clone_entry(void *launch);

/* lib/isolation.c: what a task was given of the files, the network and
 * the mounts.  Parent side, before the fork: the task's own Landlock
 * ruleset, its tmpfs mounts and its network namespace into the launch
 * (0 or -errno: nothing runs with less than asked). */
int  cordon__isolation_prepare(const cordon_task *t, cordon__launch *launch);
void cordon__isolation_release(cordon__launch *launch);
/* -EXDEV, with `err` naming it, when the task's working directory, a file
 * rule's path, a bind's source or target or a tmpfs is or lies beneath
 * one of `hidden`, the mounts its view covers, or a bind's source lies on
 * a mount of the kernel's file systems or of the caller's terminals or
 * shared memory; else 0, with the places beneath the binds' targets the
 * view must cover too in `bind_covers` (unless NULL; free it with
 * cordon__path_list_free) and in `bind_table_digest` (unless NULL) the
 * digest of the mount table they were read from (0: no bind, none read). */
int cordon__isolation_uncovered(const cordon_task *t, const cordon__path_list *hidden,
                                cordon__path_list *bind_covers, uint64_t *bind_table_digest,
                                cordon_error *err);
/* Whether the task has file rules (a Landlock ruleset of its own): what
 * it may write is then only what they grant. */
bool cordon__isolation_governs_files(const struct cordon__isolation *isolation);
/* How the task's stream `fd` (the caller's; -1: none to look at) is
 * guarded (lib/stdin_fd.c, lib/inherited_output.c): 0 for a task that
 * writes what its user may; with file rules (its view read-only, its
 * streams opened again there, an anonymous pipe relayed); or, without
 * them, a file that lies beneath a bind's target or a tmpfs of the
 * task's (what it may not write by its path, or see), which is relayed:
 * held as the parent opened it, on the caller's writable mount, a task
 * wrote it and changed its mode through /proc/self/fd/0. */
#define CORDON__GUARD_FILE_RULES 1u
#define CORDON__GUARD_VIEW       2u
unsigned cordon__isolation_stream_guard(const struct cordon__isolation *isolation, int fd);
void cordon__isolation_free(struct cordon__isolation *isolation);
/* The task's tmpfs mount point beneath which `path`, as the caller sees
 * it, lies (the task sees an empty directory there instead), or NULL. */
const char *cordon__isolation_hiding_tmpfs(const struct cordon__isolation *iso,
                                           const char *path);
/* lib/exec_error.c: hints for an ExecError (and a working directory the
 * task could not enter).  True when the EACCES of a PATH search came only
 * from directories the task may not search: the caller finds the name in
 * none of them. */
bool cordon__exec_nowhere_in_path(const cordon_task *t, const cordon__launch *launch, int error);
/* Adds "(WHAT lies beneath MOUNT, where the task has an empty tmpfs …)"
 * to exc_out when `path` (relative: to the task's working directory), as
 * the caller sees it, lies beneath one of the task's tmpfs mounts. */
void cordon__explain_hidden(cordon_task *t, const char *path, const char *what);
/* After an ExecError of EACCES under file rules: names the EXEC grant the
 * program lacks, if it lacks one; of ENOENT: names the interpreter or
 * loader that is missing, if that was it (lib/exec_error.c). */
void cordon__explain_unexecutable(cordon_task *t, const cordon__launch *launch, int error);
/* `path` opened for reading (O_CLOEXEC, O_NONBLOCK) if it is a regular
 * file, else -1: looked at through an O_PATH fd first, so that a FIFO or
 * a device a task left at a path the caller reads is never opened
 * (lib/regular_file_open.c). */
int cordon__open_regular_file(const char *path);
/* The CORDON_CONFINED_* bits of these mechanisms that held the attempt. */
unsigned cordon__isolation_confinement(const cordon__attempt_state *state,
                                       const cordon__launch *launch);
/* After an attempt: its CORDON_CONFINED_* bits into t->result.confinement
 * and the details into t->result.confinement_details
 * (lib/confinement_record.c). */
void cordon__confinement_record(cordon_task *t, const cordon__attempt_state *state,
                                const cordon__launch *launch);
void cordon__confinement_store_free(struct cordon__confinement_store *store);

/* lib/task_init.c: the init process at the top of a task's pid namespace,
 * started by the child with clone(CLONE_PARENT) so that the caller waits
 * for it.  It starts the task's first process, reaps every process of the
 * namespace, and reports the first one's status in the setup record. */
int cordon__task_init_main(void *launch);
/* In a task's first process started by the init after the view's mounts
 * (not beside them): -errno where the caller's working directory had no
 * path the view could enter again by (ENOENT: deleted; ENAMETOOLONG),
 * else 0. */
int cordon__view_lost_the_working_directory(void);
/* Enters `path` (absolute; cut in place) or, where the task's view does
 * not hold it (beneath a tmpfs or a bind of the task's: ENOENT), the
 * nearest directory above it that the view holds: a tmpfs's top, not "/",
 * where a root task's relative writes had landed on the machine's root.
 * "/" when it may not enter it (lib/task_init.c), said in *refused. */
int cordon__enter_the_nearest_held(char *path, bool *refused);
/* Parent side (stream_view.c), for a task whose view will be made
 * read-only: the names of its streams that are files of the caller's
 * tree, as the caller's root sees them (with `terminals_only`, of those
 * that are terminals: a task with a mount namespace and a writable view).
 * 0 or -errno. */
int cordon__streams_name(cordon__launch *l, bool terminals_only);
void cordon__streams_forget(cordon__launch *l);
/* In the init, the task's view just made read-only: each of those streams
 * that its name opens as the same file on the view is put there; one it
 * does not keeps the parent's description (stream_view.c says when). */
void cordon__streams_on_view(const cordon__launch *l);
/* In the init, the view writable: each named terminal opened again on a
 * read-only mount of its own node (stream_view.c). */
void cordon__terminals_on_read_only_mounts(const cordon__launch *l);
/* Whether the init makes its mounts (its /proc, the kernel settings
 * read-only) after starting the task's first process, which does its own
 * set-up meanwhile and waits for them before anything of the task runs.
 * Only where nothing of that set-up reaches into what is mounted: a
 * function task (a command's start holds the init until the exec) with no
 * mount of its own, no file rule to grant on one, and no working
 * directory to change to, which could lie beneath one. */
static inline bool cordon__mounts_after_start(const cordon__launch *l)
{
    /* nor a terminal to open again on a read-only mount (stream_view.c),
     * which the first process, started already, would not get */
    return l->fn && !l->owns_ruleset && !l->cwd && l->bind_count == 0 && l->tmpfs_count == 0 &&
           !l->minimal_dev && !l->stream_names[0] && !l->stream_names[1] && !l->stream_names[2];
}
/* Whether the setup record's task_start_ns tells when the task began.  A
 * set-up hook is the task's own code and runs before the note, and a
 * process it forks keeps the record mapped (and could write there any
 * time): a hooked task counts as begun from its start, in the parent's
 * classification and in the init's reaping alike. */
static inline bool cordon__start_note_is_evidence(const cordon__launch *l)
{
    return l->setup_fn == NULL;
}
/* The first process of a task in namespaces: the rest of its set-up, then
 * the function or the exec (lib/child.c). */
_Noreturn void cordon__task_main(const cordon__launch *launch);

/* What a command's first process reads from its filter to its exec
 * (lib/exec_plan.c). */
struct sock_fprog;
typedef struct cordon__exec_plan {
    cordon__setup_record *setup;
    const struct sock_fprog *program;   /* NULL: no filter */
    bool notifies;                      /* the program has notify rules */
    bool hands_over_listener;           /* the launch has a listener socket */
    bool parent_takes_listener;         /* the launch's */
    bool guards_terminal;               /* the launch's */
    unsigned guards_shared_objects;     /* the launch's */
    bool guards_device_events;          /* a network namespace of its own: the kernel's
                                           device events refused
                                           (sandbox/device_events_guard.c) */
    bool given_no_policy;               /* the launch's */
    bool open_files_after_handover;     /* the launch's, with its limit: */
    struct rlimit open_files;
    char **exec_paths, **argv, **envp;
    const cordon__address_range *kept_objects; /* sorted; NULL: not known */
    size_t kept_objects_count;
} cordon__exec_plan;
/* Parent, before the fork (lib/kept_objects.c): what a command's give-back
 * keeps of the objects whose code may run after it: libc's, the loader's
 * and those between the program and libc whole, the program's and
 * cordon's file-backed part, in whole pages, sorted and apart: *count
 * ranges of a list made once per process; *complete is false where they
 * did not fit. */
const cordon__address_range *cordon__kept_object_ranges(size_t *count, bool *complete);
/* The plan as the launch holds it: pointers into the launch data. */
void cordon__exec_plan_view(const cordon__launch *l, cordon__exec_plan *plan);
/* Child side: a deep copy of `view` in a fresh private mapping, whose
 * range is stored in *where; NULL where it cannot be mapped. */
cordon__exec_plan *cordon__exec_plan_copy(const cordon__exec_plan *view,
                                          cordon__address_range *where);
int cordon__task_clone_entry(void *launch);
/* Child side: records a failed set-up step and ends the process. */
/* The exit status of a child whose set-up failed: with the record's step,
 * the evidence of a set-up failure. */
#define CORDON__CHILD_SETUP_FAILED 127
_Noreturn void cordon__child_fail(cordon__setup_record *setup, int step, int error);
/* cordon__spawn: the namespaces presumed for this process could not be
 * made; nothing of the start is left, and the next start probes. */
#define CORDON__NAMESPACES_NOT_AS_PRESUMED (-4096)
/* The caller's mount table changed between the read of what the init
 * covers and the copy the task's view was made from: nothing of the task
 * ran, and the start is made again (lib/spawn.c: follow_init). */
#define CORDON__MOUNTS_CHANGED_DURING_START (-4097)

/* spawn_clone3.c: a vfork-style child of `fn`, started inside the cgroup
 * `cgroup_fd`; the pid, or -errno (-ENOSYS where it cannot be done). */
pid_t cordon__clone3_vfork_into_cgroup(int (*fn)(void *), void *arg, char *stack,
                                       size_t stack_size, int cgroup_fd, int *pidfd);
/* lib/hook_objects.c, child side around the set-up hook: how many objects
 * are loaded, and a record of those past the first `before`. */
int  cordon__loaded_object_count(void);
void cordon__record_loaded_objects(cordon__setup_record *setup, int before);
/* Child side: crash handlers on their own stack that fill shared->crash. */
void cordon__crash_handlers_install(cordon__shared *shared);
/* Parent side: the readable report of a crash record; the backtrace ends
 * at `task_fn`, the task's function (0: a command).  `recorded`: the
 * task's handler wrote the record (else only its signal is known). */
void cordon__crash_report(cordon__buffer *out, const cordon__crash_record *crash, bool recorded,
                          bool function_task, uintptr_t task_fn);
/* The same, with the objects a set-up hook loaded named too. */
void cordon__crash_report_loaded(cordon__buffer *out, const cordon__crash_record *crash,
                                 uintptr_t task_fn, const cordon__setup_record *setup);
const char *cordon__signal_code_name(int signo, int code, const char **meaning);
void cordon__result_reset(cordon_task *t);
/* lib/absolute_path.c: `path` made absolute against the caller's working
 * directory now, into `out`; 0 or a negative errno. */
int cordon__absolute_path(const char *path, char out[PATH_MAX]);
/* The result of a run that could not start (a negative return): empty,
 * with no attempt counted, so that nothing of an earlier run reads as
 * this one's and cordon_succeeded says 0. */
void cordon__result_not_run(cordon_task *t);
/* The same for a run refused before its first attempt (its history is
 * empty too), unless a run is going on, whose result stays its own:
 * `rc` is returned. */
int cordon__run_not_started(cordon_task *t, int rc);
void cordon__history_push(cordon_task *t);
uint64_t cordon__now_ns(void);
/* The calling thread's CPU time (0 where it cannot be read); a bare
 * clock_gettime, so the child may call it too. */
uint64_t cordon__thread_cpu_ns(void);
/* An absolute CLOCK_MONOTONIC time timeout_ms from now (condition waits). */
struct timespec cordon__monotonic_after_ms(int timeout_ms);
/* Runs once per process: work that must happen before the first fork. */
void cordon__global_init(void);

/* Many addresses symbolized with each object's ELF file read once. */
typedef struct cordon__symbolizer cordon__symbolizer;
typedef struct cordon__symbol {
    const char *name;     /* NULL when no symbol covers the address */
    int name_len;         /* without the compiler's clone suffix (.cold, .isra.0, …) */
    const char *object;   /* basename of the object, "" when none is mapped there */
    int object_index;     /* -1 when none */
    uint64_t offset;      /* from the symbol's start, or from the object's base */
    bool foreign;         /* in an object a set-up hook loaded: the task's word */
} cordon__symbol;
cordon__symbolizer *cordon__symbolizer_new(void);
/* Fills *symbol (its strings live until the symbolizer is freed); returns 0,
 * or -ENOENT when no symbol covers the address. */
int cordon__symbolizer_lookup(cordon__symbolizer *s, uintptr_t address, cordon__symbol *symbol);
/* "name+0x12 (object)", or "?? (object+0x…)"; returns as the lookup does. */
int cordon__symbolizer_describe(cordon__symbolizer *s, uintptr_t address, char *out, size_t size);
void cordon__symbolizer_free(cordon__symbolizer *s);
/* lib/demangle.c: a C++ name (`len` bytes of `name`, "_Z…") demangled
 * into `out`, when the caller's process has libstdc++'s demangler (a C++
 * program); false, `out` untouched, otherwise. */
bool cordon__demangle(const char *name, int len, char *out, size_t size);
/* Parent side: makes the symbolizer name addresses in these objects too
 * (each checked: an absolute path, a sane span; read, never mapped). */
void cordon__symbolizer_add_loaded(cordon__symbolizer *s, const cordon__loaded_object *objects,
                                   uint32_t count);

/* Profiler hooks (lib/profile_sampler.c, lib/profile_processes.c). */
struct cordon__profile_region;
struct cordon__process_table;
/* Child, before the seccomp filter: SIGPROF handler and CPU-time timer. */
void cordon__profile_child_start(struct cordon__profile_region *region);
/* Collector loop of a profiled command, every tick while the task runs:
 * refreshes the per-process table (it rate-limits itself).  `root` is the
 * process cordon waits for (the task's init, which is left out, or the
 * group's leader itself). */
/* lib/proc_stat.c: /proc/PID/stat as the profiler and the CPU limit read
 * it.  Times are in clock ticks. */
typedef struct cordon__proc_stat {
    char state; /* 'R', 'S', 'Z'... */
    pid_t ppid, pgrp, session;
    int tty_nr; /* the controlling terminal, as the kernel's new_encode_dev packs it */
    unsigned flags; /* the kernel's PF_* flags of the task (of its first thread) */
    unsigned long long utime, stime, cutime, cstime, start_time;
    long threads, rss_pages;
    char comm[32];
} cordon__proc_stat;
bool cordon__proc_stat_parse(const char *text, cordon__proc_stat *stat);
bool cordon__proc_stat_read(pid_t pid, cordon__proc_stat *stat);
/* /proc/PID/task/TID/stat: one thread's. */
bool cordon__proc_stat_read_thread(pid_t pid, const char *tid, cordon__proc_stat *stat);
/* The boot clock in clock ticks, /proc/PID/stat's unit for a start. */
unsigned long long cordon__boot_ticks(void);

/* lib/namespace_tree.c: the processes beneath `init` with their stat
 * (sorted by pid, each once; malloc'd, or NULL when none), or -ENOTSUP
 * where the kernel has no /proc children files, -ESRCH where the init is
 * gone, -ENOMEM, or -ECANCELED where `give_up` (asked every few
 * processes, may be NULL) said to stop. */
typedef struct cordon__tree_process {
    pid_t pid;
    cordon__proc_stat stat;
} cordon__tree_process;
int cordon__namespace_tree(pid_t init, cordon__tree_process **out, size_t *count,
                           bool (*give_up)(void *), void *context);

/* lib/caller_terminals.c: the caller's terminals a task could open by
 * name in its view of the caller's /dev, for its init to cover
 * (sandbox/covered_devices.c). */
void cordon__find_caller_terminals(cordon__caller_terminals *out);
/* Whether the character device is a terminal that opens again as itself:
 * a pseudo-terminal's slave, a console or a serial line (by its class in
 * sysfs), not /dev/tty (a process without a controlling terminal has
 * none) nor /dev/ptmx (which makes a new one).  No ioctl (isatty): a
 * caller's own filter may kill ioctl, and killed the caller at its
 * task's start. */
bool cordon__terminal_that_opens_again(dev_t device);

/* lib/adopted_orphans.c: without a pid namespace, a caller that adopts
 * orphans (a subreaper, or pid 1 of its namespace) reaps those of the
 * task's once its tree is ended. */
void cordon__reap_adopted_orphans(const cordon__attempt_state *s, const cordon__launch *l);
/* What tells a task's orphans among a subreaper caller's children apart,
 * kept beyond the attempt (lib/background_ending.c reaps them once the
 * first process of a tree left to end is reaped). */
typedef struct cordon__task_orphans {
    pid_t group;                        /* its session and group */
    unsigned long long reaped_at_ticks; /* started by then */
    char *v2_dir;                       /* its v2 cgroup (owned), or NULL */
} cordon__task_orphans;
/* False where the caller adopts none (in namespaces, no subreaper). */
bool cordon__task_orphans_of(const cordon__attempt_state *s, const cordon__launch *l,
                             cordon__task_orphans *o);
/* Reaps them, waiting until `until_ns` at most for those still dying:
 * true if some still were then. */
bool cordon__reap_task_orphans(const cordon__task_orphans *o, uint64_t until_ns);

/* Whether a scan's figure of a tree's CPU (ns) shows that its counter
 * lost a process (an exec of an unreadable or set-user-ID file): it is
 * above the counter's by more than the counter misses of each of the
 * `processes` it summed (an exited one's last moments, some 50 µs; 3,000
 * sleeping children read 10-13 ms above it) and a tick's rounding, or a
 * fiftieth.  The parent's (lib/tree_cpu.c) and the init's
 * (lib/init_cpu_limit.c) rule; async-signal-safe. */
static inline bool cordon__counter_fell_short(uint64_t scanned_ns, uint64_t counted_ns,
                                              uint64_t processes)
{
    uint64_t margin = counted_ns / 50 > 5000000u ? counted_ns / 50 : 5000000u;
    return scanned_ns > counted_ns + margin + processes * 100000u;
}

/* lib/tree_cpu.c: the CPU time of the task's whole tree, in ns: its
 * cgroup's own counter where it has a v2 cgroup, else the sum over the
 * processes beneath its init and what the init reaped (in a pid
 * namespace), else over the processes of its session.  Beside the
 * tree's counter the scans are made when due, or at every call if `full`;
 * s->last_scan_cpu_ns is what this call's scan cost (0: none). */
uint64_t cordon__tree_cpu_ns(cordon__attempt_state *s, bool full);
/* The CPU the task's first process spent giving back its copy of the
 * caller before its exec: cordon's, which the tree's count leaves out. */
uint64_t cordon__first_process_give_back_ns(const cordon__attempt_state *s);
/* user + system time of a rusage, in ns. */
uint64_t cordon__rusage_cpu_ns(const struct rusage *ru);
/* After the reap: the task's user and system time from its v2 cgroup
 * where wait4 missed some of the tree (tree_cpu.c). */
void cordon__usage_count_unwaited(cordon__attempt_state *s);
/* Without namespaces, the first process's give-back out of its wait4
 * figures (lib/tree_cpu.c). */
void cordon__usage_leave_out_give_back(cordon__attempt_state *s);

/* lib/fds_kept.c: closes every fd but `keep` (sorted in place; -1s
 * ignored). */
void cordon__close_all_fds_but(int *keep, size_t count);

/* How long cordon waits for a tree it killed to end before it leaves the
 * rest of the ending (the kernel's freeing of what the killed processes
 * held) to lib/background_ending.c. */
#define CORDON__ENDING_WAIT_NS (250ull * 1000 * 1000)

/* Takes over the reaping of `pid` (0: none) through `*pidfd`, then of
 * the task's `orphans` (NULL: none; taken over) and the removal of
 * `cgroup`, all left empty, and does them on a thread of its own (in
 * place where no thread can be made). */
void cordon__ending_hand_over(pid_t pid, int *pidfd, cordon__task_orphans *orphans,
                              cordon__cgroup *cgroup);
/* After the reap, without a v2 cgroup: at least what the CPU limit's
 * scans of /proc saw, where wait4 missed some of the tree. */
void cordon__usage_count_scanned(cordon__attempt_state *s);
/* Whether the records of which processes the CPU counter follows are
 * still read: the task runs, and nothing of cordon's is ending it. */
bool cordon__counter_records_wanted(const cordon__attempt_state *s);
/* Reads them where wanted; their loss while the parent read on time is
 * noted (counter_records_lost), and ends the task at the next check. */
void cordon__counter_records_read(cordon__attempt_state *s);
/* The CPUs the caller may run on: how fast a tree can spend CPU time. */
unsigned cordon__usable_cpus(void);

/* lib/tree_cpu_counter.c: an exact count of the CPU time of `pid` and of
 * every thread and process it starts from now on, but for a process that
 * execs a file it may not read or a set-user-ID one (the kernel takes the
 * counter off it and what it starts): an fd, or -errno where the kernel or the
 * caller's user may not have one (or CORDON_NO_CPU_COUNTER is set). */
int cordon__tree_cpu_counter_attach(pid_t pid);
/* Keeps the kernel's hooks for counters on for the process's life (a
 * disabled counter on the caller's thread); false where the caller may
 * not have one on itself (or CORDON_NO_CPU_COUNTER is set). */
bool cordon__tree_cpu_counter_keep_hooks_on(void);
/* Not known to be refused: worth starting a command by fork for. */
bool cordon__tree_cpu_counter_usable(void);
int cordon__tree_cpu_counter_read(int fd, uint64_t *ns);
/* The same counter on the calling process and all it starts from now on
 * (a task's init, lib/init_cpu_limit.c): an fd or -errno;
 * async-signal-safe, as _read is. */
int cordon__tree_cpu_counter_open_own(void);

/* lib/tree_cpu_followed.c: which processes of a tree the counter above
 * follows, from the kernel's records of its forks, execs and exits.
 * Attached to `pid` with the counter, before it starts anything; NULL
 * where the kernel or the caller's locked-memory allowance refuses. */
typedef struct cordon__counter_follower cordon__counter_follower;
cordon__counter_follower *cordon__counter_follower_attach(pid_t pid);
/* Reads the records written since the last read (each check: the
 * kernel's buffers are small); false once records were lost while the
 * parent read on time: what the counter follows is then unknown. */
bool cordon__counter_follower_read(cordon__counter_follower *f);
/* Whether `pid`, alive in the tree as a scan saw it just after a read,
 * has left the counter (or was started by a process that had): seen
 * outside the followed set twice, far enough apart for its start's
 * record to have been read. */
bool cordon__counter_follower_left(cordon__counter_follower *f, pid_t pid,
                                   const cordon__proc_stat *stat);
/* Readable when the kernel's buffers want a read (a quarter full). */
int cordon__counter_follower_wake_fd(const cordon__counter_follower *f);
/* After each scan (one after records were lost late is taken as true). */
void cordon__counter_follower_scan_done(cordon__counter_follower *f);
void cordon__counter_follower_free(cordon__counter_follower *f);

void cordon__process_table_tick(struct cordon__process_table *table, pid_t root, pid_t group,
                                uint64_t now_ns);

#endif
