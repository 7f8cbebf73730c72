/* traffic.c: test traffic (darknet-trafgen runs, hand-made frames) and the counters it must produce. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "mix.h"
#include "names.h"
#include "netns.h"
#include "prefix.h"
#include "proc.h"
#include "traffic.h"

static int parse_tgen(struct tgen_result *r, const char *out)
{
	for (const char *line = out; line && *line; ) {
		const char *eol = strchr(line, '\n');
		struct tgen_series s = { 0 }, *grown;
		struct tgen_distinct d = { 0 }, *more;

		if (sscanf(line, "sent %" SCNu64 " packets %" SCNu64 " bytes", &r->packets,
			   &r->bytes) == 2) {
			/* counted */
		} else if (sscanf(line, "series %7s %7s %15s %" SCNu64 " %" SCNu64, s.family,
				  s.proto, s.cls, &s.packets, &s.bytes) == 5) {
			grown = realloc(r->s, (r->n + 1) * sizeof(*grown));
			if (!grown)
				return -1;
			r->s = grown;
			r->s[r->n++] = s;
		} else if (sscanf(line, "sources %7s %15s %" SCNu64, d.a, d.b, &d.n) == 3 ||
			   sscanf(line, "port_sources %7s %15s %" SCNu64, d.a, d.b, &d.n) == 3) {
			d.kind = line[0];
			more = realloc(r->d, (r->nd + 1) * sizeof(*more));
			if (!more)
				return -1;
			r->d = more;
			r->d[r->nd++] = d;
		}
		line = eol ? eol + 1 : NULL;
	}
	return 0;
}

int tgen_run(const struct netfix *f, const char *mix, uint64_t count, uint64_t seed,
	     const char *scanners, struct tgen_result *r)
{
	return tgen_run_rate(f, mix, count, seed, scanners, 0, r);
}

/* darknet-trafgen's command line into argv (24 slots); bufs holds the numbers. */
static void tgen_argv(const char *argv[24], char bufs[5][32], char *prog, const struct netfix *f,
		      const char *mix, uint64_t count, uint64_t seed, const char *scanners,
		      unsigned int rate, double max_s, uint64_t sources)
{
	int argc = 0;

	argv[argc++] = prog;
	argv[argc++] = "--netns";
	argv[argc++] = f->ns_inet;
	argv[argc++] = "--iface";
	argv[argc++] = f->if_inet;
	argv[argc++] = "--mix";
	argv[argc++] = mix;
	argv[argc++] = "--seed";
	snprintf(bufs[0], 32, "%" PRIu64, seed);
	argv[argc++] = bufs[0];
	argv[argc++] = "-q";
	if (count) {
		snprintf(bufs[1], 32, "%" PRIu64, count);
		argv[argc++] = "--count";
		argv[argc++] = bufs[1];
	}
	if (scanners) {
		argv[argc++] = "--scanners";
		argv[argc++] = scanners;
	}
	if (rate) {
		snprintf(bufs[2], 32, "%u", rate);
		argv[argc++] = "--rate";
		argv[argc++] = bufs[2];
	}
	if (max_s > 0) {
		snprintf(bufs[3], 32, "%g", max_s);
		argv[argc++] = "--duration";
		argv[argc++] = bufs[3];
	}
	if (sources) {
		snprintf(bufs[4], 32, "%" PRIu64, sources);
		argv[argc++] = "--sources";
		argv[argc++] = bufs[4];
	}
	argv[argc] = NULL;
}

/* A finished run's status and output into r. */
int tgen_result_of(struct e2e_run *run, struct tgen_result *r)
{
	int ret;

	r->status = run->status;
	r->err = run->err;
	run->err = NULL;
	ret = parse_tgen(r, run->out);
	e2e_run_free(run);
	return ret || r->status ? -1 : 0;
}

static int tgen_run_argv(const struct netfix *f, const char *mix, uint64_t count,
			 uint64_t seed, const char *scanners, unsigned int rate, uint64_t sources,
			 struct tgen_result *r)
{
	char bufs[5][32], *prog = e2e_prog("darknet-trafgen");
	const char *argv[24];
	struct e2e_run run;
	int ret;

	memset(r, 0, sizeof(*r));
	tgen_argv(argv, bufs, prog, f, mix, count, seed, scanners, rate, 0, sources);
	ret = e2e_run((char *const *)argv, 60000, &run);
	free(prog);
	return ret ? ret : tgen_result_of(&run, r);
}

int tgen_run_rate(const struct netfix *f, const char *mix, uint64_t count, uint64_t seed,
		  const char *scanners, unsigned int rate, struct tgen_result *r)
{
	return tgen_run_argv(f, mix, count, seed, scanners, rate, 0, r);
}

int tgen_run_sources(const struct netfix *f, const char *mix, uint64_t count, uint64_t seed,
		     const char *scanners, uint64_t sources, struct tgen_result *r)
{
	return tgen_run_argv(f, mix, count, seed, scanners, 0, sources, r);
}

int tgen_start(const struct netfix *f, const char *mix, uint64_t seed, const char *scanners,
	       unsigned int rate, double max_s, struct e2e_child *c)
{
	char bufs[5][32], *prog = e2e_prog("darknet-trafgen");
	const char *argv[24];
	int ret;

	tgen_argv(argv, bufs, prog, f, mix, 0, seed, scanners, rate, max_s, 0);
	ret = e2e_spawn((char *const *)argv, c);
	free(prog);
	return ret;
}

int tgen_stop(struct e2e_child *c, int *was_running, struct tgen_result *r)
{
	struct e2e_run run;
	int ret;

	memset(r, 0, sizeof(*r));
	*was_running = c->pid && !e2e_exited(c);
	ret = e2e_finish(c, SIGTERM, 10000, &run);
	return ret ? ret : tgen_result_of(&run, r);
}

void tgen_free(struct tgen_result *r)
{
	free(r->s);
	free(r->d);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

uint64_t tgen_packets(const struct tgen_result *r, const char *family, const char *proto,
		      const char *cls)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->s[i].family, family) && !strcmp(r->s[i].proto, proto) &&
		    !strcmp(r->s[i].cls, cls))
			return r->s[i].packets;
	return 0;
}

static uint64_t distinct_get(const struct tgen_result *r, char kind, const char *a,
			     const char *b)
{
	for (size_t i = 0; i < r->nd; i++)
		if (r->d[i].kind == kind && !strcmp(r->d[i].a, a) && !strcmp(r->d[i].b, b))
			return r->d[i].n;
	return 0;
}

uint64_t tgen_sources(const struct tgen_result *r, const char *family, const char *cls)
{
	return distinct_get(r, 's', family, cls);
}

uint64_t tgen_port_sources(const struct tgen_result *r, const char *proto, unsigned int port)
{
	char text[16];

	snprintf(text, sizeof(text), "%u", port);
	return distinct_get(r, 'p', proto, text);
}

int inject_open(const struct netfix *f)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	int saved, fd, err = netns_enter(f->ns_inet, &saved);

	if (err)
		return err;
	/* protocol 0: this socket only sends */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	err = fd < 0 ? -errno : 0;
	sll.sll_ifindex = (int)if_nametoindex(f->if_inet);
	if (!err && !sll.sll_ifindex)
		err = -ENODEV;
	if (!err && bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		err = -errno;
	netns_restore(saved);
	if (err && fd >= 0)
		close(fd);
	return err ? err : fd;
}

int inject_send(int fd, const void *frame, size_t len, int n)
{
	for (int i = 0; i < n; i++) {
		ssize_t sent = send(fd, frame, len, 0);

		if (sent < 0 && (errno == ENOBUFS || errno == EAGAIN)) {
			e2e_sleep_ms(1);
			i--;
			continue;
		}
		if (sent != (ssize_t)len)
			return sent < 0 ? -errno : -EIO;
	}
	return 0;
}

void expect_add(struct expect *x, const char *name, const char *labels, double delta)
{
	for (size_t i = 0; i < x->n; i++)
		if (!strcmp(x->v[i].name, name) && !strcmp(x->v[i].labels, labels)) {
			x->v[i].value += delta;
			return;
		}
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 64;
		struct expect_item *v = realloc(x->v, cap * sizeof(*v));

		if (!v)
			return;
		x->v = v;
		x->cap = cap;
	}
	snprintf(x->v[x->n].name, sizeof(x->v[x->n].name), "%s", name);
	snprintf(x->v[x->n].labels, sizeof(x->v[x->n].labels), "%s", labels);
	x->v[x->n++].value = delta;
}

double expect_get(const struct expect *x, const char *name, const char *labels)
{
	for (size_t i = 0; i < x->n; i++)
		if (!strcmp(x->v[i].name, name) && !strcmp(x->v[i].labels, labels))
			return x->v[i].value;
	return 0;
}

void expect_free(struct expect *x)
{
	free(x->v);
	memset(x, 0, sizeof(*x));
}

/* The destination address of a frame as frame_build() makes them (VLAN
 * tags skipped): 0 and *p filled in, -1 for a frame that is not IP. */
static int frame_dst(const uint8_t *f, size_t len, struct dn_prefix *p)
{
	size_t off = 12;
	unsigned int type;

	memset(p, 0, sizeof(*p));
	for (;;) {
		if (off + 2 > len)
			return -1;
		type = (unsigned int)f[off] << 8 | f[off + 1];
		if (type != 0x8100 && type != 0x88a8)
			break;
		off += 4;
	}
	off += 2;
	if (type == 0x0800 && off + 20 <= len) {
		p->family = DN_FAMILY_IPV4;
		p->len = 32;
		memcpy(p->addr, f + off + 16, 4);
		return 0;
	}
	if (type == 0x86dd && off + 40 <= len) {
		p->family = DN_FAMILY_IPV6;
		p->len = 128;
		memcpy(p->addr, f + off + 24, 16);
		return 0;
	}
	return -1;
}

static int prefix_covers(const struct dn_prefix *net, const struct dn_prefix *a)
{
	unsigned int bits = net->len;

	if (net->family != a->family)
		return 0;
	if (memcmp(net->addr, a->addr, bits / 8))
		return 0;
	if (bits % 8) {
		uint8_t mask = (uint8_t)(0xff << (8 - bits % 8));

		return (net->addr[bits / 8] & mask) == (a->addr[bits / 8] & mask);
	}
	return 1;
}

/* Longest configured darknet prefix holding the address; NULL if none. */
static const struct dn_prefix *longest(const struct dn_prefix *list, int n,
				       const struct dn_prefix *a)
{
	const struct dn_prefix *best = NULL;

	for (int i = 0; i < n; i++)
		if (prefix_covers(&list[i], a) && (!best || list[i].len > best->len))
			best = &list[i];
	return best;
}

/* The frames a trafgen run with these arguments sends, made here again. */
static int make_frames(const char *mix, uint64_t seed, uint64_t count, const char *scanners,
		       struct mix_state *st, struct mix_frames *frames, char *err, size_t errlen)
{
	struct dn_prefix_list sc;
	struct mix_config mc = { .name = mix, .seed = seed, .scanners = &sc };
	int ret = 0;

	prefix_list_init(&sc);
	if (scanners)
		ret = prefix_list_load_scanners(&sc, scanners, err, errlen);
	ret = ret ?: mix_init(st, &mc, err, errlen);
	prefix_list_free(&sc);
	if (ret)
		return -1;
	if (mix_generate(st, count, frames)) {
		snprintf(err, errlen, "mix_generate failed");
		mix_free(st);
		return -1;
	}
	return 0;
}

static void expect_frame(struct expect *x, const char *iface, const struct mix_frame_info *fi,
			 const struct dn_prefix *net)
{
	char labels[256], pbuf[NAMES_PROTO_LEN], text[DN_PREFIX_STRLEN];
	const char *fam = names_family(fi->family), *cls = names_class(fi->cls);
	const char *proto = names_proto(fi->family, fi->proto, pbuf);

	snprintf(labels, sizeof(labels), "iface=%s,family=%s,proto=%s,class=%s",
		 iface, fam, proto, cls);
	expect_add(x, "darknet_packets_total", labels, 1);
	expect_add(x, "darknet_bytes_total", labels, fi->len);
	prefix_format(net, text, sizeof(text));
	snprintf(labels, sizeof(labels), "iface=%s,prefix=%s", iface, text);
	expect_add(x, "darknet_prefix_packets_total", labels, 1);
	if (fi->has_port) {
		snprintf(labels, sizeof(labels), "iface=%s,proto=%s,port=%u,class=%s",
			 iface, proto, fi->dport, cls);
		expect_add(x, "darknet_port_packets_total", labels, 1);
	} else if (fi->proto == 6 || fi->proto == 17) {
		/* a non-first fragment has no port: the exporter shows it as
		 * port="other", so that port series sum to darknet_packets_total */
		snprintf(labels, sizeof(labels), "iface=%s,proto=%s,port=other,class=%s",
			 iface, proto, cls);
		expect_add(x, "darknet_port_packets_total", labels, 1);
	}
	if (fi->has_icmp) {
		snprintf(labels, sizeof(labels), "iface=%s,family=%s,type=%u,class=%s",
			 iface, fam, fi->icmp_type, cls);
		expect_add(x, "darknet_icmp_packets_total", labels, 1);
	}
	if (fi->org) {
		snprintf(labels, sizeof(labels), "iface=%s,org=%s", iface, fi->org);
		expect_add(x, "darknet_scanner_packets_total", labels, 1);
	}
}

int expect_mix(struct expect *x, const char *iface, const char *mix, uint64_t seed,
	       uint64_t count, const char *scanners, const char *const darknets[],
	       char *err, size_t errlen)
{
	struct dn_prefix list[64];
	struct mix_state st;
	struct mix_frames frames;
	char labels[256];
	int n = 0;

	for (; darknets && darknets[n] && n < 64; n++)
		if (prefix_parse(darknets[n], &list[n], err, errlen))
			return -1;
	if (make_frames(mix, seed, count, scanners, &st, &frames, err, errlen))
		return -1;
	snprintf(labels, sizeof(labels), "iface=%s,reason=%s", iface,
		 names_reason(DN_REASON_NOT_DARKNET));
	for (size_t i = 0; i < frames.n; i++) {
		const struct mix_frame_info *fi = &frames.info[i];
		struct dn_prefix dst;
		const struct dn_prefix *net = NULL;

		if (!frame_dst(mix_frame(&frames, i), fi->len, &dst))
			net = longest(list, n, &dst);
		if (net)
			expect_frame(x, iface, fi, net);
		else
			expect_add(x, "darknet_passed_packets_total", labels, 1);
	}
	mix_frames_free(&frames);
	mix_free(&st);
	return 0;
}

int expect_mix_ports(const char *mix, uint64_t seed, uint64_t count, const char *scanners,
		     char *buf, size_t len)
{
	static uint8_t seen[65536 / 8];
	struct mix_state st;
	struct mix_frames frames;
	char err[256];
	size_t used = 0;

	memset(seen, 0, sizeof(seen));
	buf[0] = '\0';
	if (make_frames(mix, seed, count, scanners, &st, &frames, err, sizeof(err)))
		return -1;
	for (size_t i = 0; i < frames.n; i++) {
		unsigned int p = frames.info[i].dport;

		if (!frames.info[i].has_port || (seen[p / 8] & (1u << (p % 8))))
			continue;
		seen[p / 8] |= (uint8_t)(1u << (p % 8));
		if (used + 8 < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%u", used ? "," : "", p);
	}
	mix_frames_free(&frames);
	mix_free(&st);
	return 0;
}

int expect_mix_port_counts(const char *mix, uint64_t seed, uint64_t count,
			   const char *scanners, unsigned int ipproto, uint64_t *counts,
			   char *err, size_t errlen)
{
	struct mix_state st;
	struct mix_frames frames;

	if (make_frames(mix, seed, count, scanners, &st, &frames, err, errlen))
		return -1;
	for (size_t i = 0; i < frames.n; i++) {
		const struct mix_frame_info *fi = &frames.info[i];

		if (fi->has_port && fi->proto == ipproto)
			counts[fi->dport]++;
	}
	mix_frames_free(&frames);
	mix_free(&st);
	return 0;
}

int tgen_send(const struct netfix *f, const char *mix, uint64_t n, uint64_t seed,
	      const char *scanners, char *err, size_t errlen)
{
	struct tgen_result tg;
	int ret = tgen_run(f, mix, n, seed, scanners, &tg);

	if (ret)
		snprintf(err, errlen, "darknet-trafgen failed (exit %d): %s", tg.status,
			 tg.err ? tg.err : "");
	else if (tg.packets != n)
		snprintf(err, errlen, "darknet-trafgen sent %llu of %llu packets",
			 (unsigned long long)tg.packets, (unsigned long long)n);
	ret = ret || tg.packets != n ? -1 : 0;
	tgen_free(&tg);
	return ret;
}
