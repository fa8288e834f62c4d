/*
 * Dynamic reconfiguration connectors (DRCs): the PAPR handle through
 * which a guest brings a hot-plugged PHB up or releases it.
 *
 * A DRC index is (type << 28) | id.  PHB DRCs are logical connectors
 * (allocation-state + isolation-state); PCI slot DRCs are physical ones.
 * DRCs are plain structures owned by the machine, not objects: 31 PHBs
 * with 256 slots each must stay cheap.  Only PHB DRCs have state here;
 * a PCI slot's DRC is answered from the PHB's bus (present or empty).
 */
#ifndef HW_PPC_SPAPR_DRC_H
#define HW_PPC_SPAPR_DRC_H

#include "hw/ppc/spapr.h"

#define SPAPR_DRC_TYPE_SHIFT_PHB 2
#define SPAPR_DRC_TYPE_SHIFT_PCI 4
#define SPAPR_DRC_INDEX(shift, id) (((uint32_t)(shift) << 28) | ((id) & 0x0fffffff))
#define SPAPR_DRC_PHB_INDEX(phb_index) SPAPR_DRC_INDEX(SPAPR_DRC_TYPE_SHIFT_PHB, (phb_index))
/* PCI slot DRC of devfn on a PHB's root bus (chassis 0) */
#define SPAPR_DRC_PCI_INDEX(phb_index, devfn) \
    SPAPR_DRC_INDEX(SPAPR_DRC_TYPE_SHIFT_PCI, ((uint32_t)(phb_index) << 16) | (devfn))

/* RTAS sensor/indicator types and states */
#define RTAS_SENSOR_TYPE_ISOLATION_STATE   9001
#define RTAS_SENSOR_TYPE_DR                9002
#define RTAS_SENSOR_TYPE_ALLOCATION_STATE  9003
#define RTAS_SENSOR_TYPE_ENTITY_SENSE      RTAS_SENSOR_TYPE_ALLOCATION_STATE

#define SPAPR_DR_ISOLATION_STATE_ISOLATED   0
#define SPAPR_DR_ISOLATION_STATE_UNISOLATED 1
#define SPAPR_DR_ALLOCATION_STATE_UNUSABLE  0
#define SPAPR_DR_ALLOCATION_STATE_USABLE    1
#define SPAPR_DR_ENTITY_SENSE_EMPTY         0
#define SPAPR_DR_ENTITY_SENSE_PRESENT       1
#define SPAPR_DR_ENTITY_SENSE_UNUSABLE      2

/* Logical DRC states (QEMU's numbering) */
typedef enum {
    SPAPR_DRC_STATE_LOGICAL_UNUSABLE = 1,
    SPAPR_DRC_STATE_LOGICAL_AVAILABLE = 2,
    SPAPR_DRC_STATE_LOGICAL_UNISOLATE = 3,
    SPAPR_DRC_STATE_LOGICAL_CONFIGURED = 4,
} SpaprDrcState;

/* ibm,configure-connector results */
#define SPAPR_DR_CC_RESPONSE_NEXT_SIB        1
#define SPAPR_DR_CC_RESPONSE_NEXT_CHILD      2
#define SPAPR_DR_CC_RESPONSE_NEXT_PROPERTY   3
#define SPAPR_DR_CC_RESPONSE_PREV_PARENT     4
#define SPAPR_DR_CC_RESPONSE_SUCCESS         0
#define SPAPR_DR_CC_RESPONSE_ERROR          -1
#define SPAPR_DR_CC_RESPONSE_NOT_CONFIGURABLE -9003

typedef struct SpaprDrc SpaprDrc;

/* What a device attached to a DRC provides. */
typedef struct SpaprDrcOps {
    /*
     * Add the device's node (and its subtree) under @parent of @fdt and
     * return its offset, as the boot tree has it (plus "name").
     */
    int (*dt_populate)(Device *dev, void *fdt, int parent, GError **errp);
    /* The guest released the device (or a reset forced it): remove it. */
    void (*release)(Device *dev);
} SpaprDrcOps;

struct SpaprDrc {
    uint32_t index;
    const char *type_name;     /* "PHB" */
    char *name;                /* "PHB 3" */
    SpaprDrcState state;
    Device *dev;               /* attached device, or NULL */
    const SpaprDrcOps *ops;
    bool unplug_requested;
    /* configure-connector walk */
    void *ccs_fdt;
    int ccs_offset;
    int ccs_depth;
};

/* Create the machine's 31 PHB DRCs. */
void spapr_drc_create_phb_drcs(SpaprMachine *spapr, unsigned count);
SpaprDrc *spapr_drc_by_index(SpaprMachine *spapr, uint32_t index);
void spapr_drc_free_all(SpaprMachine *spapr);

/*
 * Attach @dev.  A cold-plugged device is configured at once; a hot-plugged
 * one waits for the guest (allocation usable, unisolate, configure-connector).
 */
void spapr_drc_attach(SpaprDrc *drc, Device *dev, const SpaprDrcOps *ops, bool hotplugged);
/*
 * device_del: mark the unplug; release at once if the guest never took the
 * device (still unusable), else wait for isolate + unusable (or reset).
 */
void spapr_drc_unplug_request(SpaprMachine *spapr, SpaprDrc *drc);
/* Forget the device (it was unrealized); the DRC is empty again. */
void spapr_drc_detach(SpaprDrc *drc);
/* Machine reset: release pending unplugs, settle every DRC in its reset state. */
void spapr_drc_reset_all(SpaprMachine *spapr);

/* ibm,drc-indexes/-names/-types/-power-domains of the PHB DRCs, on "/". */
void spapr_drc_dt_root(SpaprMachine *spapr, void *fdt);


#endif
