/*
 * cordon._cordon: the CPython extension over libcordon.  Shared by the
 * files of the extension only; Python code sees the module it builds.
 */
#ifndef CORDON_PYTHON_EXT_H
#define CORDON_PYTHON_EXT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "../../lib/cordon.h"

/* A cordon_task owned by a Python object. */
typedef struct {
    PyObject_HEAD
    cordon_task *task;
    PyObject *child_main; /* function tasks: called, without arguments, in the child */
    PyObject *policy;     /* the Policy object the task points at, kept alive */
    int busy;             /* a thread is running it (checked and set under the GIL) */
    int started;          /* started by start(), not yet joined (under the GIL) */
    int joining;          /* a thread is inside join() (under the GIL) */
} cordon_py_task;

typedef struct {
    PyObject_HEAD
    cordon_policy *policy;
} cordon_py_policy;

extern PyTypeObject cordon_py_task_type;
extern PyTypeObject cordon_py_policy_type;

/* fork_bridge.c: the only code that knows how a fork meets the interpreter. */
int cordon_py_fork_bridge_init(void);
int cordon_py_trampoline(cordon_ctx *ctx, void *task_object);
/* Runs `run(task, arg)` with the GIL released; a fork it makes for a
 * function task is made holding the GIL (see fork_bridge.c). */
int cordon_py_run_released(cordon_py_task *self, int (*run)(cordon_task *, void *), void *arg);
/* cordon_run_async with the GIL released; its fork, made on libcordon's
 * collector thread, takes the GIL there for a function task (see
 * fork_bridge.c). */
int cordon_py_start_released(cordon_py_task *self);
/* The context of the function task this process is, in a child; NULL in
 * the caller. */
cordon_ctx *cordon_py_child_ctx(void);

/* file_system_bytes.c: `arg` as the file system's bytes, a new reference:
 * a str encoded as names are (UTF-8, a lone surrogate from a name that
 * was not UTF-8 back to its byte, as os.fsencode does), bytes as they
 * are, a path-like object's path.  NULL with a ValueError where it holds
 * a NUL (cordon would read only up to it: "echo a\0; rm x" ran "echo a",
 * and nothing said so), a TypeError naming `what` for anything else. */
PyObject *cordon_py_file_system_bytes(PyObject *arg, const char *what);

#endif
