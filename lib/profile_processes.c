/*
 * The per-process view of a profiled command: while it runs, the collector
 * loop reads /proc for the processes of its process group (the child's pid
 * is the group's id) and keeps, per process, the last CPU times it saw and
 * the largest resident size.  A process that lived less than one scan may
 * be missed; one that left the group is no longer followed.
 *
 * Two scans share the work.  The walk goes down the tree from the group's
 * leader through each thread's /proc/PID/task/TID/children, re-reading
 * every process seen before (an orphan is reparented out of the tree but
 * stays in the group): it costs in proportion to the task's processes, so
 * it can run often.  The sweep reads every process of the machine, for the
 * orphans the walk never saw and for kernels without children lists.
 * Each stretches its interval so that together they take at most ~5% of
 * one core.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profiler.h"
#include "../sandbox/text_escape.h"

#define PROCESS_ROWS      256
#define SCAN_INTERVAL_NS  (10ull * 1000 * 1000)
/* Each kind of scan waits at least this many times its own cost. */
#define SCAN_SHARE        40
#define MAX_INDENT        16

typedef struct process_entry {
    pid_t pid, ppid;
    unsigned long long start_time;  /* tells a reused pid from the first */
    unsigned long long utime, stime; /* clock ticks */
    long peak_rss_pages;
    long threads;
    char comm[32];
    bool printed;
} process_entry;

struct cordon__process_table {
    process_entry entries[PROCESS_ROWS];
    size_t count;
    bool full;                      /* a process was seen with no room left */
    bool children_lists;            /* the kernel has /proc/…/children */
    struct schedule {
        uint64_t next_ns, interval_ns, runs;
    } walks, sweeps;                /* of the tree; of every process */
    long ticks_per_second, page_kb;
};

struct cordon__process_table *cordon__process_table_new(void)
{
    struct cordon__process_table *table = calloc(1, sizeof *table);
    if (!table)
        return NULL;
    table->walks.interval_ns = table->sweeps.interval_ns = SCAN_INTERVAL_NS;
    table->children_lists = access("/proc/thread-self/children", R_OK) == 0;
    table->ticks_per_second = sysconf(_SC_CLK_TCK);
    if (table->ticks_per_second <= 0)
        table->ticks_per_second = 100;
    long page = sysconf(_SC_PAGESIZE);
    table->page_kb = page > 0 ? page / 1024 : 4;
    return table;
}

void cordon__process_table_free(struct cordon__process_table *table)
{
    free(table);
}

static void remember(struct cordon__process_table *table, pid_t pid, const cordon__proc_stat *line)
{
    process_entry *entry = NULL;
    for (size_t i = 0; i < table->count && !entry; i++) {
        if (table->entries[i].pid == pid && table->entries[i].start_time == line->start_time)
            entry = &table->entries[i];
    }
    if (!entry) {
        if (table->count == PROCESS_ROWS) {
            table->full = true;
            return;
        }
        entry = &table->entries[table->count++];
        memset(entry, 0, sizeof *entry);
        entry->pid = pid;
        entry->start_time = line->start_time;
    }
    /* The latest values: CPU only grows; the name changes at exec. */
    entry->ppid = line->ppid;
    entry->utime = line->utime;
    entry->stime = line->stime;
    entry->threads = line->threads;
    if (line->rss_pages > entry->peak_rss_pages)
        entry->peak_rss_pages = line->rss_pages;
    memcpy(entry->comm, line->comm, sizeof entry->comm);
}

/* Remembers `pid` when it is (still) a process of the group. */
static bool visit(struct cordon__process_table *table, pid_t pid, pid_t group)
{
    cordon__proc_stat line;
    if (!cordon__proc_stat_read(pid, &line) || line.pgrp != group)
        return false;
    remember(table, pid, &line);
    return true;
}

struct pid_queue {
    pid_t pids[PROCESS_ROWS];
    size_t count;
};

static void enqueue(struct pid_queue *q, pid_t pid)
{
    for (size_t i = 0; i < q->count; i++) {
        if (q->pids[i] == pid)
            return;
    }
    if (q->count < PROCESS_ROWS)
        q->pids[q->count++] = pid;
}

/* Queues the children of every thread of `pid`. */
static void enqueue_children(struct pid_queue *q, pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *tasks = opendir(path);
    if (!tasks)
        return; /* it ended meanwhile */
    for (struct dirent *e; (e = readdir(tasks));) {
        char list[8192];
        snprintf(path, sizeof path, "/proc/%d/task/%.16s/children", (int)pid, e->d_name);
        if (e->d_name[0] == '.' || cordon__read_small_file(path, list, sizeof list) < 0)
            continue;
        char *cursor = list, *end;
        for (long child; (child = strtol(cursor, &end, 10)) > 0; cursor = end)
            enqueue(q, (pid_t)child);
    }
    closedir(tasks);
}

static void walk_tree(struct cordon__process_table *table, pid_t root, pid_t group)
{
    struct pid_queue q = { .count = 0 };
    if (root != group) /* the task's init: its children are the task */
        enqueue_children(&q, root);
    else
        enqueue(&q, group);
    for (size_t i = 0; i < table->count; i++)
        enqueue(&q, table->entries[i].pid);
    for (size_t i = 0; i < q.count; i++) {
        if (visit(table, q.pids[i], group))
            enqueue_children(&q, q.pids[i]);
    }
}

/* Every process of the machine: orphans the walk never saw, and all of the
 * group where the kernel keeps no children lists. */
static void visit_all(struct cordon__process_table *table, pid_t root, pid_t group)
{
    DIR *proc = opendir("/proc");
    if (!proc)
        return;
    for (struct dirent *e; (e = readdir(proc));) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (pid > 0 && *end == '\0' && (pid != root || root == group))
            visit(table, (pid_t)pid, group);
    }
    closedir(proc);
}

/* Stretches the interval so that the scan takes at most its share. */
static void reschedule(struct schedule *schedule, uint64_t started_ns)
{
    uint64_t now = cordon__now_ns();
    uint64_t cost = now - started_ns;
    schedule->interval_ns = cost * SCAN_SHARE > SCAN_INTERVAL_NS ? cost * SCAN_SHARE
                                                                  : SCAN_INTERVAL_NS;
    schedule->next_ns = now + schedule->interval_ns;
    schedule->runs++;
}

/* The tree walk sees a new process soon after its fork, cheaply; the
 * sweep of every process finds the orphans that left the tree unseen. */
void cordon__process_table_tick(struct cordon__process_table *table, pid_t root, pid_t group,
                                uint64_t now_ns)
{
    if (table->children_lists && now_ns >= table->walks.next_ns) {
        walk_tree(table, root, group);
        reschedule(&table->walks, now_ns);
        now_ns = cordon__now_ns();
    }
    if (now_ns >= table->sweeps.next_ns) {
        visit_all(table, root, group);
        reschedule(&table->sweeps, now_ns);
    }
}

static double ticks_ms(const struct cordon__process_table *table, unsigned long long ticks)
{
    return 1000.0 * (double)ticks / (double)table->ticks_per_second;
}

static bool has_parent_in_table(const struct cordon__process_table *table,
                                const process_entry *entry)
{
    for (size_t i = 0; i < table->count; i++) {
        if (table->entries[i].pid == entry->ppid && &table->entries[i] != entry)
            return true;
    }
    return false;
}

/* Depth-first from `entry`, children in the order they were first seen. */
static void write_subtree(FILE *out, struct cordon__process_table *table, process_entry *entry,
                          int depth)
{
    entry->printed = true;
    int indent = depth < MAX_INDENT ? depth : MAX_INDENT;
    /* The task names its processes (exec, PR_SET_NAME): its word, escaped
     * as a violation's path is, inside cordon's own table. */
    char name[4 * sizeof entry->comm + 1];
    cordon__escape_text(name, sizeof name, entry->comm, strnlen(entry->comm, sizeof entry->comm));
    /* A command's first process last seen before its exec bears the name
     * of the init whose memory it shares, and its figures are cordon's
     * start: said so, not shown as a process of the task's named so (a
     * short command's table held only "cordon-init", at the caller's
     * copy's rss). */
    if (strncmp(entry->comm, "cordon-init", sizeof entry->comm) == 0)
        snprintf(name, sizeof name, "(cordon's start of the task, seen before its exec)");
    fprintf(out, "  %7d %7d %10.1f %10.1f %10.1f %10ld  %*s%s\n", (int)entry->pid,
            (int)entry->ppid, ticks_ms(table, entry->utime + entry->stime),
            ticks_ms(table, entry->utime), ticks_ms(table, entry->stime),
            entry->peak_rss_pages * table->page_kb, 2 * indent, "", name);
    for (size_t i = 0; i < table->count; i++) {
        process_entry *child = &table->entries[i];
        if (!child->printed && child->ppid == entry->pid)
            write_subtree(out, table, child, depth + 1);
    }
}

void cordon__process_table_report(FILE *out, const struct cordon__process_table *table)
{
    /* The printed marks are the report's own scratch: work on a copy. */
    struct cordon__process_table *copy = malloc(sizeof *copy);
    if (!copy) {
        fprintf(out, "\nprocesses: (out of memory)\n");
        return;
    }
    memcpy(copy, table, sizeof *copy);
    fprintf(out, "\nprocesses of its group (/proc read %" PRIu64 " time%s for its tree, "
            "%" PRIu64 " for every process, every %.0f and %.0f ms; CPU as last seen, "
            "rss at its largest seen):\n", copy->walks.runs, copy->walks.runs == 1 ? "" : "s",
            copy->sweeps.runs,
            (double)copy->walks.interval_ns / 1e6, (double)copy->sweeps.interval_ns / 1e6);
    if (copy->count == 0) {
        fprintf(out, "  none seen (the task ended before the first scan)\n");
        free(copy);
        return;
    }
    fprintf(out, "      pid    ppid     cpu ms    user ms     sys ms    rss KiB  command\n");
    for (size_t i = 0; i < copy->count; i++) {
        if (!copy->entries[i].printed && !has_parent_in_table(copy, &copy->entries[i]))
            write_subtree(out, copy, &copy->entries[i], 0);
    }
    /* A reused pid can tie entries into a loop with no root: print them flat. */
    for (size_t i = 0; i < copy->count; i++) {
        if (!copy->entries[i].printed)
            write_subtree(out, copy, &copy->entries[i], 0);
    }
    if (copy->full)
        fprintf(out, "  ... and more processes: the table holds %d\n", PROCESS_ROWS);
    free(copy);
}
