/*
 * Guest-side helpers for pseries tests (what QEMU's libqos/rtas.c and
 * pci-spapr.c do): RTAS calls with buffers in guest RAM, PCI config
 * access through RTAS, the TCE hypercalls, the DDW, DRC and MSI RTAS
 * calls, and the PHBs as query-spapr-phbs shows them.
 *
 * The wrappers of RTAS calls assert that the call exists (the qtest
 * answer is 0) and return the call's RTAS status, the first return cell,
 * for the test to check; the hypercall wrappers return the hypercall's
 * return code.  Neither checks the status itself: refused calls are what
 * many tests are about.
 *
 * Byte order: qtest values are the target's (big-endian), PCI registers
 * are little-endian, config space through RTAS is a number (not swapped).
 */
#ifndef LIBQOS_SPAPR_H
#define LIBQOS_SPAPR_H

#include "../libqtest.h"

#define SPAPR_BUID(index) (0x800000020000000ull + (index))
#define SPAPR_LIOBN(index, n) (0x80000000u | ((uint32_t)(index) << 8) | (n))
#define SPAPR_PCI_MEM32_CPU(index) ((1ull << 45) + ((index) + 1ull) * 0x80000000ull)
#define SPAPR_PCI_BUS_MEM32 0x80000000ull

/* Guest RAM used by the helpers for RTAS argument buffers (below 1 MiB). */
#define QOS_SCRATCH 0x10000ull

/*
 * Call RTAS @name with @nargs arguments; fills @rets (NRET cells).
 * Returns the qtest answer (0 if the call exists).
 */
uint64_t qrtas_call(QTestState *qts, const char *name, uint32_t nargs, const uint32_t *args,
                    uint32_t nret, uint32_t *rets);

/* ibm,read-pci-config / ibm,write-pci-config on PHB @index, bus 0. */
int32_t qrtas_cfg_read(QTestState *qts, unsigned index, int devfn, uint32_t reg, int size,
                       uint32_t *val);
int32_t qrtas_cfg_write(QTestState *qts, unsigned index, int devfn, uint32_t reg, int size,
                        uint32_t val);
/* The config address word (with register bits 11..8 in 31..28). */
uint32_t qos_cfg_addr(int devfn, uint32_t reg);

/*
 * Put BAR0 of @devfn behind PHB @index at PCI address @pci (in the 32-bit
 * window) and turn on memory decoding and bus mastering, asserting that
 * both config writes succeed.  Returns BAR0's CPU address.
 */
uint64_t qos_pci_map_bar0(QTestState *qts, unsigned index, int devfn, uint32_t pci);

/* Write/read a big-endian 32-bit word in guest RAM */
void qos_stl_be(QTestState *qts, uint64_t addr, uint32_t v);
uint32_t qos_ldl_be(QTestState *qts, uint64_t addr);
/* Write/read a little-endian register (PCI MMIO) of 32 or 64 bits */
void qos_stl_le(QTestState *qts, uint64_t addr, uint32_t v);
uint32_t qos_ldl_le(QTestState *qts, uint64_t addr);
void qos_stq_le(QTestState *qts, uint64_t addr, uint64_t v);
uint64_t qos_ldq_le(QTestState *qts, uint64_t addr);

/* TCE hypercalls ------------------------------------------------------------- */

/*
 * H_PUT_TCE, H_GET_TCE, H_STUFF_TCE and H_PUT_TCE_INDIRECT on the window
 * @liobn (all 64 bits of the argument are passed, so that a test can set
 * bits above the 32 of a LIOBN).  Each returns the hypercall's return code.
 */
int64_t qos_h_put_tce(QTestState *qts, uint64_t liobn, uint64_t ioba, uint64_t tce);
/* *@tce gets the entry (0 if the call fails); asserts one output on success. */
int64_t qos_h_get_tce(QTestState *qts, uint64_t liobn, uint64_t ioba, uint64_t *tce);
int64_t qos_h_stuff_tce(QTestState *qts, uint64_t liobn, uint64_t ioba, uint64_t tce,
                        uint64_t npages);
/* @list: the guest address of the TCE list, as it is (see qos_h_put_tce_list()). */
int64_t qos_h_put_tce_indirect(QTestState *qts, uint64_t liobn, uint64_t ioba, uint64_t list,
                               uint64_t npages);
/*
 * H_PUT_TCE_INDIRECT of the @n TCEs @tces: they are written first as the
 * guest's (big-endian) list at guest address @list.
 */
int64_t qos_h_put_tce_list(QTestState *qts, uint64_t liobn, uint64_t ioba, uint64_t list,
                           const uint64_t *tces, unsigned n);

/* DDW (ibm,query/create/remove/reset-pe-dma-window) ----------------------------- */

/*
 * The PE is named by its config address @cfg_addr (see qos_cfg_addr()) and
 * its PHB's @buid.  Each returns the RTAS status.
 *
 * query: fills @rets with @nret cells (5 or 6 are valid; the status
 * included).
 */
int32_t qrtas_ddw_query(QTestState *qts, uint32_t cfg_addr, uint64_t buid, uint32_t nret,
                        uint32_t *rets);
/* create: pages of 2^@page_shift, 2^@window_shift bytes; @liobn and @start may be NULL. */
int32_t qrtas_ddw_create(QTestState *qts, uint32_t cfg_addr, uint64_t buid, uint32_t page_shift,
                         uint32_t window_shift, uint32_t *liobn, uint64_t *start);
int32_t qrtas_ddw_remove(QTestState *qts, uint32_t liobn);
int32_t qrtas_ddw_reset(QTestState *qts, uint32_t cfg_addr, uint64_t buid);

/* DRCs and events ------------------------------------------------------------------ */

/* The DRC index of PHB @index (a logical DRC, type PHB) */
#define QOS_DRC_PHB(index) (0x20000000u | (index))
/* get-sensor-state / set-indicator types: entity sense, isolation, allocation */
#define QOS_SENSOR_ENTITY 9003
#define QOS_IND_ISOLATION 9001
#define QOS_IND_ALLOCATION 9003
/* entity-sense states */
#define QOS_SENSE_EMPTY 0
#define QOS_SENSE_PRESENT 1
#define QOS_SENSE_UNUSABLE 2

/* get-sensor-state of @sensor for DRC @index: *@state gets the state */
int32_t qrtas_get_sensor_state(QTestState *qts, uint32_t sensor, uint32_t index,
                               uint32_t *state);
/* set-indicator @indicator of DRC @index to @state */
int32_t qrtas_set_indicator(QTestState *qts, uint32_t indicator, uint32_t index,
                            uint32_t state);
/*
 * One ibm,configure-connector call on the work area at guest address @wa
 * (the caller puts the DRC index in its first word).
 */
int32_t qrtas_configure_connector(QTestState *qts, uint64_t wa);
/* check-exception for the classes in @mask, the event log into @len bytes at @buf */
int32_t qrtas_check_exception(QTestState *qts, uint32_t mask, uint64_t buf, uint32_t len);

/* MSI (ibm,change-msi, ibm,query-interrupt-source-number) ------------------------ */

/*
 * ibm,change-msi for function @devfn behind PHB @index: function @func
 * (1 MSI or MSI-X, 3 MSI, 4 MSI-X, 0 query, 2 reset), @req vectors.
 * Fills the 4 cells of @rets; returns the status.
 */
int32_t qrtas_change_msi(QTestState *qts, unsigned index, int devfn, uint32_t func,
                         uint32_t req, uint32_t *rets);
/*
 * ibm,query-interrupt-source-number of vector @n: *@irq gets the source;
 * asserts that a source found is edge-triggered (as an MSI is).
 */
int32_t qrtas_query_irq(QTestState *qts, unsigned index, int devfn, uint32_t n,
                        uint32_t *irq);

/* The PHBs through QMP ---------------------------------------------------------------- */

/* The query-spapr-phbs entry of PHB @index (a new reference), or NULL if it has none */
JsonObject *qos_phb_info(QTestState *qts, unsigned index);
/* How many PHBs query-spapr-phbs lists */
unsigned qos_phb_count(QTestState *qts);

#endif
