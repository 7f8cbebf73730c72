/* mix.h: synthetic darknet traffic mixes for the generator, the tests and the benches. */
#ifndef DN_MIX_H
#define DN_MIX_H

#include <stddef.h>
#include <stdint.h>
#include "darknet_counter.h"
#include "frame.h"
#include "prefix.h"

/*
 * A mix is a weighted list of frame templates (struct mix_template). Each
 * template is a struct frame_spec plus rules for the fields that vary from
 * frame to frame, and the class the datapath must give every frame it makes.
 * A mix_state draws templates with a seeded PRNG, so a (mix, seed, lists)
 * triple always yields the same frames: tests and benches can replay a run
 * and compute every expected counter from the per-frame mix_frame_info.
 *
 * Mixes: "nicter" (NICTER 2018 proportions, see mix.c), "sweep" (SYNs to
 * ports uniform over 0..65535), "single" (one repeated SYN), "exact" (one
 * fixed frame per class and family in a fixed cycle, for exact tests).
 */

/* Where a template's source address comes from. */
enum mix_src {
	MIX_SRC_FIXED,     /* spec.src as given */
	MIX_SRC_PUBLIC,    /* random, neither bogon nor scanner nor darknet */
	MIX_SRC_SCANNER,   /* random address of a random scanner-list prefix */
	MIX_SRC_BOGON,     /* random address of a bogon range (never 192.0.2.0/24) */
	MIX_SRC_SAME,      /* the destination address (source == destination) */
};

/* Where a template's destination address comes from. */
enum mix_dst {
	MIX_DST_FIXED,     /* spec.dst as given */
	MIX_DST_RANDOM,    /* random darknet prefix of the family, random host in it */
	MIX_DST_SEQ,       /* every darknet address of the family in turn */
};

/* How a port (source or destination) is chosen. */
enum mix_port {
	MIX_PORT_FIXED,     /* the spec's value */
	MIX_PORT_LIST,      /* uniform over a list */
	MIX_PORT_UNIFORM,   /* uniform over 0..65535 */
	MIX_PORT_EPHEMERAL, /* uniform over 32768..60999 (Linux's default range) */
};

/* Header fields that fingerprint a scanner (docs/classification.md). MIX_FP_NONE draws
 * seq and ip.id at random but steers them clear of every fingerprint, so a
 * frame meant as `scan` never becomes `masscan` by a 2^-16 accident. */
enum mix_fp {
	MIX_FP_NONE,
	MIX_FP_FIXED,      /* seq and ip_id exactly as in the spec */
	MIX_FP_MIRAI,      /* seq = destination address */
	MIX_FP_MASSCAN,    /* ip.id = (daddr ^ dport ^ seq) & 0xffff */
	MIX_FP_ZMAP,       /* ip.id = 54321 */
};

struct mix_template {
	const char *name;          /* short tag, e.g. "mirai-23" */
	uint32_t weight;           /* share of the mix, in MIX_WEIGHT_UNIT */
	uint8_t cls;               /* enum dn_class every frame of it must get */
	uint8_t family;            /* enum dn_family */
	struct frame_spec spec;    /* fixed fields; src/dst used with *_FIXED */
	uint8_t src, dst;          /* enum mix_src, enum mix_dst */
	uint8_t sport_mode, dport_mode;  /* enum mix_port */
	uint8_t fp;                /* enum mix_fp */
	const uint16_t *sports, *dports; /* for MIX_PORT_LIST */
	uint16_t nr_sports, nr_dports;
};

/* Template weights of the built-in mixes are in units of 0.01 %: the nicter
 * table sums to 10000, so a weight reads directly as basis points. */
#define MIX_WEIGHT_UNIT 10000

/* What the datapath must count for one frame. */
struct mix_frame_info {
	uint16_t len;              /* frame bytes (what XDP sees: data_end - data) */
	uint16_t dport;            /* TCP/UDP destination port, when has_port */
	uint8_t cls;               /* enum dn_class */
	uint8_t family;            /* enum dn_family */
	uint8_t proto;             /* IP protocol: after IPv6 ext headers; for a
				      fragment the one its header names */
	uint8_t has_port;          /* 1: TCP/UDP with a transport header */
	uint8_t has_icmp;          /* 1: ICMP/ICMPv6 with a header; icmp_type valid */
	uint8_t icmp_type;
	uint16_t tmpl;             /* index into mix_state.tmpl */
	const struct dn_prefix *darknet;  /* the darknet prefix the destination is in */
	const char *org;           /* scanner org for class research, else NULL */
	uint8_t src[16];           /* source address, network order (IPv4: first 4) */
};

struct mix_config {
	const char *name;          /* "nicter", "sweep", "single", "exact" */
	uint64_t seed;
	/* Research sources and the list every other source must avoid. NULL or
	 * empty: templates with MIX_SRC_SCANNER get weight 0. */
	const struct dn_prefix_list *scanners;
	/* Destinations. NULL or empty: 198.51.100.0/24, 203.0.113.0/24 and
	 * 2001:db8::/32. Templates of a family with no darknet get weight 0. */
	const struct dn_prefix_list *darknets;
	/* 0: sources drawn afresh for every frame. N: from a fixed pool of at
	 * most N distinct addresses per family (mix_sources.h). */
	uint64_t sources;
};

/* A scanner prefix as integers, bucketed for the source checks. */
struct mix_v4_range {
	uint32_t first, last;      /* host order, inclusive */
	uint8_t len;
	const char *org;
};

/* A template's fixed addresses, parsed once (network byte order). */
struct mix_fixed {
	uint8_t src[16], dst[16];
	const struct dn_prefix *darknet;   /* longest darknet match of dst */
};

struct mix_state {
	const struct mix_template *tmpl;
	size_t nr_tmpl;
	uint64_t *cum;             /* cumulative effective weights, nr_tmpl */
	uint64_t total;            /* sum of effective weights */
	int cyclic;                /* "exact": templates in turn, not drawn */
	uint64_t rng;              /* splitmix64 state */
	uint64_t seq;              /* frames made so far */
	struct dn_prefix_list darknets;  /* copy: info.darknet points into it */
	struct dn_prefix_list scanners;  /* copy: info.org points into it */
	/* v4 scanner ranges bucketed by first octet (a range shorter than /8 sits
	 * in every bucket it covers): bucket b is v4_ranges[v4_bucket[b] ..
	 * v4_bucket[b + 1]), so a source check costs a few compares even with
	 * a bench's 100,000 prefixes. */
	struct mix_v4_range *v4_ranges;
	uint32_t v4_bucket[257];
	struct mix_fixed *fixed;   /* per template: parsed fixed addresses */
	/* Entry indices of each family: scanners usable as research sources
	 * (none overlapping a bogon), and darknets. */
	size_t *scan_idx[DN_FAMILY_MAX], nr_scan[DN_FAMILY_MAX];
	size_t *dark_idx[DN_FAMILY_MAX], nr_dark[DN_FAMILY_MAX];
	size_t *all_v6, nr_all_v6;  /* every IPv6 scanner entry, for source checks */
	uint64_t dst_seq[DN_FAMILY_MAX]; /* MIX_DST_SEQ position per family */
	struct mix_frame_info info;       /* describes the last frame mix_next made */
	/* Source pools by family and enum mix_src (mix_sources.h); pooled is 0
	 * without mix_config.sources. */
	uint8_t (*pool[DN_FAMILY_MAX][MIX_SRC_SAME + 1])[16];
	uint32_t nr_pool[DN_FAMILY_MAX][MIX_SRC_SAME + 1];
	int pooled;
};

/* Prepare st for the named mix. Returns 0, or -EINVAL with a reason in err
 * (unknown mix, no darknet for any template), or -ENOMEM. */
int mix_init(struct mix_state *st, const struct mix_config *cfg, char *err, size_t errlen);
void mix_free(struct mix_state *st);

/* Build the next frame into buf (FRAME_MAX bytes); st->info describes it.
 * Returns the frame length or a negative errno from frame_build(). */
int mix_next(struct mix_state *st, uint8_t *buf);

/* Expected share (0..1) of frames of template i, and of class cls. */
double mix_template_share(const struct mix_state *st, size_t i);
double mix_class_share(const struct mix_state *st, unsigned int cls);

/* The built-in mixes (mix_tables.c), ended by a NULL name. */
struct mix_def {
	const char *name;
	const char *help;          /* one line for --help */
	const struct mix_template *tmpl;
	size_t nr_tmpl;
	int cyclic;                /* 1: templates in turn, nothing random */
};

extern const struct mix_def mix_defs[];

/* N frames made in advance (benches replay them, tests check them): packed
 * back to back, frame i at data + off[i], info[i].len bytes long. */
struct mix_frames {
	uint8_t *data;
	size_t *off;
	struct mix_frame_info *info;
	size_t n;
};

int mix_generate(struct mix_state *st, size_t n, struct mix_frames *out);
void mix_frames_free(struct mix_frames *f);

static inline const uint8_t *mix_frame(const struct mix_frames *f, size_t i)
{
	return f->data + f->off[i];
}

/* Running totals of what was made or sent, laid out like the daemon's
 * counters so that tests compare like with like. */
struct mix_tally {
	uint64_t packets, bytes;
	uint64_t class_packets[DN_CLASS_MAX];
	uint64_t class_bytes[DN_CLASS_MAX];
	uint64_t key_packets[DN_CLASS_KEYS];   /* by dn_class_key(family, proto, class) */
	uint64_t key_bytes[DN_CLASS_KEYS];
	struct {                               /* research packets by scanner org */
		const char *org;               /* points into the mix_state's list */
		uint64_t packets;
	} orgs[DN_MAX_SCANNER_ORGS];
	unsigned int nr_orgs;
};

void mix_tally_add(struct mix_tally *t, const struct mix_frame_info *fi);

#endif
