/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The guest's shared memory, mapped into the host the way a hypervisor sees guest memory: a
 * GPA-direct read inside it is a copy, not a system call per frame. DPDK's --no-huge memory is
 * one memfd named "nohuge", sized once and mapped shared for the life of the process: every
 * mbuf lies in it. Only that memfd is taken: never hugepage memory (files or --in-memory
 * memfds), where DPDK punches holes and maps anew, and a read of a hole would fault here. The
 * guest is trusted not to shrink it (a read past its end would be SIGBUS). The guest's
 * mappings of the NICs' receive buffers (files of this host's) are windows too: frames it
 * forwards from there (rx_extmbuf_enable), to any NIC, come GPA-direct from them. What lies
 * outside is read as before (sim_env.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "sim_env.h"

#define GUESTMEM_MAX_WINDOWS	(8 + SIM_MAX_NICS)
#define GUESTMEM_MAPS_LINES	100000	/* bound on the lines of /proc/<pid>/maps read */

struct guestmem_window {
	uint64_t start, end;	/* the guest's addresses (IOVA as VA) */
	const uint8_t *map;	/* the host's read-only view of [start, end) */
	bool rxbuf;		/* a receive buffer's */
};

static struct {
	unsigned int n;
	struct guestmem_window w[GUESTMEM_MAX_WINDOWS];
} guestmem[SIM_MAX_NICS];

void sim_guestmem_detach(unsigned int nic)
{
	unsigned int i;

	if (nic >= SIM_MAX_NICS)
		return;
	for (i = 0; i < guestmem[nic].n; i++)
		munmap((void *)(uintptr_t)guestmem[nic].w[i].map,
		       guestmem[nic].w[i].end - guestmem[nic].w[i].start);
	guestmem[nic].n = 0;
}

void sim_guestmem_drop_rxbufs(unsigned int nic)
{
	unsigned int i, kept = 0;

	if (nic >= SIM_MAX_NICS)
		return;
	for (i = 0; i < guestmem[nic].n; i++) {
		struct guestmem_window *w = &guestmem[nic].w[i];

		if (w->rxbuf)
			munmap((void *)(uintptr_t)w->map, w->end - w->start);
		else
			guestmem[nic].w[kept++] = *w;
	}
	guestmem[nic].n = kept;
}

/* Whether the mapping is of one of the n files in own (the receive buffers). */
static bool map_own(unsigned int major, unsigned int minor, uint64_t inode,
		    const struct stat *own, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (inode == (uint64_t)own[i].st_ino && makedev(major, minor) == own[i].st_dev)
			return true;
	return false;
}

/*
 * Whether a mapping at start is one of the simulator's own windows: only when the guest is
 * this process (the unit tests), whose maps then list the windows mapped while they are read.
 */
static bool own_window(pid_t pid, uint64_t start)
{
	unsigned int n, i;

	if (pid != getpid())
		return false;
	for (n = 0; n < SIM_MAX_NICS; n++)
		for (i = 0; i < guestmem[n].n; i++)
			if ((uint64_t)(uintptr_t)guestmem[n].w[i].map == start)
				return true;
	return false;
}

/* One line of /proc/<pid>/maps: the "nohuge" memfd or one of own becomes a window. */
static void map_line(unsigned int nic, pid_t pid, const char *line, const struct stat *own,
		     unsigned int nown)
{
	char perms[5], path[256] = "", file[64];
	uint64_t start, end, off, inode;
	unsigned int major, minor;
	struct guestmem_window *w;
	struct stat st;
	bool rxbuf;
	void *map;
	int fd;

	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %x:%x %" SCNu64 " %255s",
		   &start, &end, perms, &off, &major, &minor, &inode, path) != 8 ||
	    perms[3] != 's' || end <= start || guestmem[nic].n == GUESTMEM_MAX_WINDOWS ||
	    own_window(pid, start))
		return;
	rxbuf = map_own(major, minor, inode, own, nown);
	if (!rxbuf && strcmp(path, "/memfd:nohuge") != 0)
		return;
	snprintf(file, sizeof(file), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)pid, start,
		 end);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	/* All of the window must be backed by the file, or a read would be SIGBUS. */
	if (fstat(fd, &st) != 0 || st.st_size < 0 || off > (uint64_t)st.st_size ||
	    end - start > (uint64_t)st.st_size - off) {
		close(fd);
		return;
	}
	map = mmap(NULL, end - start, PROT_READ, MAP_SHARED, fd, (off_t)off);
	close(fd);
	if (map == MAP_FAILED)
		return;
	w = &guestmem[nic].w[guestmem[nic].n++];
	w->start = start;
	w->end = end;
	w->map = map;
	w->rxbuf = rxbuf;
}

unsigned int sim_guestmem_attach(unsigned int nic, pid_t pid, const char *const *files,
				 unsigned int nfiles)
{
	char file[64], line[512];
	struct stat own[SIM_MAX_NICS];
	unsigned int lines = 0, nown = 0, i;
	FILE *f;

	if (nic >= SIM_MAX_NICS)
		return 0;
	sim_guestmem_detach(nic);
	for (i = 0; i < nfiles && nown < SIM_MAX_NICS; i++)
		if (stat(files[i], &own[nown]) == 0)
			nown++;
	snprintf(file, sizeof(file), "/proc/%d/maps", (int)pid);
	f = fopen(file, "re");
	if (f == NULL)
		return 0;
	while (lines++ < GUESTMEM_MAPS_LINES && fgets(line, sizeof(line), f) != NULL) {
		if (strchr(line, '\n') == NULL) {
			/* Longer than the buffer (a long path): skip the whole line. */
			int c;

			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			continue;
		}
		map_line(nic, pid, line, own, nown);
	}
	fclose(f);
	return guestmem[nic].n;
}

bool sim_guestmem_read(unsigned int nic, uint64_t iova, void *dst, size_t len)
{
	const struct guestmem_window *w;
	unsigned int i;

	if (nic >= SIM_MAX_NICS)
		return false;
	for (i = 0; i < guestmem[nic].n; i++) {
		w = &guestmem[nic].w[i];
		if (iova >= w->start && iova < w->end && len <= w->end - iova) {
			memcpy(dst, w->map + (iova - w->start), len);
			return true;
		}
	}
	return false;
}

bool sim_guestmem_in_rxbuf(unsigned int nic, uint64_t iova)
{
	unsigned int i;

	if (nic >= SIM_MAX_NICS)
		return false;
	for (i = 0; i < guestmem[nic].n; i++)
		if (guestmem[nic].w[i].rxbuf && iova >= guestmem[nic].w[i].start &&
		    iova < guestmem[nic].w[i].end)
			return true;
	return false;
}
