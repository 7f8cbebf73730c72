/* pcap_counter.c: darknet-pcap-counter, the libpcap peer: counts packets per destination port and protocol in user space. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netinet/in.h>

/*
 * What an operator writes to count darknet traffic without XDP: libpcap on
 * the sensor interface, headers only (snaplen), a larger kernel buffer than
 * the default, and a callback that parses Ethernet/VLAN/IPv4/IPv6 and bumps
 * a counter per protocol and per TCP/UDP destination port. The bench runs
 * it as the peer of the XDP counter, so it is written to be fair to libpcap:
 * no per-packet allocation, no output on the hot path, TPACKET_V3 ring
 * (libpcap's default on Linux).
 *
 * Signals: SIGUSR1 prints one "stats ..." line to stdout (the bench reads
 * it); SIGINT/SIGTERM print the stats and the top ports, then exit 0.
 */

#define SNAPLEN 128               /* Ethernet + 2 VLAN tags + IPv6 + ext headers + L4 */
#define DEFAULT_BUFFER_MB 32
#define TIMEOUT_MS 100
#define MAX_VLAN 2
#define MAX_EXT_HDRS 6
#define TOP_N 10

struct counts {
	uint64_t packets, ip, bytes;
	uint64_t proto[2][256];       /* [0 = IPv4, 1 = IPv6][IP protocol] */
	uint64_t tcp_port[65536];
	uint64_t udp_port[65536];
};

static struct counts counts;
static pcap_t *handle;
static volatile sig_atomic_t want_stats, want_exit;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		want_stats = 1;
	else
		want_exit = 1;
	pcap_breakloop(handle);   /* wakes pcap_dispatch() out of poll() */
}

static void count_l4(int proto, const u_char *l4, const u_char *end)
{
	uint16_t dport;

	if ((proto != IPPROTO_TCP && proto != IPPROTO_UDP) || end - l4 < 4)
		return;
	dport = (uint16_t)(l4[2] << 8 | l4[3]);
	if (proto == IPPROTO_TCP)
		counts.tcp_port[dport]++;
	else
		counts.udp_port[dport]++;
}

static void parse_ipv4(const u_char *p, const u_char *end)
{
	int ihl, frag;

	if (end - p < 20)
		return;
	ihl = (p[0] & 0x0f) * 4;
	frag = (p[6] & 0x1f) << 8 | p[7];   /* offset != 0: no L4 header */
	counts.ip++;
	counts.proto[0][p[9]]++;
	if (ihl >= 20 && !frag)
		count_l4(p[9], p + ihl, end);
}

static void parse_ipv6(const u_char *p, const u_char *end)
{
	int next, i;

	if (end - p < 40)
		return;
	next = p[6];
	p += 40;
	for (i = 0; i < MAX_EXT_HDRS; i++) {
		if (next == IPPROTO_FRAGMENT) {
			if (end - p < 8)
				return;
			if ((p[2] << 8 | p[3]) & 0xfff8) {   /* not the first fragment */
				counts.ip++;
				counts.proto[1][p[0]]++;
				return;
			}
			next = p[0];
			p += 8;
		} else if (next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING ||
			   next == IPPROTO_DSTOPTS) {
			if (end - p < 2)
				return;
			next = p[0];
			p += (p[1] + 1) * 8;
		} else {
			break;
		}
	}
	counts.ip++;
	counts.proto[1][next]++;
	count_l4(next, p, end);
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *p)
{
	const u_char *end = p + h->caplen;
	uint16_t type;
	int tags = 0;

	(void)user;
	counts.packets++;
	counts.bytes += h->len;
	if (h->caplen < 14)
		return;
	type = (uint16_t)(p[12] << 8 | p[13]);
	p += 14;
	while ((type == ETHERTYPE_VLAN || type == 0x88a8) && tags++ < MAX_VLAN) {
		if (end - p < 4)
			return;
		type = (uint16_t)(p[2] << 8 | p[3]);
		p += 4;
	}
	if (type == ETHERTYPE_IP)
		parse_ipv4(p, end);
	else if (type == ETHERTYPE_IPV6)
		parse_ipv6(p, end);
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static void print_stats(void)
{
	struct pcap_stat st = { 0 };

	pcap_stats(handle, &st);
	printf("stats packets=%" PRIu64 " ip=%" PRIu64 " bytes=%" PRIu64
	       " ps_recv=%u ps_drop=%u ps_ifdrop=%u cpu_ns=%" PRIu64 "\n",
	       counts.packets, counts.ip, counts.bytes, st.ps_recv, st.ps_drop,
	       st.ps_ifdrop, cpu_ns());
	fflush(stdout);
}

static void print_top(const char *name, const uint64_t *ports)
{
	int top[TOP_N];

	for (int k = 0; k < TOP_N; k++) {
		top[k] = -1;
		for (int port = 0; port < 65536; port++) {
			int taken = 0;

			for (int j = 0; j < k; j++)
				taken |= top[j] == port;
			if (!taken && ports[port] && (top[k] < 0 || ports[port] > ports[top[k]]))
				top[k] = port;
		}
		if (top[k] >= 0)
			printf("top %s/%d %" PRIu64 "\n", name, top[k], ports[top[k]]);
	}
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f, "Usage: %s [-B MiB] [-s SNAPLEN] IFACE\n"
		"Counts packets per IP protocol and TCP/UDP destination port with libpcap.\n"
		"  -B, --buffer MiB     kernel capture buffer (default %d)\n"
		"  -s, --snaplen BYTES  bytes captured per packet (default %d)\n"
		"SIGUSR1 prints a stats line; SIGINT/SIGTERM print stats and top ports, exit.\n",
		prog, DEFAULT_BUFFER_MB, SNAPLEN);
}

static pcap_t *open_capture(const char *dev, int buffer_mb, int snaplen)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_create(dev, err);
	int ret;

	if (!p) {
		fprintf(stderr, "pcap-counter: %s\n", err);
		return NULL;
	}
	pcap_set_snaplen(p, snaplen);
	pcap_set_promisc(p, 1);
	pcap_set_timeout(p, TIMEOUT_MS);
	pcap_set_buffer_size(p, buffer_mb << 20);
	ret = pcap_activate(p);
	if (ret < 0) {
		fprintf(stderr, "pcap-counter: cannot capture on %s: %s\n", dev, pcap_geterr(p));
		pcap_close(p);
		return NULL;
	}
	return p;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "buffer", required_argument, NULL, 'B' },
		{ "snaplen", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int buffer_mb = DEFAULT_BUFFER_MB, snaplen = SNAPLEN, c;
	struct sigaction sa = { .sa_handler = on_signal };

	while ((c = getopt_long(argc, argv, "B:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'B':
			buffer_mb = atoi(optarg);
			break;
		case 's':
			snaplen = atoi(optarg);
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		default:
			usage(stderr, argv[0]);
			return 2;
		}
	}
	if (optind != argc - 1 || buffer_mb <= 0 || snaplen < 64) {
		usage(stderr, argv[0]);
		return 2;
	}
	handle = open_capture(argv[optind], buffer_mb, snaplen);
	if (!handle)
		return 1;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	printf("ready %s\n", argv[optind]);
	fflush(stdout);
	while (!want_exit) {
		if (pcap_dispatch(handle, -1, on_packet, NULL) == PCAP_ERROR) {
			fprintf(stderr, "pcap-counter: %s\n", pcap_geterr(handle));
			break;
		}
		if (want_stats) {
			want_stats = 0;
			print_stats();
		}
	}
	print_stats();
	print_top("tcp", counts.tcp_port);
	print_top("udp", counts.udp_port);
	pcap_close(handle);
	return 0;
}
