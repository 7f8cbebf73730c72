/* geo_mmdb.c: country and ASN .mmdb files through libmaxminddb: every data record of the search tree as a range. */
#include <errno.h>
#include <maxminddb.h>
#include <stdio.h>
#include <string.h>
#include "darknet_counter.h"
#include "geo.h"

/* The types a kind accepts, by substring of the metadata's database_type:
 * GeoLite2-Country, GeoIP2-City, DBIP-Country-Lite, DBIP-City-Lite hold
 * country.iso_code; GeoLite2-ASN and DBIP-ASN-Lite autonomous_system_*. */
static int type_fits(enum geo_kind kind, const char *type)
{
	if (kind == GEO_ASN)
		return strstr(type, "ASN") != NULL;
	return strstr(type, "Country") || strstr(type, "City");
}

struct walk {
	MMDB_s mmdb;
	struct geo_db *db;
	const char *path;
	__u16 file;
	__u32 v4_start;       /* the IPv4 subtree of an IPv6 tree (::/96), or node_count */
	size_t from;          /* this file's first range in db */
	char *err;
	size_t errlen;
};

static int country_of(MMDB_entry_s *e, __u32 *idx, char *cc)
{
	static const char *const paths[][3] = {
		{ "country", "iso_code", NULL }, { "registered_country", "iso_code", NULL },
	};
	MMDB_entry_data_s d;

	for (int i = 0; i < 2; i++) {
		if (MMDB_aget_value(e, &d, paths[i]) != MMDB_SUCCESS || !d.has_data ||
		    d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size != 2)
			continue;
		memcpy(cc, d.utf8_string, 2);
		cc[2] = '\0';
		*idx = geo_cc_index(cc);
		return 1;
	}
	return 0;
}

/* A tree holds prefixes: neighbours with the same value are one range. */
static int add_range(struct walk *w, const struct geo_range *r)
{
	struct geo_range *prev = w->db->len > w->from ? &w->db->ranges[w->db->len - 1] : NULL;

	if (prev && prev->family == r->family && prev->value == r->value &&
	    prev->last + 1 == r->first) {
		prev->last = r->last;
		return 0;
	}
	return geo_db_add(w->db, r);
}

static int add_record(struct walk *w, MMDB_entry_s *e, unsigned __int128 prefix, int depth)
{
	int bits = w->mmdb.metadata.ip_version == 6 ? 128 : 32;
	unsigned __int128 span = depth == 0 ? ~(unsigned __int128)0 >> (128 - bits)
				: (((unsigned __int128)1) << (bits - depth)) - 1;
	struct geo_range r = { .first = prefix, .last = prefix | span, .file = w->file,
			       .family = bits == 32 ? DN_FAMILY_IPV4 : DN_FAMILY_IPV6 };
	MMDB_entry_data_s num, org;
	char cc[3], first[64];

	if (bits == 128 && depth >= 96 && !(prefix >> 32)) {   /* ::a.b.c.d */
		r.family = DN_FAMILY_IPV4;
		r.first &= 0xffffffffu;
		r.last &= 0xffffffffu;
	}
	if (w->db->kind == GEO_COUNTRY) {
		if (!country_of(e, &r.value, cc))
			return 0;   /* a record without a country (e.g. only a continent) */
		if (!r.value) {
			geo_addr_format(r.family, r.first, first, sizeof(first));
			snprintf(w->err, w->errlen, "%s: unknown country code '%s' (range from %s)",
				 w->path, cc, first);
			return -EINVAL;
		}
		return add_range(w, &r);
	}
	if (MMDB_get_value(e, &num, "autonomous_system_number", NULL) != MMDB_SUCCESS ||
	    !num.has_data || num.type != MMDB_DATA_TYPE_UINT32 || !num.uint32)
		return 0;
	r.value = num.uint32;
	if (MMDB_get_value(e, &org, "autonomous_system_organization", NULL) != MMDB_SUCCESS ||
	    !org.has_data || org.type != MMDB_DATA_TYPE_UTF8_STRING)
		org.data_size = 0;
	return add_range(w, &r) ?:
	       geo_db_add_name(w->db, r.value, org.data_size ? org.utf8_string : "", org.data_size);
}

/* Depth first, left (0) before right: the ranges come out in address
 * order. A stack item is a record still to visit: a node or data. */
struct item {
	__u64 rec;
	MMDB_entry_s entry;
	unsigned __int128 prefix;
	__u8 type;
	__u8 depth;
};

static int walk_tree(struct walk *w)
{
	int bits = w->mmdb.metadata.ip_version == 6 ? 128 : 32, top = 0, ret = 0;
	__u32 nodes = w->mmdb.metadata.node_count;
	struct item stack[2 * 129 + 2];

	stack[top++] = (struct item){ .rec = 0, .type = MMDB_RECORD_TYPE_SEARCH_NODE };
	while (top && !ret) {
		struct item it = stack[--top];
		MMDB_search_node_s n;

		if (it.type == MMDB_RECORD_TYPE_DATA) {
			ret = add_record(w, &it.entry, it.prefix, it.depth);
			continue;
		}
		if (it.type != MMDB_RECORD_TYPE_SEARCH_NODE)
			continue;   /* empty */
		if (it.rec >= nodes || it.depth >= bits ||
		    MMDB_read_node(&w->mmdb, it.rec, &n) != MMDB_SUCCESS) {
			snprintf(w->err, w->errlen, "%s: broken search tree at node %llu", w->path,
				 (unsigned long long)it.rec);
			return -EINVAL;
		}
		/* Right first on the stack, so that left comes out first. */
		for (int side = 1; side >= 0; side--) {
			struct item c = {
				.rec = side ? n.right_record : n.left_record,
				.type = side ? n.right_record_type : n.left_record_type,
				.entry = side ? n.right_record_entry : n.left_record_entry,
				.prefix = it.prefix,
				.depth = it.depth + 1,
			};

			if (side)
				c.prefix |= (unsigned __int128)1 << (bits - c.depth);
			if (c.type == MMDB_RECORD_TYPE_INVALID) {
				snprintf(w->err, w->errlen, "%s: invalid record at node %llu",
					 w->path, (unsigned long long)it.rec);
				return -EINVAL;
			}
			/* ::ffff:0:0/96 and 2002::/16 lead to the IPv4 subtree
			 * again: it is read once, at ::/96. */
			if (c.type == MMDB_RECORD_TYPE_SEARCH_NODE && c.rec == w->v4_start &&
			    (c.depth != 96 || c.prefix))
				continue;
			stack[top++] = c;
		}
	}
	return ret;
}

static __u32 ipv4_start(MMDB_s *m)
{
	MMDB_search_node_s n;
	__u32 node = 0;

	if (m->metadata.ip_version != 6)
		return m->metadata.node_count;
	for (int i = 0; i < 96 && node < m->metadata.node_count; i++) {
		if (MMDB_read_node(m, node, &n) != MMDB_SUCCESS ||
		    n.left_record_type != MMDB_RECORD_TYPE_SEARCH_NODE)
			return m->metadata.node_count;
		node = n.left_record;
	}
	return node;
}

int geo_mmdb_load(struct geo_db *db, const char *path, __u16 file, char *err, size_t errlen)
{
	struct walk w = { .db = db, .path = path, .file = file, .from = db->len, .err = err,
			  .errlen = errlen };
	const char *type;
	int ret, status = MMDB_open(path, MMDB_MODE_MMAP, &w.mmdb);

	if (status != MMDB_SUCCESS) {
		snprintf(err, errlen, "%s: %s", path, MMDB_strerror(status));
		return status == MMDB_IO_ERROR ? -EIO : -EINVAL;
	}
	type = w.mmdb.metadata.database_type ? w.mmdb.metadata.database_type : "";
	snprintf(db->files[file].type, sizeof(db->files[file].type), "%s", type);
	if (!type_fits(db->kind, type)) {
		snprintf(err, errlen, "%s: database_type '%s' is not %s database", path, type,
			 db->kind == GEO_ASN ? "an ASN" : "a country");
		ret = -EINVAL;
	} else if (w.mmdb.metadata.ip_version != 4 && w.mmdb.metadata.ip_version != 6) {
		snprintf(err, errlen, "%s: ip_version %u", path, w.mmdb.metadata.ip_version);
		ret = -EINVAL;
	} else {
		w.v4_start = ipv4_start(&w.mmdb);
		ret = walk_tree(&w);
	}
	MMDB_close(&w.mmdb);
	return ret;
}
