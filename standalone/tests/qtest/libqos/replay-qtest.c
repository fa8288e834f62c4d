/*
 * A ReplayTarget over qtest (see replay.h): the guest's side of every
 * call goes through the socket protocol, as a test plays the guest.
 */
#include "replay.h"
#include "spapr.h"

#include <string.h>

static int64_t qt_hcall(void *opaque, uint64_t opcode, const uint64_t *args, int nargs,
                        uint64_t *outs, int *nouts)
{
    return qtest_hcall(opaque, opcode, nargs, args, outs, 9, nouts);
}

static bool qt_rtas(void *opaque, const char *name, uint32_t nargs, const uint32_t *args,
                    uint32_t nret, uint32_t *rets)
{
    return qrtas_call(opaque, name, nargs, args, nret, rets) == 0;
}

static void qt_memwrite(void *opaque, uint64_t addr, const void *buf, size_t len)
{
    qtest_memwrite(opaque, addr, buf, len);
}

/* query-spapr-phbs entry of PHB @index, or NULL (ref'd) */
static JsonObject *phb_info(QTestState *qts, unsigned index)
{
    JsonObject *rsp = qtest_qmp(qts, "{\"execute\": \"query-spapr-phbs\"}");
    JsonArray *a = json_node_get_array(qmp_rsp_return(rsp));
    JsonObject *found = NULL;

    for (guint i = 0; i < json_array_get_length(a) && !found; i++) {
        JsonObject *o = json_array_get_object_element(a, i);
        if (json_object_get_int_member(o, "index") == index) {
            found = json_object_ref(o);
        }
    }
    json_object_unref(rsp);
    return found;
}

static bool qt_window_liobn(void *opaque, unsigned phb_index, unsigned num, uint32_t *liobn)
{
    g_autoptr(JsonObject) o = phb_info(opaque, phb_index);
    JsonArray *w;

    if (!o) {
        return false;
    }
    w = json_object_get_array_member(o, "windows");
    for (guint i = 0; i < json_array_get_length(w); i++) {
        JsonObject *win = json_array_get_object_element(w, i);
        if (!strcmp(json_object_get_string_member(win, "type"), num ? "ddw64" : "default32")) {
            *liobn = json_object_get_int_member(win, "liobn");
            return true;
        }
    }
    return false;
}

static bool qt_phb_buid(void *opaque, unsigned phb_index, uint64_t *buid)
{
    g_autoptr(JsonObject) o = phb_info(opaque, phb_index);

    if (!o) {
        return false;
    }
    *buid = json_object_get_int_member(o, "buid");
    return true;
}

ReplayTarget *replay_qtest_target_new(QTestState *qts, uint64_t ram_size)
{
    ReplayTarget *t = g_new0(ReplayTarget, 1);

    *t = (ReplayTarget){
        .opaque = qts,
        .ram_size = ram_size,
        .hcall = qt_hcall,
        .rtas = qt_rtas,
        .memwrite = qt_memwrite,
        .window_liobn = qt_window_liobn,
        .phb_buid = qt_phb_buid,
    };
    return t;
}

void replay_qtest_target_free(ReplayTarget *target)
{
    g_free(target);
}
