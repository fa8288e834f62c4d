/*
 * Device and bus lifecycle: realize, plug, unplug, reset, GPIOs.
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "qemu/module.h"
#include "hw/qdev.h"
#include "hw/boards.h"
#include "monitor/qmp.h"
#include "trace-events-all.h"

OBJECT_DEFINE_ABSTRACT_TYPE(Device, device, "device", TYPE_OBJECT)
OBJECT_DEFINE_TYPE(Bus, bus, "bus", TYPE_OBJECT)

/* The machine's main-system-bus, where bus-less devices (PHBs) sit. */
typedef struct SystemBus {
    Bus parent;
} SystemBus;
typedef struct SystemBusClass {
    BusClass parent_class;
} SystemBusClass;
OBJECT_DEFINE_TYPE(SystemBus, system_bus, TYPE_SYSTEM_BUS, TYPE_BUS)

static void system_bus_init(SystemBus *bus) {}
static void system_bus_class_init(SystemBusClass *klass) {}

type_init(device_get_type)
type_init(bus_get_type)
type_init(system_bus_get_type)

/* Bus ------------------------------------------------------------------- */

static void bus_init(Bus *bus)
{
    bus->children = g_ptr_array_new();
}

static void bus_finalize(GObject *obj)
{
    Bus *bus = BUS(obj);

    g_ptr_array_unref(bus->children);
    g_free(bus->name);
    G_OBJECT_CLASS(bus_parent_class)->finalize(obj);
}

static void bus_class_init(BusClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = bus_finalize;
    OBJECT_CLASS(klass)->description = "a bus devices plug into";
}

Bus *qbus_new(GType type, Device *parent, const char *name)
{
    Bus *bus = BUS(object_new(type));

    bus->name = g_strdup(name);
    bus->parent_dev = parent;
    if (parent) {
        g_ptr_array_add(parent->child_buses, bus);
        object_add_child(OBJECT(parent), name, OBJECT(bus), NULL);
    }
    return bus;
}

void qbus_set_hotplug_handler(Bus *bus, Object *handler, const HotplugOps *ops)
{
    bus->hotplug_handler = handler;
    bus->hotplug_ops = ops;
}

Bus *sysbus_get_default(void)
{
    return current_machine ? current_machine->sysbus : NULL;
}

static Bus *find_bus_below(Bus *bus, const char *name)
{
    if (g_str_equal(bus->name, name)) {
        return bus;
    }
    for (guint i = 0; i < bus->children->len; i++) {
        Device *d = g_ptr_array_index(bus->children, i);
        for (guint j = 0; j < d->child_buses->len; j++) {
            Bus *found = find_bus_below(g_ptr_array_index(d->child_buses, j), name);
            if (found) {
                return found;
            }
        }
    }
    return NULL;
}

Bus *qbus_find(const char *name)
{
    Bus *sysbus = sysbus_get_default();

    return sysbus ? find_bus_below(sysbus, name) : NULL;
}

/* Device ---------------------------------------------------------------- */

static gboolean device_check_property_set(Object *obj, const Property *prop, GError **errp)
{
    Device *dev = DEVICE(obj);

    if (dev->realized) {
        error_setg(errp, "Attempt to set property '%s' on device '%s' (type '%s') after it was realized",
                   prop->name, dev->id ? dev->id : "<anonymous>", object_type_name(obj));
        return FALSE;
    }
    return TRUE;
}

static void device_init(Device *dev)
{
    dev->child_buses = g_ptr_array_new_with_free_func(g_object_unref);
    dev->gpio_in = g_ptr_array_new_with_free_func(g_free);
    dev->gpio_out = g_ptr_array_new();
}

static void device_dispose(GObject *obj)
{
    Device *dev = DEVICE(obj);

    g_assert(!dev->realized);
    g_ptr_array_set_size(dev->child_buses, 0);
    G_OBJECT_CLASS(device_parent_class)->dispose(obj);
}

static void device_finalize(GObject *obj)
{
    Device *dev = DEVICE(obj);

    g_ptr_array_unref(dev->child_buses);
    g_ptr_array_unref(dev->gpio_in);
    g_ptr_array_unref(dev->gpio_out);
    g_free(dev->id);
    G_OBJECT_CLASS(device_parent_class)->finalize(obj);
}

static void device_class_init(DeviceClass *klass)
{
    G_OBJECT_CLASS(klass)->dispose = device_dispose;
    G_OBJECT_CLASS(klass)->finalize = device_finalize;
    OBJECT_CLASS(klass)->check_property_set = device_check_property_set;
}

Device *qdev_new(const char *type_name)
{
    GType t = g_type_from_name(type_name);

    if (!t || !g_type_is_a(t, TYPE_DEVICE) || G_TYPE_IS_ABSTRACT(t)) {
        return NULL;
    }
    return DEVICE(object_new(t));
}

char *qdev_get_path(Device *dev)
{
    return object_get_canonical_path(OBJECT(dev));
}

gboolean qdev_realize(Device *dev, Bus *bus, GError **errp)
{
    DeviceClass *dc = DEVICE_GET_CLASS(dev);
    const HotplugOps *ops = bus->hotplug_ops;

    g_assert(!dev->realized && !dev->parent_bus);
    dev->parent_bus = bus;
    g_ptr_array_add(bus->children, dev);
    dev->hotplugged = current_machine && current_machine->done;

    if (ops && ops->pre_plug && !ops->pre_plug(bus->hotplug_handler, dev, errp)) {
        goto fail;
    }
    if (dc->realize && !dc->realize(dev, errp)) {
        goto fail;
    }
    dev->realized = true;
    /* a device that arrives in a running machine starts from its reset state */
    if (dev->hotplugged) {
        qdev_reset(dev);
    }
    if (ops && ops->plug) {
        ops->plug(bus->hotplug_handler, dev);
    }
    trace_qdev_realize(object_type_name(OBJECT(dev)), dev->id ? dev->id : "");
    return TRUE;

fail:
    g_ptr_array_remove(bus->children, dev);
    dev->parent_bus = NULL;
    return FALSE;
}

void qdev_unrealize(Device *dev)
{
    DeviceClass *dc = DEVICE_GET_CLASS(dev);
    Bus *bus = dev->parent_bus;

    if (!dev->realized) {
        return;
    }
    /* Children first: a PHB's PCI devices go before the PHB. */
    for (guint i = 0; i < dev->child_buses->len; i++) {
        Bus *child = g_ptr_array_index(dev->child_buses, i);
        while (child->children->len) {
            Device *d = g_ptr_array_index(child->children, child->children->len - 1);
            g_object_ref(d);
            qdev_unrealize(d);
            object_unparent(OBJECT(d));
            g_object_unref(d);
        }
    }
    if (bus && bus->hotplug_ops && bus->hotplug_ops->unplug) {
        bus->hotplug_ops->unplug(bus->hotplug_handler, dev);
    }
    if (dc->unrealize) {
        dc->unrealize(dev);
    }
    dev->realized = false;
    if (bus) {
        g_ptr_array_remove(bus->children, dev);
        dev->parent_bus = NULL;
    }
    trace_qdev_unrealize(object_type_name(OBJECT(dev)), dev->id ? dev->id : "");
}

void qdev_unplug_complete(Device *dev)
{
    g_autofree char *path = qdev_get_path(dev);
    g_autofree char *id = g_strdup(dev->id);
    JsonObject *data = json_object_new();

    g_object_ref(dev);
    qdev_unrealize(dev);
    object_unparent(OBJECT(dev));
    g_object_unref(dev);

    if (id) {
        json_object_set_string_member(data, "device", id);
    }
    json_object_set_string_member(data, "path", path);
    qmp_event_emit("DEVICE_DELETED", data);
}

void bus_reset(Bus *bus)
{
    for (guint i = 0; i < bus->children->len; i++) {
        qdev_reset(g_ptr_array_index(bus->children, i));
    }
}

void qdev_reset(Device *dev)
{
    DeviceClass *dc = DEVICE_GET_CLASS(dev);

    if (!dev->realized) {
        return;
    }
    if (dc->reset) {
        dc->reset(dev);
    }
    for (guint i = 0; i < dev->child_buses->len; i++) {
        bus_reset(g_ptr_array_index(dev->child_buses, i));
    }
}

/* GPIOs ------------------------------------------------------------------ */

void qdev_init_gpio_in(Device *dev, IrqHandler handler, int n)
{
    for (int i = 0; i < n; i++) {
        IrqLine *line = g_new0(IrqLine, 1);
        line->handler = handler;
        line->opaque = dev;
        line->n = dev->gpio_in->len;
        g_ptr_array_add(dev->gpio_in, line);
    }
}

IrqLine *qdev_get_gpio_in(Device *dev, int n)
{
    g_assert(n >= 0 && (guint)n < dev->gpio_in->len);
    return g_ptr_array_index(dev->gpio_in, n);
}

void qdev_init_gpio_out(Device *dev, IrqLine **pins, int n)
{
    for (int i = 0; i < n; i++) {
        g_ptr_array_add(dev->gpio_out, &pins[i]);
    }
}

void qdev_connect_gpio_out(Device *dev, int n, IrqLine *target)
{
    IrqLine **slot;

    g_assert(n >= 0 && (guint)n < dev->gpio_out->len);
    slot = g_ptr_array_index(dev->gpio_out, n);
    *slot = target;
}
