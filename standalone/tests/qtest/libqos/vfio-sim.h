/*
 * The VFIO simulator (-object vfio-sim,id=SIM) seen from a test, through
 * its QMP commands x-vfio-sim-query and x-vfio-sim-inject
 * (docs/system/ppc/vfio.rst): the host's view of what a VFIO PHB did.
 * @sim is the object's id.  Every helper asserts that the command
 * succeeds.
 */
#ifndef LIBQOS_VFIO_SIM_H
#define LIBQOS_VFIO_SIM_H

#include "../libqtest.h"

/* The "return" object of x-vfio-sim-query (a new reference) */
JsonObject *qvfio_sim_query(QTestState *qts, const char *sim);

/*
 * x-vfio-sim-inject with @args, the arguments after "sim" as JSON members,
 * e.g. "\"fault\": \"eacces\", \"group\": 3".
 */
void qvfio_sim_inject(QTestState *qts, const char *sim, const char *args);

/* The host file descriptors open on the simulator ("open-fds") */
int64_t qvfio_sim_open_fds(QTestState *qts, const char *sim);

/* How many containers the host has */
unsigned qvfio_sim_containers(QTestState *qts, const char *sim);

/*
 * The "mappings" (iova, size, gpa) of the host's one container (a new
 * reference), or NULL if it has none; asserts there is no more than one.
 */
JsonArray *qvfio_sim_mappings(QTestState *qts, const char *sim);

/* Host function @name ("0000:01:00.0") in the query (a new reference); asserts it is there */
JsonObject *qvfio_sim_device(QTestState *qts, const char *sim, const char *name);

/* The DMA faults of all the host's functions, summed */
int64_t qvfio_sim_dma_faults(QTestState *qts, const char *sim);

#endif
