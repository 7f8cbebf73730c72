/* landing_geo.c: the landing page's top source countries and origin ASes. */
#include <inttypes.h>
#include <string.h>
#include "darknet_geo.h"
#include "geo.h"
#include "geo_export.h"
#include "landing_geo.h"

static uint64_t no_research(const struct dn_count *v)
{
	uint64_t n = 0;

	for (unsigned int cls = 0; cls < DN_CLASS_MAX; cls++)
		if (cls != DN_CLASS_RESEARCH)
			n += v[cls].packets;
	return n;
}

/* Insert (key, packets) into a top list of *n rows kept sorted, heaviest
 * first; keys and packets are parallel arrays of at most LANDING_TOP_GEO. */
static void top_insert(uint32_t *keys, uint64_t *packets, int *n, uint32_t key, uint64_t p)
{
	int i;

	if (!p)
		return;
	if (*n == LANDING_TOP_GEO) {
		if (packets[LANDING_TOP_GEO - 1] >= p)
			return;
		i = LANDING_TOP_GEO - 1;
	} else {
		i = (*n)++;
	}
	for (; i > 0 && packets[i - 1] < p; i--) {
		keys[i] = keys[i - 1];
		packets[i] = packets[i - 1];
	}
	keys[i] = key;
	packets[i] = p;
}

void landing_geo_fill(struct landing_geo *lg, const struct geo_export *g)
{
	uint32_t keys[LANDING_TOP_GEO];
	uint64_t packets[LANDING_TOP_GEO], sum[DN_GEO_COUNTRIES] = { 0 };
	uint64_t as_sum[DN_GEO_ASN_SLOTS] = { 0 };
	uint32_t as_of[DN_GEO_ASN_SLOTS] = { 0 };
	const struct dn_count *v;
	int n = 0, nas = 0;

	memset(lg, 0, sizeof(*lg));
	lg->country = g->on & DN_GEO_ON_COUNTRY;
	lg->asn = g->on & DN_GEO_ON_ASN;
	/* AS series are per interface; the page merges equal AS numbers */
	for (int i = 0; i < g->nr; i++) {
		for (unsigned int c = 0; c < DN_GEO_COUNTRIES; c++)
			if ((v = geo_export_country(g, i, c)))
				sum[c] += no_research(v);
		for (unsigned int s = 0; s < DN_GEO_ASN_SLOTS; s++) {
			uint32_t asn;
			int k = 0;

			if (!(v = geo_export_asn_series(g, i, s, &asn)))
				break;
			while (k < nas && as_of[k] != asn)
				k++;
			if (k == nas) {
				if (nas == DN_GEO_ASN_SLOTS)
					continue;   /* past the table: not in the top */
				nas++;
			}
			as_of[k] = asn;
			as_sum[k] += no_research(v);
			lg->as_total += no_research(v);
		}
	}
	for (unsigned int c = 0; c < DN_GEO_COUNTRIES; c++) {
		lg->total += sum[c];
		top_insert(keys, packets, &n, c, sum[c]);
	}
	for (lg->nr_cc = 0; lg->nr_cc < n; lg->nr_cc++) {
		lg->cc[lg->nr_cc].index = keys[lg->nr_cc];
		lg->cc[lg->nr_cc].packets = packets[lg->nr_cc];
	}
	n = 0;
	for (int k = 0; k < nas; k++)
		top_insert(keys, packets, &n, as_of[k], as_sum[k]);
	for (lg->nr_as = 0; lg->nr_as < n; lg->nr_as++) {
		lg->as[lg->nr_as].asn = keys[lg->nr_as];
		lg->as[lg->nr_as].packets = packets[lg->nr_as];
	}
}

static double share(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * part / whole : 0;
}

void landing_geo_card(struct strbuf *sb, const struct landing_geo *lg)
{
	if (!lg || (!lg->country && !lg->asn))
		return;
	strbuf_puts(sb, "<section class=\"card\">");
	if (lg->country) {
		strbuf_puts(sb, "<h2>Top source countries, research scans removed</h2>"
			    "<table>\n<tr><th>Country</th><th></th><th>Packets</th><th>Share</th></tr>\n");
		for (int i = 0; i < lg->nr_cc; i++)
			strbuf_printf(sb, "<tr><td>%s</td><td></td><td>%" PRIu64 "</td><td>%.1f%%"
				      "</td></tr>\n", lg->cc[i].index ? geo_cc_code(lg->cc[i].index) :
				      "-- (not in the database)", lg->cc[i].packets,
				      share(lg->cc[i].packets, lg->total));
		strbuf_puts(sb, "</table>\n");
	}
	if (lg->asn) {
		strbuf_puts(sb, "<h2>Top origin ASes, research scans removed</h2><p class=\"note\">"
			    "ASes with a series of their own (--max-asn-series, --watch-asns), "
			    "counted from their promotion; the rest is \"other\".</p>"
			    "<table>\n<tr><th>AS</th><th></th><th>Packets</th><th>Share</th></tr>\n");
		for (int i = 0; i < lg->nr_as; i++) {
			if (lg->as[i].asn)
				strbuf_printf(sb, "<tr><td>AS%" PRIu32 "</td>", lg->as[i].asn);
			else
				strbuf_puts(sb, "<tr><td>other</td>");
			strbuf_printf(sb, "<td></td><td>%" PRIu64 "</td><td>%.1f%%</td></tr>\n",
				      lg->as[i].packets, share(lg->as[i].packets, lg->as_total));
		}
		strbuf_puts(sb, "</table>\n");
	}
	strbuf_puts(sb, "</section>\n");
}
