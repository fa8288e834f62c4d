/*
 * Guest-side helpers for pseries tests (what QEMU's libqos/rtas.c and
 * pci-spapr.c do): RTAS calls with buffers in guest RAM, PCI config
 * access through RTAS, a bump allocator for guest memory.
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

/* Write/read a big-endian 32-bit word in guest RAM */
void qos_stl_be(QTestState *qts, uint64_t addr, uint32_t v);
uint32_t qos_ldl_be(QTestState *qts, uint64_t addr);

#endif
