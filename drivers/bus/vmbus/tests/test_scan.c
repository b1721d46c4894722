/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit test: hvbus sysfs scan, uio map-table checks and ring-file mapping on synthetic trees. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_log.h>
#include <rte_memory.h>
#include <rte_uuid.h>

#include "check.h"
#include "hvbus_private.h"
#include "hvbus_sysfs.h"
#include "hvbus_uio.h"

/* The bus library defines it; this test links only the files under test. */
int hvbus_logtype;

#define NETVSC_GUID "f8615163-df3e-46c5-913f-f2d2f965ed0e"
#define G1 "1b2c3d4e-0000-4000-8000-00000000000a"
#define G2 "5eeeffff-1111-4111-8111-11111111111b"
#define G3 "c0ffee00-2222-4222-8222-22222222222c"

static char root[PATH_MAX / 2];
static FILE *log_stream;
static char *log_text;
static size_t log_size;


/* Start capturing the bus log afresh. */
static void
log_reset(void)
{
	if (log_stream != NULL)
		fclose(log_stream);
	free(log_text);
	log_text = NULL;
	log_stream = open_memstream(&log_text, &log_size);
	if (log_stream == NULL) {
		perror("open_memstream");
		exit(2);
	}
	rte_openlog_stream(log_stream);
}

/* True when one captured log line contains both a and b. */
static bool
log_has(const char *a, const char *b)
{
	const char *line, *end;

	fflush(log_stream);
	for (line = log_text; line != NULL && *line != '\0'; line = end + 1) {
		char buf[1024];
		size_t len;

		end = strchr(line, '\n');
		if (end == NULL)
			end = line + strlen(line);
		len = RTE_MIN((size_t)(end - line), sizeof(buf) - 1);
		memcpy(buf, line, len);
		buf[len] = '\0';
		if (strstr(buf, a) != NULL && strstr(buf, b) != NULL)
			return true;
		if (*end == '\0')
			break;
	}
	printf("FAIL: no log line with \"%s\" and \"%s\"\n", a, b);
	return false;
}

static void
log_dump(const char *title)
{
	fflush(log_stream);
	printf("-- %s: bus log --\n%s", title, log_text != NULL ? log_text : "");
}

/* out = root/<fmt...>; the test stops when that does not fit. */
static char * __rte_format_printf(2, 3)
tree_path(char out[PATH_MAX], const char *fmt, ...)
{
	char rel[PATH_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	n = snprintf(out, PATH_MAX, "%.2048s/%.2000s", root, rel);
	if (n < 0 || n >= PATH_MAX) {
		printf("path too long: %s\n", rel);
		exit(2);
	}
	return out;
}

static void
mkdir_p(const char *path)
{
	char tmp[PATH_MAX];
	char *p;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(tmp, 0755);
		*p = '/';
	}
	mkdir(tmp, 0755);
}

/* Write root/<rel> with content (parents made); a NULL content makes a directory. */
static void __rte_format_printf(2, 3)
put(const char *content, const char *fmt, ...)
{
	char rel[PATH_MAX], path[PATH_MAX];
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	tree_path(path, "%s", rel);
	if (content == NULL) {
		mkdir_p(path);
		return;
	}
	*strrchr(path, '/') = '\0';
	mkdir_p(path);
	path[strlen(path)] = '/';
	f = fopen(path, "w");
	if (f == NULL) {
		perror(path);
		exit(2);
	}
	fputs(content, f);
	fclose(f);
}

static void __rte_format_printf(1, 2)
del(const char *fmt, ...)
{
	char rel[PATH_MAX], path[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	unlink(tree_path(path, "%s", rel));
}

static const char *const good_maps[HVBUS_MAP_COUNT][2] = {
	{ "txrx_rings\n", "0x400000\n" },
	{ "int_page\n", "0x1000\n" },
	{ "monitor_page\n", "4096\n" },
	{ "recv:12\n", "0x1f00000\n" },
	{ "send:0x1d\n", "0x1000000\n" },
};

static void
put_map(const char *uuid, int uio, unsigned int k, const char *name, const char *size)
{
	put(name, "%s/uio/uio%d/maps/map%u/name", uuid, uio, k);
	put(size, "%s/uio/uio%d/maps/map%u/size", uuid, uio, k);
}

/* A complete, well-formed device bound to uio<uio>. */
static void
make_dev(const char *uuid, const char *relid, int uio)
{
	unsigned int k;
	char text[64];

	put("{" NETVSC_GUID "}\n", "%s/class_id", uuid);
	snprintf(text, sizeof(text), "{%s}\n", uuid);
	put(text, "%s/device_id", uuid);
	put(relid, "%s/id", uuid);
	put("3\n", "%s/monitor_id", uuid);
	put("0\n", "%s/numa_node", uuid);
	for (k = 0; k < HVBUS_MAP_COUNT; k++)
		put_map(uuid, uio, k, good_maps[k][0], good_maps[k][1]);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	RTE_SET_USED(st);
	RTE_SET_USED(flag);
	RTE_SET_USED(ftw);
	return remove(path);
}

#define MAX_FOUND 8

struct found {
	struct rte_hvbus_device *dev[MAX_FOUND];
	unsigned int n;
	int stop_after;		/* return -EIO once this many were taken; 0: never */
};

static int
collect(struct rte_hvbus_device *dev, void *arg)
{
	struct found *f = arg;

	if (f->n == MAX_FOUND) {
		free(dev);
		return -ENOSPC;
	}
	f->dev[f->n++] = dev;
	return f->stop_after != 0 && (int)f->n >= f->stop_after ? -EIO : 0;
}

static void
free_found(struct found *f)
{
	while (f->n > 0)
		free(f->dev[--f->n]);
}

static void
check_dev(const struct rte_hvbus_device *dev, const char *uuid, uint32_t relid,
	  uint8_t monitor, int numa, int uio)
{
	rte_uuid_t want;

	CHECK(strcmp(dev->name, uuid) == 0);
	CHECK(dev->device.name == dev->name);
	rte_uuid_parse(NETVSC_GUID, want);
	CHECK(rte_uuid_compare(dev->class_id, want) == 0);
	rte_uuid_parse(uuid, want);
	CHECK(rte_uuid_compare(dev->device_id, want) == 0);
	CHECK(dev->relid == relid);
	CHECK(dev->monitor_id == monitor);
	CHECK(dev->device.numa_node == numa);
	CHECK(dev->uio_num == uio);
	CHECK(dev->intr_handle == NULL && dev->resource[0].addr == NULL);
}

/* A broken device: skipped, with a log line naming it and the offending file. */
struct broken {
	const char *uuid;
	const char *file;	/* NULL: delete it */
	const char *content;
	const char *log_word;
};

static const struct broken broken_devs[] = {
	{ "00000000-0000-4000-8000-000000000001", "class_id", NULL, "/class_id:" },
	{ "00000000-0000-4000-8000-000000000002", "class_id",
	  "{f8615163-df3e-46c5-913f-f2d2f965ed0g}\n", "/class_id is" },
	{ "00000000-0000-4000-8000-000000000003", "device_id",
	  "{00000000-0000-4000-8000-00000000003}\n", "/device_id is" },
	{ "00000000-0000-4000-8000-000000000004", "device_id",
	  "{00000000-0000-4000-8000-000000000004\n", "/device_id is" },
	{ "00000000-0000-4000-8000-000000000005", "class_id",
	  "f8615163-df3e-46c5_913f-f2d2f965ed0e\n", "/class_id is" },
	{ "00000000-0000-4000-8000-000000000006", "id", NULL, "/id:" },
	{ "00000000-0000-4000-8000-000000000007", "id", "12a\n", "/id is" },
	{ "00000000-0000-4000-8000-000000000008", "id", "0\n", "/id is 0" },
	{ "00000000-0000-4000-8000-000000000009", "id", "2147483649\n", "/id is" },
	{ "00000000-0000-4000-8000-00000000000a", "numa_node", "1x\n", "/numa_node is" },
	{ "00000000-0000-4000-8000-00000000000b", "numa_node", "-2\n", "/numa_node is" },
	{ "00000000-0000-4000-8000-00000000000c", "monitor_id", "256\n", "/monitor_id is" },
	{ "00000000-0000-4000-8000-00000000000d", "device_id", "{" G2 "}\n", "does not match" },
	{ "00000000-0000-4000-8000-00000000000e", "class_id",
	  "{" NETVSC_GUID "}" "{" NETVSC_GUID "}" "{" NETVSC_GUID "}" "{" NETVSC_GUID "}\n",
	  "/class_id:" },
	{ "f0000000-0000-4000-8000-00000000000f", "id", "-5\n", "/id is" },
};

static void
make_scan_tree(void)
{
	unsigned int i;

	/* Created out of order: the scan must sort. */
	make_dev(G3, "2147483648\n", 1);
	put("-1\n", "%s/numa_node", G3);
	put("255\n", "%s/monitor_id", G3);
	make_dev(G1, "5\n", 2);
	make_dev(G2, "14\n", 0);
	put("F8615163-DF3E-46C5-913F-F2D2F965ED0E\n", "%s/class_id", G2);
	put("{5EEEFFFF-1111-4111-8111-11111111111B}\n", "%s/device_id", G2);
	del("%s/monitor_id", G2);
	del("%s/numa_node", G2);
	for (i = 0; i < RTE_DIM(broken_devs); i++) {
		const struct broken *b = &broken_devs[i];

		make_dev(b->uuid, "7\n", 9);
		if (b->content == NULL)
			del("%s/%s", b->uuid, b->file);
		else
			put(b->content, "%s/%s", b->uuid, b->file);
	}
	/* Not bound to uio: no uio dir at all, and a uio dir without a uio<N> entry. */
	put("{" NETVSC_GUID "}\n", "aaaaaaaa-0000-4000-8000-000000000001/class_id");
	put(NULL, "aaaaaaaa-0000-4000-8000-000000000002/uio/uiox");
	put("{" NETVSC_GUID "}\n", "aaaaaaaa-0000-4000-8000-000000000002/class_id");
	/* Never looked at: a dot name and a plain file. */
	make_dev(".hidden", "8\n", 3);
	put("x\n", "zz-not-a-dir");
}

static void
test_scan(void)
{
	struct found f = { .n = 0 };
	char devs[PATH_MAX];
	unsigned int i;
	int ret;

	log_reset();
	make_scan_tree();
	snprintf(devs, sizeof(devs), "%s", root);
	ret = hvbus_scan_dir(devs, collect, &f);
	CHECK(ret == 3);
	CHECK(f.n == 3);
	if (f.n == 3) {
		check_dev(f.dev[0], G1, 5, 3, 0, 2);
		check_dev(f.dev[1], G2, 14, HVBUS_NO_MONITOR, SOCKET_ID_ANY, 0);
		check_dev(f.dev[2], G3, UINT32_C(1) << 31, HVBUS_NO_MONITOR, SOCKET_ID_ANY, 1);
	}
	free_found(&f);
	for (i = 0; i < RTE_DIM(broken_devs); i++)
		CHECK(log_has(broken_devs[i].uuid, broken_devs[i].log_word));
	CHECK(log_has("aaaaaaaa-0000-4000-8000-000000000001", "not bound to uio_hv_generic"));
	CHECK(log_has("aaaaaaaa-0000-4000-8000-000000000002", "not bound to uio_hv_generic"));
	CHECK(log_has("zz-not-a-dir", "not a device directory"));
	log_dump("scan");

	/* A failing callback stops the scan; its error comes back. */
	f.stop_after = 1;
	CHECK(hvbus_scan_dir(devs, collect, &f) == -EIO);
	CHECK(f.n == 1);
	free_found(&f);

	log_reset();
	tree_path(devs, "no-such-dir");
	CHECK(hvbus_scan_dir(devs, collect, &f) == -ENOENT);
	CHECK(f.n == 0);
}

struct map_case {
	unsigned int map;
	const char *file;
	const char *content;	/* NULL: delete the file */
	int err;
};

static const struct map_case map_cases[] = {
	{ 0, "name", "txrx_ring\n", -EINVAL },
	{ 1, "name", "int_page \n", -EINVAL },
	{ 2, "name", "int_page\n", -EINVAL },
	{ 3, "name", "recv\n", -EINVAL },
	{ 3, "name", "recv:\n", -EINVAL },
	{ 3, "name", "recv:0\n", -EINVAL },
	{ 3, "name", "send:5\n", -EINVAL },
	{ 4, "name", "send:zz\n", -EINVAL },
	{ 4, "name", "send:0x100000000\n", -EINVAL },
	{ 4, "name", "send:-1\n", -EINVAL },
	{ 0, "size", "0\n", -EINVAL },
	{ 0, "size", "0x3000\n", -EINVAL },
	{ 0, "size", "0x2000\n", -EINVAL },
	{ 0, "size", "0x401000\n", -EINVAL },
	{ 1, "size", "0x800\n", -EINVAL },
	{ 2, "size", "\n", -EINVAL },
	{ 3, "size", "0x1f00001\n", -EINVAL },
	{ 3, "size", "-4096\n", -EINVAL },
	{ 4, "size", "0xzz\n", -EINVAL },
	{ 4, "size", "12abc\n", -EINVAL },
	{ 4, "size", "0\n", -EINVAL },
	{ 4, "size", NULL, -ENOENT },
	{ 2, "name", NULL, -ENOENT },
};

static void
test_maps(void)
{
	struct hvbus_map_info maps[HVBUS_MAP_COUNT];
	char devdir[PATH_MAX];
	unsigned int i;
	int ret;

	log_reset();
	tree_path(devdir, G1);
	ret = hvbus_uio_read_maps(devdir, 2, maps);
	CHECK(ret == 0);
	CHECK(maps[0].size == 0x400000 && maps[1].size == 4096 && maps[2].size == 4096);
	CHECK(maps[3].size == 0x1f00000 && maps[4].size == 0x1000000);
	CHECK(maps[3].gpadl == 12 && maps[4].gpadl == 0x1d);
	CHECK(maps[0].gpadl == 0 && maps[1].gpadl == 0 && maps[2].gpadl == 0);
	/* Kernels that give each direction 2 MiB + 4 KiB. */
	put("0x402000\n", "%s/uio/uio2/maps/map0/size", G1);
	CHECK(hvbus_uio_read_maps(devdir, 2, maps) == 0 && maps[0].size == 0x402000);
	put_map(G1, 2, 0, good_maps[0][0], good_maps[0][1]);

	for (i = 0; i < RTE_DIM(map_cases); i++) {
		const struct map_case *c = &map_cases[i];
		char where[64];

		if (c->content == NULL)
			del("%s/uio/uio2/maps/map%u/%s", G1, c->map, c->file);
		else
			put(c->content, "%s/uio/uio2/maps/map%u/%s", G1, c->map, c->file);
		ret = hvbus_uio_read_maps(devdir, 2, maps);
		if (ret != c->err)
			printf("FAIL: map%u/%s \"%s\": got %d, expected %d\n", c->map, c->file,
			       c->content != NULL ? c->content : "(deleted)", ret, c->err);
		CHECK(ret == c->err);
		snprintf(where, sizeof(where), "maps/map%u/%s", c->map, c->file);
		CHECK(log_has(G1, where));
		put_map(G1, 2, c->map, good_maps[c->map][0], good_maps[c->map][1]);
	}
	CHECK(hvbus_uio_read_maps(devdir, 2, maps) == 0);
	/* No such uio number: the first map cannot be read. */
	CHECK(hvbus_uio_read_maps(devdir, 7, maps) == -ENOENT);
	log_dump("map table");
}

static void
test_max_channels(void)
{
	char devdir[PATH_MAX];

	tree_path(devdir, G1);
	CHECK(hvbus_sysfs_max_channels(devdir, 5) == 1);
	put("", "%s/channels/5/ring", G1);
	CHECK(hvbus_sysfs_max_channels(devdir, 5) == HVBUS_SYSFS_MAX_CHANNELS);
	CHECK(hvbus_sysfs_max_channels(devdir, 6) == 1);
	/* Root passes access() whatever the mode, so the mode check only works unprivileged. */
	if (geteuid() != 0) {
		char path[PATH_MAX];

		tree_path(path, "%s/channels/5/ring", G1);
		chmod(path, 0400);
		CHECK(hvbus_sysfs_max_channels(devdir, 5) == 1);
		chmod(path, 0600);
	}
}

static bool
relid_open(uint32_t relid, void *arg)
{
	const uint32_t *open_relids = arg;
	unsigned int i;

	for (i = 0; open_relids[i] != 0; i++)
		if (open_relids[i] == relid)
			return true;
	return false;
}

/* channels/<name>: ring when with_ring, and the given attributes when not NULL. */
static void
put_chan(const char *name, bool with_ring, const char *subchannel_id, const char *monitor_id)
{
	put(NULL, "%s/channels/%s", G1, name);
	if (with_ring)
		put("", "%s/channels/%s/ring", G1, name);
	if (subchannel_id != NULL)
		put(subchannel_id, "%s/channels/%s/subchannel_id", G1, name);
	if (monitor_id != NULL)
		put(monitor_id, "%s/channels/%s/monitor_id", G1, name);
}

static void
test_subchan(void)
{
	uint32_t open_relids[8] = { 5, 6, 0 };
	struct hvbus_subchan_info info;
	char devdir[PATH_MAX], want[PATH_MAX];

	log_reset();
	tree_path(devdir, G1);
	put_chan("5", true, "0\n", "3\n");		/* the primary */
	put_chan(".7", true, "4\n", NULL);		/* still being built */
	put_chan("abc", true, "1\n", NULL);		/* not a relid */
	put_chan("6", true, "1\n", "9\n");		/* already open */
	put_chan("8", true, "99\n", NULL);		/* index out of range */
	put_chan("9", false, "2\n", NULL);		/* no ring yet */
	put_chan("10", true, NULL, NULL);		/* no subchannel_id yet */
	put_chan("11", true, "2\n", NULL);		/* good, no monitor */
	put_chan("12", true, "3\n", "17\n");		/* good, monitored */
	put_chan("13", true, "x3\n", NULL);		/* junk index */
	put_chan("14", true, "4\n", "monitor\n");	/* junk monitor id */

	CHECK(hvbus_sysfs_find_subchan(devdir, relid_open, open_relids, &info) == 0);
	CHECK(info.relid == 11 && info.subidx == 2 && info.monitor_id == HVBUS_NO_MONITOR);
	tree_path(want, "%s/channels/11/ring", G1);
	CHECK(strcmp(info.ring_path, want) == 0);
	CHECK(log_has("/channels/10", "no subchannel_id yet"));

	open_relids[2] = 11;
	CHECK(hvbus_sysfs_find_subchan(devdir, relid_open, open_relids, &info) == 0);
	CHECK(info.relid == 12 && info.subidx == 3 && info.monitor_id == 17);

	open_relids[3] = 12;
	CHECK(hvbus_sysfs_find_subchan(devdir, relid_open, open_relids, &info) == -ENOENT);
	CHECK(log_has("/channels/13/subchannel_id", "\"x3\""));
	CHECK(log_has("/channels/14/monitor_id", "\"monitor\""));
	CHECK(log_has("/channels/8/subchannel_id", "\"99\""));

	/* Once the bad entries are fixed they are found. */
	put_chan("8", true, "64\n", "127\n");
	CHECK(hvbus_sysfs_find_subchan(devdir, relid_open, open_relids, &info) == 0);
	CHECK(info.relid == 8 && info.subidx == 64 && info.monitor_id == 127);
	/* The monitor page has 128 trigger bits: a larger id falls back to the interrupt page. */
	put_chan("8", true, "64\n", "128\n");
	CHECK(hvbus_sysfs_find_subchan(devdir, relid_open, open_relids, &info) == 0);
	CHECK(info.relid == 8 && info.monitor_id == HVBUS_NO_MONITOR);
	CHECK(log_has("/channels/8/monitor_id", "beyond the monitor page"));

	tree_path(devdir, G2);
	CHECK(hvbus_sysfs_find_subchan(devdir, relid_open, open_relids, &info) == -ENOENT);
	log_dump("subchannels");
}

/* root/<name>, a file of size bytes; its path in path. */
static void
make_sized(char path[PATH_MAX], const char *name, off_t size)
{
	int fd;

	tree_path(path, "%s", name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, size) < 0) {
		perror(path);
		exit(2);
	}
	close(fd);
}

static void
test_ring_file(void)
{
	static const off_t bad[] = { 0, 5000, 3 * 4096, 2 * 4096, 5 * 4096 };
	char path[PATH_MAX];
	uint8_t byte = 0;
	unsigned int i;
	size_t len = 0;
	void *addr = NULL;
	int fd;

	log_reset();
	for (i = 0; i < RTE_DIM(bad); i++) {
		make_sized(path, "bad_ring", bad[i]);
		CHECK(hvbus_uio_map_ring_file(path, &addr, &len) == -EINVAL);
		CHECK(addr == NULL);
		CHECK(log_has("bad_ring", "expected a regular file"));
	}
	tree_path(path, "missing_ring");
	CHECK(hvbus_uio_map_ring_file(path, &addr, &len) == -ENOENT);
	CHECK(log_has("missing_ring", "cannot open"));
	CHECK(hvbus_uio_map_ring_file(root, &addr, &len) < 0);

	make_sized(path, "good_ring", 4 * 4096);
	CHECK(hvbus_uio_map_ring_file(path, &addr, &len) == 0);
	CHECK(addr != NULL && len == 4 * 4096);
	if (addr != NULL && len == 4 * 4096) {
		/* Shared: a store through the mapping is in the file. */
		((uint8_t *)addr)[len - 1] = 0x5a;
		msync(addr, len, MS_SYNC);
		fd = open(path, O_RDONLY);
		CHECK(fd >= 0 && pread(fd, &byte, 1, (off_t)len - 1) == 1 && byte == 0x5a);
		if (fd >= 0)
			close(fd);
		munmap(addr, len);
	}
	log_dump("ring files");
}

static void
test_read_and_parse(void)
{
	char buf[HVBUS_SYSFS_ATTR_MAX], path[PATH_MAX], text[HVBUS_SYSFS_ATTR_MAX + 2];
	uint64_t v = 0;

	tree_path(path, "attr");
	put("abc\n", "attr");
	CHECK(hvbus_sysfs_read(path, buf, sizeof(buf)) == 3 && strcmp(buf, "abc") == 0);
	memset(text, 'x', sizeof(text));
	text[HVBUS_SYSFS_ATTR_MAX - 1] = '\n';
	text[HVBUS_SYSFS_ATTR_MAX] = '\0';
	put(text, "attr");
	CHECK(hvbus_sysfs_read(path, buf, sizeof(buf)) == HVBUS_SYSFS_ATTR_MAX - 1);
	text[HVBUS_SYSFS_ATTR_MAX - 1] = 'x';
	text[HVBUS_SYSFS_ATTR_MAX] = '\n';
	text[HVBUS_SYSFS_ATTR_MAX + 1] = '\0';
	put(text, "attr");
	CHECK(hvbus_sysfs_read(path, buf, sizeof(buf)) == -E2BIG);
	{
		FILE *f = fopen(path, "w");

		fwrite("1\0002\n", 1, 4, f);
		fclose(f);
	}
	CHECK(hvbus_sysfs_read(path, buf, sizeof(buf)) == -EINVAL);
	CHECK(hvbus_sysfs_read("/nonexistent/attr", buf, sizeof(buf)) == -ENOENT);

	CHECK(hvbus_parse_uint("010", 0, UINT64_MAX, &v) == 0 && v == 10);
	CHECK(hvbus_parse_uint("0X1F", 0, UINT64_MAX, &v) == 0 && v == 31);
	CHECK(hvbus_parse_uint("0x1f", 10, UINT64_MAX, &v) == -EINVAL);
	CHECK(hvbus_parse_uint("0x", 0, UINT64_MAX, &v) == -EINVAL);
	CHECK(hvbus_parse_uint("", 0, UINT64_MAX, &v) == -EINVAL);
	CHECK(hvbus_parse_uint("+5", 10, UINT64_MAX, &v) == -EINVAL);
	CHECK(hvbus_parse_uint(" 5", 10, UINT64_MAX, &v) == -EINVAL);
	CHECK(hvbus_parse_uint("5 ", 10, UINT64_MAX, &v) == -EINVAL);
	CHECK(hvbus_parse_uint("256", 10, 255, &v) == -ERANGE);
	CHECK(hvbus_parse_uint("18446744073709551616", 10, UINT64_MAX, &v) == -ERANGE);
	CHECK(hvbus_parse_uint("18446744073709551615", 10, UINT64_MAX, &v) == 0 &&
	      v == UINT64_MAX);
}

int
main(void)
{
	snprintf(root, sizeof(root), "%s/hvbus-scan-XXXXXX",
		 getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	hvbus_logtype = rte_log_register_type_and_pick_level("bus.hvbus", RTE_LOG_DEBUG);
	if (hvbus_logtype < 0 || rte_log_set_level(hvbus_logtype, RTE_LOG_DEBUG) < 0) {
		printf("cannot register the log type\n");
		return 2;
	}
	test_read_and_parse();
	test_scan();
	test_maps();
	test_max_channels();
	test_subchan();
	test_ring_file();

	rte_openlog_stream(NULL);
	fclose(log_stream);
	free(log_text);
	nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return check_done("test_scan");
}
