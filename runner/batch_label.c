/* Labelling a task's output line by line, through a buffer of fixed size:
 * a task that prints 64 MiB of newlines must not make cordon hold ten
 * times that.  The caller holds batch's lock, so that the pieces of one
 * task's output are not interleaved with another's.  Bound for a
 * terminal, the task's bytes are cleaned in the buffer as they are
 * copied (terminal_text.h), the labels never. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_label.h"
#include "output.h"
#include "runner.h"
#include "terminal_text.h"

#define CHUNK 65536

typedef struct labelled {
    int fd;
    char *buf;
    size_t len;
    int rc;
    bool clean;
    terminal_text state;
} labelled;

static void flush(labelled *l)
{
    if (l->len && output_write(l->fd, l->buf, l->len) < 0)
        l->rc = -1;
    l->len = 0;
}

/* Copies `data` into the buffer; the task's bytes (`task`) cleaned there
 * when they go to a terminal. */
static void put(labelled *l, const char *data, size_t len, bool task)
{
    while (len > 0) {
        if (l->len == CHUNK)
            flush(l);
        size_t n = CHUNK - l->len < len ? CHUNK - l->len : len;
        memcpy(l->buf + l->len, data, n);
        if (task && l->clean)
            terminal_text_clean(&l->state, l->buf + l->len, n, true);
        l->len += n;
        data += n;
        len -= n;
    }
}

static int write_output(int fd, const char *label, const char *data, size_t len, bool clean)
{
    if (len == 0)
        return 0;
    labelled l = { fd, runner_alloc(CHUNK), 0, 0, clean, { 0, 0 } };
    for (const char *p = data, *end = data + len; p < end;) {
        const char *nl = label ? memchr(p, '\n', (size_t)(end - p)) : NULL;
        size_t piece = nl ? (size_t)(nl + 1 - p) : (size_t)(end - p);
        if (label)
            put(&l, label, strlen(label), false);
        put(&l, p, piece, true);
        p += piece;
    }
    if (label && data[len - 1] != '\n')
        put(&l, "\n", 1, false);
    flush(&l);
    free(l.buf);
    return l.rc;
}

int batch_label_write(int fd, size_t lineno, const char *data, size_t len, bool clean)
{
    char label[32];
    snprintf(label, sizeof label, "[%zu] ", lineno);
    return write_output(fd, label, data, len, clean);
}

int batch_plain_write(int fd, const char *data, size_t len, bool clean)
{
    return write_output(fd, NULL, data, len, clean);
}
