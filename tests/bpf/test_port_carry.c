/* test_port_carry.c: the split port counters (low byte + high part) stay exact and never go back while they carry. */
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
	struct dn_iface_snapshot *s = dp_snapshot_new();
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

struct writer {
	int prog_fd, len;
	uint8_t frame[FRAME_MAX];
	volatile int done;
	uint64_t sent;
};

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
		    .repeat = 200000);

	pin_to(0);
	for (int i = 0; i < 20; i++) {
		if (bpf_prog_test_run_opts(w->prog_fd, &o))
			break;
		w->sent += o.repeat;
	}
	w->done = 1;
	return NULL;
}

/* A reader on another CPU reads the port word by word through the mmap-ed
 * tables while the program carries on CPU 0: every value it accepts is a
 * count the port really had, so none is ever smaller than the one before,
 * and the reader did meet carries under way (else the test proved nothing). */
Test(port_carry, reader_never_sees_a_count_go_back)
{
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	uint32_t key = PORT;   /* CPU 0's block */
	size_t low_len, high_len;
	struct writer w = { .prog_fd = d.prog_fd };
	uint64_t last = 0, reads = 0, retries = 0;
	__u64 sum[DN_TCP_PORT_SLOTS];
	const __u64 *low, *high;
	pthread_t t;

	if (ncpus < 2)
		cr_skip_test("needs two CPUs: the writer and the reader on different ones");
	w.len = syn_frame(w.frame, IPPROTO_TCP);
	low_len = (size_t)DN_PORT_KEYS * sizeof(struct dn_port_low);
	low = mmap(NULL, low_len, PROT_READ, MAP_SHARED, d.maps.tcp_port_low, 0);
	high_len = (size_t)DN_PORT_KEYS * sizeof(struct dn_tcp_port);
	high = mmap(NULL, high_len, PROT_READ, MAP_SHARED, d.maps.tcp_port_high, 0);
	cr_assert(low != MAP_FAILED && high != MAP_FAILED, "mmap port tables: %s", strerror(errno));
	pin_to(1);
	cr_assert_eq(pthread_create(&t, NULL, write_port, &w), 0, "writer thread");
	while (!w.done) {
		memset(sum, 0, sizeof(sum));
		if (port_read_one(high + key * DN_TCP_PORT_SLOTS, low + key, DN_TCP_PORT_SLOTS, sum)) {
			retries++;
			continue;
		}
		reads++;
		cr_assert_geq(sum[DN_CLASS_SCAN], last, "count went back from %llu to %llu",
			      (unsigned long long)last, (unsigned long long)sum[DN_CLASS_SCAN]);
		last = sum[DN_CLASS_SCAN];
	}
	pthread_join(t, NULL);
	memset(sum, 0, sizeof(sum));
	cr_assert_eq(port_read_one(high + key * DN_TCP_PORT_SLOTS, low + key, DN_TCP_PORT_SLOTS, sum), 0);
	cr_expect_eq(sum[DN_CLASS_SCAN], w.sent, "after the writer: %llu of %llu",
		     (unsigned long long)sum[DN_CLASS_SCAN], (unsigned long long)w.sent);
	cr_expect_gt(retries, 0, "no carry met under way in %llu reads", (unsigned long long)reads);
	cr_log_info("%llu reads, %llu retries during carries", (unsigned long long)reads,
		    (unsigned long long)retries);
	munmap((void *)low, low_len);
	munmap((void *)high, high_len);
}
