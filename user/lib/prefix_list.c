/* prefix_list.c: growable prefix lists and the darknet / scanner list files. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "list_file.h"
#include "prefix.h"

/*
 * Duplicates: a list is a set of prefixes. An entry identical to one already
 * in the list (same prefix, same org) is kept once and the repeat ignored:
 * merged scanner feeds and a --darknet repeated in a file overlap
 * legitimately, and a second copy would only produce a second id and a
 * duplicate metric series for the same prefix. The same prefix listed for two
 * different orgs is a contradiction nobody can resolve for us: it is an error
 * naming the file, the line and the org that listed it first.
 *
 * Overlapping but different prefixes (10.0.0.0/8 and 10.1.0.0/16) are
 * allowed: the datapath's longest-prefix match decides.
 */

/* What distinguishes the two kinds of list file. The limits are the map
 * sizes the datapath has for them: checking here gives the operator a
 * "file:line:" instead of a failed map update later. */
struct list_kind {
	const char *what;
	bool has_org;
	size_t max_per_family;
};

static const struct list_kind darknet_kind = {
	.what = "darknet", .has_org = false, .max_per_family = DN_MAX_DARKNET_PREFIXES,
};

static const struct list_kind scanner_kind = {
	.what = "scanner", .has_org = true, .max_per_family = DN_MAX_SCANNER_PREFIXES,
};

/* An open-addressing hash set of entry indices (stored + 1, 0 = empty slot):
 * scanner lists reach a million lines, so duplicate checks must be O(1). */
struct index {
	uint32_t *slots;
	size_t mask, count;
	uint64_t (*hash)(const struct dn_prefix_entry *e);
	bool (*match)(const struct dn_prefix_entry *e, const struct dn_prefix_entry *key);
};

/* One load call: the list, where it stood before (to roll back), and the
 * indexes and counts over everything it holds, old entries included. */
struct loader {
	struct dn_prefix_list *l;
	const struct list_kind *kind;
	size_t start_len;
	struct index prefixes, orgs;
	size_t per_family[DN_FAMILY_MAX];
	size_t nr_orgs;
	size_t nr_lines;        /* lines with a prefix on them */
	char *err;
	size_t errlen;
};

void prefix_list_init(struct dn_prefix_list *l)
{
	l->entries = NULL;
	l->len = l->cap = 0;
}

void prefix_list_free(struct dn_prefix_list *l)
{
	free(l->entries);
	prefix_list_init(l);
}

static int list_reserve_one(struct dn_prefix_list *l)
{
	struct dn_prefix_entry *e;
	size_t cap;

	if (l->len < l->cap)
		return 0;
	cap = l->cap ? l->cap * 2 : 64;
	if (cap > SIZE_MAX / sizeof(*e) || cap > UINT32_MAX - 1)
		return -ENOMEM;
	e = realloc(l->entries, cap * sizeof(*e));
	if (!e)
		return -ENOMEM;
	l->entries = e;
	l->cap = cap;
	return 0;
}

static void list_append(struct dn_prefix_list *l, const struct dn_prefix *p, const char *org)
{
	struct dn_prefix_entry *e = &l->entries[l->len++];

	memset(e, 0, sizeof(*e));
	e->prefix = *p;
	snprintf(e->org, sizeof(e->org), "%s", org);
}

static bool org_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* Org names become Prometheus label values and bpf map contents: a small
 * safe alphabet means no escaping anywhere and no surprise in dashboards. */
static int org_check(const char *org, char *err, size_t errlen)
{
	size_t n = strlen(org);

	if (n == 0 || n >= DN_ORG_NAME_LEN) {
		snprintf(err, errlen, "organisation name \"%s\" must be 1-%d characters long",
			 org, DN_ORG_NAME_LEN - 1);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		if (!org_char_ok(org[i])) {
			snprintf(err, errlen,
				 "invalid character '%c' in organisation name \"%s\": a label value "
				 "made of [A-Za-z0-9_.-] is required", org[i], org);
			return -EINVAL;
		}
	}
	return 0;
}

int prefix_list_add(struct dn_prefix_list *l, const struct dn_prefix *p, const char *org)
{
	char err[128];
	int ret;

	if (!org)
		org = "";
	if (org[0] && org_check(org, err, sizeof(err)))
		return -EINVAL;
	/* Linear: this serves command-line prefixes; files go through the
	 * indexed loader below. */
	for (size_t i = 0; i < l->len; i++) {
		if (prefix_equal(&l->entries[i].prefix, p))
			return strcmp(l->entries[i].org, org) ? -EEXIST : 0;
	}
	ret = list_reserve_one(l);
	if (ret)
		return ret;
	list_append(l, p, org);
	return 0;
}

/* FNV-1a: fast, good enough for addresses and short names. */
static uint64_t fnv1a(uint64_t h, const void *data, size_t n)
{
	const uint8_t *b = data;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

#define FNV_OFFSET 0xcbf29ce484222325ull

static uint64_t hash_prefix(const struct dn_prefix_entry *e)
{
	const struct dn_prefix *p = &e->prefix;
	size_t bytes = p->family == DN_FAMILY_IPV4 ? 4 : 16;

	return fnv1a(fnv1a(FNV_OFFSET, &p->len, 1), p->addr, bytes) ^ p->family;
}

static bool match_prefix(const struct dn_prefix_entry *e, const struct dn_prefix_entry *key)
{
	return prefix_equal(&e->prefix, &key->prefix);
}

static uint64_t hash_org(const struct dn_prefix_entry *e)
{
	return fnv1a(FNV_OFFSET, e->org, strlen(e->org));
}

static bool match_org(const struct dn_prefix_entry *e, const struct dn_prefix_entry *key)
{
	return strcmp(e->org, key->org) == 0;
}

/* The slot holding an entry that matches key, or the empty slot where it
 * would go. The table is never more than half full, so this terminates. */
static uint32_t *index_slot(const struct index *ix, const struct dn_prefix_list *l,
			    const struct dn_prefix_entry *key)
{
	size_t i = ix->hash(key) & ix->mask;

	while (ix->slots[i] && !ix->match(&l->entries[ix->slots[i] - 1], key))
		i = (i + 1) & ix->mask;
	return &ix->slots[i];
}

static int index_grow(struct index *ix, const struct dn_prefix_list *l)
{
	struct index bigger = *ix;
	size_t size = ix->slots ? (ix->mask + 1) * 2 : 1024;

	bigger.slots = calloc(size, sizeof(*bigger.slots));
	if (!bigger.slots)
		return -ENOMEM;
	bigger.mask = size - 1;
	for (size_t i = 0; ix->slots && i <= ix->mask; i++) {
		if (ix->slots[i])
			*index_slot(&bigger, l, &l->entries[ix->slots[i] - 1]) = ix->slots[i];
	}
	free(ix->slots);
	*ix = bigger;
	return 0;
}

/* Adds entry idx unless an entry matching it is indexed; returns the slot's
 * previous content (0 = it was new, else the matching entry's index + 1). */
static int index_insert(struct index *ix, const struct dn_prefix_list *l, size_t idx,
			uint32_t *found)
{
	uint32_t *slot;
	int ret;

	if (!ix->slots || (ix->count + 1) * 2 > ix->mask + 1) {
		ret = index_grow(ix, l);
		if (ret)
			return ret;
	}
	slot = index_slot(ix, l, &l->entries[idx]);
	*found = *slot;
	if (!*slot) {
		*slot = (uint32_t)idx + 1;
		ix->count++;
	}
	return 0;
}

static void loader_free(struct loader *ld)
{
	free(ld->prefixes.slots);
	free(ld->orgs.slots);
}

static void loader_fail(struct loader *ld, const char *path, size_t line, const char *reason)
{
	if (line)
		snprintf(ld->err, ld->errlen, "%s:%zu: %s", path, line, reason);
	else
		snprintf(ld->err, ld->errlen, "%s: %s", path, reason);
}

/* Indexes entry idx (already appended) in the org set; a new org counts
 * against the limit of org ids the datapath has. */
static int loader_index_org(struct loader *ld, size_t idx, char *reason, size_t len)
{
	uint32_t found;
	int ret;

	if (!ld->l->entries[idx].org[0])
		return 0;
	ret = index_insert(&ld->orgs, ld->l, idx, &found);
	if (ret || found)
		return ret;
	if (++ld->nr_orgs > DN_MAX_SCANNER_ORGS) {
		snprintf(reason, len, "too many organisations (limit %d)", DN_MAX_SCANNER_ORGS);
		return -ENOSPC;
	}
	return 0;
}

/* Appends (p, org) tentatively, then keeps it, drops it as a repeat, or
 * refuses it. Appending first lets the index refer to it by position. */
static int loader_add(struct loader *ld, const struct dn_prefix *p, const char *org,
		      char *reason, size_t len)
{
	struct dn_prefix_list *l = ld->l;
	size_t idx = l->len;
	uint32_t found;
	int ret;

	ret = list_reserve_one(l);
	if (ret)
		return ret;
	list_append(l, p, org);
	ret = index_insert(&ld->prefixes, l, idx, &found);
	if (ret)
		return ret;
	if (found) {
		const char *first = l->entries[found - 1].org;
		char text[DN_PREFIX_STRLEN];

		l->len--;
		if (strcmp(first, org) == 0)
			return 0;
		prefix_format(p, text, sizeof(text));
		snprintf(reason, len, "%s already listed for organisation %s", text, first);
		return -EEXIST;
	}
	if (++ld->per_family[p->family] > ld->kind->max_per_family) {
		snprintf(reason, len, "too many %s %s prefixes (limit %zu)", ld->kind->what,
			 p->family == DN_FAMILY_IPV4 ? "IPv4" : "IPv6", ld->kind->max_per_family);
		return -ENOSPC;
	}
	return loader_index_org(ld, idx, reason, len);
}

static int loader_init(struct loader *ld, struct dn_prefix_list *l,
		       const struct list_kind *kind, char *err, size_t errlen)
{
	char reason[128];
	int ret = 0;

	memset(ld, 0, sizeof(*ld));
	ld->l = l;
	ld->kind = kind;
	ld->start_len = l->len;
	ld->err = err;
	ld->errlen = errlen;
	ld->prefixes.hash = hash_prefix;
	ld->prefixes.match = match_prefix;
	ld->orgs.hash = hash_org;
	ld->orgs.match = match_org;
	/* What the list already holds counts towards duplicates and limits;
	 * a limit it already exceeds only refuses what we add. */
	for (size_t i = 0; i < l->len && !ret; i++) {
		uint32_t found;

		ret = index_insert(&ld->prefixes, l, i, &found);
		if (!ret && !found && l->entries[i].prefix.family < DN_FAMILY_MAX)
			ld->per_family[l->entries[i].prefix.family]++;
		if (!ret)
			ret = loader_index_org(ld, i, reason, sizeof(reason));
		if (ret == -ENOSPC)
			ret = 0;
	}
	if (ret)
		snprintf(err, errlen, "out of memory indexing the prefix list");
	return ret;
}

#define FIELD_SEPS " \t\r\n\v\f"

/* One line of a list file: "CIDR" or "CIDR ORG", then an optional '#'
 * comment. Fills reason (without the "file:line: ") on error. */
static int parse_line(struct loader *ld, char *line, char *reason, size_t len)
{
	char *save = NULL, *cidr, *org, *extra;
	struct dn_prefix p;
	int ret;

	line[strcspn(line, "#")] = '\0';
	cidr = strtok_r(line, FIELD_SEPS, &save);
	if (!cidr)
		return 0; /* blank or comment-only */
	ld->nr_lines++;
	org = strtok_r(NULL, FIELD_SEPS, &save);
	extra = ld->kind->has_org && org ? strtok_r(NULL, FIELD_SEPS, &save) : NULL;
	ret = prefix_parse(cidr, &p, reason, len);
	if (ret)
		return ret;
	if (!ld->kind->has_org && org) {
		snprintf(reason, len, "unexpected text after prefix: %s", org);
		return -EINVAL;
	}
	if (ld->kind->has_org && !org) {
		snprintf(reason, len, "missing organisation after %s (expected \"CIDR ORG\")", cidr);
		return -EINVAL;
	}
	if (extra) {
		snprintf(reason, len, "unexpected text after organisation: %s", extra);
		return -EINVAL;
	}
	if (org && org_check(org, reason, len))
		return -EINVAL;
	return loader_add(ld, &p, org ? org : "", reason, len);
}

static int load_stream(struct loader *ld, const char *path, FILE *f)
{
	char reason[256], line[DN_LIST_MAX_LINE + 1];
	size_t n, lineno = 0;
	int ret = 0, got;

	while (!ret && (got = list_file_line(f, line, sizeof(line), &n)) > 0) {
		lineno++;
		if (memchr(line, '\0', n)) {
			snprintf(reason, sizeof(reason), "NUL byte in line (not a text file?)");
			ret = -EINVAL;
		} else {
			ret = parse_line(ld, line, reason, sizeof(reason));
		}
		if (ret)
			loader_fail(ld, path, lineno, ret == -ENOMEM ? "out of memory" : reason);
	}
	/* a read error (or ENOMEM) is not the end of the file */
	if (!ret && got < 0) {
		snprintf(reason, sizeof(reason), "line longer than %d bytes", DN_LIST_MAX_LINE);
		loader_fail(ld, path, got == -E2BIG ? lineno + 1 : 0,
			    got == -E2BIG ? reason : strerror(-got));
		ret = got;
	}
	return ret;
}

static int load_file(struct loader *ld, const char *path)
{
	char reason[128];
	FILE *f;
	int ret;

	ret = list_file_open(path, &f, reason, sizeof(reason));
	if (ret) {
		loader_fail(ld, path, 0, reason);
		return ret;
	}
	ret = load_stream(ld, path, f);
	fclose(f);
	/* An empty darknet list would mean "count nothing"; one read as empty
	 * (caught mid-rewrite, truncated) must not pass for a list. */
	if (!ret && !ld->kind->has_org && !ld->nr_lines) {
		loader_fail(ld, path, 0, "no darknet prefix in it");
		ret = -ENODATA;
	}
	return ret;
}

static int load_one(void *ld, const char *path)
{
	return load_file(ld, path);
}

static int load_dir(struct loader *ld, const char *dir)
{
	char reason[128] = "";
	int ret = list_dir_each(dir, load_one, ld, reason, sizeof(reason));

	if (ret && reason[0])
		loader_fail(ld, dir, 0, reason);
	return ret;
}

static int load(struct dn_prefix_list *l, const struct list_kind *kind, const char *path,
		bool allow_dir, char *err, size_t errlen)
{
	struct loader ld;
	struct stat st;
	int ret;

	ret = loader_init(&ld, l, kind, err, errlen);
	if (!ret) {
		if (allow_dir && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			ret = load_dir(&ld, path);
		else
			ret = load_file(&ld, path);
	}
	/* All or nothing: a half-read file would silently drop the rest. */
	if (ret)
		l->len = ld.start_len;
	loader_free(&ld);
	return ret;
}

int prefix_list_load_darknets(struct dn_prefix_list *l, const char *path,
			      char *err, size_t errlen)
{
	return load(l, &darknet_kind, path, false, err, errlen);
}

int prefix_list_load_scanners(struct dn_prefix_list *l, const char *path,
			      char *err, size_t errlen)
{
	return load(l, &scanner_kind, path, true, err, errlen);
}
