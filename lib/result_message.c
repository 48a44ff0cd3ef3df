/* What a result says in one line: the exception's message, and success. */
#include <stdbool.h>
#include <string.h>

#include "internal.h"
#include "../sandbox/text_escape.h"

/*
 * The first line of exc_out is "Class: message" for every ending cordon
 * reports (a raise, a crash, a deadline, a limit, a violation): the
 * message is that line without its class.  A raised message reaches
 * exc_out with its control bytes escaped (newlines too, and the C1
 * controls however encoded: text_escape.h), so it is one line already.
 */
/* The message's length shown: a character as it is, another byte as \xNN. */
static size_t shown_length(const unsigned char *bytes, size_t len)
{
    size_t total = 0;
    for (size_t i = 0; i < len;) {
        size_t shown = cordon__printable_character_length(&bytes[i], len - i);
        total += shown ? shown : 4;
        i += shown ? shown : 1;
    }
    return total;
}

void cordon__result_message_raised(cordon_task *t, const char *text, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *bytes = (const unsigned char *)text;
    /* Too long to show whole (each escape is four bytes): cut between
     * characters with room for "...", which says so (it was cut silently). */
    bool cut = shown_length(bytes, len) >= sizeof t->message;
    size_t room_left = sizeof t->message - (cut ? 3 : 0);
    size_t at = 0;
    for (size_t i = 0; i < len;) {
        size_t shown = cordon__printable_character_length(&bytes[i], len - i);
        size_t room = shown ? shown : 4; /* "\xNN" */
        if (at + room >= room_left)
            break; /* a character whole or not at all */
        if (shown) {
            memcpy(&t->message[at], &text[i], shown);
            at += shown;
            i += shown;
            continue;
        }
        unsigned char c = bytes[i++];
        t->message[at++] = '\\';
        t->message[at++] = 'x';
        t->message[at++] = hex[c >> 4];
        t->message[at++] = hex[c & 15];
    }
    if (cut) {
        memcpy(&t->message[at], "...", 3);
        at += 3;
    }
    t->message[at] = '\0';
}

static void fill(cordon_task *t)
{
    if (!t->exception_class[0]) {
        t->message[0] = '\0';
        return;
    }
    if (t->message[0])
        return; /* a raise's own text */
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

void cordon__result_message_fill(cordon_task *t)
{
    fill(t);
    cordon__result_refresh(t);
}

int cordon_succeeded(const cordon_result *r)
{
    CORDON__NO_CANCELLATION;
    return r && r->attempts > 0 && !r->exception && r->exit_code == 0;
}
