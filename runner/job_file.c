/* Reading the jobs of a job file. */
#include <string.h>

#include "job_file.h"
#include "runner.h"

typedef struct reading {
    job_fn each;
    void *user;
} reading;

static int is_job(const char *line)
{
    line += strspn(line, " \t");
    return *line && *line != '#';
}

static void take_line(void *user, char *line, size_t len, size_t lineno)
{
    const reading *r = user;
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        line[--len] = '\0';
    if (is_job(line))
        r->each(r->user, line, lineno);
}

int job_file_read(const char *command, const char *path, job_fn each, void *user)
{
    reading r = { each, user };
    return runner_read_lines(command, path, take_line, &r);
}
