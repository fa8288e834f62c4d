/*
 * The VFIO simulator's QMP commands (see vfio-sim.h).
 */
#include "vfio-sim.h"

#include <string.h>

JsonObject *qvfio_sim_query(QTestState *qts, const char *sim)
{
    JsonObject *rsp = qtest_qmp(qts, "{\"execute\": \"x-vfio-sim-query\", \"arguments\": "
                                "{\"sim\": \"%s\"}}", sim);
    JsonObject *r = json_object_ref(json_node_get_object(qmp_rsp_return(rsp)));

    json_object_unref(rsp);
    return r;
}

void qvfio_sim_inject(QTestState *qts, const char *sim, const char *args)
{
    JsonObject *rsp = qtest_qmp(qts, "{\"execute\": \"x-vfio-sim-inject\", \"arguments\": "
                                "{\"sim\": \"%s\", %s}}", sim, args);

    qmp_rsp_return(rsp);
    json_object_unref(rsp);
}

int64_t qvfio_sim_open_fds(QTestState *qts, const char *sim)
{
    g_autoptr(JsonObject) q = qvfio_sim_query(qts, sim);

    return json_object_get_int_member(q, "open-fds");
}

unsigned qvfio_sim_containers(QTestState *qts, const char *sim)
{
    g_autoptr(JsonObject) q = qvfio_sim_query(qts, sim);

    return json_array_get_length(json_object_get_array_member(q, "containers"));
}

JsonArray *qvfio_sim_mappings(QTestState *qts, const char *sim)
{
    g_autoptr(JsonObject) q = qvfio_sim_query(qts, sim);
    JsonArray *cs = json_object_get_array_member(q, "containers");

    if (!json_array_get_length(cs)) {
        return NULL;
    }
    g_assert_cmpuint(json_array_get_length(cs), ==, 1);
    return json_array_ref(json_object_get_array_member(json_array_get_object_element(cs, 0),
                                                       "mappings"));
}

JsonObject *qvfio_sim_device(QTestState *qts, const char *sim, const char *name)
{
    g_autoptr(JsonObject) q = qvfio_sim_query(qts, sim);
    JsonArray *gs = json_object_get_array_member(q, "groups");
    JsonObject *found = NULL;

    for (guint i = 0; i < json_array_get_length(gs) && !found; i++) {
        JsonArray *ds = json_object_get_array_member(json_array_get_object_element(gs, i),
                                                     "devices");
        for (guint j = 0; j < json_array_get_length(ds); j++) {
            JsonObject *d = json_array_get_object_element(ds, j);
            if (!strcmp(json_object_get_string_member(d, "name"), name)) {
                found = json_object_ref(d);
                break;
            }
        }
    }
    g_assert_nonnull(found);
    return found;
}

int64_t qvfio_sim_dma_faults(QTestState *qts, const char *sim)
{
    g_autoptr(JsonObject) q = qvfio_sim_query(qts, sim);
    JsonArray *gs = json_object_get_array_member(q, "groups");
    int64_t faults = 0;

    for (guint i = 0; i < json_array_get_length(gs); i++) {
        JsonArray *ds = json_object_get_array_member(json_array_get_object_element(gs, i),
                                                     "devices");
        for (guint j = 0; j < json_array_get_length(ds); j++) {
            faults += json_object_get_int_member(json_array_get_object_element(ds, j),
                                                 "dma-faults");
        }
    }
    return faults;
}
