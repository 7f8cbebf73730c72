/* status.h: `darknet-counter status` and `detach`, which work with no daemon running. */
#ifndef DN_STATUS_H
#define DN_STATUS_H

#include "config.h"

/* Print, per pinned interface: attachment, mode, libxdp dispatcher or legacy,
 * pin path and packet totals. Returns the process exit code. */
int status_print(const struct dn_config *cfg);
/* Detach our program from each cfg->ifaces and remove its pinned state. */
int status_detach(const struct dn_config *cfg);

#endif
