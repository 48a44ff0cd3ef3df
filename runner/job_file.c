/* Reading the jobs of a job file. */
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "job_file.h"
#include "runner.h"

typedef struct reading {
    job_fn each;
    void *user;
    const char *command, *path;
    size_t nul_lines;
} reading;

static int is_job(const char *line)
{
    line += strspn(line, " \t");
    return *line && *line != '#';
}

static void take_line(void *user, char *line, size_t len, size_t lineno)
{
    reading *r = user;
    /* After a NUL line no job is taken: the file is refused (a batch
     * reading a stream has started the lines before it, none after). */
    if (r->nul_lines)
        return;
    /* A job is a C string: past a NUL byte the rest of the line would be
     * dropped and a shorter command run (or matched by --resume, or by
     * report --jobs) as if it were the line. */
    if (memchr(line, '\0', len)) {
        if (r->nul_lines++ == 0)
            runner_error("%s: %s:%zu: a NUL byte in the line; a job file is text", r->command,
                         r->path && strcmp(r->path, "-") != 0 ? r->path : "stdin", lineno);
        return;
    }
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        line[--len] = '\0';
    /* An editor's UTF-8 byte order mark starts the file, not the first
     * job: run, it was the command "\xEF\xBB\xBFecho", said as the
     * invisible "cannot execute 'echo'". */
    if (lineno == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0)
        line += 3;
    if (is_job(line))
        r->each(r->user, line, lineno);
}

int job_file_check(const char *command, const char *path)
{
    /* A directory opens for reading; its first read fails with EISDIR,
     * said as "cannot read '/tmp' past line 0" (and batch, streaming it,
     * had its summary of no task follow).  What cannot be stat'ed is left
     * to the open, which says why. */
    bool from_stdin = !path || strcmp(path, "-") == 0;
    struct stat st;
    if ((from_stdin ? fstat(STDIN_FILENO, &st) : stat(path, &st)) < 0 || !S_ISDIR(st.st_mode))
        return 0;
    if (from_stdin)
        runner_error("%s: stdin is a directory, not a job file", command);
    else
        runner_error("%s: '%s' is a directory, not a job file", command, path);
    return -1;
}

int job_file_read(const char *command, const char *path, job_fn each, void *user)
{
    if (job_file_check(command, path) < 0)
        return -1;
    reading r = { each, user, command, path, 0 };
    int rc = runner_read_lines(command, path, take_line, &r);
    return rc < 0 || r.nul_lines ? -1 : 0;
}
