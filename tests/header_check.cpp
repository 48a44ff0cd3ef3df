// lib/cordon.h compiled as C++ (by tests/build_test.sh): it declares
// everything extern "C", so a C++ program links against the C library.
#include <cordon.h>

static int task(cordon_ctx *ctx, void *)
{
    cordon_log(ctx, "from C++");
    cordon_raise(ctx, "FromCxx", "raised");
}

int main()
{
    cordon_task *t = cordon_function_task(task, nullptr);
    int rc = cordon_run(t);
    const cordon_result *r = cordon_task_result(t);
    bool ok = rc == CORDON_EXCEPTION && r->exception && r->exit_code == 1;
    cordon_task_free(t);
    return ok ? 0 : 1;
}
