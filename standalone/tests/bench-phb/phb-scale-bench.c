/*
 * phb-scale: how long the machine takes to come up with every PHB it can
 * have (31: index 0 is built in, 1..30 with -device) and write its device
 * tree (dumpdtb, which exits right after building it), against Debian's
 * qemu-system-ppc64 doing the same in the same run.
 *
 *   BIN -M pseries,dumpdtb=F -nodefaults -display none
 *       -device spapr-pci-host-bridge,index=1 ... index=30
 *
 * Wall-clock time of the whole process, median of 5 runs after one
 * warm-up run, for 31 PHBs and for PHB 0 alone (the baseline, to get the
 * cost of one more PHB).  Every run is checked: exit status 0 and a valid
 * tree with the expected number of /pci@ nodes.
 *
 * Target: ours <= 5% of QEMU's time for 31 PHBs.  The benchmark reports
 * whether it is met; with --enforce it also fails when it is not.
 *
 * Our binary is $QTEST_QEMU_BINARY; QEMU is /usr/bin/qemu-system-ppc64 or
 * $QTEST_REFERENCE_QEMU (skipped, with a note, if absent).
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUNS 5
#define MAX_PHBS 31
#define TARGET_PERCENT 5.0
#define REFERENCE_QEMU "/usr/bin/qemu-system-ppc64"

static int count_phb_nodes(const char *path)
{
    g_autofree gchar *fdt = NULL;
    gsize len;
    int node, n = 0;

    if (!g_file_get_contents(path, &fdt, &len, NULL) || fdt_check_full(fdt, len)) {
        return -1;
    }
    fdt_for_each_subnode(node, fdt, 0) {
        if (g_str_has_prefix(fdt_get_name(fdt, node, NULL), "pci@")) {
            n++;
        }
    }
    return n;
}

static GPtrArray *build_argv(const char *binary, const char *dtb, unsigned nphbs)
{
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);

    g_ptr_array_add(argv, g_strdup(binary));
    g_ptr_array_add(argv, g_strdup("-M"));
    g_ptr_array_add(argv, g_strdup_printf("pseries,dumpdtb=%s", dtb));
    g_ptr_array_add(argv, g_strdup("-nodefaults"));
    g_ptr_array_add(argv, g_strdup("-display"));
    g_ptr_array_add(argv, g_strdup("none"));
    for (unsigned i = 1; i < nphbs; i++) {
        g_ptr_array_add(argv, g_strdup("-device"));
        g_ptr_array_add(argv, g_strdup_printf("spapr-pci-host-bridge,index=%u", i));
    }
    g_ptr_array_add(argv, NULL);
    return argv;
}

/* One run: wall-clock seconds, or a negative value (and a message) on failure. */
static double run_once(const char *binary, const char *dtb, unsigned nphbs)
{
    g_autoptr(GPtrArray) argv = build_argv(binary, dtb, nphbs);
    g_autoptr(GError) err = NULL;
    int status, n;
    gint64 t0, t1;

    g_unlink(dtb);
    t0 = g_get_monotonic_time();
    if (!g_spawn_sync(NULL, (char **)argv->pdata, NULL,
                      G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                      NULL, NULL, &status, &err)) {
        fprintf(stderr, "phb-scale: cannot run %s: %s\n", binary, err->message);
        return -1;
    }
    t1 = g_get_monotonic_time();
    if (!g_spawn_check_wait_status(status, &err)) {
        fprintf(stderr, "phb-scale: %s with %u PHBs: %s\n", binary, nphbs, err->message);
        return -1;
    }
    n = count_phb_nodes(dtb);
    if (n != (int)nphbs) {
        fprintf(stderr, "phb-scale: %s with %u PHBs: the tree has %d PHB nodes\n", binary,
                nphbs, n);
        return -1;
    }
    return (t1 - t0) / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* Median of RUNS runs after a warm-up; negative on failure. */
static double median_time(const char *binary, const char *dtb, unsigned nphbs, double *min,
                          double *max)
{
    double t[RUNS];

    if (run_once(binary, dtb, nphbs) < 0) {
        return -1;
    }
    for (int i = 0; i < RUNS; i++) {
        t[i] = run_once(binary, dtb, nphbs);
        if (t[i] < 0) {
            return -1;
        }
    }
    qsort(t, RUNS, sizeof(t[0]), cmp_double);
    *min = t[0];
    *max = t[RUNS - 1];
    return t[RUNS / 2];
}

typedef struct Result {
    double all, all_min, all_max;      /* 31 PHBs */
    double one, one_min, one_max;      /* PHB 0 only */
} Result;

static gboolean measure(const char *who, const char *binary, const char *dtb, Result *r)
{
    r->all = median_time(binary, dtb, MAX_PHBS, &r->all_min, &r->all_max);
    r->one = median_time(binary, dtb, 1, &r->one_min, &r->one_max);
    if (r->all < 0 || r->one < 0) {
        return FALSE;
    }
    printf("%-5s %2u PHBs: median %8.2f ms (min %.2f, max %.2f)   1 PHB: median %8.2f ms   "
           "per extra PHB: %7.1f us\n", who, MAX_PHBS, r->all * 1e3, r->all_min * 1e3,
           r->all_max * 1e3, r->one * 1e3, (r->all - r->one) / (MAX_PHBS - 1) * 1e6);
    return TRUE;
}

int main(int argc, char **argv)
{
    const char *ours = g_getenv("QTEST_QEMU_BINARY");
    const char *qemu = g_getenv("QTEST_REFERENCE_QEMU");
    gboolean enforce = argc > 1 && g_str_equal(argv[1], "--enforce");
    g_autofree char *dir = g_dir_make_tmp("phb-scale-XXXXXX", NULL);
    g_autofree char *dtb = NULL;
    Result o, q;
    double pct;
    int ret = 0;

    if (!ours || !dir) {
        fprintf(stderr, "phb-scale: QTEST_QEMU_BINARY is not set (run through meson)\n");
        return 1;
    }
    if (!qemu || !*qemu) {
        qemu = REFERENCE_QEMU;
    }
    dtb = g_build_filename(dir, "tree.dtb", NULL);
    printf("phb-scale: -M pseries,dumpdtb -nodefaults with %u PHBs (index 0..%u), wall clock, "
           "median of %d runs after a warm-up\n", MAX_PHBS, MAX_PHBS - 1, RUNS);
    if (!measure("ours", ours, dtb, &o)) {
        ret = 1;
        goto out;
    }
    if (!g_file_test(qemu, G_FILE_TEST_IS_EXECUTABLE)) {
        printf("qemu  not measured: %s is not installed (Debian qemu-system-ppc)\n", qemu);
        goto out;
    }
    if (!measure("qemu", qemu, dtb, &q)) {
        ret = 1;
        goto out;
    }
    pct = 100.0 * o.all / q.all;
    printf("ratio ours/qemu, %u PHBs: %.4f (%.2f%% of QEMU's time, %.1fx faster)\n", MAX_PHBS,
           o.all / q.all, pct, q.all / o.all);
    printf("ratio ours/qemu, per extra PHB: %.4f\n",
           (o.all - o.one) / (q.all - q.one));
    printf("target: ours <= %.0f%% of QEMU's time: %s (%.2f%%)\n", TARGET_PERCENT,
           pct <= TARGET_PERCENT ? "met" : "MISSED", pct);
    if (enforce && pct > TARGET_PERCENT) {
        ret = 1;
    }
out:
    g_unlink(dtb);
    g_rmdir(dir);
    return ret;
}
