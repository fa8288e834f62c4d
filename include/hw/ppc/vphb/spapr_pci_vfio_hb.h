/*
 * spapr-pci-vfio-host-bridge: one host IOMMU group as one guest PHB
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_PPC_VPHB_SPAPR_PCI_VFIO_HB_H
#define HW_PPC_VPHB_SPAPR_PCI_VFIO_HB_H

#include "hw/pci-host/spapr.h"
#include "hw/hotplug.h"
#include "exec/memory.h"
#include "qemu/notify.h"

#define TYPE_SPAPR_PCI_VFIO_HB "spapr-pci-vfio-host-bridge"
OBJECT_DECLARE_TYPE(SpaprVfioHbState, SpaprVfioHbClass, SPAPR_PCI_VFIO_HB)

/* A function of the host group, and where the guest sees it */
typedef struct SpaprVfioHbFunction {
    char *host;                 /* host address, "0000:02:00.1" */
    uint8_t devfn;              /* guest slot and function on the PHB's bus */
    bool multifunction;         /* its slot has more than one function */
} SpaprVfioHbFunction;

/*
 * What the PHB saw of one DMA window's TCE updates, which are what VFIO
 * turns into host map and unmap calls.
 */
typedef struct SpaprVfioHbWindow {
    IOMMUNotifier n;
    SpaprVfioHbState *hb;
    SpaprTceTable *tcet;
    uint64_t maps;              /* MAP notifications since realize */
    uint64_t unmaps;            /* UNMAP notifications since realize */
    GHashTable *mapped;         /* IOVAs whose last notification was MAP */
} SpaprVfioHbWindow;

struct SpaprVfioHbState {
    SpaprPhbState parent_obj;

    uint32_t group;             /* property "iommu" */
    bool populate;              /* property "populate" */
    bool unmappable_dma32;      /* property "x-unmappable-dma32" */
    uint64_t dma64_default;     /* dma64_win_addr's default (QEMU's 2^59) */
    bool dma64_user_set;        /* the user gave dma64_win_addr */

    SpaprVfioHbFunction *funcs; /* the group's functions bound to vfio-pci */
    unsigned nr_funcs;
    SpaprVfioHbWindow windows[SPAPR_PCI_DMA_MAX_WINDOWS];
    MemoryListener listener;    /* sees windows go away */
    bool listening;
    Notifier machine_done;      /* populate=off: are all functions there? */
    bool machine_done_registered;
};

struct SpaprVfioHbClass {
    PCIHostBridgeClass parent_class;

    DeviceRealize parent_realize;
    DeviceUnrealize parent_unrealize;
    hotplug_fn parent_pre_plug;
    hotplug_fn parent_plug;
    hotplug_fn parent_unplug_request;
};

#endif
