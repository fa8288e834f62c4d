/*
 * Helpers for the vfio-sim unit tests: create a simulator the way -object
 * does, and talk to it through its VfioHost ops table the way a user
 * program talks to /dev/vfio.
 */
#ifndef TEST_VFIO_SIM_UTIL_H
#define TEST_VFIO_SIM_UTIL_H

#include "qemu/osdep.h"
#include <linux/vfio.h>
#include "hw/vfio/vfio-sim.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

/* edu registers and the BAR2 RAM */
#include "edu-regs.h"
#define DMA_START     1
#define DMA_TO_RAM    2
#define DMA_IRQ       4

/* Register the types once; call first in main(). */
void simt_init(void);

/* "-object vfio-sim,id=@id,@props" (@props may be NULL); asserts success. */
Object *simt_new(const char *id, const char *props);
/* The same, returning the error message instead (NULL on success, object removed). */
char *simt_new_error(const char *id, const char *props);
/* Remove it from /objects (finalized once the last reference goes). */
void simt_del(Object *obj);
VfioHost *simt_host(Object *obj);

/* Numbers of descriptors open in this process (/proc/self/fd). */
int simt_fd_count(void);
/* Move the virtual clock. */
void simt_step_ms(int64_t ms);

/* x-vfio-sim-query of @obj: owned node; helpers to read it */
JsonNode *simt_query(Object *obj);
JsonObject *simt_container_q(JsonNode *q, int64_t index);   /* by position */
JsonObject *simt_group_q(JsonNode *q, int group);
JsonObject *simt_device_q(JsonNode *q, const char *name);
int64_t simt_locked_bytes(Object *obj);
int64_t simt_dev_counter(Object *obj, const char *name, const char *counter);

/* Calls ------------------------------------------------------------------- */

int simt_open_group(VfioHost *h, int group);
int simt_open_container(VfioHost *h);
int simt_set_container(VfioHost *h, int gfd, int cfd);
int simt_set_iommu(VfioHost *h, int cfd, unsigned long type);
int simt_close(VfioHost *h, int fd);
int simt_group_status(VfioHost *h, int gfd, uint32_t *flags);
int simt_get_device(VfioHost *h, int gfd, const char *name);
/* Group @group in a new container with @type; asserts every step. */
void simt_setup(VfioHost *h, int group, unsigned long type, int *gfd, int *cfd);

int simt_register(VfioHost *h, int cfd, void *vaddr, uint64_t size);
int simt_unregister(VfioHost *h, int cfd, void *vaddr, uint64_t size);
int simt_map(VfioHost *h, int cfd, uint64_t iova, void *vaddr, uint64_t size, uint32_t flags);
int simt_unmap(VfioHost *h, int cfd, uint64_t iova, uint64_t size);
int simt_create(VfioHost *h, int cfd, unsigned shift, uint64_t size, unsigned levels,
                uint64_t *start);
int simt_remove(VfioHost *h, int cfd, uint64_t start);

/* Device regions */
uint64_t simt_region_offset(VfioHost *h, int dfd, unsigned index);
uint32_t simt_cfg_read(VfioHost *h, int dfd, uint32_t off, unsigned len);
void simt_cfg_write(VfioHost *h, int dfd, uint32_t off, uint32_t val, unsigned len);
uint32_t simt_readl(VfioHost *h, int dfd, uint32_t off);
void simt_writel(VfioHost *h, int dfd, uint32_t off, uint32_t val);
uint64_t simt_readq(VfioHost *h, int dfd, uint32_t off);
void simt_writeq(VfioHost *h, int dfd, uint32_t off, uint64_t val);
/* Memory decoding and bus mastering on. */
void simt_enable(VfioHost *h, int dfd);
/* Program an edu DMA and let 100 ms pass. */
void simt_edu_dma(VfioHost *h, int dfd, uint64_t src, uint64_t dst, uint64_t count,
                  uint32_t cmd);

/* Interrupts */
int simt_set_irq_eventfd(VfioHost *h, int dfd, unsigned index, int efd);
int simt_irq_action(VfioHost *h, int dfd, unsigned index, uint32_t flags);
/* Pending count of eventfd @efd (read and reset), 0 if none. */
uint64_t simt_eventfd_take(int efd);

/* Memory: page-aligned anonymous memory of @size, aligned to @align. */
void *simt_ram(uint64_t size, uint64_t align);
void simt_ram_free(void *p, uint64_t size);
/* An address range of @size that nothing maps (just unmapped). */
void *simt_unmapped(uint64_t size);

#endif
