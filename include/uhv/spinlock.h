/* A test-and-set spinlock with pause. Fair enough for uhv's few, short critical sections (the
 * console); test-and-set rather than tickets so that the panic path can break it: a CPU that
 * died or was stopped while holding a lock must not silence the one reporting the panic. uhv
 * runs with interrupts off, so there are no irqsave variants; an NMI handler must not take a
 * lock its CPU may hold (the console lock's users check the owner first, lib/log.c). */
#ifndef UHV_SPINLOCK_H
#define UHV_SPINLOCK_H

#include <uhv/types.h>
#include <uhv/cpu.h>
#include <uhv/timer.h>

struct spinlock {
	volatile u32 locked;
};

#define SPINLOCK_INIT { 0 }

static inline bool spin_trylock(struct spinlock *l)
{
	return !__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE);
}

static inline void spin_lock(struct spinlock *l)
{
	while (!spin_trylock(l))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			cpu_relax();
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

/* The panic path's lock: wait at most max_tsc TSC ticks, then take the lock over from whoever
 * holds it (the holder is stopped or dead). Returns true when the lock was free in time, false
 * when it was broken; either way the caller holds it and must spin_unlock() it. */
static inline bool spin_lock_or_break(struct spinlock *l, u64 max_tsc)
{
	u64 start = rdtsc();

	while (!spin_trylock(l)) {
		if (rdtsc() - start > max_tsc) {
			__atomic_store_n(&l->locked, 1, __ATOMIC_SEQ_CST);
			return false;
		}
		cpu_relax();
	}
	return true;
}

#endif
