/* Why a command's exec failed, said so that a user can act on it: the
 * parent looks, after the fact, at what the task was refused. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "../sandbox/text_escape.h"

/* execvp's rule (lib/child.c) reports EACCES when any candidate said so,
 * and a directory of PATH the task may not search says so for every name
 * (root's PATH holds /root/.local/bin, and the CLI runs tasks as nobody):
 * a misspelt command would read "Permission denied".  When the caller,
 * looking with its own rights, finds the name in no directory of the
 * PATH the task was given, no candidate was a file refused: the name was
 * not found.  A candidate the caller cannot look at either, or one it
 * finds, leaves the EACCES as it was. */
bool cordon__exec_nowhere_in_path(const cordon_task *t, const cordon__launch *launch, int error)
{
    if (error != EACCES || strchr(t->argv[0], '/') || !launch->exec_paths)
        return false;
    for (char **path = launch->exec_paths; *path; path++) {
        if (faccessat(AT_FDCWD, *path, F_OK, AT_EACCESS) == 0)
            return false;
        if (errno != ENOENT && errno != ENOTDIR)
            return false;
    }
    return true;
}

void cordon__explain_hidden(cordon_task *t, const char *path, const char *what)
{
    char joined[PATH_MAX];
    if (path[0] != '/' && t->cwd && path != t->cwd) {
        if (snprintf(joined, sizeof joined, "%s/%s", t->cwd, path) >= (int)sizeof joined)
            return;
        path = joined;
    }
    const char *mount = cordon__isolation_hiding_tmpfs(t->isolation, path);
    if (mount)
        cordon__buffer_printf(&t->exc_out,
                              "  (%s lies beneath %s, where the task has an empty tmpfs of "
                              "its own; use one elsewhere, e.g. in /var/tmp, or bind it in)\n",
                              what, mount);
}

/* The file a command's exec tried, as the caller sees it: argv[0] with a
 * '/' (beneath the task's working directory when relative), else the
 * first candidate of its PATH that exists.  NULL when there is none;
 * the caller frees the result. */
static char *program_tried(const cordon_task *t, const cordon__launch *launch)
{
    const char *name = t->argv[0];
    char joined[PATH_MAX];
    if (strchr(name, '/')) {
        if (name[0] != '/' && t->cwd) {
            if (snprintf(joined, sizeof joined, "%s/%s", t->cwd, name) >= (int)sizeof joined)
                return NULL;
            name = joined;
        }
        return realpath(name, NULL);
    }
    for (char **path = launch->exec_paths; path && *path; path++)
        if (faccessat(AT_FDCWD, *path, F_OK, AT_EACCESS) == 0)
            return realpath(*path, NULL);
    return NULL;
}

/* `program` (resolved) is `granted` or lies beneath it. */
static bool grant_covers(const char *granted, const char *program)
{
    char *real = realpath(granted, NULL);
    if (!real)
        return false;
    size_t len = strlen(real);
    bool covers = strncmp(program, real, len) == 0 &&
                  (program[len] == '\0' || program[len] == '/' || (len == 1 && real[0] == '/'));
    free(real);
    return covers;
}

static bool some_grant_executes(const cordon__launch *launch, const char *program)
{
    for (size_t i = 0; i < launch->file_rule_count; i++) {
        const cordon__path_rule *r = &launch->file_rules[i];
        if ((r->access & CORDON_EXEC) &&
            grant_covers(r->resolved ? r->resolved : r->path, program))
            return true;
    }
    for (size_t i = 0; i < launch->bind_count; i++)
        if ((launch->bind_access[i] & CORDON_EXEC) &&
            grant_covers(launch->binds[i].target, program))
            return true;
    return false;
}

/* A program of the system's, which cordon_allow_system_paths grants with
 * the loader and the libraries it needs: EXEC on its directory alone
 * still leaves them unreadable. */
static bool a_system_program(const char *program)
{
    static const char *const directories[] = { "/usr/", "/bin/", "/sbin/", "/lib" };
    for (size_t i = 0; i < sizeof directories / sizeof *directories; i++)
        if (strncmp(program, directories[i], strlen(directories[i])) == 0)
            return true;
    return false;
}

/* The file the kernel runs `program` with: a script's interpreter (its
 * "#!" line) or a dynamic program's loader (its PT_INTERP), in `out`;
 * false for none, or where the caller cannot read the program (or it is
 * no regular file: an earlier task can leave anything at the program's
 * name, in a directory it could write — a FIFO held the caller in its
 * open for good, and a device's open, a watchdog's, a tape's, acts, with
 * the caller's rights; see cordon__open_regular_file). */
static bool interpreter_of(const char *program, char *out, size_t size)
{
    int fd = cordon__open_regular_file(program);
    if (fd < 0)
        return false;
    unsigned char head[256];
    ssize_t n = pread(fd, head, sizeof head, 0);
    bool found = false;
    if (n > 2 && head[0] == '#' && head[1] == '!') {
        size_t at = 2, end;
        while (at < (size_t)n && (head[at] == ' ' || head[at] == '\t'))
            at++;
        for (end = at; end < (size_t)n && head[end] != ' ' && head[end] != '\t' && head[end] != '\n';)
            end++;
        if ((found = end > at && end - at < size)) {
            memcpy(out, head + at, end - at);
            out[end - at] = '\0';
        }
    } else if (n >= (ssize_t)sizeof(Elf64_Ehdr) && !memcmp(head, ELFMAG, SELFMAG) &&
               head[EI_CLASS] == ELFCLASS64) {
        Elf64_Ehdr header;
        memcpy(&header, head, sizeof header);
        for (unsigned i = 0; i < header.e_phnum && !found; i++) {
            Elf64_Phdr segment;
            off_t at = (off_t)(header.e_phoff + (uint64_t)i * header.e_phentsize);
            if (pread(fd, &segment, sizeof segment, at) != (ssize_t)sizeof segment)
                break;
            if (segment.p_type == PT_INTERP && segment.p_filesz > 1 && segment.p_filesz < size &&
                pread(fd, out, segment.p_filesz, (off_t)segment.p_offset) ==
                    (ssize_t)segment.p_filesz) {
                out[segment.p_filesz - 1] = '\0';
                found = out[0] == '/';
            }
        }
    }
    close(fd);
    return found;
}

/* A program granted whose interpreter or loader is not: Landlock refuses
 * that exec with the same "Permission denied", naming nothing. */
static void explain_ungranted_interpreter(cordon_task *t, const cordon__launch *launch,
                                          const char *program)
{
    char interpreter[PATH_MAX];
    if (!interpreter_of(program, interpreter, sizeof interpreter))
        return;
    char *real = realpath(interpreter, NULL);
    if (real && !some_grant_executes(launch, real)) {
        char shown[1024], by[1024];
        cordon__escape_text_keeping_utf8(shown, sizeof shown, program, strlen(program));
        cordon__escape_text_keeping_utf8(by, sizeof by, interpreter, strlen(interpreter));
        cordon__buffer_printf(&t->exc_out,
                              "  (%s is granted, but not %s, which the kernel runs it with: "
                              "cordon_allow_system_paths grants the system's loader, "
                              "interpreters and libraries, as cordon run does with any file "
                              "option)\n",
                              shown, by);
    }
    free(real);
}

/* A program that is there but whose interpreter (its "#!" line) or
 * loader is not: the exec says "No such file or directory" of a file
 * the user can see. */
static void explain_missing_interpreter(cordon_task *t, const cordon__launch *launch)
{
    char *program = program_tried(t, launch);
    char interpreter[PATH_MAX];
    struct stat st;
    /* Looked at as the caller sees them: not where the task's view hides
     * either (then it was that, said by cordon__explain_hidden). */
    if (program && !cordon__isolation_hiding_tmpfs(t->isolation, program) &&
        interpreter_of(program, interpreter, sizeof interpreter) && interpreter[0] == '/' &&
        !cordon__isolation_hiding_tmpfs(t->isolation, interpreter) &&
        stat(interpreter, &st) != 0 && errno == ENOENT) {
        char by[1024];
        cordon__escape_text_keeping_utf8(by, sizeof by, interpreter, strlen(interpreter));
        cordon__buffer_printf(&t->exc_out,
                              "  (the program is there, but %s, which the kernel runs it "
                              "with, is not)\n",
                              by);
    }
    free(program);
}

/* A task run as another user than the caller's (a root caller's task
 * runs as nobody) may not reach a program given by its path that the
 * caller may: "Permission denied" alone (cordon run -- /root/tool) left
 * the caller to guess why, where a relative one was explained. */
static void explain_other_user(cordon_task *t, const cordon__launch *launch)
{
    if (!launch->switch_user || launch->uid == geteuid() || !strchr(t->argv[0], '/'))
        return;
    char *program = program_tried(t, launch);
    if (program && access(program, X_OK) == 0) {
        char shown[1024];
        cordon__escape_text_keeping_utf8(shown, sizeof shown, program, strlen(program));
        cordon__buffer_printf(&t->exc_out,
                              "  (the task runs as user %u%s, which may not reach or execute "
                              "'%s' where this process's user may: give that user access to it "
                              "and the directories above it, or run the task as this process's "
                              "user: cordon run --user, cordon_set_user)\n",
                              (unsigned)launch->uid, launch->uid == 65534 ? " (nobody)" : "",
                              shown);
    }
    free(program);
}

/* Landlock refuses to execute a file no rule grants EXEC on, and the
 * exec says only "Permission denied": a directory given READ|WRITE for
 * a submission to run from (the judge preset's scratch) looks granted.
 * When the task had file rules and none lets it execute the program,
 * the ExecError says which grant is missing; without them, whether its
 * user is another than the caller's. */
void cordon__explain_unexecutable(cordon_task *t, const cordon__launch *launch, int error)
{
    if (error == ENOENT)
        explain_missing_interpreter(t, launch);
    if (error != EACCES)
        return;
    if (!launch->owns_ruleset) {
        explain_other_user(t, launch);
        return;
    }
    char *program = program_tried(t, launch);
    if (program && !some_grant_executes(launch, program)) {
        char shown[1024];
        cordon__escape_text_keeping_utf8(shown, sizeof shown, program, strlen(program));
        if (a_system_program(program))
            cordon__buffer_printf(&t->exc_out,
                                  "  (no file rule of the task's lets it execute %s: "
                                  "cordon_allow_system_paths grants the system's programs "
                                  "and the libraries they load, as cordon run does with any "
                                  "file option)\n",
                                  shown);
        else
            cordon__buffer_printf(&t->exc_out,
                                  "  (no file rule of the task's lets it execute %s: grant "
                                  "CORDON_EXEC on it or a directory above it, as cordon run's "
                                  "--exec does)\n",
                                  shown);
    } else if (program) {
        explain_ungranted_interpreter(t, launch, program);
    }
    free(program);
}
