/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Whether this guest is a Hyper-V isolated VM (a confidential VM: SEV-SNP, TDX, or VBS
 * isolation), as the hypervisor tells the guest and Linux reads it: Hyper-V's CPUID leaves.
 * Linux keeps the answer in the kernel (ms_hyperv.isolation_config_b, hv_is_isolation_
 * supported(), cc_platform_has()) and has no sysfs or /proc file for it; in paravisor mode the
 * SEV-SNP and TDX CPUID flags are hidden, so /proc/cpuinfo does not show it either. User space
 * reads the same leaves Linux does (systemd-detect-virt --cvm does too), with the CPUID
 * instruction, which needs no privilege and no module.
 *
 * No EAL here, only libc: tests/test_isolation.c drives it on leaves of its own. The driver
 * asks the instruction, or, when the environment variable HVNET_SYSROOT_ENV names a directory
 * (tests only: the simulated host's scenarios), the files <dir>/cpuid/<leaf in hex>, 16 bytes
 * each: eax, ebx, ecx, edx.
 */
#ifndef HVNET_ISOLATION_H
#define HVNET_ISOLATION_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#define HVNET_SYSROOT_ENV		"HVNET_SYSROOT"
#define HVNET_CPUID_HV_VENDOR		0x40000000u	/* max leaf, "Microsoft Hv" */
#define HVNET_CPUID_HV_FEATURES		0x40000003u	/* EBX: partition privileges */
#define HVNET_CPUID_HV_ISOLATION	0x4000000cu	/* EBX bits 0-3: isolation type */
#define HVNET_HV_PRIV_ISOLATION		(1u << 22)
#define HVNET_HV_ISOLATION_TYPE_MASK	0xfu

/* Isolation types (Hyper-V TLFS; Linux's enum hv_isolation_type). */
enum hvnet_isolation {
	HVNET_ISOLATION_NONE = 0,
	HVNET_ISOLATION_VBS = 1,
	HVNET_ISOLATION_SNP = 2,
	HVNET_ISOLATION_TDX = 3,
};

struct hvnet_cpuid {
	uint32_t eax;
	uint32_t ebx;
	uint32_t ecx;
	uint32_t edx;
};

/* One CPUID leaf (subleaf 0) into *r: 0, or a negative errno when it cannot be read. */
typedef int (*hvnet_cpuid_fn)(void *arg, uint32_t leaf, struct hvnet_cpuid *r);

/*
 * The isolation type the hypervisor reports (HVNET_ISOLATION_*, 0 when not isolated or not
 * Hyper-V), or a negative errno when the leaves cannot be read.
 */
static inline int
hvnet_isolation_type(hvnet_cpuid_fn cpuid, void *arg)
{
	static const char hv_sig[12] = { 'M', 'i', 'c', 'r', 'o', 's', 'o', 'f', 't', ' ',
					 'H', 'v' };
	struct hvnet_cpuid r;
	char sig[12];
	int rc;

	rc = cpuid(arg, HVNET_CPUID_HV_VENDOR, &r);
	if (rc < 0)
		return rc;
	memcpy(sig, &r.ebx, 4);
	memcpy(sig + 4, &r.ecx, 4);
	memcpy(sig + 8, &r.edx, 4);
	if (memcmp(sig, hv_sig, sizeof(sig)) != 0 || r.eax < HVNET_CPUID_HV_ISOLATION)
		return HVNET_ISOLATION_NONE;
	rc = cpuid(arg, HVNET_CPUID_HV_FEATURES, &r);
	if (rc < 0)
		return rc;
	if (!(r.ebx & HVNET_HV_PRIV_ISOLATION))
		return HVNET_ISOLATION_NONE;
	rc = cpuid(arg, HVNET_CPUID_HV_ISOLATION, &r);
	if (rc < 0)
		return rc;
	return (int)(r.ebx & HVNET_HV_ISOLATION_TYPE_MASK);
}

/* hvnet_cpuid_fn over a directory of leaf files (arg: its path). */
static inline int
hvnet_cpuid_from_dir(void *arg, uint32_t leaf, struct hvnet_cpuid *r)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%08x", (const char *)arg, leaf) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, r, sizeof(*r));
	close(fd);
	return n == (ssize_t)sizeof(*r) ? 0 : -EIO;
}

/* hvnet_cpuid_fn of the instruction itself; -ENOTSUP off x86. */
static inline int
hvnet_cpuid_insn(void *arg, uint32_t leaf, struct hvnet_cpuid *r)
{
	(void)arg;
#if defined(__x86_64__) || defined(__i386__)
	__cpuid_count(leaf, 0, r->eax, r->ebx, r->ecx, r->edx);
	return 0;
#else
	(void)leaf;
	memset(r, 0, sizeof(*r));
	return -ENOTSUP;
#endif
}

/*
 * The isolation type of this guest: from the leaf files in <root>/cpuid when root is not NULL,
 * else the CPUID instruction. Same returns as hvnet_isolation_type().
 */
static inline int
hvnet_isolation_detect(const char *root)
{
	char dir[PATH_MAX];

	if (root == NULL)
		return hvnet_isolation_type(hvnet_cpuid_insn, NULL);
	if (snprintf(dir, sizeof(dir), "%s/cpuid", root) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	return hvnet_isolation_type(hvnet_cpuid_from_dir, dir);
}

#endif /* HVNET_ISOLATION_H */
