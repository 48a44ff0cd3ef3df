/* cordon._cordon.Task: a cordon_task, its options, its runs and its result. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "ext.h"

static PyObject *set_errno_error(int rc)
{
    errno = -rc;
    return PyErr_SetFromErrno(PyExc_OSError);
}

/* 0, or -1 with a Python exception set. */
static int check(int rc)
{
    if (rc < 0) {
        set_errno_error(rc);
        return -1;
    }
    return 0;
}

static cordon_py_task *new_task(cordon_task *t)
{
    if (!t)
        return (cordon_py_task *)PyErr_SetFromErrno(PyExc_OSError);
    cordon_py_task *self = PyObject_New(cordon_py_task, &cordon_py_task_type);
    if (!self) {
        cordon_task_free(t);
        return NULL;
    }
    self->task = t;
    self->child_main = NULL;
    self->policy = NULL;
    self->busy = self->started = self->joining = 0;
    return self;
}

/* function_task(child_main): child_main() runs in the confined child. */
PyObject *cordon_py_function_task(PyObject *module, PyObject *child_main);
PyObject *cordon_py_function_task(PyObject *module, PyObject *child_main)
{
    (void)module;
    if (!PyCallable_Check(child_main))
        return PyErr_Format(PyExc_TypeError, "function_task needs a callable");
    /* The trampoline's argument is the object itself, which lives as long
     * as the task: made first, then given its task. */
    cordon_py_task *self = PyObject_New(cordon_py_task, &cordon_py_task_type);
    if (!self)
        return NULL;
    self->child_main = child_main;
    Py_INCREF(child_main);
    self->policy = NULL;
    self->busy = self->started = self->joining = 0;
    if (!(self->task = cordon_function_task(cordon_py_trampoline, self))) {
        PyErr_SetFromErrno(PyExc_OSError);
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

/* A str as a C string, refused when it holds a NUL (as
 * cordon_py_file_system_bytes refuses it). */
static const char *c_string(PyObject *arg, const char *what)
{
    Py_ssize_t size;
    const char *text = PyUnicode_AsUTF8AndSize(arg, &size);
    if (text && strlen(text) != (size_t)size) {
        PyErr_Format(PyExc_ValueError, "%s %R holds a NUL byte, where the C string cordon "
                     "passes on would end", what, arg);
        return NULL;
    }
    return text;
}

PyObject *cordon_py_shell_task(PyObject *module, PyObject *arg);
PyObject *cordon_py_shell_task(PyObject *module, PyObject *arg)
{
    (void)module;
    PyObject *command = cordon_py_file_system_bytes(arg, "the command");
    if (!command)
        return NULL;
    PyObject *task = (PyObject *)new_task(cordon_shell_task(PyBytes_AS_STRING(command)));
    Py_DECREF(command);
    return task;
}

/* command_task([argv0, arg1, ...]): no shell, PATH lookup. */
PyObject *cordon_py_command_task(PyObject *module, PyObject *arg);
PyObject *cordon_py_command_task(PyObject *module, PyObject *arg)
{
    (void)module;
    PyObject *seq = PySequence_Fast(arg, "command_task needs a list of strings");
    if (!seq)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n == 0) {
        Py_DECREF(seq);
        return PyErr_Format(PyExc_ValueError, "command_task needs at least the program");
    }
    const char **argv = calloc((size_t)n + 1, sizeof *argv);
    PyObject **held = calloc((size_t)n, sizeof *held);
    PyObject *result = NULL;
    if (!argv || !held) {
        PyErr_NoMemory();
        goto out;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        held[i] = cordon_py_file_system_bytes(PySequence_Fast_GET_ITEM(seq, i), "the argument");
        if (!held[i])
            goto out;
        argv[i] = PyBytes_AS_STRING(held[i]);
    }
    result = (PyObject *)new_task(cordon_command_task(argv));
out:
    for (Py_ssize_t i = 0; held && i < n; i++)
        Py_XDECREF(held[i]);
    free(held);
    free(argv);
    Py_DECREF(seq);
    return result;
}

static void task_dealloc(cordon_py_task *self)
{
    /* A running task is referenced by the thread running it: never here. */
    cordon_task_free(self->task);
    Py_XDECREF(self->child_main);
    Py_XDECREF(self->policy);
    PyObject_Free(self);
}

static PyObject *none_or_error(int rc)
{
    if (check(rc) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static int not_busy(cordon_py_task *self)
{
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "the task is running");
        return -1;
    }
    return 0;
}

static PyObject *task_set_timeout_ms(cordon_py_task *self, PyObject *arg)
{
    unsigned long long ms = PyLong_AsUnsignedLongLong(arg);
    if (PyErr_Occurred() || not_busy(self) < 0)
        return NULL;
    return none_or_error(cordon_set_timeout_ms(self->task, ms));
}

/* A count no kernel holds is the caller's mistake, said with the most
 * the limit takes, not an OSError. */
static PyObject *limit_out_of_range(int what, unsigned long long value)
{
    const char *name = what == CORDON_LIMIT_PROCESSES ? "processes" : "open_files";
    unsigned most = what == CORDON_LIMIT_PROCESSES ? CORDON_MAX_PROCESSES
                                                   : CORDON_MAX_OPEN_FILES;
    return PyErr_Format(PyExc_ValueError, "%s=%llu: more than any kernel holds (at most %u)",
                        name, value, most);
}

static PyObject *task_set_limit(cordon_py_task *self, PyObject *args)
{
    int what;
    PyObject *number;
    if (!PyArg_ParseTuple(args, "iO", &what, &number))
        return NULL;
    /* Not "K", which wraps modulo 2^64: 2**64 bytes would be no limit. */
    unsigned long long value = PyLong_AsUnsignedLongLong(number);
    if (PyErr_Occurred() || not_busy(self) < 0)
        return NULL;
    int rc = cordon_set_limit(self->task, (cordon_limit)what, value);
    if (rc == -ERANGE)
        return limit_out_of_range(what, value);
    return none_or_error(rc);
}

static PyObject *task_set_policy(cordon_py_task *self, PyObject *arg)
{
    if (not_busy(self) < 0)
        return NULL;
    const cordon_policy *p = NULL;
    if (arg != Py_None) {
        if (!PyObject_TypeCheck(arg, &cordon_py_policy_type))
            return PyErr_Format(PyExc_TypeError, "set_policy needs a Policy or None");
        p = ((cordon_py_policy *)arg)->policy;
    }
    if (check(cordon_set_policy(self->task, p)) < 0)
        return NULL;
    Py_XDECREF(self->policy);
    self->policy = arg;
    Py_INCREF(arg);
    Py_RETURN_NONE;
}

/* A name that is not UTF-8 (bytes, or the str os.listdir makes of it)
 * is the file system's bytes, as for a command's arguments. */
static PyObject *task_set_cwd(cordon_py_task *self, PyObject *arg)
{
    PyObject *dir = cordon_py_file_system_bytes(arg, "the working directory");
    if (!dir)
        return NULL;
    PyObject *result = not_busy(self) < 0 ? NULL
                                           : none_or_error(cordon_set_cwd(self->task,
                                                                          PyBytes_AS_STRING(dir)));
    Py_DECREF(dir);
    return result;
}

static PyObject *task_set_env(cordon_py_task *self, PyObject *arg)
{
    const char *entry = c_string(arg, "the environment entry");
    if (!entry || not_busy(self) < 0)
        return NULL;
    return none_or_error(cordon_set_env(self->task, entry));
}

static PyObject *task_clear_env(cordon_py_task *self, PyObject *unused)
{
    (void)unused;
    if (not_busy(self) < 0)
        return NULL;
    return none_or_error(cordon_clear_env(self->task));
}

static PyObject *task_set_user(cordon_py_task *self, PyObject *args)
{
    unsigned int uid, gid;
    if (!PyArg_ParseTuple(args, "II", &uid, &gid) || not_busy(self) < 0)
        return NULL;
    return none_or_error(cordon_set_user(self->task, (uid_t)uid, (gid_t)gid));
}

static PyObject *task_set_stdin(cordon_py_task *self, PyObject *arg)
{
    Py_buffer view;
    if (not_busy(self) < 0 || PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    int rc = cordon_set_stdin(self->task, view.buf, (size_t)view.len);
    PyBuffer_Release(&view);
    return none_or_error(rc);
}

static PyObject *task_set_core_dumps(cordon_py_task *self, PyObject *arg)
{
    unsigned long long bytes = PyLong_AsUnsignedLongLong(arg);
    if (PyErr_Occurred() || not_busy(self) < 0)
        return NULL;
    return none_or_error(cordon_set_core_dumps(self->task, bytes));
}

static PyObject *task_set_tree_accounting(cordon_py_task *self, PyObject *arg)
{
    int on = PyObject_IsTrue(arg);
    if (on < 0 || not_busy(self) < 0)
        return NULL;
    return none_or_error(cordon_set_tree_accounting(self->task, on));
}

/* set_isolation(preset): cordon_set_isolation ("judge", "isolated"). */
static PyObject *task_set_isolation(cordon_py_task *self, PyObject *arg)
{
    const char *preset = c_string(arg, "the preset");
    if (!preset || not_busy(self) < 0)
        return NULL;
    return none_or_error(cordon_set_isolation(self->task, preset));
}

/* allow_path(path, access): a Landlock file rule (READ, WRITE, EXEC). */
static PyObject *task_allow_path(cordon_py_task *self, PyObject *args)
{
    PyObject *path_arg;
    unsigned int access;
    if (!PyArg_ParseTuple(args, "OI", &path_arg, &access))
        return NULL;
    PyObject *path = cordon_py_file_system_bytes(path_arg, "the path");
    if (!path)
        return NULL;
    PyObject *result = not_busy(self) < 0
                           ? NULL
                           : none_or_error(cordon_allow_path(self->task, PyBytes_AS_STRING(path),
                                                             access));
    Py_DECREF(path);
    return result;
}

static PyObject *task_allow_system_paths(cordon_py_task *self, PyObject *unused)
{
    (void)unused;
    if (not_busy(self) < 0)
        return NULL;
    return none_or_error(cordon_allow_system_paths(self->task));
}

static PyObject *task_set_network(cordon_py_task *self, PyObject *arg)
{
    long network = PyLong_AsLong(arg);
    if ((network == -1 && PyErr_Occurred()) || not_busy(self) < 0)
        return NULL;
    return none_or_error(cordon_set_network(self->task, (cordon_network)network));
}

/* add_tmpfs(path): cordon_add_tmpfs. */
static PyObject *task_add_tmpfs(cordon_py_task *self, PyObject *arg)
{
    PyObject *path = cordon_py_file_system_bytes(arg, "the tmpfs directory");
    if (!path)
        return NULL;
    PyObject *result = not_busy(self) < 0
                           ? NULL
                           : none_or_error(cordon_add_tmpfs(self->task, PyBytes_AS_STRING(path)));
    Py_DECREF(path);
    return result;
}

/* add_bind(source, target, read_only): cordon_add_bind. */
static PyObject *task_add_bind(cordon_py_task *self, PyObject *args)
{
    PyObject *source_arg, *target_arg;
    int read_only;
    if (!PyArg_ParseTuple(args, "OOp", &source_arg, &target_arg, &read_only))
        return NULL;
    PyObject *source = cordon_py_file_system_bytes(source_arg, "the bind's source");
    PyObject *target = source ? cordon_py_file_system_bytes(target_arg, "the bind's target") : NULL;
    PyObject *result = NULL;
    if (target && not_busy(self) == 0)
        result = none_or_error(cordon_add_bind(self->task, PyBytes_AS_STRING(source),
                                               PyBytes_AS_STRING(target),
                                               read_only ? CORDON_BIND_READONLY : 0));
    Py_XDECREF(source);
    Py_XDECREF(target);
    return result;
}

static PyObject *task_set_minimal_dev(cordon_py_task *self, PyObject *arg)
{
    int on = PyObject_IsTrue(arg);
    if (on < 0 || not_busy(self) < 0)
        return NULL;
    return none_or_error(cordon_set_minimal_dev(self->task, on));
}

/* set_hostname(name or None): cordon_set_hostname. */
static PyObject *task_set_hostname(cordon_py_task *self, PyObject *arg)
{
    const char *name = arg == Py_None ? NULL : c_string(arg, "the host name");
    if ((!name && arg != Py_None) || not_busy(self) < 0)
        return NULL;
    return none_or_error(cordon_set_hostname(self->task, name));
}

static PyObject *task_set_cgroup_namespace(cordon_py_task *self, PyObject *arg)
{
    int on = PyObject_IsTrue(arg);
    if (on < 0 || not_busy(self) < 0)
        return NULL;
    return none_or_error(cordon_set_cgroup_namespace(self->task, on));
}

/* check(): cordon_task_check, its message in a ValueError (what the run
 * would refuse of the options put together, said before it). */
static PyObject *task_check(cordon_py_task *self, PyObject *unused)
{
    (void)unused;
    if (not_busy(self) < 0)
        return NULL;
    cordon_error err;
    int rc = cordon_task_check(self->task, &err);
    if (rc < 0 && err.message[0]) {
        PyErr_SetString(PyExc_ValueError, err.message);
        return NULL;
    }
    return none_or_error(rc);
}

static int run_plain(cordon_task *t, void *unused)
{
    (void)unused;
    return cordon_run(t);
}

/* run() -> 0 or CORDON_EXCEPTION; OSError when cordon could not run it. */
static PyObject *task_run(cordon_py_task *self, PyObject *unused)
{
    (void)unused;
    if (not_busy(self) < 0)
        return NULL;
    self->busy = 1;
    Py_INCREF(self);
    int rc = cordon_py_run_released(self, run_plain, NULL);
    self->busy = 0;
    Py_DECREF(self);
    if (rc < 0)
        return set_errno_error(rc);
    return PyLong_FromLong(rc);
}

/* start(): cordon_run_async.  The task runs on until join() says it
 * ended; cancel() kills it meanwhile.  The run holds a reference to the
 * object (its child's function and the trampoline's argument), which the
 * join that ends it drops. */
static PyObject *task_start(cordon_py_task *self, PyObject *unused)
{
    (void)unused;
    if (not_busy(self) < 0)
        return NULL;
    self->busy = 1;
    Py_INCREF(self);
    int rc = cordon_py_start_released(self);
    if (rc < 0) {
        self->busy = 0;
        Py_DECREF(self);
        return set_errno_error(rc);
    }
    self->started = 1;
    Py_RETURN_NONE;
}

static int join_for(cordon_task *t, void *timeout_ms)
{
    return cordon_join_timeout(t, *(int *)timeout_ms);
}

/* join(timeout_ms) -> 0 or CORDON_EXCEPTION once start()'s run ended,
 * None while it still runs after timeout_ms (-1: no limit).  One thread
 * at a time joins. */
static PyObject *task_join(cordon_py_task *self, PyObject *arg)
{
    long timeout = PyLong_AsLong(arg);
    if (timeout == -1 && PyErr_Occurred())
        return NULL;
    if (timeout < -1 || timeout > INT_MAX)
        return PyErr_Format(PyExc_ValueError, "join needs -1 or 0 to %d ms", INT_MAX);
    int timeout_ms = (int)timeout;
    if (!self->started || self->joining)
        return PyErr_Format(PyExc_RuntimeError, self->started ? "another thread joins the task"
                                                              : "the task was not started");
    self->joining = 1;
    PyThreadState *state = PyEval_SaveThread();
    int rc = join_for(self->task, &timeout_ms);
    PyEval_RestoreThread(state);
    self->joining = 0;
    if (rc == -ETIMEDOUT)
        Py_RETURN_NONE;
    self->started = self->busy = 0;
    Py_DECREF(self); /* start()'s reference: the object outlives this call */
    if (rc < 0)
        return set_errno_error(rc);
    return PyLong_FromLong(rc);
}

/* cancel() -> True when start()'s run, or a blocking run (run_profiler)
 * of another thread, was still going on: its whole tree is being killed
 * and join() (or that call) will say how it ended; False otherwise (a
 * blocking run not yet begun in the library too). */
static PyObject *task_cancel(cordon_py_task *self, PyObject *unused)
{
    (void)unused;
    if (!self->started && !self->busy)
        Py_RETURN_FALSE;
    int rc = cordon_cancel(self->task);
    if (rc == -EINVAL)
        Py_RETURN_FALSE;
    if (check(rc) < 0)
        return NULL;
    Py_RETURN_TRUE;
}

struct profile_output {
    char *text;
    size_t len;
};

static int run_profiled(cordon_task *t, void *arg)
{
    struct profile_output *out = arg;
    FILE *f = open_memstream(&out->text, &out->len);
    if (!f)
        return -errno;
    int rc = cordon_run_profiler(t, f);
    fclose(f);
    return rc;
}

/* run_profiler() -> (rc, report text): cordon's own profiler (commands). */
static PyObject *task_run_profiler(cordon_py_task *self, PyObject *unused)
{
    (void)unused;
    if (not_busy(self) < 0)
        return NULL;
    struct profile_output out = { NULL, 0 };
    self->busy = 1;
    Py_INCREF(self);
    int rc = cordon_py_run_released(self, run_profiled, &out);
    self->busy = 0;
    Py_DECREF(self);
    if (rc < 0) {
        free(out.text);
        return set_errno_error(rc);
    }
    PyObject *r = Py_BuildValue("(is#)", rc, out.text ? out.text : "", (Py_ssize_t)out.len);
    free(out.text);
    return r;
}

static PyObject *bytes_of(const cordon_bytes *b)
{
    return PyBytes_FromStringAndSize(b->data, (Py_ssize_t)b->len);
}

/* A path or name from the library as str, undecodable bytes escaped as
 * Python's os.fsdecode does; None for NULL. */
static PyObject *text_or_none(const char *text)
{
    if (!text)
        Py_RETURN_NONE;
    return PyUnicode_DecodeFSDefault(text);
}

static PyObject *file_rule_at(const cordon_confinement *c, size_t i)
{
    return Py_BuildValue("(NI)", text_or_none(c->file_rules[i].path), c->file_rules[i].access);
}

static PyObject *bind_at(const cordon_confinement *c, size_t i)
{
    return Py_BuildValue("(NNO)", text_or_none(c->binds[i].source),
                         text_or_none(c->binds[i].target),
                         c->binds[i].read_only ? Py_True : Py_False);
}

/* A list of `count` items made by `item`; NULL (an exception set) where
 * one could not be made. */
static PyObject *list_of(const cordon_confinement *c, size_t count,
                         PyObject *(*item)(const cordon_confinement *, size_t))
{
    PyObject *list = PyList_New((Py_ssize_t)count);
    for (size_t i = 0; list && i < count; i++) {
        PyObject *one = item(c, i);
        if (!one) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, one);
    }
    return list;
}

/* The run's confinement record as the library keeps it (the package
 * shapes it as the CLI's JSON does); None where the task never ran. */
static PyObject *confinement_details_of(const cordon_confinement *c)
{
    if (!c)
        Py_RETURN_NONE;
    const uint64_t *held = c->held_limits;
    return Py_BuildValue(
        "{s:N,s:i,s:N,s:N,s:N,s:i,s:i,s:i,s:K,s:I,s:(KKKKK),s:K,s:K}",
        "filter", text_or_none(c->policy), "landlock_abi", c->landlock_abi,
        "file_rules", list_of(c, c->file_rule_count, file_rule_at),
        "binds", list_of(c, c->bind_count, bind_at),
        "hostname", text_or_none(c->hostname), "cgroup_version", c->cgroup_version,
        "cgroup_memory_version", c->cgroup_memory_version,
        "cgroup_pids_version", c->cgroup_pids_version,
        "max_processes", (unsigned long long)c->max_processes,
        "clamped_limits", c->clamped_limits, "held_limits",
        (unsigned long long)held[0], (unsigned long long)held[1], (unsigned long long)held[2],
        (unsigned long long)held[3], (unsigned long long)held[4],
        "uid", (unsigned long long)c->uid, "gid", (unsigned long long)c->gid);
}

/* result() -> dict of the last run's result, byte buffers as bytes. */
static PyObject *task_result(cordon_py_task *self, PyObject *unused)
{
    (void)unused;
    if (not_busy(self) < 0)
        return NULL;
    const cordon_result *r = cordon_task_result(self->task);
    const cordon_usage *u = &r->usage;
    return Py_BuildValue(
        "{s:i,s:i,s:z,s:N,s:N,s:N,s:N,s:N,s:{s:n,s:n,s:n,s:n,s:n},"
        "s:{s:K,s:K,s:K,s:K,s:K,s:K,s:K,s:K,s:K,s:K,s:K},s:I,s:I,s:N}",
        "exit_code", r->exit_code, "signal", r->signal, "exception", r->exception,
        "std_out", bytes_of(&r->std_out), "std_err", bytes_of(&r->std_err),
        "log_out", bytes_of(&r->log_out), "exc_out", bytes_of(&r->exc_out),
        "returns", bytes_of(&r->returns),
        "dropped",
        "std_out", (Py_ssize_t)r->std_out.dropped, "std_err", (Py_ssize_t)r->std_err.dropped,
        "log_out", (Py_ssize_t)r->log_out.dropped, "exc_out", (Py_ssize_t)r->exc_out.dropped,
        "returns", (Py_ssize_t)r->returns.dropped,
        "usage",
        "wall_us", (unsigned long long)u->wall_us, "user_us", (unsigned long long)u->user_us,
        "sys_us", (unsigned long long)u->sys_us, "max_rss_kb", (unsigned long long)u->max_rss_kb,
        "minflt", (unsigned long long)u->minflt, "majflt", (unsigned long long)u->majflt,
        "nvcsw", (unsigned long long)u->nvcsw, "nivcsw", (unsigned long long)u->nivcsw,
        "inblock", (unsigned long long)u->inblock, "oublock", (unsigned long long)u->oublock,
        "tree_peak_kb", (unsigned long long)u->tree_peak_kb,
        "attempts", r->attempts, "confinement", r->confinement,
        "confinement_details", confinement_details_of(r->confinement_details));
}

#define METHOD(name, flags) \
    { #name, (PyCFunction)(void (*)(void))task_##name, flags, NULL }

static PyMethodDef task_methods[] = {
    METHOD(set_timeout_ms, METH_O),
    METHOD(set_limit, METH_VARARGS),
    METHOD(set_policy, METH_O),
    METHOD(set_cwd, METH_O),
    METHOD(set_env, METH_O),
    METHOD(clear_env, METH_NOARGS),
    METHOD(set_user, METH_VARARGS),
    METHOD(set_stdin, METH_O),
    METHOD(set_core_dumps, METH_O),
    METHOD(set_tree_accounting, METH_O),
    METHOD(set_isolation, METH_O),
    METHOD(allow_path, METH_VARARGS),
    METHOD(allow_system_paths, METH_NOARGS),
    METHOD(set_network, METH_O),
    METHOD(add_tmpfs, METH_O),
    METHOD(add_bind, METH_VARARGS),
    METHOD(set_minimal_dev, METH_O),
    METHOD(set_hostname, METH_O),
    METHOD(set_cgroup_namespace, METH_O),
    METHOD(check, METH_NOARGS),
    METHOD(run, METH_NOARGS),
    METHOD(start, METH_NOARGS),
    METHOD(join, METH_O),
    METHOD(cancel, METH_NOARGS),
    METHOD(run_profiler, METH_NOARGS),
    METHOD(result, METH_NOARGS),
    { NULL, NULL, 0, NULL },
};

PyTypeObject cordon_py_task_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "cordon._cordon.Task",
    .tp_doc = "A libcordon task; made by function_task, shell_task or command_task.",
    .tp_basicsize = sizeof(cordon_py_task),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_dealloc = (destructor)task_dealloc,
    .tp_methods = task_methods,
};
