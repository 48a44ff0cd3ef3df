/* What a result says in one line: the exception's message, and success. */
#include <string.h>

#include "internal.h"

/*
 * The first line of exc_out is "Class: message" for every ending cordon
 * reports (a raise, a crash, a deadline, a limit, a violation): the
 * message is that line without its class.  A raised message reaches
 * exc_out with its control bytes escaped, so it is one line already.
 */
void cordon__result_message_fill(cordon_task *t)
{
    t->message[0] = '\0';
    if (!t->exception_class[0])
        return;
    const char *line = cordon__buffer_view(&t->exc_out).data;
    size_t len = strcspn(line, "\n");
    size_t class_len = strlen(t->exception_class);
    if (len >= class_len + 2 && strncmp(line, t->exception_class, class_len) == 0 &&
        line[class_len] == ':' && line[class_len + 1] == ' ') {
        line += class_len + 2;
        len -= class_len + 2;
    }
    if (len >= sizeof t->message)
        len = sizeof t->message - 1;
    memcpy(t->message, line, len);
    t->message[len] = '\0';
}

int cordon_succeeded(const cordon_result *r)
{
    return r && !r->exception && r->exit_code == 0;
}
