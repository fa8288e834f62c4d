/*
 * vfio-sim device DMA: a function's bus address goes through the IOMMU of
 * its group's container to the host address a MAP_DMA gave, in this
 * process.  Like a hardware IOMMU fault, a missing entry or a missing
 * permission anywhere in the range stops the transfer: nothing is
 * copied, and the function's fault counter grows.
 */
#include "qemu/osdep.h"
#include "sim-internal.h"
#include "trace-events-all.h"

/* Walk [iova, iova + len); copy only if @copy, else just check. */
static bool walk(SimContainer *c, uint64_t iova, uint8_t *buf, uint64_t len, unsigned perm,
                 bool to_memory, bool copy)
{
    uint64_t done = 0;

    while (done < len) {
        uint64_t chunk = len - done;
        uint8_t *hva;

        if (iova + done < iova ||
            !c->iommu->translate(c, iova + done, perm, &chunk, &hva)) {
            return false;
        }
        if (copy) {
            if (to_memory) {
                memcpy(hva, buf + done, chunk);
            } else {
                memcpy(buf + done, hva, chunk);
            }
        }
        done += chunk;
    }
    return true;
}

bool sim_dma_rw(SimDevice *d, uint64_t iova, void *buf, uint64_t len, bool to_memory)
{
    SimGroup *g = d->group;
    SimContainer *c = g->container;
    unsigned perm = to_memory ? SIM_PERM_WRITE : SIM_PERM_READ;
    const char *why = NULL;

    if (g->frozen) {
        why = "PE frozen";
    } else if (!c || !c->iommu) {
        why = "no IOMMU domain";          /* the group's DMA is blocked */
    } else if (!walk(c, iova, buf, len, perm, to_memory, false)) {
        why = to_memory ? "no writable mapping" : "no readable mapping";
    }
    if (why) {
        d->dma_faults++;
        trace_vfio_sim_dma_fault(d->name, why, iova, len);
        return false;
    }
    walk(c, iova, buf, len, perm, to_memory, true);
    d->dma_ok++;
    trace_vfio_sim_dma(d->name, iova, len, to_memory);
    return true;
}
