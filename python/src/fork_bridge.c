/*
 * Where a fork meets the interpreter.
 *
 * libcordon forks inside cordon_run, with no hook around the fork.  The
 * calling thread has released the GIL by then (the run must not stop the
 * caller's other threads), and a child forked while another thread holds
 * the GIL, the import lock or an allocator's state would inherit them held
 * by a thread that does not exist in it, and deadlock on its first Python
 * call.  So the fork must happen with the GIL held by the forking thread,
 * as os.fork() does it: PyOS_BeforeFork before, PyOS_AfterFork_Parent
 * after in the parent, PyOS_AfterFork_Child in the child.
 *
 * glibc's fork() runs pthread_atfork handlers on the forking thread, and
 * cordon forks function tasks with fork(), on the thread that called
 * cordon_run.  A thread-local marks the threads that are inside cordon_run
 * for a Python function task; only on them do the handlers act:
 *
 *   prepare  take the GIL back with the thread's own state, PyOS_BeforeFork
 *   parent   PyOS_AfterFork_Parent, release the GIL again
 *   child    only the fork gate's reset (two plain stores, in every
 *            child): cordon's child code must stay async-signal-safe
 *            until the task's function runs; the trampoline below calls
 *            PyOS_AfterFork_Child there, already confined, before any
 *            Python code.
 *
 * cordon_run_async forks on libcordon's collector thread instead, which
 * has no Python thread state (and no thread-local to mark).  While a
 * Python function task is being started that way, a process-wide count
 * is raised, and a fork on a thread without a thread state takes the GIL
 * with a fresh one (PyGILState_Ensure), as a C thread calling into Python
 * does, and gives it back after the fork.  The starting thread has
 * released the GIL and waits for the fork, so the GIL comes free.  Should
 * another C thread fork in that window (a command task's collector), it
 * too waits for the GIL, which costs it only the wait.
 *
 * Any other fork in the process (os.fork, subprocess, a C library) finds
 * no mark and the handlers do nothing.  This relies on libcordon forking
 * function tasks with fork(3) on the thread that called cordon_run, or on
 * the collector while cordon_run_async waits for that fork; the remaining
 * risks are in the README's Python section.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "ext.h"

/* The thread's state while it is inside cordon_run for a function task
 * (the GIL released); NULL on every other thread and at every other time. */
static _Thread_local PyThreadState *released_state;
/* Set by `prepare` when it took the GIL: the child of this fork may run
 * Python.  Copied into the child with the forking thread's memory. */
enum { GIL_NOT_TAKEN, GIL_RESTORED, GIL_ENSURED };
static _Thread_local int fork_took_gil;
/* The collector's GIL state from PyGILState_Ensure, for the release. */
static _Thread_local PyGILState_STATE ensured_state;
/* Python function tasks inside cordon_run_async, waiting for their fork. */
static atomic_int async_starts;
/* Held from `prepare` to `parent` by every fork the handlers act on.  A
 * fresh thread state (PyGILState_Ensure on a collector) is made, without
 * the GIL, under the interpreter's list lock; CPython 3.11's
 * PyOS_AfterFork_Child takes that lock before it makes it anew, so a child
 * forked while another collector was making its state waited forever (one
 * task in about 2,000 of eight threads' run_async, on a loaded machine).
 * With the gate, no collector of ours makes or drops a state while one of
 * our forks is under way.  Taken before the GIL, never while holding it. */
static pthread_mutex_t fork_gate = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local int holds_fork_gate;

static cordon_ctx *child_ctx;

cordon_ctx *cordon_py_child_ctx(void)
{
    return child_ctx;
}

/* threading's after-fork hook, in the child, makes a _MainThread for a
 * forking thread it does not know (a C thread such as libcordon's
 * collector), and in CPython 3.11 that takes threading's shutdown lock
 * before the hook resets it: held by another thread at the fork, the
 * child hung there (eight run_async at once from eight threads, 1 run in
 * 8).  Known to threading (a dummy thread, as any C thread asking for
 * current_thread() becomes), the forking thread is found instead. */
static _Thread_local int made_dummy_thread;

/* threading's table of the threads it knows (borrowed), or NULL. */
static PyObject *threading_active(void)
{
    PyObject *modules = PyImport_GetModuleDict();
    PyObject *threading = modules ? PyDict_GetItemString(modules, "threading") : NULL;
    PyObject *active = threading ? PyObject_GetAttrString(threading, "_active") : NULL;
    if (!active) {
        PyErr_Clear();
        return NULL;
    }
    Py_DECREF(active); /* the module holds it */
    return PyDict_Check(active) ? active : NULL;
}

static void make_known_to_threading(void)
{
    PyObject *active = threading_active();
    PyObject *ident = active ? PyLong_FromUnsignedLong(PyThread_get_thread_ident()) : NULL;
    if (!ident) {
        PyErr_Clear();
        return;
    }
    made_dummy_thread = !PyDict_Contains(active, ident);
    Py_DECREF(ident);
    PyObject *modules = PyImport_GetModuleDict();
    PyObject *threading = PyDict_GetItemString(modules, "threading");
    PyObject *current = threading ? PyObject_CallMethod(threading, "current_thread", NULL) : NULL;
    if (current)
        Py_DECREF(current);
    else
        PyErr_Clear();
}

/* In the parent, after the fork: the dummy thread made for the collector
 * is dropped.  CPython keeps a dummy thread for ever, and each run_async
 * left one (threading.active_count() grew with every run; a test's check
 * for leaked threads failed).  The child keeps its own: there the forking
 * thread is the main one. */
static void forget_dummy_thread(void)
{
    if (!made_dummy_thread)
        return;
    made_dummy_thread = 0;
    PyObject *active = threading_active();
    PyObject *ident = active ? PyLong_FromUnsignedLong(PyThread_get_thread_ident()) : NULL;
    if (ident && PyDict_DelItem(active, ident) != 0)
        PyErr_Clear();
    Py_XDECREF(ident);
    PyErr_Clear();
}

static void take_fork_gate(void)
{
    pthread_mutex_lock(&fork_gate);
    holds_fork_gate = 1;
}

static void give_fork_gate_back(void)
{
    if (!holds_fork_gate)
        return;
    holds_fork_gate = 0;
    pthread_mutex_unlock(&fork_gate);
}

static void before_fork(void)
{
    /* An interpreter shutting down would end this thread inside fork();
     * the child then learns that it may not run Python. */
    if (released_state) {
        if (_Py_IsFinalizing())
            return;
        take_fork_gate();
        PyEval_RestoreThread(released_state);
        make_known_to_threading();
        PyOS_BeforeFork();
        fork_took_gil = GIL_RESTORED;
        return;
    }
    /* A thread with a state of its own is a Python thread forking for
     * itself (os.fork has taken the GIL) or one that is none of ours. */
    if (atomic_load(&async_starts) == 0 || PyGILState_GetThisThreadState() || _Py_IsFinalizing())
        return;
    take_fork_gate();
    ensured_state = PyGILState_Ensure();
    make_known_to_threading();
    PyOS_BeforeFork();
    fork_took_gil = GIL_ENSURED;
}

/* Every child of a fork (os.fork, multiprocessing's workers, a C
 * library's, cordon's own) starts with the gate open: it was copied
 * locked whenever a thread that does not come along held it (a collector
 * waiting for the GIL in `prepare` while a Python thread forked with the
 * GIL held), and the first task the child started then waited for it
 * forever.  Plain stores, as async-signal-safe as the child needs. */
static void fresh_fork_gate_in_child(void)
{
    fork_gate = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
    holds_fork_gate = 0;
}

static void after_fork_in_parent(void)
{
    int took = fork_took_gil;
    fork_took_gil = GIL_NOT_TAKEN;
    if (took == GIL_NOT_TAKEN)
        return;
    PyOS_AfterFork_Parent();
    forget_dummy_thread();
    if (took == GIL_RESTORED)
        released_state = PyEval_SaveThread();
    else
        PyGILState_Release(ensured_state); /* drops the fresh state too */
    give_fork_gate_back();
}

int cordon_py_fork_bridge_init(void)
{
    int rc = pthread_atfork(before_fork, after_fork_in_parent, fresh_fork_gate_in_child);
    if (rc != 0) {
        errno = rc;
        PyErr_SetFromErrno(PyExc_OSError);
        return -1;
    }
    return 0;
}

static void print_without_exiting(void)
{
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    PyErr_NormalizeException(&type, &value, &traceback);
    if (type && PyErr_GivenExceptionMatches(type, PyExc_SystemExit)) {
        PyErr_Display(type, value, traceback);
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(traceback);
        return;
    }
    PyErr_Restore(type, value, traceback);
    PyErr_Print();
}

int cordon_py_run_released(cordon_py_task *self, int (*run)(cordon_task *, void *), void *arg)
{
    PyThreadState *state = PyEval_SaveThread();
    if (self->child_main)
        released_state = state;
    int rc = run(self->task, arg);
    /* `after_fork_in_parent` saved the same state again: it is this
     * thread's, whichever call saved it last. */
    released_state = NULL;
    PyEval_RestoreThread(state);
    return rc;
}

int cordon_py_start_released(cordon_py_task *self)
{
    int python = self->child_main != NULL;
    if (python)
        atomic_fetch_add(&async_starts, 1);
    PyThreadState *state = PyEval_SaveThread();
    /* Returns once the collector has forked (or failed to). */
    int rc = cordon_run_async(self->task);
    PyEval_RestoreThread(state);
    if (python)
        atomic_fetch_sub(&async_starts, 1);
    return rc;
}

static void flush_python_streams(void)
{
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    const char *names[] = { "stdout", "stderr" };
    for (size_t i = 0; i < 2; i++) {
        PyObject *stream = PySys_GetObject(names[i]); /* borrowed */
        if (stream && stream != Py_None) {
            PyObject *r = PyObject_CallMethod(stream, "flush", NULL);
            Py_XDECREF(r);
            PyErr_Clear();
        }
    }
    PyErr_Restore(type, value, traceback);
}

/* The function of every Python function task, run in the child after
 * cordon confined it.  The child is single-threaded: the forking thread. */
int cordon_py_trampoline(cordon_ctx *ctx, void *task_object)
{
    if (fork_took_gil == GIL_NOT_TAKEN)
        cordon_raise(ctx, "InterpreterUnavailable",
                     "the interpreter was shutting down when the task was forked; "
                     "no Python code ran");
    fork_took_gil = GIL_NOT_TAKEN;
    released_state = NULL;
    /* The gate came along held by the forking thread (this one); the
     * child handler (fresh_fork_gate_in_child) has opened it already. */
    /* Rebuilds the GIL and the import lock for this thread, forgets the
     * threads that did not come along, and runs the os.register_at_fork
     * child hooks (threading, logging and random reset themselves there). */
    PyOS_AfterFork_Child();
    child_ctx = ctx;
    cordon_py_task *self = task_object;
    PyObject *r = PyObject_CallNoArgs(self->child_main);
    if (!r) {
        /* cordon.tasks reports the function's own exceptions; reaching
         * here means its child code itself failed.  Shown, never taken as
         * the interpreter's own exit: PyErr_Print of a SystemExit
         * finalizes the interpreter, running the caller's atexit handlers
         * in the task. */
        print_without_exiting();
        flush_python_streams();
        cordon_raise(ctx, "ChildSetupError", "cordon's Python code in the child failed; "
                     "its traceback is in std_err");
    }
    /* The status cordon.tasks asks for (sys.exit's) is the task's exit
     * code, as os._exit's is. */
    long status = PyLong_Check(r) ? PyLong_AsLong(r) : 0;
    if (status == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        status = 0;
    }
    Py_DECREF(r);
    flush_python_streams();
    return (int)(status & 0xFF);
}
