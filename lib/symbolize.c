/*
 * Names for code addresses of this process, static functions included.
 * dladdr only sees the dynamic symbol table, so the ELF file of the object
 * that holds the address is read for its full .symtab (falling back to
 * .dynsym for stripped objects).  A function task's child has the parent's
 * mappings, so its addresses are symbolized here, in the parent.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

struct object_lookup {
    uintptr_t address;
    uintptr_t base;
    char path[4096];
    bool found;
};

static int find_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct object_lookup *lookup = data;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t start = info->dlpi_addr + ph->p_vaddr;
        if (lookup->address >= start && lookup->address < start + ph->p_memsz) {
            lookup->base = info->dlpi_addr;
            if (info->dlpi_name && info->dlpi_name[0]) {
                snprintf(lookup->path, sizeof lookup->path, "%s", info->dlpi_name);
            } else {
                /* The main program: its own name is only in /proc. */
                ssize_t n = readlink("/proc/self/exe", lookup->path, sizeof lookup->path - 1);
                lookup->path[n > 0 ? n : 0] = '\0';
                if (n <= 0)
                    snprintf(lookup->path, sizeof lookup->path, "/proc/self/exe");
            }
            lookup->found = true;
            return 1;
        }
    }
    return 0;
}

struct elf_image {
    const unsigned char *bytes;
    size_t size;
};

static bool in_image(const struct elf_image *image, uint64_t offset, uint64_t len)
{
    return offset <= image->size && len <= image->size - offset;
}

/* Finds the function symbol covering `offset` in one symbol table section. */
static const char *search_section(const struct elf_image *image, const Elf64_Shdr *sections,
                                  unsigned count, unsigned type, uint64_t offset,
                                  uint64_t *symbol_start)
{
    for (unsigned i = 0; i < count; i++) {
        const Elf64_Shdr *symtab = &sections[i];
        if (symtab->sh_type != type || symtab->sh_link >= count ||
            symtab->sh_entsize != sizeof(Elf64_Sym) ||
            !in_image(image, symtab->sh_offset, symtab->sh_size))
            continue;
        const Elf64_Shdr *strtab = &sections[symtab->sh_link];
        if (!in_image(image, strtab->sh_offset, strtab->sh_size))
            continue;
        const Elf64_Sym *symbols = (const Elf64_Sym *)(image->bytes + symtab->sh_offset);
        size_t symbol_count = symtab->sh_size / sizeof(Elf64_Sym);
        const Elf64_Sym *best = NULL;
        for (size_t s = 0; s < symbol_count; s++) {
            const Elf64_Sym *sym = &symbols[s];
            if (ELF64_ST_TYPE(sym->st_info) != STT_FUNC || sym->st_value == 0)
                continue;
            bool covers = offset >= sym->st_value &&
                          (offset < sym->st_value + sym->st_size ||
                           (sym->st_size == 0 && offset == sym->st_value));
            if (covers && (!best || sym->st_value > best->st_value))
                best = sym;
        }
        if (best && best->st_name < strtab->sh_size) {
            const char *name = (const char *)image->bytes + strtab->sh_offset + best->st_name;
            if (memchr(name, '\0', strtab->sh_size - best->st_name)) {
                *symbol_start = best->st_value;
                return name;
            }
        }
    }
    return NULL;
}

static const char *lookup_symbol(const struct elf_image *image, uint64_t offset,
                                 uint64_t *symbol_start)
{
    if (image->size < sizeof(Elf64_Ehdr))
        return NULL;
    const Elf64_Ehdr *header = (const Elf64_Ehdr *)image->bytes;
    if (memcmp(header->e_ident, ELFMAG, SELFMAG) != 0 || header->e_ident[EI_CLASS] != ELFCLASS64 ||
        header->e_shentsize != sizeof(Elf64_Shdr) ||
        !in_image(image, header->e_shoff, (uint64_t)header->e_shnum * sizeof(Elf64_Shdr)))
        return NULL;
    const Elf64_Shdr *sections = (const Elf64_Shdr *)(image->bytes + header->e_shoff);
    const char *name = search_section(image, sections, header->e_shnum, SHT_SYMTAB, offset,
                                      symbol_start);
    if (!name)
        name = search_section(image, sections, header->e_shnum, SHT_DYNSYM, offset,
                              symbol_start);
    return name;
}

int cordon__symbolize(uintptr_t address, char *out, size_t size)
{
    struct object_lookup lookup = { .address = address };
    dl_iterate_phdr(find_object, &lookup);
    if (!lookup.found) {
        snprintf(out, size, "?? (no mapped object)");
        return -ENOENT;
    }
    int fd = open(lookup.path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    void *map = MAP_FAILED;
    if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0)
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (fd >= 0)
        close(fd);
    const char *object = strrchr(lookup.path, '/') ? strrchr(lookup.path, '/') + 1 : lookup.path;
    if (map == MAP_FAILED) {
        snprintf(out, size, "?? (%s+0x%zx)", object, (size_t)(address - lookup.base));
        return -errno;
    }
    struct elf_image image = { .bytes = map, .size = (size_t)st.st_size };
    uint64_t start = 0, offset = address - lookup.base;
    const char *name = lookup_symbol(&image, offset, &start);
    /* The compiler's clones (name.constprop.0, name.isra.1, name.cold) are
     * the user's function: report it by the name they wrote. */
    int name_len = name ? (int)strcspn(name, ".") : 0;
    if (name)
        snprintf(out, size, "%.*s+0x%llx (%s)", name_len, name,
                 (unsigned long long)(offset - start), object);
    else
        snprintf(out, size, "?? (%s+0x%llx)", object, (unsigned long long)offset);
    munmap(map, image.size);
    return name ? 0 : -ENOENT;
}
