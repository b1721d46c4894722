/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A queue of descriptor indices with one producer and one consumer at a time, for what the
 * channel's reader hands a tx queue (completed descriptors): a put is a store and a release
 * of the producer index, a take one acquire and a burst of loads. The producer may be any
 * thread that holds the channel's rx lock (the lock orders them); the consumer is the tx
 * queue's burst. Its size is a power of two at least the number of descriptors, each of which
 * is in it at most once: a put never finds it full. The two indices are on lines of their
 * own, written by different lcores.
 */
#ifndef HVNET_IDXQ_H
#define HVNET_IDXQ_H

#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_malloc.h>

struct hvnet_idxq {
	uint32_t head __rte_cache_aligned;	/* the producer's: next slot to fill */
	uint32_t tail __rte_cache_aligned;	/* the consumer's: next slot to take */
	uint32_t mask __rte_cache_aligned;	/* read-only from here on */
	uint32_t slot[];
};

_Static_assert(offsetof(struct hvnet_idxq, head) / RTE_CACHE_LINE_SIZE !=
	       offsetof(struct hvnet_idxq, tail) / RTE_CACHE_LINE_SIZE,
	       "producer and consumer indices share a line");

/* A queue for indices below n (n >= 1), empty; NULL without memory. */
static inline struct hvnet_idxq *
hvnet_idxq_create(uint32_t n, int socket)
{
	uint32_t size = rte_align32pow2(n);
	struct hvnet_idxq *q;

	q = rte_zmalloc_socket("hvnet_idxq", sizeof(*q) + (size_t)size * sizeof(q->slot[0]),
			       RTE_CACHE_LINE_SIZE, socket);
	if (q != NULL)
		q->mask = size - 1;
	return q;
}

static inline void
hvnet_idxq_put(struct hvnet_idxq *q, uint32_t idx)
{
	uint32_t head = q->head;

	q->slot[head & q->mask] = idx;
	__atomic_store_n(&q->head, head + 1, __ATOMIC_RELEASE);
}

/* Up to max indices into out, oldest first; returns how many. */
static inline uint32_t
hvnet_idxq_take(struct hvnet_idxq *q, uint32_t *out, uint32_t max)
{
	uint32_t tail = q->tail, n, i;

	n = RTE_MIN(__atomic_load_n(&q->head, __ATOMIC_ACQUIRE) - tail, max);
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		out[i] = q->slot[(tail + i) & q->mask];
	__atomic_store_n(&q->tail, tail + n, __ATOMIC_RELEASE);
	return n;
}

/* Indices in the queue now (a snapshot, for statistics). */
static inline uint32_t
hvnet_idxq_count(const struct hvnet_idxq *q)
{
	return __atomic_load_n(&q->head, __ATOMIC_RELAXED) -
	       __atomic_load_n(&q->tail, __ATOMIC_RELAXED);
}

#endif /* HVNET_IDXQ_H */
