/*
 * A JSON document read whole into a tree, for the policy importers.
 *
 * The input is hostile: a profile can come from anywhere.  Nesting is
 * bounded (so the recursive parser cannot exhaust the stack), the input
 * size is bounded by the caller, strings are decoded and checked (no NUL,
 * no raw control character, no lone surrogate), an object may not name a
 * key twice (two readers would disagree about which one counts), and
 * every value keeps the line and column it starts at, so that both a
 * syntax error and a complaint about a well-formed value can say where.
 * Private to sandbox/.
 */
#ifndef CORDON_SANDBOX_JSON_TREE_H
#define CORDON_SANDBOX_JSON_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/cordon.h"

/* Deeper documents are refused; a seccomp profile needs 5 levels. */
#define JSON_MAX_DEPTH 32
/* Objects hold at most this many members; arrays are not bounded. */
#define JSON_MAX_MEMBERS 256

typedef enum json_kind {
    JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT
} json_kind;

typedef struct json_value {
    json_kind kind;
    unsigned line, column;       /* 1-based, of the value's first byte */
    char *text;                  /* STRING: decoded, NUL-terminated; NUMBER: as written */
    size_t count;                /* ARRAY: items; OBJECT: members */
    struct json_value *items;    /* ARRAY items, OBJECT member values */
    char **keys;                 /* OBJECT member keys, decoded */
    unsigned *key_lines, *key_columns;
} json_value;

/* Parses `len` bytes (`text` need not be NUL-terminated).  Returns a tree
 * to free with json_free, or NULL with `err` naming ORIGIN:LINE:COL and
 * what was expected there (-EINVAL), or -ENOMEM. */
json_value *cordon__json_parse(const char *text, size_t len, const char *origin, cordon_error *err);
void cordon__json_free(json_value *v);

/* The member `key` of an object, or NULL. */
const json_value *cordon__json_member(const json_value *object, const char *key);
/* The kind as a message names it: "a string", "an array", … */
const char *cordon__json_kind_name(json_kind kind);
/* A NUMBER that is a whole number from 0 to UINT64_MAX, written without
 * fraction or exponent. */
bool cordon__json_uint64(const json_value *v, uint64_t *out);
/* `text` fit to be shown in a message or a comment: printable ASCII, other
 * bytes as \xNN, cut at 60 bytes with "...", in single quotes.  A name
 * read from a hostile file can then never start a line of its own. */
const char *cordon__json_shown(const char *text, char *buffer, size_t size);

#endif
