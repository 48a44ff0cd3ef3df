/*
 * A plugin host: runs each plugin's exported
 *
 *     int plugin_run(const char *input, char *out, size_t cap);
 *
 * in a confined child under the `compute` policy, which lets a task
 * compute and nothing more: no files, no processes, no sockets, no new
 * executable memory.  Loading a plugin needs all of those, so the host
 * dlopens it in a set-up hook, which cordon runs in the task's process
 * before the filter; then the filter is installed and plugin_run runs.
 * A crash, a forbidden call, an endless loop or a plugin that cannot be
 * loaded is reported per plugin; the host goes on.  What a plugin writes
 * to stderr goes to the host's stderr as it comes.
 *
 *   build/examples/plugin_host [PLUGIN.so...]
 *
 * Without arguments: every .so in plugins/ beside the host's own
 * executable, so that it runs from any directory.
 */
#include <dlfcn.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cordon.h>

typedef int (*plugin_fn)(const char *input, char *out, size_t cap);

/* What the hook leaves for the function: both run in the task's process,
 * on its copy of this struct. */
typedef struct job {
    const char *path;
    const char *input;
    plugin_fn run;
} job;

/* The set-up hook: runs before the filter, so dlopen may open and map. */
static int load_plugin(void *arg, cordon_error *err)
{
    job *j = arg;
    void *handle = dlopen(j->path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        snprintf(err->message, sizeof err->message, "cannot load: %s", dlerror());
        return -1;
    }
    j->run = (plugin_fn)dlsym(handle, "plugin_run");
    if (!j->run) {
        snprintf(err->message, sizeof err->message, "%s exports no plugin_run", j->path);
        return -1;
    }
    return 0;
}

/* The task: under `compute` from here on. */
static int call_plugin(cordon_ctx *ctx, void *arg)
{
    job *j = arg;
    char out[4096];
    int n = j->run(j->input, out, sizeof out);
    if (n < 0)
        cordon_raise(ctx, "PluginError", "plugin_run returned %d", n);
    cordon_return(ctx, out, (size_t)n < sizeof out ? (size_t)n : sizeof out);
    return 0;
}

static void run_plugin(const char *path, const cordon_policy *compute)
{
    job j = { .path = path, .input = "the quick brown fox jumps over the lazy dog" };
    cordon_task *t = cordon_function_task(call_plugin, &j);
    cordon_set_setup_hook(t, load_plugin, &j);
    cordon_set_policy(t, compute);
    /* A plugin's diagnostics go to the host's own stderr as they come
     * (passed on by cordon when that is a terminal); its stdout is kept. */
    cordon_set_output_mode(t, 2, CORDON_OUTPUT_INHERIT);
    cordon_set_timeout_ms(t, 1000);
    cordon_set_limit(t, CORDON_LIMIT_MEMORY, 64u << 20);
    int rc = cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if (rc == 0)
        printf("  %-16s ok: %.*s\n", name, (int)r->returns.len, r->returns.data);
    else if (rc == CORDON_EXCEPTION)
        printf("  %-16s %s\n%s", name, r->exception, r->exc_out.data);
    else
        printf("  %-16s cordon could not run it: %s\n", name, strerror(-rc));
    cordon_task_free(t);
}

/* The directory of this program's own executable, where make put the
 * files it goes with: found that way, it runs from any directory (a
 * relative path was the source tree's, and from elsewhere it found
 * nothing, said so per file, and exited 0).  0, or -1. */
static int own_directory(char *dir, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", dir, size - 1);
    if (n <= 0 || (size_t)n >= size - 1)
        return -1;
    dir[n] = '\0';
    char *slash = strrchr(dir, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    return 0;
}

/* Every plugin beside the executable, into `found`; -1 after saying
 * what is missing. */
static int find_plugins(glob_t *found)
{
    char pattern[4096];
    if (own_directory(pattern, sizeof pattern - sizeof "/plugins/*.so") < 0) {
        fprintf(stderr, "plugin_host: cannot find its own directory through /proc/self/exe: "
                        "name the plugins (plugin_host PLUGIN.so...)\n");
        return -1;
    }
    strcat(pattern, "/plugins/*.so");
    if (glob(pattern, 0, NULL, found) != 0 || found->gl_pathc == 0) {
        fprintf(stderr, "plugin_host: no plugins match '%s' (make examples builds them)\n",
                pattern);
        globfree(found);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    cordon_error err;
    cordon_policy *compute = cordon_policy_load("compute", &err);
    if (!compute) {
        fprintf(stderr, "plugin_host: %s\n", err.message);
        return 1;
    }
    glob_t found = { 0 };
    if (argc < 2 && find_plugins(&found) < 0) {
        cordon_policy_free(compute);
        return 1;
    }
    size_t count = argc > 1 ? (size_t)argc - 1 : found.gl_pathc;
    int status = 0;
    for (size_t i = 0; i < count; i++) {
        const char *path = argc > 1 ? argv[i + 1] : found.gl_pathv[i];
        /* A path given that names no file is the user's slip, not a
         * plugin's failure: said, and the exit status is 1 (it was 0,
         * after a SetupError per missing file). */
        if (access(path, R_OK) != 0) {
            fprintf(stderr, "plugin_host: '%s': %s\n", path, strerror(errno));
            status = 1;
            continue;
        }
        run_plugin(path, compute);
    }
    globfree(&found);
    cordon_policy_free(compute);
    return status;
}
