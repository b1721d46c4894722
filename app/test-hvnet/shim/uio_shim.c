/* SPDX-License-Identifier: BSD-3-Clause */
/* LD_PRELOAD shim for the guest: /dev/uioN behaves as uio_hv_generic, served by the host. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "hv_wire.h"
#include "sim_env.h"

#define MAX_FD			65536	/* uio fds above this are refused (EMFILE) */
#define MAX_SLOTS		256	/* uio fds open at once */
#define MAX_UIO			64
#define OPEN_WAIT_NS		(10 * 1000000000ll)
#define OPEN_POLL_NS		200000
#define READ_WAIT_SEC		1
#define SHIM_PATH_MAX		512
#define DEV_UIO			"/dev/uio"

/* Not declared unless _FORTIFY_SOURCE is on; the guest's libraries may call them. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

struct uio_slot {
	int fd;
	unsigned int uio;
	unsigned int listener;	/* slot in ctl->listener: dups share their open's listener */
	uint32_t last_event;	/* event_count this fd has already reported */
	ino_t ino;		/* of the FIFO: tells a reused fd number from ours */
	bool used;
};

/* A channel's host->guest ring control page, mapped for the uio write's interrupt_mask. */
struct chan_map {
	uint16_t gen;		/* ctl->chan[].gen it was mapped for */
	bool mapped;
	volatile uint32_t *mask;
};

static int (*real_openat)(int, const char *, int, ...);
static int (*real_close)(int);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_write)(int, const void *, size_t);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
static int (*real_dup)(int);
static int (*real_dup3)(int, int, int);
static int (*real_dup2)(int, int);

static uint64_t fd_bits[MAX_FD / 64];
static struct uio_slot slots[MAX_SLOTS];
static struct sim_uio_ctl *ctls[MAX_UIO];
/* Fds of this process per listener: the open ends when its last fd closes. */
static uint16_t listener_refs[MAX_UIO][SIM_UIO_LISTENERS];
static struct chan_map chan_maps[MAX_UIO][SIM_MAX_CHANNELS];
static int chan_map_lock;
static struct sim_doorbell *doorbell;
static int table_lock;
static char sim_dir[SHIM_PATH_MAX / 2];
static pid_t host_pid;
static long page_size = 4096;

/* --- setup ------------------------------------------------------------------------------- */

static void resolve(void)
{
	/* Casting dlsym's object pointer to a function pointer is what POSIX asks for here. */
	real_openat = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat");
	real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
	real_read = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
	real_write = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	real_mmap = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(RTLD_NEXT, "mmap");
	real_dup = (int (*)(int))dlsym(RTLD_NEXT, "dup");
	real_dup2 = (int (*)(int, int))dlsym(RTLD_NEXT, "dup2");
	real_dup3 = (int (*)(int, int, int))dlsym(RTLD_NEXT, "dup3");
}

static void __attribute__((constructor)) shim_init(void)
{
	const char *dir = getenv(SIM_ENV_DIR);
	const char *pid = getenv(SIM_ENV_HOST_PID);

	resolve();
	if (dir != NULL && strlen(dir) < sizeof(sim_dir))
		memcpy(sim_dir, dir, strlen(dir) + 1);
	if (pid != NULL)
		host_pid = (pid_t)atoi(pid);
	if (sysconf(_SC_PAGESIZE) > 0)
		page_size = sysconf(_SC_PAGESIZE);
}

/* Calls that come before the constructor (other constructors) still find libc. */
#define REAL(fn) (real_##fn != NULL ? real_##fn : (resolve(), real_##fn))

/* --- fd tracking ------------------------------------------------------------------------- */

static void lock(void)
{
	unsigned int spins;

	for (spins = 0; __atomic_exchange_n(&table_lock, 1, __ATOMIC_ACQUIRE) != 0; spins++)
		if (spins > 1000)
			sched_yield();
}

static void unlock(void)
{
	__atomic_store_n(&table_lock, 0, __ATOMIC_RELEASE);
}

static inline bool is_uio_fd(int fd)
{
	return fd >= 0 && fd < MAX_FD &&
	       (__atomic_load_n(&fd_bits[fd / 64], __ATOMIC_RELAXED) >> (fd % 64)) & 1;
}

static void set_bit(int fd, bool on)
{
	uint64_t bit = 1ull << (fd % 64);

	if (on)
		__atomic_fetch_or(&fd_bits[fd / 64], bit, __ATOMIC_RELEASE);
	else
		__atomic_fetch_and(&fd_bits[fd / 64], ~bit, __ATOMIC_RELEASE);
}

/* Called with the lock held. */
static struct uio_slot *find_slot(int fd)
{
	unsigned int i;

	for (i = 0; i < MAX_SLOTS; i++)
		if (slots[i].used && slots[i].fd == fd)
			return &slots[i];
	return NULL;
}

static int track(int fd, unsigned int uio, unsigned int listener, uint32_t event)
{
	struct stat st;
	unsigned int i;

	if (fd < 0 || fd >= MAX_FD)
		return -EMFILE;
	if (fstat(fd, &st) < 0)
		return -errno;
	lock();
	for (i = 0; i < MAX_SLOTS && slots[i].used; i++)
		;
	if (i < MAX_SLOTS) {
		slots[i] = (struct uio_slot){ .fd = fd, .uio = uio, .listener = listener,
					      .last_event = event, .ino = st.st_ino, .used = true };
		listener_refs[uio][listener]++;
		set_bit(fd, true);
	}
	unlock();
	return i < MAX_SLOTS ? 0 : -EMFILE;
}

/*
 * Forget fd; returns its uio number or -1 when it was not tracked. *last is set when fd was
 * the last one of its listener in this process, *listener to that listener.
 */
static int untrack(int fd, unsigned int *listener, bool *last)
{
	struct uio_slot *s;
	int uio = -1;

	*last = false;
	lock();
	s = find_slot(fd);
	if (s != NULL) {
		uio = (int)s->uio;
		*listener = s->listener;
		*last = --listener_refs[s->uio][s->listener] == 0;
		s->used = false;
	}
	set_bit(fd, false);
	unlock();
	return uio;
}

static bool slot_of(int fd, struct uio_slot *out)
{
	struct uio_slot *s;

	lock();
	s = find_slot(fd);
	if (s != NULL)
		*out = *s;
	unlock();
	return s != NULL;
}

static void slot_seen(int fd, uint32_t event)
{
	struct uio_slot *s;

	lock();
	s = find_slot(fd);
	if (s != NULL)
		s->last_event = event;
	unlock();
}

static void forget(int fd);
static void forget_slot(int fd, bool put);

/*
 * The slot of a tracked fd that still is the file we opened. A uio fd closed behind our
 * back (close_range, a raw syscall) and reused by a socket or pipe is dropped here.
 */
static bool live_slot(int fd, struct uio_slot *out)
{
	struct stat st;
	int saved = errno;

	if (!slot_of(fd, out))
		return false;
	if (fstat(fd, &st) == 0 && st.st_ino == out->ino)
		return true;
	forget(fd);
	errno = saved;
	return false;
}

/* --- paths without stdio (async-signal-safe) --------------------------------------------- */

static char *put_str(char *p, char *end, const char *s)
{
	while (*s != '\0' && p < end)
		*p++ = *s++;
	return p;
}

static char *put_uint(char *p, char *end, unsigned int v)
{
	char digits[12];
	int n = 0;

	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n > 0 && p < end)
		*p++ = digits[--n];
	return p;
}

/* <dir>/uio/uio<N>.<suffix>[<k>] */
static int uio_path(char *buf, size_t len, unsigned int uio, const char *suffix, int k)
{
	char *p = buf, *end = buf + len - 1;

	p = put_str(p, end, sim_dir);
	p = put_str(p, end, "/" SIM_UIO_DIR "/uio");
	p = put_uint(p, end, uio);
	p = put_str(p, end, suffix);
	if (k >= 0)
		p = put_uint(p, end, (unsigned int)k);
	if (p >= end)
		return -ENAMETOOLONG;
	*p = '\0';
	return 0;
}

/* "/dev/uio<N>" -> N, or -1 for any other path. */
static int uio_number(const char *path)
{
	const char *p;
	unsigned int n = 0;

	if (path == NULL || sim_dir[0] == '\0' || strncmp(path, DEV_UIO, strlen(DEV_UIO)) != 0)
		return -1;
	p = path + strlen(DEV_UIO);
	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9' && n < MAX_UIO)
		n = n * 10 + (unsigned int)(*p++ - '0');
	return (*p == '\0' && n < MAX_UIO) ? (int)n : -1;
}

/* --- shared pages ------------------------------------------------------------------------ */

/*
 * Map the page of path that holds byte off (shared, read-write); returns a pointer to that
 * byte or NULL.
 */
static void *map_page_at(const char *path, off_t off)
{
	off_t base = off & ~((off_t)page_size - 1);
	uint8_t *p;
	int fd;

	fd = REAL(openat)(AT_FDCWD, path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	p = REAL(mmap)(NULL, (size_t)page_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, base);
	REAL(close)(fd);
	return p == MAP_FAILED ? NULL : p + (off - base);
}

/* Map a shared page once per process: the first caller's mapping wins. */
static void *map_once(void **slot, const char *path)
{
	void *p = __atomic_load_n(slot, __ATOMIC_ACQUIRE), *expect = NULL;

	if (p != NULL)
		return p;
	p = map_page_at(path, 0);
	if (p == NULL)
		return NULL;
	if (!__atomic_compare_exchange_n(slot, &expect, p, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		munmap(p, (size_t)page_size);
		return expect;
	}
	return p;
}

static struct sim_uio_ctl *ctl_page(unsigned int uio)
{
	struct sim_uio_ctl *ctl = __atomic_load_n(&ctls[uio], __ATOMIC_ACQUIRE);
	char path[SHIM_PATH_MAX];

	if (ctl != NULL)
		return ctl;
	if (uio_path(path, sizeof(path), uio, ".ctl", -1) < 0)
		return NULL;
	return map_once((void **)&ctls[uio], path);
}

/* Wake a host asleep on the doorbell: what the signal hypercall does on Hyper-V. */
static void ring_doorbell(void)
{
	char path[SHIM_PATH_MAX], *p = path, *end = path + sizeof(path) - 1;
	struct sim_doorbell *db = __atomic_load_n(&doorbell, __ATOMIC_ACQUIRE);

	if (db == NULL) {
		p = put_str(p, end, sim_dir);
		p = put_str(p, end, "/" SIM_UIO_DIR "/doorbell");
		if (p >= end)
			return;
		*p = '\0';
		db = map_once((void **)&doorbell, path);
		if (db == NULL)
			return;
	}
	__atomic_fetch_add(&db->ring, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &db->ring, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

static bool rescinded(const struct sim_uio_ctl *ctl)
{
	return __atomic_load_n(&ctl->rescinded, __ATOMIC_ACQUIRE) != 0;
}

static bool host_alive(void)
{
	int saved = errno;
	bool alive = host_pid <= 0 || kill(host_pid, 0) == 0 || errno == EPERM;

	errno = saved;
	return alive;
}

/* The process that opened the device first is gone without closing it. */
static bool holder_gone(const struct sim_uio_ctl *ctl)
{
	pid_t pid = (pid_t)__atomic_load_n(&ctl->guest_pid, __ATOMIC_ACQUIRE);
	int saved = errno;
	bool gone = pid > 0 && pid != getpid() && kill(pid, 0) < 0 && errno == ESRCH;

	errno = saved;
	return gone;
}

static void nap(long ns)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = ns };

	nanosleep(&ts, NULL);
}

/* Bounded wait for the host to acknowledge every open request made so far. */
static int wait_open_ack(struct sim_uio_ctl *ctl)
{
	long long waited;

	for (waited = 0; waited < OPEN_WAIT_NS; waited += OPEN_POLL_NS) {
		if (__atomic_load_n(&ctl->open_ack, __ATOMIC_ACQUIRE) ==
		    __atomic_load_n(&ctl->open_req, __ATOMIC_ACQUIRE))
			return 0;
		if (!host_alive())
			break;
		nap(OPEN_POLL_NS);
	}
	return -EIO;
}

static void put_count(struct sim_uio_ctl *ctl)
{
	uint32_t v = __atomic_load_n(&ctl->open_count, __ATOMIC_ACQUIRE);
	unsigned int tries;

	/* Never below zero: the host may have zeroed it after a holder vanished. */
	for (tries = 0; v != 0 && tries < 1000; tries++) {
		if (__atomic_compare_exchange_n(&ctl->open_count, &v, v - 1, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			if (v == 1)
				__atomic_fetch_add(&ctl->close_req, 1, __ATOMIC_RELEASE);
			return;
		}
	}
}

/* First open of the device in the guest: the host opens the primary channel. */
static int get_count(struct sim_uio_ctl *ctl)
{
	bool first;

	if (__atomic_load_n(&ctl->open_count, __ATOMIC_ACQUIRE) != 0 && holder_gone(ctl)) {
		__atomic_store_n(&ctl->open_count, 1, __ATOMIC_RELEASE);
		first = true;
	} else {
		first = __atomic_fetch_add(&ctl->open_count, 1, __ATOMIC_ACQ_REL) == 0;
	}
	if (first) {
		__atomic_store_n(&ctl->guest_pid, (int32_t)getpid(), __ATOMIC_RELEASE);
		__atomic_fetch_add(&ctl->open_req, 1, __ATOMIC_RELEASE);
	}
	if (wait_open_ack(ctl) < 0) {
		put_count(ctl);
		return -EIO;
	}
	return 0;
}

/* --- listeners -------------------------------------------------------------------------- */

/* Take a free listener slot of the device; its index or -1. */
static int listener_claim(struct sim_uio_ctl *ctl)
{
	unsigned int k;

	for (k = 0; k < SIM_UIO_LISTENERS; k++) {
		uint32_t free_state = SIM_LISTENER_FREE;

		if (__atomic_compare_exchange_n(&ctl->listener[k].state, &free_state,
						SIM_LISTENER_BUSY, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			return (int)k;
	}
	return -1;
}

/* The open behind listener k ended: its FIFO goes, the slot is free again. */
static void listener_release(struct sim_uio_ctl *ctl, unsigned int uio, unsigned int k)
{
	char path[SHIM_PATH_MAX];

	__atomic_store_n(&ctl->listener[k].state, SIM_LISTENER_BUSY, __ATOMIC_RELEASE);
	if (uio_path(path, sizeof(path), uio, ".evt", (int)k) == 0)
		unlink(path);
	__atomic_store_n(&ctl->listener[k].state, SIM_LISTENER_FREE, __ATOMIC_RELEASE);
}

/*
 * A new FIFO for listener k, opened as the fd handed out (read-write: its open never blocks);
 * the host writes a byte to it per interrupt once the slot is live.
 */
static int listener_fifo(struct sim_uio_ctl *ctl, unsigned int uio, unsigned int k, int flags)
{
	char path[SHIM_PATH_MAX];
	int fd;

	if (uio_path(path, sizeof(path), uio, ".evt", (int)k) < 0)
		return errno = ENAMETOOLONG, -1;
	unlink(path);
	if (mkfifo(path, 0600) < 0)
		return -1;
	fd = REAL(openat)(AT_FDCWD, path, O_RDWR | (flags & (O_CLOEXEC | O_NONBLOCK)));
	if (fd < 0)
		return -1;
	__atomic_fetch_add(&ctl->listener[k].gen, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&ctl->listener[k].pid, (int32_t)getpid(), __ATOMIC_RELEASE);
	__atomic_store_n(&ctl->listener[k].state, SIM_LISTENER_LIVE, __ATOMIC_RELEASE);
	return fd;
}

/* --- open / close / dup ------------------------------------------------------------------ */

/*
 * Empty the event FIFO without blocking; returns the bytes taken. They only make the fd poll
 * readable; the count itself is in the ctl page.
 */
static unsigned int drain_events(int fd)
{
	char sink[256];
	unsigned int total = 0;
	ssize_t n;
	int avail;

	while (ioctl(fd, FIONREAD, &avail) == 0 && avail > 0) {
		n = REAL(read)(fd, sink, (size_t)avail < sizeof(sink) ? (size_t)avail :
			       sizeof(sink));
		if (n <= 0)
			break;
		total += (unsigned int)n;
	}
	return total;
}

/*
 * Each open is its own listener, as with uio: the fd handed out is a FIFO of its own (the host
 * writes a byte to it per interrupt), so that poll and epoll on it work as on a real uio fd
 * and one open reading an interrupt never takes it from another. The ctl page is mapped
 * beside it.
 */
static int uio_open(unsigned int uio, int flags)
{
	struct sim_uio_ctl *ctl;
	int fd, rc, k;

	ctl = ctl_page(uio);
	if (ctl == NULL || ctl->magic != SIM_UIO_CTL_MAGIC || rescinded(ctl)) {
		errno = ENODEV;
		return -1;
	}
	k = listener_claim(ctl);
	if (k < 0) {
		errno = EMFILE;
		return -1;
	}
	fd = listener_fifo(ctl, uio, (unsigned int)k, flags);
	if (fd < 0) {
		rc = -errno;
		listener_release(ctl, uio, (unsigned int)k);
		errno = -rc;
		return -1;
	}
	/* Interrupts from here on are this open's: the count now is what it has seen. */
	rc = track(fd, uio, (unsigned int)k, __atomic_load_n(&ctl->event_count, __ATOMIC_ACQUIRE));
	if (rc == 0) {
		rc = get_count(ctl);
		if (rc < 0)
			forget_slot(fd, false);
	} else {
		listener_release(ctl, uio, (unsigned int)k);
	}
	if (rc < 0) {
		REAL(close)(fd);
		errno = -rc;
		return -1;
	}
	return fd;
}

static int open_common(int dirfd, const char *path, int flags, mode_t mode)
{
	int uio = uio_number(path);
	int fd;

	if (uio >= 0)
		return uio_open((unsigned int)uio, flags);
	fd = REAL(openat)(dirfd, path, flags, mode);
	/* A descriptor closed behind our back (close_range, libc internals) is reused here. */
	if (is_uio_fd(fd))
		forget_slot(fd, false);
	return fd;
}

static mode_t mode_arg(int flags, va_list ap)
{
	return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	return open_common(AT_FDCWD, path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	return open_common(AT_FDCWD, path, flags | O_LARGEFILE, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	return open_common(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	return open_common(dirfd, path, flags | O_LARGEFILE, mode);
}

int __open_2(const char *path, int flags)
{
	return open_common(AT_FDCWD, path, flags, 0);
}

int __open64_2(const char *path, int flags)
{
	return open_common(AT_FDCWD, path, flags | O_LARGEFILE, 0);
}

int __openat_2(int dirfd, const char *path, int flags)
{
	return open_common(dirfd, path, flags, 0);
}

int __openat64_2(int dirfd, const char *path, int flags)
{
	return open_common(dirfd, path, flags | O_LARGEFILE, 0);
}

/*
 * fd stops referring to the device: its listener ends with the last fd of it, and with put
 * the device's open count drops (the last one closes the channel).
 */
static void forget_slot(int fd, bool put)
{
	unsigned int listener = 0;
	struct sim_uio_ctl *ctl;
	bool last;
	int uio = untrack(fd, &listener, &last);

	if (uio < 0)
		return;
	ctl = __atomic_load_n(&ctls[uio], __ATOMIC_ACQUIRE);
	if (ctl == NULL)
		return;
	if (last)
		listener_release(ctl, (unsigned int)uio, listener);
	if (put)
		put_count(ctl);
}

static void forget(int fd)
{
	forget_slot(fd, true);
}

int close(int fd)
{
	if (is_uio_fd(fd))
		forget(fd);
	return REAL(close)(fd);
}

/* newfd became a copy of oldfd (a uio fd): it holds the device open too. */
static int track_copy(int oldfd, int newfd)
{
	struct uio_slot s;
	struct sim_uio_ctl *ctl;

	if (newfd < 0 || !slot_of(oldfd, &s))
		return newfd;
	ctl = __atomic_load_n(&ctls[s.uio], __ATOMIC_ACQUIRE);
	if (ctl == NULL || track(newfd, s.uio, s.listener, s.last_event) < 0) {
		REAL(close)(newfd);
		errno = EMFILE;
		return -1;
	}
	__atomic_fetch_add(&ctl->open_count, 1, __ATOMIC_ACQ_REL);
	return newfd;
}

int dup(int oldfd)
{
	return track_copy(oldfd, REAL(dup)(oldfd));
}

static int dup_onto(int oldfd, int newfd, int flags, bool three)
{
	int fd;

	if (oldfd == newfd)
		return three ? (errno = EINVAL, -1) : REAL(dup2)(oldfd, newfd);
	fd = three ? REAL(dup3)(oldfd, newfd, flags) : REAL(dup2)(oldfd, newfd);
	if (fd < 0)
		return fd;
	/* The old newfd was closed by the call. */
	if (is_uio_fd(newfd))
		forget(newfd);
	return is_uio_fd(oldfd) ? track_copy(oldfd, fd) : fd;
}

int dup2(int oldfd, int newfd)
{
	return dup_onto(oldfd, newfd, 0, false);
}

int dup3(int oldfd, int newfd, int flags)
{
	return dup_onto(oldfd, newfd, flags, true);
}

/* --- read / write / mmap ----------------------------------------------------------------- */

/*
 * Block until the host raised an interrupt this fd has not reported yet. The count is loaded
 * before the FIFO is drained: the host writes the byte before it counts, so a byte drained
 * here belongs to this count or to one the futex wait below sees at once. A byte drained with
 * the count unchanged (one written as the listener went live) is reported as an interrupt:
 * poll said readable, so read must not block, as with uio.
 */
static ssize_t uio_read(int fd, void *buf, size_t count)
{
	struct uio_slot s;
	struct sim_uio_ctl *ctl;
	int saved = errno;

	if (!live_slot(fd, &s))
		return REAL(read)(fd, buf, count);
	if (count != sizeof(int32_t))
		return errno = EINVAL, -1;
	ctl = __atomic_load_n(&ctls[s.uio], __ATOMIC_ACQUIRE);
	if (ctl == NULL)
		return errno = EBADF, -1;
	/* Each wait is bounded; the loop ends when the host does. */
	for (;;) {
		struct timespec ts = { .tv_sec = READ_WAIT_SEC };
		uint32_t cur = __atomic_load_n(&ctl->event_count, __ATOMIC_ACQUIRE);

		/* As uio_hv_generic after a rescind; the FIFO stays readable, as poll does. */
		if (rescinded(ctl))
			return errno = EIO, -1;
		if (drain_events(fd) != 0 || cur != s.last_event) {
			slot_seen(fd, cur);
			memcpy(buf, &cur, sizeof(cur));
			errno = saved;
			return sizeof(cur);
		}
		if (syscall(SYS_fcntl, fd, F_GETFL) & O_NONBLOCK)
			return errno = EAGAIN, -1;
		if (syscall(SYS_futex, &ctl->event_count, FUTEX_WAIT, cur, &ts, NULL, 0) < 0 &&
		    errno == EINTR)
			return -1;
		if (!host_alive())
			return errno = EIO, -1;
	}
}

ssize_t read(int fd, void *buf, size_t count)
{
	if (is_uio_fd(fd))
		return uio_read(fd, buf, count);
	return REAL(read)(fd, buf, count);
}

/* interrupt_mask of the host->guest ring in the ring pair file at path. */
static volatile uint32_t *map_ring_mask(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0 || st.st_size < 2 * (off_t)SIM_HV_PAGE)
		return NULL;
	return map_page_at(path, st.st_size / 2 + (off_t)offsetof(struct hv_ring_ctl,
								    interrupt_mask));
}

/* The ring pair file of channel i: map 0 for the primary, else channels/<relid>/ring. */
static int chan_ring_path(char *buf, size_t len, unsigned int uio,
			  const struct sim_uio_ctl *ctl, unsigned int i, uint32_t relid)
{
	char *p = buf, *end = buf + len - 1;
	char uuid[sizeof(ctl->uuid)];

	if (i == 0)
		return uio_path(buf, len, uio, ".map", 0);
	memcpy(uuid, ctl->uuid, sizeof(uuid));
	uuid[sizeof(uuid) - 1] = '\0';
	p = put_str(p, end, sim_dir);
	p = put_str(p, end, "/sys/bus/vmbus/devices/");
	p = put_str(p, end, uuid);
	p = put_str(p, end, "/channels/");
	p = put_uint(p, end, relid);
	p = put_str(p, end, "/ring");
	if (p >= end)
		return -ENAMETOOLONG;
	*p = '\0';
	return 0;
}

/*
 * Channel i's host->guest interrupt_mask, mapped once per offer of that channel. A mapping of
 * a channel that went away is left in place (a page per re-offer, a few in a test run): a
 * thread of the guest may still be writing through it.
 */
static volatile uint32_t *chan_mask(unsigned int uio, const struct sim_uio_ctl *ctl,
				    unsigned int i, uint32_t relid)
{
	struct chan_map *m = &chan_maps[uio][i];
	uint16_t gen = __atomic_load_n(&ctl->chan[i].gen, __ATOMIC_ACQUIRE);
	char path[SHIM_PATH_MAX];
	volatile uint32_t *mask = NULL;
	unsigned int spins;

	for (spins = 0; __atomic_exchange_n(&chan_map_lock, 1, __ATOMIC_ACQUIRE) != 0; spins++)
		if (spins > 1000)
			sched_yield();
	if (m->mapped && m->gen == gen) {
		mask = m->mask;
	} else if (chan_ring_path(path, sizeof(path), uio, ctl, i, relid) == 0) {
		mask = map_ring_mask(path);
		m->mask = mask;
		m->gen = gen;
		m->mapped = mask != NULL;
	}
	__atomic_store_n(&chan_map_lock, 0, __ATOMIC_RELEASE);
	return mask;
}

/*
 * uio_hv_generic's irqcontrol: v != 0 unmasks host->guest interrupts (interrupt_mask 0) and
 * signals the host (the kernel's hypercall) for a channel without monitor id; 0 masks them.
 * Which channels: the primary only before Linux d062463edf17, every channel since.
 */
static void kernel_irqcontrol(unsigned int uio, struct sim_uio_ctl *ctl, int32_t v)
{
	unsigned int n = ctl->kernel == SIM_KERNEL_PRIMARY ? 1 : SIM_MAX_CHANNELS, i;
	bool rang = false;

	for (i = 0; i < n; i++) {
		uint32_t relid = __atomic_load_n(&ctl->chan[i].relid, __ATOMIC_ACQUIRE);
		volatile uint32_t *mask;

		if (relid == 0)
			continue;
		mask = chan_mask(uio, ctl, i, relid);
		if (mask != NULL)
			__atomic_store_n(mask, v == 0 ? 1u : 0u, __ATOMIC_SEQ_CST);
		if (v != 0 && ctl->chan[i].monitor_id == SIM_NO_MONITOR) {
			__atomic_fetch_add(&ctl->chan_signals[i], 1, __ATOMIC_SEQ_CST);
			rang = true;
		}
	}
	if (rang)
		ring_doorbell();
}

static ssize_t uio_write(int fd, const void *buf, size_t count)
{
	struct sim_uio_ctl *ctl;
	struct uio_slot s;
	int32_t v;

	if (!live_slot(fd, &s))
		return REAL(write)(fd, buf, count);
	if (count != sizeof(v))
		return errno = EINVAL, -1;
	ctl = __atomic_load_n(&ctls[s.uio], __ATOMIC_ACQUIRE);
	if (ctl == NULL)
		return errno = EBADF, -1;
	if (rescinded(ctl))
		return errno = EIO, -1;
	memcpy(&v, buf, sizeof(v));
	__atomic_store_n(&ctl->irq_value, (uint32_t)v, __ATOMIC_RELEASE);
	__atomic_fetch_add(&ctl->irq_writes, 1, __ATOMIC_ACQ_REL);
	if (v != 0)
		__atomic_fetch_add(&ctl->signals, 1, __ATOMIC_ACQ_REL);
	kernel_irqcontrol(s.uio, ctl, v);
	return sizeof(v);
}

ssize_t write(int fd, const void *buf, size_t count)
{
	if (is_uio_fd(fd))
		return uio_write(fd, buf, count);
	return REAL(write)(fd, buf, count);
}

/* Map K of the device is selected by the file offset K * page size, as with real uio. */
static void *uio_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct sim_uio_ctl *ctl;
	char path[SHIM_PATH_MAX];
	struct uio_slot s;
	struct stat st;
	void *p = MAP_FAILED;
	int mfd, err = EINVAL;

	if (!live_slot(fd, &s))
		return REAL(mmap)(addr, len, prot, flags, fd, off);
	ctl = __atomic_load_n(&ctls[s.uio], __ATOMIC_ACQUIRE);
	if (ctl == NULL || rescinded(ctl))
		return errno = ENODEV, MAP_FAILED;
	if (off < 0 || off % page_size != 0 || off / page_size >= SIM_UIO_NMAPS)
		return errno = EINVAL, MAP_FAILED;
	if (uio_path(path, sizeof(path), s.uio, ".map", (int)(off / page_size)) < 0)
		return errno = ENAMETOOLONG, MAP_FAILED;
	mfd = REAL(openat)(AT_FDCWD, path, O_RDWR | O_CLOEXEC);
	if (mfd < 0)
		return errno = ENODEV, MAP_FAILED;
	if (fstat(mfd, &st) == 0 && len != 0 && len <= (size_t)st.st_size) {
		p = REAL(mmap)(addr, len, prot, flags, mfd, 0);
		err = errno;
	}
	REAL(close)(mfd);
	errno = err;
	return p;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (is_uio_fd(fd))
		return uio_mmap(addr, len, prot, flags, fd, off);
	return REAL(mmap)(addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
	return mmap(addr, len, prot, flags, fd, (off_t)off);
}
