/* What every part of the cordon command shares: its messages and exits. */
#ifndef CORDON_RUNNER_H
#define CORDON_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Replaces in place each byte of `text` that a terminal could take as a
 * control (C0, DEL, C1 as UTF-8, bytes of no UTF-8 sequence) by '?', and
 * each bidirectional embedding, override or isolate (U+202A-U+202E,
 * U+2066-U+2069: they reorder what is shown) and each formatting
 * character that shows nothing (U+200B-U+200F, U+2060-U+2064, U+061C,
 * U+FEFF) by as many '?' as its bytes.  cordon's own
 * lines only: a task's output keeps them (right-to-left text uses them). */
void runner_make_printable(char *text, size_t len);
/* Only the second half of that: a text whose controls were escaped
 * already (the library's messages, which keep their newlines). */
void runner_mark_invisible(char *text, size_t len);
/* `text` cut to `columns` characters (at least 4) where it is longer, at
 * a character's start (a byte count splits a UTF-8 sequence), the cut
 * marked with "..."; returns `text`. */
char *runner_fit_columns(char *text, size_t columns);

/* Exit statuses of the command, after timeout(1) and env(1). */
enum {
    RUNNER_EXIT_TIMEOUT = 124,
    RUNNER_EXIT_OWN_ERROR = 125,
    RUNNER_EXIT_NOT_EXECUTABLE = 126,
    RUNNER_EXIT_NOT_FOUND = 127,
    /* A PolicyViolation: what a seccomp kill (SIGSYS, 31) looks like, and
     * not 137, which an OOM kill or any SIGKILL gives too. */
    RUNNER_EXIT_POLICY_VIOLATION = 128 + 31,
};

/* Writes "cordon: <message>\n" to stderr as one write, so that messages of
 * concurrent tasks never interleave. */
void runner_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Takes `value` for an option that takes one value, into *given; one
 * given already is an error naming the option and both values (the last
 * one would silently have won). */
int runner_take_once(const char *name, const char **given, const char *value);

/* Whether `arg` asks for help ("--help" or "-h"): as any word before the
 * end of a command's options, an option's value included ("--shell -h"
 * ran `sh -c -h`; a value that is one of these is given as "--shell=-h"). */
bool runner_is_help_word(const char *arg);
/* Whether any of argv[1..argc) before a "--" is such a word: for the
 * commands whose every word comes before any command of a task's (policy,
 * report); past a "--" a word is a name (`policy explain P -- --help`
 * printed the help). */
bool runner_help_word_among(int argc, char **argv);
/* The value of `word` when it is the option `name` given one joined
 * ("--out=F": "F"; "--out=": ""), else NULL ("--out", "--output"). */
const char *runner_option_value(const char *word, const char *name);
/* The length of `path` without its trailing slashes ("new/" names "new";
 * "/" stays itself). */
size_t runner_path_length(const char *path);

/* `one` when n is 1, else `many`: the noun after a count in a message. */
static inline const char *runner_plural(unsigned long long n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* Allocation that cannot fail: the command has nothing sensible to do
 * without memory, so it says so and exits 125. */
void *runner_alloc(size_t size);
void *runner_realloc(void *ptr, size_t size);
char *runner_strdup(const char *s);

/* Flushes what was printed to stdout; when stdout did not take all of it
 * (a full disk, a reader gone), says so: 0, or -1. */
int runner_flush_stdout(void);
/* Writes help or the version, `text`, to stdout: 0, also when the reader
 * went away before the end (EPIPE: `cordon --help | head -1` is no error,
 * and says nothing); -1 after saying any other failure (a full disk). */
int runner_print_text(const char *text);
/* A library call that writes to stdout (cordon_policy_show, _diff, …)
 * returned the negative errno `rc`, and errno was `saved` just after it.
 * Says why: when stdout is what failed (the library returns -EIO for any
 * error of its FILE), as cordon's own output failure, with the failed
 * write's errno ("cannot write to stdout: Broken pipe"); else
 * "WHAT: error". */
void runner_library_failed(const char *what, int rc, int saved);

/* Writes all of `data` to `fd`, retrying short writes; -1 on error. */
int runner_write_all(int fd, const void *data, size_t len);

/* Monotonic clock in microseconds. */
unsigned long long runner_now_us(void);

/* Calls `each` with every line of `path` ("-" or NULL: stdin), newline
 * included, numbered from 1.  0, or -1 after saying on stderr, under the
 * name of `command`, what could not be read. */
typedef void (*runner_line_fn)(void *user, char *line, size_t len, size_t lineno);
int runner_read_lines(const char *command, const char *path, runner_line_fn each, void *user);
/* The longest line runner_read_stream reads (an audit line with
 * --audit-output full holds whole outputs, capped by --out-cap). */
#define RUNNER_LINE_MAX ((size_t)256 << 20)
/* The same over a stream already open; `name` is said in messages. */
int runner_read_stream(const char *command, const char *name, FILE *in, runner_line_fn each,
                       void *user);

/* The subcommands; each returns the process's exit status. */
int run_command_main(int argc, char **argv);
int batch_main(int argc, char **argv);
int policy_main(int argc, char **argv);
int report_main(int argc, char **argv);
int learn_main(int argc, char **argv);

#endif
