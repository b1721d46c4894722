/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit test of hvnet_isolation.h without EAL: Hyper-V's CPUID leaves written as the driver's
 * test hook reads them (<root>/cpuid/<leaf>), for an isolated VM of each type, a plain
 * Hyper-V VM, another hypervisor and missing leaves; then this machine's own answer through
 * the instruction.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "hvnet_isolation.h"

static char root[64];

static void
leaf_file(uint32_t leaf, const struct hvnet_cpuid *r)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/cpuid/%08x", root, leaf);
	unlink(path);
	if (r == NULL)
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && write(fd, r, sizeof(*r)) == sizeof(*r), "write %s", path);
	if (fd >= 0)
		close(fd);
}

/* The three leaves; short_file: the isolation leaf is missing. */
static void
write_leaves(const char *vendor, uint32_t max_leaf, uint32_t privileges, uint32_t isolation,
	     bool short_file)
{
	struct hvnet_cpuid v = { .eax = max_leaf }, f = { .ebx = privileges };
	struct hvnet_cpuid iso = { .ebx = isolation };

	memcpy(&v.ebx, vendor, 4);
	memcpy(&v.ecx, vendor + 4, 4);
	memcpy(&v.edx, vendor + 8, 4);
	leaf_file(HVNET_CPUID_HV_VENDOR, &v);
	leaf_file(HVNET_CPUID_HV_FEATURES, &f);
	leaf_file(HVNET_CPUID_HV_ISOLATION, short_file ? NULL : &iso);
}

int
main(void)
{
	char dir[128];

	snprintf(root, sizeof(root), "/tmp/hvnet-iso-%d", (int)getpid());
	snprintf(dir, sizeof(dir), "%s/cpuid", root);
	CHECK(mkdir(root, 0700) == 0 && mkdir(dir, 0700) == 0, "make %s", dir);

	write_leaves("Microsoft Hv", 0x4000000c, HVNET_HV_PRIV_ISOLATION, 0xbe2, false);
	CHECK(hvnet_isolation_detect(root) == HVNET_ISOLATION_SNP, "SEV-SNP isolated VM");
	write_leaves("Microsoft Hv", 0x40000010, HVNET_HV_PRIV_ISOLATION | 0x2fff, 0xbe3, false);
	CHECK(hvnet_isolation_detect(root) == HVNET_ISOLATION_TDX, "TDX isolated VM");
	write_leaves("Microsoft Hv", 0x4000000c, HVNET_HV_PRIV_ISOLATION, 0x1, false);
	CHECK(hvnet_isolation_detect(root) == HVNET_ISOLATION_VBS, "VBS isolated VM");
	write_leaves("Microsoft Hv", 0x4000000c, 0x2fff, 0xbe2, false);
	CHECK(hvnet_isolation_detect(root) == HVNET_ISOLATION_NONE,
	      "no isolation privilege: the type leaf is not looked at");
	write_leaves("Microsoft Hv", 0x4000000b, HVNET_HV_PRIV_ISOLATION, 0xbe2, false);
	CHECK(hvnet_isolation_detect(root) == HVNET_ISOLATION_NONE,
	      "a hypervisor without the isolation leaf");
	write_leaves("KVMKVMKVM\0\0\0", 0x4000000c, HVNET_HV_PRIV_ISOLATION, 0xbe2, false);
	CHECK(hvnet_isolation_detect(root) == HVNET_ISOLATION_NONE, "not Hyper-V");
	write_leaves("Microsoft Hv", 0x4000000c, HVNET_HV_PRIV_ISOLATION, 0, true);
	CHECK(hvnet_isolation_detect(root) == -ENOENT, "isolation leaf missing: unknown");
	leaf_file(HVNET_CPUID_HV_VENDOR, NULL);
	leaf_file(HVNET_CPUID_HV_FEATURES, NULL);
	CHECK(hvnet_isolation_detect(root) == -ENOENT, "no leaves: unknown");

	/* This machine, by the instruction: an answer, whatever it is. */
	printf("this machine: isolation type %d\n", hvnet_isolation_detect(NULL));
#if defined(__x86_64__)
	CHECK(hvnet_isolation_detect(NULL) >= 0, "the instruction always answers on x86-64");
#endif
	rmdir(dir);
	rmdir(root);
	return check_done("hvnet-isolation");
}
