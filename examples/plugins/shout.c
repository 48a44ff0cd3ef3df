/* A well-behaved plugin: its input in capitals. */
#include <ctype.h>
#include <stddef.h>

int plugin_run(const char *input, char *out, size_t cap);

int plugin_run(const char *input, char *out, size_t cap)
{
    size_t n = 0;
    for (; input[n] && n + 1 < cap; n++)
        out[n] = (char)toupper((unsigned char)input[n]);
    out[n] = '\0';
    return (int)n;
}
