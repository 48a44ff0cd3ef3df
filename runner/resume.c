/* Matching audit records against the tasks of a job file.  The records
 * stream past; the tasks, read in line order, are found by binary search,
 * so a resume costs one pass over the audit files and no copy of them. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "audit_files.h"
#include "resume.h"
#include "runner.h"

typedef struct matching {
    batch_task *tasks;
    size_t count;
} matching;

static batch_task *find_line(const matching *m, uint64_t lineno)
{
    size_t lo = 0, hi = m->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->tasks[mid].lineno == lineno)
            return &m->tasks[mid];
        if (m->tasks[mid].lineno < lineno)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static void take_record(void *user, audit_entry *e, const char *path, size_t lineno)
{
    (void)path, (void)lineno;
    const matching *m = user;
    if (!e->line || !audit_entry_succeeded(e))
        return;
    batch_task *t = find_line(m, e->line);
    if (t && strcmp(t->line, e->command) == 0)
        t->resumed = true;
}

/* Takes the resumed tasks out, keeping the others in order. */
static size_t remove_resumed(batch_task *tasks, size_t *count)
{
    size_t kept = 0, removed = 0;
    for (size_t i = 0; i < *count; i++) {
        if (tasks[i].resumed) {
            free(tasks[i].line);
            removed++;
        } else {
            tasks[kept++] = tasks[i];
        }
    }
    *count = kept;
    return removed;
}

int resume_skip_done(const char *const *args, size_t nargs, batch_task *tasks, size_t *count,
                     size_t *skipped)
{
    path_list files = { NULL, 0 };
    int rc = 0;
    for (size_t i = 0; i < nargs && rc == 0; i++)
        rc = audit_files_add(&files, "--resume", args[i], false, true);
    audit_files_unique(&files);
    matching m = { tasks, *count };
    audit_reader reader = { "--resume", take_record, &m, 0, 0, true };
    for (size_t i = 0; i < files.count && rc == 0; i++)
        rc = audit_files_read(&reader, files.items[i]);
    audit_files_free(&files);
    if (rc < 0)
        return -1;
    *skipped = remove_resumed(tasks, count);
    return 0;
}
