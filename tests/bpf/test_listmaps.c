/* test_listmaps.c: list installation: empty slots, id stability over reloads, limits, the IPv6 buckets, the short darknet lists. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <criterion/criterion.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include "darknet_counter.h"
#include "harness.h"
#include "listmaps.h"

static struct dp d;
static struct dp_counts *counts;
static struct dn_iface_snapshot *snap;
static char err[256];

static void setup(void)
{
	dp_open(&d, XDP_DROP);
	counts = calloc(1, sizeof(*counts));
	cr_assert_not_null(counts, "counts");
}

static void teardown(void)
{
	free(counts);
	dp_close(&d);
}

TestSuite(listmaps, .init = setup, .fini = teardown);

/* Send one TCP SYN from src to dst; return the verdict, leave counters in counts. */
static uint32_t send_syn(const char *src, const char *dst)
{
	return dp_send_syn(&d, counts, src, dst);
}

static uint64_t class_packets(int family, int cls)
{
	return counts->classes[dn_class_key(family, IPPROTO_TCP, cls)].packets;
}

static int slot_empty(int outer)
{
	int fd = dp_slot_fd(outer);

	if (fd >= 0)
		close(fd);
	return fd == -ENOENT;
}

Test(listmaps, empty_darknet_slots_mean_nothing_is_darknet)
{
	cr_assert_eq(send_syn("45.33.32.156", "44.44.44.5"), XDP_PASS, "empty slot: v4 verdict");
	cr_assert_eq(send_syn("2a01:4f8::1", "2a0d:3dc1:1::5"), XDP_PASS, "empty slot: v6 verdict");
	cr_expect_eq(counts->reasons[DN_REASON_NOT_DARKNET].packets, 2, "empty slot: not_darknet");
}

Test(listmaps, default_lists_make_everything_darknet)
{
	const char *const all[] = { "0.0.0.0/0", "::/0", NULL };
	struct dn_iface_snapshot *s = dp_snapshot_new();
	int id4, id6;

	cr_assert_eq(dp_install_darknets(&d, all, err, sizeof(err)), 0, "default: %s", err);
	cr_assert_eq(send_syn("45.33.32.156", "8.8.8.8"), XDP_DROP, "default: v4 verdict");
	cr_assert_eq(send_syn("2a01:4f8::1", "2001:4860::8888"), XDP_DROP, "default: v6 verdict");
	dp_snapshot(&d, s);
	id4 = dp_prefix_id(s, "0.0.0.0/0");
	id6 = dp_prefix_id(s, "::/0");
	cr_assert(id4 >= 0 && id6 >= 0 && id4 != id6, "default: ids %d and %d", id4, id6);
	cr_expect_eq(s->prefixes[id4].packets, 1, "default: 0.0.0.0/0 packets");
	cr_expect_eq(s->prefixes[id6].packets, 1, "default: ::/0 packets");
	cr_expect_eq(class_packets(DN_FAMILY_IPV4, DN_CLASS_SCAN), 1, "default: v4 scan");
	cr_expect_eq(class_packets(DN_FAMILY_IPV6, DN_CLASS_SCAN), 1, "default: v6 scan");
	dp_snapshot_free(s);
}

Test(listmaps, without_scanner_lists_nobody_is_research)
{
	const char *const all[] = { "0.0.0.0/0", "::/0", NULL };

	cr_assert_eq(dp_install_darknets(&d, all, err, sizeof(err)), 0, "no scanners: %s", err);
	send_syn("162.142.125.7", "44.44.44.5");
	send_syn("2602:80d:1000::99", "2a0d:3dc1:1::5");
	cr_expect_eq(class_packets(DN_FAMILY_IPV4, DN_CLASS_SCAN), 1, "no scanners: v4 scan");
	cr_expect_eq(class_packets(DN_FAMILY_IPV6, DN_CLASS_SCAN), 1, "no scanners: v6 scan");
	cr_expect(slot_empty(d.maps.scanner_v4_dir) && slot_empty(d.maps.scanner_v4_long) &&
		  slot_empty(d.maps.scanner_v6), "no scanners: slots stay empty");
}

Test(listmaps, darknet_ids_survive_a_reload)
{
	const char *const first[] = { "44.44.44.0/24", "44.44.45.0/24", "2a0d:3dc1:1::/48", NULL };
	const char *const second[] = { "2a0d:3dc1:1::/48", "44.44.45.0/24", "10.0.0.0/8", NULL };
	struct dn_iface_snapshot *a = dp_snapshot_new(), *b = dp_snapshot_new();
	int gone;

	cr_assert_eq(dp_install_darknets(&d, first, err, sizeof(err)), 0, "reload: %s", err);
	send_syn("45.33.32.156", "44.44.44.5");
	dp_snapshot(&d, a);
	gone = dp_prefix_id(a, "44.44.44.0/24");
	cr_assert_eq(a->prefixes[gone].packets, 1, "reload: packet before the reload");
	cr_assert_eq(dp_install_darknets(&d, second, err, sizeof(err)), 0, "reload: %s", err);
	dp_snapshot(&d, b);
	cr_expect_eq(dp_prefix_id(b, "44.44.45.0/24"), dp_prefix_id(a, "44.44.45.0/24"),
		     "reload: kept v4 prefix keeps its id");
	cr_expect_eq(dp_prefix_id(b, "2a0d:3dc1:1::/48"), dp_prefix_id(a, "2a0d:3dc1:1::/48"),
		     "reload: kept v6 prefix keeps its id");
	cr_expect_eq(dp_prefix_id(b, "44.44.44.0/24"), -1, "reload: removed prefix is gone");
	cr_expect_eq(b->prefix_info[gone].in_use, 0, "reload: released id marked unused");
	cr_expect_eq(b->prefixes[gone].packets, 0, "reload: released id's counter zeroed");
	cr_expect_neq(dp_prefix_id(b, "10.0.0.0/8"), gone, "reload: a new prefix takes a fresh id");
	cr_expect_geq(dp_prefix_id(b, "10.0.0.0/8"), 0, "reload: new prefix has an id");
	cr_expect_eq(send_syn("45.33.32.156", "44.44.44.5"), XDP_PASS,
		     "reload: removed prefix no longer matches");
	cr_expect_eq(send_syn("45.33.32.156", "10.1.2.3"), XDP_DROP, "reload: new prefix matches");
	dp_snapshot_free(a);
	dp_snapshot_free(b);
}

Test(listmaps, empty_darknet_list_empties_the_slots)
{
	const char *const one[] = { "44.44.44.0/24", "2a0d:3dc1:1::/48", NULL };
	const char *const none[] = { NULL };

	cr_assert_eq(dp_install_darknets(&d, one, err, sizeof(err)), 0, "empty: %s", err);
	cr_assert(!slot_empty(d.maps.darknet_v4) && !slot_empty(d.maps.darknet_v6),
		  "empty: slots filled");
	cr_assert_eq(dp_install_darknets(&d, none, err, sizeof(err)), 0, "empty: %s", err);
	cr_expect(slot_empty(d.maps.darknet_v4) && slot_empty(d.maps.darknet_v6),
		  "empty: slots emptied");
	cr_expect_eq(send_syn("45.33.32.156", "44.44.44.5"), XDP_PASS, "empty: not darknet");
}

Test(listmaps, v4_only_darknet_list_leaves_v6_out)
{
	const char *const v4[] = { "0.0.0.0/0", NULL };

	cr_assert_eq(dp_install_darknets(&d, v4, err, sizeof(err)), 0, "v4 only: %s", err);
	cr_expect(slot_empty(d.maps.darknet_v6), "v4 only: v6 slot empty");
	cr_expect_eq(send_syn("2a01:4f8::1", "2a0d:3dc1:1::5"), XDP_PASS, "v4 only: v6 passes");
	cr_expect_eq(counts->reasons[DN_REASON_NOT_DARKNET].packets, 1, "v4 only: not_darknet");
}

Test(listmaps, org_ids_survive_a_reload)
{
	const char *const dark[] = { "0.0.0.0/0", NULL };
	const char *const first[] = { "162.142.125.0/24 censys", "71.6.233.0/24 rapid7", NULL };
	const char *const second[] = { "71.6.233.0/24 rapid7", "64.62.197.0/24 shadowserver", NULL };
	struct dn_iface_snapshot *a = dp_snapshot_new(), *b = dp_snapshot_new();
	int censys;

	cr_assert_eq(dp_install_darknets(&d, dark, err, sizeof(err)), 0, "orgs: %s", err);
	cr_assert_eq(dp_install_scanners(&d, first, err, sizeof(err)), 0, "orgs: %s", err);
	send_syn("162.142.125.7", "44.44.44.5");
	dp_snapshot(&d, a);
	censys = dp_org_id(a, "censys");
	cr_assert_gt(censys, 0, "orgs: censys has an id");
	cr_assert_eq(a->orgs[censys].packets, 1, "orgs: censys packet before the reload");
	cr_assert_eq(dp_install_scanners(&d, second, err, sizeof(err)), 0, "orgs: %s", err);
	dp_snapshot(&d, b);
	cr_expect_eq(dp_org_id(b, "rapid7"), dp_org_id(a, "rapid7"), "orgs: rapid7 keeps its id");
	cr_expect_eq(dp_org_id(b, "censys"), -1, "orgs: censys name cleared");
	cr_expect_eq(b->orgs[censys].packets, 0, "orgs: censys counter zeroed");
	cr_expect_gt(dp_org_id(b, "shadowserver"), 0, "orgs: new org has an id");
	cr_expect_neq(dp_org_id(b, "shadowserver"), censys, "orgs: new org takes a fresh id");
	send_syn("162.142.125.7", "44.44.44.5");
	cr_expect_eq(class_packets(DN_FAMILY_IPV4, DN_CLASS_SCAN), 1,
		     "orgs: removed scanner is no longer research");
	dp_snapshot_free(a);
	dp_snapshot_free(b);
}

Test(listmaps, empty_scanner_list_empties_the_slots)
{
	const char *const list[] = { "162.142.125.0/24 censys", "2602:80d:1000::/48 censys", NULL };
	const char *const none[] = { NULL };
	struct dn_iface_snapshot *s = dp_snapshot_new();

	cr_assert_eq(dp_install_scanners(&d, list, err, sizeof(err)), 0, "empty scanners: %s", err);
	cr_assert_eq(dp_install_scanners(&d, none, err, sizeof(err)), 0, "empty scanners: %s", err);
	cr_expect(slot_empty(d.maps.scanner_v4_dir) && slot_empty(d.maps.scanner_v4_long) &&
		  slot_empty(d.maps.scanner_v6), "empty scanners: slots emptied");
	dp_snapshot(&d, s);
	cr_expect_eq(dp_org_id(s, "censys"), -1, "empty scanners: names cleared");
	dp_snapshot_free(s);
}

Test(listmaps, too_many_darknet_prefixes)
{
	struct dn_prefix_list l;
	struct dn_prefix p = { .family = DN_FAMILY_IPV4, .len = 32 };

	prefix_list_init(&l);
	for (uint32_t i = 0; i <= DN_MAX_DARKNET_PREFIXES; i++) {
		uint32_t a = htonl(0x2c000000 + i);

		memcpy(p.addr, &a, 4);
		cr_assert_eq(prefix_list_add(&l, &p, ""), 0, "limit: add %u", i);
	}
	cr_expect_eq(listmaps_install_darknets(&d.maps, &l, err, sizeof(err)), -E2BIG,
		     "limit: one prefix too many");
	cr_expect_str_eq(err, "too many IPv4 darknet prefixes: 4097 (max 4096)", "limit: message");
	cr_expect(slot_empty(d.maps.darknet_v4), "limit: nothing installed");
	prefix_list_free(&l);
}

Test(listmaps, too_many_scanner_orgs)
{
	struct dn_prefix p = { .family = DN_FAMILY_IPV4, .len = 24 };
	struct dn_prefix_list l;
	char org[16];

	prefix_list_init(&l);
	for (uint32_t i = 0; i <= DN_MAX_SCANNER_ORGS; i++) {
		uint32_t a = htonl(0x50000000 + (i << 8));

		memcpy(p.addr, &a, 4);
		snprintf(org, sizeof(org), "org%u", i);
		cr_assert_eq(prefix_list_add(&l, &p, org), 0, "orgs limit: add %u", i);
	}
	cr_expect_eq(listmaps_install_scanners(&d.maps, &l, err, sizeof(err)), -E2BIG,
		     "orgs limit: one org too many");
	cr_expect_str_eq(err, "too many scanner organisations (max 254)", "orgs limit: message");
	cr_expect(slot_empty(d.maps.scanner_v4_dir), "orgs limit: nothing installed");
	l.len--;
	cr_expect_eq(listmaps_install_scanners(&d.maps, &l, err, sizeof(err)), 0,
		     "orgs limit: 254 orgs fit: %s", err);
	prefix_list_free(&l);
}

Test(listmaps, scanner_entry_needs_an_org)
{
	struct dn_prefix p = { .family = DN_FAMILY_IPV4, .len = 24, .addr = { 80, 82, 1, 0 } };
	struct dn_prefix_list l;

	prefix_list_init(&l);
	cr_assert_eq(prefix_list_add(&l, &p, ""), 0, "no org: add");
	cr_expect_eq(listmaps_install_scanners(&d.maps, &l, err, sizeof(err)), -EINVAL,
		     "no org: rejected");
	cr_expect_str_eq(err, "scanner prefix 80.82.1.0/24 has no organisation", "no org: message");
	prefix_list_free(&l);
}

/* IPv6 scanner lookups: the filter and /32 buckets answer for a /32 with up
 * to DN_V6_BUCKET_MAX prefixes (longest first), the trie for a fuller /32
 * and for lists with a prefix too short for the filter. */
static int v6_research_org(const char *src)
{
	uint64_t before[DN_MAX_SCANNER_ORGS + 1];

	dp_snapshot(&d, snap);
	for (int id = 0; id <= DN_MAX_SCANNER_ORGS; id++)
		before[id] = snap->orgs[id].packets;
	send_syn(src, "2a0d:3dc1:1::5");
	dp_snapshot(&d, snap);
	for (int id = 1; id <= DN_MAX_SCANNER_ORGS; id++)
		if (snap->orgs[id].packets != before[id])
			return id;
	return 0;
}

Test(listmaps, v6_buckets_and_the_trie_agree)
{
	const char *const darknets[] = { "2a0d:3dc1:1::/48", NULL };
	const char *const small[] = { "2a0f:1:2::/48 a", "2a0f:1::/32 b", "2a0f:1:2:3::/64 c", NULL };
	const char *const full[] = {
		"2a0f:1:1::/48 a", "2a0f:1:2::/48 a", "2a0f:1:3::/48 a", "2a0f:1:4::/48 a",
		"2a0f:1:5::/48 a", "2a0f:1:6::/48 a", "2a0f:1:7::/48 a", "2a0f:1:8::/48 a",
		"2a0f:1:9::/48 c", "2a0f:1::/32 b", NULL,
	};
	const char *const shorter[] = { "2a0e::/16 b", "2a0f:1:2::/48 a", NULL };

	snap = dp_snapshot_new();
	cr_assert_eq(dp_install_darknets(&d, darknets, err, sizeof(err)), 0, "v6: %s", err);
	cr_assert_eq(dp_install_scanners(&d, small, err, sizeof(err)), 0, "v6 small: %s", err);
	cr_expect(!slot_empty(d.maps.scanner_v6_bits), "v6 small: a filter is installed");
	cr_expect_eq(v6_research_org("2a0f:1:2:3::9"), dp_org_id(snap, "c"), "v6 small: the /64 wins");
	cr_expect_eq(v6_research_org("2a0f:1:2:4::9"), dp_org_id(snap, "a"), "v6 small: the /48");
	cr_expect_eq(v6_research_org("2a0f:1:ffff::9"), dp_org_id(snap, "b"), "v6 small: the /32");
	cr_expect_eq(v6_research_org("2a0f:2::9"), 0, "v6 small: outside every prefix");

	cr_assert_eq(dp_install_scanners(&d, full, err, sizeof(err)), 0, "v6 full: %s", err);
	cr_expect_eq(v6_research_org("2a0f:1:9::1"), dp_org_id(snap, "c"), "v6 full: via the trie");
	cr_expect_eq(v6_research_org("2a0f:1:ff::1"), dp_org_id(snap, "b"), "v6 full: the /32");

	cr_assert_eq(dp_install_scanners(&d, shorter, err, sizeof(err)), 0, "v6 /16: %s", err);
	cr_expect(slot_empty(d.maps.scanner_v6_bits) && slot_empty(d.maps.scanner_buckets),
		  "v6 /16: no filter for a prefix shorter than /%d", DN_V6_FILTER_MIN_LEN);
	cr_expect_eq(v6_research_org("2a0e:55::1"), dp_org_id(snap, "b"), "v6 /16: the trie");
	dp_snapshot_free(snap);
}

/* The installed short lists. */
static void small_lists(struct dn_darknet_small *t)
{
	uint32_t zero = 0;
	int fd = dp_slot_fd(d.maps.darknet_small);

	cr_assert_geq(fd, 0, "small: slot 0 is empty");
	cr_assert_eq(bpf_map_lookup_elem(fd, &zero, t), 0, "small: lookup");
	close(fd);
}

static uint32_t small_count6(void)
{
	struct dn_darknet_small t;

	small_lists(&t);
	return t.count6;
}

/* Rewrite the short lists' entry with id from to say id to. */
static void small_relabel6(uint32_t from, uint32_t to)
{
	struct dn_darknet_small t;
	uint32_t zero = 0;
	int fd;

	small_lists(&t);
	for (uint32_t i = 0; i < t.count6; i++)
		if (t.e6[i].id == from)
			t.e6[i].id = to;
	fd = dp_slot_fd(d.maps.darknet_small);
	cr_assert_eq(bpf_map_update_elem(fd, &zero, &t, 0), 0, "small: update");
	close(fd);
}

/* The longest IPv6 darknet prefix wins, from the short list and, past
 * DN_DARKNET_SMALL_MAX prefixes, from the trie. */
Test(listmaps, v6_darknets_short_list_and_trie_agree)
{
	char lines[DN_DARKNET_SMALL_MAX + 2][48];
	const char *list[DN_DARKNET_SMALL_MAX + 3] = { NULL };
	struct dn_iface_snapshot *s = dp_snapshot_new();
	int n = 0, wide, narrow, relabelled = 0;

	for (int round = 0; round < 2; round++) {
		n = 0;
		list[n++] = "2001:db8::/32";
		list[n++] = "2001:db8:1::/48";
		/* the second round adds enough /64s to pass the short list's size */
		for (int i = 0; round && i < DN_DARKNET_SMALL_MAX; i++) {
			snprintf(lines[i], sizeof(lines[i]), "2001:db8:2:%x::/64", i);
			list[n++] = lines[i];
		}
		list[n] = NULL;
		cr_assert_eq(dp_install_darknets(&d, list, err, sizeof(err)), 0, "v6 darknets: %s", err);
		cr_expect_eq(small_count6(), round ? DN_DARKNET_SMALL_TRIE : 2,
			     "v6 darknets: round %d count6", round);
		cr_assert_eq(send_syn("2a01:4f8::1", "2001:db8:1::5"), XDP_DROP, "v6 darknets: /48");
		cr_assert_eq(send_syn("2a01:4f8::1", "2001:db8:3::5"), XDP_DROP, "v6 darknets: /32");
		cr_assert_eq(send_syn("2a01:4f8::1", "2001:db9::5"), XDP_PASS, "v6 darknets: outside");
		dp_snapshot(&d, s);
		wide = dp_prefix_id(s, "2001:db8::/32");
		narrow = dp_prefix_id(s, "2001:db8:1::/48");
		cr_assert(wide >= 0 && narrow >= 0, "v6 darknets: ids %d %d", wide, narrow);
		cr_expect_eq(s->prefixes[narrow].packets, round + 1, "v6 darknets: round %d /48", round);
		cr_expect_eq(s->prefixes[wide].packets, round + 1 + relabelled,
			     "v6 darknets: round %d /32", round);
		if (round)
			continue;
		/* The datapath reads the short list, not the trie: relabelled
		 * there, the /48's packets count for the /32. */
		small_relabel6(narrow, wide);
		send_syn("2a01:4f8::1", "2001:db8:1::5");
		dp_snapshot(&d, s);
		cr_expect_eq(s->prefixes[wide].packets, 2, "v6 darknets: the short list decides");
		relabelled = 1;   /* the /32 keeps that packet */
	}
	dp_snapshot_free(s);
}
