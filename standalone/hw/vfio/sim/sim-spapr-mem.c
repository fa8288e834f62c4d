/*
 * vfio-sim sPAPR memory preregistration, as the kernel keeps it per
 * process (arch/powerpc/mm/book3s64/iommu_api.c): a region is pinned and
 * charged to locked memory once, whichever containers register it; a v2
 * MAP may use any registered region of the process; a region TCEs still
 * point into cannot be unregistered.
 */
#include "qemu/osdep.h"
#include "sim-spapr.h"

SimPrereg *sim_prereg_lookup(VfioSim *sim, uint64_t ua, uint64_t size)
{
    for (guint i = 0; i < sim->prereg->len; i++) {
        SimPrereg *m = g_ptr_array_index(sim->prereg, i);
        if (m->ua <= ua && ua + size <= m->ua + m->size) {
            return m;
        }
    }
    return NULL;
}

SimPrereg *sim_prereg_get(VfioSim *sim, uint64_t ua, uint64_t size)
{
    for (guint i = 0; i < sim->prereg->len; i++) {
        SimPrereg *m = g_ptr_array_index(sim->prereg, i);
        if (m->ua == ua && m->size == size) {
            return m;
        }
    }
    return NULL;
}

int sim_prereg_new(VfioSim *sim, uint64_t ua, uint64_t size, SimPrereg **out)
{
    SimPrereg *m;
    int ret;

    for (guint i = 0; i < sim->prereg->len; i++) {
        SimPrereg *o = g_ptr_array_index(sim->prereg, i);
        if (o->ua < ua + size && ua < o->ua + o->size) {
            return -EINVAL;
        }
    }
    /* charged first, then pinned: a fault gives the charge back */
    ret = sim_account(sim, size >> sim->page_shift, true);
    if (ret < 0) {
        return ret;
    }
    if (!sim_range_mapped(ua, size)) {
        sim_account(sim, size >> sim->page_shift, false);
        return -EFAULT;
    }
    m = g_new0(SimPrereg, 1);
    m->ua = ua;
    m->size = size;
    m->users = 1;
    g_ptr_array_add(sim->prereg, m);
    *out = m;
    return 0;
}

static void maybe_free(VfioSim *sim, SimPrereg *m)
{
    if (!m->users && !m->mapped) {
        sim_account(sim, m->size >> sim->page_shift, false);
        g_ptr_array_remove(sim->prereg, m);     /* frees it */
    }
}

int sim_prereg_put(VfioSim *sim, SimPrereg *m, bool force)
{
    if (m->users == 1 && m->mapped && !force) {
        return -EBUSY;
    }
    m->users--;
    maybe_free(sim, m);
    return 0;
}

void sim_prereg_unmapped(VfioSim *sim, SimPrereg *m)
{
    g_assert(m->mapped);
    m->mapped--;
    maybe_free(sim, m);
}
