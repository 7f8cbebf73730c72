/* port_reader.h: one interface's port tables mapped, and what its reader keeps between scrapes. */
#ifndef DN_PORT_READER_H
#define DN_PORT_READER_H

#include <stdbool.h>
#include "darknet_counter.h"
#include "maps.h"

struct port_reader;

/* A reader for one interface's maps. With track, it owns the touched bits:
 * each read clears those it reads and reads only the groups that changed
 * (the daemon: one per interface; a restarted one reads everything once).
 * Without, every read reads every group and clears nothing (one-shot
 * readers beside a running daemon). 0 or -ENOMEM. */
int port_reader_new(struct port_reader **out, bool track);
void port_reader_free(struct port_reader *r);

/* Bring tcp and udp (DN_PORT_KEYS values each, what the previous read
 * left there) up to date with m's port tables. Maps other than those of
 * the previous read (another id) start over: every group is read. 0 or
 * -errno; -EBUSY if a carry stayed under way for a whole second. */
int port_reader_read(struct port_reader *r, const struct dn_maps *m,
		     struct dn_tcp_port *tcp, struct dn_udp_port *udp);

/* Groups of 8 ports the last read read (TCP + UDP), for the bench. */
unsigned int port_reader_groups_read(const struct port_reader *r);

#endif
