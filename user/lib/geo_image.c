/* geo_image.c: the IPv4 and IPv6 geo tables built in memory: merged ranges, /24 rows, split blocks, /64 prefixes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "darknet_counter.h"
#include "geo_image.h"

typedef unsigned __int128 u128;

/* One database's ranges of one family, walked in address order. */
struct cursor {
	const struct geo_range *r, *end;
};

static void cursor_init(struct cursor *c, const struct geo_db *db, __u8 family)
{
	c->r = c->end = NULL;
	if (!db)
		return;
	c->r = db->ranges;
	c->end = db->ranges + db->len;
	while (c->r < c->end && c->r->family != family)
		c->r++;
	while (c->end > c->r && c->end[-1].family != family)
		c->end--;
}

/* The head range still ending at or after pos, or NULL. */
static const struct geo_range *cursor_at(struct cursor *c, u128 pos)
{
	while (c->r < c->end && c->r->last < pos)
		c->r++;
	return c->r < c->end ? c->r : NULL;
}

struct builder {
	struct geo_image *img;
	struct geo_asn_ids *ids;
	__u8 family;
	u128 v6_next;          /* first /64 no range has taken yet */
	int v6_full;           /* the last /64 is taken */
	char *err;
	size_t errlen;
};

static __u32 *v4_word(struct builder *b, __u32 slash24, __u32 octet, int split)
{
	__u32 *d = &b->img->direct[slash24 / DN_GEO_V4_ROW].e[slash24 % DN_GEO_V4_ROW];
	struct geo_image *img = b->img;

	if (!split)
		return d;
	if (!(*d & DN_GEO_SPLIT)) {
		if (img->nr_blocks == DN_GEO_V4_MAX_BLOCKS) {
			snprintf(b->err, b->errlen, "too many IPv4 /24s with a range boundary "
				 "inside (max %u)", DN_GEO_V4_MAX_BLOCKS);
			return NULL;
		}
		if (img->nr_blocks == img->blocks_cap) {
			__u32 cap = img->blocks_cap ? img->blocks_cap * 2 : 1024;
			struct dn_geo_v4_row *n = realloc(img->blocks, cap * sizeof(*n));

			if (!n) {
				snprintf(b->err, b->errlen, "out of memory");
				return NULL;
			}
			img->blocks = n;
			img->blocks_cap = cap;
		}
		/* Segments never overlap: a /24 split now had no entry yet. */
		memset(&img->blocks[img->nr_blocks], 0, sizeof(img->blocks[0]));
		*d = DN_GEO_SPLIT | img->nr_blocks++;
	}
	return &img->blocks[*d & ~DN_GEO_SPLIT].e[octet];
}

static int emit_v4(struct builder *b, __u32 first, __u32 last, __u32 entry)
{
	for (__u64 s = first >> 8; s <= last >> 8; s++) {
		__u32 lo = s == first >> 8 ? first & 0xff : 0;
		__u32 hi = s == last >> 8 ? last & 0xff : 0xff;
		int split = lo != 0 || hi != 0xff;

		for (__u32 o = lo; o <= (split ? hi : lo); o++) {
			__u32 *w = v4_word(b, s, o, split);

			if (!w)
				return b->err[0] ? -E2BIG : -ENOMEM;
			*w = entry;
		}
	}
	return 0;
}

static int add_v6(struct builder *b, __u64 addr, int len, __u32 entry)
{
	struct geo_image *img = b->img;

	if (img->nr_v6 == DN_GEO_V6_MAX_PREFIXES) {
		snprintf(b->err, b->errlen, "too many IPv6 prefixes (max %u)",
			 DN_GEO_V6_MAX_PREFIXES);
		return -E2BIG;
	}
	if (img->nr_v6 == img->v6_cap) {
		size_t cap = img->v6_cap ? img->v6_cap * 2 : 4096;
		struct geo_v6_prefix *n = realloc(img->v6, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		img->v6 = n;
		img->v6_cap = cap;
	}
	img->v6[img->nr_v6++] = (struct geo_v6_prefix){ .addr = addr, .len = len,
							.entry = entry };
	return 0;
}

/* The /64s of [first, last] that no earlier range took, as prefixes. */
static int emit_v6(struct builder *b, u128 first, u128 last, __u32 entry)
{
	u128 lo = first >> 64, hi = last >> 64;
	int ret = 0;

	if (b->v6_full || hi < b->v6_next)
		return 0;
	if (lo < b->v6_next)
		lo = b->v6_next;
	b->v6_full = hi == UINT64_MAX;
	b->v6_next = hi + 1;
	while (lo <= hi && !ret) {
		int bits = lo ? __builtin_ctzll((__u64)lo) : 64;

		while (bits && ((u128)1 << bits) - 1 > hi - lo)
			bits--;
		ret = add_v6(b, lo, 64 - bits, entry);
		lo += (u128)1 << bits;
	}
	return ret;
}

static int emit(struct builder *b, u128 first, u128 last, __u32 entry)
{
	b->img->segments[b->family]++;
	return b->family == DN_FAMILY_IPV4 ? emit_v4(b, first, last, entry)
					   : emit_v6(b, first, last, entry);
}

/* Walk both databases' ranges of one family together; every stretch with
 * the same (country, AS) becomes one segment, adjacent equal ones merged. */
static int build_family(struct builder *b, const struct geo_db *country,
			const struct geo_db *asn)
{
	u128 max = b->family == DN_FAMILY_IPV4 ? UINT32_MAX : ~(u128)0, pos = 0;
	u128 seg_first = 0, seg_last = 0;
	struct cursor cc, as;
	__u32 seg_entry = 0;
	int ret = 0;

	cursor_init(&cc, country, b->family);
	cursor_init(&as, asn, b->family);
	for (;;) {
		const struct geo_range *c = cursor_at(&cc, pos), *a = cursor_at(&as, pos);
		u128 end = max;
		__u32 entry;

		if (!c && !a)
			break;
		if ((!c || c->first > pos) && (!a || a->first > pos))
			pos = !c ? a->first : !a ? c->first : c->first < a->first ? c->first : a->first;
		if (c)
			end = c->first > pos ? c->first - 1 : c->last;
		if (a && (a->first > pos ? a->first - 1 : a->last) < end)
			end = a->first > pos ? a->first - 1 : a->last;
		entry = dn_geo_entry(c && c->first <= pos ? c->value : 0,
				     a && a->first <= pos ? geo_asn_ids_assign(b->ids, a->value) : 0);
		if (entry && seg_entry == entry && seg_last + 1 == pos) {
			seg_last = end;
		} else if (entry) {
			if (seg_entry && (ret = emit(b, seg_first, seg_last, seg_entry)))
				return ret;
			seg_first = pos;
			seg_last = end;
			seg_entry = entry;
		}
		if (end == max)
			break;
		pos = end + 1;
	}
	return seg_entry ? emit(b, seg_first, seg_last, seg_entry) : 0;
}

static int has_family(const struct geo_db *db, __u8 family)
{
	for (size_t i = 0; db && i < db->len; i++)
		if (db->ranges[i].family == family)
			return 1;
	return 0;
}

int geo_image_build(struct geo_image *img, const struct geo_db *country,
		    const struct geo_db *asn, struct geo_asn_ids *ids, char *err, size_t errlen)
{
	struct builder b = { .img = img, .ids = ids, .err = err, .errlen = errlen };
	int ret = 0;

	memset(img, 0, sizeof(*img));
	err[0] = '\0';
	if (has_family(country, DN_FAMILY_IPV4) || has_family(asn, DN_FAMILY_IPV4)) {
		img->direct = calloc(DN_GEO_V4_DIRECT_ROWS, sizeof(*img->direct));
		if (!img->direct)
			ret = -ENOMEM;
		b.family = DN_FAMILY_IPV4;
		ret = ret ?: build_family(&b, country, asn);
	}
	b.family = DN_FAMILY_IPV6;
	ret = ret ?: build_family(&b, country, asn);
	if (ret) {
		if (!err[0])
			snprintf(err, errlen, "building the geo tables: %s", strerror(-ret));
		geo_image_free(img);
	}
	return ret;
}

void geo_image_free(struct geo_image *img)
{
	free(img->direct);
	free(img->blocks);
	free(img->v6);
	memset(img, 0, sizeof(*img));
}

__u32 geo_image_lookup_v4(const struct geo_image *img, __u32 addr)
{
	__u32 s = addr >> 8, e;

	if (!img->direct)
		return 0;
	e = img->direct[s / DN_GEO_V4_ROW].e[s % DN_GEO_V4_ROW];
	if (e & DN_GEO_SPLIT)
		e = img->blocks[e & ~DN_GEO_SPLIT].e[addr & 0xff];
	return e;
}

__u32 geo_image_lookup_v6(const struct geo_image *img, const __u8 addr[16])
{
	size_t lo = 0, hi = img->nr_v6;
	__u64 a = 0;

	for (int i = 0; i < 8; i++)
		a = a << 8 | addr[i];
	/* The prefixes are disjoint and in order: the last one starting at
	 * or before a is the only one that may hold it. */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (img->v6[mid].addr <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return 0;
	const struct geo_v6_prefix *p = &img->v6[lo - 1];
	__u64 mask = p->len ? ~0ull << (64 - p->len) : 0;
	return (a & mask) == p->addr ? p->entry : 0;
}

bool geo_row_uniform(const struct dn_geo_v4_row *r)
{
	for (int i = 0; i < DN_GEO_V4_ROW; i++)
		if (r->e[i] != r->e[0] || (r->e[i] & DN_GEO_SPLIT))
			return false;
	return true;
}

__u32 geo_image_v4_rows(const struct geo_image *img)
{
	__u32 mixed = 0;

	if (!img->direct)
		return 0;
	for (__u32 r = 0; r < DN_GEO_V4_DIRECT_ROWS; r++)
		mixed += !geo_row_uniform(&img->direct[r]);
	return DN_GEO_V4_DIR_ROWS + img->nr_blocks + mixed;
}

size_t geo_image_v4_bytes(const struct geo_image *img)
{
	return (size_t)geo_image_v4_rows(img) * sizeof(struct dn_geo_v4_row);
}
