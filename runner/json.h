/* A JSON writer into a growing buffer, or through a small one into a sink
 * (json_set_sink): a record of a task's captured output, escaped, can be
 * six times the output, and the caps on the output bound the runner's
 * memory only if the record is never held whole.  Strings are taken as bytes: valid
 * UTF-8 is kept, every byte that is not part of valid UTF-8 is written as
 * \u00XX, so the output always parses whatever the task printed. */
#ifndef CORDON_RUNNER_JSON_H
#define CORDON_RUNNER_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 8

/* Takes `len` bytes of the text; 0, or -1 when they could not go. */
typedef int (*json_sink)(void *user, const char *data, size_t len);

typedef struct json_writer {
    char *data;
    size_t len, cap;
    json_sink sink;
    void *sink_user;
    bool sink_failed;
    int depth;
    bool need_comma[JSON_MAX_DEPTH];
} json_writer;

void json_init(json_writer *w);
void json_free(json_writer *w);
/* From now on the text goes to `sink` in pieces of some 64 KiB (the rest
 * at json_flush); after a piece it refused, nothing more is given to it. */
void json_set_sink(json_writer *w, json_sink sink, void *user);
/* Gives the sink what is buffered: 0, or -1 when the sink refused any
 * piece of the text. */
int json_flush(json_writer *w);

void json_begin_object(json_writer *w);
void json_end_object(json_writer *w);
void json_begin_array(json_writer *w);
void json_end_array(json_writer *w);
/* Inside an object: the key of the next value. */
void json_key(json_writer *w, const char *key);

void json_string(json_writer *w, const char *data, size_t len);
void json_cstring(json_writer *w, const char *s);   /* NULL writes null */
void json_uint(json_writer *w, uint64_t value);
void json_int(json_writer *w, int64_t value);
void json_null(json_writer *w);

/* Appends raw bytes (a newline ending a JSON Lines record). */
void json_raw(json_writer *w, const char *data, size_t len);

#endif
