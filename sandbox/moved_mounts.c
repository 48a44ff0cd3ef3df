/*
 * Whether a mount the init was to cover, and no longer finds at its path,
 * moved or went (hidden_mounts.c).  A rename of a directory above it moves
 * it in the task's view too, even once that view is cut off from the
 * caller's: its cover would miss it, so the start fails.  A directory
 * removed beneath it (a chroot taken down as the task starts) takes it
 * out of every view: nothing is left to cover, and the task runs.
 *
 * Moved means the view still holds a mount of its file system at a place
 * that is none of those the init covers or that cordon replaces: not
 * beneath /proc or /sys (the task's own /proc, a read-only /sys), not
 * /dev, /dev/pts, /dev/mqueue or /dev/shm (the task's own), and not
 * another path of the list; at its own path again (renamed back since it
 * was looked for) it moved too: the cover missed it.  Read in pieces
 * (cordon__own_mount_table_read), with raw calls and no memory of its
 * own: the init's part.
 */
#include <limits.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "confine.h"

/* Fields of a line: ID PARENT MAJOR:MINOR ROOT POINT ... */
#define DEVICE_FIELD 2
#define POINT_FIELD 4

typedef struct line_reader {
    unsigned field;
    unsigned long major, minor;
    bool in_minor, too_long;
    char point[PATH_MAX];
    size_t point_length;
    unsigned escape_digits, escape_value;   /* a \ooo being read */
} line_reader;

static bool a_place_of_cordon_s(const char *point, const cordon__path_list *list,
                                size_t index)
{
    static const char *const own[] = { "/dev", "/dev/pts", "/dev/mqueue", "/dev/shm" };
    if (cordon__path_at_or_beneath(point, "/proc") || cordon__path_at_or_beneath(point, "/sys"))
        return true;
    for (size_t i = 0; i < sizeof own / sizeof *own; i++)
        if (!strcmp(point, own[i]))
            return true;
    for (size_t i = 0; i < list->count; i++)
        if (i != index && !strcmp(point, list->paths[i]))
            return true;
    return false;
}

static void add_point_byte(line_reader *r, char byte)
{
    if (r->point_length + 1 < sizeof r->point)
        r->point[r->point_length++] = byte;
    else
        r->too_long = true;
}

/* mountinfo writes a space, tab, newline and backslash of a path as \ooo. */
static void read_point_byte(line_reader *r, char byte)
{
    if (r->escape_digits) {
        r->escape_value = r->escape_value << 3 | (unsigned)(byte - '0');
        if (++r->escape_digits == 4) {
            add_point_byte(r, (char)r->escape_value);
            r->escape_digits = 0;
        }
    } else if (byte == '\\') {
        r->escape_digits = 1;
        r->escape_value = 0;
    } else {
        add_point_byte(r, byte);
    }
}

static void read_device_byte(line_reader *r, char byte)
{
    if (byte == ':')
        r->in_minor = true;
    else if (r->in_minor)
        r->minor = r->minor * 10 + (unsigned long)(byte - '0');
    else
        r->major = r->major * 10 + (unsigned long)(byte - '0');
}

/* A line ended: whether it is a mount of `device` at a place of its own
 * (then in `point`). */
static bool line_ends(line_reader *r, dev_t device, const cordon__path_list *list, size_t index,
                      char *point, size_t size)
{
    r->point[r->point_length] = '\0';
    bool found = r->field > POINT_FIELD && !r->too_long && r->point_length < size &&
                 makedev(r->major, r->minor) == device &&
                 !a_place_of_cordon_s(r->point, list, index);
    if (found)
        memcpy(point, r->point, r->point_length + 1);
    *r = (line_reader){ .field = 0 };
    return found;
}

/* The search: the mount looked for, the line being read, and where a
 * mount found elsewhere is written. */
typedef struct search {
    const cordon__path_list *list;
    size_t index;
    char *point;
    size_t size;
    bool found;
    line_reader line;
} search;

/* A piece of the table read: false once the mount is found. */
static bool search_piece(const char *piece, size_t count, void *arg)
{
    search *s = arg;
    line_reader *r = &s->line;
    for (size_t i = 0; i < count && !s->found; i++) {
        if (piece[i] == '\n')
            s->found = line_ends(r, s->list->places[s->index].device, s->list, s->index,
                                 s->point, s->size);
        else if (piece[i] == ' ')
            r->field++;
        else if (r->field == DEVICE_FIELD)
            read_device_byte(r, piece[i]);
        else if (r->field == POINT_FIELD)
            read_point_byte(r, piece[i]);
    }
    return !s->found;
}

int cordon__mounted_elsewhere(const cordon__path_list *list, size_t index, char *point,
                              size_t size)
{
    search s = { .list = list, .index = index, .point = point, .size = size };
    int rc = cordon__own_mount_table_read(search_piece, &s);
    return s.found ? 1 : rc;
}
