/* Why a command's exec failed, said so that a user can act on it: the
 * parent looks, after the fact, at what the task was refused. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

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
