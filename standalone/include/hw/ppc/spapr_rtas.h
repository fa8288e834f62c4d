/*
 * RTAS: PAPR's run-time abstraction services.
 *
 * A call has a token (0x2000 + n, as QEMU numbers them, published as
 * properties of /rtas named after the calls) and takes NARGS argument
 * cells and NRET return cells, big-endian 32-bit words in guest RAM; the
 * first return cell is the RTAS status.  The dispatcher checks that both
 * buffers lie in guest RAM before a handler runs, so handlers read and
 * write cells without further checks.
 */
#ifndef HW_PPC_SPAPR_RTAS_H
#define HW_PPC_SPAPR_RTAS_H

#include "hw/ppc/spapr.h"

#define RTAS_TOKEN_BASE 0x2000

/* Token indexes: token = RTAS_TOKEN_BASE + index (QEMU's assignment) */
enum {
    RTAS_DISPLAY_CHARACTER = 0x00,
    RTAS_GET_TIME_OF_DAY = 0x01,
    RTAS_SET_TIME_OF_DAY = 0x02,
    RTAS_POWER_OFF = 0x03,
    RTAS_SYSTEM_REBOOT = 0x04,
    RTAS_IBM_GET_SYSTEM_PARAMETER = 0x08,
    RTAS_IBM_SET_SYSTEM_PARAMETER = 0x09,
    RTAS_CHECK_EXCEPTION = 0x0E,
    RTAS_EVENT_SCAN = 0x0F,
    RTAS_READ_PCI_CONFIG = 0x14,
    RTAS_WRITE_PCI_CONFIG = 0x15,
    RTAS_IBM_READ_PCI_CONFIG = 0x16,
    RTAS_IBM_WRITE_PCI_CONFIG = 0x17,
    RTAS_IBM_QUERY_INTERRUPT_SOURCE_NUMBER = 0x18,
    RTAS_IBM_CHANGE_MSI = 0x19,
    RTAS_SET_INDICATOR = 0x1A,
    RTAS_GET_SENSOR_STATE = 0x1D,
    RTAS_IBM_CONFIGURE_CONNECTOR = 0x1E,
    RTAS_IBM_SET_EEH_OPTION = 0x20,
    RTAS_IBM_GET_CONFIG_ADDR_INFO2 = 0x21,
    RTAS_IBM_READ_SLOT_RESET_STATE2 = 0x22,
    RTAS_IBM_SET_SLOT_RESET = 0x23,
    RTAS_IBM_CONFIGURE_PE = 0x24,
    RTAS_IBM_SLOT_ERROR_DETAIL = 0x25,
    RTAS_IBM_QUERY_PE_DMA_WINDOW = 0x26,
    RTAS_IBM_CREATE_PE_DMA_WINDOW = 0x27,
    RTAS_IBM_REMOVE_PE_DMA_WINDOW = 0x28,
    RTAS_IBM_RESET_PE_DMA_WINDOW = 0x29,
    RTAS_TOKEN_COUNT = 0x2D,
};

/* Bytes the guest must reserve for RTAS (QEMU's /rtas rtas-size for its call count). */
#define RTAS_ERROR_LOG_MAX 2048

typedef void (*SpaprRtasFn)(SpaprMachine *spapr, uint32_t token, uint32_t nargs, hwaddr args,
                            uint32_t nret, hwaddr rets);

/* Register @fn as call @name with token index @index (registration is explicit, at init). */
void spapr_rtas_register(unsigned index, const char *name, SpaprRtasFn fn);

/* Argument cell @n (the buffer was checked). */
uint32_t rtas_ld(hwaddr args, unsigned n);
/* Store return cell @n. */
void rtas_st(hwaddr rets, unsigned n, uint32_t val);

/*
 * Run the call named @name (qtest "rtas").  Returns FALSE if no such call
 * exists.  *hret is 0, or H_PARAMETER when the buffers are not in RAM (the
 * call then did not run and nothing was written).
 */
gboolean spapr_rtas_call_by_name(SpaprMachine *spapr, const char *name, uint32_t nargs,
                                 hwaddr args, uint32_t nret, hwaddr rets, uint64_t *hret);

/* H_RTAS (the guest's path): run the call described by the buffer at @buf. */
int64_t spapr_rtas_hcall(SpaprMachine *spapr, hwaddr buf);

/* Add /rtas to @fdt: a property per registered call, rtas-size and platform properties. */
void spapr_rtas_dt(SpaprMachine *spapr, void *fdt, int rtas_node);

/* Each service file registers its calls (called once at machine init). */
void spapr_rtas_register_core(void);
void spapr_rtc_register(void);
void spapr_events_register(void);
void spapr_drc_register_rtas(void);

#endif
