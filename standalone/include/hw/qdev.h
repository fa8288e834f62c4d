/*
 * Devices and buses.
 *
 * A Device is an Object with a lifecycle: created, properties set, realized
 * (may fail with a GError and must then leave nothing behind), reset,
 * unrealized.  Every device sits on a Bus; devices with no bus of their own
 * (PHBs) sit on the machine's main-system-bus.  A bus names its hotplug
 * handler, which plugs and unplugs devices on it (the machine for the
 * system bus, the PHB for its PCI bus).
 */
#ifndef HW_QDEV_H
#define HW_QDEV_H

#include "qom/object.h"
#include "hw/irq.h"

typedef struct Device Device;
typedef struct DeviceClass DeviceClass;
typedef struct Bus Bus;
typedef struct BusClass BusClass;

#define TYPE_DEVICE (device_get_type())
#define DEVICE(o) (G_TYPE_CHECK_INSTANCE_CAST((o), TYPE_DEVICE, Device))
#define DEVICE_CLASS(c) (G_TYPE_CHECK_CLASS_CAST((c), TYPE_DEVICE, DeviceClass))
#define DEVICE_GET_CLASS(o) (G_TYPE_INSTANCE_GET_CLASS((o), TYPE_DEVICE, DeviceClass))
#define IS_DEVICE(o) (G_TYPE_CHECK_INSTANCE_TYPE((o), TYPE_DEVICE))

struct Device {
    Object parent;
    char *id;                  /* user id (-device id=, device_add "id"), or NULL */
    bool realized;
    bool hotplugged;           /* realized after machine creation was done */
    bool unplug_pending;       /* device_del asked, guest has not released yet */
    Bus *parent_bus;
    GPtrArray *child_buses;    /* Bus *, owned */
    GPtrArray *gpio_in;        /* IrqLine *, owned */
    GPtrArray *gpio_out;       /* IrqLine **, slots in the device's struct */
};

struct DeviceClass {
    ObjectClass parent_class;
    const char *bus_type;      /* type of bus it plugs into; NULL = system bus */
    bool user_creatable;       /* -device / device_add */
    bool hotpluggable;         /* device_add after start / device_del */
    /* Bring the device up; on failure undo everything done so far. */
    gboolean (*realize)(Device *dev, GError **errp);
    /* Tear down what realize built. */
    void (*unrealize)(Device *dev);
    /* Machine reset (children are reset after their parent bus's device). */
    void (*reset)(Device *dev);
};

/*
 * What a hotplug handler does for the devices on a bus.  pre_plug checks
 * and may refuse (nothing changed yet); plug completes a realize;
 * unplug_request is device_del (NULL: the device cannot be unplugged);
 * unplug releases the device (called before unrealize).
 */
typedef struct HotplugOps {
    gboolean (*pre_plug)(Object *handler, Device *dev, GError **errp);
    void (*plug)(Object *handler, Device *dev);
    gboolean (*unplug_request)(Object *handler, Device *dev, GError **errp);
    void (*unplug)(Object *handler, Device *dev);
} HotplugOps;

#define TYPE_BUS (bus_get_type())
#define BUS(o) (G_TYPE_CHECK_INSTANCE_CAST((o), TYPE_BUS, Bus))
#define IS_BUS(o) (G_TYPE_CHECK_INSTANCE_TYPE((o), TYPE_BUS))

struct Bus {
    Object parent;
    char *name;                /* "main-system-bus", "phb1.0", "pci.0" */
    Device *parent_dev;        /* NULL for the system bus */
    GPtrArray *children;       /* Device * (not owned: the tree owns them) */
    Object *hotplug_handler;
    const HotplugOps *hotplug_ops;
};

struct BusClass {
    ObjectClass parent_class;
};

#define TYPE_SYSTEM_BUS "System"
GType system_bus_get_type(void);

GType device_get_type(void);
GType bus_get_type(void);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Device, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Object, g_object_unref)

/* Create a device of type @type_name (NULL if there is no such device type). */
Device *qdev_new(const char *type_name);

/*
 * Plug @dev into @bus and realize it: handler pre_plug, realize, plug.
 * On failure the device is off the bus again and unrealized.
 */
gboolean qdev_realize(Device *dev, Bus *bus, GError **errp);

/* Unplug (handler unplug hook), unrealize and take off its bus. */
void qdev_unrealize(Device *dev);

/*
 * Finish a removal the guest agreed to (or a reset forced): unrealize,
 * send DEVICE_DELETED, drop it from the tree.
 */
void qdev_unplug_complete(Device *dev);

/* Reset @dev, then every device on its child buses. */
void qdev_reset(Device *dev);
/* Reset every device on @bus (recursively). */
void bus_reset(Bus *bus);

/* Create a bus of type @type named @name under @parent (NULL: system bus). */
Bus *qbus_new(GType type, Device *parent, const char *name);
/* Find a bus by name anywhere below the machine, or NULL. */
Bus *qbus_find(const char *name);
/* Set the hotplug handler of @bus. */
void qbus_set_hotplug_handler(Bus *bus, Object *handler, const HotplugOps *ops);

/* The machine's main system bus. */
Bus *sysbus_get_default(void);

/* Path of @dev in the tree ("/machine/peripheral/ID"). */
char *qdev_get_path(Device *dev);

/* GPIOs ---------------------------------------------------------------- */

/* Create @n input lines handled by @handler (n = input number). */
void qdev_init_gpio_in(Device *dev, IrqHandler handler, int n);
IrqLine *qdev_get_gpio_in(Device *dev, int n);
/* Declare @n output slots; the device raises them with qemu_set_irq(pins[i]). */
void qdev_init_gpio_out(Device *dev, IrqLine **pins, int n);
void qdev_connect_gpio_out(Device *dev, int n, IrqLine *target);

/* Device creation from the user -------------------------------------- */

/*
 * -device / device_add: create @driver, apply "id", "bus" and properties
 * from @props (name -> JsonNode, values may be strings), realize and add
 * it to /machine/peripheral[-anon].  Nothing is left behind on failure.
 */
Device *qdev_device_add(const char *driver, JsonObject *props, GError **errp);

/* device_del: ask the hotplug handler to remove the device with @id. */
gboolean qdev_device_del(const char *id, GError **errp);

/*
 * Print "-device help" (@driver NULL) / "-device DRIVER,help" output to
 * stdout.  FALSE if @driver is no device model.
 */
gboolean qdev_print_device_help(const char *driver, GError **errp);

#endif
