/*
 * Which processes of a task's tree its CPU counter follows, from the
 * kernel's own records of the counter's processes.
 *
 * Why: the kernel takes the counter (lib/tree_cpu_counter.c) off a
 * process that execs a file its user may not read, and off all that
 * process starts after.  Looking at the program a process runs now
 * (lib/tree_cpu.c) misses one that ran such a file for a moment: a
 * trampoline of mode 0111 that at once execs a readable program, or a
 * file whose mode was changed back.  Without a v2 cgroup such a process
 * then starts children the kernel reaps itself (SIGCHLD ignored), whose
 * CPU nothing counts: 1.5 s of CPU under a limit of 300 ms, as nobody.
 *
 * How: a record-only event per CPU, attached with the counter and
 * inherited as it is, has the kernel write a record when a process or
 * thread the counter follows is started (FORK), execs (COMM, flagged as
 * an exec) and leaves it (EXIT: at its end, and when an exec takes the
 * counter off it, just after that exec's COMM).  Replayed in time order,
 * they give the set of threads the counter follows.  A live process of
 * the tree a scan finds outside that set, twice at least CONFIRM_NS apart
 * (its start's record may still be on its way), left the counter or was
 * started by one that had: the evidence that the limit cannot be held.
 *
 * One event per CPU: the kernel maps no buffer of an inherited event that
 * is not bound to a CPU.  The records cost the task's forks and exits a
 * few hundred ns each.  Where records were lost (a buffer filled between
 * two reads), what the counter follows is no longer known: if the parent
 * read on time the task made them faster than it could be followed (the
 * evidence is gone, and the limit is not held); if the parent itself was
 * late (stopped, kept off its CPUs), the next scan is taken as followed:
 * a process that left the counter in that moment is then missed, what
 * this leaves open (README, "Accounting").
 */
#include <dirent.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* Records newer than this are left for the next read: one from another
 * CPU written a moment earlier may not be visible yet. */
#define HOLD_NS (2ull * 1000 * 1000)
/* A process outside the set is judged only when seen so again this much
 * later: every record of its start has been read by then. */
#define CONFIRM_NS (10ull * 1000 * 1000)
/* Records lost after a gap between reads longer than this are the
 * parent's lateness (a loaded machine woke it late: ten tasks of thread
 * churn on two CPUs all lost some), not the task's speed: a buffer filled
 * from a quarter to full in less is some 20 MB/s of records on one CPU,
 * more than a CPU can start and end threads for. */
#define AWAY_NS (5ull * 1000 * 1000)
#define MAX_SUSPECTS 256u

typedef struct ring {
    int fd;
    struct perf_event_mmap_page *page;
    const unsigned char *data;
    uint64_t size; /* of the data, a power of two */
} ring;

typedef struct record {
    uint64_t time, order;
    uint32_t type;
    pid_t tid;
} record;

typedef struct suspect {
    pid_t pid;
    unsigned long long start_time;
    uint64_t first_seen_ns, last_seen_ns;
} suspect;

struct cordon__counter_follower {
    ring *rings;
    unsigned ring_count;
    record *held;
    size_t held_count, held_size;
    uint64_t order;
    pid_t *set; /* open addressing: 0 empty, -1 removed */
    size_t set_size, set_used;
    suspect suspects[MAX_SUSPECTS];
    unsigned suspect_count;
    int wake_fd; /* an epoll set of the rings, readable when one is a quarter full */
    uint64_t last_read_ns;
    bool lost, trust_next_scan;
    bool full_when_late; /* the last read that found a ring full came late */
};

static uint64_t boot_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_BOOTTIME, &now);
    return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

static size_t slot_of(pid_t tid, size_t size)
{
    return ((uint32_t)tid * 2654435761u) & (size - 1);
}

static bool set_grow(cordon__counter_follower *f);

static void set_add(cordon__counter_follower *f, pid_t tid)
{
    if ((f->set_used + 1) * 2 > f->set_size && !set_grow(f)) {
        f->lost = true; /* out of memory: what is followed is not known */
        return;
    }
    size_t at = slot_of(tid, f->set_size), reuse = SIZE_MAX;
    for (; f->set[at] != 0; at = (at + 1) & (f->set_size - 1)) {
        if (f->set[at] == tid)
            return;
        if (f->set[at] == -1 && reuse == SIZE_MAX)
            reuse = at;
    }
    if (reuse == SIZE_MAX)
        f->set_used++;
    f->set[reuse == SIZE_MAX ? at : reuse] = tid;
}

static size_t set_find(const cordon__counter_follower *f, pid_t tid)
{
    for (size_t at = slot_of(tid, f->set_size); f->set[at] != 0; at = (at + 1) & (f->set_size - 1))
        if (f->set[at] == tid)
            return at;
    return SIZE_MAX;
}

static void set_remove(cordon__counter_follower *f, pid_t tid)
{
    size_t at = set_find(f, tid);
    if (at != SIZE_MAX)
        f->set[at] = -1;
}

/* Twice the size (or the same, to clear removed slots), filled again. */
static bool set_grow(cordon__counter_follower *f)
{
    size_t live = 0;
    for (size_t i = 0; i < f->set_size; i++)
        live += f->set[i] > 0;
    size_t size = f->set_size;
    while ((live + 1) * 4 > size)
        size *= 2;
    pid_t *old = f->set, *fresh = calloc(size, sizeof *fresh);
    if (!fresh)
        return false;
    size_t old_size = f->set_size;
    f->set = fresh;
    f->set_size = size;
    f->set_used = 0;
    for (size_t i = 0; i < old_size; i++)
        if (old[i] > 0)
            set_add(f, old[i]);
    free(old);
    return true;
}

/* Record-only, inherited as the counter is, on one CPU. */
static int open_records(pid_t pid, int cpu, uint32_t watermark)
{
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_DUMMY;
    attr.inherit = 1;
    attr.task = 1;
    attr.comm = 1;
    attr.comm_exec = 1;
    attr.sample_id_all = 1;
    attr.sample_type = PERF_SAMPLE_TIME; /* every record ends with its time */
    attr.use_clockid = 1;
    attr.clockid = CLOCK_BOOTTIME;
    attr.exclude_kernel = 1; /* what paranoid 2 allows a user */
    attr.exclude_hv = 1;
    attr.watermark = 1; /* the parent is woken to read it a quarter full */
    attr.wakeup_watermark = watermark;
    int fd = (int)syscall(SYS_perf_event_open, &attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

/* The largest buffer the caller's locked-memory allowance gives, down to
 * one page (a caller of nobody's has 516 KiB for all its buffers, then
 * its RLIMIT_MEMLOCK), each opened to wake the parent a quarter full. */
static int open_ring(ring *r, pid_t pid, int cpu)
{
    long page = sysconf(_SC_PAGESIZE);
    for (size_t pages = 16; pages >= 1; pages /= 4) {
        r->fd = open_records(pid, cpu, (uint32_t)(pages * (size_t)page / 4));
        if (r->fd < 0)
            return r->fd;
        void *at = mmap(NULL, (pages + 1) * (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED,
                        r->fd, 0);
        if (at != MAP_FAILED) {
            r->page = at;
            r->data = (const unsigned char *)at + page;
            r->size = pages * (uint64_t)page;
            return 0;
        }
        int error = errno;
        close(r->fd);
        r->fd = -1;
        if (error != EPERM && error != ENOMEM)
            return -error;
    }
    return -ENOMEM;
}

void cordon__counter_follower_free(cordon__counter_follower *f)
{
    if (!f)
        return;
    for (unsigned i = 0; i < f->ring_count; i++) {
        if (f->rings[i].page)
            munmap(f->rings[i].page, f->rings[i].size + (size_t)sysconf(_SC_PAGESIZE));
        if (f->rings[i].fd >= 0)
            close(f->rings[i].fd);
    }
    if (f->wake_fd >= 0)
        close(f->wake_fd);
    free(f->rings);
    free(f->held);
    free(f->set);
    free(f);
}

static int attach_rings(cordon__counter_follower *f, pid_t pid)
{
    long cpus = sysconf(_SC_NPROCESSORS_CONF);
    if (cpus < 1)
        return -ENOTSUP;
    f->rings = calloc((size_t)cpus, sizeof *f->rings);
    f->wake_fd = epoll_create1(EPOLL_CLOEXEC);
    if (!f->rings || f->wake_fd < 0)
        return -ENOMEM;
    for (long cpu = 0; cpu < cpus; cpu++) {
        ring *r = &f->rings[f->ring_count];
        int rc = open_ring(r, pid, (int)cpu);
        if (rc == -ENODEV || rc == -EINVAL)
            continue; /* a CPU that is offline: no task runs there */
        f->ring_count++;
        struct epoll_event wake = { .events = EPOLLIN, .data.u32 = (uint32_t)cpu };
        if (rc < 0 || epoll_ctl(f->wake_fd, EPOLL_CTL_ADD, r->fd, &wake) < 0)
            return rc < 0 ? rc : -errno;
    }
    return f->ring_count ? 0 : -ENOTSUP;
}

int cordon__counter_follower_wake_fd(const cordon__counter_follower *f)
{
    return f ? f->wake_fd : -1;
}

cordon__counter_follower *cordon__counter_follower_attach(pid_t pid)
{
    cordon__counter_follower *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->wake_fd = -1;
    f->set_size = 64;
    f->set = calloc(f->set_size, sizeof *f->set);
    if (!f->set || attach_rings(f, pid) < 0) {
        cordon__counter_follower_free(f);
        return NULL;
    }
    set_add(f, pid);
    f->last_read_ns = boot_ns();
    return f;
}

static void copy_out(const ring *r, uint64_t at, void *to, size_t size)
{
    for (size_t i = 0; i < size; i++)
        ((unsigned char *)to)[i] = r->data[(at + i) & (r->size - 1)];
}

static bool hold(cordon__counter_follower *f, const record *rec)
{
    if (f->held_count == f->held_size) {
        size_t size = f->held_size ? 2 * f->held_size : 256;
        record *grown = realloc(f->held, size * sizeof *grown);
        if (!grown)
            return false;
        f->held = grown;
        f->held_size = size;
    }
    f->held[f->held_count++] = *rec;
    return true;
}

/* One record: the ones that change the set, kept; a LOST one noted. */
static void take_record(cordon__counter_follower *f, const ring *r, uint64_t at,
                        const struct perf_event_header *header)
{
    uint32_t ids[4];
    record rec = { .type = header->type, .order = f->order++ };
    if (header->type == PERF_RECORD_LOST) {
        f->lost = true;
        return;
    }
    bool exec = header->type == PERF_RECORD_COMM && (header->misc & PERF_RECORD_MISC_COMM_EXEC);
    if ((header->type != PERF_RECORD_FORK && header->type != PERF_RECORD_EXIT && !exec) ||
        header->size < sizeof *header + sizeof ids + sizeof rec.time)
        return;
    copy_out(r, at + sizeof *header, ids, sizeof ids);
    copy_out(r, at + header->size - sizeof rec.time, &rec.time, sizeof rec.time);
    /* FORK and EXIT: pid, ppid, tid, ptid; COMM: pid, tid, name. */
    rec.tid = (pid_t)(exec ? ids[1] : ids[2]);
    if (rec.tid > 0 && !hold(f, &rec))
        f->lost = true;
}

/* Reads what the ring holds: whether it was full (records were lost
 * since the last read: the kernel says so with its next record). */
static bool drain_ring(cordon__counter_follower *f, ring *r)
{
    uint64_t head = __atomic_load_n(&r->page->data_head, __ATOMIC_ACQUIRE);
    uint64_t tail = r->page->data_tail;
    bool full = head - tail + 1024 > r->size;
    while (tail < head) {
        struct perf_event_header header;
        copy_out(r, tail, &header, sizeof header);
        if (header.size < sizeof header || header.size > head - tail) {
            f->lost = true; /* not a record the kernel writes */
            tail = head;
            break;
        }
        take_record(f, r, tail, &header);
        tail += header.size;
    }
    __atomic_store_n(&r->page->data_tail, tail, __ATOMIC_RELEASE);
    return full;
}

static int by_time(const void *a, const void *b)
{
    const record *x = a, *y = b;
    if (x->time != y->time)
        return (x->time > y->time) - (x->time < y->time);
    return (x->order > y->order) - (x->order < y->order);
}

/* Replays, in time order, the records old enough that none written
 * before them can still be on its way; the rest wait. */
static void replay(cordon__counter_follower *f, uint64_t now)
{
    if (!f->held_count)
        return;
    qsort(f->held, f->held_count, sizeof *f->held, by_time);
    size_t done = 0;
    for (; done < f->held_count && f->held[done].time + HOLD_NS <= now; done++) {
        const record *rec = &f->held[done];
        if (rec->type == PERF_RECORD_EXIT)
            set_remove(f, rec->tid);
        else
            set_add(f, rec->tid);
    }
    memmove(f->held, f->held + done, (f->held_count - done) * sizeof *f->held);
    f->held_count -= done;
}

bool cordon__counter_follower_read(cordon__counter_follower *f)
{
    uint64_t now = boot_ns();
    bool late = now - f->last_read_ns > AWAY_NS;
    f->last_read_ns = now;
    struct epoll_event woken[8];
    while (epoll_wait(f->wake_fd, woken, 8, 0) == 8)
        ; /* the wake-ups this read answers */
    bool full = false;
    for (unsigned i = 0; i < f->ring_count; i++)
        full |= drain_ring(f, &f->rings[i]);
    /* The kernel says records were lost only with its first record after
     * a read freed room: a later read's.  The read that found a ring full
     * says whether the parent was late then. */
    if (full)
        f->full_when_late = late;
    replay(f, now);
    if (f->lost && (late || f->full_when_late)) {
        /* The parent's own lateness: what runs now is taken as followed. */
        f->lost = false;
        f->full_when_late = false; /* a later loss is judged by its own read */
        f->trust_next_scan = true;
        f->suspect_count = 0;
    }
    return !f->lost;
}

void cordon__counter_follower_scan_done(cordon__counter_follower *f)
{
    f->trust_next_scan = false;
}

static suspect *find_suspect(cordon__counter_follower *f, pid_t pid)
{
    for (unsigned i = 0; i < f->suspect_count; i++)
        if (f->suspects[i].pid == pid)
            return &f->suspects[i];
    return NULL;
}

/* A place for a new suspect: a free one, else the one seen longest ago. */
static suspect *new_suspect(cordon__counter_follower *f)
{
    if (f->suspect_count < MAX_SUSPECTS)
        return &f->suspects[f->suspect_count++];
    suspect *oldest = &f->suspects[0];
    for (unsigned i = 1; i < MAX_SUSPECTS; i++)
        if (f->suspects[i].last_seen_ns < oldest->last_seen_ns)
            oldest = &f->suspects[i];
    return oldest;
}

/* The kernel's PF_EXITING, in /proc/PID/task/TID/stat's flags: a thread
 * in do_exit, whose EXIT record is written well before it is a zombie
 * (a cc1 of a loaded make -j4 showed so 10-80 ms after its record). */
#define THREAD_EXITING 0x4u

/* Whether the thread runs on: not a zombie, not exiting. */
static bool thread_runs_on(pid_t pid, const char *tid)
{
    cordon__proc_stat stat;
    return cordon__proc_stat_read_thread(pid, tid, &stat) && stat.state != 'Z' &&
           stat.state != 'X' && !(stat.flags & THREAD_EXITING);
}

typedef enum { PROCESS_FOLLOWED, PROCESS_ENDED, PROCESS_UNFOLLOWED } process_standing;

/* Followed where any of its threads is (its first thread may have ended,
 * pthread_exit, and left others); else ended where none runs on; else a
 * process that runs outside the set: whether its first thread is a
 * zombie says nothing (one that ended at once left a thread of a process
 * the counter had lost spinning, unjudged). */
static process_standing standing(const cordon__counter_follower *f, pid_t pid)
{
    char path[48];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *threads = opendir(path);
    if (!threads)
        return PROCESS_ENDED;
    process_standing found = PROCESS_ENDED;
    for (struct dirent *entry; (entry = readdir(threads));) {
        char *end;
        long tid = strtol(entry->d_name, &end, 10);
        if (tid <= 0 || *end)
            continue;
        if (set_find(f, (pid_t)tid) != SIZE_MAX) {
            found = PROCESS_FOLLOWED;
            break;
        }
        if (found == PROCESS_ENDED && thread_runs_on(pid, entry->d_name))
            found = PROCESS_UNFOLLOWED;
    }
    closedir(threads);
    return found;
}

bool cordon__counter_follower_left(cordon__counter_follower *f, pid_t pid,
                                   const cordon__proc_stat *stat)
{
    if (set_find(f, pid) != SIZE_MAX || standing(f, pid) != PROCESS_UNFOLLOWED)
        return false;
    if (f->trust_next_scan) {
        set_add(f, pid);
        return false;
    }
    uint64_t now = f->last_read_ns;
    suspect *seen = find_suspect(f, pid);
    if (seen && seen->start_time == stat->start_time) {
        seen->last_seen_ns = now;
        return now - seen->first_seen_ns >= CONFIRM_NS;
    }
    if (!seen)
        seen = new_suspect(f);
    *seen = (suspect){ pid, stat->start_time, now, now };
    return false;
}
