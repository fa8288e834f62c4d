/*
 * The libc calls the fake VFIO kernel takes over when it is preloaded.
 *
 * Paths: /dev/vfio/vfio and /dev/vfio/N open fake files; /dev/iommu does
 * not exist (no iommufd: QEMU's legacy container is what we simulate);
 * /dev/vfio, /sys/kernel/iommu_groups and /sys/bus/pci are rewritten into
 * a private tree (fake-sysfs.c), so stat, readlink, opendir and friends
 * see the fake topology and nothing of the host's.
 *
 * Descriptors: every fake file is a real memfd, so fd numbers are
 * unique, /proc/self/fd counts them and a leak shows, and its inode
 * tells it from whatever else later gets its number.  Calls on other
 * descriptors go straight to libc.
 *
 * The fake starts on the first access to one of its paths, not at load:
 * a preloaded shell that only execs QEMU must not leave a temp dir behind.
 *
 * This file is compiled without _FILE_OFFSET_BITS and _FORTIFY_SOURCE:
 * both make glibc's headers rename or inline the very functions defined
 * here.  Each 64-bit variant is defined under its own name instead.
 *
 * Copyright (c) 2026 qemu-spapr-vphb developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#undef _FILE_OFFSET_BITS
#undef _FORTIFY_SOURCE
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fake.h"

FakeKernel *fake;
GRecMutex fake_lock;

/*
 * The process the fake was started in.  A child forked from it shares
 * nothing with the fake but copies of its memory and descriptors: any
 * thread may have held fake_lock at fork(), the state thread is gone,
 * and the kernel objects being faked are the parent's.  So from fork()
 * on the child's interposers all go straight to libc (detached), and
 * only the owner tears the fake down at exit.
 */
static pid_t fake_owner;
/* set in the child only, which has just the one thread then */
static bool fake_detached;

static void fake_atfork_child(void)
{
    fake_detached = true;
}

/*
 * glibc's fortified entry points, which its headers declare only with
 * _FORTIFY_SOURCE: QEMU is built with it, so these are what it calls.
 */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);
ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen);
ssize_t __pread64_chk(int fd, void *buf, size_t n, off64_t off,
                      size_t buflen);
ssize_t __readlink_chk(const char *path, char *buf, size_t len,
                       size_t buflen);
ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf, size_t len,
                         size_t buflen);
char *__realpath_chk(const char *path, char *resolved, size_t resolvedlen);

/* The next definition of @name: libc's. */
#define REAL(name) \
    static __typeof__(name) *real_##name; \
    if (!real_##name) { \
        real_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name); \
    }

void fake_log(const char *fmt, ...)
{
    va_list ap;

    if (!fake || !fake->debug) {
        return;
    }
    va_start(ap, fmt);
    fprintf(stderr, "vfio-fake: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int fake_real_close(int fd)
{
    REAL(close);
    return real_close(fd);
}

void *fake_real_mmap(void *addr, size_t len, int prot, int flags, int fd,
                     off_t off)
{
    REAL(mmap);
    return real_mmap(addr, len, prot, flags, fd, off);
}

/* Start-up and shutdown ------------------------------------------------- */

static void fake_shutdown(void)
{
    /* a forked child inherits this handler, not the fake it removes */
    if (fake && getpid() == fake_owner) {
        fake_state_stop();
        fake_sysfs_remove(fake);
    }
}

static FakeKernel *fake_start(void)
{
    g_autoptr(GError) err = NULL;
    FakeKernel *k = g_new0(FakeKernel, 1);

    /* other threads see the fd table only once it is whole */
    g_rec_mutex_lock(&fake_lock);
    if (fake_config_load(k, &err) < 0 || fake_sysfs_build(k, &err) < 0 ||
        fake_devices_start(k, &err) < 0) {
        /* a test with a broken setup must not pass by accident */
        fprintf(stderr, "vfio-fake: %s\n", err->message);
        abort();
    }
    fake = k;
    fake_owner = getpid();
    pthread_atfork(NULL, NULL, fake_atfork_child);
    g_rec_mutex_unlock(&fake_lock);
    if (fake_state_serve(&err) < 0) {
        fprintf(stderr, "vfio-fake: %s\n", err->message);
        fake_sysfs_remove(k);   /* the one thing abort() would leave */
        abort();
    }
    atexit(fake_shutdown);
    fake_log("started, tree %s", k->root);
    return k;
}

/* The fake, started if need be; NULL in a forked child. */
static FakeKernel *fake_get(void)
{
    static gsize started;

    if (fake_detached) {
        return NULL;
    }
    if (g_once_init_enter(&started)) {
        fake_start();
        g_once_init_leave(&started, 1);
    }
    return fake;
}

/* Paths ------------------------------------------------------------------ */

static bool path_under(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);

    return !strncmp(path, prefix, n) && (path[n] == '\0' || path[n] == '/');
}

/* Is @path one the fake answers?  Decided without starting the fake. */
static bool path_is_ours(const char *path)
{
    return path && (path_under(path, "/dev/vfio") ||
                    path_under(path, "/dev/iommu") ||
                    path_under(path, "/sys/kernel/iommu_groups") ||
                    path_under(path, "/sys/bus/pci"));
}

/* open_fake_file(): the path is no fake file, only to be rewritten */
#define NOT_A_FAKE_FILE INT_MIN

/*
 * open() of one of our paths: a fake file (>= 0), -errno, or
 * NOT_A_FAKE_FILE (directories, sysfs files).
 */
static int open_fake_file(const char *path, int flags)
{
    bool cloexec = flags & O_CLOEXEC;
    const char *rest;
    FakeGroup *g;
    char *end;
    long id;
    int ret;

    if (path_under(path, "/dev/iommu")) {
        return -ENOENT;         /* no iommufd: see README.rst */
    }
    if (!g_str_has_prefix(path, "/dev/vfio/")) {
        return NOT_A_FAKE_FILE;
    }
    rest = path + strlen("/dev/vfio/");
    g_rec_mutex_lock(&fake_lock);
    if (!strcmp(rest, "vfio")) {
        ret = fake_container_open(cloexec);
    } else {
        /* the node is named by the plain number: "01" is no group */
        id = strtol(rest, &end, 10);
        g = (g_ascii_isdigit(*rest) && !*end &&
             (*rest != '0' || !rest[1])) ? fake_group_find(id) : NULL;
        ret = g && fake_group_has_node(g) ? fake_group_open(g, cloexec)
                                          : -ENOENT;
    }
    g_rec_mutex_unlock(&fake_lock);
    fake_log("open %s = %d", path, ret);
    return ret;
}

/*
 * The path libc should use for @path: @path itself, or its rewrite into
 * the tree in *@tmp (freed by the caller).
 */
static const char *path_for_libc(const char *path, char **tmp)
{
    *tmp = NULL;
    if (!path_is_ours(path) || !fake_get()) {
        return path;
    }
    *tmp = fake_sysfs_rewrite(path);
    return *tmp ? *tmp : path;
}

static int ret_errno(int ret)
{
    if (ret < 0) {
        errno = -ret;
        return -1;
    }
    return ret;
}

/* open(2) and friends for an absolute @path or one relative to @dirfd. */
static int open_common(int dirfd, const char *path, int flags, mode_t mode,
                       bool is64)
{
    g_autofree char *tmp = NULL;
    const char *p = path;
    REAL(openat);
    REAL(openat64);

    if (path_is_ours(path) && fake_get()) {
        int ret = open_fake_file(path, flags);

        if (ret != NOT_A_FAKE_FILE) {
            return ret_errno(ret);
        }
        fake_sysfs_config_refresh(path);
        p = path_for_libc(path, &tmp);
    }
    return is64 ? real_openat64(dirfd, p, flags, mode)
                : real_openat(dirfd, p, flags, mode);
}

static mode_t open_mode(int flags, va_list ap)
{
    return (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
}

int open(const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode;

    va_start(ap, flags);
    mode = open_mode(flags, ap);
    va_end(ap);
    return open_common(AT_FDCWD, path, flags, mode, false);
}

int open64(const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode;

    va_start(ap, flags);
    mode = open_mode(flags, ap);
    va_end(ap);
    return open_common(AT_FDCWD, path, flags, mode, true);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode;

    va_start(ap, flags);
    mode = open_mode(flags, ap);
    va_end(ap);
    return open_common(dirfd, path, flags, mode, false);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode;

    va_start(ap, flags);
    mode = open_mode(flags, ap);
    va_end(ap);
    return open_common(dirfd, path, flags, mode, true);
}

int __open_2(const char *path, int flags)
{
    return open_common(AT_FDCWD, path, flags, 0, false);
}

int __open64_2(const char *path, int flags)
{
    return open_common(AT_FDCWD, path, flags, 0, true);
}

int __openat_2(int dirfd, const char *path, int flags)
{
    return open_common(dirfd, path, flags, 0, false);
}

int __openat64_2(int dirfd, const char *path, int flags)
{
    return open_common(dirfd, path, flags, 0, true);
}

FILE *fopen(const char *path, const char *mode)
{
    g_autofree char *tmp = NULL;
    const char *p = path_for_libc(path, &tmp);
    REAL(fopen);

    if (tmp) {
        fake_sysfs_config_refresh(path);
    }
    return real_fopen(p, mode);
}

FILE *fopen64(const char *path, const char *mode)
{
    g_autofree char *tmp = NULL;
    const char *p = path_for_libc(path, &tmp);
    REAL(fopen64);

    if (tmp) {
        fake_sysfs_config_refresh(path);
    }
    return real_fopen64(p, mode);
}

int stat(const char *path, struct stat *st)
{
    g_autofree char *tmp = NULL;
    REAL(stat);

    return real_stat(path_for_libc(path, &tmp), st);
}

int stat64(const char *path, struct stat64 *st)
{
    g_autofree char *tmp = NULL;
    REAL(stat64);

    return real_stat64(path_for_libc(path, &tmp), st);
}

int lstat(const char *path, struct stat *st)
{
    g_autofree char *tmp = NULL;
    REAL(lstat);

    return real_lstat(path_for_libc(path, &tmp), st);
}

int lstat64(const char *path, struct stat64 *st)
{
    g_autofree char *tmp = NULL;
    REAL(lstat64);

    return real_lstat64(path_for_libc(path, &tmp), st);
}

int access(const char *path, int mode)
{
    g_autofree char *tmp = NULL;
    REAL(access);

    return real_access(path_for_libc(path, &tmp), mode);
}

int faccessat(int dirfd, const char *path, int mode, int flags)
{
    g_autofree char *tmp = NULL;
    REAL(faccessat);

    return real_faccessat(dirfd, path_for_libc(path, &tmp), mode, flags);
}

DIR *opendir(const char *path)
{
    g_autofree char *tmp = NULL;
    REAL(opendir);

    return real_opendir(path_for_libc(path, &tmp));
}

ssize_t readlink(const char *path, char *buf, size_t len)
{
    g_autofree char *tmp = NULL;
    REAL(readlink);

    return real_readlink(path_for_libc(path, &tmp), buf, len);
}

ssize_t __readlink_chk(const char *path, char *buf, size_t len,
                       size_t buflen)
{
    if (len > buflen) {
        abort();                /* what glibc's checked variant does */
    }
    return readlink(path, buf, len);
}

ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t len)
{
    g_autofree char *tmp = NULL;
    REAL(readlinkat);

    return real_readlinkat(dirfd, path_for_libc(path, &tmp), buf, len);
}

ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf, size_t len,
                         size_t buflen)
{
    if (len > buflen) {
        abort();
    }
    return readlinkat(dirfd, path, buf, len);
}

char *realpath(const char *path, char *resolved)
{
    g_autofree char *tmp = NULL;
    const char *p = path_for_libc(path, &tmp);
    char *ret;
    REAL(realpath);

    ret = real_realpath(p, resolved);
    if (ret && tmp) {
        /* the caller asked about /sys/..., not about our temp dir */
        fake_sysfs_unrewrite(ret);
    }
    return ret;
}

char *__realpath_chk(const char *path, char *resolved, size_t resolvedlen)
{
    if (resolved && resolvedlen < PATH_MAX) {
        abort();
    }
    return realpath(path, resolved);
}

/* Descriptors -------------------------------------------------------------- */

int fake_handle_new(FakeHandleKind kind, void *obj, bool cloexec)
{
    static const char *const names[] = {
        [FAKE_HANDLE_CONTAINER] = "vfio-fake-container",
        [FAKE_HANDLE_GROUP] = "vfio-fake-group",
        [FAKE_HANDLE_DEVICE] = "vfio-fake-device",
    };
    FakeHandle *h;
    struct stat st;
    int fd = memfd_create(names[kind], cloexec ? MFD_CLOEXEC : 0);

    if (fd < 0) {
        return -errno;
    }
    if (fstat(fd, &st) < 0) {
        int err = errno;

        fake_real_close(fd);
        return -err;
    }
    h = g_new0(FakeHandle, 1);
    h->kind = kind;
    h->fd = fd;
    h->dev = st.st_dev;
    h->ino = st.st_ino;
    h->obj = obj;
    g_hash_table_insert(fake->fds, GINT_TO_POINTER(fd), h);
    return fd;
}

/*
 * The fake file of @h is gone (closed, or its descriptor replaced):
 * what the kernel does when the file's last reference goes.
 */
static void handle_release(FakeHandle *h)
{
    g_hash_table_steal(fake->fds, GINT_TO_POINTER(h->fd));
    switch (h->kind) {
    case FAKE_HANDLE_CONTAINER:
        fake_container_file_closed(h->obj);
        break;
    case FAKE_HANDLE_GROUP:
        fake_group_file_closed(h->obj);
        break;
    case FAKE_HANDLE_DEVICE:
        fake_device_file_closed(h->obj);
        break;
    }
    g_free(h);
}

FakeHandle *fake_handle_find(int fd)
{
    FakeHandle *h = g_hash_table_lookup(fake->fds, GINT_TO_POINTER(fd));
    struct stat st;

    if (h && (fstat(fd, &st) < 0 || st.st_dev != h->dev ||
              st.st_ino != h->ino)) {
        fake_log("fd %d was closed behind the fake's back", fd);
        handle_release(h);
        h = NULL;
    }
    return h;
}

/* The handle behind @fd, with fake_lock held; NULL (unlocked) if none. */
static FakeHandle *handle_lock(int fd)
{
    FakeHandle *h;

    if (!fake || fake_detached) {
        return NULL;
    }
    g_rec_mutex_lock(&fake_lock);
    h = fake_handle_find(fd);
    if (!h) {
        g_rec_mutex_unlock(&fake_lock);
    }
    return h;
}

int close(int fd)
{
    FakeHandle *h = handle_lock(fd);
    int ret;

    if (h) {
        /* out of the table before the number can be reused */
        handle_release(h);
        ret = fake_real_close(fd);
        g_rec_mutex_unlock(&fake_lock);
        fake_log("close %d", fd);
        return ret;
    }
    return fake_real_close(fd);
}

/*
 * dup2() and dup3() close @newfd first: if it is a fake file, the file
 * goes, and the table must not answer for what takes its number.
 */
static int dup_onto(int oldfd, int newfd, int flags, bool is_dup3)
{
    FakeHandle *h = oldfd != newfd ? handle_lock(newfd) : NULL;
    int ret;
    REAL(dup2);
    REAL(dup3);

    ret = is_dup3 ? real_dup3(oldfd, newfd, flags) : real_dup2(oldfd, newfd);
    if (h) {
        if (ret >= 0) {
            handle_release(h);
        }
        g_rec_mutex_unlock(&fake_lock);
    }
    return ret;
}

int dup2(int oldfd, int newfd)
{
    return dup_onto(oldfd, newfd, 0, false);
}

int dup3(int oldfd, int newfd, int flags)
{
    return dup_onto(oldfd, newfd, flags, true);
}

/* close_range() closes fake files too, unless it only sets CLOEXEC. */
int close_range(unsigned int first, unsigned int last, int flags)
{
    GHashTableIter it;
    gpointer key, value;
    int ret;
    REAL(close_range);

    if (!real_close_range) {
        errno = ENOSYS;
        return -1;
    }
    if (!fake || fake_detached || (flags & CLOSE_RANGE_CLOEXEC)) {
        return real_close_range(first, last, flags);
    }
    g_rec_mutex_lock(&fake_lock);
    ret = real_close_range(first, last, flags);
    if (ret == 0) {
        g_hash_table_iter_init(&it, fake->fds);
        while (g_hash_table_iter_next(&it, &key, &value)) {
            unsigned fd = GPOINTER_TO_INT(key);

            if (fd >= first && fd <= last) {
                /* out of the table first: the release must not rehash */
                g_hash_table_iter_steal(&it);
                handle_release(value);
            }
        }
    }
    g_rec_mutex_unlock(&fake_lock);
    return ret;
}

int ioctl(int fd, unsigned long req, ...)
{
    FakeHandle *h;
    va_list ap;
    void *arg;
    int ret;
    REAL(ioctl);

    va_start(ap, req);
    arg = va_arg(ap, void *);
    va_end(ap);
    h = handle_lock(fd);
    if (!h) {
        return real_ioctl(fd, req, arg);
    }
    switch (h->kind) {
    case FAKE_HANDLE_CONTAINER:
        ret = fake_container_ioctl(h->obj, req, arg);
        break;
    case FAKE_HANDLE_GROUP:
        ret = fake_group_ioctl(h->obj, req, arg);
        break;
    default:
        ret = fake_device_ioctl(h->obj, req, arg);
        break;
    }
    g_rec_mutex_unlock(&fake_lock);
    fake_log("ioctl %d 0x%lx = %d", fd, req, ret);
    return ret_errno(ret);
}

/* pread/pwrite on a fake file; only device files have contents. */
static ssize_t fake_rw(FakeHandle *h, void *buf, size_t n, uint64_t off,
                       bool write)
{
    ssize_t ret = -EINVAL;

    if (h->kind == FAKE_HANDLE_DEVICE) {
        ret = fake_device_rw(h->obj, buf, n, off, write);
    }
    g_rec_mutex_unlock(&fake_lock);
    if (ret < 0) {
        errno = -ret;
        return -1;
    }
    return ret;
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
    FakeHandle *h = handle_lock(fd);
    REAL(pread);

    return h ? fake_rw(h, buf, n, off, false) : real_pread(fd, buf, n, off);
}

ssize_t pread64(int fd, void *buf, size_t n, off64_t off)
{
    FakeHandle *h = handle_lock(fd);
    REAL(pread64);

    return h ? fake_rw(h, buf, n, off, false)
             : real_pread64(fd, buf, n, off);
}

ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen)
{
    if (n > buflen) {
        abort();
    }
    return pread(fd, buf, n, off);
}

ssize_t __pread64_chk(int fd, void *buf, size_t n, off64_t off,
                      size_t buflen)
{
    if (n > buflen) {
        abort();
    }
    return pread64(fd, buf, n, off);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    FakeHandle *h = handle_lock(fd);
    REAL(pwrite);

    return h ? fake_rw(h, (void *)buf, n, off, true)
             : real_pwrite(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
    FakeHandle *h = handle_lock(fd);
    REAL(pwrite64);

    return h ? fake_rw(h, (void *)buf, n, off, true)
             : real_pwrite64(fd, buf, n, off);
}

static void *fake_mmap(FakeHandle *h, void *addr, size_t len, int prot,
                       int flags, uint64_t off)
{
    void *p = MAP_FAILED;
    int err = ENODEV;           /* mmap of a file without mmap op */

    if (h->kind == FAKE_HANDLE_DEVICE) {
        p = fake_device_mmap(h->obj, addr, len, prot, flags, off, &err);
    }
    g_rec_mutex_unlock(&fake_lock);
    if (p == MAP_FAILED) {
        errno = err;
    }
    return p;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    FakeHandle *h = (flags & MAP_ANONYMOUS) ? NULL : handle_lock(fd);
    REAL(mmap);

    return h ? fake_mmap(h, addr, len, prot, flags, off)
             : real_mmap(addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd,
             off64_t off)
{
    FakeHandle *h = (flags & MAP_ANONYMOUS) ? NULL : handle_lock(fd);
    REAL(mmap64);

    return h ? fake_mmap(h, addr, len, prot, flags, off)
             : real_mmap64(addr, len, prot, flags, fd, off);
}
