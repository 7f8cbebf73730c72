/* port_read.c: reads the split port counters (shared high part + per-CPU low bytes) exactly, group by touched group. */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include "port_read.h"

/*
 * Why a read is exact. A port's count per slot is H + sum over CPUs of L_c:
 * H the shared high part, L_c CPU c's low byte. A packet on CPU c either
 * stores L_c + 1, or carries: it stores L_c = BUSY, adds DN_PORT_CARRY to
 * H with a fetch-and-add, stores L_c = 0. The reader loads H (H1), then
 * every L_c, then H again (H2), and takes H1 + sum L_c only if H2 == H1 and
 * no byte is BUSY; otherwise it reads again.
 * - H only grows (one atomic add per carry, none lost among CPUs), so
 *   H2 == H1 means no carry's add fell between the two loads.
 * - The fetch-and-add is a full barrier (lock xadd on x86; the fetching
 *   form on every BPF JIT): the BUSY store is visible before the add, the
 *   add before the clear. x86 keeps the reader's loads in order. A byte
 *   read BUSY: read again. A byte read as cleared: H2, loaded after it,
 *   holds the add, so if H1 did not, H2 != H1 and the read is retried. A
 *   byte read before its carry's BUSY store: the add comes after that
 *   store, so H1 cannot hold it, and H2 == H1 says H2 does not either.
 * So each byte read pairs with H1: no carry is counted twice (in H and in
 * a byte not yet cleared) nor lost (cleared from the byte, not yet in H).
 * Bytes are read at slightly different instants, but between carries they
 * only grow, so the sum lies between the count at H1's load and at H2's:
 * a value the port really had, and never below what an earlier read gave.
 *
 * Why a scrape can read only the touched groups. The program stores the
 * count (byte or carry), then, if its group's bit in its CPU's touched word
 * is clear, sets it; the reader exchanges each word with 0 (a full
 * barrier) and only then reads the groups whose bits it got.
 * - A bit set after the exchange is read by the next scrape; one set again
 *   by a racing read-modify-write is one needless read, nothing more.
 * - If the program stored the bit, x86 makes its count visible first: an
 *   exchange that takes the bit is followed by a read that sees the count.
 * - If the program found the bit already set it stores nothing, and its
 *   load of the word may pass its own count store (x86 lets a load pass an
 *   earlier store). The exchange can then take the bit while the count still
 *   sits in that CPU's store buffer, and this scrape reads the old value. So
 *   each read also reads the groups the previous read cleared: seconds
 *   later, the store buffer (drained within nanoseconds; a vCPU exit
 *   drains it too) holds nothing of that packet. No count is lost: every
 *   count is read by the scrape that clears its bit or by the next one.
 * A reader that does not track (one-shot reads, a second reader beside the
 * daemon) reads every group and clears nothing, so it takes no bit away.
 */

/* Retries of one port before yielding the CPU, and the longest a carry may
 * stay under way: the program carries in a few instructions with
 * preemption off, so only a vCPU the hypervisor stopped takes longer. */
#define SPINS_BEFORE_YIELD 64
#define CARRY_TIMEOUT_NS 1000000000ll

#define BYTES_01 0x0101010101010101ull
#define BYTES_80 0x8080808080808080ull
#define LANES_16 0x00ff00ff00ff00ffull
/* 16-bit lanes hold the sum of up to 257 bytes of at most 255 */
#define LANE_CPUS 256u
#define WORD_PORTS (64 * DN_PORT_GROUP_PORTS)   /* ports of one touched word */

static __u64 load_acq(const __u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static __u64 load_rlx(const __u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* The low bytes past slots are no counters: mask them out. */
static __u64 slot_mask(unsigned int slots)
{
	return slots >= 8 ? ~0ull : (1ull << (8 * slots)) - 1;
}

/* Nonzero if a byte of w under mask is DN_PORT_LOW_BUSY (0xff). */
static __u64 busy_bytes(__u64 w, __u64 mask)
{
	__u64 t = ~w | ~mask;   /* a busy byte under mask is 0 in t */

	return (t - BYTES_01) & ~t & BYTES_80;
}

int port_read_one(const __u64 *high, const __u64 *low, size_t low_stride,
		  unsigned int ncpus, unsigned int slots, __u64 *sum)
{
	__u64 before[DN_TCP_PORT_SLOTS], bytes[DN_TCP_PORT_SLOTS] = { 0 }, mask = slot_mask(slots);

	for (unsigned int s = 0; s < slots; s++)
		before[s] = load_acq(&high[s]);
	for (unsigned int c = 0; c < ncpus; c++) {
		__u64 w = load_acq(&low[c * low_stride]);

		if (busy_bytes(w, mask))
			return -EAGAIN;
		for (unsigned int s = 0; s < slots; s++)
			bytes[s] += (w >> (8 * s)) & 0xff;
	}
	for (unsigned int s = 0; s < slots; s++)
		if (load_acq(&high[s]) != before[s])
			return -EAGAIN;
	for (unsigned int s = 0; s < slots; s++)
		sum[s] += before[s] + bytes[s];
	return 0;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* One port, read again until no carry is under way: sums[port] = count. */
static int read_port(const struct port_table *t, __u32 port, __u64 *sum)
{
	const __u64 *high = t->high + (size_t)port * t->words, *low = t->low + port;
	long long deadline = 0;

	memset(sum, 0, t->words * sizeof(*sum));
	for (unsigned int tries = 0;
	     port_read_one(high, low, DN_PORT_LOW_CPU_KEYS, t->ncpus, t->slots, sum); tries++) {
		if (tries < SPINS_BEFORE_YIELD)
			continue;
		if (!deadline)
			deadline = now_ns() + CARRY_TIMEOUT_NS;
		else if (now_ns() > deadline)
			return -EBUSY;
		sched_yield();
	}
	return 0;
}

/* Each port index i < n of the groups set in `groups`, group by group:
 * a quiet word has a few groups of its 64, and every CPU's pass over the
 * word visits only their ports. */
#define FOR_GROUP_PORTS(i, groups, n, cond)                                          \
	for (__u64 g_ = (groups); (cond) && g_; g_ &= g_ - 1)                        \
		for (__u32 i = __builtin_ctzll(g_) * DN_PORT_GROUP_PORTS,            \
			   end_ = i + DN_PORT_GROUP_PORTS; (cond) && i < end_ && i < (n); i++)

/* The groups of one touched word, at once: their high parts, then every
 * CPU's low lines of those groups (one page of each CPU's block, read in
 * order), then the high parts again. Bytes add up in 16-bit lanes, even
 * and odd slots apart, LANE_CPUS CPUs at a time. A port whose high part
 * moved or whose byte was busy is read alone (read_port) until it is
 * still. */
static int read_word(const struct port_table *t, __u32 word, __u64 groups, __u64 *sums)
{
	static __thread __u64 before[WORD_PORTS][DN_TCP_PORT_SLOTS], total[WORD_PORTS][DN_TCP_PORT_SLOTS];
	static __thread __u64 even[WORD_PORTS], odd[WORD_PORTS], busy[WORD_PORTS];
	__u32 port0 = word * WORD_PORTS, n = WORD_PORTS, slots = t->slots;
	__u64 mask = slot_mask(slots);
	int err = 0;

	if (port0 + n > DN_PORT_KEYS)
		n = DN_PORT_KEYS - port0;
	FOR_GROUP_PORTS(i, groups, n, 1) {
		for (__u32 s = 0; s < slots; s++) {
			before[i][s] = load_acq(&t->high[(size_t)(port0 + i) * t->words + s]);
			total[i][s] = 0;
		}
		even[i] = odd[i] = busy[i] = 0;
	}
	for (unsigned int c = 0; c < t->ncpus; c++) {
		const __u64 *low = t->low + (size_t)c * DN_PORT_LOW_CPU_KEYS + port0;

		FOR_GROUP_PORTS(i, groups, n, 1) {
			__u64 w = load_rlx(&low[i]);

			busy[i] |= busy_bytes(w, mask);
			even[i] += w & LANES_16;
			odd[i] += (w >> 8) & LANES_16;
		}
		if ((c + 1) % LANE_CPUS && c + 1 < t->ncpus)
			continue;
		FOR_GROUP_PORTS(i, groups, n, 1) {
			for (__u32 s = 0; s < slots; s++)
				total[i][s] += ((s % 2 ? odd[i] : even[i]) >> (16 * (s / 2))) & 0xffff;
			even[i] = odd[i] = 0;
		}
	}
	/* every low load above before every high load below */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	FOR_GROUP_PORTS(i, groups, n, !err) {
		__u64 *sum = sums + (size_t)(port0 + i) * t->words;
		bool still = !busy[i];

		for (__u32 s = 0; still && s < slots; s++)
			still = load_acq(&t->high[(size_t)(port0 + i) * t->words + s]) == before[i][s];
		if (!still) {
			err = read_port(t, port0 + i, sum);
			continue;
		}
		for (__u32 s = 0; s < slots; s++)
			sum[s] = before[i][s] + total[i][s];
	}
	return err;
}

int port_table_read(const struct port_table *t, struct port_groups *g, __u64 *sums)
{
	__u64 dirty[DN_TOUCHED_WORDS], taken[DN_TOUCHED_WORDS] = { 0 };
	bool track = g->track && t->touched;
	int err = 0;

	for (__u32 w = 0; w < DN_TOUCHED_WORDS; w++)
		dirty[w] = track && g->primed ? g->pending[w] : ~0ull;
	/* take every CPU's bits before reading any group they name */
	for (unsigned int c = 0; track && c < t->ncpus; c++) {
		__u64 *bits = t->touched + (size_t)c * DN_TOUCHED_CPU_WORDS + t->base;

		for (__u32 w = 0; w < DN_TOUCHED_WORDS; w++)
			if (__atomic_load_n(&bits[w], __ATOMIC_RELAXED))
				taken[w] |= __atomic_exchange_n(&bits[w], 0, __ATOMIC_SEQ_CST);
	}
	g->groups_read = 0;
	for (__u32 w = 0; !err && w < DN_TOUCHED_WORDS; w++) {
		dirty[w] |= taken[w];
		if (w == DN_TOUCHED_WORDS - 1 && DN_PORT_GROUPS % 64)
			dirty[w] &= (1ull << (DN_PORT_GROUPS % 64)) - 1;
		if (!dirty[w])
			continue;
		g->groups_read += __builtin_popcountll(dirty[w]);
		err = read_word(t, w, dirty[w], sums);
	}
	if (err) {
		/* what was taken is not read yet: all of it next time */
		g->primed = false;
		return err;
	}
	memcpy(g->pending, taken, sizeof(taken));
	g->primed = true;
	return 0;
}
