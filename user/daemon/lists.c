/* lists.c: the darknet and scanner lists from the command line and files, loaded and reloaded. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "lists.h"

static int add_match_all(struct dn_prefix_list *l)
{
	static const char *const all[] = { "0.0.0.0/0", "::/0" };
	struct dn_prefix p;
	char err[64];
	int ret = 0;

	for (int i = 0; i < 2 && !ret; i++) {
		ret = prefix_parse(all[i], &p, err, sizeof(err));
		ret = ret ?: prefix_list_add(l, &p, "");
	}
	return ret;
}

/* The list loaders say "FILE:LINE: reason"; the option goes in front. */
static int load_into(const struct dn_config *cfg, struct dn_lists *l,
		     char *err, size_t errlen)
{
	const char *opt = NULL;
	char why[384] = "";
	int ret = 0;

	for (size_t i = 0; i < cfg->darknets.len && !ret; i++)
		ret = prefix_list_add(&l->darknets, &cfg->darknets.entries[i].prefix, "");
	for (int i = 0; i < cfg->nr_darknet_files && !ret; i++) {
		opt = "--darknet-file";
		ret = prefix_list_load_darknets(&l->darknets, cfg->darknet_files[i],
						why, sizeof(why));
	}
	/* Only when no darknet was given at all: a given file that yields no
	 * prefix is an error in the loader, never "everything". */
	if (!ret && !cfg->darknets.len && !cfg->nr_darknet_files)
		ret = add_match_all(&l->darknets);
	for (int i = 0; i < cfg->nr_scanner_paths && !ret; i++) {
		opt = "--scanners";
		ret = prefix_list_load_scanners(&l->scanners, cfg->scanner_paths[i],
						why, sizeof(why));
	}
	if (ret && why[0])
		snprintf(err, errlen, "%s %s", opt, why);
	return ret;
}

int lists_load(const struct dn_config *cfg, struct dn_lists *out, char *err, size_t errlen)
{
	struct dn_lists l;
	int ret;

	prefix_list_init(&l.darknets);
	prefix_list_init(&l.scanners);
	err[0] = '\0';
	l.newest_mtime = lists_newest_mtime(cfg);
	ret = load_into(cfg, &l, err, errlen);
	if (ret) {
		if (!err[0])
			snprintf(err, errlen, "cannot load the lists: %s", strerror(-ret));
		lists_free(&l);
		return ret;
	}
	*out = l;
	return 0;
}

void lists_free(struct dn_lists *l)
{
	prefix_list_free(&l->darknets);
	prefix_list_free(&l->scanners);
}

static int64_t stat_ns(const struct stat *st)
{
	return st->st_mtim.tv_sec * 1000000000ll + st->st_mtim.tv_nsec;
}

int64_t lists_path_mtime(const char *path)
{
	char sub[PATH_MAX];
	struct dirent *e;
	struct stat st;
	int64_t newest;
	DIR *d;

	if (stat(path, &st))
		return 0;
	newest = stat_ns(&st);
	if (!S_ISDIR(st.st_mode) || !(d = opendir(path)))
		return newest;
	while ((e = readdir(d))) {
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		if (e->d_name[0] != '.' && !stat(sub, &st) && stat_ns(&st) > newest)
			newest = stat_ns(&st);
	}
	closedir(d);
	return newest;
}

int64_t lists_newest_mtime(const struct dn_config *cfg)
{
	int64_t newest = 0, t;

	for (int i = 0; i < cfg->nr_darknet_files; i++)
		if ((t = lists_path_mtime(cfg->darknet_files[i])) > newest)
			newest = t;
	for (int i = 0; i < cfg->nr_scanner_paths; i++)
		if ((t = lists_path_mtime(cfg->scanner_paths[i])) > newest)
			newest = t;
	return newest;
}
