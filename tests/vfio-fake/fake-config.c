/*
 * The fake's configuration: environment variables and the topology file
 * (README.rst lists them), and the per-process resources the kernel
 * keeps (locked memory, pinnable pages).
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "fake.h"

#define DEFAULT_APERTURE_BITS   39
#define DEFAULT_DMA32_SIZE      (2ULL << 30)
#define DEFAULT_DMA_ENTRIES     65535
/* 4K, 2M and 1G: an x86 IOMMU's (VT-d, AMD-Vi) page sizes */
#define DEFAULT_TYPE1_PGSIZES   ((1ULL << 12) | (1ULL << 21) | (1ULL << 30))

/*
 * The default topology, the first version's (tests depend on it):
 * group 1 one PCIe function, group 2 a two-function device, group 3 a
 * conventional PCI function, group 4 not viable (one function bound to
 * another driver); and, added later, group 5 an NVMe controller whose
 * namespace is $VFIO_FAKE_NVME_BACKING or a small file of the fake's.
 */
static const char default_topology[] =
    "[group 1]\n"
    "devices=0000:01:00.0\n"
    "[group 2]\n"
    "devices=0000:02:00.0;0000:02:00.1\n"
    "[group 3]\n"
    "devices=0000:03:00.0\n"
    "[device 0000:03:00.0]\n"
    "pcie=false\n"
    "[group 4]\n"
    "devices=0000:04:00.0;0000:04:00.1\n"
    "[device 0000:04:00.1]\n"
    "driver=e1000e\n"
    "[group 5]\n"
    "devices=0000:05:00.0\n"
    "[device 0000:05:00.0]\n"
    "model=nvme\n";

static const FakeFuncOps *const func_models[] = {
    &fake_edu_ops,
    &fake_nvme_ops,
};

FakeGroup *fake_group_find(int id)
{
    for (guint i = 0; i < fake->groups->len; i++) {
        FakeGroup *g = g_ptr_array_index(fake->groups, i);
        if (g->id == id) {
            return g;
        }
    }
    return NULL;
}

int fake_account(uint64_t pages, bool inc)
{
    if (!inc) {
        g_assert(fake->locked_pages >= pages);
        fake->locked_pages -= pages;
        return 0;
    }
    if (fake->memlock_limit &&
        (fake->locked_pages + pages) << fake->page_shift >
        fake->memlock_limit) {
        return -ENOMEM;         /* RLIMIT_MEMLOCK, as account_locked_vm() */
    }
    fake->locked_pages += pages;
    return 0;
}

bool fake_range_mapped(uint64_t vaddr, uint64_t size)
{
    uint64_t first = vaddr & ~(fake->page_size - 1);
    uint64_t end = FAKE_ROUND_UP(vaddr + size, fake->page_size);

    /* msync fails with ENOMEM on any page that is not mapped */
    return end > first &&
           msync((void *)(uintptr_t)first, end - first, MS_ASYNC) == 0;
}

/* Numbers ---------------------------------------------------------------- */

static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;

    if (!s || !*s) {
        return false;
    }
    errno = 0;
    *out = g_ascii_strtoull(s, &end, 0);
    return !errno && !*end;
}

static int env_u64(const char *name, uint64_t *out, GError **errp)
{
    const char *s = g_getenv(name);

    if (s && !parse_u64(s, out)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s: '%s' is not a number", name, s);
        return -EINVAL;
    }
    return 0;
}

/* "1,3": set @flag on these groups. */
static int env_groups(const char *name, size_t flag_offset, GError **errp)
{
    const char *s = g_getenv(name);
    g_auto(GStrv) ids = NULL;

    if (!s || !*s) {
        return 0;
    }
    ids = g_strsplit(s, ",", -1);
    for (int i = 0; ids[i]; i++) {
        uint64_t id;
        FakeGroup *g = NULL;

        if (parse_u64(ids[i], &id)) {
            g = fake_group_find(id);
        }
        if (!g) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "%s: no group '%s' in the topology", name, ids[i]);
            return -EINVAL;
        }
        *(bool *)((char *)g + flag_offset) = true;
    }
    return 0;
}

/* Type1 IOVA ranges ------------------------------------------------------ */

/* The aperture minus every reserved range: what CAP_IOVA_RANGE reports. */
static int type1_ranges_build(FakeKernel *k, unsigned bits,
                              const char *reserved, GError **errp)
{
    g_auto(GStrv) holes = g_strsplit(reserved ? reserved : "", ",", -1);
    FakeRange all = { 0, bits >= 64 ? UINT64_MAX : (1ULL << bits) - 1 };

    if (bits < 32 || bits > 64) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "type1 aperture of %u bits: 32..64 expected", bits);
        return -EINVAL;
    }
    k->type1_ranges = g_array_new(FALSE, FALSE, sizeof(FakeRange));
    g_array_append_val(k->type1_ranges, all);
    for (int i = 0; holes[i]; i++) {
        g_auto(GStrv) ends = g_strsplit(g_strstrip(holes[i]), "-", 2);
        FakeRange h;

        if (!*holes[i]) {
            continue;
        }
        if (g_strv_length(ends) != 2 || !parse_u64(ends[0], &h.start) ||
            !parse_u64(ends[1], &h.last) || h.last < h.start) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "reserved range '%s': START-LAST expected", holes[i]);
            return -EINVAL;
        }
        /*
         * Cut @h out of every range it touches: a range is replaced by
         * what is left of it below and above @h (none, one or two), and
         * the walk goes on after what replaced it.
         */
        for (guint j = 0; j < k->type1_ranges->len;) {
            FakeRange *r = &g_array_index(k->type1_ranges, FakeRange, j);
            FakeRange below = { r->start, h.start - 1 };
            FakeRange above = { h.last + 1, r->last };

            if (h.last < r->start || h.start > r->last) {
                j++;
                continue;
            }
            g_array_remove_index(k->type1_ranges, j);
            if (h.start > below.start) {
                g_array_insert_val(k->type1_ranges, j, below);
                j++;
            }
            if (h.last < above.last) {
                g_array_insert_val(k->type1_ranges, j, above);
                j++;
            }
        }
    }
    return 0;
}

/* Topology --------------------------------------------------------------- */

static const FakeFuncOps *model_find(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(func_models); i++) {
        if (!strcmp(func_models[i]->name, name)) {
            return func_models[i];
        }
    }
    return NULL;
}

static bool pci_name_ok(const char *name)
{
    unsigned dom, bus, slot, fn;
    char tail;

    return strlen(name) == 12 &&
           sscanf(name, "%4x:%2x:%2x.%1x%c", &dom, &bus, &slot, &fn,
                  &tail) == 4 && slot < 32 && fn < 8;
}

static int device_load(FakeGroup *g, GKeyFile *kf, const char *name,
                       unsigned ordinal, GError **errp)
{
    g_autofree char *section = g_strdup_printf("device %s", name);
    g_autofree char *driver = NULL;
    g_autofree char *model = NULL;
    g_auto(GStrv) keys = NULL;
    FakeDevice *d;

    if (!pci_name_ok(name)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "group %d: '%s' is no PCI address DDDD:BB:SS.F",
                    g->id, name);
        return -EINVAL;
    }
    d = g_new0(FakeDevice, 1);
    d->group = g;
    d->name = g_strdup(name);
    d->ordinal = ordinal;
    d->pcie = true;
    d->driver = g_strdup("vfio-pci");
    d->ops = &fake_edu_ops;
    g_ptr_array_add(g->devices, d);
    if (g_key_file_has_group(kf, section)) {
        if (g_key_file_has_key(kf, section, "pcie", NULL)) {
            d->pcie = g_key_file_get_boolean(kf, section, "pcie", NULL);
        }
        driver = g_key_file_get_string(kf, section, "driver", NULL);
        if (driver) {
            g_free(d->driver);
            d->driver = g_strdup(driver);
        }
        /* every key, for the model's own (e.g. the NVMe's backing=) */
        d->params = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                          g_free);
        keys = g_key_file_get_keys(kf, section, NULL, NULL);
        for (int i = 0; keys && keys[i]; i++) {
            g_hash_table_insert(d->params, g_strdup(keys[i]),
                                g_key_file_get_string(kf, section, keys[i],
                                                      NULL));
        }
        model = g_key_file_get_string(kf, section, "model", NULL);
        d->ops = model ? model_find(model) : d->ops;
        if (!d->ops) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "device %s: unknown model '%s'", name, model);
            return -EINVAL;
        }
    }
    return fake_device_init(d, errp);
}

/* Functions of one device (same domain:bus:slot) are multi-function. */
static void mark_multifunction(FakeKernel *k)
{
    for (guint i = 0; i < k->groups->len; i++) {
        FakeGroup *g = g_ptr_array_index(k->groups, i);
        for (guint j = 0; j < g->devices->len; j++) {
            FakeDevice *d = g_ptr_array_index(g->devices, j);
            for (guint m = 0; m < g->devices->len; m++) {
                FakeDevice *o = g_ptr_array_index(g->devices, m);
                if (o != d && !strncmp(o->name, d->name, 10)) {
                    d->multifunction = true;
                }
            }
        }
    }
}

static int topology_load(FakeKernel *k, GKeyFile *kf, GError **errp)
{
    g_auto(GStrv) sections = g_key_file_get_groups(kf, NULL);
    unsigned ordinal = 0;

    for (int i = 0; sections[i]; i++) {
        g_auto(GStrv) names = NULL;
        FakeGroup *g;
        uint64_t id;

        if (!g_str_has_prefix(sections[i], "group ")) {
            continue;
        }
        if (!parse_u64(sections[i] + strlen("group "), &id) ||
            id > INT32_MAX || fake_group_find(id)) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "[%s]: bad or duplicate group number", sections[i]);
            return -EINVAL;
        }
        g = g_new0(FakeGroup, 1);
        g->id = id;
        g->fd = -1;
        g->devices = g_ptr_array_new();
        g_ptr_array_add(k->groups, g);
        names = g_key_file_get_string_list(kf, sections[i], "devices", NULL,
                                           NULL);
        if (!names || !names[0]) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "[%s]: no devices=", sections[i]);
            return -EINVAL;
        }
        for (int j = 0; names[j]; j++) {
            if (device_load(g, kf, names[j], ordinal++, errp) < 0) {
                return -EINVAL;
            }
        }
    }
    mark_multifunction(k);
    return 0;
}

int fake_config_load(FakeKernel *k, GError **errp)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autofree char *iommu = NULL;
    g_autofree char *reserved = NULL;
    const char *file = g_getenv("VFIO_FAKE_TOPOLOGY");
    const char *s;
    uint64_t bits = DEFAULT_APERTURE_BITS, entries = DEFAULT_DMA_ENTRIES;
    uint64_t after, err;

    /* set first: the topology's groups are looked up through it */
    fake = k;
    k->groups = g_ptr_array_new();
    k->fds = g_hash_table_new(NULL, NULL);
    k->containers = g_ptr_array_new();
    k->prereg = g_ptr_array_new_with_free_func(g_free);
    k->page_size = sysconf(_SC_PAGESIZE);
    k->page_shift = __builtin_ctzll(k->page_size);
    k->dma32_size = DEFAULT_DMA32_SIZE;
    k->type1_pgsizes = DEFAULT_TYPE1_PGSIZES;
    k->debug = g_getenv("VFIO_FAKE_DEBUG") != NULL;
    k->type1_no_caps = g_strcmp0(g_getenv("VFIO_FAKE_TYPE1_NO_CAPS"), "1") == 0;

    if (file && *file) {
        if (!g_key_file_load_from_file(kf, file, G_KEY_FILE_NONE, errp)) {
            return -EINVAL;
        }
    } else if (!g_key_file_load_from_data(kf, default_topology, -1,
                                          G_KEY_FILE_NONE, errp)) {
        return -EINVAL;
    }
    if (g_key_file_has_group(kf, "host")) {
        iommu = g_key_file_get_string(kf, "host", "iommu", NULL);
        reserved = g_key_file_get_string(kf, "host", "reserved", NULL);
        s = g_key_file_get_value(kf, "host", "aperture-bits", NULL);
        if (s && !parse_u64(s, &bits)) {
            bits = 0;           /* refused below */
        }
        g_free((char *)s);
        s = g_key_file_get_value(kf, "host", "dma32-size", NULL);
        if (s && !parse_u64(s, &k->dma32_size)) {
            k->dma32_size = 0;
        }
        g_free((char *)s);
        s = g_key_file_get_value(kf, "host", "pgsizes", NULL);
        if (s && !parse_u64(s, &k->type1_pgsizes)) {
            k->type1_pgsizes = 0;
        }
        g_free((char *)s);
    }
    if (g_getenv("VFIO_FAKE_IOMMU")) {
        g_free(iommu);
        iommu = g_strdup(g_getenv("VFIO_FAKE_IOMMU"));
    }
    if (!iommu || !strcmp(iommu, "spapr-tce-v2") ||
        !strcmp(iommu, "spapr")) {
        k->iommu_type = FAKE_IOMMU_SPAPR;
    } else if (!strcmp(iommu, "type1")) {
        k->iommu_type = FAKE_IOMMU_TYPE1;
    } else {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "IOMMU type '%s': spapr-tce-v2 or type1 expected", iommu);
        return -EINVAL;
    }
    if (g_getenv("VFIO_FAKE_TYPE1_RESERVED")) {
        g_free(reserved);
        reserved = g_strdup(g_getenv("VFIO_FAKE_TYPE1_RESERVED"));
    }
    if (!reserved) {
        /* the x86 interrupt window, the one reserved region seen on L1 */
        reserved = g_strdup("0xfee00000-0xfeefffff");
    }
    if (env_u64("VFIO_FAKE_TYPE1_APERTURE_BITS", &bits, errp) < 0 ||
        env_u64("VFIO_FAKE_DMA32_SIZE", &k->dma32_size, errp) < 0 ||
        env_u64("VFIO_FAKE_MEMLOCK", &k->memlock_limit, errp) < 0 ||
        env_u64("VFIO_FAKE_DMA_ENTRY_LIMIT", &entries, errp) < 0 ||
        env_u64("VFIO_FAKE_TYPE1_PGSIZES", &k->type1_pgsizes, errp) < 0) {
        return -EINVAL;
    }
    /*
     * The kernel never reports a page below its own (vfio_iommu_type1.c
     * rounds the domain's sizes up to PAGE_SIZE): pinning works on pages.
     */
    if (!k->type1_pgsizes ||
        (k->type1_pgsizes & -k->type1_pgsizes) < k->page_size) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "type1 page sizes 0x%" G_GINT64_MODIFIER "x: a bitmap "
                    "whose smallest page is 0x%" G_GINT64_MODIFIER "x or "
                    "more expected", k->type1_pgsizes, k->page_size);
        return -EINVAL;
    }
    if (!k->dma32_size || (k->dma32_size & (k->dma32_size - 1))) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "dma32 window size must be a power of two");
        return -EINVAL;
    }
    k->dma_entry_limit = MIN(entries, UINT32_MAX);
    if (type1_ranges_build(k, bits, reserved, errp) < 0 ||
        topology_load(k, kf, errp) < 0) {
        return -EINVAL;
    }
    if (env_groups("VFIO_FAKE_FROZEN", offsetof(FakeGroup, frozen),
                   errp) < 0 ||
        env_groups("VFIO_FAKE_EACCES", offsetof(FakeGroup, eacces),
                   errp) < 0) {
        return -EINVAL;
    }
    /* VFIO_FAKE_MAP_FAIL=AFTER:ERRNO, e.g. 0:12 fails the first map */
    s = g_getenv("VFIO_FAKE_MAP_FAIL");
    if (s && *s) {
        g_auto(GStrv) parts = g_strsplit(s, ":", 2);
        if (g_strv_length(parts) != 2 || !parse_u64(parts[0], &after) ||
            !parse_u64(parts[1], &err) || !err || err > 4095) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "VFIO_FAKE_MAP_FAIL: AFTER:ERRNO expected");
            return -EINVAL;
        }
        k->map_fail_armed = true;
        k->map_fail_after = after;
        k->map_fail_errno = err;
    }
    return 0;
}
