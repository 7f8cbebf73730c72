/* metrics_lists.c: the families keyed by list entries: research-scanner orgs and darknet prefixes. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "metrics_text.h"

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

void metrics_render_orgs(struct strbuf *sb, const struct dn_snapshot *snap)
{
	struct org_row rows[DN_MAX_SCANNER_ORGS];
	char ifl[IFACE_LABEL_LEN];

	for (int i = 0; i < snap->nr_ifaces; i++) {
		size_t n = collect_orgs(&snap->ifaces[i], rows);

		metrics_escape_iface(ifl, snap->ifaces[i].ifname);
		for (size_t r = 0; r < n; r++) {
			strbuf_printf(sb, "darknet_scanner_packets_total{iface=\"%s\",org=\"", ifl);
			metrics_put_escaped(sb, rows[r].name, sizeof(rows[r].name));
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

int metrics_render_prefixes(struct strbuf *sb, const struct dn_snapshot *snap)
{
	size_t per_iface = DN_MAX_PREFIX_IDS, total = 0;
	struct prefix_row *all;
	char ifl[IFACE_LABEL_LEN];

	all = calloc(per_iface * (snap->nr_ifaces ? snap->nr_ifaces : 1), sizeof(*all));
	if (!all)
		return -ENOMEM;
	metrics_header(sb, "darknet_prefix_packets_total", "counter",
	       "Darknet packets by configured darknet prefix (longest match).");
	for (int i = 0; i < snap->nr_ifaces; i++) {
		struct prefix_row *rows = all + total;
		size_t n = collect_prefixes(&snap->ifaces[i], rows);

		metrics_escape_iface(ifl, snap->ifaces[i].ifname);
		for (size_t r = 0; r < n; r++) {
			prefix_sample(sb, "darknet_prefix_packets_total", ifl, &rows[r].prefix);
			strbuf_printf(sb, "%" PRIu64 "\n", rows[r].packets);
		}
		total += n;
	}
	/* The gauge has no iface label: one series per prefix across all. */
	total = merge_prefixes(all, total);
	metrics_header(sb, "darknet_prefix_addresses", "gauge",
	       "Addresses in a configured darknet prefix (packets per address = "
	       "darknet_prefix_packets_total / darknet_prefix_addresses).");
	for (size_t r = 0; r < total; r++) {
		prefix_sample(sb, "darknet_prefix_addresses", NULL, &all[r].prefix);
		metrics_put_double(sb, prefix_addresses(&all[r].prefix));
		strbuf_putc(sb, '\n');
	}
	free(all);
	return 0;
}
