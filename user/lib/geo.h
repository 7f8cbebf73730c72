/* geo.h: source country and origin AS databases: the country table, range files, validation, table images. */
#ifndef DN_GEO_LIB_H
#define DN_GEO_LIB_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

/* The country table (geo_cc.c, docs/geo.md): ISO 3166-1 alpha-2 codes in
 * byte order; a code's index is its position + 1 and never changes (the
 * counters and sketches are keyed by it). 0 = not in the database. */
#define GEO_CC_UNKNOWN "--"
unsigned geo_cc_count(void);
/* 1..geo_cc_count() for a listed code (two upper-case letters), else 0. */
unsigned geo_cc_index(const char *cc);
/* The code of index idx, or GEO_CC_UNKNOWN for 0 and out of range. */
const char *geo_cc_code(unsigned idx);

enum geo_kind { GEO_COUNTRY, GEO_ASN };

/* One range of addresses, both ends included. IPv4 addresses are the
 * 32-bit number, IPv6 the 128-bit one. */
struct geo_range {
	unsigned __int128 first, last;
	__u32 value;      /* country index or AS number */
	__u32 line;       /* in its file, 0 for a .mmdb */
	__u16 file;       /* index in geo_db.files */
	__u8 family;      /* enum dn_family */
};

struct geo_file {
	char *path;
	char type[64];        /* "csv" or the .mmdb's database_type */
	size_t ranges;        /* as read, before overlaps are resolved */
	size_t overlapping;   /* ranges that share addresses with another */
	int64_t mtime_ns;
};

struct geo_asn_name {
	__u32 asn;
	char *name;
};

struct geo_db {
	enum geo_kind kind;
	struct geo_range *ranges;
	size_t len, cap;
	struct geo_file *files;
	int nr_files;
	struct geo_asn_name *names;   /* ASN databases; by asn after geo_db_finish */
	size_t nr_names, names_cap;
	__u32 *name_slots;            /* open-addressing index into names while loading */
	size_t nr_slots;
};

#define GEO_MAX_FILES 16

void geo_db_init(struct geo_db *db, enum geo_kind kind);
void geo_db_free(struct geo_db *db);
/* Append the ranges of path, a range CSV or a .mmdb (told apart by the
 * content). Every range of one file is of one family, the first range's.
 * 0, or -errno with "file:line: reason" (or "file: reason") in err; on
 * error db keeps only the files loaded before. */
int geo_db_load_file(struct geo_db *db, const char *path, char *err, size_t errlen);
/* Sort the ranges and refuse overlapping ones ("file:line: range overlaps
 * file:line"). Call once, after the last file. */
int geo_db_finish(struct geo_db *db, char *err, size_t errlen);
/* geo_db_load_file for every file, then geo_db_finish, for both kinds at
 * once (the ASN files in a second thread). *which: the kind that failed
 * (the country's error is the one reported when both fail). */
int geo_db_load_both(struct geo_db *country, const char *const *cf, int nc, struct geo_db *asn,
		     const char *const *af, int na, int *which, char *err, size_t errlen);
/* The organisation of asn, or NULL. After geo_db_finish. */
const char *geo_db_asn_name(const struct geo_db *db, __u32 asn);

/* Internal to geo_*.c: one range and one name from a parser. */
int geo_db_add(struct geo_db *db, const struct geo_range *r);
int geo_db_add_name(struct geo_db *db, __u32 asn, const char *name, size_t len);
int geo_csv_load(struct geo_db *db, const char *path, __u16 file, char *err, size_t errlen);
/* The .mmdb loader also writes db->files[file].type. */
int geo_mmdb_load(struct geo_db *db, const char *path, __u16 file, char *err, size_t errlen);
/* Sort in[0..len) (one file, one family); when ranges overlap, *res gets
 * them disjoint (the narrowest wins, docs/geo.md), *n pieces, else *res is
 * NULL. *overlapping: ranges sharing addresses with another. */
int geo_flatten(struct geo_range *in, size_t len, struct geo_range **res, size_t *n,
		size_t *overlapping);
/* Text of one address of family (for messages). */
void geo_addr_format(__u8 family, unsigned __int128 a, char *buf, size_t len);

#endif
