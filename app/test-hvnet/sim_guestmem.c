/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The guest's shared memory, mapped into the host the way a hypervisor sees guest memory: a
 * GPA-direct read inside it is a copy, not a system call per frame. DPDK's --no-huge memory is
 * one memfd named "nohuge", sized once and mapped shared for the life of the process: every
 * mbuf lies in it. Only that memfd is taken: never hugepage memory (files or --in-memory
 * memfds), where DPDK punches holes and maps anew, and a read of a hole would fault here. The
 * guest is trusted not to shrink it (a read past its end would be SIGBUS). What lies outside
 * is read as before (sim_env.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim_env.h"

#define GUESTMEM_MAX_WINDOWS	8
#define GUESTMEM_MAPS_LINES	100000	/* bound on the lines of /proc/<pid>/maps read */

struct guestmem_window {
	uint64_t start, end;	/* the guest's addresses (IOVA as VA) */
	const uint8_t *map;	/* the host's read-only view of [start, end) */
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

/* One line of /proc/<pid>/maps: DPDK's shared "nohuge" memfd becomes a window. */
static void map_line(unsigned int nic, pid_t pid, const char *line)
{
	char perms[5], path[256] = "", file[64];
	uint64_t start, end, off;
	struct guestmem_window *w;
	struct stat st;
	void *map;
	int fd;

	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %*s %*s %255s", &start, &end,
		   perms, &off, path) != 5 || perms[3] != 's' ||
	    strcmp(path, "/memfd:nohuge") != 0 || end <= start ||
	    guestmem[nic].n == GUESTMEM_MAX_WINDOWS)
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
}

unsigned int sim_guestmem_attach(unsigned int nic, pid_t pid)
{
	char file[64], line[512];
	unsigned int lines = 0;
	FILE *f;

	if (nic >= SIM_MAX_NICS)
		return 0;
	sim_guestmem_detach(nic);
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
		map_line(nic, pid, line);
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
