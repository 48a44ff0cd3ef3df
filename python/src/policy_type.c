/* cordon._cordon.Policy: a compiled seccomp policy, loaded or parsed once
 * and shared by any number of tasks. */
#include "ext.h"

/* `text=` as UTF-8 bytes: a str, or bytes as a file holds them; NULL with
 * a TypeError or ValueError that names text= for anything else. */
static PyObject *policy_text_bytes(PyObject *text)
{
    PyObject *bytes = PyUnicode_Check(text) ? PyUnicode_AsUTF8String(text)
                      : PyBytes_Check(text) ? (Py_INCREF(text), text) : NULL;
    if (!bytes) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_TypeError, "Policy: text= must be str or bytes, not %s",
                         Py_TYPE(text)->tp_name);
        return NULL;
    }
    if (strlen(PyBytes_AS_STRING(bytes)) != (size_t)PyBytes_GET_SIZE(bytes)) {
        Py_DECREF(bytes);
        PyErr_SetString(PyExc_ValueError, "Policy: text= holds a NUL byte");
        return NULL;
    }
    return bytes;
}

static PyObject *policy_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = { "name_or_path", "text", "origin", NULL };
    PyObject *name_arg = Py_None, *text_arg = Py_None, *origin_arg = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|O$OO", keywords, &name_arg, &text_arg,
                                     &origin_arg))
        return NULL;
    if (name_arg != Py_None && text_arg != Py_None)
        return PyErr_Format(PyExc_TypeError, "Policy takes a name or path, or text=, not both "
                                             "(given %R and text=)", name_arg);
    if (name_arg == Py_None && text_arg == Py_None)
        return PyErr_Format(PyExc_TypeError, "Policy needs a name or path, or text=");
    PyObject *bytes = name_arg != Py_None
                          ? cordon_py_file_system_bytes(name_arg, "Policy: the name or path")
                          : policy_text_bytes(text_arg);
    if (!bytes)
        return NULL;
    /* The origin names where the text came from, a file's name as often as
     * not: taken as a path is (os.fsdecode's surrogates too). */
    PyObject *origin_bytes = origin_arg ? cordon_py_file_system_bytes(origin_arg, "Policy: origin")
                                        : PyBytes_FromString("<string>");
    if (!origin_bytes) {
        Py_DECREF(bytes);
        return NULL;
    }
    const char *origin = PyBytes_AS_STRING(origin_bytes);
    const char *name = name_arg != Py_None ? PyBytes_AS_STRING(bytes) : NULL;
    const char *text = name ? NULL : PyBytes_AS_STRING(bytes);
    cordon_error err = { 0 };
    cordon_policy *p;
    /* Loading reads files and compiles: no reason to hold the GIL. */
    Py_BEGIN_ALLOW_THREADS
    p = name ? cordon_policy_load(name, &err) : cordon_policy_parse(text, origin, &err);
    Py_END_ALLOW_THREADS
    Py_DECREF(bytes);
    Py_DECREF(origin_bytes);
    if (!p)
        return PyErr_Format(PyExc_ValueError, "%s", err.message);
    cordon_py_policy *self = (cordon_py_policy *)type->tp_alloc(type, 0);
    if (!self) {
        cordon_policy_free(p);
        return NULL;
    }
    self->policy = p;
    return (PyObject *)self;
}

static void policy_dealloc(cordon_py_policy *self)
{
    cordon_policy_free(self->policy);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *policy_get_name(cordon_py_policy *self, void *unused)
{
    (void)unused;
    return PyUnicode_FromString(cordon_policy_name(self->policy));
}

static PyObject *policy_get_description(cordon_py_policy *self, void *unused)
{
    (void)unused;
    return PyUnicode_FromString(cordon_policy_description(self->policy));
}

static PyObject *policy_repr(cordon_py_policy *self)
{
    return PyUnicode_FromFormat("<cordon.Policy '%s'>", cordon_policy_name(self->policy));
}

static PyGetSetDef policy_getset[] = {
    { "name", (getter)policy_get_name, NULL, "the name or path it was loaded by", NULL },
    { "description", (getter)policy_get_description, NULL, "its header's first line", NULL },
    { NULL, NULL, NULL, NULL, NULL },
};

PyTypeObject cordon_py_policy_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "cordon.Policy",
    .tp_doc = "Policy(name_or_path) or Policy(text=..., origin=...): a compiled seccomp "
              "policy.  The name or path is str, bytes or os.PathLike; the text str or "
              "UTF-8 bytes.  ValueError names file:line:column of a mistake.",
    .tp_basicsize = sizeof(cordon_py_policy),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = policy_new,
    .tp_dealloc = (destructor)policy_dealloc,
    .tp_repr = (reprfunc)policy_repr,
    .tp_getset = policy_getset,
};
