/* A plugin that does not export plugin_run: the host's set-up hook says
 * so, and the task ends with SetupError before anything runs. */
#include <stddef.h>

int plugin_main(const char *input, char *out, size_t cap);

int plugin_main(const char *input, char *out, size_t cap)
{
    (void)input;
    (void)out;
    (void)cap;
    return 0;
}
