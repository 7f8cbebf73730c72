/* test_port_carry.c: the split port counters (per-CPU low bytes + shared high part) stay exact and never go back while CPUs carry. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <criterion/criterion.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include "darknet_counter.h"
#include "frame.h"
#include "harness.h"
#include "port_read.h"
#include "array_size.h"

#define PORT 2323

static struct dp d;
static struct dp_counts *counts;
static char err[256];
static const char *const darknets[] = { "198.51.100.0/24", NULL };

static void setup(void)
{
	dp_open(&d, XDP_DROP);
	counts = calloc(1, sizeof(*counts));
	cr_assert_not_null(counts, "counts");
	cr_assert_eq(dp_install_darknets(&d, darknets, err, sizeof(err)), 0, "darknets: %s", err);
}

static void teardown(void)
{
	free(counts);
	dp_close(&d);
}

TestSuite(port_carry, .init = setup, .fini = teardown);

static int syn_frame(uint8_t *frame, int proto)
{
	struct frame_spec f = { .src = "45.83.64.77", .dst = "198.51.100.9", .proto = proto,
				.sport = 40000, .dport = PORT, .tcp_flags = TH_SYN, .seq = 1,
				.ip_id = 1 };
	int len = frame_build(&f, frame);

	cr_assert_gt(len, 0, "frame");
	return len;
}

/* One test run of frame, repeated: the program runs repeat times. */
static void run_repeated(int prog_fd, const uint8_t *frame, int len, uint32_t repeat)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = len,
		    .repeat = repeat);

	cr_assert_eq(bpf_prog_test_run_opts(prog_fd, &o), 0, "test run: %s", strerror(errno));
	cr_assert_eq(o.retval, XDP_DROP, "verdict %u", o.retval);
}

Test(port_carry, counts_stay_exact_across_carries)
{
	/* Not multiples of DN_PORT_CARRY: both parts hold something. */
	static const uint32_t runs[] = { 254, 1, 1, 999, 65536, 100003 };
	struct dn_iface_snapshot *s = dp_snapshot_new_tracked();
	uint8_t frame[FRAME_MAX];
	uint64_t sent = 0;
	int len;

	for (int proto = 0; proto < 2; proto++) {
		len = syn_frame(frame, proto ? IPPROTO_UDP : IPPROTO_TCP);
		sent = 0;
		for (size_t i = 0; i < ARRAY_SIZE(runs); i++) {
			run_repeated(d.prog_fd, frame, len, runs[i]);
			sent += runs[i];
			dp_counts_read(&d, counts, PORT);
			dp_snapshot(&d, s);
			if (proto) {
				cr_expect_eq(counts->udp.packets[DN_UDP_SLOT_UDP_PROBE], sent,
					     "UDP after %llu: %llu", (unsigned long long)sent,
					     (unsigned long long)counts->udp.packets[DN_UDP_SLOT_UDP_PROBE]);
				cr_expect_eq(s->udp_ports[PORT].packets[DN_UDP_SLOT_UDP_PROBE], sent,
					     "UDP snapshot after %llu", (unsigned long long)sent);
			} else {
				cr_expect_eq(counts->tcp.packets[DN_CLASS_SCAN], sent,
					     "TCP after %llu: %llu", (unsigned long long)sent,
					     (unsigned long long)counts->tcp.packets[DN_CLASS_SCAN]);
				cr_expect_eq(s->tcp_ports[PORT].packets[DN_CLASS_SCAN], sent,
					     "TCP snapshot after %llu", (unsigned long long)sent);
			}
		}
	}
	dp_snapshot_free(s);
}

/* port_touched as the program left it: every CPU's words. */
static void touched_words(__u64 *words, int ncpus)
{
	for (int k = 0; k < ncpus * (int)DN_TOUCHED_CPU_WORDS; k++) {
		__u32 key = k;

		cr_assert_eq(bpf_map_lookup_elem(d.maps.port_touched, &key, &words[k]), 0,
			     "port_touched[%d]: %s", k, strerror(errno));
	}
}

static void pin_self(int cpu);

/* A packet sets its group's bit in its CPU's words (and no other bit); a
 * tracking scrape takes the bit and reads the new count; a count that
 * reaches the low bytes without its bit is not read by such a scrape, so
 * the bit is what makes the new value appear. */
Test(port_carry, a_packet_marks_its_group_and_the_next_scrape_reads_it)
{
	struct dn_iface_snapshot *s = dp_snapshot_new_tracked(), *all = dp_snapshot_new();
	int ncpus = d.reader.ncpus, len;
	__u64 *words = calloc((size_t)ncpus * DN_TOUCHED_CPU_WORDS, sizeof(*words));
	__u32 group = PORT / DN_PORT_GROUP_PORTS, key = PORT;
	struct dn_port_low low = { .packets = { [DN_CLASS_SCAN] = 7 } };
	uint8_t frame[FRAME_MAX];

	cr_assert_not_null(words);
	pin_self(0);
	dp_snapshot(&d, s);   /* a fresh reader reads everything once */
	for (int proto = 0; proto < 2; proto++) {
		__u32 base = proto ? DN_TOUCHED_UDP : DN_TOUCHED_TCP;

		len = syn_frame(frame, proto ? IPPROTO_UDP : IPPROTO_TCP);
		for (uint64_t n = 1; n <= 2; n++) {
			cr_assert_eq(dp_run(&d, frame, len), XDP_DROP);
			touched_words(words, ncpus);
			for (int k = 0; k < ncpus * (int)DN_TOUCHED_CPU_WORDS; k++)
				cr_expect_eq(words[k], k == (int)(base + group / 64) ?
					     1ull << (group % 64) : 0,
					     "%s packet %llu: word %d is %#llx", proto ? "UDP" : "TCP",
					     (unsigned long long)n, k, (unsigned long long)words[k]);
			dp_snapshot(&d, s);
			cr_expect_eq(proto ? s->udp_ports[PORT].packets[DN_UDP_SLOT_UDP_PROBE]
					   : s->tcp_ports[PORT].packets[DN_CLASS_SCAN], n,
				     "%s scrape after packet %llu", proto ? "UDP" : "TCP",
				     (unsigned long long)n);
			touched_words(words, ncpus);
			cr_expect_eq(words[base + group / 64], 0, "the scrape took the bit");
		}
	}
	/* twice: the second read also re-reads what the first cleared */
	dp_snapshot(&d, s);
	dp_snapshot(&d, s);
	cr_assert_eq(bpf_map_update_elem(d.maps.tcp_port_low, &key, &low, BPF_EXIST), 0);
	dp_snapshot(&d, s);
	dp_snapshot(&d, all);
	cr_expect_eq(s->tcp_ports[PORT].packets[DN_CLASS_SCAN], 2, "no bit, no read");
	cr_expect_eq(all->tcp_ports[PORT].packets[DN_CLASS_SCAN], 7, "a one-shot read reads all");
	dp_snapshot_free(s);
	dp_snapshot_free(all);
	free(words);
}

struct writer {
	int prog_fd, len, cpu;
	const uint8_t *frame;
	volatile int done;
	uint64_t sent;
};

static void pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	cr_assert_eq(sched_setaffinity(0, sizeof(set), &set), 0, "pin to CPU %d", cpu);
}

static void pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	cr_assert_eq(pthread_setaffinity_np(pthread_self(), sizeof(set), &set), 0, "pin to CPU %d", cpu);
}

static void *write_port(void *arg)
{
	struct writer *w = arg;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = w->frame, .data_size_in = w->len,
		    .repeat = 100000);

	pin_to(w->cpu);
	for (int i = 0; i < 20; i++) {
		if (bpf_prog_test_run_opts(w->prog_fd, &o))
			break;
		w->sent += o.repeat;
	}
	w->done = 1;
	return NULL;
}

/* Writers on CPU 0 and CPU 1 count one port, both carrying into its one
 * shared high part, while a reader reads the port word by word through the
 * mmap-ed tables (high, both CPUs' low bytes, high) and, now and then, as
 * the daemon does (a tracking snapshot). Every value it accepts is a count
 * the port really had, so none is ever smaller than the one before; at the
 * end both readers give exactly what was sent (no carry lost or counted
 * twice); and the reader did meet carries under way (else the test proved
 * nothing). */
Test(port_carry, two_cpus_carry_into_one_high_part_exactly, .timeout = 120)
{
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	struct dn_iface_snapshot *s = dp_snapshot_new_tracked();
	struct writer w[2];
	size_t low_len, high_len;
	uint64_t last = 0, last_snap = 0, reads = 0, retries = 0, snaps = 0, sent;
	__u64 sum[DN_TCP_PORT_SLOTS];
	const __u64 *low, *high;
	uint8_t frame[FRAME_MAX];
	pthread_t t[2];
	int len;

	if (ncpus < 2 || d.reader.ncpus < 2)
		cr_skip_test("needs two CPUs: one writer on each");
	len = syn_frame(frame, IPPROTO_TCP);
	low_len = (size_t)d.reader.ncpus * DN_PORT_LOW_CPU_KEYS * sizeof(struct dn_port_low);
	low = mmap(NULL, low_len, PROT_READ, MAP_SHARED, d.maps.tcp_port_low, 0);
	high_len = (size_t)DN_PORT_KEYS * sizeof(struct dn_tcp_port);
	high = mmap(NULL, high_len, PROT_READ, MAP_SHARED, d.maps.tcp_port_high, 0);
	cr_assert(low != MAP_FAILED && high != MAP_FAILED, "mmap port tables: %s", strerror(errno));
	for (int i = 0; i < 2; i++) {
		w[i] = (struct writer){ .prog_fd = d.prog_fd, .len = len, .cpu = i, .frame = frame };
		cr_assert_eq(pthread_create(&t[i], NULL, write_port, &w[i]), 0, "writer thread");
	}
	while (!w[0].done || !w[1].done) {
		memset(sum, 0, sizeof(sum));
		if (port_read_one(high + PORT * DN_TCP_PORT_SLOTS, low + PORT, DN_PORT_LOW_CPU_KEYS,
				  d.reader.ncpus, DN_TCP_PORT_SLOTS, sum)) {
			retries++;
			continue;
		}
		reads++;
		cr_assert_geq(sum[DN_CLASS_SCAN], last, "count went back from %llu to %llu",
			      (unsigned long long)last, (unsigned long long)sum[DN_CLASS_SCAN]);
		last = sum[DN_CLASS_SCAN];
		if (reads % 4096)
			continue;
		dp_snapshot(&d, s);
		snaps++;
		cr_assert_geq(s->tcp_ports[PORT].packets[DN_CLASS_SCAN], last_snap,
			      "scrape went back from %llu to %llu", (unsigned long long)last_snap,
			      (unsigned long long)s->tcp_ports[PORT].packets[DN_CLASS_SCAN]);
		last_snap = s->tcp_ports[PORT].packets[DN_CLASS_SCAN];
	}
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	sent = w[0].sent + w[1].sent;
	memset(sum, 0, sizeof(sum));
	cr_assert_eq(port_read_one(high + PORT * DN_TCP_PORT_SLOTS, low + PORT, DN_PORT_LOW_CPU_KEYS,
				   d.reader.ncpus, DN_TCP_PORT_SLOTS, sum), 0);
	cr_expect_eq(sum[DN_CLASS_SCAN], sent, "after the writers: %llu of %llu",
		     (unsigned long long)sum[DN_CLASS_SCAN], (unsigned long long)sent);
	dp_snapshot(&d, s);
	cr_expect_eq(s->tcp_ports[PORT].packets[DN_CLASS_SCAN], sent, "last scrape: %llu of %llu",
		     (unsigned long long)s->tcp_ports[PORT].packets[DN_CLASS_SCAN],
		     (unsigned long long)sent);
	cr_expect_eq(w[0].sent, w[1].sent, "both writers ran all their runs");
	cr_expect_gt(retries, 0, "no carry met under way in %llu reads", (unsigned long long)reads);
	cr_log_info("%llu reads, %llu retries during carries, %llu scrapes",
		    (unsigned long long)reads, (unsigned long long)retries,
		    (unsigned long long)snaps);
	munmap((void *)low, low_len);
	munmap((void *)high, high_len);
	dp_snapshot_free(s);
}
