/* lists_install.c: put the darknet and scanner lists into an interface's maps, all or nothing. */
#include <stdio.h>
#include "lists_install.h"

void list_plan_free(struct list_plan *p)
{
	listmaps_darknets_free(p->darknets);
	listmaps_scanners_free(p->scanners);
	*p = (struct list_plan){0};
}

/* The list maps name what they refused; the interface is said here. */
int list_plan_prepare(struct dn_iface *ifc, const struct dn_lists *l,
		      struct list_plan *p, char *err, size_t errlen)
{
	char why[384];
	int ret;

	why[0] = '\0';
	ret = listmaps_prepare_darknets(&ifc->maps, &l->darknets, &p->darknets, why,
					sizeof(why));
	ret = ret ?: listmaps_prepare_scanners(&ifc->maps, &l->scanners, &p->scanners, why,
					       sizeof(why));
	if (ret)
		snprintf(err, errlen, "%s: %s", ifc->name,
			 why[0] ? why : "failed to build the lists");
	return ret;
}

int list_plan_commit(struct dn_iface *ifc, const struct list_plan *p,
		     char *err, size_t errlen)
{
	char why[384];
	int ret;

	why[0] = '\0';
	ret = listmaps_commit_darknets(&ifc->maps, p->darknets, why, sizeof(why));
	ret = ret ?: listmaps_commit_scanners(&ifc->maps, p->scanners, why, sizeof(why));
	if (ret)
		snprintf(err, errlen, "%s: %s", ifc->name,
			 why[0] ? why : "failed to install the lists");
	return ret;
}

int lists_install(struct dn_iface *ifc, const struct dn_lists *l,
		  char *err, size_t errlen)
{
	struct list_plan p = {0};
	int ret = list_plan_prepare(ifc, l, &p, err, errlen);

	ret = ret ?: list_plan_commit(ifc, &p, err, errlen);
	list_plan_free(&p);
	return ret;
}
