/* A JSON writer into a growing buffer.  Strings are taken as bytes: valid
 * UTF-8 is kept, every byte that is not part of valid UTF-8 is written as
 * \u00XX, so the output always parses whatever the task printed. */
#ifndef CORDON_RUNNER_JSON_H
#define CORDON_RUNNER_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 8

typedef struct json_writer {
    char *data;
    size_t len, cap;
    int depth;
    bool need_comma[JSON_MAX_DEPTH];
} json_writer;

void json_init(json_writer *w);
void json_free(json_writer *w);

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
