/*
 * QMP sessions: greeting, capabilities negotiation, command dispatch,
 * replies and events.
 */
#include "qemu/osdep.h"
#include "qemu/error.h"
#include "monitor/qmp.h"
#include "monitor/json-stream.h"
#include "trace-events-all.h"

typedef struct Monitor {
    Chardev *chr;
    JsonStream stream;
    bool negotiated;
    bool oob;
} Monitor;

static GPtrArray *monitors;
static GHashTable *commands;     /* name -> const QmpCommand * */

void qmp_register_command(const QmpCommand *cmd)
{
    if (!commands) {
        commands = g_hash_table_new(g_str_hash, g_str_equal);
    }
    g_hash_table_insert(commands, (gpointer)cmd->name, (gpointer)cmd);
}

static gint cmp_command(gconstpointer a, gconstpointer b)
{
    return strcmp(((const QmpCommand *)a)->name, ((const QmpCommand *)b)->name);
}

GList *qmp_command_list(void)
{
    GList *l = commands ? g_hash_table_get_values(commands) : NULL;

    return g_list_sort(l, cmp_command);
}

JsonNode *qmp_return_empty(void)
{
    g_autoptr(JsonObject) o = json_object_new();

    /* the node takes its own reference */
    return json_node_init_object(json_node_alloc(), o);
}

static void monitor_send(Monitor *mon, JsonNode *root)
{
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autofree char *text = NULL;
    gsize len;

    json_generator_set_root(gen, root);
    text = json_generator_to_data(gen, &len);
    trace_qmp_send(chardev_id(mon->chr), text);
    chardev_write_all(mon->chr, text, len);
    chardev_write_all(mon->chr, "\n", 1);
}

static void send_error(Monitor *mon, JsonNode *id, const GError *err)
{
    g_autoptr(JsonNode) root = json_node_new(JSON_NODE_OBJECT);
    JsonObject *obj = json_object_new();
    JsonObject *e = json_object_new();

    json_object_set_string_member(e, "class", qemu_error_class_name(err));
    json_object_set_string_member(e, "desc", err->message);
    json_object_set_object_member(obj, "error", e);
    if (id) {
        json_object_set_member(obj, "id", json_node_copy(id));
    }
    json_node_take_object(root, obj);
    monitor_send(mon, root);
}

static void send_error_msg(Monitor *mon, JsonNode *id, QemuErrorClass cls, const char *msg)
{
    g_autoptr(GError) err = g_error_new_literal(QEMU_ERROR, cls, msg);

    send_error(mon, id, err);
}

static void send_return(Monitor *mon, JsonNode *id, JsonNode *ret)
{
    g_autoptr(JsonNode) root = json_node_new(JSON_NODE_OBJECT);
    JsonObject *obj = json_object_new();

    json_object_set_member(obj, "return", ret);
    if (id) {
        json_object_set_member(obj, "id", json_node_copy(id));
    }
    json_node_take_object(root, obj);
    monitor_send(mon, root);
}

static void send_greeting(Monitor *mon)
{
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *text = g_strdup_printf(
        "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": %d, \"minor\": %d, \"major\": %d},"
        " \"package\": \"%s\"}, \"capabilities\": [\"oob\"]}}",
        QEMU_VERSION_MICRO, QEMU_VERSION_MINOR, QEMU_VERSION_MAJOR, QEMU_PKGVERSION);

    root = json_from_string(text, NULL);
    monitor_send(mon, root);
}

void qmp_event_emit(const char *name, JsonObject *data)
{
    g_autoptr(JsonNode) root = json_node_new(JSON_NODE_OBJECT);
    JsonObject *obj = json_object_new();
    JsonObject *ts = json_object_new();
    gint64 now = g_get_real_time();

    json_object_set_int_member(ts, "seconds", now / G_USEC_PER_SEC);
    json_object_set_int_member(ts, "microseconds", now % G_USEC_PER_SEC);
    json_object_set_object_member(obj, "timestamp", ts);
    json_object_set_string_member(obj, "event", name);
    if (data) {
        json_object_set_object_member(obj, "data", data);
    }
    json_node_take_object(root, obj);
    trace_qmp_event(name);
    for (guint i = 0; monitors && i < monitors->len; i++) {
        Monitor *mon = g_ptr_array_index(monitors, i);
        if (mon->negotiated) {
            monitor_send(mon, root);
        }
    }
}

static const char *json_type_name(GType t)
{
    if (t == G_TYPE_STRING) {
        return "string";
    } else if (t == G_TYPE_INT64) {
        return "integer";
    } else if (t == G_TYPE_BOOLEAN) {
        return "boolean";
    }
    return "value";
}

static gboolean check_args(const QmpCommand *cmd, JsonObject *args, GError **errp)
{
    g_autoptr(GList) members = json_object_get_members(args);

    for (GList *l = members; l; l = l->next) {
        const char *name = l->data;
        const QmpArg *a = cmd->args;
        JsonNode *v = json_object_get_member(args, name);

        while (a && a->name && !g_str_equal(a->name, name)) {
            a++;
        }
        if (!a || !a->name) {
            if (cmd->extra_args) {
                continue;
            }
            error_setg(errp, "Parameter '%s' is unexpected", name);
            return FALSE;
        }
        if (a->type && (!JSON_NODE_HOLDS_VALUE(v) || json_node_get_value_type(v) != a->type)) {
            /* json-glib reads integral JSON numbers as gint64, doubles otherwise */
            error_setg(errp, "Invalid parameter type for '%s', expected: %s", name,
                       json_type_name(a->type));
            return FALSE;
        }
    }
    for (const QmpArg *a = cmd->args; a && a->name; a++) {
        if (!a->optional && !json_object_has_member(args, a->name)) {
            error_setg(errp, "Parameter '%s' is missing", a->name);
            return FALSE;
        }
    }
    return TRUE;
}

static void negotiate(Monitor *mon, JsonNode *id, JsonObject *args)
{
    g_autoptr(GList) members = json_object_get_members(args);

    for (GList *it = members; it; it = it->next) {
        if (!g_str_equal(it->data, "enable")) {
            g_autofree char *msg = g_strdup_printf("Parameter '%s' is unexpected",
                                                   (char *)it->data);
            send_error_msg(mon, id, QEMU_ERROR_GENERIC, msg);
            return;
        }
    }
    if (json_object_has_member(args, "enable")) {
        JsonNode *en = json_object_get_member(args, "enable");
        JsonArray *caps;

        if (!JSON_NODE_HOLDS_ARRAY(en)) {
            send_error_msg(mon, id, QEMU_ERROR_GENERIC,
                           "Invalid parameter type for 'enable', expected: array");
            return;
        }
        caps = json_node_get_array(en);
        for (guint i = 0; i < json_array_get_length(caps); i++) {
            JsonNode *c = json_array_get_element(caps, i);
            const char *name = JSON_NODE_HOLDS_VALUE(c) &&
                               json_node_get_value_type(c) == G_TYPE_STRING
                               ? json_node_get_string(c) : NULL;
            if (g_strcmp0(name, "oob")) {
                g_autofree char *msg = g_strdup_printf(
                    "Parameter 'enable' does not accept value '%s'", name ? name : "");
                send_error_msg(mon, id, QEMU_ERROR_GENERIC, msg);
                return;
            }
        }
        mon->oob = json_array_get_length(caps) > 0;
    }
    mon->negotiated = true;
    send_return(mon, id, qmp_return_empty());
}

static void handle_message(void *opaque, const char *text, const char *error)
{
    Monitor *mon = opaque;
    g_autoptr(JsonParser) parser = NULL;
    g_autoptr(GError) err = NULL;
    JsonObject *req, *args;
    JsonNode *root, *id = NULL, *exec, *argnode;
    const char *name;
    const QmpCommand *cmd;
    JsonNode *ret;
    g_autoptr(GList) members = NULL;

    if (error) {
        send_error_msg(mon, NULL, QEMU_ERROR_GENERIC, error);
        return;
    }
    trace_qmp_recv(chardev_id(mon->chr), text);
    if (!g_utf8_validate(text, -1, NULL)) {
        send_error_msg(mon, NULL, QEMU_ERROR_GENERIC,
                       "JSON parse error, invalid UTF-8 sequence in string");
        return;
    }
    parser = json_parser_new_immutable();
    if (!json_parser_load_from_data(parser, text, -1, &err)) {
        g_autofree char *msg = g_strdup_printf("JSON parse error, %s", err->message);
        send_error_msg(mon, NULL, QEMU_ERROR_GENERIC, msg);
        return;
    }
    root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        send_error_msg(mon, NULL, QEMU_ERROR_GENERIC, "QMP input must be a JSON object");
        return;
    }
    req = json_node_get_object(root);
    id = json_object_get_member(req, "id");
    members = json_object_get_members(req);
    for (GList *l = members; l; l = l->next) {
        const char *key = l->data;
        if (strcmp(key, "execute") && strcmp(key, "exec-oob") && strcmp(key, "arguments") &&
            strcmp(key, "id") && strcmp(key, "control")) {
            g_autofree char *msg = g_strdup_printf("QMP input member '%s' is unexpected", key);
            send_error_msg(mon, id, QEMU_ERROR_GENERIC, msg);
            return;
        }
    }
    exec = json_object_get_member(req, "execute");
    if (json_object_has_member(req, "exec-oob")) {
        if (exec) {
            send_error_msg(mon, id, QEMU_ERROR_GENERIC,
                           "QMP input must not have both 'execute' and 'exec-oob'");
            return;
        }
        exec = json_object_get_member(req, "exec-oob");
        if (JSON_NODE_HOLDS_VALUE(exec) && json_node_get_value_type(exec) == G_TYPE_STRING) {
            g_autofree char *msg = g_strdup_printf("The command %s does not support OOB",
                                                   json_node_get_string(exec));
            send_error_msg(mon, id, QEMU_ERROR_GENERIC, msg);
            return;
        }
    }
    if (!exec) {
        send_error_msg(mon, id, QEMU_ERROR_GENERIC, "QMP input lacks member 'execute'");
        return;
    }
    if (!JSON_NODE_HOLDS_VALUE(exec) || json_node_get_value_type(exec) != G_TYPE_STRING) {
        send_error_msg(mon, id, QEMU_ERROR_GENERIC, "QMP input member 'execute' must be a string");
        return;
    }
    name = json_node_get_string(exec);
    argnode = json_object_get_member(req, "arguments");
    if (argnode && !JSON_NODE_HOLDS_OBJECT(argnode)) {
        send_error_msg(mon, id, QEMU_ERROR_GENERIC,
                       "QMP input member 'arguments' must be an object");
        return;
    }
    args = argnode ? json_node_get_object(argnode) : NULL;

    if (!mon->negotiated) {
        if (g_str_equal(name, "qmp_capabilities")) {
            g_autoptr(JsonObject) empty = json_object_new();
            negotiate(mon, id, args ? args : empty);
        } else {
            send_error_msg(mon, id, QEMU_ERROR_COMMAND_NOT_FOUND,
                           "Expecting capabilities negotiation with 'qmp_capabilities'");
        }
        return;
    }
    if (g_str_equal(name, "qmp_capabilities")) {
        send_error_msg(mon, id, QEMU_ERROR_COMMAND_NOT_FOUND,
                       "Capabilities negotiation is already complete, command ignored");
        return;
    }
    cmd = commands ? g_hash_table_lookup(commands, name) : NULL;
    if (!cmd) {
        g_autofree char *msg = g_strdup_printf("The command %s has not been found", name);
        send_error_msg(mon, id, QEMU_ERROR_COMMAND_NOT_FOUND, msg);
        return;
    }
    {
        g_autoptr(JsonObject) empty = json_object_new();
        JsonObject *a = args ? args : empty;

        if (!check_args(cmd, a, &err)) {
            send_error(mon, id, err);
            return;
        }
        ret = cmd->fn(a, &err);
    }
    if (!ret) {
        g_assert(err);
        send_error(mon, id, err);
        return;
    }
    send_return(mon, id, ret);
}

static void monitor_read(void *opaque, const uint8_t *buf, size_t len)
{
    Monitor *mon = opaque;

    json_stream_feed(&mon->stream, buf, len);
}

static void monitor_event(void *opaque, ChardevEvent event)
{
    Monitor *mon = opaque;

    json_stream_reset(&mon->stream);
    mon->negotiated = false;
    mon->oob = false;
    if (event == CHR_EVENT_OPENED) {
        send_greeting(mon);
    }
}

gboolean monitor_init_qmp(Chardev *chr, GError **errp)
{
    Monitor *mon = g_new0(Monitor, 1);

    mon->chr = chr;
    json_stream_init(&mon->stream, handle_message, mon);
    if (!monitors) {
        monitors = g_ptr_array_new();
    }
    g_ptr_array_add(monitors, mon);
    if (!chardev_set_frontend(chr, monitor_read, monitor_event, mon, errp)) {
        g_ptr_array_remove(monitors, mon);
        json_stream_destroy(&mon->stream);
        g_free(mon);
        return FALSE;
    }
    return TRUE;
}

void monitor_cleanup_all(void)
{
    for (guint i = 0; monitors && i < monitors->len; i++) {
        Monitor *mon = g_ptr_array_index(monitors, i);
        json_stream_destroy(&mon->stream);
        g_free(mon);
    }
    g_clear_pointer(&monitors, g_ptr_array_unref);
    g_clear_pointer(&commands, g_hash_table_unref);
}
