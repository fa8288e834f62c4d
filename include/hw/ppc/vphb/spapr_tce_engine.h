/*
 * The TCE engine: sPAPR TCE tables and hypercalls for QEMU's
 * SpaprTceTable (hw/ppc/spapr_iommu.c, which calls in here through
 * patches/0010-*).  docs/devel/tce-engine.rst explains it.
 *
 * Copyright (c) 2026 qemu-spapr-vphb authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef HW_PPC_VPHB_SPAPR_TCE_ENGINE_H
#define HW_PPC_VPHB_SPAPR_TCE_ENGINE_H

#include "hw/ppc/spapr.h"

/*
 * Storage: a table KVM shares with the kernel (tcet->table) stays flat;
 * every other table is sparse (tcet->radix).  These work on both.
 */
void spapr_tce_engine_alloc(SpaprTceTable *tcet);
void spapr_tce_engine_free(SpaprTceTable *tcet);
uint64_t spapr_tce_engine_get(SpaprTceTable *tcet, uint64_t entry);
/* Zero every entry, telling no one (a device reset, as QEMU does) */
void spapr_tce_engine_reset(SpaprTceTable *tcet);

/* Migration, in QEMU's stream format: a flat copy of nb_table entries */
void spapr_tce_engine_export(SpaprTceTable *tcet, uint64_t *flat);
void spapr_tce_engine_import(SpaprTceTable *tcet, const uint64_t *flat);

/*
 * IOMMU notifiers: while the window has any, the table records the host
 * mappings it made (spapr_tce_radix.h), and a new notifier is replayed
 * those mappings, one notification each.
 */
void spapr_tce_engine_set_tracking(SpaprTceTable *tcet, bool tracking);
void spapr_tce_engine_replay(SpaprTceTable *tcet, IOMMUNotifier *n);

/* Bytes the table holds, and its entries that are not 0 */
uint64_t spapr_tce_engine_memory(SpaprTceTable *tcet);
uint64_t spapr_tce_engine_used(SpaprTceTable *tcet);

/* H_PUT_TCE, H_GET_TCE, H_STUFF_TCE, H_PUT_TCE_INDIRECT */
void spapr_tce_engine_register_hcalls(void);

#endif
