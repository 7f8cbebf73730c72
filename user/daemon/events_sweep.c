/* events_sweep.c: one sweep of the scan and DoS tables: close idle entries, judge them, emit each kept event once, count the active ones. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <bpf/bpf.h>
#include "darknet_events.h"
#include "cpu_blocks.h"
#include "events.h"
#include "events_json.h"
#include "log.h"

#define BATCH 256

_Static_assert(sizeof(struct dn_scan_key) == sizeof(struct dn_victim_key),
	       "one key buffer holds either table's keys");
#define KEY_SIZE sizeof(struct dn_scan_key)

/* An idle entry to delete. */
struct dead {
	__u8 key[KEY_SIZE];
	uint64_t last_ns;                 /* as walked: a later one means a packet came */
	enum ev_type type;
	bool gone;                        /* deleted (or evicted) after the walk */
};

/* What one interface's walk gathers before anything is written or deleted. */
struct sweep_out {
	struct ev_event *closed;          /* kept, closed events */
	size_t *closed_dead;              /* each one's entry in dead */
	size_t nr_closed, cap_closed, cap_closed_dead;
	struct dead *dead;
	size_t nr_dead, cap_dead;
	struct ev_live live;
	struct ev_event *active;
	size_t nr_active, total_active, cap_active;
	uint64_t closed_entries[EV_TYPE_MAX];
};

static double clock_s(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned int bitmap_set(const __u64 *w)
{
	unsigned int n = 0;

	for (int i = 0; i < DN_EVENT_DST_WORDS; i++)
		n += __builtin_popcountll(w[i]);
	return n;
}

static void entry_key(struct ev_entry *e, const __u8 addr[16], __u8 family, __u8 proto)
{
	memcpy(e->addr, addr, 16);
	e->family = family == DN_FAMILY_IPV6 ? AF_INET6 : AF_INET;
	e->proto = proto;
}

static void from_scan(struct ev_entry *e, const struct dn_scan_key *k,
		      const struct dn_scan_state *s, unsigned int shift)
{
	memset(e, 0, sizeof(*e));
	e->type = EV_SCAN;
	entry_key(e, k->addr, k->family, k->proto);
	e->port = k->port;
	e->first_ns = s->first_ns;
	e->last_ns = s->last_ns;
	e->packets = s->packets;
	e->bytes = s->bytes;
	e->distinct = ev_linear_count(bitmap_set(s->dst), DN_EVENT_DST_BITS, shift);
	e->classes = s->classes;
	e->org = s->org;
}

static void from_victim(struct ev_entry *e, const struct dn_victim_key *k,
			const struct dn_victim_state *s, unsigned int shift)
{
	memset(e, 0, sizeof(*e));
	e->type = EV_DOS;
	entry_key(e, k->addr, k->family, k->proto);
	e->port = s->port;
	e->first_ns = s->first_ns;
	e->last_ns = s->last_ns;
	e->packets = s->packets;
	e->bytes = s->bytes;
	e->distinct = ev_linear_count(bitmap_set(s->dst), DN_EVENT_DST_BITS, shift);
	e->kinds = s->kinds;
	e->win_max = s->win_max > s->win_packets ? s->win_max : s->win_packets;
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

static void org_name(const struct dn_iface *ifc, uint32_t org, char *out, size_t len)
{
	struct dn_org_name n;

	out[0] = '\0';
	if (org && !bpf_map_lookup_elem(ifc->maps.org_names, &org, &n))
		snprintf(out, len, "%.*s", (int)sizeof(n.name), n.name);
}

/* Judge one entry: closed (idle) or active. */
static int visit(struct events *ev, int i, struct sweep_out *o, const struct ev_entry *e,
		 const void *key, uint64_t now_ns, double boot_offset, double darknet_v4)
{
	struct ev_event d;
	bool keep;

	ev_describe(&d, e, boot_offset, darknet_v4);
	snprintf(d.iface, sizeof(d.iface), "%s", ev->ifnames[i]);
	keep = ev_keep(&d, &ev->th);
	if (keep && d.e.type == EV_SCAN && d.tool == EV_TOOL_RESEARCH)
		org_name(&ev->ifaces[i], d.e.org, d.org, sizeof(d.org));
	o->live.entries[e->type]++;
	if (!ev_idle(e, now_ns, &ev->th)) {
		if (!keep)
			return 0;
		if (e->type == EV_SCAN)
			o->live.scans_active[ev_proto_of(e->family, e->proto)][d.tool]++;
		else
			o->live.dos_active++;
		o->total_active++;
		if (o->nr_active < o->cap_active)
			o->active[o->nr_active++] = d;
		return 0;
	}
	if (grow((void **)&o->dead, &o->cap_dead, o->nr_dead + 1, sizeof(*o->dead)))
		return -ENOMEM;
	memcpy(o->dead[o->nr_dead].key, key, KEY_SIZE);
	o->dead[o->nr_dead].last_ns = e->last_ns;
	o->dead[o->nr_dead].type = e->type;
	o->dead[o->nr_dead++].gone = false;
	if (!keep)
		return 0;
	d.closed = true;
	if (grow((void **)&o->closed, &o->cap_closed, o->nr_closed + 1, sizeof(d)) ||
	    grow((void **)&o->closed_dead, &o->cap_closed_dead, o->nr_closed + 1,
		 sizeof(size_t)))
		return -ENOMEM;
	o->closed_dead[o->nr_closed] = o->nr_dead - 1;
	o->closed[o->nr_closed++] = d;
	return 0;
}

/* Walk table fd (scan_events or dos_victims) in batches. */
static int walk(struct events *ev, int i, int fd, enum ev_type type, struct sweep_out *o,
		uint64_t now_ns, double boot_offset, double darknet_v4)
{
	size_t ksz = type == EV_SCAN ? sizeof(struct dn_scan_key) : sizeof(struct dn_victim_key);
	size_t vsz = type == EV_SCAN ? sizeof(struct dn_scan_state) :
				       sizeof(struct dn_victim_state);
	char *keys = malloc(BATCH * ksz), *vals = malloc(BATCH * vsz);
	__u64 in = 0, out = 0;
	bool first = true, done = false;
	int ret = keys && vals ? 0 : -ENOMEM;

	while (!ret && !done) {
		__u32 n = BATCH;

		if (bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals, &n, NULL)) {
			if (errno != ENOENT) {
				ret = -errno;
				break;
			}
			done = true;   /* the last batch, n entries in it */
		}
		for (__u32 k = 0; k < n && !ret; k++) {
			struct ev_entry e;

			if (type == EV_SCAN)
				from_scan(&e, (void *)(keys + k * ksz), (void *)(vals + k * vsz),
					  ev->dst_shift);
			else
				from_victim(&e, (void *)(keys + k * ksz), (void *)(vals + k * vsz),
					    ev->dst_shift);
			ret = visit(ev, i, o, &e, keys + k * ksz, now_ns, boot_offset, darknet_v4);
		}
		in = out;
		first = false;
	}
	free(keys);
	free(vals);
	return ret;
}

/* Delete the closed entries of table `type`; one that moved on since the
 * walk (a packet came in between) stays, to be closed by a later sweep.
 * One the kernel evicted meanwhile is gone all the same: what the walk
 * read of it is final. Returns how many are gone. */
static uint64_t reap(int fd, struct sweep_out *o, enum ev_type type)
{
	union { struct dn_scan_state s; struct dn_victim_state v; } val;
	uint64_t gone = 0;

	for (size_t k = 0; k < o->nr_dead; k++) {
		struct dead *d = &o->dead[k];

		if (d->type != type)
			continue;
		if (bpf_map_lookup_elem(fd, d->key, &val))
			d->gone = errno == ENOENT;
		else if ((type == EV_SCAN ? val.s.last_ns : val.v.last_ns) != d->last_ns)
			d->gone = false;
		else
			d->gone = !bpf_map_delete_elem(fd, d->key) || errno == ENOENT;
		gone += d->gone;
	}
	return gone;
}

/* Write each closed event not written before; 1 when it counts. */
static bool emit(struct events *ev, const struct ev_event *d, struct strbuf *line)
{
	char id[160], err[512];

	if (ev_id(d, id, sizeof(id)) == 0 && ev->file_on && ev_file_seen(&ev->file, id))
		return false;   /* a predecessor wrote and counted it before it stopped */
	if (!ev->file_on)
		return true;
	strbuf_reset(line);
	ev_json(line, d);
	strbuf_putc(line, '\n');
	if (line->err)
		return true;
	if (ev_file_write(&ev->file, line->buf, line->len, err, sizeof(err)) &&
	    ev->file.write_errors == 1)
		pr_err("%s (counting goes on; darknet_events_file_write_errors_total "
		       "counts the lines lost)\n", err);
	return true;
}

static void publish(struct events *ev, int i, struct sweep_out *o, const bool *counts)
{
	struct ev_totals *t = &ev->totals[i];

	for (size_t k = 0; k < o->nr_closed; k++) {
		if (!counts[k])
			continue;
		ev_totals_record(t, &o->closed[k]);
		ev->ring[(ev->ring_head + ev->ring_len) % ev->ring_cap] = o->closed[k];
		if (ev->ring_len < ev->ring_cap)
			ev->ring_len++;
		else
			ev->ring_head = (ev->ring_head + 1) % ev->ring_cap;
	}
	for (int type = 0; type < EV_TYPE_MAX; type++)
		t->closed[type] += o->closed_entries[type];
	ev->live[i] = o->live;
}

static void read_stats(struct events *ev, int i, struct ev_live *l)
{
	__u64 s[DN_EVENT_STAT_MAX];

	if (cpu_blocks_read(ev->ifaces[i].maps.event_stats, DN_EVENT_STAT_CPU_KEYS,
			    DN_EVENT_STAT_MAX, sizeof(__u64), s))
		return;
	l->inserts[EV_SCAN] = s[DN_EVENT_STAT_SCAN_INSERTS];
	l->inserts[EV_DOS] = s[DN_EVENT_STAT_VICTIM_INSERTS];
	l->update_failures = s[DN_EVENT_STAT_SCAN_FAILED] + s[DN_EVENT_STAT_VICTIM_FAILED];
}

static void sweep_iface(struct events *ev, int i, struct sweep_out *o, struct strbuf *line)
{
	struct dn_iface *ifc = &ev->ifaces[i];
	double boot_offset = clock_s(CLOCK_REALTIME) - clock_s(CLOCK_BOOTTIME);
	uint64_t now_ns = (uint64_t)(clock_s(CLOCK_BOOTTIME) * 1e9);
	const int fds[EV_TYPE_MAX] = { ifc->maps.scan_events, ifc->maps.dos_victims };
	double darknet_v4;
	bool *counts = NULL;
	int ret = 0;

	pthread_mutex_lock(&ev->lock);
	darknet_v4 = ev->darknet_v4;
	pthread_mutex_unlock(&ev->lock);
	read_stats(ev, i, &o->live);   /* before the walk: inserts >= what it sees */
	o->nr_dead = 0;
	for (int type = 0; type < EV_TYPE_MAX; type++) {
		ret = walk(ev, i, fds[type], type, o, now_ns, boot_offset, darknet_v4);
		if (ret) {
			pr_warn("%s: sweeping %s: %s\n", ifc->name,
				type == EV_SCAN ? "scan_events" : "dos_victims", strerror(-ret));
			break;
		}
		o->closed_entries[type] = reap(fds[type], o, type);
		o->live.entries[type] -= o->closed_entries[type];
	}
	counts = calloc(o->nr_closed ? o->nr_closed : 1, sizeof(*counts));
	/* only what is gone from the table: an entry left for later would
	 * be written again when it closes */
	for (size_t k = 0; counts && k < o->nr_closed; k++)
		counts[k] = o->dead[o->closed_dead[k]].gone && emit(ev, &o->closed[k], line);
	pthread_mutex_lock(&ev->lock);
	if (counts)
		publish(ev, i, o, counts);
	if (ev->pinned[i])
		memcpy(ev->pinned[i], &ev->totals[i], sizeof(ev->totals[i]));
	pthread_mutex_unlock(&ev->lock);
	free(counts);
}

void events_sweep(struct events *ev)
{
	struct strbuf line = STRBUF_INIT;
	struct sweep_out o = { .cap_active = ev->ring_cap };
	double start = clock_s(CLOCK_MONOTONIC);
	size_t nr_active = 0, total_active = 0;
	struct ev_event *active = calloc(o.cap_active ? o.cap_active : 1, sizeof(*active));

	for (int i = 0; i < ev->nr; i++) {
		struct ev_event *mine = active ? active + nr_active : NULL;

		o.nr_closed = o.nr_active = o.total_active = 0;
		memset(&o.live, 0, sizeof(o.live));
		memset(o.closed_entries, 0, sizeof(o.closed_entries));
		o.active = mine;
		o.cap_active = mine ? ev->ring_cap - nr_active : 0;
		sweep_iface(ev, i, &o, &line);
		nr_active += o.nr_active;
		total_active += o.total_active;
	}
	pthread_mutex_lock(&ev->lock);
	if (active) {
		free(ev->active);
		ev->active = active;
		ev->active_len = nr_active;
	}
	ev->active_total = total_active;
	ev->g.file_write_errors = ev->file.write_errors;
	ev->g.file_rotations = ev->file.rotations;
	ev->g.sweep_cpu_seconds = clock_s(CLOCK_THREAD_CPUTIME_ID);
	ev->g.last_sweep_seconds = clock_s(CLOCK_MONOTONIC) - start;
	ev->g.sweeps++;
	pthread_mutex_unlock(&ev->lock);
	free(o.closed);
	free(o.closed_dead);
	free(o.dead);
	strbuf_free(&line);
}
