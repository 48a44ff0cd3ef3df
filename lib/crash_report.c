/* The readable report of a crash: signal, cause, address, backtrace. */
#include <inttypes.h>
#include <signal.h>
#include <string.h>

#include "internal.h"

/* The task's frames: from the fault to the task's function.  What lies
 * beyond (cordon's call of it, the fork, the caller's own frames up to
 * main) is no part of the task.  Where the task's function has no symbol to
 * be found by, every frame is kept. */
static uint32_t task_frames(cordon__symbolizer *s, const cordon__crash_record *crash,
                            uint32_t frames, uintptr_t task_fn)
{
    for (uint32_t i = 0; s && task_fn && i < frames; i++) {
        uintptr_t lookup = crash->frames[i] - (i > 0 ? 1 : 0);
        cordon__symbol symbol;
        if (cordon__symbolizer_lookup(s, lookup, &symbol) == 0 &&
            lookup - symbol.offset == task_fn)
            return i + 1;
    }
    return frames;
}

/* si_addr means an address only for a fault the kernel raised (a positive
 * si_code) on the signals that carry one; a signal sent by a process
 * (abort's tkill, kill, sigqueue: si_code <= 0) carries its sender's pid
 * and uid in the same bytes instead, which printed as an address would
 * mislead. */
static void origin(cordon__buffer *out, const cordon__crash_record *crash)
{
    int signo = crash->signal;
    if (crash->code <= 0) {
        cordon__buffer_printf(out, "  sent by: pid %d, uid %d (as the task sees them)\n",
                              crash->sender_pid, crash->sender_uid);
        return;
    }
    if (signo == SIGSEGV || signo == SIGBUS || signo == SIGILL || signo == SIGFPE ||
        signo == SIGTRAP || signo == SIGSYS)
        cordon__buffer_printf(out, "  address: 0x%016" PRIx64 "\n", crash->address);
}

/* The signals a program's own fault or abort raises. */
static bool is_a_crash(int signo)
{
    return signo == SIGSEGV || signo == SIGBUS || signo == SIGILL || signo == SIGFPE ||
           signo == SIGTRAP || signo == SIGABRT || signo == SIGSYS;
}

static void report(cordon__buffer *out, const cordon__crash_record *crash, bool recorded,
                   bool function_task, uintptr_t task_fn, const cordon__setup_record *setup)
{
    const char *name = cordon_signal_name(crash->signal);
    cordon__buffer_printf(out, "%s: %s\n", name ? name : "signal", strsignal(crash->signal));
    /* Only the signals of a crash reach the task's handler: of any other
     * (raise(SIGTERM), a kill from outside, SIGKILL) nothing is known but
     * its number.  A record of zeros said "SI_USER, sent by pid 0, uid 0"
     * of a task that had raised SIGTERM itself as uid 65534. */
    if (function_task && !recorded) {
        if (is_a_crash(crash->signal))
            cordon__buffer_printf(out, "  (no record of its cause: the task's handler did "
                                  "not take it)\n");
        return;
    }
    if (!function_task) {
        /* Said of a crash only: a pipeline's SIGPIPE (yes | head -1) or a
         * SIGTERM is no crash, and the line called it one. */
        if (is_a_crash(crash->signal))
            cordon__buffer_printf(out, "  (a command's crash carries no backtrace)\n");
        return;
    }
    const char *meaning = NULL;
    const char *code = cordon__signal_code_name(crash->signal, crash->code, &meaning);
    if (code)
        cordon__buffer_printf(out, "  cause: %s (%s)\n", code, meaning);
    else
        cordon__buffer_printf(out, "  cause: si_code %d\n", crash->code);
    origin(out, crash);
    uint32_t frames = crash->frame_count <= CORDON_MAX_FRAMES ? crash->frame_count : 0;
    if (!frames)
        return;
    cordon__buffer_printf(out, "  backtrace (most recent call first):\n");
    /* One symbolizer for all frames: each object's symbols are read once. */
    cordon__symbolizer *symbolizer = cordon__symbolizer_new();
    if (setup)
        cordon__symbolizer_add_loaded(symbolizer, setup->hook_objects, setup->hook_object_count);
    frames = task_frames(symbolizer, crash, frames, task_fn);
    for (uint32_t i = 0; i < frames; i++) {
        /* A return address may lie past its caller's last instruction. */
        uintptr_t lookup = crash->frames[i] - (i > 0 ? 1 : 0);
        char symbol[512] = "??";
        if (symbolizer)
            cordon__symbolizer_describe(symbolizer, lookup, symbol, sizeof symbol);
        cordon__buffer_printf(out, "    #%-2u 0x%016" PRIx64 " %s\n", i, crash->frames[i], symbol);
    }
    cordon__symbolizer_free(symbolizer);
}

void cordon__crash_report(cordon__buffer *out, const cordon__crash_record *crash,
                          bool recorded, bool function_task, uintptr_t task_fn)
{
    report(out, crash, recorded, function_task, task_fn, NULL);
}

void cordon__crash_report_loaded(cordon__buffer *out, const cordon__crash_record *crash,
                                 uintptr_t task_fn, const cordon__setup_record *setup)
{
    report(out, crash, true, true, task_fn, setup);
}
