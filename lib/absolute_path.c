/* A relative path given to a setter, made the caller's directory's as it
 * is at the call: kept relative, it was looked up again at each run, from
 * wherever the caller had gone since. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

int cordon__absolute_path(const char *path, char out[PATH_MAX])
{
    if (path[0] == '/') {
        if (strlen(path) >= PATH_MAX)
            return -ENAMETOOLONG;
        strcpy(out, path);
        return 0;
    }
    if (!getcwd(out, PATH_MAX - 1))
        return errno == ERANGE ? -ENAMETOOLONG : -errno;
    if (strlen(out) + 1 + strlen(path) >= PATH_MAX)
        return -ENAMETOOLONG;
    if (strcmp(out, "/") != 0)
        strcat(out, "/");
    strcat(out, path);
    return 0;
}
