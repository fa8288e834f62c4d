/*
 * Helpers for qtests that run QEMU on the fake VFIO kernel
 * (tests/vfio-fake): start QEMU with the fake preloaded, read the
 * fake's state and drive its faults through its socket, count QEMU's
 * descriptors, read QOM properties.
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TESTS_QTEST_VPHB_VPHB_FAKE_H
#define TESTS_QTEST_VPHB_VPHB_FAKE_H

#include "libqtest.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"

typedef struct VphbFake {
    QTestState *qts;
    char *dir;
    char *sock;
} VphbFake;

/*
 * Start QEMU (pseries, -nodefaults) with the fake preloaded and @args
 * appended.  @iommu: "spapr-tce-v2" or "type1"; @topology: a topology
 * file's text or NULL for the default topology; @env: extra
 * "NAME=VALUE" settings for the fake, NULL-terminated, or NULL.
 */
void vphb_fake_start(VphbFake *f, const char *iommu, const char *topology,
                     const char *const *env, const char *args);
/* The same with QEMU's whole command line in @args, machine included */
void vphb_fake_start_args(VphbFake *f, const char *iommu,
                          const char *topology, const char *const *env,
                          const char *args);
void vphb_fake_stop(VphbFake *f);

/*
 * The LD_PRELOAD value that loads the fake library @lib into QEMU: in a
 * sanitized build, ASan's runtime goes first, as ASan requires.
 */
char *vphb_fake_preload(const char *lib);

/* One request to the fake's state socket; the reply line, no newline. */
char *vphb_fake_cmd(VphbFake *f, const char *line);
/* The fake's whole state (see tests/vfio-fake/README.rst). */
QDict *vphb_fake_state(VphbFake *f);
/* The entry of state's @list whose integer "id" is @id, or NULL. */
QDict *vphb_fake_find(QDict *state, const char *list, int64_t id);
/* The entry of state's "containers" holding @group (it must exist) */
QDict *vphb_fake_container(QDict *state, int group);
/* A count of that container's, e.g. "map-calls", "unmap-calls" */
int64_t vphb_fake_container_count(VphbFake *f, int group, const char *key);
/* How many containers the fake has, and how many fake files are open */
int vphb_fake_containers(VphbFake *f);
int vphb_fake_fds(VphbFake *f);

/* Open descriptors of the QEMU process, sockets aside */
int vphb_qemu_fds(VphbFake *f);

/*
 * @count(@f) once it equals @want, or after 5 s: for counts that QEMU's
 * RCU thread brings down after a command has answered.
 */
int vphb_settled(VphbFake *f, int (*count)(VphbFake *f), int want);

/*
 * QEMU started (outside qtest) with the fake and @args must exit with
 * status 1 and an error that contains every string of @needles.
 */
void vphb_cold_start_must_fail(const char *args, const char *const *needles);

/* qom-get of @prop on @path, as a new reference */
QObject *vphb_qom_get(QTestState *qts, const char *path, const char *prop);

/* The vPHB @id's "functions" property, as "host@devfn" words */
char *vphb_functions(QTestState *qts, const char *id);

/*
 * device_add of @json (a JSON object's members, "driver" included) that
 * must fail: the error must contain every string of @needles, and QEMU
 * must be left as it was: no device "bad", no fd, no container.
 * The device's id must be "bad".
 */
void vphb_add_must_fail(VphbFake *f, const char *json,
                        const char *const *needles);

/* The guest's side, through qtest */

/* RTAS call @name; returns its first return value (the status) */
uint32_t vphb_rtas(QTestState *qts, const char *name, const uint32_t *args,
                   int nargs, uint32_t *rets, int nret);
/*
 * The guest drives the fake's edu at @devfn of PHB @index (node @phb in
 * the guest's tree @fdt): BAR0 in the 32-bit window, a TCE of the
 * default window on a page of RAM, the edu's DMA of @pattern through it,
 * which must land in that page.
 */
void vphb_guest_dma(QTestState *qts, const void *fdt, int phb,
                    unsigned index, int devfn, uint64_t pattern);
/* The machine's tree as dumpdtb writes it (built at the last reset) */
void *vphb_dumpdtb(VphbFake *f);

#endif
