/* A name, path or argument as the bytes the kernel takes. */
#include "ext.h"

PyObject *cordon_py_file_system_bytes(PyObject *arg, const char *what)
{
    if (!PyUnicode_Check(arg) && !PyBytes_Check(arg) && !PyObject_HasAttrString(arg, "__fspath__"))
        return PyErr_Format(PyExc_TypeError, "%s must be str, bytes or os.PathLike, not %s",
                            what, Py_TYPE(arg)->tp_name);
    PyObject *bytes = NULL;
    if (!PyUnicode_FSConverter(arg, &bytes)) {
        /* Not every ValueError is a NUL: a lone surrogate has no bytes in
         * the file system's encoding (it was said to hold a NUL). */
        if (PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) {
            PyErr_Clear();
            PyErr_Format(PyExc_ValueError, "%s %R cannot be written in the file system's "
                         "encoding: a lone surrogate, which os.fsencode refuses too", what, arg);
        } else if (PyErr_ExceptionMatches(PyExc_ValueError)) {
            PyErr_Clear();
            PyErr_Format(PyExc_ValueError, "%s %R holds a NUL byte, where the C string cordon "
                         "passes on would end", what, arg);
        }
        return NULL;
    }
    return bytes;
}
