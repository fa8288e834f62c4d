/*
 * vfio-sim QMP: inspection and fault injection, for tests.
 *
 * x-vfio-sim-inject {"sim": ID, "fault": F, "group"?: N, "after"?: N,
 *                    "errno"?: "ENOMEM"|"EFAULT", "bytes"?: N, "clear"?: bool}
 *   F = "map-fail": let "after" (default 0) more VFIO_IOMMU_MAP_DMA calls
 *       run, then fail one with "errno" (default ENOMEM); "clear": true
 *       cancels a pending failure instead.
 *   F = "memlock": the locked-memory limit becomes "bytes" (0: none).
 *   F = "freeze" / "thaw": freeze or thaw the PE of "group".
 *   F = "eacces": opening /dev/vfio/"group" fails with EACCES; "clear":
 *       true undoes it.
 *   Returns {}.
 *
 * x-vfio-sim-query {"sim": ID} returns
 *   { "id", "iommu-type", "page-size", "memlock-limit", "locked-bytes",
 *     "open-fds", "map-fail-pending"?: {"after", "errno"},
 *     "containers": [{ "index", "fd" (-1 once closed), "iommu" ("none",
 *         "spapr-tce-v2", "spapr-tce", "type1v2", "type1"), "groups": [N],
 *         "map-calls", "map-errors", "unmap-calls", "unmap-errors",
 *         "mappings": [{"iova", "size", "perm" ("r"|"w"|"rw"), "vaddr",
 *                       "gpa" (-1 outside guest RAM)}],
 *         sPAPR: "enabled", "default-window-pending",
 *                "registered": [{"vaddr", "size", "gpa"}],
 *                "windows": [{"start", "size", "page-shift", "levels",
 *                             "entries-in-use"}],
 *         Type1: "dma-avail" }],
 *     "groups": [{ "group", "viable", "open", "container" (index or -1),
 *         "frozen", "eacces",
 *         "devices": [{"name", "driver", "pcie", "open-count", "irq-type"
 *                      ("none"|"intx"|"msi"|"msix"), "dma-ok", "dma-faults",
 *                      "dma-refused", "irqs-signalled"}] }] }
 *   sPAPR mappings are runs of TCEs contiguous in IOVA and memory with one
 *   permission; "gpa" is the host address minus the current machine's RAM
 *   mapping.
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "hw/boards.h"
#include "monitor/qmp.h"
#include "sim-internal.h"

int64_t sim_hva_to_gpa(uint64_t hva)
{
    MemoryRegion *ram = current_machine ? &current_machine->ram : NULL;
    uint64_t base;

    if (!ram || !ram->ram) {
        return -1;
    }
    base = (uintptr_t)ram->ram;
    return hva >= base && hva - base < ram->size ? (int64_t)(hva - base) : -1;
}

/* The C interface ---------------------------------------------------------------- */

static SimGroup *group_or_error(VfioSim *sim, int group, GError **errp)
{
    SimGroup *g = sim_group_find(sim, group);

    if (!g) {
        error_setg(errp, "%s: group %d: no such IOMMU group", sim->desc, group);
    }
    return g;
}

gboolean vfio_sim_inject_map_fail(VfioSim *sim, unsigned after, int err, GError **errp)
{
    if (err != ENOMEM && err != EFAULT) {
        error_setg(errp, "%s: map-fail: errno %d is not ENOMEM or EFAULT", sim->desc, err);
        return FALSE;
    }
    sim->map_fail_armed = true;
    sim->map_fail_after = after;
    sim->map_fail_errno = err;
    return TRUE;
}

void vfio_sim_clear_map_fail(VfioSim *sim)
{
    sim->map_fail_armed = false;
}

void vfio_sim_set_memlock_limit(VfioSim *sim, uint64_t bytes)
{
    sim->memlock_limit = bytes;
}

gboolean vfio_sim_set_frozen(VfioSim *sim, int group, bool frozen, GError **errp)
{
    SimGroup *g = group_or_error(sim, group, errp);

    if (g) {
        g->frozen = frozen;
    }
    return g != NULL;
}

gboolean vfio_sim_set_eacces(VfioSim *sim, int group, bool on, GError **errp)
{
    SimGroup *g = group_or_error(sim, group, errp);

    if (g) {
        g->eacces = on;
    }
    return g != NULL;
}

static const char *irq_type_name(SimIrqType t)
{
    return t == SIM_IRQ_INTX ? "intx" : t == SIM_IRQ_MSI ? "msi" :
           t == SIM_IRQ_MSIX ? "msix" : "none";
}

static JsonObject *container_json(SimContainer *c)
{
    JsonObject *o = json_object_new();
    JsonArray *groups = json_array_new();

    json_object_set_int_member(o, "index", c->id);
    json_object_set_int_member(o, "fd", c->fd);
    json_object_set_string_member(o, "iommu", c->iommu ? c->iommu->type_name(c) : "none");
    for (guint i = 0; i < c->groups->len; i++) {
        json_array_add_int_element(groups, ((SimGroup *)g_ptr_array_index(c->groups, i))->id);
    }
    json_object_set_array_member(o, "groups", groups);
    json_object_set_int_member(o, "map-calls", c->map_calls);
    json_object_set_int_member(o, "map-errors", c->map_errors);
    json_object_set_int_member(o, "unmap-calls", c->unmap_calls);
    json_object_set_int_member(o, "unmap-errors", c->unmap_errors);
    if (c->iommu) {
        c->iommu->query(c, o);
    } else {
        json_object_set_array_member(o, "mappings", json_array_new());
    }
    return o;
}

static JsonObject *device_json(SimDevice *d)
{
    JsonObject *o = json_object_new();

    json_object_set_string_member(o, "name", d->name);
    json_object_set_string_member(o, "driver", d->driver);
    json_object_set_boolean_member(o, "pcie", d->pcie);
    json_object_set_int_member(o, "open-count", d->open_count);
    json_object_set_string_member(o, "irq-type", irq_type_name(d->irq_type));
    json_object_set_int_member(o, "dma-ok", d->dma_ok);
    json_object_set_int_member(o, "dma-faults", d->dma_faults);
    json_object_set_int_member(o, "dma-refused", d->dma_refused);
    json_object_set_int_member(o, "irqs-signalled", d->irqs_signalled);
    return o;
}

static JsonObject *group_json(SimGroup *g)
{
    JsonObject *o = json_object_new();
    JsonArray *devs = json_array_new();

    json_object_set_int_member(o, "group", g->id);
    json_object_set_boolean_member(o, "viable", sim_group_viable(g));
    json_object_set_boolean_member(o, "open", g->fd >= 0 || g->device_fds);
    json_object_set_int_member(o, "container", g->container ? (int64_t)g->container->id : -1);
    json_object_set_boolean_member(o, "frozen", g->frozen);
    json_object_set_boolean_member(o, "eacces", g->eacces);
    for (guint i = 0; i < g->devices->len; i++) {
        json_array_add_object_element(devs, device_json(g_ptr_array_index(g->devices, i)));
    }
    json_object_set_array_member(o, "devices", devs);
    return o;
}

JsonNode *vfio_sim_query(VfioSim *sim)
{
    g_autoptr(JsonObject) o = json_object_new();    /* the node takes its own reference */
    JsonArray *cs = json_array_new(), *gs = json_array_new();
    Object *obj = OBJECT(sim);

    json_object_set_string_member(o, "id", obj->name ? obj->name : "");
    json_object_set_string_member(o, "iommu-type", sim->iommu_type);
    json_object_set_int_member(o, "page-size", sim->page_size);
    json_object_set_int_member(o, "memlock-limit", sim->memlock_limit);
    json_object_set_int_member(o, "locked-bytes", sim->locked_pages << sim->page_shift);
    json_object_set_int_member(o, "open-fds", vfio_sim_open_fds(sim));
    if (sim->map_fail_armed) {
        JsonObject *mf = json_object_new();
        json_object_set_int_member(mf, "after", sim->map_fail_after);
        json_object_set_string_member(mf, "errno",
                                      sim->map_fail_errno == EFAULT ? "EFAULT" : "ENOMEM");
        json_object_set_object_member(o, "map-fail-pending", mf);
    }
    for (guint i = 0; i < sim->containers->len; i++) {
        json_array_add_object_element(cs, container_json(g_ptr_array_index(sim->containers, i)));
    }
    for (guint i = 0; i < sim->groups->len; i++) {
        json_array_add_object_element(gs, group_json(g_ptr_array_index(sim->groups, i)));
    }
    json_object_set_array_member(o, "containers", cs);
    json_object_set_array_member(o, "groups", gs);
    return json_node_init_object(json_node_alloc(), o);
}

/* QMP ------------------------------------------------------------------------------ */

static VfioSim *sim_from_args(JsonObject *args, GError **errp)
{
    const char *id = json_object_get_string_member(args, "sim");
    g_autofree char *path = id[0] == '/' ? g_strdup(id) : g_strdup_printf("/objects/%s", id);
    Object *obj = object_resolve_path(path);

    if (!obj) {
        g_set_error(errp, QEMU_ERROR, QEMU_ERROR_DEVICE_NOT_FOUND, "object '%s' not found", id);
        return NULL;
    }
    if (!IS_VFIO_SIM(obj) || !VFIO_SIM(obj)->completed) {
        error_setg(errp, "object '%s' is not a vfio-sim", id);
        return NULL;
    }
    return VFIO_SIM(obj);
}

static JsonNode *qmp_x_vfio_sim_query(JsonObject *args, GError **errp)
{
    VfioSim *sim = sim_from_args(args, errp);

    return sim ? vfio_sim_query(sim) : NULL;
}

static bool need_int(VfioSim *sim, JsonObject *args, const char *fault, const char *name,
                     int64_t min, int64_t max, int64_t *out, GError **errp)
{
    if (!json_object_has_member(args, name)) {
        error_setg(errp, "%s: fault '%s' needs '%s'", sim->desc, fault, name);
        return false;
    }
    *out = json_object_get_int_member(args, name);
    if (*out < min || *out > max) {
        error_setg(errp, "%s: fault '%s': '%s' %" PRId64 " is out of range", sim->desc, fault,
                   name, *out);
        return false;
    }
    return true;
}

static JsonNode *qmp_x_vfio_sim_inject(JsonObject *args, GError **errp)
{
    VfioSim *sim = sim_from_args(args, errp);
    const char *fault = json_object_get_string_member(args, "fault");
    bool clear = json_object_has_member(args, "clear") &&
                 json_object_get_boolean_member(args, "clear");
    int64_t group, after = 0, bytes;
    bool ok;

    if (!sim) {
        return NULL;
    }
    if (g_str_equal(fault, "map-fail")) {
        const char *e = json_object_has_member(args, "errno") ?
                        json_object_get_string_member(args, "errno") : "ENOMEM";
        if (clear) {
            vfio_sim_clear_map_fail(sim);
            return qmp_return_empty();
        }
        if (json_object_has_member(args, "after") &&
            !need_int(sim, args, fault, "after", 0, UINT_MAX, &after, errp)) {
            return NULL;
        }
        if (strcmp(e, "ENOMEM") && strcmp(e, "EFAULT")) {
            error_setg(errp, "%s: fault 'map-fail': errno '%s' is not ENOMEM or EFAULT",
                       sim->desc, e);
            return NULL;
        }
        ok = vfio_sim_inject_map_fail(sim, after, g_str_equal(e, "EFAULT") ? EFAULT : ENOMEM,
                                      errp);
    } else if (g_str_equal(fault, "memlock")) {
        if (!need_int(sim, args, fault, "bytes", 0, INT64_MAX, &bytes, errp)) {
            return NULL;
        }
        vfio_sim_set_memlock_limit(sim, bytes);
        ok = true;
    } else if (g_str_equal(fault, "freeze") || g_str_equal(fault, "thaw") ||
               g_str_equal(fault, "eacces")) {
        if (!need_int(sim, args, fault, "group", 0, INT_MAX, &group, errp)) {
            return NULL;
        }
        if (g_str_equal(fault, "eacces")) {
            ok = vfio_sim_set_eacces(sim, group, !clear, errp);
        } else {
            ok = vfio_sim_set_frozen(sim, group, g_str_equal(fault, "freeze"), errp);
        }
    } else {
        error_setg(errp, "%s: unknown fault '%s' (expected map-fail, memlock, freeze, thaw "
                   "or eacces)", sim->desc, fault);
        return NULL;
    }
    return ok ? qmp_return_empty() : NULL;
}

static const QmpArg query_args[] = {
    { "sim", G_TYPE_STRING },
    { NULL },
};

static const QmpArg inject_args[] = {
    { "sim", G_TYPE_STRING },
    { "fault", G_TYPE_STRING },
    { "group", G_TYPE_INT64, true },
    { "after", G_TYPE_INT64, true },
    { "errno", G_TYPE_STRING, true },
    { "bytes", G_TYPE_INT64, true },
    { "clear", G_TYPE_BOOLEAN, true },
    { NULL },
};

static const QmpCommand sim_commands[] = {
    { "x-vfio-sim-query", qmp_x_vfio_sim_query, query_args },
    { "x-vfio-sim-inject", qmp_x_vfio_sim_inject, inject_args },
};

void sim_qmp_register(void)
{
    static bool done;

    if (done) {
        return;
    }
    done = true;
    for (guint i = 0; i < G_N_ELEMENTS(sim_commands); i++) {
        qmp_register_command(&sim_commands[i]);
    }
}
