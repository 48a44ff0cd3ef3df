/* cordon._cordon.Policy: a compiled seccomp policy, loaded or parsed once
 * and shared by any number of tasks. */
#include "ext.h"

static PyObject *policy_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = { "name_or_path", "text", "origin", NULL };
    const char *name = NULL, *text = NULL, *origin = "<string>";
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|z$zs", keywords, &name, &text, &origin))
        return NULL;
    if (name && text)
        return PyErr_Format(PyExc_TypeError, "Policy takes a name or path, or text=, not both "
                                             "(given '%s' and text=)", name);
    if (!name && !text)
        return PyErr_Format(PyExc_TypeError, "Policy needs a name or path, or text=");
    cordon_error err = { 0 };
    cordon_policy *p;
    /* Loading reads files and compiles: no reason to hold the GIL. */
    Py_BEGIN_ALLOW_THREADS
    p = name ? cordon_policy_load(name, &err) : cordon_policy_parse(text, origin, &err);
    Py_END_ALLOW_THREADS
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
              "policy.  ValueError names file:line:column of a mistake.",
    .tp_basicsize = sizeof(cordon_py_policy),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = policy_new,
    .tp_dealloc = (destructor)policy_dealloc,
    .tp_repr = (reprfunc)policy_repr,
    .tp_getset = policy_getset,
};
