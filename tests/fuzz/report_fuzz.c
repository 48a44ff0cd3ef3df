/*
 * libFuzzer target for `cordon report` (make fuzz): an audit file may hold
 * anything (a torn line, a line a task forged into it, a file that is not
 * an audit file at all).  Each line alone goes through the audit reader,
 * then the whole input as a file through the report, which must read it,
 * refuse what is not a record and print the rest without crashing, leaking
 * or reading out of bounds.  The first byte picks the sort key and --top.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../runner/json_read.h"
#include "../../runner/runner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_each_line(const char *text, size_t size)
{
    const char *end = text + size;
    for (const char *line = text; line < end;) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t len = nl ? (size_t)(nl - line) + 1 : (size_t)(end - line);
        audit_entry e;
        if (audit_entry_parse(line, len, &e) == 0) {
            if (!e.command || !memchr(e.outcome, '\0', sizeof e.outcome))
                abort();
            free(e.command);
        } else if (e.command) {
            abort(); /* a refused line leaves nothing to free */
        }
        line += len;
    }
}

static void report_file(const uint8_t *data, size_t size, uint8_t choice)
{
    int fd = memfd_create("audit", MFD_CLOEXEC);
    if (fd < 0)
        abort();
    if (size && write(fd, data, size) != (ssize_t)size)
        abort();
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    static const char *const sorts[] = { "--sort=cpu", "--sort=rss", "--sort=wall", "--sort=cpu" };
    static const char *const tops[] = { "--top=0", "--top=1", "--top=3", "--top=20" };
    char *argv[] = { "report", (char *)sorts[choice & 3], (char *)tops[choice >> 2 & 3], path,
                     NULL };
    int status = report_main(4, argv);
    if (status != 0 && status != 1)
        abort(); /* 125 only when the file cannot be read, and it can */
    fflush(stdout);
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t choice = size ? data[0] : 0;
    parse_each_line((const char *)data, size);
    report_file(data, size, choice);
    return 0;
}
