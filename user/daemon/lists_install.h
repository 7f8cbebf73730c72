/* lists_install.h: put the darknet and scanner lists into an interface's maps, all or nothing. */
#ifndef DN_LISTS_INSTALL_H
#define DN_LISTS_INSTALL_H

#include <stddef.h>
#include "listmaps.h"
#include "lists.h"
#include "loader.h"

/* One interface's new lists, built but not yet swapped in. */
struct list_plan {
	struct listmaps_darknets *darknets;
	struct listmaps_scanners *scanners;
};

/* Build l's tables for ifc without touching what it counts with; then swap
 * them in. A reload prepares every interface before committing any, so a
 * list one interface refuses changes none. 0 or -errno with "iface: reason"
 * in err. */
int list_plan_prepare(struct dn_iface *ifc, const struct dn_lists *l,
		      struct list_plan *p, char *err, size_t errlen);
int list_plan_commit(struct dn_iface *ifc, const struct list_plan *p,
		     char *err, size_t errlen);
void list_plan_free(struct list_plan *p);
/* Prepare and commit in one step (at start). */
int lists_install(struct dn_iface *ifc, const struct dn_lists *l,
		  char *err, size_t errlen);

#endif
