/* trafgen_send.c: darknet-trafgen's sending: AF_PACKET socket, paced sendmmsg() batches, summary. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "names.h"
#include "netns.h"
#include "trafgen.h"

#define NSEC 1000000000ull
/* How long to back off when the interface queue is full. Long enough for
 * the peer's softirq to drain a batch, short against a 1 s progress line. */
#define BACKOFF_NS 50000

/* Enter the namespace (if any) and open a raw packet socket on the
 * interface there. Protocol 0: the socket sends and never receives. */
int tg_open_socket(const struct tg_config *cfg)
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
		uint64_t t_ns;
		int len = r->campaign ? campaign_next(&r->camp, b->frames[i], &t_ns)
				      : mix_next(&r->mix, b->frames[i]);

		if (len < 0) {
			fprintf(stderr, PROG ": failed to build a frame: %s\n", strerror(-len));
			return len;
		}
		b->info[i] = r->campaign ? r->camp.info : r->mix.info;
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
			sleep_until(now_ns() + BACKOFF_NS);
			return 0;
		}
		fprintf(stderr, PROG ": failed to send on %s: %s\n", iface, strerror(errno));
		return -errno;
	}
	for (int i = 0; i < n; i++) {
		mix_tally_add(&r->tally, &b->info[b->head + i]);
		if (r->track && mix_distinct_add(&r->distinct, &b->info[b->head + i])) {
			fprintf(stderr, PROG ": out of memory counting distinct sources\n");
			return -ENOMEM;
		}
	}
	b->head += n;
	return 0;
}

/* A campaign's frames go at their scheduled times: those due by t_ns
 * (at most cap); none left to wait for ends the run (*wake 0). */
static uint64_t campaign_due(const struct campaign_state *c, uint64_t t_ns, uint64_t cap,
			     uint64_t start_ns, uint64_t *wake)
{
	uint64_t due = 0;

	while (due < cap && c->next + due < c->nr_pkts && c->sched[c->next + due].t_ns <= t_ns)
		due++;
	*wake = c->next < c->nr_pkts ? start_ns + c->sched[c->next].t_ns : 0;
	return due;
}

/* How many frames may go now: what the rate allows by this time, capped by
 * the batch and by --count. 0 means "wait until *wake". */
static uint64_t frames_due(const struct tg_config *cfg, const struct tg_run *r,
			   uint64_t now, uint64_t *wake)
{
	uint64_t sent = r->tally.packets, due = BATCH;

	if (cfg->count && cfg->count - sent < due)
		due = cfg->count - sent;
	if (r->campaign)
		return campaign_due(&r->camp, now - r->start_ns, due, r->start_ns, wake);
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

int tg_send_loop(const struct tg_config *cfg, struct tg_run *r)
{
	uint64_t end = 0, next_report, now, wake = 0, due;
	int err = 0;

	r->start_ns = now_ns();
	next_report = r->start_ns + NSEC;
	if (cfg->duration > 0)
		end = r->start_ns + (uint64_t)(cfg->duration * NSEC);
	while (!tg_stop && !err && (!cfg->count || r->tally.packets < cfg->count)) {
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
		if (!due && r->campaign && r->camp.next >= r->camp.nr_pkts)
			break;
		if (!due) {
			sleep_until(end && wake > end ? end : wake);
			continue;
		}
		err = fill_batch(r, (int)due);
	}
	return err;
}

/* The --sources truth, in the labels of darknet_unique_sources and
 * darknet_port_unique_sources; ports in (proto, port) order. */
static void print_distinct(const struct mix_distinct *d)
{
	for (unsigned int f = 0; f < DN_FAMILY_MAX; f++)
		for (unsigned int c = 0; c < DN_CLASS_MAX; c++)
			if (d->cls[f][c])
				printf("sources %s %s %" PRIu64 "\n", names_family(f),
				       names_class(c), d->cls[f][c]);
	for (unsigned int idx = 0; d->port_slot && idx < 2u << 16; idx++)
		if (d->port_slot[idx])
			printf("port_sources %s %u %" PRIu64 "\n", idx >> 16 ? "udp" : "tcp",
			       idx & 0xffff, d->port_n[d->port_slot[idx] - 1]);
	if (d->untracked)
		printf("port_sources_untracked %" PRIu64 "\n", d->untracked);
}

void tg_print_summary(const struct tg_run *r)
{
	uint64_t end_ns = now_ns();
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
				       names_family(f), names_proto(f, p, proto), names_class(c),
				       t->key_packets[k], t->key_bytes[k]);
			}
	for (unsigned int i = 0; i < t->nr_orgs; i++)
		printf("org %s %" PRIu64 "\n", t->orgs[i].org, t->orgs[i].packets);
	if (r->track)
		print_distinct(&r->distinct);
	fflush(stdout);
}
