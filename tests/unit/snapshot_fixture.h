/* snapshot_fixture.h: hand-built counter snapshots for the rendering tests. */
#ifndef DN_TEST_SNAPSHOT_FIXTURE_H
#define DN_TEST_SNAPSHOT_FIXTURE_H

#include "snapshot.h"

/* nr interfaces named "eth0", "eth1", ..., every prefix id unused (0xff),
 * both port tables allocated and zero. */
struct dn_snapshot *fixture_snapshot(int nr);
void fixture_snapshot_free(struct dn_snapshot *snap);
/* Names prefix id with text (which must parse) and sets its packets. */
void fixture_prefix(struct dn_iface_snapshot *s, unsigned int id, const char *text,
		    uint64_t packets);
void fixture_org(struct dn_iface_snapshot *s, unsigned int id, const char *name,
		 uint64_t packets);
struct dn_count *fixture_class(struct dn_iface_snapshot *s, unsigned int family,
			       unsigned int proto, unsigned int cls);

#endif
