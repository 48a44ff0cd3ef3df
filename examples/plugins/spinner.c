/* A plugin that never returns: the host's deadline ends it. */
#include <stddef.h>

int plugin_run(const char *input, char *out, size_t cap);

int plugin_run(const char *input, char *out, size_t cap)
{
    (void)input;
    (void)out;
    (void)cap;
    for (volatile unsigned long i = 0;; i++)
        ;
}
