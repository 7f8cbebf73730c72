/* bench_peer.c: the libpcap peer against the counter at increasing offered rates (section 3). */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "bench.h"
#include "bench_drop.skel.h"
#include "darknet_counter.skel.h"
#include "netns.h"

/*
 * Same path as section 2 (generator, veth and the veth's receive side on
 * the bench CPU), now paced: the generator busy-waits in its program for
 * each frame's time slot. The XDP counter counts and drops there, in the
 * receive path, sharing its CPU with the generator. For the peer, bench_pass
 * lets every frame up the stack, and RPS hands it over to the peer CPU,
 * where the stack, AF_PACKET (copying it into libpcap's ring) and the
 * darknet-pcap-counter process that reads and counts it all run: the setup
 * an operator would choose for a capture on a small box. A frame the peer
 * CPU cannot take in time is dropped from its backlog queue. A rate is kept
 * without loss when every frame sent was counted. So the peer gets a CPU of
 * its own and ours shares one with the generator: our lossless rate is a
 * lower bound. CPU per packet: the peer process's CPU time over its
 * packets, plus the kernel's extra per-packet work for it (skb, AF_PACKET),
 * measured flat out as in section 2 with every frame kept on the bench CPU
 * (no RPS), against bare XDP_DROP.
 */

#define NR_RATES 9
static const double rates_mpps[NR_RATES] = {
	0.1, 0.25, 0.5, 1, 1.5, 2, 4, 8, 0 /* 0: unpaced */
};
#define UNPACED_FRAMES (4u << 20)
#define READ_TIMEOUT_MS 3000
#define DRAIN_POLL_US 150000

struct step {
	double mpps;          /* achieved offered rate */
	uint64_t sent, got;
	double cpu_ns;        /* peer process CPU per packet (peer only) */
	bool run;
};

struct peer {
	pid_t pid;
	int fd;               /* its stdout */
	char buf[1024];       /* bytes read from fd, not yet returned as lines */
	size_t len;
};

struct peer_stats {
	uint64_t packets, cpu_ns;
	unsigned int drop;
};

/* One line of the peer's output, waiting at most READ_TIMEOUT_MS for it. */
static int read_line(struct peer *p, char *line, size_t size)
{
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
	char *nl;
	ssize_t n;

	while (!(nl = memchr(p->buf, '\n', p->len))) {
		if (p->len == sizeof(p->buf))
			return -EPROTO;
		if (poll(&pfd, 1, READ_TIMEOUT_MS) <= 0)
			return -ETIMEDOUT;
		n = read(p->fd, p->buf + p->len, sizeof(p->buf) - p->len);
		if (n <= 0)
			return n ? -errno : -EPIPE;
		p->len += n;
	}
	*nl = '\0';
	snprintf(line, size, "%s", p->buf);
	p->len -= nl + 1 - p->buf;
	memmove(p->buf, nl + 1, p->len);
	return 0;
}

static int peer_stats(struct peer *p, struct peer_stats *s)
{
	char line[512];
	int err;

	kill(p->pid, SIGUSR1);
	do {
		err = read_line(p, line, sizeof(line));
	} while (!err && strncmp(line, "stats ", 6));
	if (err)
		return err;
	if (sscanf(line, "stats packets=%" SCNu64 " %*s %*s %*s ps_drop=%u %*s cpu_ns=%" SCNu64,
		   &s->packets, &s->drop, &s->cpu_ns) != 3)
		return -EPROTO;
	return 0;
}

/* Child: the peer's CPU, the receiving namespace, stdout into our pipe. */
static void exec_peer(const struct bench *b, int out_fd)
{
	int saved;

	bench_pin(b->opt.peer_cpu);
	if (netns_enter(b->opt.rx_ns, &saved))
		_exit(127);
	dup2(out_fd, STDOUT_FILENO);
	execl(b->opt.pcap_counter, b->opt.pcap_counter, b->opt.rx_if, (char *)NULL);
	fprintf(stderr, "bench: cannot run %s: %s\n", b->opt.pcap_counter, strerror(errno));
	_exit(127);
}

static int peer_start(struct bench *b, struct peer *p)
{
	char line[256];
	int fds[2], err;

	if (pipe(fds))
		return -errno;
	p->pid = fork();
	if (p->pid < 0)
		return -errno;
	if (!p->pid) {
		close(fds[0]);
		exec_peer(b, fds[1]);
	}
	close(fds[1]);
	p->fd = fds[0];
	err = read_line(p, line, sizeof(line));
	if (!err && strncmp(line, "ready", 5))
		err = -EPROTO;
	if (err)
		fprintf(stderr, "bench: %s did not start on %s\n", b->opt.pcap_counter,
			b->opt.rx_if);
	return err;
}

static void peer_stop(struct peer *p)
{
	if (p->pid > 0) {
		kill(p->pid, SIGTERM);
		waitpid(p->pid, NULL, 0);
	}
	if (p->fd >= 0)
		close(p->fd);
}

static uint64_t step_frames(const struct bench *b, double mpps)
{
	return mpps > 0 ? (uint64_t)(mpps * 1e6 * b->opt.seconds) : UNPACED_FRAMES;
}

static int ours_step(struct bench *b, double mpps, struct step *s)
{
	uint64_t before[DN_CLASS_MAX], after[DN_CLASS_MAX], rb, ra;
	struct bench_gen_result r;
	int err;

	err = bench_counter_totals(b, before, &rb);
	err = err ?: bench_generate(b, step_frames(b, mpps), mpps * 1e6, &r);
	err = err ?: bench_counter_totals(b, after, &ra);
	if (err)
		return err;
	s->sent = r.sent;
	s->got = ra - rb;
	for (int c = 0; c < DN_CLASS_MAX; c++)
		s->got += after[c] - before[c];
	s->mpps = 1e3 / r.ns_per_frame;
	s->run = true;
	return 0;
}

/* Wait until the peer has read what it will read: libpcap hands over a
 * ring block when it is full or after its 100 ms timeout. */
static int peer_drain(struct peer *p, uint64_t expect, struct peer_stats *s)
{
	uint64_t last = UINT64_MAX;
	int err;

	for (int i = 0; i < 20; i++) {
		err = peer_stats(p, s);
		if (err || s->packets >= expect || s->packets == last)
			return err;
		last = s->packets;
		usleep(DRAIN_POLL_US);
	}
	return 0;
}

static int peer_step(struct bench *b, struct peer *p, double mpps, struct step *s)
{
	struct peer_stats s0, s1;
	struct bench_gen_result r;
	int err;

	err = peer_stats(p, &s0);
	err = err ?: bench_generate(b, step_frames(b, mpps), mpps * 1e6, &r);
	err = err ?: peer_drain(p, s0.packets + r.sent, &s1);
	if (err)
		return err;
	s->sent = r.sent;
	s->got = s1.packets - s0.packets;
	s->cpu_ns = s->got ? (double)(s1.cpu_ns - s0.cpu_ns) / s->got : 0;
	s->mpps = 1e3 / r.ns_per_frame;
	s->run = true;
	return 0;
}

/* Highest achieved rate without loss (0: none). */
static double lossless(const struct step *s, bool *all)
{
	double best = 0;

	*all = true;
	for (int i = 0; i < NR_RATES; i++) {
		if (!s[i].run)
			continue;
		if (s[i].got == s[i].sent && s[i].mpps > best)
			best = s[i].mpps;
		*all &= s[i].got == s[i].sent;
	}
	return best;
}

/* What prog_fd receiving costs the unpaced path beyond bare drop, ns per
 * frame: the median of paired differences over short trials that alternate
 * which of the two goes first (so slow phases of the host hit both); *drop
 * gets bare drop's median. */
static int unpaced_extra(struct bench *b, int prog_fd, double *extra, double *drop)
{
	int fds[2] = { prog_fd, bpf_program__fd(b->sink->progs.bench_drop) };
	unsigned int n = 3 * b->opt.trials;
	struct bench_gen_result r;
	double t[2][n], d[n];
	int err = 0;

	for (unsigned int i = 0; !err && i < n; i++) {
		for (int j = 0; !err && j < 2; j++) {
			int k = (i + j) % 2;

			err = bench_attach_rx(b, fds[k]);
			err = err ?: bench_generate(b, UNPACED_FRAMES / 4, 0, &r);
			t[k][i] = r.ns_per_frame;
		}
		d[i] = t[0][i] - t[1][i];
	}
	*extra = bench_median(d, n);
	*drop = bench_median(t[1], n);
	return err;
}

static void print_steps(struct bench *b, const struct step *ours, const struct step *pc)
{
	fprintf(b->out, "  %-9s | %-8s %10s %10s %9s | %-8s %10s %10s %9s %11s\n", "offered",
		"ours:", "sent", "counted", "lost", "libpcap:", "sent", "counted", "lost",
		"proc ns/pkt");
	for (int i = 0; i < NR_RATES; i++) {
		char name[16];

		if (rates_mpps[i] > 0)
			snprintf(name, sizeof(name), "%.2f", rates_mpps[i]);
		else
			snprintf(name, sizeof(name), "max");
		fprintf(b->out, "  %-9s | %6.2f   %10" PRIu64 " %10" PRIu64 " %9" PRId64 " |",
			name, ours[i].mpps, ours[i].sent, ours[i].got,
			(int64_t)(ours[i].sent - ours[i].got));
		if (pc[i].run)
			fprintf(b->out, " %6.2f   %10" PRIu64 " %10" PRIu64 " %9" PRId64 " %11.0f\n",
				pc[i].mpps, pc[i].sent, pc[i].got,
				(int64_t)(pc[i].sent - pc[i].got), pc[i].cpu_ns);
		else
			fprintf(b->out, " (not run: lost at two lower rates)\n");
	}
}

/* ctr_ns and pass_ns are beyond bare drop; drop_ns is bare drop's own. */
static void print_summary(struct bench *b, const struct step *ours, const struct step *pc,
			  double drop_ns, double ctr_ns, double pass_ns, double pc_cpu)
{
	bool ours_all, pc_all;
	double o = lossless(ours, &ours_all), q = lossless(pc, &pc_all);

	b->ours_lossless_mpps = o;
	b->peer_lossless_mpps = q;
	b->ours_generator_bound = ours_all;
	fprintf(b->out, "  highest rate without loss: ours %s%.2f Mpps%s, libpcap %.2f Mpps = "
		"1/%.1f of ours (target <= 1/10)\n", ours_all ? ">= " : "", o,
		ours_all ? " (no loss at any rate: the generator's CPU is the limit)" : "",
		q, q > 0 ? o / q : 0);
	fprintf(b->out, "  CPU per packet beyond bare XDP_DROP: ours %.0f ns (XDP, kernel); "
		"libpcap %.0f ns kernel (skb,\n  AF_PACKET) + %.0f ns in its process (1 Mpps, no RPS) = %.0f ns "
		"(%.1fx ours)\n", ctr_ns, pass_ns, pc_cpu, pass_ns + pc_cpu,
		(pass_ns + pc_cpu) / ctr_ns);
	/* What no counter can beat here: the same path with bare XDP_DROP. */
	fprintf(b->out, "  ceiling on this path: bare XDP_DROP %.2f Mpps = %.1fx the peer's "
		"lossless rate%s\n", 1e3 / drop_ns, q > 0 ? 1e3 / drop_ns / q : 0,
		q > 0 && 1e3 / drop_ns / q < 10 ?
		"\n  (1/10 is out of reach here even for a counter that cost nothing)" : "");
}

/* RPS on the receiving veth's queue: frames the stack takes go to cpu's
 * backlog (cpu < 0: stay on the receiving CPU). Only a sysfs mounted in the
 * receiving namespace shows its devices, so `ip netns exec`, which mounts
 * one, writes the mask; the names travel as arguments, never as code. */
static int steer_stack_to(const struct bench *b, int cpu)
{
	char mask[20];
	int status;
	pid_t pid;

	snprintf(mask, sizeof(mask), "%llx", cpu < 0 ? 0ull : 1ull << cpu);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		execlp("ip", "ip", "netns", "exec", b->opt.rx_ns, "sh", "-c",
		       "echo \"$1\" > \"/sys/class/net/$2/queues/rx-0/rps_cpus\"", "sh", mask,
		       b->opt.rx_if, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return 0;
	fprintf(stderr, "bench: cannot set RPS on %s in %s\n", b->opt.rx_if, b->opt.rx_ns);
	return -EIO;
}

int bench_section_peer(struct bench *b)
{
	struct step ours[NR_RATES] = { 0 }, pc[NR_RATES] = { 0 }, alone = { 0 };
	struct peer p = { .pid = -1, .fd = -1 };
	/* ctr_ns and pass_ns: beyond bare drop, whose own figure is drop_ns */
	double drop_ns = 0, ctr_ns = 0, pass_ns = 0, t;
	int lossy = 0, err;

	fprintf(b->out,
		"\n3. The libpcap peer on the same veth (nicter mix; %.1f s per rate). The paced\n"
		"   generator, the veth and ours (XDP in its receive path) share CPU %d; for the\n"
		"   peer, RPS hands what the stack takes to CPU %d, where the stack, AF_PACKET and\n"
		"   the darknet-pcap-counter process run. Mpps columns are the rates the generator\n"
		"   achieved; a receiver that falls behind loses frames. The peer has a CPU of\n"
		"   its own, ours shares one with the generator: our rate is a lower bound.\n",
		b->opt.seconds, b->opt.cpu, b->opt.peer_cpu);
	err = bench_use_mix(b, 0);
	err = err ?: bench_attach_rx(b, bpf_program__fd(b->ctr->progs.darknet_counter));
	for (int i = 0; !err && i < NR_RATES; i++)
		err = ours_step(b, rates_mpps[i], &ours[i]);
	err = err ?: unpaced_extra(b, bpf_program__fd(b->ctr->progs.darknet_counter), &ctr_ns,
				   &drop_ns);
	err = err ?: bench_attach_rx(b, bpf_program__fd(b->sink->progs.bench_pass));
	err = err ?: peer_start(b, &p);
	err = err ?: steer_stack_to(b, b->opt.peer_cpu);
	for (int i = 0; !err && i < NR_RATES && lossy < 2; i++) {
		err = peer_step(b, &p, rates_mpps[i], &pc[i]);
		lossy = pc[i].got == pc[i].sent ? 0 : lossy + 1;
	}
	/* The process's own CPU per packet with the stack off its CPU: with
	 * RPS, softirq work that interrupts it is charged to it. */
	err = err ?: steer_stack_to(b, -1);
	err = err ?: peer_step(b, &p, 1.0, &alone);
	err = err ?: unpaced_extra(b, bpf_program__fd(b->sink->progs.bench_pass), &pass_ns, &t);
	peer_stop(&p);
	steer_stack_to(b, -1);
	bench_attach_rx(b, bpf_program__fd(b->sink->progs.bench_drop));
	if (err) {
		fprintf(stderr, "bench: peer section failed: %s\n", strerror(-err));
		return err;
	}
	print_steps(b, ours, pc);
	print_summary(b, ours, pc, drop_ns, ctr_ns, pass_ns, alone.cpu_ns);
	return 0;
}
