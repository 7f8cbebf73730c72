/* trafgen.c: darknet-trafgen, sends a traffic mix out of an interface through AF_PACKET. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <net/if.h>
#include <linux/if_packet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "mix.h"
#include "names.h"
#include "netns.h"

#define PROG "darknet-trafgen"
#define BATCH 64                /* frames per sendmmsg() */
#define NSEC 1000000000ull
/* How long to back off when the interface queue is full. Long enough for
 * the peer's softirq to drain a batch, short against a 1 s progress line. */
#define BACKOFF_NS 50000

struct tg_config {
	const char *netns, *iface, *mix;
	const char *scanners[16];
	int nr_scanners;
	struct dn_prefix_list darknets;
	uint64_t rate, count, seed;
	double duration;
	int quiet;
};

/* Frames built but not yet accepted by the kernel: msgs[head..tail). */
struct tg_batch {
	uint8_t frames[BATCH][FRAME_MAX];
	struct mix_frame_info info[BATCH];
	struct iovec iov[BATCH];
	struct mmsghdr msgs[BATCH];
	int head, tail;
};

struct tg_run {
	int fd;
	struct mix_state mix;
	struct tg_batch batch;
	struct mix_tally tally;
	uint64_t start_ns, backoffs;
};

static volatile sig_atomic_t stop;

enum { OPT_NETNS = 256, OPT_IFACE, OPT_MIX, OPT_RATE, OPT_COUNT, OPT_DURATION,
       OPT_SEED, OPT_SCANNERS, OPT_DARKNET, OPT_VERSION };

struct option_doc {
	struct option opt;
	const char *arg;
	const char *help;
};

static const struct option_doc options[] = {
	{ { "netns", required_argument, NULL, OPT_NETNS }, "NAME",
	  "send from network namespace NAME (/var/run/netns/NAME)" },
	{ { "iface", required_argument, NULL, OPT_IFACE }, "IFACE",
	  "interface to send on (required)" },
	{ { "mix", required_argument, NULL, OPT_MIX }, "NAME",
	  "traffic mix, see below (default nicter)" },
	{ { "rate", required_argument, NULL, OPT_RATE }, "PPS",
	  "packets per second, 0 = as fast as possible (default 0)" },
	{ { "count", required_argument, NULL, OPT_COUNT }, "N",
	  "stop after N packets (0: no limit)" },
	{ { "duration", required_argument, NULL, OPT_DURATION }, "SEC",
	  "stop after SEC seconds (fractions allowed)" },
	{ { "seed", required_argument, NULL, OPT_SEED }, "N",
	  "PRNG seed: the same seed sends the same frames (default 1)" },
	{ { "scanners", required_argument, NULL, OPT_SCANNERS }, "PATH",
	  "research-scanner list: research sources (repeatable)" },
	{ { "darknet", required_argument, NULL, OPT_DARKNET }, "CIDR",
	  "destination prefix (repeatable; default: see below)" },
	{ { "quiet", no_argument, NULL, 'q' }, NULL, "no progress lines on stderr" },
	{ { "version", no_argument, NULL, OPT_VERSION }, NULL, "print the version" },
	{ { "help", no_argument, NULL, 'h' }, NULL, "this help" },
};
#define NR_OPTIONS (sizeof(options) / sizeof(options[0]))

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: " PROG " [--netns NAME] --iface IFACE [--mix NAME] [--rate PPS]\n"
		"       [--count N] [--duration SEC] [--seed N] [--scanners FILE] [-q]\n\n"
		"Sends a synthetic darknet traffic mix out of IFACE (AF_PACKET, root).\n"
		"Without --count or --duration it runs until SIGINT or SIGTERM.\n\nOptions:\n");
	for (size_t i = 0; i < NR_OPTIONS; i++) {
		char left[64];
		int c = options[i].opt.val;

		snprintf(left, sizeof(left), "--%s%s%s", options[i].opt.name,
			 options[i].arg ? " " : "", options[i].arg ? options[i].arg : "");
		fprintf(out, "  %s%-20s %s\n", c == 'q' ? "-q, " : c == 'h' ? "-h, " : "    ",
			left, options[i].help);
	}
	fprintf(out, "\nMixes:\n");
	for (const struct mix_def *d = mix_defs; d->name; d++)
		fprintf(out, "  %-8s %s\n", d->name, d->help);
	fprintf(out,
		"\nDestinations default to 198.51.100.0/24, 203.0.113.0/24 and 2001:db8::/32.\n"
		"Sources other than research scans avoid every --scanners prefix.\n"
		"\nOn exit it prints what it sent, on stdout:\n"
		"  sent PACKETS packets BYTES bytes in SEC s (PPS pps)\n"
		"  class CLASS PACKETS BYTES               (every class)\n"
		"  series FAMILY PROTO CLASS PACKETS BYTES (every non-zero one)\n"
		"  org ORG PACKETS                         (research, by scanner org)\n"
		"with the labels of darknet_packets_total, darknet_bytes_total and\n"
		"darknet_scanner_packets_total.\n");
}

static int parse_u64(const char *opt, const char *text, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(text, &end, 0);
	if (errno || end == text || *end || text[0] == '-') {
		fprintf(stderr, PROG ": --%s: '%s' is not a non-negative integer\n", opt, text);
		return -EINVAL;
	}
	return 0;
}

static int parse_seconds(const char *text, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(text, &end);
	if (errno || end == text || *end || !(*out > 0) || *out > 1e9) {
		fprintf(stderr, PROG ": --duration: '%s' is not a number of seconds > 0\n", text);
		return -EINVAL;
	}
	return 0;
}

static int add_darknet(struct tg_config *cfg, const char *text)
{
	struct dn_prefix p;
	char err[128];

	if (prefix_parse(text, &p, err, sizeof(err))) {
		fprintf(stderr, PROG ": --darknet %s: %s\n", text, err);
		return -EINVAL;
	}
	return prefix_list_add(&cfg->darknets, &p, "");
}

static int add_scanners(struct tg_config *cfg, const char *path)
{
	if (cfg->nr_scanners >= (int)(sizeof(cfg->scanners) / sizeof(cfg->scanners[0]))) {
		fprintf(stderr, PROG ": --scanners given too often\n");
		return -EINVAL;
	}
	cfg->scanners[cfg->nr_scanners++] = path;
	return 0;
}

/* One option; returns 0, 1 to exit 0 at once (--help), or -EINVAL. */
static int parse_one(struct tg_config *cfg, int c, const char *arg)
{
	switch (c) {
	case OPT_NETNS: cfg->netns = arg; return 0;
	case OPT_IFACE: cfg->iface = arg; return 0;
	case OPT_MIX: cfg->mix = arg; return 0;
	case OPT_RATE: return parse_u64("rate", arg, &cfg->rate);
	case OPT_COUNT: return parse_u64("count", arg, &cfg->count);
	case OPT_SEED: return parse_u64("seed", arg, &cfg->seed);
	case OPT_DURATION: return parse_seconds(arg, &cfg->duration);
	case OPT_SCANNERS: return add_scanners(cfg, arg);
	case OPT_DARKNET: return add_darknet(cfg, arg);
	case 'q': cfg->quiet = 1; return 0;
	case 'h': usage(stdout); return 1;
	case OPT_VERSION: printf(PROG " %s\n", DN_VERSION); return 1;
	default: return -EINVAL;
	}
}

static int parse_args(struct tg_config *cfg, int argc, char **argv)
{
	struct option longopts[NR_OPTIONS + 1];
	int c, ret;

	for (size_t i = 0; i < NR_OPTIONS; i++)
		longopts[i] = options[i].opt;
	memset(&longopts[NR_OPTIONS], 0, sizeof(longopts[0]));
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		ret = parse_one(cfg, c, optarg);
		if (ret == -EINVAL && c == '?')
			fprintf(stderr, "Try '" PROG " --help'.\n");
		if (ret)
			return ret;
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s' (try --help)\n", argv[optind]);
		return -EINVAL;
	}
	if (!cfg->iface) {
		fprintf(stderr, PROG ": --iface is required (try --help)\n");
		return -EINVAL;
	}
	return 0;
}

/* Lists, then the mix over them. */
static int setup_mix(const struct tg_config *cfg, struct mix_state *mix)
{
	struct dn_prefix_list scanners;
	struct mix_config mc = { .name = cfg->mix, .seed = cfg->seed, .scanners = &scanners,
				 .darknets = &cfg->darknets };
	char err[256];
	int ret = 0;

	prefix_list_init(&scanners);
	for (int i = 0; !ret && i < cfg->nr_scanners; i++) {
		ret = prefix_list_load_scanners(&scanners, cfg->scanners[i], err, sizeof(err));
		if (ret)
			fprintf(stderr, PROG ": %s\n", err);
	}
	if (!ret && !strcmp(cfg->mix, "nicter") && !scanners.len)
		fprintf(stderr, PROG ": warning: no --scanners: the nicter mix sends no "
			"research scans\n");
	if (!ret && (ret = mix_init(mix, &mc, err, sizeof(err))))
		fprintf(stderr, PROG ": %s\n", err);
	prefix_list_free(&scanners);
	return ret;
}

/* Enter the namespace (if any) and open a raw packet socket on the
 * interface there. Protocol 0: the socket sends and never receives. */
static int open_socket(const struct tg_config *cfg)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	int saved = -1, fd, err;

	if (cfg->netns && (err = netns_enter(cfg->netns, &saved))) {
		fprintf(stderr, PROG ": failed to enter network namespace %s: %s\n",
			cfg->netns, strerror(-err));
		return err;
	}
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	err = fd < 0 ? -errno : 0;
	if (err)
		fprintf(stderr, PROG ": failed to open an AF_PACKET socket: %s%s\n",
			strerror(-err), err == -EPERM ? " (needs root or CAP_NET_RAW)" : "");
	sll.sll_ifindex = if_nametoindex(cfg->iface);
	if (!err && !sll.sll_ifindex) {
		err = -errno;
		fprintf(stderr, PROG ": no interface %s%s%s: %s\n", cfg->iface,
			cfg->netns ? " in network namespace " : "", cfg->netns ? cfg->netns : "",
			strerror(-err));
	}
	if (!err && bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		err = -errno;
		fprintf(stderr, PROG ": failed to bind to %s: %s\n", cfg->iface, strerror(-err));
	}
	/* The socket stays in the namespace it was made in; come back so that
	 * nothing else of ours lives there. */
	if (saved >= 0)
		netns_restore(saved);
	if (err && fd >= 0)
		close(fd);
	return err ? err : fd;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t ns)
{
	struct timespec ts = { .tv_sec = ns / NSEC, .tv_nsec = ns % NSEC };

	/* EINTR ends the sleep early: the loop then sees the stop flag. */
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/* Build n frames into the (empty) batch. */
static int fill_batch(struct tg_run *r, int n)
{
	struct tg_batch *b = &r->batch;

	for (int i = 0; i < n; i++) {
		int len = mix_next(&r->mix, b->frames[i]);

		if (len < 0) {
			fprintf(stderr, PROG ": failed to build a frame: %s\n", strerror(-len));
			return len;
		}
		b->info[i] = r->mix.info;
		b->iov[i] = (struct iovec){ .iov_base = b->frames[i], .iov_len = (size_t)len };
		b->msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &b->iov[i],
							    .msg_iovlen = 1 } };
	}
	b->head = 0;
	b->tail = n;
	return 0;
}

/* Send what is pending; frames the kernel took are tallied. A full queue
 * (ENOBUFS/EAGAIN) is not an error: we wait and send the same frames again,
 * so that what we report is exactly what went out. */
static int flush_batch(struct tg_run *r, const char *iface)
{
	struct tg_batch *b = &r->batch;
	int n = sendmmsg(r->fd, &b->msgs[b->head], b->tail - b->head, 0);

	if (n < 0) {
		if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) {
			r->backoffs++;
			sleep_until(now_ns() + BACKOFF_NS);
			return 0;
		}
		fprintf(stderr, PROG ": failed to send on %s: %s\n", iface, strerror(errno));
		return -errno;
	}
	for (int i = 0; i < n; i++)
		mix_tally_add(&r->tally, &b->info[b->head + i]);
	b->head += n;
	return 0;
}

/* How many frames may go now: what the rate allows by this time, capped by
 * the batch and by --count. 0 means "wait until *wake". */
static uint64_t frames_due(const struct tg_config *cfg, const struct tg_run *r,
			   uint64_t now, uint64_t *wake)
{
	uint64_t sent = r->tally.packets, due = BATCH;

	if (cfg->count && cfg->count - sent < due)
		due = cfg->count - sent;
	if (cfg->rate) {
		uint64_t allowed = (uint64_t)((double)(now - r->start_ns) * cfg->rate / NSEC) + 1;

		due = allowed > sent ? (allowed - sent < due ? allowed - sent : due) : 0;
		*wake = r->start_ns + (uint64_t)((double)sent * NSEC / cfg->rate);
	}
	return due;
}

static void progress(const struct tg_run *r, uint64_t now)
{
	double secs = (double)(now - r->start_ns) / NSEC;

	fprintf(stderr, PROG ": %" PRIu64 " packets in %.0f s (%.0f pps)\n",
		r->tally.packets, secs, secs > 0 ? r->tally.packets / secs : 0);
}

static int send_loop(const struct tg_config *cfg, struct tg_run *r)
{
	uint64_t end = 0, next_report, now, wake = 0, due;
	int err = 0;

	r->start_ns = now_ns();
	next_report = r->start_ns + NSEC;
	if (cfg->duration > 0)
		end = r->start_ns + (uint64_t)(cfg->duration * NSEC);
	while (!stop && !err && (!cfg->count || r->tally.packets < cfg->count)) {
		now = now_ns();
		if (end && now >= end)
			break;
		if (!cfg->quiet && now >= next_report) {
			progress(r, now);
			next_report += NSEC;
		}
		if (r->batch.head < r->batch.tail) {
			err = flush_batch(r, cfg->iface);
			continue;
		}
		due = frames_due(cfg, r, now, &wake);
		if (!due) {
			sleep_until(end && wake > end ? end : wake);
			continue;
		}
		err = fill_batch(r, (int)due);
	}
	return err;
}

static void print_summary(const struct tg_run *r, uint64_t end_ns)
{
	const struct mix_tally *t = &r->tally;
	double secs = (double)(end_ns - r->start_ns) / NSEC;
	char proto[NAMES_PROTO_LEN];

	printf("sent %" PRIu64 " packets %" PRIu64 " bytes in %.3f s (%.0f pps)\n",
	       t->packets, t->bytes, secs, secs > 0 ? t->packets / secs : 0);
	for (unsigned int c = 0; c < DN_CLASS_MAX; c++)
		printf("class %s %" PRIu64 " %" PRIu64 "\n", names_class(c),
		       t->class_packets[c], t->class_bytes[c]);
	for (unsigned int f = 0; f < DN_FAMILY_MAX; f++)
		for (unsigned int p = 0; p < DN_NR_IPPROTO; p++)
			for (unsigned int c = 0; c < DN_CLASS_MAX; c++) {
				uint32_t k = dn_class_key(f, p, c);

				if (!t->key_packets[k])
					continue;
				printf("series %s %s %s %" PRIu64 " %" PRIu64 "\n",
				       names_family(f), names_proto(p, proto), names_class(c),
				       t->key_packets[k], t->key_bytes[k]);
			}
	for (unsigned int i = 0; i < t->nr_orgs; i++)
		printf("org %s %" PRIu64 "\n", t->orgs[i].org, t->orgs[i].packets);
	fflush(stdout);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* No SA_RESTART: a signal must cut a sleep or a blocked send short. */
static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int main(int argc, char **argv)
{
	struct tg_config cfg = { .mix = "nicter", .seed = 1 };
	static struct tg_run run = { .fd = -1 };   /* static: ~150 KiB of batch and tally */
	int ret;

	prefix_list_init(&cfg.darknets);
	ret = parse_args(&cfg, argc, argv);
	if (ret)
		goto out_cfg;
	ret = setup_mix(&cfg, &run.mix);
	if (ret)
		goto out_cfg;
	run.fd = open_socket(&cfg);
	if (run.fd < 0) {
		ret = run.fd;
		goto out_mix;
	}
	install_signals();
	ret = send_loop(&cfg, &run);
	print_summary(&run, now_ns());
	close(run.fd);
out_mix:
	mix_free(&run.mix);
out_cfg:
	prefix_list_free(&cfg.darknets);
	return ret < 0 ? 1 : 0;
}
