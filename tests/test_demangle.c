/*
 * C++ names in crash reports: demangled where the caller has libstdc++'s
 * demangler, and bounded in what that costs the caller.  The names are
 * read from the caller's own objects' files, which a task of its user
 * may replace before it crashes.  This file loads libstdc++ before
 * anything asks for the demangler (it is looked up once).
 */
#include <dlfcn.h>
#include <sys/resource.h>

#include "support.h"

/* These faults are the point: UBSan must let the signal happen. */
#define REAL_FAULT __attribute__((noinline, no_sanitize("undefined")))

/* "plain(int)": the demangler is there and names the caller's C++. */
REAL_FAULT static int plain_name(volatile int *pointer) __asm__("_Z5plaini");
REAL_FAULT static int plain_name(volatile int *pointer)
{
    return *pointer + 1;
}

/* Each "S0_ISn_Sn_E" names a template of the one before, twice: some 12
 * bytes double what the name demangles to.  These 515 bytes demangle to
 * some 200 MB (measured with libstdc++ 12: 40 levels gave 49 MB, 36 gave
 * 12 MB). */
#define BOMB                                                                                   \
    "_Z1fI1AIiiES0_IS0_S0_ES0_IS1_S1_ES0_IS2_S2_ES0_IS3_S3_ES0_IS4_S4_ES0_IS5_S5_ES0_IS6_S6_" \
    "ES0_IS7_S7_ES0_IS8_S8_ES0_IS9_S9_ES0_ISA_SA_ES0_ISB_SB_ES0_ISC_SC_ES0_ISD_SD_ES0_ISE_"   \
    "SE_ES0_ISF_SF_ES0_ISG_SG_ES0_ISH_SH_ES0_ISI_SI_ES0_ISJ_SJ_ES0_ISK_SK_ES0_ISL_SL_ES0_"    \
    "ISM_SM_ES0_ISN_SN_ES0_ISO_SO_ES0_ISP_SP_ES0_ISQ_SQ_ES0_ISR_SR_ES0_ISS_SS_ES0_IST_ST_"    \
    "ES0_ISU_SU_ES0_ISV_SV_ES0_ISW_SW_ES0_ISX_SX_ES0_ISY_SY_ES0_ISZ_SZ_ES0_IS10_S10_ES0_"     \
    "IS11_S11_ES0_IS12_S12_ES0_IS13_S13_ES0_IS14_S14_ES0_IS15_S15_ES0_IS16_S16_ES0_IS17_"     \
    "S17_EEvT_"

REAL_FAULT static int bomb_name(volatile int *pointer) __asm__(BOMB);
REAL_FAULT static int bomb_name(volatile int *pointer)
{
    return *pointer + 2;
}

__attribute__((noinline)) static int crash_in_plain(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return plain_name(NULL) * 3;
}

__attribute__((noinline)) static int crash_in_bomb(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return bomb_name(NULL) * 3;
}

static bool demangler_loaded(void)
{
    if (dlopen("libstdc++.so.6", RTLD_NOW | RTLD_GLOBAL))
        return true;
    print_message("skipped: no libstdc++ here: %s\n", dlerror());
    return false;
}

static const char *crash_report(cordon_fn fn, cordon_task **t)
{
    *t = cordon_function_task(fn, NULL);
    const cordon_result *r = run_task(*t, CORDON_EXCEPTION);
    assert_string_equal(r->exception, "SIGSEGV");
    return r->exc_out.data;
}

static void test_demangle_names_the_callers_cpp_function(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("its signal frames hide the faulting function");
    if (!demangler_loaded())
        skip();
    cordon_task *t;
    const char *report = crash_report(crash_in_plain, &t);
    if (!strstr(report, "#0 ") || !strstr(strstr(report, "#0 "), " plain(int)+0x"))
        fail_msg("not demangled:\n%s", report);
    cordon_task_free(t);
}

static long max_rss_kb(void)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

/* A name that demangles to hundreds of megabytes was demangled whole,
 * in the caller, to be cut to one line: the caller's memory grew by some
 * 200 MB for one report (and a longer name by terabytes).  Such a name is
 * now shown as it is. */
static void test_demangle_a_name_that_explodes_costs_the_caller_nothing(void **state)
{
    (void)state;
    SKIP_UNDER_VALGRIND("its signal frames hide the faulting function");
    if (!demangler_loaded())
        skip();
    long before = max_rss_kb();
    cordon_task *t;
    const char *report = crash_report(crash_in_bomb, &t);
    long grown = max_rss_kb() - before;
    if (grown > 32 * 1024)
        fail_msg("the caller grew by %ld KB for one report", grown);
    if (!strstr(report, " _Z1fI1AIiiES0_IS0_S0_E"))
        fail_msg("the name is not shown as it is:\n%s", report);
    cordon_task_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demangle_names_the_callers_cpp_function),
        cmocka_unit_test(test_demangle_a_name_that_explodes_costs_the_caller_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
