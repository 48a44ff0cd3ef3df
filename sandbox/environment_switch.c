/* Parent side: reads the environment, so never called in a child. */
#include <stdlib.h>
#include <strings.h>

#include "environment_switch.h"

bool cordon__environment_switch(const char *name)
{
    const char *value = getenv(name);
    if (!value)
        return false;
    static const char *const on[] = { "1", "yes", "true", "on" };
    for (size_t i = 0; i < sizeof on / sizeof *on; i++)
        if (strcasecmp(value, on[i]) == 0)
            return true;
    return false;
}
