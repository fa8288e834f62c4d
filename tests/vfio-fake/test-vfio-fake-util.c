/*
 * Helpers of the fake VFIO kernel's unit tests.
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "test-vfio-fake-util.h"

void test_group_up(TestGroup *t, int group, unsigned long iommu_type)
{
    g_autofree char *path = g_strdup_printf("/dev/vfio/%d", group);
    struct vfio_group_status status = { .argsz = sizeof(status) };

    t->device = -1;
    t->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
    g_assert_cmpint(t->container, >=, 0);
    t->group = open(path, O_RDWR | O_CLOEXEC);
    g_assert_cmpint(t->group, >=, 0);
    g_assert_cmpint(IOC(t->group, VFIO_GROUP_GET_STATUS, &status), ==, 0);
    g_assert_true(status.flags & VFIO_GROUP_FLAGS_VIABLE);
    g_assert_cmpint(IOC(t->group, VFIO_GROUP_SET_CONTAINER, &t->container),
                    ==, 0);
    g_assert_cmpint(ioctl(t->container, VFIO_SET_IOMMU, iommu_type), ==, 0);
}

void test_device_up(TestGroup *t, int group, unsigned long iommu_type,
                    const char *name)
{
    test_group_up(t, group, iommu_type);
    t->device = ioctl(t->group, VFIO_GROUP_GET_DEVICE_FD, name);
    g_assert_cmpint(t->device, >=, 0);
}

void test_group_down(TestGroup *t)
{
    if (t->device >= 0) {
        g_assert_cmpint(close(t->device), ==, 0);
    }
    g_assert_cmpint(close(t->group), ==, 0);
    g_assert_cmpint(close(t->container), ==, 0);
}

uint64_t test_region_offset(int device, unsigned index)
{
    struct vfio_region_info info = { .argsz = sizeof(info), .index = index };

    g_assert_cmpint(IOC(device, VFIO_DEVICE_GET_REGION_INFO, &info), ==, 0);
    return info.offset;
}

uint32_t test_bar0_read32(int device, uint64_t addr)
{
    uint32_t v;

    g_assert_cmpint(pread(device, &v, 4, test_region_offset(device, 0) +
                          addr), ==, 4);
    return GUINT32_FROM_LE(v);
}

void test_bar0_write32(int device, uint64_t addr, uint32_t val)
{
    uint32_t v = GUINT32_TO_LE(val);

    g_assert_cmpint(pwrite(device, &v, 4, test_region_offset(device, 0) +
                           addr), ==, 4);
}

void test_bar0_write64(int device, uint64_t addr, uint64_t val)
{
    uint64_t v = GUINT64_TO_LE(val);

    g_assert_cmpint(pwrite(device, &v, 8, test_region_offset(device, 0) +
                           addr), ==, 8);
}

uint32_t test_config_read(int device, uint32_t addr, unsigned size)
{
    uint32_t v = 0;

    g_assert_cmpint(pread(device, &v, size,
                          test_region_offset(device,
                                             VFIO_PCI_CONFIG_REGION_INDEX) +
                          addr), ==, size);
    return GUINT32_FROM_LE(v);
}

void test_config_write(int device, uint32_t addr, uint32_t val,
                       unsigned size)
{
    uint32_t v = GUINT32_TO_LE(val);

    g_assert_cmpint(pwrite(device, &v, size,
                           test_region_offset(device,
                                              VFIO_PCI_CONFIG_REGION_INDEX) +
                           addr), ==, size);
}

void test_enable_master(int device)
{
    test_config_write(device, 0x04, test_config_read(device, 0x04, 2) | 0x6,
                      2);
}

void test_edu_dma(int device, uint64_t iova, uint64_t len, bool to_ram)
{
    test_bar0_write64(device, to_ram ? EDU_REG_DMA_SRC : EDU_REG_DMA_DST,
                      EDU_BUF);
    test_bar0_write64(device, to_ram ? EDU_REG_DMA_DST : EDU_REG_DMA_SRC,
                      iova);
    test_bar0_write64(device, EDU_REG_DMA_COUNT, len);
    test_bar0_write64(device, EDU_REG_DMA_CMD,
                      EDU_DMA_START | (to_ram ? EDU_DMA_TO_RAM : 0));
}

void *test_alloc_pages(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    g_assert_true(p != MAP_FAILED);
    return p;
}

unsigned test_count_fds(void)
{
    GDir *dir = g_dir_open("/proc/self/fd", 0, NULL);
    unsigned n = 0;

    g_assert_nonnull(dir);
    while (g_dir_read_name(dir)) {
        n++;
    }
    g_dir_close(dir);
    return n;
}

bool test_eventfd_fired(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    uint64_t v;

    if (poll(&p, 1, 0) != 1) {
        return false;
    }
    g_assert_cmpint(read(fd, &v, sizeof(v)), ==, sizeof(v));
    return v > 0;
}

char *test_state_command(const char *line)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    const char *path = g_getenv("VFIO_FAKE_STATE_SOCKET");
    g_autoptr(GString) reply = g_string_new(NULL);
    g_autofree char *req = g_strconcat(line, "\n", NULL);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    char buf[4096];
    ssize_t n;

    g_assert_nonnull(path);
    g_assert_cmpint(fd, >=, 0);
    g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
    g_assert_cmpint(connect(fd, (struct sockaddr *)&addr, sizeof(addr)),
                    ==, 0);
    g_assert_cmpint(write(fd, req, strlen(req)), ==, strlen(req));
    while (!strchr(reply->str, '\n') &&
           (n = read(fd, buf, sizeof(buf))) > 0) {
        g_string_append_len(reply, buf, n);
    }
    close(fd);
    g_assert_nonnull(strchr(reply->str, '\n'));
    *strchr(reply->str, '\n') = '\0';
    return g_strdup(reply->str);
}

/* The state JSON --------------------------------------------------------- */

/*
 * A parsed JSON value: just what the fake's state needs (no escapes but
 * \" and \\ in strings, numbers are unsigned integers).  QEMU's build
 * has no json-glib.
 */
typedef enum JsonType {
    JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT,
} JsonType;

typedef struct Json {
    JsonType type;
    uint64_t number;           /* also a bool's 0 or 1 */
    char *string;
    GPtrArray *items;          /* array elements; object values */
    GPtrArray *names;          /* object member names, as items */
} Json;

static void json_free(gpointer p)
{
    Json *j = p;

    if (j) {
        g_free(j->string);
        g_clear_pointer(&j->items, g_ptr_array_unref);
        g_clear_pointer(&j->names, g_ptr_array_unref);
        g_free(j);
    }
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Json, json_free)

static void json_skip_blanks(const char **p)
{
    while (g_ascii_isspace(**p)) {
        (*p)++;
    }
}

static char *json_parse_string(const char **p)
{
    GString *s = g_string_new(NULL);

    g_assert_cmpint(**p, ==, '"');
    for ((*p)++; **p != '"'; (*p)++) {
        g_assert_cmpint(**p, !=, '\0');
        if (**p == '\\') {
            (*p)++;
            g_assert_true(**p == '"' || **p == '\\');
        }
        g_string_append_c(s, **p);
    }
    (*p)++;
    return g_string_free(s, FALSE);
}

static Json *json_parse_value(const char **p);

/* The members of an object or the elements of an array, up to @close. */
static void json_parse_items(const char **p, Json *j, char close)
{
    (*p)++;
    json_skip_blanks(p);
    if (**p == close) {
        (*p)++;
        return;
    }
    for (;;) {
        json_skip_blanks(p);
        if (j->names) {
            g_ptr_array_add(j->names, json_parse_string(p));
            json_skip_blanks(p);
            g_assert_cmpint(*(*p)++, ==, ':');
        }
        g_ptr_array_add(j->items, json_parse_value(p));
        json_skip_blanks(p);
        if (**p != ',') {
            break;
        }
        (*p)++;
    }
    g_assert_cmpint(*(*p)++, ==, close);
}

static Json *json_parse_value(const char **p)
{
    Json *j = g_new0(Json, 1);
    char *end;

    json_skip_blanks(p);
    if (**p == '{' || **p == '[') {
        j->type = **p == '{' ? JSON_OBJECT : JSON_ARRAY;
        j->items = g_ptr_array_new_with_free_func(json_free);
        if (j->type == JSON_OBJECT) {
            j->names = g_ptr_array_new_with_free_func(g_free);
        }
        json_parse_items(p, j, **p == '{' ? '}' : ']');
    } else if (**p == '"') {
        j->type = JSON_STRING;
        j->string = json_parse_string(p);
    } else if (g_str_has_prefix(*p, "null")) {
        j->type = JSON_NULL;
        *p += 4;
    } else if (g_str_has_prefix(*p, "true") ||
               g_str_has_prefix(*p, "false")) {
        j->type = JSON_BOOL;
        j->number = **p == 't';
        *p += j->number ? 4 : 5;
    } else {
        g_assert_true(g_ascii_isdigit(**p));
        j->type = JSON_NUMBER;
        j->number = g_ascii_strtoull(*p, &end, 10);
        *p = end;
    }
    return j;
}

/* The member @name of object @j, or NULL. */
static Json *json_member(Json *j, const char *name)
{
    if (j->type != JSON_OBJECT) {
        return NULL;
    }
    for (guint i = 0; i < j->names->len; i++) {
        if (!strcmp(g_ptr_array_index(j->names, i), name)) {
            return g_ptr_array_index(j->items, i);
        }
    }
    return NULL;
}

/* Does object @j have member @name equal to @text (string or number)? */
static bool json_member_is(Json *j, const char *name, const char *text)
{
    Json *m = json_member(j, name);
    g_autofree char *num = NULL;

    if (!m) {
        return false;
    }
    if (m->type == JSON_STRING) {
        return !strcmp(m->string, text);
    }
    num = g_strdup_printf("%" G_GUINT64_FORMAT, m->number);
    return m->type == JSON_NUMBER && !strcmp(num, text);
}

/* Follow @path (see test_state_u64()) from @j; NULL if it leads nowhere. */
static Json *json_path(Json *j, char **path)
{
    const char *step = path[0];
    const char *eq;

    if (!step) {
        return j;
    }
    eq = strchr(step, '=');
    if (j->type == JSON_ARRAY && (eq || !strcmp(step, "*"))) {
        g_autofree char *name = eq ? g_strndup(step, eq - step) : NULL;

        for (guint i = 0; i < j->items->len; i++) {
            Json *item = g_ptr_array_index(j->items, i);
            Json *found;

            if (eq && !json_member_is(item, name, eq + 1)) {
                continue;
            }
            found = json_path(item, path + 1);
            if (found) {
                return found;
            }
        }
        return NULL;
    }
    j = json_member(j, step);
    return j ? json_path(j, path + 1) : NULL;
}

/* The value at @path in the fake's state now (json_free it), or NULL. */
static Json *state_at(const char *path, Json **root)
{
    g_autofree char *text = test_state_command("state");
    g_auto(GStrv) steps = g_strsplit(path, "/", -1);
    const char *p = text;

    *root = json_parse_value(&p);
    json_skip_blanks(&p);
    g_assert_cmpint(*p, ==, '\0');
    return json_path(*root, steps);
}

int64_t test_state_u64(const char *path)
{
    g_autoptr(Json) root = NULL;
    Json *j = state_at(path, &root);

    if (!j || j->type != JSON_NUMBER) {
        g_error("state: %s is %s, not a number", path,
                !j ? "absent" : j->type == JSON_NULL ? "null" : "no number");
    }
    return j->number;
}

bool test_state_has(const char *path)
{
    g_autoptr(Json) root = NULL;

    return state_at(path, &root) != NULL;
}

int64_t test_device_u64(const char *device, const char *key)
{
    g_autofree char *path =
        g_strdup_printf("groups/*/devices/name=%s/%s", device, key);

    return test_state_u64(path);
}
