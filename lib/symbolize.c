/*
 * Names for code addresses of this process, static functions included, for
 * crash backtraces and the profiler alike.  dladdr only sees the dynamic
 * symbol table, so the ELF file of the object that holds the address is
 * read for its full .symtab (falling back to .dynsym for stripped objects).
 * A function task's child has the parent's mappings, so its addresses are
 * symbolized here, in the parent.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "../sandbox/loaded_objects_walk.h"
#include "../sandbox/text_escape.h"

/* What is read of the files a task named (its set-up hook's objects):
 * FOREIGN_MAX bytes for all the files of one report together, since a
 * hook may name 8 objects, each a large sparse file.  The caller's own
 * objects are read by path, where a task of the caller's user may have
 * put a large sparse file too: OBJECT_READ_MAX each, which holds the
 * symbol tables of the largest programs (some tens of MB). */
#define FOREIGN_MAX (256u << 20)
#define OBJECT_READ_MAX (256u << 20)

/* An object's file, read piece by piece: never mapped, since a task of the
 * caller's user that truncated a mapped file (a plugin of the caller's, a
 * sibling task's object) would raise SIGBUS in the caller.  A piece the
 * file no longer holds is a short read, and the table is skipped.  What
 * one object may have read is bounded by its size at the open, so that a
 * file naming one table from many section headers is read no more than
 * once over, and what it holds (what was read, and the symbols sorted)
 * by OBJECT_READ_MAX. */
struct elf_file {
    int fd;
    uint64_t size;          /* at the open */
    uint64_t read_bytes;    /* pieces read so far, of `size` */
    uint64_t held;          /* memory held for it: pieces and sorted symbols, of OBJECT_READ_MAX */
    uint64_t *shared_used;  /* a task's objects: all of them, of FOREIGN_MAX; or NULL */
};

static bool in_file(const struct elf_file *file, uint64_t offset, uint64_t len)
{
    return offset <= file->size && len <= file->size - offset;
}

/*
 * One snapshot of the loaded objects, and for each object the ELF file
 * mapped and its function symbols sorted once, on its first address; then
 * every lookup (a profile holds thousands) is two binary searches.
 */
struct sorted_symbol {
    uint64_t start, size;
    const char *name;
    size_t order;           /* position in the table: the first alias wins */
};

struct symbolizer_object {
    uintptr_t base;
    char *path;
    const char *basename;
    bool main_program;
    bool foreign;           /* loaded by a task's set-up hook: read, not mapped */
    bool loaded;            /* the symbols were read, or could not be */
    void **pieces;          /* what was read of its file; names point here */
    size_t piece_count;
    struct sorted_symbol *symbols;
    size_t symbol_count;
};

struct symbolizer_range {
    uintptr_t start, end;
    int object;
};

struct cordon__symbolizer {
    struct symbolizer_object *objects;
    size_t object_count;
    struct symbolizer_range *ranges;
    size_t range_count;
    /* Objects only a task's process had: looked up first, since the
     * parent may have mapped something else at their addresses since. */
    struct symbolizer_range foreign[CORDON_HOOK_OBJECTS];
    size_t foreign_count;
    uint64_t foreign_bytes; /* read so far, of FOREIGN_MAX for them all */
    int error;
};

/* The loader keeps a relative name as dlopen was given it
 * ("./plugin.so"), which means nothing once the working directory has
 * changed; the kernel's view of the mapping holds the file's absolute
 * path.  `path` is left as it is when no file is mapped there. */
static void path_from_maps(uintptr_t address, char *path, size_t size)
{
    FILE *maps = fopen("/proc/self/maps", "re");
    if (!maps)
        return;
    char line[4096 + 256];
    while (fgets(line, sizeof line, maps)) {
        unsigned long start, end;
        int file_at = 0;
        if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &start, &end, &file_at) < 2 ||
            file_at == 0 || address < start || address >= end)
            continue;
        char *file = line + file_at;
        file[strcspn(file, "\n")] = '\0';
        if (file[0] == '/')
            snprintf(path, size, "%s", file);
        break;
    }
    fclose(maps);
}

static uintptr_t first_loaded_address(const struct dl_phdr_info *info)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        if (info->dlpi_phdr[i].p_type == PT_LOAD)
            return info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
    }
    return info->dlpi_addr;
}

static int snapshot_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    cordon__symbolizer *s = data;
    char path[4096];
    bool main_program = !info->dlpi_name || !info->dlpi_name[0];
    if (!main_program) {
        snprintf(path, sizeof path, "%s", info->dlpi_name);
        if (path[0] != '/')
            path_from_maps(first_loaded_address(info), path, sizeof path);
    } else {
        ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
        path[n > 0 ? n : 0] = '\0';
    }
    struct symbolizer_object *objects =
        realloc(s->objects, (s->object_count + 1) * sizeof *objects);
    struct symbolizer_range *ranges =
        realloc(s->ranges, (s->range_count + info->dlpi_phnum) * sizeof *ranges);
    if (objects)
        s->objects = objects;
    if (ranges)
        s->ranges = ranges;
    char *copy = strdup(path);
    if (!objects || !ranges || !copy) {
        free(copy);
        s->error = -ENOMEM;
        return 1;
    }
    int index = (int)s->object_count++;
    struct symbolizer_object *object = &s->objects[index];
    memset(object, 0, sizeof *object);
    object->base = info->dlpi_addr;
    object->main_program = main_program;
    object->path = copy;
    object->basename = strrchr(copy, '/') ? strrchr(copy, '/') + 1 : copy;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && ph->p_memsz)
            s->ranges[s->range_count++] = (struct symbolizer_range){
                .start = info->dlpi_addr + ph->p_vaddr,
                .end = info->dlpi_addr + ph->p_vaddr + ph->p_memsz,
                .object = index,
            };
    }
    return 0;
}

static int compare_ranges(const void *a, const void *b)
{
    const struct symbolizer_range *x = a, *y = b;
    return (x->start > y->start) - (x->start < y->start);
}

static int compare_symbols(const void *a, const void *b)
{
    const struct sorted_symbol *x = a, *y = b;
    if (x->start != y->start)
        return (x->start > y->start) - (x->start < y->start);
    return (x->order > y->order) - (x->order < y->order);
}

cordon__symbolizer *cordon__symbolizer_new(void)
{
    cordon__symbolizer *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    cordon__walk_loaded_objects(snapshot_object, s);
    if (s->error) {
        cordon__symbolizer_free(s);
        errno = ENOMEM;
        return NULL;
    }
    qsort(s->ranges, s->range_count, sizeof *s->ranges, compare_ranges);
    return s;
}

/* Reads `len` bytes at `offset` into memory the object keeps, or NULL:
 * outside the file, past what the object (or a task's objects together)
 * may read, out of memory, or a short read (the file shrank). */
static const unsigned char *read_piece(struct symbolizer_object *object, struct elf_file *file,
                                       uint64_t offset, uint64_t len)
{
    if (len == 0 || !in_file(file, offset, len) || len > file->size - file->read_bytes ||
        file->held > OBJECT_READ_MAX || len > OBJECT_READ_MAX - file->held)
        return NULL;
    if (file->shared_used && len > FOREIGN_MAX - *file->shared_used)
        return NULL;
    void **grown = realloc(object->pieces, (object->piece_count + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    object->pieces = grown;
    unsigned char *bytes = malloc((size_t)len);
    if (!bytes)
        return NULL;
    file->read_bytes += len;
    file->held += len;
    if (file->shared_used)
        *file->shared_used += len;
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(file->fd, bytes + got, (size_t)len - got, (off_t)(offset + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            free(bytes);
            return NULL;
        }
        got += (size_t)n;
    }
    object->pieces[object->piece_count++] = bytes;
    return bytes;
}

/* Appends the function symbols of one table; -ENOMEM or 0. */
static int add_table(struct symbolizer_object *object, const Elf64_Sym *symbols,
                     size_t symbol_count, const char *names, uint64_t names_size)
{
    struct sorted_symbol *grown =
        realloc(object->symbols, (object->symbol_count + symbol_count + 1) * sizeof *grown);
    if (!grown)
        return -ENOMEM;
    object->symbols = grown;
    for (size_t n = 0; n < symbol_count; n++) {
        const Elf64_Sym *sym = &symbols[n];
        if (ELF64_ST_TYPE(sym->st_info) != STT_FUNC || sym->st_value == 0 ||
            sym->st_name >= names_size ||
            !memchr(names + sym->st_name, '\0', names_size - sym->st_name))
            continue;
        object->symbols[object->symbol_count] = (struct sorted_symbol){
            .start = sym->st_value, .size = sym->st_size, .name = names + sym->st_name,
            .order = object->symbol_count,
        };
        object->symbol_count++;
    }
    return 0;
}

/* What one symbol may cost in memory: its entry as read, its sorted copy,
 * and the sort's own copy of that (glibc's qsort merges through a buffer
 * as large as the array). */
#define SYMBOL_COST (sizeof(Elf64_Sym) + 2 * sizeof(struct sorted_symbol))

/* Appends the function symbols of every section of `type`; returns how many
 * were added, or -ENOMEM.  A file holds no more symbols than its size
 * has room for: a task's plugin named one table from each of 256 section
 * headers, and a 0.4 MB file had the caller sort 4 million symbols (128 MB)
 * for one crash report.  What a table names past that room is left out. */
static long collect_symbols(struct symbolizer_object *object, struct elf_file *file,
                            const Elf64_Shdr *sections, unsigned count, unsigned type)
{
    const size_t room = (size_t)(file->size / sizeof(Elf64_Sym));
    size_t before = object->symbol_count;
    for (unsigned i = 0; i < count && object->symbol_count < room; i++) {
        const Elf64_Shdr *symtab = &sections[i];
        if (symtab->sh_type != type || symtab->sh_link >= count ||
            symtab->sh_entsize != sizeof(Elf64_Sym) ||
            !in_file(file, symtab->sh_offset, symtab->sh_size))
            continue;
        const Elf64_Shdr *strtab = &sections[symtab->sh_link];
        size_t symbol_count = symtab->sh_size / sizeof(Elf64_Sym);
        if (symbol_count > room - object->symbol_count)
            symbol_count = room - object->symbol_count;
        /* What the table will hold, its names and sorted copies included,
         * within what one object may hold. */
        uint64_t left = file->held < OBJECT_READ_MAX ? OBJECT_READ_MAX - file->held : 0;
        left = left > strtab->sh_size ? left - strtab->sh_size : 0;
        if (symbol_count > left / SYMBOL_COST)
            symbol_count = (size_t)(left / SYMBOL_COST);
        if (symbol_count == 0)
            continue;
        const unsigned char *symbols =
            read_piece(object, file, symtab->sh_offset, symbol_count * sizeof(Elf64_Sym));
        const unsigned char *names = symbols ? read_piece(object, file, strtab->sh_offset,
                                                          strtab->sh_size) : NULL;
        if (!names)
            continue;
        /* malloc's memory is aligned for any type: the table may be read in place. */
        int rc = add_table(object, (const Elf64_Sym *)(const void *)symbols, symbol_count,
                           (const char *)names, strtab->sh_size);
        if (rc < 0)
            return rc;
        file->held += symbol_count * 2 * sizeof(struct sorted_symbol);
    }
    return (long)(object->symbol_count - before);
}

/* The section header table, then the symbol tables of one type (the full
 * .symtab, else .dynsym for a stripped object) and their names. */
static void read_symbols(struct symbolizer_object *object, struct elf_file *file)
{
    Elf64_Ehdr header;
    ssize_t n;
    do
        n = pread(file->fd, &header, sizeof header, 0);
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof header || memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 ||
        header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_shentsize != sizeof(Elf64_Shdr))
        return;
    const unsigned char *table =
        read_piece(object, file, header.e_shoff, (uint64_t)header.e_shnum * sizeof(Elf64_Shdr));
    if (!table)
        return;
    const Elf64_Shdr *sections = (const Elf64_Shdr *)(const void *)table;
    long found = collect_symbols(object, file, sections, header.e_shnum, SHT_SYMTAB);
    if (found == 0)
        found = collect_symbols(object, file, sections, header.e_shnum, SHT_DYNSYM);
    if (found < 0)
        object->symbol_count = 0;
    if (object->symbol_count > 0)
        qsort(object->symbols, object->symbol_count, sizeof *object->symbols, compare_symbols);
}

/* Reads the object's symbols from its file and sorts them; an object that
 * cannot be read simply has none. */
static void load_symbols(struct symbolizer_object *object, uint64_t *foreign_budget_used)
{
    object->loaded = true;
    /* The program through /proc, which still opens if its file was replaced
     * or deleted; a name that is no path (the vDSO's) has no file. */
    const char *path = object->main_program ? "/proc/self/exe" : object->path;
    if (path[0] != '/')
        return;
    /* The caller's own objects by path too, where a task of the caller's
     * user may have put a FIFO (an open for reading waited for a writer
     * for good) or a device: regular files only. */
    int fd = cordon__open_regular_file(path);
    if (fd < 0)
        return;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        struct elf_file file = { .fd = fd, .size = (uint64_t)st.st_size,
                                 .shared_used = object->foreign ? foreign_budget_used : NULL };
        read_symbols(object, &file);
    }
    close(fd);
}

/* The symbol covering `offset` with the highest start (the first alias among
 * equals), as the one-address search picks it. */
static const struct sorted_symbol *find_sorted(const struct symbolizer_object *object,
                                               uint64_t offset)
{
    size_t lo = 0, hi = object->symbol_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (object->symbols[mid].start <= offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    const struct sorted_symbol *best = NULL;
    /* A few steps back cover aliases and size-0 markers before the owner. */
    for (size_t i = lo, steps = 0; i-- > 0 && steps < 64; steps++) {
        const struct sorted_symbol *c = &object->symbols[i];
        if (best && c->start < best->start)
            break;
        if (offset < c->start + c->size || (c->size == 0 && offset == c->start))
            best = c;
    }
    return best;
}

static const struct symbolizer_range *find_range(const cordon__symbolizer *s, uintptr_t address)
{
    for (size_t i = 0; i < s->foreign_count; i++) {
        if (address >= s->foreign[i].start && address < s->foreign[i].end)
            return &s->foreign[i];
    }
    size_t lo = 0, hi = s->range_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->ranges[mid].start <= address)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || address >= s->ranges[lo - 1].end)
        return NULL;
    return &s->ranges[lo - 1];
}

int cordon__symbolizer_lookup(cordon__symbolizer *s, uintptr_t address, cordon__symbol *symbol)
{
    *symbol = (cordon__symbol){ .object = "", .object_index = -1, .offset = address };
    const struct symbolizer_range *range = find_range(s, address);
    if (!range)
        return -ENOENT;
    struct symbolizer_object *object = &s->objects[range->object];
    symbol->object = object->basename;
    symbol->object_index = range->object;
    symbol->foreign = object->foreign;
    symbol->offset = address - object->base;
    if (!object->loaded)
        load_symbols(object, &s->foreign_bytes);
    const struct sorted_symbol *found = find_sorted(object, symbol->offset);
    if (!found)
        return -ENOENT;
    symbol->name = found->name;
    /* Clones (name.constprop.0, name.cold) are the function the user wrote. */
    symbol->name_len = (int)strcspn(found->name, ".");
    symbol->offset -= found->start;
    return 0;
}

void cordon__symbolizer_free(cordon__symbolizer *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->object_count; i++) {
        struct symbolizer_object *object = &s->objects[i];
        for (size_t p = 0; p < object->piece_count; p++)
            free(object->pieces[p]);
        free(object->pieces);
        free(object->symbols);
        free(object->path);
    }
    free(s->objects);
    free(s->ranges);
    free(s);
}

/* Names as a report shows them, escaped (`\x1b`, `\x0a`) so that they can
 * neither drive the reader's terminal nor end the report's line and pass
 * for its next one: a hook-loaded object's are the task's, and the
 * caller's own are read from files a task of the caller's user may have
 * replaced (a symbol named with a forged frame line and escape sequences
 * came through as it was).  The caller's own are demangled first; a
 * hook-loaded object's are never parsed.  `name` and `object` hold what
 * the symbol then points to. */
static void escape_names(cordon__symbol *symbol, char *name, char *object, size_t size)
{
    char plain[512];
    const char *shown = symbol->name ? symbol->name : "";
    size_t len = symbol->name ? (size_t)symbol->name_len : 0;
    if (symbol->name && !symbol->foreign &&
        cordon__demangle(symbol->name, symbol->name_len, plain, sizeof plain)) {
        shown = plain;
        len = strlen(plain);
    }
    cordon__escape_text(name, size, shown, len < size ? len : size);
    cordon__escape_text(object, size, symbol->object, strnlen(symbol->object, size));
    if (symbol->name)
        symbol->name = name;
    symbol->name_len = (int)strlen(name);
    symbol->object = object;
}

int cordon__symbolizer_describe(cordon__symbolizer *s, uintptr_t address, char *out, size_t size)
{
    cordon__symbol symbol;
    int rc = cordon__symbolizer_lookup(s, address, &symbol);
    char escaped_name[512], escaped_object[512];
    escape_names(&symbol, escaped_name, escaped_object, sizeof escaped_name);
    if (rc == 0)
        snprintf(out, size, "%.*s+0x%llx (%s)", symbol.name_len, symbol.name,
                 (unsigned long long)symbol.offset, symbol.object);
    else if (symbol.object_index < 0)
        snprintf(out, size, "?? (no mapped object)");
    else
        snprintf(out, size, "?? (%s+0x%llx)", symbol.object, (unsigned long long)symbol.offset);
    return rc;
}

/* The span's bound: no object of a real process spans a terabyte. */
#define FOREIGN_SPAN_MAX (1ull << 40)

void cordon__symbolizer_add_loaded(cordon__symbolizer *s, const cordon__loaded_object *objects,
                                   uint32_t count)
{
    /* The count is the task's word too: never past the record's room
     * (entries skipped below would otherwise let it run on). */
    if (count > CORDON_HOOK_OBJECTS)
        count = CORDON_HOOK_OBJECTS;
    for (uint32_t i = 0; s && i < count && s->foreign_count < CORDON_HOOK_OBJECTS; i++) {
        const cordon__loaded_object *o = &objects[i];
        size_t len = strnlen(o->path, sizeof o->path);
        if (len == 0 || len == sizeof o->path || o->path[0] != '/' || o->start >= o->end ||
            o->end - o->start > FOREIGN_SPAN_MAX || o->base > o->start)
            continue;
        struct symbolizer_object *grown =
            realloc(s->objects, (s->object_count + 1) * sizeof *grown);
        if (!grown)
            return;
        s->objects = grown;
        char *copy = strndup(o->path, len);
        if (!copy)
            return;
        int index = (int)s->object_count++;
        struct symbolizer_object *object = &s->objects[index];
        memset(object, 0, sizeof *object);
        object->base = (uintptr_t)o->base;
        object->foreign = true;
        object->path = copy;
        object->basename = strrchr(copy, '/') + 1;
        s->foreign[s->foreign_count++] = (struct symbolizer_range){
            .start = (uintptr_t)o->start, .end = (uintptr_t)o->end, .object = index,
        };
    }
}
