/* cordon._cordon: module definition, constants, and the calls a Python
 * function task makes from inside its child. */
#include "ext.h"

PyObject *cordon_py_function_task(PyObject *module, PyObject *child_main);
PyObject *cordon_py_shell_task(PyObject *module, PyObject *arg);
PyObject *cordon_py_command_task(PyObject *module, PyObject *arg);
PyMODINIT_FUNC PyInit__cordon(void);

static cordon_ctx *require_child(void)
{
    cordon_ctx *ctx = cordon_py_child_ctx();
    if (!ctx)
        PyErr_SetString(PyExc_RuntimeError, "only a task's child can call this");
    return ctx;
}

/* child_return(data): publishes the task's return bytes.  Bytes beyond
 * CORDON_LIMIT_RETURN end the task with ReturnTooLarge, in cordon. */
static PyObject *child_return(PyObject *module, PyObject *arg)
{
    (void)module;
    cordon_ctx *ctx = require_child();
    Py_buffer view;
    if (!ctx || PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    int rc = cordon_return(ctx, view.buf, (size_t)view.len);
    PyBuffer_Release(&view);
    if (rc < 0)
        return PyErr_Format(PyExc_OSError, "cordon_return failed (%d)", rc);
    Py_RETURN_NONE;
}

/* child_log(line): one line of log_out. */
static PyObject *child_log(PyObject *module, PyObject *arg)
{
    (void)module;
    cordon_ctx *ctx = require_child();
    const char *line = ctx ? PyUnicode_AsUTF8(arg) : NULL;
    if (!line)
        return NULL;
    cordon_log(ctx, "%s", line);
    Py_RETURN_NONE;
}

static PyObject *signal_name(PyObject *module, PyObject *arg)
{
    (void)module;
    long signo = PyLong_AsLong(arg);
    if (signo == -1 && PyErr_Occurred())
        return NULL;
    const char *name = cordon_signal_name((int)signo);
    if (!name)
        Py_RETURN_NONE;
    return PyUnicode_FromString(name);
}

static PyMethodDef module_methods[] = {
    { "function_task", cordon_py_function_task, METH_O,
      "function_task(child_main) -> Task: child_main() runs in the confined child" },
    { "shell_task", cordon_py_shell_task, METH_O, "shell_task(line) -> Task: /bin/sh -c line" },
    { "command_task", cordon_py_command_task, METH_O,
      "command_task(argv) -> Task: no shell, PATH lookup" },
    { "child_return", child_return, METH_O, "in a task's child: publish the return bytes" },
    { "child_log", child_log, METH_O, "in a task's child: one line of log_out" },
    { "signal_name", signal_name, METH_O, "signal_name(11) -> 'SIGSEGV'" },
    { NULL, NULL, 0, NULL },
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "cordon._cordon",
    .m_doc = "libcordon for cordon.tasks; use cordon.tasks, not this.",
    .m_size = -1,
    .m_methods = module_methods,
};

static int add_constants(PyObject *m)
{
    static const struct { const char *name; long value; } constants[] = {
        { "LIMIT_CPU_MS", CORDON_LIMIT_CPU_MS },
        { "LIMIT_MEMORY", CORDON_LIMIT_MEMORY },
        { "LIMIT_FILE_SIZE", CORDON_LIMIT_FILE_SIZE },
        { "LIMIT_OPEN_FILES", CORDON_LIMIT_OPEN_FILES },
        { "LIMIT_PROCESSES", CORDON_LIMIT_PROCESSES },
        { "LIMIT_OUTPUT", CORDON_LIMIT_OUTPUT },
        { "LIMIT_RETURN", CORDON_LIMIT_RETURN },
        { "EXCEPTION", CORDON_EXCEPTION },
        { "MEMORY_MIN", CORDON_MEMORY_MIN },
        { "MAX_PROCESSES", CORDON_MAX_PROCESSES },
        { "MAX_OPEN_FILES", CORDON_MAX_OPEN_FILES },
        { "READ", CORDON_READ },
        { "WRITE", CORDON_WRITE },
        { "EXEC", CORDON_EXEC },
        { "NETWORK_HOST", CORDON_NETWORK_HOST },
        { "NETWORK_NONE", CORDON_NETWORK_NONE },
    };
    for (size_t i = 0; i < sizeof constants / sizeof *constants; i++) {
        if (PyModule_AddIntConstant(m, constants[i].name, constants[i].value) < 0)
            return -1;
    }
    return PyModule_AddStringConstant(m, "VERSION", CORDON_VERSION);
}

PyMODINIT_FUNC PyInit__cordon(void)
{
    if (PyType_Ready(&cordon_py_task_type) < 0 || PyType_Ready(&cordon_py_policy_type) < 0)
        return NULL;
    if (cordon_py_fork_bridge_init() < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (!m)
        return NULL;
    Py_INCREF(&cordon_py_task_type);
    Py_INCREF(&cordon_py_policy_type);
    if (add_constants(m) < 0 ||
        PyModule_AddObject(m, "Task", (PyObject *)&cordon_py_task_type) < 0 ||
        PyModule_AddObject(m, "Policy", (PyObject *)&cordon_py_policy_type) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
