/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which cache lines each burst writes (devtools/cache-lines.sh, issue 13's goal 3): the
 * benchmark's burst pairs on every queue in turn, with every page of the drivers' state made
 * read-only while they run. Each write faults once: the handler notes the address and the
 * phase (rx or tx burst of queue q, or the host model), lets that one instruction through
 * (single step) and protects the page again. Atomics and inline assembly (the locks) are
 * caught as any store. The pages: every allocation the driver and bus code make (their
 * allocators are wrapped, -Wl,--wrap, so the calls come here first), the control pages of the
 * rings, the monitor and interrupt pages, and the program's own data (the guests' device
 * structs are statics). Printed for lines.py: what lies where, then every write.
 *
 * x86-64 only (the trap flag). Usage: insn-lines-<driver> <queues> [EAL options]
 */

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memzone.h>
#include <rte_ring.h>

#include "bench.h"

#define LINES_K		8u	/* frames per burst: where the per-burst state weighs most */
#define LINES_WARM	16u	/* burst pairs per queue before the traced ones */
#define LINES_ITERS	32u	/* traced burst pairs per queue */
#define RX_ROOM		32u
#define MAX_ALLOCS	512u
#define MAX_PAGES	4096u
#define MAX_STORES	(1u << 20)
#define MAX_OPEN	8u	/* pages one instruction may have opened */
#define STACK_BELOW	(8u << 20)	/* the stack below main's frame that the bursts may use */
#define TRAP_FLAG	0x100u

enum phase { PHASE_HOST = 2 * BENCH_MAX_QUEUES, PHASE_OFF };

struct store_rec {
	uintptr_t addr;
	uint8_t phase;
};

/* All the handlers touch: mapped apart, never on a page they protect. */
struct tracker {
	volatile unsigned int phase;	/* 2q: rx of queue q, 2q + 1: its tx */
	long page;
	unsigned int nb_pages;
	uintptr_t pages[MAX_PAGES];	/* sorted */
	unsigned int nb_open;
	uintptr_t open[MAX_OPEN];
	size_t nb_stores;
	size_t lost;
	struct store_rec stores[MAX_STORES];
};

static struct tracker *tk;

struct alloc_rec {
	const char *kind;
	uintptr_t caller;	/* return address, as an offset in the executable */
	uintptr_t start;
	size_t len;
};

static struct alloc_rec allocs[MAX_ALLOCS];
static unsigned int nb_allocs;
extern const char __executable_start[];

static void
record(const char *kind, const void *caller, const void *p, size_t len)
{
	if (p == NULL || nb_allocs == MAX_ALLOCS)
		return;
	allocs[nb_allocs++] = (struct alloc_rec){
		.kind = kind,
		.caller = (uintptr_t)caller - (uintptr_t)__executable_start,
		.start = (uintptr_t)p,
		.len = len,
	};
}

#define WRAP_ALLOC(ret, fn, params, args, len)						\
ret __real_##fn params;									\
ret __wrap_##fn params;									\
ret __wrap_##fn params									\
{											\
	ret p = __real_##fn args;							\
											\
	record(#fn, __builtin_return_address(0), p, len);				\
	return p;									\
}

WRAP_ALLOC(void *, rte_malloc, (const char *t, size_t s, unsigned int a), (t, s, a), s)
WRAP_ALLOC(void *, rte_zmalloc, (const char *t, size_t s, unsigned int a), (t, s, a), s)
WRAP_ALLOC(void *, rte_calloc, (const char *t, size_t n, size_t s, unsigned int a),
	   (t, n, s, a), n * s)
WRAP_ALLOC(void *, rte_malloc_socket, (const char *t, size_t s, unsigned int a, int k),
	   (t, s, a, k), s)
WRAP_ALLOC(void *, rte_zmalloc_socket, (const char *t, size_t s, unsigned int a, int k),
	   (t, s, a, k), s)
WRAP_ALLOC(void *, rte_calloc_socket,
	   (const char *t, size_t n, size_t s, unsigned int a, int k), (t, n, s, a, k), n * s)

static void
record_mz(const char *kind, const void *caller, const struct rte_memzone *mz)
{
	if (mz != NULL)
		record(kind, caller, mz->addr, mz->len);
}

struct rte_ring *__real_rte_ring_create(const char *name, unsigned int count, int socket,
					unsigned int flags);
struct rte_ring *__wrap_rte_ring_create(const char *name, unsigned int count, int socket,
					unsigned int flags);
struct rte_ring *
__wrap_rte_ring_create(const char *name, unsigned int count, int socket, unsigned int flags)
{
	struct rte_ring *r = __real_rte_ring_create(name, count, socket, flags);

	if (r != NULL)
		record_mz("rte_ring_create", __builtin_return_address(0), r->memzone);
	return r;
}

struct rte_ring *__real_rte_ring_create_elem(const char *name, unsigned int esize,
					     unsigned int count, int socket, unsigned int flags);
struct rte_ring *__wrap_rte_ring_create_elem(const char *name, unsigned int esize,
					     unsigned int count, int socket, unsigned int flags);
struct rte_ring *
__wrap_rte_ring_create_elem(const char *name, unsigned int esize, unsigned int count,
			    int socket, unsigned int flags)
{
	struct rte_ring *r = __real_rte_ring_create_elem(name, esize, count, socket, flags);

	if (r != NULL)
		record_mz("rte_ring_create_elem", __builtin_return_address(0), r->memzone);
	return r;
}

const struct rte_memzone *__real_rte_memzone_reserve_aligned(const char *name, size_t len,
							    int socket, unsigned int flags,
							    unsigned int align);
const struct rte_memzone *__wrap_rte_memzone_reserve_aligned(const char *name, size_t len,
							    int socket, unsigned int flags,
							    unsigned int align);
const struct rte_memzone *
__wrap_rte_memzone_reserve_aligned(const char *name, size_t len, int socket, unsigned int flags,
				   unsigned int align)
{
	const struct rte_memzone *mz = __real_rte_memzone_reserve_aligned(name, len, socket, flags,
									  align);

	record_mz("rte_memzone_reserve_aligned", __builtin_return_address(0), mz);
	return mz;
}

struct pool_rec {
	const void *caller;
};

static void
record_pool_mem(struct rte_mempool *mp, void *opaque, struct rte_mempool_memhdr *memhdr,
		unsigned int idx)
{
	const struct pool_rec *r = opaque;

	RTE_SET_USED(mp);
	RTE_SET_USED(idx);
	record("rte_mempool_create", r->caller, memhdr->addr, memhdr->len);
}

/* A driver's own pool (upstream's tx descriptors): its objects, header and ring. */
#define POOL_PARAMS const char *name, unsigned int n, unsigned int elt_size,		\
	unsigned int cache_size, unsigned int private_data_size, rte_mempool_ctor_t *mp_init, \
	void *mp_init_arg, rte_mempool_obj_cb_t *obj_init, void *obj_init_arg, int socket_id,	\
	unsigned int flags
struct rte_mempool *__real_rte_mempool_create(POOL_PARAMS);
struct rte_mempool *__wrap_rte_mempool_create(POOL_PARAMS);
struct rte_mempool *
__wrap_rte_mempool_create(POOL_PARAMS)
{
	struct pool_rec r = { __builtin_return_address(0) };
	struct rte_mempool *mp = __real_rte_mempool_create(name, n, elt_size, cache_size,
							   private_data_size, mp_init,
							   mp_init_arg, obj_init, obj_init_arg,
							   socket_id, flags);

	if (mp == NULL)
		return NULL;
	record_mz("rte_mempool_create", r.caller, mp->mz);
	rte_mempool_mem_iter(mp, record_pool_mem, &r);
	if (strncmp(rte_mempool_get_ops(mp->ops_index)->name, "ring", 4) == 0)
		record_mz("rte_mempool_create", r.caller,
			  ((const struct rte_ring *)mp->pool_data)->memzone);
	return mp;
}

static void
region(const char *name, const void *start, size_t len)
{
	printf("region %s %#" PRIxPTR " %zu\n", name, (uintptr_t)start, len);
}

static void
region_mbufs(struct rte_mempool *mp, void *opaque, struct rte_mempool_memhdr *memhdr,
	     unsigned int idx)
{
	RTE_SET_USED(mp);
	RTE_SET_USED(opaque);
	RTE_SET_USED(idx);
	region("mbufs", memhdr->addr, memhdr->len);
}

/* Everything lines.py needs to name a line: shared memory, pool, stack, allocations. */
static void
print_map(const struct bench_env *env, const void *stack_top)
{
	const struct rte_ring *pool = env->mp->pool_data;
	unsigned int q, i;
	char name[32];

	for (q = 0; q < env->nb_queues; q++) {
		snprintf(name, sizeof(name), "ring%u-guest-to-host", q);
		region(name, env->ring[q], BENCH_RING_BYTES / 2);
		snprintf(name, sizeof(name), "ring%u-host-to-guest", q);
		region(name, env->ring[q] + BENCH_RING_BYTES / 2, BENCH_RING_BYTES / 2);
	}
	region("receive-buffer", env->rxbuf, (size_t)BENCH_RX_SECTIONS * BENCH_RX_SECTION);
	region("send-buffer", env->sendbuf, (size_t)BENCH_TX_SECTIONS * BENCH_TX_SECTION);
	region("monitor-page", env->monitor, sizeof(*env->monitor));
	region("interrupt-page", env->int_page, 4096);
	rte_mempool_mem_iter(env->mp, region_mbufs, NULL);
	region("mempool", env->mp->mz->addr, env->mp->mz->len);
	region("mempool", pool->memzone->addr, pool->memzone->len);
	region("stack", (const uint8_t *)stack_top - STACK_BELOW, STACK_BELOW + 4096);
	for (i = 0; i < nb_allocs; i++)
		printf("alloc %s %#" PRIxPTR " %#" PRIxPTR " %zu\n", allocs[i].kind,
		       allocs[i].caller, allocs[i].start, allocs[i].len);
	printf("base %#" PRIxPTR "\n", (uintptr_t)__executable_start);
	printf("frames %u\n", LINES_ITERS * LINES_K);
}

static void
add_pages(const void *start, size_t len)
{
	uintptr_t p = (uintptr_t)start & ~(uintptr_t)(tk->page - 1);
	uintptr_t end = (uintptr_t)start + len;

	for (; p < end && tk->nb_pages < MAX_PAGES; p += (uintptr_t)tk->page)
		tk->pages[tk->nb_pages++] = p;
}

static int
page_cmp(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

/* The pages to watch, sorted and each once: see the comment at the top. */
static void
watch_pages(const struct bench_env *env)
{
	extern char __data_start[], _end[];
	unsigned int i, n = 0;
	uintptr_t a;
	bool big;

	for (i = 0; i < nb_allocs; i++) {
		a = allocs[i].start;
		big = a == (uintptr_t)env->rxbuf || a == (uintptr_t)env->sendbuf;
		for (n = 0; n < env->nb_queues; n++)
			big = big || a == (uintptr_t)env->ring[n];
		if (!big)
			add_pages((const void *)a, allocs[i].len);
	}
	for (n = 0; n < env->nb_queues; n++) {
		add_pages(env->ring[n], HV_RING_CTL_SIZE);
		add_pages(env->ring[n] + BENCH_RING_BYTES / 2, HV_RING_CTL_SIZE);
	}
	add_pages(__data_start, (size_t)(_end - __data_start));
	qsort(tk->pages, tk->nb_pages, sizeof(tk->pages[0]), page_cmp);
	for (i = 0, n = 0; i < tk->nb_pages; i++)
		if (n == 0 || tk->pages[i] != tk->pages[n - 1])
			tk->pages[n++] = tk->pages[i];
	tk->nb_pages = n;
}

static bool
watched(uintptr_t page)
{
	return bsearch(&page, tk->pages, tk->nb_pages, sizeof(page), page_cmp) != NULL;
}

static int
protect(int prot)
{
	unsigned int i;

	for (i = 0; i < tk->nb_pages; i++)
		if (mprotect((void *)tk->pages[i], (size_t)tk->page, prot) != 0)
			return -1;
	return 0;
}

/* A write to a watched page: note it, open the page, step over the one instruction. */
static void
on_fault(int sig, siginfo_t *si, void *ctx)
{
	uintptr_t addr = (uintptr_t)si->si_addr;
	uintptr_t page = addr & ~(uintptr_t)(tk->page - 1);
	ucontext_t *uc = ctx;

	if (!watched(page) || tk->nb_open == MAX_OPEN) {
		signal(sig, SIG_DFL);	/* a real fault: let it happen */
		return;
	}
	if (tk->nb_stores < MAX_STORES)
		tk->stores[tk->nb_stores++] = (struct store_rec){ addr, (uint8_t)tk->phase };
	else
		tk->lost++;
	mprotect((void *)page, (size_t)tk->page, PROT_READ | PROT_WRITE);
	tk->open[tk->nb_open++] = page;
	uc->uc_mcontext.gregs[REG_EFL] |= TRAP_FLAG;
}

/* The instruction is done: watch its pages again. */
static void
on_step(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	RTE_SET_USED(sig);
	RTE_SET_USED(si);
	while (tk->nb_open != 0)
		mprotect((void *)tk->open[--tk->nb_open], (size_t)tk->page, PROT_READ);
	uc->uc_mcontext.gregs[REG_EFL] &= ~(greg_t)TRAP_FLAG;
}

static int
tracker_init(void)
{
	struct sigaction sa;

	tk = mmap(NULL, sizeof(*tk), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (tk == MAP_FAILED)
		return -1;
	tk->page = sysconf(_SC_PAGESIZE);
	tk->phase = PHASE_OFF;
	memset(&sa, 0, sizeof(sa));
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sa.sa_sigaction = on_fault;
	if (sigaction(SIGSEGV, &sa, NULL) != 0)
		return -1;
	sa.sa_sigaction = on_step;
	return sigaction(SIGTRAP, &sa, NULL);
}

static int
burst_pair(unsigned int q)
{
	struct rte_mbuf *pkts[RX_ROOM];
	uint16_t n, sent;

	tk->phase = PHASE_HOST;
	if (host_produce(q, LINES_K) != 0)
		return -1;
	tk->phase = 2 * q;
	n = guest_rx(q, pkts, RX_ROOM);
	tk->phase = 2 * q + 1;
	sent = guest_tx(q, pkts, n);
	tk->phase = PHASE_HOST;
	if (sent < n)
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	host_consume(q);
	return n == LINES_K && sent == n ? 0 : -1;
}

static int
traced_run(unsigned int nb_queues)
{
	unsigned int i;
	int rc = 0;

	if (protect(PROT_READ) != 0) {
		perror("insn-lines: mprotect");
		return -1;
	}
	for (i = 0; i < LINES_ITERS * nb_queues && rc == 0; i++)
		rc = burst_pair(i % nb_queues);
	tk->phase = PHASE_OFF;
	if (protect(PROT_READ | PROT_WRITE) != 0) {
		perror("insn-lines: mprotect");
		return -1;
	}
	return rc;
}

int
main(int argc, char **argv)
{
	struct bench_env env;
	unsigned int i;
	size_t k;

	if (tracker_init() != 0 || bench_setup(argc, argv, &env) != 0)
		return 1;
	guest_set_ptypes(false);	/* as testpmd sets the port */
	for (i = 0; i < LINES_WARM * env.nb_queues; i++)
		if (burst_pair(i % env.nb_queues) != 0)
			goto short_burst;
	watch_pages(&env);
	if (traced_run(env.nb_queues) != 0)
		goto short_burst;
	print_map(&env, __builtin_frame_address(0));
	for (k = 0; k < tk->nb_stores; k++)
		if (tk->stores[k].phase < PHASE_HOST)
			printf("store %s%u %#" PRIxPTR "\n",
			       tk->stores[k].phase % 2 == 0 ? "rx" : "tx",
			       tk->stores[k].phase / 2, tk->stores[k].addr);
	printf("lines: %u burst pairs of %u frames on %u queue(s), %u pages watched, "
	       "%zu writes seen, %zu not kept\n", LINES_ITERS * env.nb_queues, LINES_K,
	       env.nb_queues, tk->nb_pages, tk->nb_stores, tk->lost);
	return tk->lost == 0 ? 0 : 1;
short_burst:
	fprintf(stderr, "insn-lines: a burst pair did not move all %u frames\n", LINES_K);
	return 1;
}
