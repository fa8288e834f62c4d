/*
 * qtest 'hcall' command: make a sPAPR hypercall from a qtest
 *
 * QEMU's qtest protocol reaches RTAS ("rtas NAME ..."), but not the
 * hypercalls that a guest makes with 'sc 1'.  Tests of the TCE hypercalls
 * need them, so the extension adds one command:
 *
 *   hcall OPCODE [ARG...]   ->   OK RET R4 R5 ... R12
 *
 * OPCODE goes in r3 and the ARGs in r4..r12; the reply gives the return
 * code and the nine registers as the call left them.  The wire format is
 * in docs/interop/qtest-hcall.rst.
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "hw/core/cpu.h"
#include "hw/ppc/spapr.h"
#include "system/qtest.h"

/* r4..r12: what a guest can pass to, and get back from, a hypercall */
#define QTEST_HCALL_NREGS 9

static bool qtest_hcall_number(const char *word, uint64_t *value)
{
    /* parse_uint refuses negative numbers, which strtoull would wrap */
    return parse_uint_full(word, 0, value) == 0;
}

static bool spapr_qtest_hcall(CharBackend *chr, gchar **words)
{
    target_ulong regs[QTEST_HCALL_NREGS] = { 0 };
    g_autoptr(GString) reply = NULL;
    uint64_t opcode, value;
    target_ulong ret;
    int i;

    if (!words[0] || strcmp(words[0], "hcall") != 0) {
        return false;
    }
    if (!object_dynamic_cast(qdev_get_machine(), TYPE_SPAPR_MACHINE)) {
        qtest_sendf(chr, "FAIL this machine has no hypercalls\n");
        return true;
    }
    if (!words[1]) {
        qtest_sendf(chr, "FAIL missing argument\n");
        return true;
    }
    if (!qtest_hcall_number(words[1], &opcode)) {
        qtest_sendf(chr, "FAIL invalid number '%s'\n", words[1]);
        return true;
    }
    for (i = 0; words[2 + i]; i++) {
        if (i == QTEST_HCALL_NREGS) {
            qtest_sendf(chr, "FAIL too many arguments (at most %d)\n",
                        QTEST_HCALL_NREGS);
            return true;
        }
        if (!qtest_hcall_number(words[2 + i], &value)) {
            qtest_sendf(chr, "FAIL invalid number '%s'\n", words[2 + i]);
            return true;
        }
        regs[i] = value;
    }

    /*
     * A guest's hypercall runs on its vCPU; under qtest the vCPUs do not
     * run, so the call is made on the first one, as QEMU's 'rtas' command
     * does.  Handlers read their arguments from, and write their outputs
     * to, the same register array.
     */
    ret = spapr_hypercall(POWERPC_CPU(first_cpu), opcode, regs);

    reply = g_string_new("OK");
    g_string_append_printf(reply, " %" PRId64, (int64_t)ret);
    for (i = 0; i < QTEST_HCALL_NREGS; i++) {
        g_string_append_printf(reply, " 0x%" PRIx64, (uint64_t)regs[i]);
    }
    qtest_sendf(chr, "%s\n", reply->str);
    return true;
}

static void spapr_qtest_hcall_register(void)
{
    qtest_set_command_cb(spapr_qtest_hcall);
}

type_init(spapr_qtest_hcall_register)
