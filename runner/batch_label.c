/* Labelling a task's output line by line, through a buffer of fixed size:
 * a task that prints 64 MiB of newlines must not make cordon hold ten
 * times that.  The caller holds batch's lock, so that the pieces of one
 * task's output are not interleaved with another's. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_label.h"
#include "output.h"
#include "runner.h"

#define CHUNK 65536

typedef struct labelled {
    int fd;
    char *buf;
    size_t len;
    int rc;
} labelled;

static void flush(labelled *l)
{
    if (l->len && output_write(l->fd, l->buf, l->len) < 0)
        l->rc = -1;
    l->len = 0;
}

static void put(labelled *l, const char *data, size_t len)
{
    while (len > 0) {
        if (l->len == CHUNK)
            flush(l);
        size_t n = CHUNK - l->len < len ? CHUNK - l->len : len;
        memcpy(l->buf + l->len, data, n);
        l->len += n;
        data += n;
        len -= n;
    }
}

int batch_label_write(int fd, size_t lineno, const char *data, size_t len)
{
    if (len == 0)
        return 0;
    labelled l = { fd, runner_alloc(CHUNK), 0, 0 };
    char label[32];
    int label_len = snprintf(label, sizeof label, "[%zu] ", lineno);
    for (const char *p = data, *end = data + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t piece = nl ? (size_t)(nl + 1 - p) : (size_t)(end - p);
        put(&l, label, (size_t)label_len);
        put(&l, p, piece);
        p += piece;
    }
    if (data[len - 1] != '\n')
        put(&l, "\n", 1);
    flush(&l);
    free(l.buf);
    return l.rc;
}
