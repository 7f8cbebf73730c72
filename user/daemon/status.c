/* status.c: `darknet-counter status` and `detach`, which work with no daemon running. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bpffs.h"
#include "counters.h"
#include "loader.h"
#include "log.h"
#include "netns.h"
#include "pathname.h"
#include "status.h"

struct totals {
	__u64 darknet, passed, malformed;
};

static int read_totals(const char *dir, struct totals *t, char *err, size_t errlen)
{
	struct counters_reader r;
	struct dn_iface_snapshot *s = calloc(1, sizeof(*s));
	struct dn_maps m;
	int ret;

	if (!s)
		return -ENOMEM;
	ret = maps_open_pinned_err(&m, dir, err, errlen);
	if (ret)
		goto cleanup;
	ret = counters_snapshot_alloc(s);
	ret = ret ?: counters_reader_init(&r);
	if (!ret) {
		ret = counters_read(&r, &m, s);
		counters_reader_free(&r);
	}
	maps_close(&m);
	if (ret)
		snprintf(err, errlen, "cannot read the counters pinned in %s: %s", dir,
			 strerror(-ret));
	if (!ret) {
		t->darknet = counters_total_packets(s);
		t->passed = s->reasons[DN_REASON_NOT_IP].packets +
			    s->reasons[DN_REASON_NOT_DARKNET].packets;
		t->malformed = 0;
		for (int i = DN_REASON_FIRST_MALFORMED; i < DN_REASON_MAX; i++)
			t->malformed += s->reasons[i].packets;
	}
cleanup:
	counters_snapshot_free(s);
	free(s);
	return ret;
}

/* Entry names are IFNAME or IFNAME@NETNS (see bpffs_iface_dir). */
static void print_entry(const char *root, const char *entry)
{
	char name[256], path[PATH_MAX], *at, err[PATH_MAX + 64];
	struct dn_attachment a = {};
	struct totals t = {};
	int saved = -1, ifindex, qerr = 0, terr;

	snprintf(name, sizeof(name), "%s", entry);
	snprintf(path, sizeof(path), "%s/%s", root, entry);
	at = strchr(name, '@');
	if (at)
		*at++ = '\0';
	if (at && netns_enter(at, &saved)) {
		printf("%-12s %-14s %-9s %-6s %-9s %12s %12s %10s  %s\n", name, at,
		       "no-netns", "-", "-", "-", "-", "-", path);
		return;
	}
	ifindex = if_nametoindex(name);
	if (ifindex)
		qerr = loader_query(ifindex, &a);
	terr = read_totals(path, &t, err, sizeof(err));
	if (terr)
		pr_warn("%s\n", err);   /* the row shows '?' */
	printf("%-12s %-14s %-9s %-6s %-9s ", name, at ? at : "-",
	       !ifindex ? "no-iface" : qerr ? "unknown" : a.prog_id ? "yes" : "no",
	       a.prog_id ? config_mode_name(a.mode) : "-",
	       a.prog_id ? (a.legacy ? "legacy" : "dispatch") : "-");
	if (terr)
		printf("%12s %12s %10s  %s\n", "?", "?", "?", path);
	else
		printf("%12llu %12llu %10llu  %s\n", (unsigned long long)t.darknet,
		       (unsigned long long)t.passed, (unsigned long long)t.malformed, path);
	if (saved >= 0)
		netns_restore(saved);
}

int status_print(const struct dn_config *cfg, char *err, size_t errlen)
{
	char root[PATH_MAX];
	struct dirent **names;
	int n, ret;

	snprintf(root, sizeof(root), "%s/v%d", cfg->pin_root, DN_LAYOUT_VERSION);
	n = scandir(root, &names, NULL, alphasort);
	if (n < 0 && errno != ENOENT) {
		ret = -errno;
		snprintf(err, errlen, "cannot read the pinned state in %s: %s", root,
			 strerror(-ret));
		return ret;
	}
	printf("%-12s %-14s %-9s %-6s %-9s %12s %12s %10s  %s\n", "IFACE", "NETNS",
	       "ATTACHED", "MODE", "LIBXDP", "DARKNET", "PASSED", "MALFORMED", "PIN");
	if (n < 0) {
		printf("(no pinned state under %s)\n", root);
		return 0;
	}
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.')
			print_entry(root, names[i]->d_name);
		free(names[i]);
	}
	free(names);
	return 0;
}

static int detach_one(const struct dn_config *cfg, const char *ifname,
		      char *err, size_t errlen)
{
	char dir[PATH_MAX];
	int ifindex, ret;

	/* first: a name such as "../x" must touch nothing */
	ret = pathname_check_ifname(ifname, err, errlen);
	if (ret)
		return ret;
	ret = bpffs_iface_dir(dir, sizeof(dir), cfg->pin_root, ifname, cfg->netns);
	if (ret) {
		snprintf(err, errlen, "no pin directory for %s under %s: %s", ifname,
			 cfg->pin_root, strerror(-ret));
		return ret;
	}
	ifindex = if_nametoindex(ifname);
	if (ifindex)
		ret = loader_detach_ifindex(ifindex);
	if (ret) {
		snprintf(err, errlen, "failed to detach the XDP program from %s: %s", ifname,
			 strerror(-ret));
		return ret;
	}
	ret = bpffs_remove_dir(dir);
	if (ret) {
		snprintf(err, errlen, "cannot remove the pinned state of %s in %s: %s", ifname,
			 dir, strerror(-ret));
		return ret;
	}
	pr_info("%s: detached%s; pinned state %s removed\n", ifname,
		ifindex ? "" : " (interface is gone)", dir);
	return 0;
}

int status_detach(const struct dn_config *cfg, char *err, size_t errlen)
{
	char one[PATH_MAX + 128];
	int saved = -1, ret, failed = 0;

	if (cfg->netns && (ret = netns_enter_err(cfg->netns, &saved, err, errlen)))
		return ret;
	for (int i = 0; i < cfg->nr_ifaces; i++) {
		ret = detach_one(cfg, cfg->ifaces[i], one, sizeof(one));
		if (!ret)
			continue;
		if (failed)
			pr_err("%s\n", err);   /* the caller prints the last one */
		snprintf(err, errlen, "%s", one);
		failed = ret;
	}
	if (saved >= 0)
		netns_restore(saved);
	return failed;
}
