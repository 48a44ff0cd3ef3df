/* Reading many audit files back (report, batch --resume): naming them by
 * file, directory or pattern, and reading their records one at a time.
 * An audit file is cordon's own writing, but a runner killed mid-line, a
 * full disk or a careless edit leaves lines that are not records: each is
 * said as FILE:LINE and skipped, never trusted. */
#ifndef CORDON_RUNNER_AUDIT_FILES_H
#define CORDON_RUNNER_AUDIT_FILES_H

#include <stdbool.h>
#include <stddef.h>

#include "json_read.h"

typedef struct path_list {
    char **items;
    size_t count;
} path_list;

/* Adds the files `arg` names: a file as given; a directory: its *.jsonl
 * files; a pattern with * ? or [ that names no file: the files it matches.
 * Sorted within one argument.  0, or -1 after a message under `option`.
 * With `need_one`, a directory holding no *.jsonl name is such an error
 * (report: a report of nothing read as one of a run where nothing failed);
 * without, it adds nothing (--resume: an audit directory no worker has
 * written to yet).  With `callers_only`, a file found by listing or by
 * pattern that another could have written (another user's, one every
 * user may write, a hard link) is said and skipped. */
int audit_files_add(path_list *list, const char *option, const char *arg, bool need_one,
                    bool callers_only);
/* Leaves out a file named again (a directory and a pattern over it, a
 * link): its records would count twice, every line of it "run several
 * times".  The first naming is kept. */
void audit_files_unique(path_list *list);
void audit_files_free(path_list *list);

typedef struct audit_reader {
    const char *option;         /* names the messages: "report", "--resume" */
    /* Called with each record; it may take e->command (set it to NULL). */
    void (*each)(void *user, audit_entry *e, const char *path, size_t lineno);
    void *user;
    size_t records, bad_lines;  /* counted over every file read */
    /* Only files of the caller's own that not every user may write: their
     * records decide what runs (--resume), and a task that could write
     * the directory could plant a success of its own. */
    bool callers_files_only;
} audit_reader;

/* Reads `path` record by record; names the first lines that are not
 * records (FILE:LINE), then says how many there were.  0, or -1 when the
 * file cannot be read (said). */
int audit_files_read(audit_reader *r, const char *path);

#endif
