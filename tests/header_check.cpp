// lib/cordon.h compiled as C++ (by tests/build_test.sh): it declares
// everything extern "C", so a C++ program links against the C library.
// A C++ task's crash report names its functions as written, demangled (by
// libstdc++'s demangler, which a C++ program using the standard library
// has loaded: this one uses std::string), and so does its profile.
#include <cordon.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

static int task(cordon_ctx *ctx, void *)
{
    cordon_log(ctx, "from C++");
    cordon_raise(ctx, "FromCxx", "raised");
}

namespace plugin {
__attribute__((noinline)) int parse(const std::string &text)
{
    std::raise(SIGSEGV);
    return text[0];
}
__attribute__((noinline)) long spin(const std::string &text)
{
    volatile long sum = 0;
    for (long i = 0; i < 150000000; i++)
        sum = sum + (long)text.size();
    return sum;
}
} // namespace plugin

static int spins(cordon_ctx *, void *arg)
{
    return plugin::spin(*static_cast<const std::string *>(arg)) == 0;
}

/* Its profile names the function as written. */
static bool profile_demangled(std::string &text)
{
    char *profile = nullptr;
    size_t size = 0;
    FILE *out = open_memstream(&profile, &size);
    cordon_task *t = cordon_function_task(spins, &text);
    int rc = out ? cordon_run_profiler(t, out) : -1;
    if (out)
        std::fclose(out);
    bool ok = rc == 0 && profile && std::strstr(profile, "plugin::spin(std::__cxx11::basic_string<");
    if (!ok)
        std::fprintf(stderr, "a C++ task's profile, not demangled:\n%s", profile ? profile : "");
    std::free(profile);
    cordon_task_free(t);
    return ok;
}

__attribute__((noinline)) static int crashes(cordon_ctx *, void *arg)
{
    return plugin::parse(*static_cast<const std::string *>(arg)) + 1;
}

int main()
{
    cordon_task *t = cordon_function_task(task, nullptr);
    int rc = cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    bool ok = rc == CORDON_EXCEPTION && r->exception && r->exit_code == 1;
    cordon_task_free(t);
    if (!ok)
        return 1;

    std::string text("x");
    t = cordon_function_task(crashes, &text);
    rc = cordon_run(t);
    r = cordon_task_result(t);
    const char *report = r->exc_out.data;
    ok = rc == CORDON_EXCEPTION && std::strstr(report, "plugin::parse(std::__cxx11::basic_string<") &&
         std::strstr(report, "crashes(cordon_ctx*, void*)+0x");
    if (!ok)
        std::fprintf(stderr, "a C++ task's crash report, not demangled:\n%s", report);
    cordon_task_free(t);
    if (!ok)
        return 2;
    return profile_demangled(text) ? 0 : 3;
}
