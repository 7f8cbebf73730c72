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

/* The same in two steps, so that several interfaces can change lists
 * together: prepare builds the new inner maps and assigns ids, changing
 * nothing installed (a list that is refused or does not fit fails here);
 * commit writes the id tables and swaps the maps in (it fails only when a
 * map update does). Commit a plan at most once, on the maps it was
 * prepared for, before anything else installs there; free it either way. */
struct listmaps_darknets;
struct listmaps_scanners;
int listmaps_prepare_darknets(const struct dn_maps *m, const struct dn_prefix_list *l,
			      struct listmaps_darknets **out, char *errbuf, size_t errlen);
int listmaps_commit_darknets(const struct dn_maps *m, const struct listmaps_darknets *p,
			     char *errbuf, size_t errlen);
void listmaps_darknets_free(struct listmaps_darknets *p);
int listmaps_prepare_scanners(const struct dn_maps *m, const struct dn_prefix_list *l,
			      struct listmaps_scanners **out, char *errbuf, size_t errlen);
int listmaps_commit_scanners(const struct dn_maps *m, const struct listmaps_scanners *sp,
			     char *errbuf, size_t errlen);
void listmaps_scanners_free(struct listmaps_scanners *sp);

#endif
