/*
 * vfio-pci: config space through the VFIO config region, with the parts
 * the guest must see emulated (header with BARs, MSI, MSI-X); BARs through
 * the VFIO regions (mmap where the region allows it, read/write
 * otherwise); INTx, MSI and MSI-X with VFIO_DEVICE_SET_IRQS and eventfds.
 *
 * MSI-X: the PCI core emulates the capability (at the host's offset, the
 * host's capability chain kept), the table and the PBA (over the BAR that
 * holds them, so the guest's table accesses never reach the host, which
 * would refuse them anyway).  The host enables MSI-X (all table-size
 * vectors allocated, as vfio_msi_enable() wants them at once) while the
 * guest has MSI-X enabled and at least one vector has a message address,
 * whether the platform (ibm,change-msi, msix_set_message) or the guest
 * (table write) gave it; such a vector has an eventfd, the others -1.  A
 * host signal becomes msix_notify(), which applies the guest's masks and
 * the PBA.  The host takes one interrupt type at a time: MSI-X, else MSI,
 * else INTx, as the function itself would.
 *
 * Interrupts: the host signals an eventfd.  Besides the main loop's watch,
 * pending eventfds are drained right after every guest access to the
 * device and every clock step, so an interrupt a device raises in
 * response is visible before the next qtest command (deterministic tests).
 * INTx is level: it drops after the guest's next access to the device
 * (taken as its acknowledgement, as QEMU does) and the host is told to
 * unmask; a device still asserting signals again at once.
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "hw/vfio/vfio-pci.h"
#include "system/clock.h"
#include "trace-events-all.h"

#include <glib-unix.h>
#include <sys/mman.h>
#include <sys/eventfd.h>

typedef struct VfioPciDeviceClass {
    PCIDeviceClass parent_class;
} VfioPciDeviceClass;

OBJECT_DEFINE_TYPE(VfioPciDevice, vfio_pci, TYPE_VFIO_PCI, pci_device_get_type())

static GList *all_devices;      /* realized VfioPciDevice *, for polling */
static DeviceClass *pci_device_realize_parent;

static const Property vfio_pci_props[] = {
    DEFINE_PROP_STRING("host", VfioPciDevice, host),
    DEFINE_PROP_END,
};

static const char *name_of(VfioPciDevice *v)
{
    return v->host ? v->host : "vfio-pci";
}

static VfioHost *host_of(VfioPciDevice *v)
{
    return v->group->host;
}

/* IRQ plumbing -------------------------------------------------------------------- */

static const char *irq_index_name(unsigned index)
{
    return index == VFIO_PCI_INTX_IRQ_INDEX ? "intx" :
           index == VFIO_PCI_MSI_IRQ_INDEX ? "msi" : "msix";
}

/* Vectors @start..@start + @count - 1 of @index; @fds NULL: DATA_NONE. */
static int set_irqs_at(VfioPciDevice *v, unsigned index, uint32_t action, unsigned start,
                       unsigned count, const int *fds)
{
    size_t sz = sizeof(struct vfio_irq_set) + count * sizeof(int32_t);
    g_autofree struct vfio_irq_set *set = g_malloc0(sz);
    int r;

    set->argsz = sz;
    set->flags = action | (count && fds ? VFIO_IRQ_SET_DATA_EVENTFD : VFIO_IRQ_SET_DATA_NONE);
    set->index = index;
    set->start = start;
    set->count = count;
    if (fds) {
        memcpy(set->data, fds, count * sizeof(int32_t));
    }
    r = vfio_ioctl(host_of(v), v->fd, VFIO_DEVICE_SET_IRQS, set);
    trace_vfio_pci_set_irqs(name_of(v), irq_index_name(index), start, count, r);
    return r;
}

static int set_irqs(VfioPciDevice *v, unsigned index, uint32_t action, unsigned count,
                    const int *fds)
{
    return set_irqs_at(v, index, action, 0, count, fds);
}

static bool drain(int fd)
{
    uint64_t v;

    return fd >= 0 && read(fd, &v, sizeof(v)) == sizeof(v);
}

void vfio_pci_poll(VfioPciDevice *v)
{
    PCIDevice *pdev = PCI_DEVICE(v);

    if (drain(v->intx_fd)) {
        trace_vfio_pci_irq(name_of(v), "intx", 0);
        v->intx_asserted = true;
        pci_set_irq(pdev, 1);
    }
    for (unsigned i = 0; i < v->msi_nvec; i++) {
        if (drain(v->msi_fd[i])) {
            trace_vfio_pci_irq(name_of(v), "msi", i);
            msi_notify(pdev, i);
        }
    }
    for (unsigned i = 0; v->msix_on && i < pdev->msix_entries; i++) {
        if (drain(v->msix_fd[i])) {
            trace_vfio_pci_irq(name_of(v), "msix", i);
            msix_notify(pdev, i);
        }
    }
}

static gboolean irq_ready(gint fd, GIOCondition cond, gpointer opaque)
{
    vfio_pci_poll(opaque);
    return G_SOURCE_CONTINUE;
}

static void poll_all(void *opaque)
{
    for (GList *l = all_devices; l; l = l->next) {
        vfio_pci_poll(l->data);
    }
}

/* The guest touched the device: that is its INTx acknowledgement. */
static void intx_eoi(VfioPciDevice *v)
{
    if (v->intx_asserted) {
        v->intx_asserted = false;
        pci_set_irq(PCI_DEVICE(v), 0);
        set_irqs(v, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK, 1, NULL);
    }
}

static int new_eventfd(void)
{
    return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

static void intx_enable(VfioPciDevice *v)
{
    PCIDevice *pdev = PCI_DEVICE(v);
    struct vfio_irq_info info = { .argsz = sizeof(info), .index = VFIO_PCI_INTX_IRQ_INDEX };

    if (v->intx_fd >= 0 || !pdev->config[PCI_INTERRUPT_PIN] ||
        vfio_ioctl(host_of(v), v->fd, VFIO_DEVICE_GET_IRQ_INFO, &info) < 0 || !info.count) {
        return;
    }
    v->intx_fd = new_eventfd();
    if (set_irqs(v, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 1, &v->intx_fd) < 0) {
        close(v->intx_fd);
        v->intx_fd = -1;
        return;
    }
    v->intx_watch = g_unix_fd_add(v->intx_fd, G_IO_IN, irq_ready, v);
}

static void intx_disable(VfioPciDevice *v)
{
    if (v->intx_fd < 0) {
        return;
    }
    set_irqs(v, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, NULL);
    g_source_remove(v->intx_watch);
    v->intx_watch = 0;
    close(v->intx_fd);
    v->intx_fd = -1;
    if (v->intx_asserted) {
        v->intx_asserted = false;
        pci_set_irq(PCI_DEVICE(v), 0);
    }
}

static void msi_disable(VfioPciDevice *v)
{
    if (!v->msi_nvec) {
        return;
    }
    set_irqs(v, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, NULL);
    for (unsigned i = 0; i < v->msi_nvec; i++) {
        g_source_remove(v->msi_watch[i]);
        v->msi_watch[i] = 0;
        close(v->msi_fd[i]);
        v->msi_fd[i] = -1;
    }
    v->msi_nvec = 0;
}

/* MSI (MSI-X is off): rewire the host's MSI vectors, or INTx when MSI is off too. */
static void msi_update(VfioPciDevice *v)
{
    PCIDevice *pdev = PCI_DEVICE(v);
    unsigned want = msi_enabled(pdev) ? msi_nr_vectors_allocated(pdev) : 0;
    int r;

    if (want == v->msi_nvec) {
        if (!want) {
            intx_enable(v);     /* MSI-X may just have gone off */
        }
        return;
    }
    msi_disable(v);
    if (!want) {
        intx_enable(v);
        return;
    }
    /* the host takes one interrupt type at a time */
    intx_disable(v);
    for (unsigned i = 0; i < want; i++) {
        v->msi_fd[i] = new_eventfd();
    }
    r = set_irqs(v, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, want, v->msi_fd);
    if (r < 0) {
        warn_report("vfio-pci %s: VFIO_DEVICE_SET_IRQS(MSI, %u vectors): %s", name_of(v), want,
                    g_strerror(-r));
        for (unsigned i = 0; i < want; i++) {
            close(v->msi_fd[i]);
            v->msi_fd[i] = -1;
        }
        intx_enable(v);
        return;
    }
    v->msi_nvec = want;
    for (unsigned i = 0; i < want; i++) {
        v->msi_watch[i] = g_unix_fd_add(v->msi_fd[i], G_IO_IN, irq_ready, v);
    }
}

/* A vector is in use once it has a message address (0 is none on any platform). */
static bool msix_vector_in_use(PCIDevice *pdev, unsigned vector)
{
    const uint8_t *e = pdev->msix_table + 16 * vector;   /* addr lo, addr hi, data, ctrl */

    return pci_get_long(e) || pci_get_long(e + 4);
}

static void msix_vector_close(VfioPciDevice *v, unsigned vector)
{
    if (v->msix_watch[vector]) {
        g_source_remove(v->msix_watch[vector]);
        v->msix_watch[vector] = 0;
    }
    if (v->msix_fd[vector] >= 0) {
        close(v->msix_fd[vector]);
        v->msix_fd[vector] = -1;
    }
}

static void msix_vector_watch(VfioPciDevice *v, unsigned vector)
{
    v->msix_watch[vector] = g_unix_fd_add(v->msix_fd[vector], G_IO_IN, irq_ready, v);
}

static void msix_disable(VfioPciDevice *v)
{
    if (!v->msix_on) {
        return;
    }
    set_irqs(v, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, NULL);
    for (unsigned i = 0; i < PCI_DEVICE(v)->msix_entries; i++) {
        msix_vector_close(v, i);
    }
    v->msix_on = false;
}

/* MSI-X is on in the guest's capability: the host's vectors follow the table. */
static void msix_update(VfioPciDevice *v)
{
    PCIDevice *pdev = PCI_DEVICE(v);
    unsigned n = pdev->msix_entries;
    bool any = false;
    int r;

    for (unsigned i = 0; i < n && !any; i++) {
        any = msix_vector_in_use(pdev, i);
    }
    if (!any) {
        /* nothing to deliver (ibm,change-msi released them): the host lets go */
        msix_disable(v);
        return;
    }
    if (!v->msix_on) {
        /* the whole table at once: the kernel does not grow an enabled MSI-X */
        for (unsigned i = 0; i < n; i++) {
            v->msix_fd[i] = msix_vector_in_use(pdev, i) ? new_eventfd() : -1;
        }
        r = set_irqs(v, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, n, v->msix_fd);
        if (r < 0) {
            warn_report("vfio-pci %s: VFIO_DEVICE_SET_IRQS(MSI-X, %u vectors): %s",
                        name_of(v), n, g_strerror(-r));
            for (unsigned i = 0; i < n; i++) {
                msix_vector_close(v, i);
            }
            return;
        }
        v->msix_on = true;
        for (unsigned i = 0; i < n; i++) {
            if (v->msix_fd[i] >= 0) {
                msix_vector_watch(v, i);
            }
        }
        return;
    }
    /* already on: (un)wire only the vectors that changed */
    for (unsigned i = 0; i < n; i++) {
        bool use = msix_vector_in_use(pdev, i);
        int fd;

        if (use == (v->msix_fd[i] >= 0)) {
            continue;
        }
        fd = use ? new_eventfd() : -1;
        r = set_irqs_at(v, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, i, 1, &fd);
        if (!use) {
            msix_vector_close(v, i);
        } else if (r < 0) {
            warn_report("vfio-pci %s: VFIO_DEVICE_SET_IRQS(MSI-X vector %u): %s", name_of(v),
                        i, g_strerror(-r));
            close(fd);
        } else {
            v->msix_fd[i] = fd;
            msix_vector_watch(v, i);
        }
    }
}

/*
 * The guest (config write, MSI-X table write) or the platform
 * (ibm,change-msi: msi_set_message, msix_set_message) changed MSI or
 * MSI-X: rewire the host, which takes one type at a time.
 */
static void irq_update(PCIDevice *pdev)
{
    VfioPciDevice *v = VFIO_PCI(pdev);

    if (msix_enabled(pdev)) {
        /* MSI-X wins, and the function's pin is quiet while it is on */
        msi_disable(v);
        intx_disable(v);
        msix_update(v);
        return;
    }
    msix_disable(v);
    msi_update(v);
}

/* Config space -------------------------------------------------------------------- */

static uint64_t config_off(VfioPciDevice *v)
{
    return v->regions[VFIO_PCI_CONFIG_REGION_INDEX].offset;
}

static uint32_t host_config_read(VfioPciDevice *v, uint32_t addr, int len)
{
    uint8_t b[4] = { 0xff, 0xff, 0xff, 0xff };
    ssize_t r = host_of(v)->ops->pread(host_of(v), v->fd, b, len, config_off(v) + addr);

    if (r != len) {
        return ~0u >> (32 - 8 * len);
    }
    return b[0] | (len > 1 ? b[1] << 8 : 0) |
           (len > 2 ? (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24 : 0);
}

static void host_config_write(VfioPciDevice *v, uint32_t addr, uint32_t val, int len)
{
    uint8_t b[4] = { val, val >> 8, val >> 16, val >> 24 };

    host_of(v)->ops->pwrite(host_of(v), v->fd, b, len, config_off(v) + addr);
}

static bool is_emulated(VfioPciDevice *v, uint32_t addr, int len)
{
    for (int i = 0; i < len; i++) {
        if (!v->emulated[addr + i]) {
            return false;
        }
    }
    return true;
}

static uint32_t vfio_config_read(PCIDevice *pdev, uint32_t addr, int len)
{
    VfioPciDevice *v = VFIO_PCI(pdev);

    if (is_emulated(v, addr, len)) {
        return pci_default_read_config(pdev, addr, len);
    }
    return host_config_read(v, addr, len);
}

static void vfio_config_write(PCIDevice *pdev, uint32_t addr, uint32_t val, int len)
{
    VfioPciDevice *v = VFIO_PCI(pdev);

    intx_eoi(v);
    if (!is_emulated(v, addr, len)) {
        host_config_write(v, addr, val, len);
        return;
    }
    pci_default_write_config(pdev, addr, val, len);
    /* the device itself must decode and master for the guest's BARs and DMA to work */
    if (addr <= PCI_COMMAND && addr + len > PCI_COMMAND) {
        uint16_t cmd = pci_get_word(pdev->config + PCI_COMMAND);
        host_config_write(v, PCI_COMMAND, cmd & (PCI_COMMAND_MEMORY | PCI_COMMAND_IO |
                                                 PCI_COMMAND_MASTER), 2);
    }
    if ((pdev->msi_cap && addr < pdev->msi_cap + 24u && addr + len > pdev->msi_cap) ||
        (pdev->msix_cap && addr < pdev->msix_cap + VFIO_PCI_MSIX_CAP_SIZE &&
         addr + len > pdev->msix_cap)) {
        irq_update(pdev);
    }
}

/* BARs ---------------------------------------------------------------------------- */


static uint64_t bar_read(void *opaque, hwaddr addr, unsigned size)
{
    VfioBarOpaque *o = opaque;
    VfioPciDevice *v = o->v;
    uint8_t b[8];
    uint64_t val = 0;

    if (host_of(v)->ops->pread(host_of(v), v->fd, b, size,
                               v->regions[o->bar].offset + addr) != (ssize_t)size) {
        return ~0ull >> (64 - 8 * size);
    }
    for (unsigned i = 0; i < size; i++) {
        val |= (uint64_t)b[i] << (8 * i);
    }
    intx_eoi(v);
    vfio_pci_poll(v);
    return val;
}

static void bar_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    VfioBarOpaque *o = opaque;
    VfioPciDevice *v = o->v;
    uint8_t b[8];

    for (unsigned i = 0; i < size; i++) {
        b[i] = val >> (8 * i);
    }
    host_of(v)->ops->pwrite(host_of(v), v->fd, b, size, v->regions[o->bar].offset + addr);
    /* after the access, which may be the acknowledgement: else a line still
     * asserted before the ack would fire again at once */
    intx_eoi(v);
    vfio_pci_poll(v);
}

static const MemoryRegionOps bar_ops = {
    .read = bar_read,
    .write = bar_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .min_access_size = 1,
    .max_access_size = 8,
};

/*
 * A BAR the host lets us mmap is still device memory: every guest access
 * must reach the device as one access of its own width (a register may
 * act on each read or write), never through memcpy(), which may split,
 * repeat or widen it (x86 glibc does a 4-byte copy as two overlapping
 * 4-byte stores, larger ones with vector registers, which KVM cannot
 * emulate on MMIO).  So the mapping is an MMIO region whose callbacks do
 * exact-width accesses, as QEMU's ram_device regions do.
 */
static uint64_t bar_mmap_read(void *opaque, hwaddr addr, unsigned size)
{
    VfioBarOpaque *o = opaque;
    VfioPciDevice *v = o->v;
    uint8_t *p = (uint8_t *)v->bar_map[o->bar] + addr;
    uint64_t val;

    switch (size) {
    case 1:
        val = *(volatile uint8_t *)p;
        break;
    case 2:
        val = GUINT16_FROM_LE(*(volatile uint16_t *)p);
        break;
    case 4:
        val = GUINT32_FROM_LE(*(volatile uint32_t *)p);
        break;
    default:
        val = GUINT64_FROM_LE(*(volatile uint64_t *)p);
        break;
    }
    intx_eoi(v);
    vfio_pci_poll(v);
    return val;
}

static void bar_mmap_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    VfioBarOpaque *o = opaque;
    VfioPciDevice *v = o->v;
    uint8_t *p = (uint8_t *)v->bar_map[o->bar] + addr;

    switch (size) {
    case 1:
        *(volatile uint8_t *)p = val;
        break;
    case 2:
        *(volatile uint16_t *)p = GUINT16_TO_LE(val);
        break;
    case 4:
        *(volatile uint32_t *)p = GUINT32_TO_LE(val);
        break;
    default:
        *(volatile uint64_t *)p = GUINT64_TO_LE(val);
        break;
    }
    intx_eoi(v);
    vfio_pci_poll(v);
}

static const MemoryRegionOps bar_mmap_ops = {
    .read = bar_mmap_read,
    .write = bar_mmap_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .min_access_size = 1,
    .max_access_size = 8,
};

static gboolean setup_bars(VfioPciDevice *v, GError **errp)
{
    PCIDevice *pdev = PCI_DEVICE(v);

    for (int i = 0; i < PCI_ROM_SLOT; i++) {
        VfioRegion *r = &v->regions[i];
        uint32_t bar = pci_get_long(pdev->config + PCI_BASE_ADDRESS_0 + 4 * i);
        uint8_t type;
        g_autofree char *name = g_strdup_printf("vfio %s BAR%d", name_of(v), i);

        if (!r->size) {
            continue;
        }
        type = bar & PCI_BASE_ADDRESS_SPACE_IO ? PCI_BASE_ADDRESS_SPACE_IO : (bar & 0xf);
        /* the guest assigns addresses: start from none */
        pci_set_long(pdev->config + PCI_BASE_ADDRESS_0 + 4 * i, 0);
        if (type & PCI_BASE_ADDRESS_MEM_TYPE_64) {
            pci_set_long(pdev->config + PCI_BASE_ADDRESS_0 + 4 * (i + 1), 0);
        }
        v->bar_opaque[i] = (VfioBarOpaque){ v, i };
        if (r->flags & VFIO_REGION_INFO_FLAG_MMAP) {
            int err = 0;
            v->bar_map[i] = host_of(v)->ops->mmap(host_of(v), v->fd, r->size,
                                                  PROT_READ | PROT_WRITE, r->offset, &err);
        }
        memory_region_init_io(&v->bars[i], name, v->bar_map[i] ? &bar_mmap_ops : &bar_ops,
                              &v->bar_opaque[i], r->size);
        pci_register_bar(pdev, i, type, &v->bars[i]);
        if (type & PCI_BASE_ADDRESS_MEM_TYPE_64) {
            i++;
        }
    }
    return TRUE;
}

static void free_bars(VfioPciDevice *v)
{
    for (int i = 0; i < PCI_ROM_SLOT; i++) {
        if (v->bar_map[i]) {
            host_of(v)->ops->munmap(host_of(v), v->bar_map[i], v->regions[i].size);
            v->bar_map[i] = NULL;
        }
        if (v->bars[i].name) {
            memory_region_finalize(&v->bars[i]);
        }
    }
}

/* Capabilities: mark what we emulate ------------------------------------------------ */

static void emulate_range(VfioPciDevice *v, uint32_t start, uint32_t len)
{
    memset(v->emulated + start, 1, len);
}

static void find_capabilities(VfioPciDevice *v)
{
    PCIDevice *pdev = PCI_DEVICE(v);
    uint8_t pos = pdev->config[PCI_CAPABILITY_LIST] & ~3;
    unsigned guard = 0;

    if (!(pci_get_word(pdev->config + PCI_STATUS) & PCI_STATUS_CAP_LIST)) {
        return;
    }
    while (pos >= 0x40 && guard++ < 48) {
        uint8_t id = pdev->config[pos];

        if (id == PCI_CAP_ID_MSI) {
            uint16_t ctrl = pci_get_word(pdev->config + pos + 2);
            bool is64 = ctrl & 0x80, masking = ctrl & 0x100;
            uint32_t size = 10 + (is64 ? 4 : 0) + (masking ? 10 : 0);

            pdev->msi_cap = pos;
            /* MSI is the platform's business (ibm,change-msi): ours to emulate */
            emulate_range(v, pos, size);
            pci_set_word(pdev->config + pos + 2, ctrl & ~0x71);   /* disabled, MME 0 */
            pdev->wmask[pos + 2] = 0x71;
            memset(pdev->wmask + pos + 4, 0xff, size - 4);
        } else if (id == PCI_CAP_ID_EXP) {
            pdev->exp_cap = pos;
        } else if (id == PCI_CAP_ID_MSIX) {
            v->host_msix_cap = pos;     /* emulated once the BARs exist: setup_msix() */
        }
        pos = pdev->config[pos + 1] & ~3;
    }
}

/*
 * MSI-X: the PCI core's emulation at the host's capability, over the BARs
 * that hold the table and the PBA.
 */
static gboolean setup_msix(VfioPciDevice *v, GError **errp)
{
    PCIDevice *pdev = PCI_DEVICE(v);
    uint8_t pos = v->host_msix_cap, head, next;
    uint16_t ctrl;
    uint32_t table, pba;
    unsigned n, tbir, pbir;

    if (!pos) {
        return TRUE;
    }
    ctrl = pci_get_word(pdev->config + pos + 2);
    table = pci_get_long(pdev->config + pos + 4);
    pba = pci_get_long(pdev->config + pos + 8);
    n = (ctrl & 0x7ff) + 1;
    tbir = table & 7;
    pbir = pba & 7;
    if (tbir >= PCI_ROM_SLOT || !v->bars[tbir].name || pbir >= PCI_ROM_SLOT ||
        !v->bars[pbir].name) {
        error_setg(errp, "vfio-pci %s: MSI-X table (BIR %u) or PBA (BIR %u) is in no BAR",
                   name_of(v), tbir, pbir);
        return FALSE;
    }
    /* msix_init links the capability first in the list: keep the host's chain */
    head = pdev->config[PCI_CAPABILITY_LIST];
    next = pdev->config[pos + 1];
    if (msix_init(pdev, n, &v->bars[tbir], tbir, table & ~7u, &v->bars[pbir], pbir,
                  pba & ~7u, pos, errp) < 0) {
        error_prepend(errp, "vfio-pci %s: ", name_of(v));
        return FALSE;
    }
    pdev->config[PCI_CAPABILITY_LIST] = head;
    pdev->config[pos + 1] = next;
    emulate_range(v, pos, VFIO_PCI_MSIX_CAP_SIZE);
    v->msix_fd = g_new(int, n);
    v->msix_watch = g_new0(guint, n);
    for (unsigned i = 0; i < n; i++) {
        v->msix_fd[i] = -1;
    }
    return TRUE;
}

/* Lifecycle ------------------------------------------------------------------------ */

static gboolean vfio_pci_open(VfioPciDevice *v, GError **errp)
{
    VfioHost *h;
    int r;

    if (!v->group || !v->host) {
        error_setg(errp, "vfio-pci: only a spapr-pci-vfio-host-bridge can plug host functions");
        return FALSE;
    }
    h = host_of(v);
    v->fd = vfio_ioctl(h, v->group->fd, VFIO_GROUP_GET_DEVICE_FD, v->host);
    if (v->fd < 0) {
        error_setg(errp, "vfio-pci %s (group %d): VFIO_GROUP_GET_DEVICE_FD: %s", v->host,
                   v->group->groupid, g_strerror(-v->fd));
        return FALSE;
    }
    v->info.argsz = sizeof(v->info);
    r = vfio_ioctl(h, v->fd, VFIO_DEVICE_GET_INFO, &v->info);
    if (r < 0 || !(v->info.flags & VFIO_DEVICE_FLAGS_PCI) ||
        v->info.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX) {
        error_setg(errp, "vfio-pci %s (group %d): VFIO_DEVICE_GET_INFO: %s", v->host,
                   v->group->groupid, r < 0 ? g_strerror(-r) : "not a PCI device");
        goto fail;
    }
    for (unsigned i = 0; i <= VFIO_PCI_CONFIG_REGION_INDEX; i++) {
        struct vfio_region_info ri = { .argsz = sizeof(ri), .index = i };
        r = vfio_ioctl(h, v->fd, VFIO_DEVICE_GET_REGION_INFO, &ri);
        if (r < 0) {
            error_setg(errp, "vfio-pci %s: VFIO_DEVICE_GET_REGION_INFO(%u): %s", v->host, i,
                       g_strerror(-r));
            goto fail;
        }
        v->regions[i] = (VfioRegion){ ri.size, ri.offset, ri.flags };
    }
    trace_vfio_pci_realize(v->host, v->fd, v->info.num_regions, v->info.num_irqs);
    return TRUE;
fail:
    h->ops->close(h, v->fd);
    v->fd = -1;
    return FALSE;
}

static void vfio_pci_close(VfioPciDevice *v)
{
    if (v->fd >= 0) {
        host_of(v)->ops->close(host_of(v), v->fd);
        v->fd = -1;
    }
}

/* Before the PCI core allocates config space: is the function PCIe (4 KiB)? */
static gboolean vfio_pci_device_realize(Device *dev, GError **errp)
{
    VfioPciDevice *v = VFIO_PCI(dev);
    PCIDevice *pdev = PCI_DEVICE(dev);

    if (!vfio_pci_open(v, errp)) {
        return FALSE;
    }
    pdev->config_size = v->regions[VFIO_PCI_CONFIG_REGION_INDEX].size >= PCIE_CONFIG_SPACE_SIZE
                        ? PCIE_CONFIG_SPACE_SIZE : PCI_CONFIG_SPACE_SIZE;
    if (!pci_device_realize_parent->realize(dev, errp)) {
        vfio_pci_close(v);
        return FALSE;
    }
    return TRUE;
}

/* After the PCI core set up its arrays: take the host's config space. */
static gboolean vfio_pci_realize(PCIDevice *pdev, GError **errp)
{
    VfioPciDevice *v = VFIO_PCI(pdev);
    uint32_t size = pdev->config_size;
    ssize_t r;
    uint8_t header_type_multi = pdev->config[PCI_HEADER_TYPE] & PCI_HEADER_TYPE_MULTI_FUNCTION;

    r = host_of(v)->ops->pread(host_of(v), v->fd, pdev->config, size, config_off(v));
    if (r < PCI_CONFIG_SPACE_SIZE) {
        error_setg(errp, "vfio-pci %s: reading config space: %s", v->host,
                   r < 0 ? g_strerror(-r) : "short read");
        return FALSE;
    }
    /* the PCI core decides the multi-function bit for the guest's slot */
    pdev->config[PCI_HEADER_TYPE] = (pdev->config[PCI_HEADER_TYPE] & ~PCI_HEADER_TYPE_MULTI_FUNCTION)
                                    | header_type_multi;
    v->emulated = g_malloc0(size);
    /* the standard header is ours (BARs, command, interrupt line) */
    emulate_range(v, 0, 0x40);
    pci_set_word(pdev->config + PCI_COMMAND, 0);
    pdev->config[PCI_INTERRUPT_LINE] = 0;
    find_capabilities(v);
    if (!setup_bars(v, errp)) {
        return FALSE;
    }
    if (!setup_msix(v, errp)) {
        free_bars(v);
        g_clear_pointer(&v->emulated, g_free);
        return FALSE;
    }
    v->intx_fd = -1;
    for (int i = 0; i < VFIO_PCI_MAX_MSI; i++) {
        v->msi_fd[i] = -1;
    }
    intx_enable(v);
    all_devices = g_list_prepend(all_devices, v);
    return TRUE;
}

static void vfio_pci_exit(PCIDevice *pdev)
{
    VfioPciDevice *v = VFIO_PCI(pdev);

    all_devices = g_list_remove(all_devices, v);
    msix_disable(v);
    msi_disable(v);
    intx_disable(v);
    free_bars(v);           /* drops the MSI-X subregions, which the PCI core frees */
    g_clear_pointer(&v->msix_fd, g_free);
    g_clear_pointer(&v->msix_watch, g_free);
    g_clear_pointer(&v->emulated, g_free);
    vfio_pci_close(v);
}

static void vfio_pci_reset(Device *dev)
{
    VfioPciDevice *v = VFIO_PCI(dev);

    msix_disable(v);
    msi_disable(v);
    intx_disable(v);
    if (v->info.flags & VFIO_DEVICE_FLAGS_RESET) {
        vfio_ioctl(host_of(v), v->fd, VFIO_DEVICE_RESET, NULL);
    }
    if (DEVICE_CLASS(vfio_pci_parent_class)->reset) {
        DEVICE_CLASS(vfio_pci_parent_class)->reset(dev);
    }
    host_config_write(v, PCI_COMMAND, 0, 2);
    intx_enable(v);
}

static void vfio_pci_init(VfioPciDevice *v)
{
    v->fd = -1;
    v->intx_fd = -1;
}

static void vfio_pci_class_init(VfioPciDeviceClass *klass)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *pc = PCI_DEVICE_CLASS(klass);
    static bool hooked;

    OBJECT_CLASS(klass)->props = vfio_pci_props;
    OBJECT_CLASS(klass)->description = "a host PCI function assigned through VFIO";
    pci_device_realize_parent = g_type_class_peek(pci_device_get_type());
    dc->realize = vfio_pci_device_realize;
    dc->reset = vfio_pci_reset;
    /* functions are plugged by the PHB of their group, never by the user */
    dc->user_creatable = false;
    dc->hotpluggable = false;
    pc->realize = vfio_pci_realize;
    pc->exit = vfio_pci_exit;
    pc->config_read = vfio_config_read;
    pc->config_write = vfio_config_write;
    pc->msi_changed = irq_update;
    if (!hooked) {
        hooked = true;
        clock_add_step_hook(poll_all, NULL);
    }
}

type_init(vfio_pci_get_type)
