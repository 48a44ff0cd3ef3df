/* Resource limits and the user switch, applied in the child before the
 * capabilities that allow them are dropped. */
#include <errno.h>
#include <grp.h>
#include <unistd.h>

#include "confine.h"

int cordon__apply_resource_limits(const struct rlimit *limits, const bool *limit_set)
{
    for (int resource = 0; resource < RLIM_NLIMITS; resource++) {
        if (limit_set[resource] && setrlimit(resource, &limits[resource]) != 0)
            return -errno;
    }
    return 0;
}

int cordon__switch_user(uid_t uid, gid_t gid)
{
    /* Groups first: after setresuid the right to change them is gone. */
    if (setgroups(0, NULL) != 0)
        return -errno;
    if (setresgid(gid, gid, gid) != 0)
        return -errno;
    if (setresuid(uid, uid, uid) != 0)
        return -errno;
    return 0;
}
