/* status.h: `darknet-counter status` and `detach`, which work with no daemon running. */
#ifndef DN_STATUS_H
#define DN_STATUS_H

#include "config.h"

#include <stddef.h>

/* Print, per pinned interface: attachment, mode, libxdp dispatcher or legacy,
 * pin path and packet totals (no pinned state at all is not an error).
 * 0 or -errno with a one-line reason naming the path in err. */
int status_print(const struct dn_config *cfg, char *err, size_t errlen);
/* Detach our program from each cfg->ifaces and remove its pinned state; a
 * failure does not stop the others. 0 or the last failure's -errno with its
 * reason, naming the interface or path, in err (earlier ones are logged). */
int status_detach(const struct dn_config *cfg, char *err, size_t errlen);

#endif
