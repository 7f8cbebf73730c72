/* test_scanner_table.c: the IPv4 scanner table (include/scanner_table.h) as installed, and what the datapath reads of it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <criterion/criterion.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include "darknet_counter.h"
#include "harness.h"

static struct dp d;
static struct dp_counts *counts;
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

TestSuite(scanner_table, .init = setup, .fini = teardown);

/* Send one TCP SYN from src to dst; return the verdict, leave counters in counts. */
static uint32_t send_syn(const char *src, const char *dst)
{
	return dp_send_syn(&d, counts, src, dst);
}

static uint64_t class_packets(int family, int cls)
{
	return counts->classes[dn_class_key(family, IPPROTO_TCP, cls)].packets;
}

/* Number of keys in the inner map of slot 0 (an LPM trie). */
static int trie_size(int outer)
{
	struct dn_lpm_v6 key, next;
	int fd = dp_slot_fd(outer), n = 0;
	void *prev = NULL;

	cr_assert_geq(fd, 0, "slot 0 is empty");
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		n++;
	}
	close(fd);
	return n;
}


/* Block b of the installed direct table (a 4 MiB value) into v. */
static void dir_read(uint32_t b, void *v)
{
	int fd = dp_slot_fd(d.maps.scanner_v4_dir);

	cr_assert_geq(fd, 0, "dir: slot 0 is empty");
	cr_assert_eq(bpf_map_lookup_elem(fd, &b, v), 0, "dir: lookup block %u", b);
	close(fd);
}

/* The installed filter block, malloc-ed. */
static struct dn_scanner_filter *dir_filter(void)
{
	struct dn_scanner_filter *f = malloc(sizeof(*f));

	cr_assert_not_null(f, "dir: out of memory");
	dir_read(DN_SCANNER_DIR_FILTER_BLOCK, f);
	return f;
}

static void write_dir_filter(const struct dn_scanner_filter *f)
{
	uint32_t b = DN_SCANNER_DIR_FILTER_BLOCK;
	int fd = dp_slot_fd(d.maps.scanner_v4_dir);

	cr_assert_geq(fd, 0, "dir: slot 0 is empty");
	cr_assert_eq(bpf_map_update_elem(fd, &b, f, 0), 0, "dir: update the filter block");
	close(fd);
}

static uint32_t host_addr(const char *addr)
{
	struct in_addr a;

	cr_assert_eq(inet_pton(AF_INET, addr, &a), 1, "dir: %s", addr);
	return ntohl(a.s_addr);
}

/* The org byte of the /24 holding addr in the installed direct table. */
static int dir_byte(const char *addr)
{
	uint32_t slash24 = host_addr(addr) >> 8;
	struct dn_scanner_bytes *v = malloc(sizeof(*v));
	int byte;

	cr_assert_not_null(v, "dir: out of memory");
	dir_read(slash24 / DN_SCANNER_DIR_BLOCK_BYTES, v);
	byte = v->org[slash24 % DN_SCANNER_DIR_BLOCK_BYTES];
	free(v);
	return byte;
}

/* The bit of the /len holding addr in the installed filter of that
 * length: the /16 summary, the /20 or the /24 bitmap. */
static int filter_bit(const char *addr, int len)
{
	struct dn_scanner_filter *f = dir_filter();
	uint32_t n = host_addr(addr) >> (32 - len);
	const __u64 *bits = len == 16 ? f->bits16 : len == 20 ? f->bits20 : f->bits24;
	int bit = (bits[n / 64] >> (n % 64)) & 1;

	free(f);
	return bit;
}

static int summary_bit(const char *addr)
{
	return filter_bit(addr, 16);
}

static int bitmap_bit(const char *addr)
{
	return filter_bit(addr, 24);
}

static int bitmap20_bit(const char *addr)
{
	return filter_bit(addr, 20);
}

Test(scanner_table, direct_table_and_tries)
{
	const char *const list[] = {
		"80.82.0.0/16 wide", "80.82.77.32/28 narrow", "45.79.190.10/32 rapid7",
		"162.142.124.0/23 censys", "2602:80d:1000::/48 censys", NULL,
	};
	struct dn_iface_snapshot *s = dp_snapshot_new();
	int wide, censys;

	cr_assert_eq(dp_install_scanners(&d, list, err, sizeof(err)), 0, "dir: %s", err);
	dp_snapshot(&d, s);
	wide = dp_org_id(s, "wide");
	censys = dp_org_id(s, "censys");
	cr_expect_eq(dir_byte("80.82.0.1"), wide, "dir: first /24 of the /16");
	cr_expect_eq(dir_byte("80.82.255.1"), wide, "dir: last /24 of the /16");
	cr_expect_eq(dir_byte("80.82.77.1"), DN_SCANNER_LONGER, "dir: /24 holding the /28");
	cr_expect_eq(dir_byte("45.79.190.1"), DN_SCANNER_LONGER, "dir: /24 holding the /32");
	cr_expect_eq(dir_byte("162.142.124.9"), censys, "dir: /23 first half");
	cr_expect_eq(dir_byte("162.142.125.9"), censys, "dir: /23 second half");
	cr_expect_eq(dir_byte("162.142.126.9"), 0, "dir: after the /23");
	cr_expect_eq(dir_byte("80.81.255.255"), 0, "dir: before the /16");
	cr_expect_eq(dir_byte("80.83.0.0"), 0, "dir: after the /16");
	cr_expect_eq(summary_bit("80.82.128.1"), 1, "summary: /16 of a /16 prefix");
	cr_expect_eq(summary_bit("45.79.0.1"), 1, "summary: /16 holding only a /32");
	cr_expect_eq(summary_bit("162.142.0.0"), 1, "summary: /16 holding a /23");
	cr_expect_eq(summary_bit("80.83.0.0"), 0, "summary: the /16 after");
	cr_expect_eq(summary_bit("45.78.255.255"), 0, "summary: the /16 before");
	cr_expect_eq(bitmap_bit("80.82.77.1"), 1, "bitmap: /24 holding the /28");
	cr_expect_eq(bitmap_bit("162.142.125.9"), 1, "bitmap: /23 second half");
	cr_expect_eq(bitmap_bit("162.142.126.9"), 0, "bitmap: after the /23");
	cr_expect_eq(bitmap_bit("45.79.189.1"), 0, "bitmap: the /24 before the /32's");
	cr_expect_eq(bitmap20_bit("45.79.190.1"), 1, "bitmap20: the /20 of the /32");
	cr_expect_eq(bitmap20_bit("45.79.208.1"), 0, "bitmap20: the next /20");
	cr_expect_eq(bitmap20_bit("162.142.112.1"), 1, "bitmap20: the /20 of the /23");
	cr_expect_eq(trie_size(d.maps.scanner_v4_long), 4, "dir: every v4 prefix in the trie");
	cr_expect_eq(trie_size(d.maps.scanner_v6), 1, "dir: the v6 prefix in its trie");
	dp_snapshot_free(s);
}

static void addr_of(uint32_t slash24, uint32_t host, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", slash24 >> 16, (slash24 >> 8) & 0xff, slash24 & 0xff, host);
}

/* Two /24s with longer prefixes whose chunks want the same slot of the
 * filter block: the first gets it, the second lives in the hash map only,
 * and sources in both are classified by the address. */
Test(scanner_table, chunk_slots_and_the_hash_map_agree)
{
	const char *const all[] = { "0.0.0.0/0", "::/0", NULL };
	uint32_t first = 0x2d4fbe, second = first + 1;   /* 45.79.190.0/24 */
	char a[32], b[32], in_a[32], out_a[32], in_b[32], out_b[32];
	const char *list[3] = { a, b, NULL };
	struct dn_iface_snapshot *s = dp_snapshot_new();
	struct dn_scanner_filter *f;

	while (dn_scanner_slot(second) != dn_scanner_slot(first))
		second++;
	addr_of(first, 32, a, sizeof(a));
	strcat(a, "/28 alpha");
	addr_of(second, 64, b, sizeof(b));
	strcat(b, "/27 beta");
	cr_assert_eq(dp_install_darknets(&d, all, err, sizeof(err)), 0, "slots: %s", err);
	cr_assert_eq(dp_install_scanners(&d, list, err, sizeof(err)), 0, "slots: %s", err);
	addr_of(first, 40, in_a, sizeof(in_a));
	addr_of(first, 7, out_a, sizeof(out_a));
	addr_of(second, 95, in_b, sizeof(in_b));
	addr_of(second, 96, out_b, sizeof(out_b));
	cr_expect_eq(dir_byte(in_a), DN_SCANNER_LONGER, "slots: %s is a chunk", in_a);
	cr_expect_eq(dir_byte(in_b), DN_SCANNER_LONGER, "slots: %s is a chunk", in_b);
	dp_snapshot(&d, s);
	f = dir_filter();
	cr_expect_eq(f->slot_keys[dn_scanner_slot(first)], first + 1,
		     "slots: the first /24 holds the slot");
	cr_expect_eq(f->slots[dn_scanner_slot(first)].org[40], dp_org_id(s, "alpha"),
		     "slots: the slot holds alpha's chunk");
	free(f);
	send_syn(in_a, "44.44.44.5");
	send_syn(in_b, "44.44.44.5");
	cr_expect_eq(class_packets(DN_FAMILY_IPV4, DN_CLASS_RESEARCH), 2,
		     "slots: %s (slot) and %s (hash map) are research", in_a, in_b);
	send_syn(out_a, "44.44.44.5");
	send_syn(out_b, "44.44.44.5");
	cr_expect_eq(class_packets(DN_FAMILY_IPV4, DN_CLASS_SCAN), 2,
		     "slots: %s and %s, beside the prefixes, are not", out_a, out_b);
	dp_snapshot(&d, s);
	cr_expect_eq(s->orgs[dp_org_id(s, "alpha")].packets, 1, "slots: alpha's packet");
	cr_expect_eq(s->orgs[dp_org_id(s, "beta")].packets, 1, "slots: beta's packet");
	/* The datapath reads the slot, not the hash map: a slot rewritten to
	 * say beta, which the hash map and the trie do not, decides. */
	f = dir_filter();
	f->slots[dn_scanner_slot(first)].org[40] = dp_org_id(s, "beta");
	write_dir_filter(f);
	free(f);
	send_syn(in_a, "44.44.44.5");
	dp_snapshot(&d, s);
	cr_expect_eq(s->orgs[dp_org_id(s, "beta")].packets, 2, "slots: %s read from its slot", in_a);
	dp_snapshot_free(s);
}

/* Prefixes shorter than /2 span byte blocks (a block is a quarter of
 * IPv4): each block gets its part, the longer prefix overwriting the
 * shorter one in every block it covers, and the datapath reads the byte
 * from the block of the source. */
Test(scanner_table, prefixes_across_byte_blocks)
{
	const char *const all[] = { "0.0.0.0/0", "::/0", NULL };
	const char *const list[] = { "0.0.0.0/0 everyone", "128.0.0.0/1 upper", NULL };
	const char *const everyone_at[] = { "0.0.0.1", "63.255.255.1", "64.0.0.1", "127.255.255.1" };
	const char *const upper_at[] = { "128.0.0.1", "191.255.255.1", "224.0.0.1", "255.255.255.1" };
	struct dn_iface_snapshot *s = dp_snapshot_new();
	int everyone, upper;

	cr_assert_eq(dp_install_darknets(&d, all, err, sizeof(err)), 0, "blocks: %s", err);
	cr_assert_eq(dp_install_scanners(&d, list, err, sizeof(err)), 0, "blocks: %s", err);
	dp_snapshot(&d, s);
	everyone = dp_org_id(s, "everyone");
	upper = dp_org_id(s, "upper");
	cr_assert(everyone > 0 && upper > 0 && everyone != upper, "blocks: two org ids");
	for (int i = 0; i < 4; i++) {
		cr_expect_eq(dir_byte(everyone_at[i]), everyone, "blocks: %s in the /0", everyone_at[i]);
		cr_expect_eq(dir_byte(upper_at[i]), upper, "blocks: %s in the /1", upper_at[i]);
		cr_expect_eq(summary_bit(everyone_at[i]) & summary_bit(upper_at[i]), 1,
			     "blocks: summary bits of %s and %s", everyone_at[i], upper_at[i]);
	}
	send_syn("45.33.32.156", "44.44.44.5");    /* block 0 */
	send_syn("100.1.2.3", "44.44.44.5");       /* block 1 */
	send_syn("151.101.1.1", "44.44.44.5");     /* block 2 */
	cr_expect_eq(class_packets(DN_FAMILY_IPV4, DN_CLASS_RESEARCH), 3, "blocks: all research");
	dp_snapshot(&d, s);
	cr_expect_eq(s->orgs[everyone].packets, 2, "blocks: two packets from the /0's half");
	cr_expect_eq(s->orgs[upper].packets, 1, "blocks: one from the /1");
	dp_snapshot_free(s);
}
