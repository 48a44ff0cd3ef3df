/* Small helpers every subcommand uses. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "output.h"
#include "runner.h"
#include "terminal_text.h"

/* The length of the invisible formatting character that `at` starts
 * with (UTF-8), or 0: the bidirectional embeddings, overrides and isolates
 * (U+202A-U+202E, U+2066-U+2069), which reorder what follows them on the
 * screen, so that a command shown in a report or a summary reads as
 * another; and the characters that show nothing (U+200B-U+200F: zero
 * widths and marks, U+2060-U+2064, U+061C, U+FEFF: a byte-order mark in a
 * job line's first word made "cannot execute 'echo'" name what looked
 * like echo). */
static size_t invisible_format_length(const unsigned char *at, size_t left)
{
    if (left >= 2 && at[0] == 0xD8 && at[1] == 0x9C)
        return 2;
    if (left < 3)
        return 0;
    if (at[0] == 0xEF && at[1] == 0xBB && at[2] == 0xBF)
        return 3;
    if (at[0] != 0xE2)
        return 0;
    bool shown = !((at[1] == 0x80 && ((at[2] >= 0x8B && at[2] <= 0x8F) ||
                                      (at[2] >= 0xAA && at[2] <= 0xAE))) ||
                   (at[1] == 0x81 && ((at[2] >= 0xA0 && at[2] <= 0xA4) ||
                                      (at[2] >= 0xA6 && at[2] <= 0xA9))));
    return shown ? 0 : 3;
}

void runner_make_printable(char *text, size_t len)
{
    terminal_text fresh = { 0, 0 };
    terminal_text_clean(&fresh, text, len, false);
    runner_mark_invisible(text, len);
}

void runner_mark_invisible(char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        size_t n = invisible_format_length((const unsigned char *)text + i, len - i);
        if (n) {
            memset(text + i, '?', n);
            i += n - 1;
        }
    }
}

char *runner_fit_columns(char *text, size_t columns)
{
    size_t characters = 0, keep = 0;
    for (size_t i = 0; text[i]; i++) {
        if (((unsigned char)text[i] & 0xc0) == 0x80)
            continue; /* inside a character */
        if (characters + 3 == columns)
            keep = i;
        if (++characters > columns) {
            memcpy(text + keep, "...", 4);
            break;
        }
    }
    return text;
}

/* As long as it needs: a message names paths (PATH_MAX each) and what
 * was wrong after them; cut at a fixed 1 KiB, a long path lost the
 * reason.  Past this, its middle is cut, and said to be: its end, where
 * the reason is, stays (an argument of 100,000 characters had its error
 * end in the argument, the reason lost). */
#define RUNNER_ERROR_MAX (64 * 1024)
#define RUNNER_ERROR_TAIL 1024

/* `text` (its `len` bytes) as shown: whole, or its start and its end. */
static void write_error_line(const char *text, size_t len)
{
    static const char prefix[] = "cordon: ", cut[] = " ... (cut) ... ";
    bool shortened = len > RUNNER_ERROR_MAX;
    size_t head = shortened ? RUNNER_ERROR_MAX - RUNNER_ERROR_TAIL : len;
    size_t tail = shortened ? RUNNER_ERROR_TAIL : 0;
    size_t room = sizeof prefix - 1 + head + sizeof cut - 1 + tail + 1;
    char *line = malloc(room);
    if (!line) {
        (void)output_write_own(STDERR_FILENO, "cordon: out of memory\n", 22);
        return;
    }
    size_t at = sizeof prefix - 1;
    memcpy(line, prefix, at);
    memcpy(line + at, text, head);
    at += head;
    if (shortened) {
        memcpy(line + at, cut, sizeof cut - 1);
        at += sizeof cut - 1;
        memcpy(line + at, text + len - tail, tail);
        at += tail;
    }
    /* Messages name paths and text from files a task may have written (an
     * audit directory's file names, a record's command): no byte of them
     * may move the cursor, clear the screen or split the line. */
    runner_make_printable(line + sizeof prefix - 1, at - (sizeof prefix - 1));
    line[at++] = '\n';
    (void)output_write_own(STDERR_FILENO, line, at);
    free(line);
}

void runner_error(const char *fmt, ...)
{
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int wanted = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    size_t len = wanted < 0 ? 0 : (size_t)wanted;
    char *text = malloc(len + 1);
    if (text && wanted > 0)
        vsnprintf(text, len + 1, fmt, again);
    va_end(again);
    if (!text) {
        (void)output_write_own(STDERR_FILENO, "cordon: out of memory\n", 22);
        return;
    }
    write_error_line(text, wanted > 0 ? len : 0);
    free(text);
}

bool runner_is_help_word(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

const char *runner_option_value(const char *word, const char *name)
{
    size_t len = strlen(name);
    return strncmp(word, name, len) == 0 && word[len] == '=' ? word + len + 1 : NULL;
}

size_t runner_path_length(const char *path)
{
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        len--;
    return len;
}

bool runner_help_word_among(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (runner_is_help_word(argv[i]))
            return true;
    return false;
}

int runner_take_once(const char *name, const char **given, const char *value)
{
    if (*given) {
        runner_error("%s given twice ('%s', then '%s'): it takes one value", name, *given,
                     value);
        return -1;
    }
    *given = value;
    return 0;
}

static void out_of_memory(void)
{
    runner_error("out of memory");
    exit(RUNNER_EXIT_OWN_ERROR);
}

void *runner_alloc(size_t size)
{
    void *p = calloc(1, size ? size : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *runner_realloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p)
        out_of_memory();
    return p;
}

char *runner_strdup(const char *s)
{
    char *copy = strdup(s);
    if (!copy)
        out_of_memory();
    return copy;
}

int runner_flush_stdout(void)
{
    int rc = fflush(stdout);
    int saved = errno;
    if (rc == 0 && !ferror(stdout))
        return 0;
    if (rc != 0)
        runner_error("cannot write to stdout: %s", strerror(saved));
    else
        runner_error("cannot write to stdout");
    return -1;
}

int runner_print_text(const char *text)
{
    if (runner_flush_stdout() < 0)
        return -1;
    errno = 0;
    if (runner_write_all(STDOUT_FILENO, text, strlen(text)) == 0)
        return 0;
    int saved = errno;
    /* `cordon run --help | head -1`: the reader took what it wanted and
     * went.  Nothing was lost that anyone would read. */
    if (saved == EPIPE)
        return 0;
    if (saved)
        runner_error("cannot write to stdout: %s", strerror(saved));
    else
        runner_error("cannot write to stdout");
    return -1;
}

void runner_library_failed(const char *what, int rc, int saved)
{
    if (rc == -EIO && ferror(stdout)) {
        if (saved && saved != EIO)
            runner_error("cannot write to stdout: %s", strerror(saved));
        else
            runner_error("cannot write to stdout");
        return;
    }
    runner_error("%s: %s", what, strerror(-rc));
}

int runner_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

unsigned long long runner_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000u;
}

/* getline with a bound: a line of more than RUNNER_LINE_MAX bytes (a
 * planted sparse file with no newline would be read whole into memory)
 * ends the reading with EFBIG.  The line's length, or -1 at the end or
 * on an error. */
static ssize_t read_bounded_line(char **line, size_t *cap, FILE *in)
{
    size_t len = 0;
    int c;
    flockfile(in);
    while ((c = getc_unlocked(in)) != EOF) {
        if (len + 2 > *cap) {
            size_t grown = *cap ? *cap * 2 : 4096;
            char *bigger = len + 2 > RUNNER_LINE_MAX ? NULL : realloc(*line, grown);
            if (!bigger) {
                funlockfile(in);
                errno = len + 2 > RUNNER_LINE_MAX ? EFBIG : ENOMEM;
                return -1;
            }
            *line = bigger;
            *cap = grown;
        }
        (*line)[len++] = (char)c;
        if (c == '\n')
            break;
    }
    funlockfile(in);
    if (len == 0)
        return -1;
    (*line)[len] = '\0';
    return (ssize_t)len;
}

int runner_read_stream(const char *command, const char *name, FILE *in, runner_line_fn each,
                       void *user)
{
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t n;
    errno = 0;
    while ((n = read_bounded_line(&line, &cap, in)) >= 0)
        each(user, line, (size_t)n, ++lineno);
    int saved = errno;
    free(line);
    if (saved == EFBIG) {
        runner_error("%s: line %zu of '%s' is longer than %zu MiB: not read further", command,
                     lineno + 1, name, RUNNER_LINE_MAX >> 20);
        return -1;
    }
    /* getline fails without setting the stream's error flag when a line
     * does not fit in memory: short of the end, the rest was not read,
     * and a reader that stopped there would count lines that are not. */
    if (ferror(in) || !feof(in)) {
        runner_error("%s: cannot read '%s' past line %zu: %s", command, name, lineno,
                     strerror(saved ? saved : EIO));
        return -1;
    }
    return 0;
}

/* A FIFO the user named is read as `cat` reads it: waiting for its writer
 * to come (before, one not yet opened by its writer read as empty, the
 * batch ran nothing, exit 0, and the writer then waited for a reader for
 * good).  A FIFO of another user's (one planted where a file was
 * expected, by a task a root runner ran as nobody) is refused instead of
 * waited on.  0, or -1 with errno set. */
static int wait_for_a_writer(const char *command, const char *path, int fd)
{
    struct stat st;
    if (fstat(fd, &st) < 0) {
        runner_error("%s: cannot read '%s': %s", command, path, strerror(errno));
        return -1;
    }
    if (!S_ISFIFO(st.st_mode))
        return 0;
    if (st.st_uid != geteuid()) {
        runner_error("%s: '%s' is a FIFO of another user (uid %u); cordon waits for a writer "
                     "only on its caller's own", command, path, (unsigned)st.st_uid);
        return -1;
    }
    /* No event until a writer has come: POLLIN once it wrote, POLLHUP
     * once it left without writing. */
    struct pollfd fifo = { .fd = fd, .events = POLLIN };
    int ready;
    do
        ready = poll(&fifo, 1, -1);
    while (ready < 0 && errno == EINTR);
    if (ready < 0)
        runner_error("%s: cannot read '%s': %s", command, path, strerror(errno));
    return ready < 0 ? -1 : 0;
}

/* Opened non-blocking (open() itself would wait for a FIFO's writer, and
 * is refused for another user's below), then blocking again: a pipe the
 * user gave (<(command)) reads as ever. */
static FILE *open_for_reading(const char *command, const char *path)
{
    int fd;
    do
        fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd >= 0 && wait_for_a_writer(command, path, fd) < 0) {
        close(fd);
        return NULL; /* said */
    }
    int flags = fd < 0 ? -1 : fcntl(fd, F_GETFL);
    FILE *in = flags >= 0 && fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0 ? fdopen(fd, "r") : NULL;
    if (!in) {
        runner_error("%s: cannot read '%s': %s", command, path, strerror(errno));
        if (fd >= 0)
            close(fd);
    }
    return in;
}

int runner_read_lines(const char *command, const char *path, runner_line_fn each, void *user)
{
    bool from_stdin = !path || strcmp(path, "-") == 0;
    FILE *in = from_stdin ? stdin : open_for_reading(command, path);
    if (!in)
        return -1; /* said */
    int rc = runner_read_stream(command, from_stdin ? "stdin" : path, in, each, user);
    if (!from_stdin)
        fclose(in);
    return rc;
}
