/* fuzz_metrics.c: libFuzzer harness for metrics_render() on a snapshot written by the fuzzer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "metrics.h"

/* A table of the interface snapshot the fuzzer may write into. */
struct table {
	size_t off, entry, count;   /* in struct dn_iface_snapshot; count 0: a pointer */
};

#define T(f) { offsetof(struct dn_iface_snapshot, f), sizeof(((struct dn_iface_snapshot *)0)->f[0]), \
	       sizeof(((struct dn_iface_snapshot *)0)->f) / sizeof(((struct dn_iface_snapshot *)0)->f[0]) }
static const struct table tables[] = {
	T(classes), T(icmp), T(prefixes), T(orgs), T(reasons), T(prefix_info), T(org_names),
	T(ifname),
};
#define NR_TABLES (sizeof(tables) / sizeof(tables[0]))

/*
 * The input is records: a byte choosing the interface (bit 7) and what to
 * write (a table, the TCP or UDP port table, or the attached flag), two
 * bytes of index, then the bytes of one entry. Each snapshot starts zeroed,
 * as a fresh read of empty maps would be; what the records write is any
 * bytes.
 */
/* The port tables are large: allocated once, and only the entries a run
 * wrote are zeroed after it. */
static struct dn_tcp_port *tcp_ports[2];
static struct dn_udp_port *udp_ports[2];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dn_iface_snapshot ifs[2];
	struct dn_snapshot snap = { .ifaces = ifs, .nr_ifaces = 1 };
	struct strbuf sb = STRBUF_INIT;
	size_t at = 0, nr_ports = 0;
	struct { uint8_t *at; size_t len; } ports[256];

	memset(ifs, 0, sizeof(ifs));
	for (int i = 0; i < 2; i++) {
		if (!tcp_ports[i]) {
			tcp_ports[i] = calloc(DN_PORT_KEYS, sizeof(*tcp_ports[i]));
			udp_ports[i] = calloc(DN_PORT_KEYS, sizeof(*udp_ports[i]));
			if (!tcp_ports[i] || !udp_ports[i])
				abort();
		}
		ifs[i].mode = "native";
		ifs[i].tcp_ports = tcp_ports[i];
		ifs[i].udp_ports = udp_ports[i];
	}
	while (at + 3 <= size) {
		struct dn_iface_snapshot *s = &ifs[data[at] >> 7];
		unsigned int what = (data[at] & 0x7f) % (NR_TABLES + 3);
		size_t index = data[at + 1] | (size_t)data[at + 2] << 8, len;
		uint8_t *dst;

		at += 3;
		snap.nr_ifaces = data[at - 3] >> 7 ? 2 : snap.nr_ifaces;
		if (what == NR_TABLES) {
			dst = (uint8_t *)&s->tcp_ports[index % DN_PORT_KEYS];
			len = sizeof(*s->tcp_ports);
		} else if (what == NR_TABLES + 1) {
			dst = (uint8_t *)&s->udp_ports[index % DN_PORT_KEYS];
			len = sizeof(*s->udp_ports);
		} else if (what == NR_TABLES + 2) {
			s->attached = index & 1;
			s->mode = index & 2 ? "skb" : "native";
			continue;
		} else {
			const struct table *t = &tables[what];

			dst = (uint8_t *)s + t->off + (index % t->count) * t->entry;
			len = t->entry;
		}
		len = len < size - at ? len : size - at;
		if (what == NR_TABLES || what == NR_TABLES + 1) {
			if (nr_ports == sizeof(ports) / sizeof(ports[0]))
				break;
			ports[nr_ports].at = dst;
			ports[nr_ports++].len = len;
		}
		memcpy(dst, data + at, len);
		at += len;
	}
	/* interface names come NUL-terminated from the kernel; org names
	 * need not fill their field with one (the renderer bounds them) */
	for (int i = 0; i < 2; i++)
		ifs[i].ifname[sizeof(ifs[i].ifname) - 1] = '\0';
	metrics_render(&sb, &snap, NULL);
	strbuf_free(&sb);
	for (size_t i = 0; i < nr_ports; i++)
		memset(ports[i].at, 0, ports[i].len);
	return 0;
}
