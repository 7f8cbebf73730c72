/* listmaps.h: builds the darknet and scanner inner maps from prefix lists and swaps them in. */
#ifndef DN_LISTMAPS_H
#define DN_LISTMAPS_H

#include <stddef.h>
#include "maps.h"
#include "prefix.h"

/* Both functions build new inner maps for every family of the list, write
 * the id tables (prefix_info, org_names), then replace slot 0 of each outer
 * map in one update each, so a packet sees the old list or the new one. A
 * family without entries empties its slot (darknet: nothing is darknet
 * traffic; scanners: nobody is research). Ids are stable across reloads:
 * a prefix or org already installed keeps its id; ids of entries that left
 * the list are released and their counters zeroed. Only the fds in m that
 * the function names are used. Return 0, or -errno with a one-line reason
 * in errbuf ("too many IPv4 darknet prefixes: 5000 (max 4096)"). */

/* darknet_v4, darknet_v6, prefix_info, prefix_counters */
int listmaps_install_darknets(const struct dn_maps *m, const struct dn_prefix_list *l,
			      char *errbuf, size_t errlen);

/* scanner_v4_dir, scanner_v4_long, scanner_v6, org_names, org_counters.
 * Every entry needs an org; at most DN_MAX_SCANNER_ORGS distinct ones. */
int listmaps_install_scanners(const struct dn_maps *m, const struct dn_prefix_list *l,
			      char *errbuf, size_t errlen);

#endif
