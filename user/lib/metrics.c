/* metrics.c: renders a counter snapshot as Prometheus text format 0.0.4. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "names.h"

#ifndef DN_VERSION
#define DN_VERSION "unknown"
#endif

/* An escaped interface name: every byte may double. */
#define IFACE_LABEL_LEN (2 * IF_NAMESIZE + 1)

/* Text format 0.0.4 label values escape backslash, double quote and
 * newline. Interface names may hold '"' and '\\' (Linux only forbids '/',
 * ':' and whitespace), org names come from pinned maps: escape them all. */
static void put_escaped(struct strbuf *sb, const char *s, size_t n)
{
	for (size_t i = 0; i < n && s[i]; i++) {
		if (s[i] == '\\')
			strbuf_puts(sb, "\\\\");
		else if (s[i] == '"')
			strbuf_puts(sb, "\\\"");
		else if (s[i] == '\n')
			strbuf_puts(sb, "\\n");
		else
			strbuf_putc(sb, s[i]);
	}
}

static void escape_iface(char out[IFACE_LABEL_LEN], const char *name)
{
	size_t o = 0;

	for (size_t i = 0; i < IF_NAMESIZE && name[i]; i++) {
		if (name[i] == '\\' || name[i] == '"' || name[i] == '\n')
			out[o++] = '\\';
		out[o++] = name[i] == '\n' ? 'n' : name[i];
	}
	out[o] = '\0';
}

static void header(struct strbuf *sb, const char *name, const char *type, const char *help)
{
	strbuf_printf(sb, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Shortest text that reads back as the same double, as Go's exporters
 * print floats: 2^96 addresses is 7.922816251426434e+28, not 17 digits. */
static void put_double(struct strbuf *sb, double v)
{
	char buf[32];

	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	strbuf_puts(sb, buf);
}

/* --- darknet_packets_total, darknet_bytes_total --- */

/* Dashboards get these (family, proto) pairs in every class even at zero,
 * so their queries never hit "no data". */
static bool always_shown(unsigned int family, unsigned int proto)
{
	if (proto == 6 || proto == 17)
		return true;
	return proto == (family == DN_FAMILY_IPV4 ? 1u : 58u);
}

static void render_classes(struct strbuf *sb, const struct dn_snapshot *snap, bool bytes)
{
	char ifl[IFACE_LABEL_LEN], pbuf[NAMES_PROTO_LEN];
	const char *name = bytes ? "darknet_bytes_total" : "darknet_packets_total";

	for (int i = 0; i < snap->nr_ifaces; i++) {
		const struct dn_iface_snapshot *s = &snap->ifaces[i];

		escape_iface(ifl, s->ifname);
		for (unsigned int f = 0; f < DN_FAMILY_MAX; f++) {
			for (unsigned int p = 0; p < DN_NR_IPPROTO; p++) {
				for (unsigned int c = 0; c < DN_CLASS_MAX; c++) {
					const struct dn_count *n = &s->classes[dn_class_key(f, p, c)];
					uint64_t v = bytes ? n->bytes : n->packets;

					if (!v && !always_shown(f, p))
						continue;
					strbuf_printf(sb, "%s{iface=\"%s\",family=\"%s\",proto=\"%s\","
						      "class=\"%s\"} %" PRIu64 "\n", name, ifl,
						      names_family(f), names_proto(p, pbuf),
						      names_class(c), v);
				}
			}
		}
	}
}

/* --- darknet_port_packets_total --- */

static void port_sample(struct strbuf *sb, const char *ifl, unsigned int proto,
			const char *port, unsigned int slot, uint64_t v)
{
	strbuf_printf(sb, "darknet_port_packets_total{iface=\"%s\",proto=\"%s\",port=\"%s\","
		      "class=\"%s\"} %" PRIu64 "\n", ifl, port_proto_name(proto), port,
		      names_class(port_proto_class(proto, slot)), v);
}

/* Class fragment has no port (a non-first fragment carries no transport
 * header), so all of it is port="other": with it, each (iface, proto, class)
 * of the port series sums to darknet_packets_total. */
static void fragment_sample(struct strbuf *sb, const struct dn_iface_snapshot *s,
			    const char *ifl, unsigned int proto)
{
	unsigned int ipproto = proto == PORT_PROTO_TCP ? 6 : 17;
	uint64_t v = 0;

	for (unsigned int f = 0; f < DN_FAMILY_MAX; f++)
		v += s->classes[dn_class_key(f, ipproto, DN_CLASS_FRAGMENT)].packets;
	if (v)
		strbuf_printf(sb, "darknet_port_packets_total{iface=\"%s\",proto=\"%s\","
			      "port=\"other\",class=\"fragment\"} %" PRIu64 "\n", ifl,
			      port_proto_name(proto), v);
}

/* Tallies of one (iface, proto) for the port-series gauges. */
struct port_tally {
	uint64_t other[DN_TCP_PORT_SLOTS];
	unsigned int folded_ports;
};

/* One port's series. Untracked counts (all of a port's count, or the
 * baseline a promoted series started from) go to the "other" tally. */
static void render_port(struct strbuf *sb, const struct port_series *ps, int iface,
			const struct dn_iface_snapshot *s, const char *ifl, unsigned int proto,
			unsigned int port, struct port_tally *t)
{
	bool folded = false;
	char num[8] = "";

	for (unsigned int slot = 0; slot < port_proto_slots(proto); slot++) {
		uint64_t v = port_series_raw(s, proto, port, slot), base = 0;

		if (!v)
			continue;
		if (!num[0])
			snprintf(num, sizeof(num), "%u", port);
		if (!ps || port_series_tracked(ps, iface, proto, port, slot, &base)) {
			/* A counter below its baseline was reset under us
			 * (maps recreated): show it from zero, as Prometheus
			 * expects of a reset counter. */
			if (base > v)
				base = 0;
			port_sample(sb, ifl, proto, num, slot, v - base);
		} else {
			folded = true;
			base = v;
		}
		t->other[slot] += base;
	}
	t->folded_ports += folded;
}

static void render_ports(struct strbuf *sb, const struct dn_snapshot *snap,
			 const struct port_series *ps, struct port_tally tally[][PORT_PROTO_MAX])
{
	char ifl[IFACE_LABEL_LEN];

	for (int i = 0; i < snap->nr_ifaces; i++) {
		escape_iface(ifl, snap->ifaces[i].ifname);
		for (unsigned int proto = 0; proto < PORT_PROTO_MAX; proto++) {
			struct port_tally *t = &tally[i][proto];

			for (unsigned int port = 0; port < DN_NR_PORTS; port++)
				render_port(sb, ps, i, &snap->ifaces[i], ifl, proto, port, t);
			for (unsigned int slot = 0; slot < port_proto_slots(proto); slot++) {
				/* port-less packets (spoofed fragments) are "other" too */
				t->other[slot] += port_series_raw(&snap->ifaces[i], proto,
								  DN_PORT_NONE, slot);
				if (t->other[slot])
					port_sample(sb, ifl, proto, "other", slot, t->other[slot]);
			}
			fragment_sample(sb, &snap->ifaces[i], ifl, proto);
		}
	}
}

static void render_port_gauges(struct strbuf *sb, const struct dn_snapshot *snap,
			       const struct port_series *ps,
			       struct port_tally tally[][PORT_PROTO_MAX])
{
	char ifl[IFACE_LABEL_LEN];

	header(sb, "darknet_port_series_limit", "gauge",
	       "Bound on darknet_port_packets_total series other than port=\"other\" "
	       "(--max-port-series).");
	strbuf_printf(sb, "darknet_port_series_limit %u\n", port_series_limit(ps));
	header(sb, "darknet_port_series_tracked", "gauge",
	       "darknet_port_packets_total series tracked (watched or promoted), all interfaces.");
	strbuf_printf(sb, "darknet_port_series_tracked %u\n", port_series_count(ps));
	header(sb, "darknet_port_folded_ports", "gauge",
	       "Destination ports with packets but no series of their own: their packets "
	       "are under port=\"other\".");
	for (int i = 0; i < snap->nr_ifaces; i++) {
		escape_iface(ifl, snap->ifaces[i].ifname);
		for (unsigned int proto = 0; proto < PORT_PROTO_MAX; proto++)
			strbuf_printf(sb, "darknet_port_folded_ports{iface=\"%s\",proto=\"%s\"} %u\n",
				      ifl, port_proto_name(proto), tally[i][proto].folded_ports);
	}
}

static int render_port_families(struct strbuf *sb, const struct dn_snapshot *snap,
				const struct port_series *ps)
{
	struct port_tally (*tally)[PORT_PROTO_MAX];

	tally = calloc(snap->nr_ifaces ? snap->nr_ifaces : 1, sizeof(*tally));
	if (!tally)
		return -ENOMEM;
	header(sb, "darknet_port_packets_total", "counter",
	       ps ? "Darknet TCP and UDP packets by destination port and source class; "
		    "untracked ports are summed under port=\"other\"."
		  : "Darknet TCP and UDP packets by destination port and source class.");
	render_ports(sb, snap, ps, tally);
	if (ps)
		render_port_gauges(sb, snap, ps, tally);
	free(tally);
	return 0;
}

/* --- darknet_icmp_packets_total --- */

static void render_icmp(struct strbuf *sb, const struct dn_snapshot *snap)
{
	char ifl[IFACE_LABEL_LEN];

	for (int i = 0; i < snap->nr_ifaces; i++) {
		escape_iface(ifl, snap->ifaces[i].ifname);
		for (unsigned int k = 0; k < DN_FAMILY_MAX * DN_NR_ICMP_TYPES; k++) {
			const struct dn_icmp_type *t = &snap->ifaces[i].icmp[k];

			for (unsigned int c = 0; c < DN_CLASS_MAX; c++) {
				if (!t->packets[c])
					continue;
				strbuf_printf(sb, "darknet_icmp_packets_total{iface=\"%s\",family=\"%s\","
					      "type=\"%u\",class=\"%s\"} %" PRIu64 "\n", ifl,
					      names_family(k / DN_NR_ICMP_TYPES),
					      k % DN_NR_ICMP_TYPES, names_class(c),
					      (uint64_t)t->packets[c]);
			}
		}
	}
}

/* --- darknet_scanner_packets_total --- */

/* Org ids are per interface and may be renumbered by a reload; the series
 * is keyed by name, so two ids with one name are summed into one series. */
struct org_row {
	char name[DN_ORG_NAME_LEN + 1];
	uint64_t packets;
};

static int org_cmp(const void *a, const void *b)
{
	return strcmp(((const struct org_row *)a)->name, ((const struct org_row *)b)->name);
}

static size_t collect_orgs(const struct dn_iface_snapshot *s, struct org_row *rows)
{
	size_t n = 0, out = 0;

	for (unsigned int id = 1; id <= DN_MAX_SCANNER_ORGS; id++) {
		/* The map holds fixed 32-byte names, not necessarily terminated. */
		size_t len = strnlen(s->org_names[id].name, DN_ORG_NAME_LEN);

		if (!len)
			continue;
		memcpy(rows[n].name, s->org_names[id].name, len);
		rows[n].name[len] = '\0';
		rows[n++].packets = s->orgs[id].packets;
	}
	qsort(rows, n, sizeof(*rows), org_cmp);
	for (size_t i = 0; i < n; i++) {
		if (out && strcmp(rows[out - 1].name, rows[i].name) == 0)
			rows[out - 1].packets += rows[i].packets;
		else
			rows[out++] = rows[i];
	}
	return out;
}

static void render_orgs(struct strbuf *sb, const struct dn_snapshot *snap)
{
	struct org_row rows[DN_MAX_SCANNER_ORGS];
	char ifl[IFACE_LABEL_LEN];

	for (int i = 0; i < snap->nr_ifaces; i++) {
		size_t n = collect_orgs(&snap->ifaces[i], rows);

		escape_iface(ifl, snap->ifaces[i].ifname);
		for (size_t r = 0; r < n; r++) {
			strbuf_printf(sb, "darknet_scanner_packets_total{iface=\"%s\",org=\"", ifl);
			put_escaped(sb, rows[r].name, sizeof(rows[r].name));
			strbuf_printf(sb, "\"} %" PRIu64 "\n", rows[r].packets);
		}
	}
}

/* --- darknet_prefix_packets_total, darknet_prefix_addresses --- */

struct prefix_row {
	struct dn_prefix prefix;
	uint64_t packets;
};

static int prefix_cmp(const void *a, const void *b)
{
	const struct dn_prefix *x = &((const struct prefix_row *)a)->prefix;
	const struct dn_prefix *y = &((const struct prefix_row *)b)->prefix;
	int d = memcmp(x->addr, y->addr, sizeof(x->addr));

	if (x->family != y->family)
		return x->family - y->family;
	return d ? d : x->len - y->len;
}

/* Sorts rows and sums those with the same prefix: one series per prefix
 * even if a reload left two ids naming it. */
static size_t merge_prefixes(struct prefix_row *rows, size_t n)
{
	size_t out = 0;

	qsort(rows, n, sizeof(*rows), prefix_cmp);
	for (size_t i = 0; i < n; i++) {
		if (out && prefix_cmp(&rows[out - 1], &rows[i]) == 0)
			rows[out - 1].packets += rows[i].packets;
		else
			rows[out++] = rows[i];
	}
	return out;
}

static size_t collect_prefixes(const struct dn_iface_snapshot *s, struct prefix_row *rows)
{
	size_t n = 0;

	for (unsigned int id = 0; id < DN_MAX_PREFIX_IDS; id++) {
		const struct dn_prefix_info *pi = &s->prefix_info[id];
		unsigned int bits = pi->family == DN_FAMILY_IPV4 ? 32 : 128;

		/* An unused id, or a slot we cannot name: no series. */
		if (!pi->in_use || pi->family >= DN_FAMILY_MAX || pi->prefixlen > bits)
			continue;
		memset(&rows[n], 0, sizeof(rows[n]));
		rows[n].prefix.family = pi->family;
		rows[n].prefix.len = pi->prefixlen;
		memcpy(rows[n].prefix.addr, pi->addr, bits / 8);
		rows[n++].packets = s->prefixes[id].packets;
	}
	return merge_prefixes(rows, n);
}

static void prefix_sample(struct strbuf *sb, const char *name, const char *ifl,
			  const struct dn_prefix *p)
{
	char text[DN_PREFIX_STRLEN];

	prefix_format(p, text, sizeof(text));
	if (ifl)
		strbuf_printf(sb, "%s{iface=\"%s\",prefix=\"%s\"} ", name, ifl, text);
	else
		strbuf_printf(sb, "%s{prefix=\"%s\"} ", name, text);
}

static int render_prefixes(struct strbuf *sb, const struct dn_snapshot *snap)
{
	size_t per_iface = DN_MAX_PREFIX_IDS, total = 0;
	struct prefix_row *all;
	char ifl[IFACE_LABEL_LEN];

	all = calloc(per_iface * (snap->nr_ifaces ? snap->nr_ifaces : 1), sizeof(*all));
	if (!all)
		return -ENOMEM;
	header(sb, "darknet_prefix_packets_total", "counter",
	       "Darknet packets by configured darknet prefix (longest match).");
	for (int i = 0; i < snap->nr_ifaces; i++) {
		struct prefix_row *rows = all + total;
		size_t n = collect_prefixes(&snap->ifaces[i], rows);

		escape_iface(ifl, snap->ifaces[i].ifname);
		for (size_t r = 0; r < n; r++) {
			prefix_sample(sb, "darknet_prefix_packets_total", ifl, &rows[r].prefix);
			strbuf_printf(sb, "%" PRIu64 "\n", rows[r].packets);
		}
		total += n;
	}
	/* The gauge has no iface label: one series per prefix across all. */
	total = merge_prefixes(all, total);
	header(sb, "darknet_prefix_addresses", "gauge",
	       "Addresses in a configured darknet prefix (packets per address = "
	       "darknet_prefix_packets_total / darknet_prefix_addresses).");
	for (size_t r = 0; r < total; r++) {
		prefix_sample(sb, "darknet_prefix_addresses", NULL, &all[r].prefix);
		put_double(sb, prefix_addresses(&all[r].prefix));
		strbuf_putc(sb, '\n');
	}
	free(all);
	return 0;
}

/* --- passed / malformed, attachment, build, scrape --- */

static void render_reasons(struct strbuf *sb, const struct dn_snapshot *snap, bool malformed)
{
	const char *name = malformed ? "darknet_malformed_packets_total"
				     : "darknet_passed_packets_total";
	char ifl[IFACE_LABEL_LEN];

	for (int i = 0; i < snap->nr_ifaces; i++) {
		escape_iface(ifl, snap->ifaces[i].ifname);
		for (unsigned int r = 0; r < DN_REASON_MAX; r++) {
			if (names_reason_is_malformed(r) != malformed)
				continue;
			strbuf_printf(sb, "%s{iface=\"%s\",reason=\"%s\"} %" PRIu64 "\n", name, ifl,
				      names_reason(r), (uint64_t)snap->ifaces[i].reasons[r].packets);
		}
	}
}

static void render_attached(struct strbuf *sb, const struct dn_snapshot *snap)
{
	char ifl[IFACE_LABEL_LEN];

	header(sb, "darknet_xdp_attached", "gauge",
	       "1 while the XDP program is attached to the interface, in the mode given.");
	for (int i = 0; i < snap->nr_ifaces; i++) {
		const struct dn_iface_snapshot *s = &snap->ifaces[i];

		escape_iface(ifl, s->ifname);
		strbuf_printf(sb, "darknet_xdp_attached{iface=\"%s\",mode=\"", ifl);
		put_escaped(sb, s->mode ? s->mode : "none", SIZE_MAX);
		strbuf_printf(sb, "\"} %d\n", s->attached ? 1 : 0);
	}
}

static void render_self(struct strbuf *sb, const struct dn_snapshot *snap,
			const struct dn_metrics_info *info)
{
	const char *version = info && info->version ? info->version : DN_VERSION;

	header(sb, "darknet_build_info", "gauge", "Always 1; the version of darknet-counter.");
	strbuf_puts(sb, "darknet_build_info{version=\"");
	put_escaped(sb, version, SIZE_MAX);
	strbuf_puts(sb, "\"} 1\n");
	header(sb, "darknet_scrape_duration_seconds", "gauge",
	       "Time the previous scrape took to read the counters and render them.");
	strbuf_puts(sb, "darknet_scrape_duration_seconds ");
	put_double(sb, snap->scrape_duration_seconds);
	strbuf_putc(sb, '\n');
}

static int render_all(struct strbuf *sb, const struct dn_snapshot *snap,
		      const struct dn_metrics_info *info)
{
	int ret;

	header(sb, "darknet_packets_total", "counter",
	       "Darknet packets by IP family, upper-layer protocol and source class.");
	render_classes(sb, snap, false);
	header(sb, "darknet_bytes_total", "counter",
	       "Frame bytes of darknet packets by IP family, upper-layer protocol and source class.");
	render_classes(sb, snap, true);
	ret = render_port_families(sb, snap, info ? info->ports : NULL);
	if (ret)
		return ret;
	header(sb, "darknet_icmp_packets_total", "counter",
	       "Darknet ICMP and ICMPv6 packets by type and source class.");
	render_icmp(sb, snap);
	header(sb, "darknet_scanner_packets_total", "counter",
	       "Darknet packets of class research by the scanner list's organisation.");
	render_orgs(sb, snap);
	ret = render_prefixes(sb, snap);
	if (ret)
		return ret;
	header(sb, "darknet_passed_packets_total", "counter",
	       "Frames passed uncounted: not IP, or destination outside the darknet.");
	render_reasons(sb, snap, false);
	header(sb, "darknet_malformed_packets_total", "counter",
	       "Frames passed because they are truncated or malformed, by reason.");
	render_reasons(sb, snap, true);
	render_attached(sb, snap);
	render_self(sb, snap, info);
	return 0;
}

int metrics_render(struct strbuf *out, const struct dn_snapshot *snap,
		   const struct dn_metrics_info *info)
{
	size_t start = out->len;
	int ret;

	if (out->err)
		return out->err;
	/* Appends only record a sticky error; check once, at the end. */
	ret = render_all(out, snap, info);
	if (!ret)
		ret = out->err;
	if (ret) {
		strbuf_truncate(out, start);
		out->err = 0;
	}
	return ret;
}
