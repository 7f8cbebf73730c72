/* bench.c: darknet-bench: the counter against bare XDP_DROP and a libpcap counter, as a printed table. */

/*
 * How each figure is made (details beside the code that makes it):
 * 1. bench_testrun.c: BPF_PROG_TEST_RUN of bpf/bench_harness.bpf.c, which
 *    rewrites the frame from a pre-generated mix stream on every repeat and
 *    tail-calls bare drop or the counter; kernel ns per repeat; counter's
 *    own cost = paired difference. 2. bench_live.c: BPF_F_TEST_XDP_LIVE_FRAMES
 *    generator XDP_TX into a veth whose peer (other namespace) runs the
 *    counter or bare drop natively, all on one CPU; every class count
 *    checked against the frames sent. 3. bench_peer.c: the same path paced,
 *    against darknet-pcap-counter (user/pcap_counter.c) on the other CPU.
 *    4. bench_testrun.c again with generated scanner lists installed via
 *    listmaps. 5. bench_scrape.c / bench_daemon.c: counters_read() and
 *    metrics_render() CPU time with the maps filled directly, fdinfo
 *    memlock of every map, and the real daemon's RSS and CPU per scrape;
 *    bench_sensor.c: the same for maps made for 64 and 128 CPUs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#include "bench.h"
#include "log.h"

static const struct bench_opts defaults = {
	.gen_if = "dnbg0",
	.rx_if = "dnbr0",
	.cpu = 0,
	.peer_cpu = 1,
	.frames = 65536,
	.trials = 7,
	.seconds = 1.0,
	.sections = BENCH_TESTRUN | BENCH_LIVE | BENCH_PEER | BENCH_SCANNERS | BENCH_SCRAPE |
		    BENCH_GEO,
	.seed = 2018,
	.scanners = "deploy/research-scanners.txt",
	.pcap_counter = "build/darknet-pcap-counter",
	.daemon = "build/darknet-counter",
	.geo_db = "bench/geo-db",
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: darknet-bench --gen-ns NS --rx-ns NS [options]\n"
		"Measures the XDP counter against bare XDP_DROP and a libpcap counter.\n"
		"Run by scripts/bench.sh, which makes the namespaces and the veth.\n"
		"  --gen-ns NS, --rx-ns NS  namespaces of the generator and receiving veth ends\n"
		"  --gen-if IF, --rx-if IF  the veth ends (default %s, %s)\n"
		"  --cpu N                  CPU of the bench thread (default %d)\n"
		"  --peer-cpu N             CPU of the libpcap peer (default %d)\n"
		"  --frames N               frames per mix (default %zu)\n"
		"  --trials N               runs per figure, median (default %u)\n"
		"  --seconds S              per offered rate in section 3 (default %.1f)\n"
		"  --sections LIST          e.g. 1,2,5 (default all: 1..6)\n"
		"  --scanners FILE          scanner list of the mixes (default %s)\n"
		"  --pcap-counter PATH      (default %s)\n"
		"  --daemon PATH            (default %s)\n"
		"  --geo-db DIR             the full geo databases of section 6 (default %s)\n"
		"  --variant FILE.bpf.o     also measure this build of the counter in sections 1, 2\n"
		"                           (diagnostics; shares the counter's maps by name)\n",
		defaults.gen_if, defaults.rx_if, defaults.cpu, defaults.peer_cpu,
		defaults.frames, defaults.trials, defaults.seconds, defaults.scanners,
		defaults.pcap_counter, defaults.daemon, defaults.geo_db);
}

static int parse_sections(const char *s, unsigned int *out)
{
	*out = 0;
	for (; *s; s++) {
		if (*s >= '1' && *s <= '6')
			*out |= 1u << (*s - '1');
		else if (*s != ',')
			return -EINVAL;
	}
	return *out ? 0 : -EINVAL;
}

static int parse_args(int argc, char **argv, struct bench_opts *o)
{
	enum { GEN_NS = 256, RX_NS, GEN_IF, RX_IF, CPU, PEER_CPU, FRAMES, TRIALS,
	       SECONDS, SECTIONS, SCANNERS, PCAP, DAEMON, VARIANT, GEO_DB };
	static const struct option opts[] = {
		{ "gen-ns", required_argument, NULL, GEN_NS },
		{ "rx-ns", required_argument, NULL, RX_NS },
		{ "gen-if", required_argument, NULL, GEN_IF },
		{ "rx-if", required_argument, NULL, RX_IF },
		{ "cpu", required_argument, NULL, CPU },
		{ "peer-cpu", required_argument, NULL, PEER_CPU },
		{ "frames", required_argument, NULL, FRAMES },
		{ "trials", required_argument, NULL, TRIALS },
		{ "seconds", required_argument, NULL, SECONDS },
		{ "sections", required_argument, NULL, SECTIONS },
		{ "scanners", required_argument, NULL, SCANNERS },
		{ "pcap-counter", required_argument, NULL, PCAP },
		{ "daemon", required_argument, NULL, DAEMON },
		{ "variant", required_argument, NULL, VARIANT },
		{ "geo-db", required_argument, NULL, GEO_DB },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	*o = defaults;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case GEN_NS: o->gen_ns = optarg; break;
		case RX_NS: o->rx_ns = optarg; break;
		case GEN_IF: o->gen_if = optarg; break;
		case RX_IF: o->rx_if = optarg; break;
		case GEO_DB: o->geo_db = optarg; break;
		case CPU: o->cpu = atoi(optarg); break;
		case PEER_CPU: o->peer_cpu = atoi(optarg); break;
		case FRAMES: o->frames = strtoul(optarg, NULL, 0); break;
		case TRIALS: o->trials = strtoul(optarg, NULL, 0); break;
		case SECONDS: o->seconds = atof(optarg); break;
		case SECTIONS:
			if (parse_sections(optarg, &o->sections)) {
				fprintf(stderr, "bench: bad --sections '%s' (digits 1-6)\n", optarg);
				return -EINVAL;
			}
			break;
		case SCANNERS: o->scanners = optarg; break;
		case PCAP: o->pcap_counter = optarg; break;
		case DAEMON: o->daemon = optarg; break;
		case VARIANT:
			if (o->nr_variants == BENCH_MAX_VARIANTS) {
				fprintf(stderr, "bench: at most %d --variant\n", BENCH_MAX_VARIANTS);
				return -EINVAL;
			}
			o->variants[o->nr_variants++] = optarg;
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (optind != argc || !o->gen_ns || !o->rx_ns || o->frames < 1 || o->trials < 1 ||
	    o->trials > 99 || o->seconds <= 0) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

/* Machine, kernel and date: the figures mean nothing without them. */
static void print_header(struct bench *b)
{
	char model[256] = "unknown", line[512], date[64], loadavg[128];
	struct utsname u;
	time_t now = time(NULL);
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
			snprintf(model, sizeof(model), "%s", strchr(line, ':') + 2);
			model[strcspn(model, "\n")] = '\0';
			break;
		}
	if (f)
		fclose(f);
	uname(&u);
	f = fopen("/proc/loadavg", "r");
	if (!f || !fgets(loadavg, sizeof(loadavg), f))
		snprintf(loadavg, sizeof(loadavg), "unknown\n");
	if (f)
		fclose(f);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S %Z", localtime(&now));
	fprintf(b->out, "darknet-counter benchmark (make bench)\n"
		"date:    %s\nmachine: %s, %ld CPUs online, %s\nkernel:  %s %s\n"
		"load:    %s", date, model, sysconf(_SC_NPROCESSORS_ONLN), u.machine,
		u.sysname, u.release, loadavg);
	fprintf(b->out, "mixes:   %zu frames each (nicter %.0f B, sweep %.0f B, single %.0f B "
		"average), seed %llu\n", b->opt.frames,
		(double)b->mixes[0].stream.bytes / b->mixes[0].stream.nr_frames,
		(double)b->mixes[1].stream.bytes / b->mixes[1].stream.nr_frames,
		(double)b->mixes[2].stream.bytes / b->mixes[2].stream.nr_frames,
		(unsigned long long)b->opt.seed);
}

static const char *verdict(bool ok)
{
	return ok ? "met" : "MISSED";
}

/* The performance targets, each against the figure that decides it: nicter
 * at 0.8x and sweep at 0.6x of bare-drop throughput, 100,000 scanner prefixes
 * within +10% per packet of none, a libpcap peer losslessly at no more than
 * 1/10 of our rate, a 10,000-series scrape well under 100 ms of CPU. */
static void print_targets(struct bench *b)
{
	unsigned int s = b->opt.sections;

	fprintf(b->out, "\nTargets\n");
	if (s & BENCH_TESTRUN)
		fprintf(b->out, "  distinct-source sketches <= +15%% of own cost (nicter): %+.1f%%  %s\n",
			100 * b->distinct_increase, verdict(b->distinct_increase <= 0.15));
	if (s & BENCH_TESTRUN) {
		fprintf(b->out, "  event tables <= +30%% of own cost (nicter): %+.1f%%  %s\n",
			100 * b->events_increase, verdict(b->events_increase <= 0.30));
		fprintf(b->out, "  event tables <= 64 MiB kernel memory, any CPU count: %.1f MiB  %s\n",
			b->events_mib, verdict(b->events_mib <= 64));
	}
	if (s & BENCH_LIVE) {
		fprintf(b->out, "  nicter >= 0.8x bare-drop throughput: %.2fx  %s (--no-events: %.2fx)\n",
			b->live_ratio[0], verdict(b->live_ratio[0] >= 0.8),
			b->live_noevents_ratio);
		fprintf(b->out, "  sweep  >= 0.6x bare-drop throughput: %.2fx  %s\n",
			b->live_ratio[1], verdict(b->live_ratio[1] >= 0.6));
	}
	if ((s & BENCH_GEO) && b->geo_increase > -1) {
		fprintf(b->out, "  country + AS <= +15%% of own cost (nicter): %+.1f%%  %s\n",
			100 * b->geo_increase, verdict(b->geo_increase <= 0.15));
		fprintf(b->out, "  exact attribution over the full databases: %s\n",
			b->geo_exact_failed ? "FAILED" : "met");
	}
	if (s & BENCH_SCANNERS)
		fprintf(b->out, "  100,000 scanner prefixes <= +10%% per packet: %+.1f%%  %s\n",
			100 * b->scanners_increase, verdict(b->scanners_increase <= 0.10));
	if (s & BENCH_PEER)
		fprintf(b->out, "  libpcap peer <= 1/10 of our lossless rate: %.2f vs %s%.2f Mpps  %s\n",
			b->peer_lossless_mpps, b->ours_generator_bound ? ">= " : "",
			b->ours_lossless_mpps,
			verdict(b->peer_lossless_mpps * 10 <= b->ours_lossless_mpps));
	if (s & BENCH_SCRAPE) {
		fprintf(b->out, "  10,000-series scrape well under 100 ms CPU: %.1f ms  %s\n",
			b->scrape_10k_ms, verdict(b->scrape_10k_ms < 100));
		fprintf(b->out, "  128 CPUs: <= 256 MiB kernel memory per interface: %.1f MiB  %s\n",
			b->sensor_mib, verdict(b->sensor_mib <= 256));
		fprintf(b->out, "  128 CPUs: scrape after a full sweep <= 150 ms CPU: %.1f ms  %s\n",
			b->sensor_sweep_ms, verdict(b->sensor_sweep_ms <= 150));
		fprintf(b->out, "  128 CPUs: quiet sensor's scrape <= 20 ms CPU: %.1f ms  %s\n",
			b->sensor_quiet_ms, verdict(b->sensor_quiet_ms <= 20));
	}
}

int main(int argc, char **argv)
{
	struct bench b = { .out = stdout, .geo_increase = -2 };
	int err;

	if (parse_args(argc, argv, &b.opt))
		return 2;
	log_route_libraries();
	err = bench_pin(b.opt.cpu);
	if (err) {
		fprintf(stderr, "bench: cannot pin to CPU %d: %s\n", b.opt.cpu, strerror(-err));
		return 1;
	}
	/* Real-time priority, lowest level: other tasks of a shared machine then
	 * run on the other CPU instead of inside our timed loops (the kernel's
	 * test-run timer already skips the time it yields, not the cache they
	 * leave behind). Children (libpcap peer, daemon) start as normal tasks. */
	struct sched_param sp = { .sched_priority = 1 };

	if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp))
		fprintf(stderr, "bench: no real-time priority (%s); figures may be noisier\n",
			strerror(errno));
	err = bench_setup(&b);
	if (!err)
		print_header(&b);
	if (!err && (b.opt.sections & BENCH_TESTRUN))
		err = bench_section_testrun(&b);
	if (!err && (b.opt.sections & BENCH_LIVE))
		err = bench_section_live(&b);
	if (!err && (b.opt.sections & BENCH_PEER))
		err = bench_section_peer(&b);
	if (!err && (b.opt.sections & BENCH_SCANNERS))
		err = bench_section_scanners(&b);
	if (!err && (b.opt.sections & BENCH_SCRAPE))
		err = bench_section_scrape(&b);
	if (!err && (b.opt.sections & BENCH_GEO))
		err = bench_section_geo(&b);
	if (!err)
		print_targets(&b);
	fflush(b.out);
	bench_teardown(&b);
	return err ? 1 : 0;
}
