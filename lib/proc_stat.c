/* /proc/PID/stat, read for the profiler's process table and for the CPU
 * time of a task's tree (the parent's scans, and the init's own count of
 * it, lib/init_cpu_limit.c): one reader and one parser for all, and the
 * boot clock in the ticks its start times are given in.  The
 * parser is async-signal-safe (no strtok, no strtoll), as the init needs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static void store_field(cordon__proc_stat *stat, int field, long long value)
{
    switch (field) {
    case 4: stat->ppid = (pid_t)value; break;
    case 5: stat->pgrp = (pid_t)value; break;
    case 6: stat->session = (pid_t)value; break;
    case 7: stat->tty_nr = (int)value; break;
    case 9: stat->flags = (unsigned)value; break;
    case 14: stat->utime = (unsigned long long)value; break;
    case 15: stat->stime = (unsigned long long)value; break;
    case 16: stat->cutime = value > 0 ? (unsigned long long)value : 0; break;
    case 17: stat->cstime = value > 0 ? (unsigned long long)value : 0; break;
    case 20: stat->threads = (long)value; break;
    case 22: stat->start_time = (unsigned long long)value; break;
    case 24: stat->rss_pages = (long)value; break;
    default: break;
    }
}

/* The field at `s` (blanks before it skipped) as a number, 0 for one
 * that is none (the state letter); the text past it, or NULL at the end. */
static const char *next_field(const char *s, long long *value)
{
    while (*s == ' ')
        s++;
    if (!*s)
        return NULL;
    bool negative = *s == '-';
    s += negative;
    unsigned long long v = 0;
    for (; *s >= '0' && *s <= '9'; s++)
        v = v * 10 + (unsigned long long)(*s - '0');
    while (*s && *s != ' ')
        s++;
    *value = negative ? -(long long)v : (long long)v;
    return s;
}

/* "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses,
 * so the numbered fields start after the last ')'. */
bool cordon__proc_stat_parse(const char *text, cordon__proc_stat *stat)
{
    const char *open = strchr(text, '(');
    const char *close = strrchr(text, ')');
    if (!open || !close || close < open)
        return false;
    size_t len = (size_t)(close - open - 1);
    if (len >= sizeof stat->comm)
        len = sizeof stat->comm - 1;
    memcpy(stat->comm, open + 1, len);
    stat->comm[len] = '\0';
    /* Field 3 is the state letter; the rest wanted are numbers. */
    const char *cursor = close + 1;
    while (*cursor == ' ')
        cursor++;
    stat->state = *cursor;
    for (int field = 3; field <= 24; field++) {
        long long value;
        if (!(cursor = next_field(cursor, &value)))
            return false;
        store_field(stat, field, value);
    }
    return true;
}

bool cordon__proc_stat_read(pid_t pid, cordon__proc_stat *stat)
{
    char path[64], text[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    return cordon__read_small_file(path, text, sizeof text) > 0 &&
           cordon__proc_stat_parse(text, stat);
}

bool cordon__proc_stat_read_thread(pid_t pid, const char *tid, cordon__proc_stat *stat)
{
    char path[96], text[1024];
    snprintf(path, sizeof path, "/proc/%d/task/%.24s/stat", (int)pid, tid);
    return cordon__read_small_file(path, text, sizeof text) > 0 &&
           cordon__proc_stat_parse(text, stat);
}

/* Boot time in clock ticks, as /proc gives a process's start. */
unsigned long long cordon__boot_ticks(void)
{
    struct timespec now;
    long ticks = sysconf(_SC_CLK_TCK);
    if (clock_gettime(CLOCK_BOOTTIME, &now) != 0 || ticks <= 0)
        return 0;
    return (unsigned long long)now.tv_sec * (unsigned long long)ticks +
           (unsigned long long)now.tv_nsec / (1000000000ull / (unsigned long long)ticks);
}
