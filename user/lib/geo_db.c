/* geo_db.c: a country or ASN database in memory: files, ranges, AS names, sorting and the overlap check. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "darknet_counter.h"
#include "geo.h"

void geo_db_init(struct geo_db *db, enum geo_kind kind)
{
	memset(db, 0, sizeof(*db));
	db->kind = kind;
}

void geo_db_free(struct geo_db *db)
{
	for (int i = 0; i < db->nr_files; i++)
		free(db->files[i].path);
	for (size_t i = 0; i < db->nr_names; i++)
		free(db->names[i].name);
	free(db->files);
	free(db->ranges);
	free(db->names);
	free(db->name_slots);
	geo_db_init(db, db->kind);
}

int geo_db_add(struct geo_db *db, const struct geo_range *r)
{
	if (db->len == db->cap) {
		size_t cap = db->cap ? db->cap * 2 : 4096;
		struct geo_range *n = realloc(db->ranges, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		db->ranges = n;
		db->cap = cap;
	}
	db->ranges[db->len++] = *r;
	return 0;
}

static size_t name_hash(__u32 asn, size_t mask)
{
	return (asn * 2654435761u) & mask;
}

static int names_grow(struct geo_db *db)
{
	size_t nr = db->nr_slots ? db->nr_slots * 2 : 1024;
	__u32 *slots = malloc(nr * sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	memset(slots, 0xff, nr * sizeof(*slots));
	for (size_t i = 0; i < db->nr_names; i++) {
		size_t h = name_hash(db->names[i].asn, nr - 1);

		while (slots[h] != UINT32_MAX)
			h = (h + 1) & (nr - 1);
		slots[h] = i;
	}
	free(db->name_slots);
	db->name_slots = slots;
	db->nr_slots = nr;
	return 0;
}

/* The first name seen for an AS is kept: the files repeat it per range. */
int geo_db_add_name(struct geo_db *db, __u32 asn, const char *name, size_t len)
{
	size_t h;
	char *copy;

	if ((db->nr_names + 1) * 2 > db->nr_slots && names_grow(db))
		return -ENOMEM;
	for (h = name_hash(asn, db->nr_slots - 1); db->name_slots[h] != UINT32_MAX;
	     h = (h + 1) & (db->nr_slots - 1))
		if (db->names[db->name_slots[h]].asn == asn)
			return 0;
	if (db->nr_names == db->names_cap) {
		size_t cap = db->names_cap ? db->names_cap * 2 : 1024;
		struct geo_asn_name *n = realloc(db->names, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		db->names = n;
		db->names_cap = cap;
	}
	if (!(copy = strndup(name, len)))
		return -ENOMEM;
	db->names[db->nr_names] = (struct geo_asn_name){ .asn = asn, .name = copy };
	db->name_slots[h] = db->nr_names++;
	return 0;
}

/* A .mmdb ends with its metadata, introduced by this marker (MaxMind DB
 * File Format Specification, "Database Metadata"); a range CSV never holds it. */
static int is_mmdb(const char *path)
{
	static const char marker[] = "\xab\xcd\xefMaxMind.com";
	char buf[131072];
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), found = 0;

	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return 0;   /* the CSV reader reports why */
	}
	n = pread(fd, buf, sizeof(buf), st.st_size > (off_t)sizeof(buf) ?
				       st.st_size - (off_t)sizeof(buf) : 0);
	close(fd);
	for (ssize_t i = 0; i + (ssize_t)sizeof(marker) - 1 <= n && !found; i++)
		found = !memcmp(buf + i, marker, sizeof(marker) - 1);
	return found;
}

static int range_cmp(const void *a, const void *b)
{
	const struct geo_range *x = a, *y = b;

	if (x->family != y->family)
		return x->family - y->family;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* A file's own overlaps are resolved; those between files are refused in
 * geo_db_finish. A .mmdb's tree has none; a CSV holds one family. */
static int resolve_overlaps(struct geo_db *db, size_t from, size_t *overlapping)
{
	size_t end = db->len, split = from, len[2], nflat[2] = { 0, 0 }, n;
	struct geo_range *flat[2] = { NULL, NULL }, *part[2], *all = NULL;
	int ret = 0;

	*overlapping = 0;
	qsort(db->ranges + from, end - from, sizeof(*db->ranges), range_cmp);
	while (split < end && db->ranges[split].family == DN_FAMILY_IPV4)
		split++;
	part[0] = db->ranges + from;
	len[0] = split - from;
	part[1] = db->ranges + split;
	len[1] = end - split;
	for (int f = 0; f < 2 && !ret; f++) {
		ret = geo_flatten(part[f], len[f], &flat[f], &nflat[f], &n);
		*overlapping += ret ? 0 : n;
	}
	if (ret || (!flat[0] && !flat[1]))
		goto out;
	/* Both families' results, IPv4 first, copied out before db changes. */
	n = (flat[0] ? nflat[0] : len[0]) + (flat[1] ? nflat[1] : len[1]);
	if (!(all = malloc(n * sizeof(*all) + 1))) {
		ret = -ENOMEM;
		goto out;
	}
	n = 0;
	for (int f = 0; f < 2; f++) {
		size_t k = flat[f] ? nflat[f] : len[f];

		memcpy(all + n, flat[f] ? flat[f] : part[f], k * sizeof(*all));
		n += k;
	}
	db->len = from;
	for (size_t i = 0; i < n && !ret; i++)
		ret = geo_db_add(db, &all[i]);
out:
	free(all);
	free(flat[0]);
	free(flat[1]);
	return ret;
}

int geo_db_load_file(struct geo_db *db, const char *path, char *err, size_t errlen)
{
	size_t before = db->len, names = db->nr_names;
	struct geo_file *f;
	struct stat st;
	int ret;

	if (db->nr_files >= GEO_MAX_FILES) {
		snprintf(err, errlen, "%s: more than %d files of one kind", path, GEO_MAX_FILES);
		return -E2BIG;
	}
	f = realloc(db->files, (db->nr_files + 1) * sizeof(*f));
	if (!f)
		return -ENOMEM;
	db->files = f;
	f = &db->files[db->nr_files];
	memset(f, 0, sizeof(*f));
	if (!(f->path = strdup(path)))
		return -ENOMEM;
	if (is_mmdb(path)) {
		/* The loader names the type from the file's metadata. */
		ret = geo_mmdb_load(db, path, db->nr_files, err, errlen);
	} else {
		ret = geo_csv_load(db, path, db->nr_files, err, errlen);
		snprintf(f->type, sizeof(f->type), "csv");
	}
	if (!ret && db->len == before) {
		snprintf(err, errlen, "%s: no ranges", path);
		ret = -ENODATA;
	}
	if (ret) {
		free(f->path);
		db->len = before;
		while (db->nr_names > names)
			free(db->names[--db->nr_names].name);
		db->nr_slots = 0;   /* the index is rebuilt without them */
		free(db->name_slots);
		db->name_slots = NULL;
		if (db->nr_names && names_grow(db))
			return -ENOMEM;
		return ret;
	}
	err[0] = '\0';
	f->ranges = db->len - before;
	ret = resolve_overlaps(db, before, &f->overlapping);
	if (ret) {
		free(f->path);
		db->len = before;
		return ret;
	}
	f->mtime_ns = stat(path, &st) ? 0 : st.st_mtim.tv_sec * 1000000000ll + st.st_mtim.tv_nsec;
	db->nr_files++;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	const struct geo_asn_name *x = a, *y = b;

	return x->asn < y->asn ? -1 : x->asn > y->asn;
}

void geo_addr_format(__u8 family, unsigned __int128 a, char *buf, size_t len)
{
	unsigned char b[16];

	for (int i = 15; i >= 0; i--, a >>= 8)
		b[i] = a & 0xff;
	if (!inet_ntop(family == DN_FAMILY_IPV4 ? AF_INET : AF_INET6,
		       family == DN_FAMILY_IPV4 ? b + 12 : b, buf, len))
		snprintf(buf, len, "?");
}

static void where(const struct geo_db *db, const struct geo_range *r, char *buf, size_t len)
{
	if (r->line)
		snprintf(buf, len, "%s:%u", db->files[r->file].path, r->line);
	else
		snprintf(buf, len, "%s", db->files[r->file].path);
}

int geo_db_finish(struct geo_db *db, char *err, size_t errlen)
{
	char a[512], b[512], first[INET6_ADDRSTRLEN], last[INET6_ADDRSTRLEN];

	if (db->len)   /* a database given no file has no array at all */
		qsort(db->ranges, db->len, sizeof(*db->ranges), range_cmp);
	for (size_t i = 1; i < db->len; i++) {
		const struct geo_range *p = &db->ranges[i - 1], *r = &db->ranges[i];

		if (p->family != r->family || r->first > p->last)
			continue;
		/* Name the later line of the two in front: that is where an
		 * editor of one file looks first. */
		if (p->file > r->file || (p->file == r->file && p->line > r->line)) {
			const struct geo_range *t = p;

			p = r;
			r = t;
		}
		where(db, r, a, sizeof(a));
		where(db, p, b, sizeof(b));
		geo_addr_format(p->family, p->first, first, sizeof(first));
		geo_addr_format(p->family, p->last, last, sizeof(last));
		snprintf(err, errlen, "%s: range overlaps %s (%s-%s)", a, b, first, last);
		return -EINVAL;
	}
	/* a country database has no names (and qsort wants a pointer) */
	if (db->nr_names)
		qsort(db->names, db->nr_names, sizeof(*db->names), name_cmp);
	free(db->name_slots);
	db->name_slots = NULL;
	db->nr_slots = 0;
	return 0;
}

const char *geo_db_asn_name(const struct geo_db *db, __u32 asn)
{
	struct geo_asn_name key = { .asn = asn }, *n;

	if (!db->nr_names)
		return NULL;
	n = bsearch(&key, db->names, db->nr_names, sizeof(*db->names), name_cmp);
	return n ? n->name : NULL;
}
