/* snapshot_fixture.c: hand-built counter snapshots for the rendering tests. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit/snapshot_fixture.h"

struct dn_snapshot *fixture_snapshot(int nr)
{
	struct dn_snapshot *snap = calloc(1, sizeof(*snap));

	cr_assert_not_null(snap, "fixture: snapshot");
	snap->nr_ifaces = nr;
	snap->ifaces = calloc(nr ? nr : 1, sizeof(*snap->ifaces));
	cr_assert_not_null(snap->ifaces, "fixture: interfaces");
	for (int i = 0; i < nr; i++) {
		struct dn_iface_snapshot *s = &snap->ifaces[i];

		snprintf(s->ifname, sizeof(s->ifname), "eth%d", i);
		s->tcp_ports = calloc(DN_PORT_KEYS, sizeof(*s->tcp_ports));
		s->udp_ports = calloc(DN_PORT_KEYS, sizeof(*s->udp_ports));
		cr_assert(s->tcp_ports && s->udp_ports, "fixture: port tables");
	}
	return snap;
}

void fixture_snapshot_free(struct dn_snapshot *snap)
{
	for (int i = 0; i < snap->nr_ifaces; i++) {
		free(snap->ifaces[i].tcp_ports);
		free(snap->ifaces[i].udp_ports);
	}
	free(snap->ifaces);
	free(snap);
}

void fixture_prefix(struct dn_iface_snapshot *s, unsigned int id, const char *text,
		    uint64_t packets)
{
	struct dn_prefix p;
	char err[128];

	cr_assert_eq(prefix_parse(text, &p, err, sizeof(err)), 0, "fixture prefix %s: %s", text, err);
	s->prefix_info[id].in_use = 1;
	s->prefix_info[id].family = p.family;
	s->prefix_info[id].prefixlen = p.len;
	memcpy(s->prefix_info[id].addr, p.addr, sizeof(p.addr));
	s->prefixes[id].packets = packets;
}

void fixture_org(struct dn_iface_snapshot *s, unsigned int id, const char *name,
		 uint64_t packets)
{
	/* The map holds names NUL-padded; a name of exactly DN_ORG_NAME_LEN
	 * bytes has no terminator at all. */
	memset(s->org_names[id].name, 0, DN_ORG_NAME_LEN);
	memcpy(s->org_names[id].name, name, strnlen(name, DN_ORG_NAME_LEN));
	s->orgs[id].packets = packets;
}

struct dn_count *fixture_class(struct dn_iface_snapshot *s, unsigned int family,
			       unsigned int proto, unsigned int cls)
{
	return &s->classes[dn_class_key(family, proto, cls)];
}
