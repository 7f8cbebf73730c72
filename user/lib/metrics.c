/* metrics.c: renders a counter snapshot as Prometheus text format 0.0.4. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "names.h"
#include "metrics_text.h"

#ifndef DN_VERSION
#define DN_VERSION "unknown"
#endif

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

		metrics_escape_iface(ifl, s->ifname);
		for (unsigned int f = 0; f < DN_FAMILY_MAX; f++) {
			for (unsigned int p = 0; p < DN_NR_IPPROTO; p++) {
				for (unsigned int c = 0; c < DN_CLASS_MAX; c++) {
					const struct dn_count *n = &s->classes[dn_class_key(f, p, c)];
					uint64_t v = bytes ? n->bytes : n->packets;

					if (!v && !always_shown(f, p))
						continue;
					strbuf_printf(sb, "%s{iface=\"%s\",family=\"%s\",proto=\"%s\","
						      "class=\"%s\"} %" PRIu64 "\n", name, ifl,
						      names_family(f), names_proto(f, p, pbuf),
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
		metrics_escape_iface(ifl, snap->ifaces[i].ifname);
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

	metrics_header(sb, "darknet_port_series_limit", "gauge",
	       "Bound on darknet_port_packets_total series other than port=\"other\" "
	       "(--max-port-series).");
	strbuf_printf(sb, "darknet_port_series_limit %u\n", port_series_limit(ps));
	metrics_header(sb, "darknet_port_series_tracked", "gauge",
	       "darknet_port_packets_total series tracked (watched or promoted), all interfaces.");
	strbuf_printf(sb, "darknet_port_series_tracked %u\n", port_series_count(ps));
	metrics_header(sb, "darknet_port_folded_ports", "gauge",
	       "Destination ports with packets but no series of their own: their packets "
	       "are under port=\"other\".");
	for (int i = 0; i < snap->nr_ifaces; i++) {
		metrics_escape_iface(ifl, snap->ifaces[i].ifname);
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
	metrics_header(sb, "darknet_port_packets_total", "counter",
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
		metrics_escape_iface(ifl, snap->ifaces[i].ifname);
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

/* --- passed / malformed, attachment, build, scrape --- */

static void render_reasons(struct strbuf *sb, const struct dn_snapshot *snap, bool malformed)
{
	const char *name = malformed ? "darknet_malformed_packets_total"
				     : "darknet_passed_packets_total";
	char ifl[IFACE_LABEL_LEN];

	for (int i = 0; i < snap->nr_ifaces; i++) {
		metrics_escape_iface(ifl, snap->ifaces[i].ifname);
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

	metrics_header(sb, "darknet_xdp_attached", "gauge",
	       "1 while the XDP program is attached to the interface, in the mode given.");
	for (int i = 0; i < snap->nr_ifaces; i++) {
		const struct dn_iface_snapshot *s = &snap->ifaces[i];

		metrics_escape_iface(ifl, s->ifname);
		strbuf_printf(sb, "darknet_xdp_attached{iface=\"%s\",mode=\"", ifl);
		metrics_put_escaped(sb, s->mode ? s->mode : "none", SIZE_MAX);
		strbuf_printf(sb, "\"} %d\n", s->attached ? 1 : 0);
	}
}

static void render_self(struct strbuf *sb, const struct dn_snapshot *snap,
			const struct dn_metrics_info *info)
{
	const char *version = info && info->version ? info->version : DN_VERSION;

	metrics_header(sb, "darknet_build_info", "gauge", "Always 1; the version of darknet-counter.");
	strbuf_puts(sb, "darknet_build_info{version=\"");
	metrics_put_escaped(sb, version, SIZE_MAX);
	strbuf_puts(sb, "\"} 1\n");
	metrics_header(sb, "darknet_scrape_duration_seconds", "gauge",
	       "Time the previous scrape took to read the counters and render them.");
	strbuf_puts(sb, "darknet_scrape_duration_seconds ");
	metrics_put_double(sb, snap->scrape_duration_seconds);
	strbuf_putc(sb, '\n');
}

static int render_all(struct strbuf *sb, const struct dn_snapshot *snap,
		      const struct dn_metrics_info *info)
{
	int ret;

	metrics_header(sb, "darknet_packets_total", "counter",
	       "Darknet packets by IP family, upper-layer protocol and source class.");
	render_classes(sb, snap, false);
	metrics_header(sb, "darknet_bytes_total", "counter",
	       "Frame bytes of darknet packets by IP family, upper-layer protocol and source class.");
	render_classes(sb, snap, true);
	ret = render_port_families(sb, snap, info ? info->ports : NULL);
	if (ret)
		return ret;
	metrics_header(sb, "darknet_icmp_packets_total", "counter",
	       "Darknet ICMP and ICMPv6 packets by type and source class.");
	render_icmp(sb, snap);
	metrics_header(sb, "darknet_scanner_packets_total", "counter",
	       "Darknet packets of class research by the scanner list's organisation.");
	metrics_render_orgs(sb, snap);
	ret = metrics_render_prefixes(sb, snap);
	if (ret)
		return ret;
	metrics_header(sb, "darknet_passed_packets_total", "counter",
	       "Frames passed uncounted: not IP, or destination outside the darknet.");
	render_reasons(sb, snap, false);
	metrics_header(sb, "darknet_malformed_packets_total", "counter",
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
