/*
 * Control groups for a task: a memory limit with an exact OOM verdict, a
 * process limit that also binds root, and a way to kill every process of
 * the task even if it left its process group.
 *
 * Each resource takes the best the machine has, in order: a cgroup v2
 * controller, a cgroup v1 controller, or (by the caller) an rlimit.  Every
 * cgroup cordon makes lies below the one the caller runs in (or below the
 * root named by CORDON_CGROUP_ROOT) and is the task's own while it runs.
 * One with a limit, or one that had to be killed, is removed when the task
 * is done; one that only held the tree and was left empty is kept for the
 * next task and removed at exit (cgroup_pool.c).  CORDON_CGROUP=none|v1|
 * v2|auto narrows the choice.
 */
#ifndef CORDON_SANDBOX_CGROUP_H
#define CORDON_SANDBOX_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The most a task holds: its v2 cgroup, a v1 memory limit's pair, and a
 * v1 pids cgroup (its limit's, or cordon's share when it has none). */
enum { CORDON_CGROUP_MAX_DIRS = 4 };

typedef enum cordon__cgroup_version {
    CGROUP_NONE = 0,
    CGROUP_V1 = 1,
    CGROUP_V2 = 2,
} cordon__cgroup_version;

typedef struct cordon__cgroup {
    int count;
    char *dirs[CORDON_CGROUP_MAX_DIRS];     /* made by us, removed by us */
    cordon__cgroup_version versions[CORDON_CGROUP_MAX_DIRS];
    int join_fds[CORDON_CGROUP_MAX_DIRS];   /* cgroup.procs, written "0" by the child */
    int memory_dir, pids_dir;               /* index into dirs, or -1 */
    int v2_dir;                             /* index of the v2 cgroup (for cgroup.kill) */
    bool reusable;                          /* the v2 cgroup holds no limit: pooled after */
    int share_pids_dir;                     /* a v1 pids cgroup holding only cordon's process
                                               share, pooled after; or -1 */
    bool v2_killed;                         /* cgroup.kill written: never pooled */
    bool task_may_chmod;                    /* the task owns the v2 cgroup's files: pooled
                                               only with their modes as made */
    int events_fd;                          /* its cgroup.events, or -1 */
    int cpu_stat_fd;                        /* its cpu.stat, open while the task runs, or -1 */
    uint64_t cpu_base_us;                   /* the v2 cgroup's usage_usec before the task, */
    uint64_t user_base_us, system_base_us;  /* and its user_usec and system_usec */
    bool cpu_started;                       /* those were read for this task */
    int peak_dir;                           /* the cgroup that counts the tree's memory, or -1 */
    int peak_fd;                            /* its v2 memory.peak, reset for this task, or -1 */
    int oom_watch_fd;                       /* v1: OOMs of the limited cgroup and above, */
    int enclosing_oom_watch_fd;             /* and of the one around it and above; or -1 */
} cordon__cgroup;

/* Whether the v2 cgroup `dir` and its files have the modes the kernel
 * gave them, each file's as its parent's file of that name
 * (cgroup_file_modes.c). */
bool cordon__cgroup_file_modes_as_made(const char *dir);

/* Holds nothing (no directory, every fd -1): what a failed start may
 * release without closing a descriptor of the caller's. */
void cordon__cgroup_init_empty(cordon__cgroup *cg);

/* Parent.  Whether CORDON_CGROUP (none, v1, v2, auto or unset) and
 * CORDON_CGROUP_ROOT (an absolute path to a v2 cgroup) say something
 * cordon can follow; if not, writes why into `why` and returns false.
 * Read at each call: a misspelt setting is refused rather than taken
 * for "auto" (CORDON_CGROUP=off would have made cgroups all the same,
 * a root with a typo put the tasks elsewhere). */
bool cordon__cgroup_settings_valid(char *why, size_t size);

/* Parent, before the fork.  Makes the cgroups the limits need (a limit of 0
 * needs none) and, when `contain` is set, a v2 cgroup to kill the task's
 * whole tree by; with `count_memory`, a memory cgroup even without a
 * memory limit, to count the tree's peak.  Leaves *cg empty (count 0) when
 * nothing could be made; the caller then falls back to rlimits.  Returns 0
 * or a negative errno (only for out of memory: a machine without cgroups
 * is not an error). */
int cordon__cgroup_create(cordon__cgroup *cg, uint64_t memory_bytes, uint64_t max_processes,
                          bool contain, bool count_memory);

/* Child, async-signal-safe: moves the calling process into every cgroup,
 * or every one but the v2 cgroup when clone3 started it there. */
int cordon__cgroup_join(const cordon__cgroup *cg, bool except_v2);

/* Parent, after cordon__cgroup_create, for a task without a process limit
 * that no user namespace of its own holds: cordon's process share
 * (sandbox/process_share.c) as pids.max of its v2 cgroup (one is taken
 * where the v2 tree has the pids controller), else of a v1 pids cgroup.
 * Either is pooled after; nothing is named from it (pids_limited is for a
 * limit of the caller's).  0 also where no pids cgroup could be had (the
 * share then rests on RLIMIT_NPROC); negative errno for out of memory. */
int cordon__cgroup_hold_process_share(cordon__cgroup *cg, uint64_t share);

/* How many more processes and threads the cgroups that hold the caller
 * (its own and those above it, v1 pids and v2) let it start: the least of
 * their pids.max less pids.current; UINT64_MAX where none sets one.
 * Which of them set one is found once per process. */
uint64_t cordon__cgroup_pids_room(void);

/* Parent: moves the forked child `pid` into every cgroup, while the child
 * goes on with its set-up. */
int cordon__cgroup_move(const cordon__cgroup *cg, pid_t pid);

/* Parent: kills every process in the task's cgroups. */
void cordon__cgroup_kill(cordon__cgroup *cg);
/* Parent: kills every process listed in the task's cgroup but `spared`
 * (its namespace's init, which reaps and counts them): at once, without
 * waiting for the init to be scheduled on a machine the task keeps busy. */
void cordon__cgroup_kill_all_but(const cordon__cgroup *cg, pid_t spared);

/* sandbox/memory_oom_events_v1.c: an eventfd that counts the OOMs of the
 * v1 memory cgroup `dir` and of every cgroup above it, or -1; and its
 * count since the last read (0 when none). */
int cordon__v1_oom_watch(const char *dir);
uint64_t cordon__v1_oom_count(int watch);

/* Parent, after the task ended: did the task's own memory limit make the
 * kernel kill one of its processes?  Its own: the limit of the task's
 * cgroup was reached (v2 memory.events.local `oom`, v1 an OOM its
 * cgroup saw that the one around it did not), not an enclosing one that
 * picked a victim in it.  Reads the v1 counts: once per task. */
bool cordon__cgroup_oom_killed(const cordon__cgroup *cg);
/* Parent, while the task runs: how many of its processes the kernel has
 * killed for memory so far, whichever limit chose them (0 without a
 * memory cgroup). */
uint64_t cordon__cgroup_oom_kills(const cordon__cgroup *cg);
/* Parent, while the task runs: how many forks a process limit has
 * refused its processes so far (pids.events `max`; 0 without a pids
 * cgroup). */
uint64_t cordon__cgroup_pids_refusals(const cordon__cgroup *cg);
/* Parent, after the end: did the task's own process limit refuse a fork
 * (pids.events `max`, with the cgroup's peak at its pids.max), not an
 * enclosing one? */
bool cordon__cgroup_pids_limited(const cordon__cgroup *cg);

/* Parent, after the task ended: the peak of the memory its tree was
 * charged for, in bytes (v2 memory.peak since this task's start, v1
 * memory.max_usage_in_bytes of a cgroup made for it); 0 when no cgroup of
 * the task counted memory. */
uint64_t cordon__cgroup_memory_peak(const cordon__cgroup *cg);

/* Parent: the CPU time the task's processes used in its v2 cgroup, in µs
 * (cpu.stat usage_usec, less what a pooled cgroup held before); -ENOENT
 * without a v2 cgroup. */
int64_t cordon__cgroup_cpu_usage_us(const cordon__cgroup *cg);
/* Parent, before the task starts: takes the counter's starting point. */
void cordon__cgroup_cpu_start(cordon__cgroup *cg);

/* The user and system CPU time (µs) the v2 cgroup counted since
 * cordon__cgroup_cpu_start: every process that ran in it, waited for or
 * not, still running or killed.  -ENOENT without a v2 cgroup, or when
 * the start was not taken for this task. */
int cordon__cgroup_cpu_times(const cordon__cgroup *cg, uint64_t *user_us, uint64_t *system_us);

/* Parent: kills what is left, closes the fds and removes the directories
 * (or gives a reusable one, once empty, back to the pool). */
void cordon__cgroup_destroy(cordon__cgroup *cg);

/* The same, but waits for killed processes to leave only until
 * `until_ns` (CLOCK_MONOTONIC): false if some still had not, with what
 * is left in `cg` for a later call (lib/background_ending.c). */
bool cordon__cgroup_destroy_by(cordon__cgroup *cg, uint64_t until_ns);

/* The pools of empty cgroups (cgroup_pool.c): v2 ones that held a tree,
 * v1 pids ones that held cordon's process share.  take returns a path the
 * caller then owns, or NULL; give_back takes the path over. */
typedef enum cordon__cgroup_pool_kind {
    CORDON__CGROUP_POOL_V2_TREE,
    CORDON__CGROUP_POOL_V1_PIDS,
    CORDON__CGROUP_POOL_KINDS
} cordon__cgroup_pool_kind;
char *cordon__cgroup_pool_take(cordon__cgroup_pool_kind kind);
void cordon__cgroup_pool_give_back(cordon__cgroup_pool_kind kind, char *path);

/* For a function task's child, which ends with _exit and so runs no exit
 * hook: removes the idle cgroups of tasks it ran itself, if any. */
void cordon__cgroup_pool_remove_before_exit(void);

/* Removes the empty cgroups that processes which died without exiting left
 * in `parent`. */
void cordon__cgroup_sweep_orphans(const char *parent);

/* Removes the empty cgroups below the cgroup `name` of `parent_fd`
 * (cgroup_pool.c), deepest first: a v1 memory limit's that cordon made,
 * or any that a task which could write its own cgroup made there. */
void cordon__cgroup_remove_inner(int parent_fd, const char *name);

#endif
