/*
 * DRC state machine and its RTAS calls: get-sensor-state, set-indicator,
 * ibm,configure-connector.
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "hw/ppc/fdt.h"
#include "hw/ppc/spapr.h"
#include "hw/ppc/spapr_drc.h"
#include "hw/ppc/spapr_pci.h"
#include "hw/ppc/spapr_rtas.h"
#include "monitor/qmp.h"
#include "trace-events-all.h"

#define CC_WORK_AREA_SIZE 4096
#define CC_DATA_OFFSET 20      /* names and values start after the five header words */

static void drc_free(gpointer p)
{
    SpaprDrc *drc = p;

    g_free(drc->ccs_fdt);
    g_free(drc->name);
    g_free(drc);
}

void spapr_drc_create_phb_drcs(SpaprMachine *spapr, unsigned count)
{
    spapr->drcs = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, drc_free);
    for (unsigned i = 0; i < count; i++) {
        SpaprDrc *drc = g_new0(SpaprDrc, 1);
        drc->index = SPAPR_DRC_PHB_INDEX(i);
        drc->type_name = "PHB";
        drc->name = g_strdup_printf("PHB %u", i);
        drc->state = SPAPR_DRC_STATE_LOGICAL_UNUSABLE;
        g_hash_table_insert(spapr->drcs, GUINT_TO_POINTER(drc->index), drc);
    }
}

void spapr_drc_free_all(SpaprMachine *spapr)
{
    g_clear_pointer(&spapr->drcs, g_hash_table_unref);
}

SpaprDrc *spapr_drc_by_index(SpaprMachine *spapr, uint32_t index)
{
    return spapr->drcs ? g_hash_table_lookup(spapr->drcs, GUINT_TO_POINTER(index)) : NULL;
}

static void ccs_reset(SpaprDrc *drc)
{
    g_clear_pointer(&drc->ccs_fdt, g_free);
    drc->ccs_offset = drc->ccs_depth = 0;
}

void spapr_drc_attach(SpaprDrc *drc, Device *dev, const SpaprDrcOps *ops, bool hotplugged)
{
    g_assert(!drc->dev);
    drc->dev = dev;
    drc->ops = ops;
    drc->unplug_requested = false;
    ccs_reset(drc);
    /* a cold-plugged device is in the boot tree: the guest owns it from the start */
    drc->state = hotplugged ? SPAPR_DRC_STATE_LOGICAL_UNUSABLE
                            : SPAPR_DRC_STATE_LOGICAL_CONFIGURED;
}

void spapr_drc_detach(SpaprDrc *drc)
{
    drc->dev = NULL;
    drc->ops = NULL;
    drc->unplug_requested = false;
    drc->state = SPAPR_DRC_STATE_LOGICAL_UNUSABLE;
    ccs_reset(drc);
}

static void drc_release(SpaprDrc *drc)
{
    Device *dev = drc->dev;

    g_assert(dev && drc->ops && drc->ops->release);
    drc->ops->release(dev);     /* unrealizes the device, which detaches it */
    g_assert(!drc->dev);
}

void spapr_drc_unplug_request(SpaprMachine *spapr, SpaprDrc *drc)
{
    drc->unplug_requested = true;
    if (drc->state == SPAPR_DRC_STATE_LOGICAL_UNUSABLE) {
        /* the guest never took it (or gave it back): nothing to wait for */
        drc_release(drc);
    }
}

void spapr_drc_reset_all(SpaprMachine *spapr)
{
    g_autoptr(GList) drcs = spapr->drcs ? g_hash_table_get_values(spapr->drcs) : NULL;

    for (GList *l = drcs; l; l = l->next) {
        SpaprDrc *drc = l->data;
        ccs_reset(drc);
        if (drc->dev && drc->unplug_requested) {
            drc_release(drc);
        } else if (drc->dev) {
            drc->state = SPAPR_DRC_STATE_LOGICAL_CONFIGURED;
        }
    }
}

static gint cmp_index(gconstpointer a, gconstpointer b)
{
    uint32_t ia = (*(SpaprDrc *const *)a)->index, ib = (*(SpaprDrc *const *)b)->index;

    return ia < ib ? -1 : ia > ib;
}

void spapr_drc_dt_root(SpaprMachine *spapr, void *fdt)
{
    g_autoptr(GPtrArray) list = g_ptr_array_new();
    GHashTableIter it;
    gpointer v;
    g_autoptr(GByteArray) idx = g_byte_array_new(), names = g_byte_array_new(),
                          types = g_byte_array_new(), power = g_byte_array_new();
    uint32_t be;

    g_hash_table_iter_init(&it, spapr->drcs);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        g_ptr_array_add(list, v);
    }
    g_ptr_array_sort(list, cmp_index);
    be = cpu_to_fdt32(list->len);
    g_byte_array_append(idx, (guint8 *)&be, 4);
    g_byte_array_append(names, (guint8 *)&be, 4);
    g_byte_array_append(types, (guint8 *)&be, 4);
    g_byte_array_append(power, (guint8 *)&be, 4);
    for (guint i = 0; i < list->len; i++) {
        SpaprDrc *drc = g_ptr_array_index(list, i);
        be = cpu_to_fdt32(drc->index);
        g_byte_array_append(idx, (guint8 *)&be, 4);
        g_byte_array_append(names, (guint8 *)drc->name, strlen(drc->name) + 1);
        g_byte_array_append(types, (guint8 *)drc->type_name, strlen(drc->type_name) + 1);
        be = cpu_to_fdt32(0xffffffff);          /* live insertion */
        g_byte_array_append(power, (guint8 *)&be, 4);
    }
    _FDT(fdt_setprop(fdt, 0, "ibm,drc-indexes", idx->data, idx->len));
    _FDT(fdt_setprop(fdt, 0, "ibm,drc-names", names->data, names->len));
    _FDT(fdt_setprop(fdt, 0, "ibm,drc-types", types->data, types->len));
    _FDT(fdt_setprop(fdt, 0, "ibm,drc-power-domains", power->data, power->len));
}

/* RTAS ------------------------------------------------------------------- */

static int entity_sense(SpaprMachine *spapr, uint32_t index, uint32_t *sense)
{
    SpaprDrc *drc = spapr_drc_by_index(spapr, index);

    if (drc) {
        *sense = drc->state == SPAPR_DRC_STATE_LOGICAL_UNUSABLE
                 ? SPAPR_DR_ENTITY_SENSE_UNUSABLE : SPAPR_DR_ENTITY_SENSE_PRESENT;
        return RTAS_OUT_SUCCESS;
    }
    if (index >> 28 == SPAPR_DRC_TYPE_SHIFT_PCI) {
        int s = spapr_phb_slot_sense(spapr, index);
        if (s >= 0) {
            *sense = s;
            return RTAS_OUT_SUCCESS;
        }
    }
    return RTAS_OUT_NO_SUCH_INDICATOR;
}

static void rtas_get_sensor_state(SpaprMachine *spapr, uint32_t token, uint32_t nargs,
                                  hwaddr args, uint32_t nret, hwaddr rets)
{
    uint32_t sense = 0;
    int ret;

    if (nargs != 2 || nret != 2) {
        rtas_st(rets, 0, RTAS_OUT_PARAM_ERROR);
        return;
    }
    if (rtas_ld(args, 0) != RTAS_SENSOR_TYPE_ENTITY_SENSE) {
        rtas_st(rets, 0, RTAS_OUT_NOT_SUPPORTED);
        return;
    }
    ret = entity_sense(spapr, rtas_ld(args, 1), &sense);
    rtas_st(rets, 0, ret);
    rtas_st(rets, 1, ret == RTAS_OUT_SUCCESS ? sense : 0);
}

static void unplug_refused(SpaprDrc *drc)
{
    g_autofree char *path = qdev_get_path(drc->dev);
    JsonObject *data = json_object_new();

    /* the guest brought the device back: the removal is off (as QEMU does) */
    drc->unplug_requested = false;
    if (drc->dev->id) {
        json_object_set_string_member(data, "device", drc->dev->id);
    }
    json_object_set_string_member(data, "path", path);
    drc->dev->unplug_pending = false;
    qmp_event_emit("DEVICE_UNPLUG_GUEST_ERROR", data);
}

static int set_isolation(SpaprDrc *drc, uint32_t state)
{
    switch (state) {
    case SPAPR_DR_ISOLATION_STATE_UNISOLATED:
        if (drc->state == SPAPR_DRC_STATE_LOGICAL_UNISOLATE ||
            drc->state == SPAPR_DRC_STATE_LOGICAL_CONFIGURED) {
            if (drc->unplug_requested) {
                unplug_refused(drc);
            }
            return RTAS_OUT_SUCCESS;
        }
        if (drc->state != SPAPR_DRC_STATE_LOGICAL_AVAILABLE) {
            return RTAS_OUT_NO_SUCH_INDICATOR;
        }
        drc->state = SPAPR_DRC_STATE_LOGICAL_UNISOLATE;
        ccs_reset(drc);
        return RTAS_OUT_SUCCESS;
    case SPAPR_DR_ISOLATION_STATE_ISOLATED:
        if (drc->state == SPAPR_DRC_STATE_LOGICAL_AVAILABLE ||
            drc->state == SPAPR_DRC_STATE_LOGICAL_UNUSABLE) {
            return RTAS_OUT_SUCCESS;        /* nothing to do (QEMU) */
        }
        if (drc->state != SPAPR_DRC_STATE_LOGICAL_CONFIGURED) {
            return RTAS_OUT_NO_SUCH_INDICATOR;
        }
        drc->state = SPAPR_DRC_STATE_LOGICAL_AVAILABLE;
        ccs_reset(drc);
        return RTAS_OUT_SUCCESS;
    }
    return RTAS_OUT_NO_SUCH_INDICATOR;
}

static int set_allocation(SpaprDrc *drc, uint32_t state)
{
    switch (state) {
    case SPAPR_DR_ALLOCATION_STATE_USABLE:
        if (drc->state != SPAPR_DRC_STATE_LOGICAL_UNUSABLE) {
            return RTAS_OUT_SUCCESS;        /* already usable: nothing to do (QEMU) */
        }
        if (!drc->dev || drc->unplug_requested) {
            /* nothing to give, or we are taking it away */
            return RTAS_OUT_NO_SUCH_INDICATOR;
        }
        drc->state = SPAPR_DRC_STATE_LOGICAL_AVAILABLE;
        return RTAS_OUT_SUCCESS;
    case SPAPR_DR_ALLOCATION_STATE_UNUSABLE:
        if (drc->state == SPAPR_DRC_STATE_LOGICAL_UNUSABLE) {
            return RTAS_OUT_SUCCESS;
        }
        if (drc->state != SPAPR_DRC_STATE_LOGICAL_AVAILABLE) {
            return RTAS_OUT_NO_SUCH_INDICATOR;
        }
        drc->state = SPAPR_DRC_STATE_LOGICAL_UNUSABLE;
        if (drc->unplug_requested && drc->dev) {
            drc_release(drc);
        }
        return RTAS_OUT_SUCCESS;
    }
    return RTAS_OUT_NO_SUCH_INDICATOR;
}

static void rtas_set_indicator(SpaprMachine *spapr, uint32_t token, uint32_t nargs,
                               hwaddr args, uint32_t nret, hwaddr rets)
{
    uint32_t type, index, state;
    SpaprDrc *drc;
    int ret;

    if (nargs != 3 || nret != 1) {
        rtas_st(rets, 0, RTAS_OUT_PARAM_ERROR);
        return;
    }
    type = rtas_ld(args, 0);
    index = rtas_ld(args, 1);
    state = rtas_ld(args, 2);
    drc = spapr_drc_by_index(spapr, index);
    if (!drc) {
        rtas_st(rets, 0, RTAS_OUT_NO_SUCH_INDICATOR);
        return;
    }
    switch (type) {
    case RTAS_SENSOR_TYPE_ISOLATION_STATE:
        trace_spapr_drc_set_isolation_state(index, state);
        ret = set_isolation(drc, state);
        break;
    case RTAS_SENSOR_TYPE_ALLOCATION_STATE:
        trace_spapr_drc_set_allocation_state(index, state);
        ret = set_allocation(drc, state);
        break;
    default:
        /* dr-indicator is for physical DRCs only; PHB DRCs are logical */
        ret = RTAS_OUT_NOT_SUPPORTED;
        break;
    }
    rtas_st(rets, 0, ret);
}

static void wa_st32(uint8_t *wa, unsigned word, uint32_t v)
{
    wa[4 * word] = v >> 24;
    wa[4 * word + 1] = v >> 16;
    wa[4 * word + 2] = v >> 8;
    wa[4 * word + 3] = v;
}

/* One step of the walk over the device's subtree, written into @wa. */
static int cc_step(SpaprDrc *drc, uint8_t *wa)
{
    void *fdt = drc->ccs_fdt;

    for (;;) {
        int next, len;
        uint32_t tag = fdt_next_tag(fdt, drc->ccs_offset, &next);
        const struct fdt_property *prop;
        const char *name;

        switch (tag) {
        case FDT_BEGIN_NODE:
            name = fdt_get_name(fdt, drc->ccs_offset, &len);
            if (!name || CC_DATA_OFFSET + len + 1 > CC_WORK_AREA_SIZE) {
                return SPAPR_DR_CC_RESPONSE_ERROR;
            }
            drc->ccs_depth++;
            drc->ccs_offset = next;
            wa_st32(wa, 2, CC_DATA_OFFSET);
            memcpy(wa + CC_DATA_OFFSET, name, len + 1);
            return SPAPR_DR_CC_RESPONSE_NEXT_CHILD;
        case FDT_END_NODE:
            drc->ccs_offset = next;
            if (--drc->ccs_depth == 0) {
                return SPAPR_DR_CC_RESPONSE_SUCCESS;
            }
            return SPAPR_DR_CC_RESPONSE_PREV_PARENT;
        case FDT_PROP:
            prop = fdt_get_property_by_offset(fdt, drc->ccs_offset, &len);
            name = fdt_string(fdt, fdt32_to_cpu(prop->nameoff));
            if (CC_DATA_OFFSET + strlen(name) + 1 + len > CC_WORK_AREA_SIZE) {
                return SPAPR_DR_CC_RESPONSE_ERROR;
            }
            drc->ccs_offset = next;
            wa_st32(wa, 2, CC_DATA_OFFSET);
            memcpy(wa + CC_DATA_OFFSET, name, strlen(name) + 1);
            wa_st32(wa, 3, len);
            wa_st32(wa, 4, CC_DATA_OFFSET + strlen(name) + 1);
            memcpy(wa + CC_DATA_OFFSET + strlen(name) + 1, prop->data, len);
            return SPAPR_DR_CC_RESPONSE_NEXT_PROPERTY;
        case FDT_NOP:
            drc->ccs_offset = next;
            continue;
        default:
            return SPAPR_DR_CC_RESPONSE_ERROR;
        }
    }
}

static void rtas_configure_connector(SpaprMachine *spapr, uint32_t token, uint32_t nargs,
                                     hwaddr args, uint32_t nret, hwaddr rets)
{
    hwaddr wa_addr;
    uint8_t *wa;
    uint32_t index;
    SpaprDrc *drc;
    int ret;

    if (nargs != 2 || nret != 1) {
        rtas_st(rets, 0, RTAS_OUT_PARAM_ERROR);
        return;
    }
    /* Linux passes the work area and 0; QEMU reads them as low and high halves */
    wa_addr = (uint64_t)rtas_ld(args, 1) << 32 | rtas_ld(args, 0);
    if (!spapr_ram_range_ok(spapr, wa_addr, CC_WORK_AREA_SIZE)) {
        rtas_st(rets, 0, RTAS_OUT_PARAM_ERROR);
        return;
    }
    wa = spapr_ram_ptr(spapr, wa_addr);
    index = (uint32_t)wa[0] << 24 | wa[1] << 16 | wa[2] << 8 | wa[3];
    drc = spapr_drc_by_index(spapr, index);
    if (!drc) {
        rtas_st(rets, 0, RTAS_OUT_PARAM_ERROR);
        return;
    }
    if (!drc->dev || (drc->state != SPAPR_DRC_STATE_LOGICAL_UNISOLATE &&
                      drc->state != SPAPR_DRC_STATE_LOGICAL_CONFIGURED)) {
        rtas_st(rets, 0, SPAPR_DR_CC_RESPONSE_NOT_CONFIGURABLE);
        return;
    }
    if (!drc->ccs_fdt) {
        g_autoptr(GError) err = NULL;
        int node;

        drc->ccs_fdt = g_malloc(1u << 20);
        _FDT(fdt_create_empty_tree(drc->ccs_fdt, 1u << 20));
        node = drc->ops->dt_populate(drc->dev, drc->ccs_fdt, 0, &err);
        if (node < 0) {
            ccs_reset(drc);
            rtas_st(rets, 0, SPAPR_DR_CC_RESPONSE_ERROR);
            return;
        }
        drc->ccs_offset = node;
        drc->ccs_depth = 0;
    }
    ret = cc_step(drc, wa);
    if (ret == SPAPR_DR_CC_RESPONSE_SUCCESS) {
        drc->state = SPAPR_DRC_STATE_LOGICAL_CONFIGURED;
        ccs_reset(drc);        /* a later call replays the walk from the start */
    } else if (ret == SPAPR_DR_CC_RESPONSE_ERROR) {
        ccs_reset(drc);
    }
    trace_spapr_drc_configure_connector(index, ret);
    rtas_st(rets, 0, ret);
}

void spapr_drc_register_rtas(void)
{
    spapr_rtas_register(RTAS_GET_SENSOR_STATE, "get-sensor-state", rtas_get_sensor_state);
    spapr_rtas_register(RTAS_SET_INDICATOR, "set-indicator", rtas_set_indicator);
    spapr_rtas_register(RTAS_IBM_CONFIGURE_CONNECTOR, "ibm,configure-connector",
                        rtas_configure_connector);
}
