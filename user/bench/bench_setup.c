/* bench_setup.c: generates the bench's mixes, loads its programs and the counter, installs lists. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench.h"
#include "maps.h"
#include "bench_drop.skel.h"
#include "bench_gen.skel.h"
#include "bench_harness.skel.h"
#include "darknet_counter.skel.h"
#include "listmaps.h"
#include "port_series.h"
#include "sketch_maps.h"
#include "netns.h"
#include "array_size.h"

static const char *const mix_order[BENCH_NR_MIXES] = { "nicter", "sweep", "single" };

/* The mixes' default darknets, installed in the counter as well. */
static const char *const darknets[] = { "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32" };

int bench_in_netns(const char *ns, int (*fn)(void *), void *arg)
{
	int saved, err = netns_enter(ns, &saved);

	if (err) {
		fprintf(stderr, "bench: cannot enter network namespace %s: %s\n", ns,
			strerror(-err));
		return err;
	}
	err = fn(arg);
	if (netns_restore(saved)) {
		/* everything after this would run in the wrong namespace */
		fprintf(stderr, "bench: cannot return from namespace %s\n", ns);
		exit(1);
	}
	return err;
}

static int make_mix(struct bench *b, int i)
{
	struct bench_mix *m = &b->mixes[i];
	struct mix_config cfg = {
		.name = mix_order[i],
		.seed = b->opt.seed + i,
		.scanners = &b->scanners,
		.darknets = &b->darknets,
	};
	struct mix_state st;
	char err[256];
	int ret;

	m->name = mix_order[i];
	ret = mix_init(&st, &cfg, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "bench: mix %s: %s\n", m->name, err);
		return ret;
	}
	ret = mix_generate(&st, b->opt.frames, &m->frames);
	mix_free(&st);
	ret = ret ?: bench_stream_pack(&m->frames, &m->stream);
	if (ret)
		fprintf(stderr, "bench: cannot make %zu frames of mix %s: %s\n",
			b->opt.frames, m->name, strerror(-ret));
	return ret;
}

static int load_lists(struct bench *b)
{
	struct dn_prefix p;
	char err[256];
	int ret;

	prefix_list_init(&b->darknets);
	prefix_list_init(&b->scanners);
	for (size_t i = 0; i < ARRAY_SIZE(darknets); i++) {
		ret = prefix_parse(darknets[i], &p, err, sizeof(err));
		ret = ret ?: prefix_list_add(&b->darknets, &p, "");
		if (ret)
			return ret;
	}
	ret = prefix_list_load_scanners(&b->scanners, b->opt.scanners, err, sizeof(err));
	if (ret)
		fprintf(stderr, "bench: %s\n", err);
	return ret;
}

/* What the daemon gives the sketches at its defaults: a destination
 * counter per darknet prefix and a port sketch per watched port, so that
 * the packet path pays here what it pays on a sensor. */
static int sketch_slots_like_daemon(const struct dn_maps *m, char *err, size_t errlen)
{
	struct port_series_config pc;
	struct sketch_maps sm;
	int ret, slot = 0;

	port_series_config_init(&pc);
	ret = port_series_parse_watch(&pc, DN_DEFAULT_WATCH_PORTS, err, errlen);
	ret = ret ?: sketch_maps_open(&sm, m, err, errlen);
	if (ret)
		return ret;
	ret = sketch_maps_assign_dst(&sm, NULL, err, errlen);
	for (unsigned int port = 0; !ret && port < DN_NR_PORTS; port++)
		for (unsigned int proto = 0; !ret && proto < 2; proto++)
			if (pc.watch[port / 8] & (1u << (port % 8)) && slot < DN_SKETCH_PORT_SLOTS)
				ret = sketch_maps_set_port(&sm, proto, port, slot++, err, errlen);
	sketch_maps_close(&sm);
	return ret;
}

static int load_counter(struct bench *b)
{
	char err[256];
	int ret;

	b->ctr = darknet_counter_bpf__open();
	if (!b->ctr)
		return -errno;
	ret = maps_size_for_cpus(b->ctr, 0);
	ret = ret ?: darknet_counter_bpf__load(b->ctr);
	if (ret) {
		fprintf(stderr, "bench: cannot load the counter: %s\n", strerror(-ret));
		return ret;
	}
	maps_from_skel(&b->maps, b->ctr);
	ret = listmaps_install_darknets(&b->maps, &b->darknets, err, sizeof(err));
	ret = ret ?: sketch_slots_like_daemon(&b->maps, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "bench: darknets: %s\n", err);
		return ret;
	}
	return bench_install_scanners(b, &b->scanners);
}

static int load_counter_opts(struct bench *b, const struct dn_prefix_list *scanners, int cpus,
			     bool distinct, bool events, unsigned int geo,
			     struct darknet_counter_bpf **out, double *install_s);

int bench_load_counter_copy(struct bench *b, const struct dn_prefix_list *scanners,
			    struct darknet_counter_bpf **out, double *install_s)
{
	return bench_load_counter_for(b, scanners, 0, true, out, install_s);
}

int bench_load_counter_for(struct bench *b, const struct dn_prefix_list *scanners, int cpus,
			   bool distinct, struct darknet_counter_bpf **out, double *install_s)
{
	return load_counter_opts(b, scanners, cpus, distinct, true, 0, out, install_s);
}

int bench_load_counter_ev(struct bench *b, const struct dn_prefix_list *scanners, int cpus,
			  bool distinct, bool events, struct darknet_counter_bpf **out,
			  double *install_s)
{
	return load_counter_opts(b, scanners, cpus, distinct, events, 0, out, install_s);
}

/* Event tables off: geo's rows measure geo alone (section 6). */
int bench_load_counter_geo(struct bench *b, unsigned int geo, struct darknet_counter_bpf **out,
			   double *install_s)
{
	return load_counter_opts(b, &b->scanners, 0, true, false, geo, out, install_s);
}

static int load_counter_opts(struct bench *b, const struct dn_prefix_list *scanners, int cpus,
			     bool distinct, bool events, unsigned int geo,
			     struct darknet_counter_bpf **out, double *install_s)
{
	struct darknet_counter_bpf *c = darknet_counter_bpf__open();
	struct dn_events_opts ev;
	struct dn_maps m;
	char err[256] = "";
	double t;
	int ret;

	if (!c)
		return -errno;
	c->rodata->dn_distinct = distinct;
	c->rodata->dn_geo_enabled = geo;
	/* as the daemon sets them up for the bench's darknets */
	maps_events_defaults(&ev);
	ev.enabled = events;
	ev.dst_shift = maps_events_dst_shift(&b->darknets);
	ret = maps_size_events(c, &ev);
	ret = ret ?: maps_size_for_cpus(c, cpus);
	ret = ret ?: darknet_counter_bpf__load(c);
	if (!ret) {
		maps_from_skel(&m, c);
		ret = listmaps_install_darknets(&m, &b->darknets, err, sizeof(err));
		t = bench_now();
		ret = ret ?: listmaps_install_scanners(&m, scanners, err, sizeof(err));
		*install_s = bench_now() - t;
		ret = ret ?: sketch_slots_like_daemon(&m, err, sizeof(err));
	}
	if (ret) {
		fprintf(stderr, "bench: another counter instance: %s\n", err[0] ? err : strerror(-ret));
		darknet_counter_bpf__destroy(c);
		return ret;
	}
	*out = c;
	return 0;
}

int bench_install_scanners(struct bench *b, const struct dn_prefix_list *l)
{
	char err[256];
	int ret = listmaps_install_scanners(&b->maps, l, err, sizeof(err));

	if (ret)
		fprintf(stderr, "bench: scanners: %s\n", err);
	return ret;
}

/* The harness and the generator share one mix_blobs map, sized for the
 * largest stream; bench_use_mix() switches its content. */
static int load_bench_progs(struct bench *b)
{
	uint32_t blobs = 1;
	int ret;

	for (int i = 0; i < BENCH_NR_MIXES; i++)
		if (b->mixes[i].stream.nr_blobs > blobs)
			blobs = b->mixes[i].stream.nr_blobs;
	b->sink = bench_drop_bpf__open_and_load();
	b->harness = bench_harness_bpf__open();
	b->gen = bench_gen_bpf__open();
	if (!b->sink || !b->harness || !b->gen)
		return -errno;
	ret = bpf_map__set_max_entries(b->harness->maps.mix_blobs, blobs);
	ret = ret ?: bench_harness_bpf__load(b->harness);
	ret = ret ?: bpf_map__reuse_fd(b->gen->maps.mix_blobs,
				       bpf_map__fd(b->harness->maps.mix_blobs));
	ret = ret ?: bench_gen_bpf__load(b->gen);
	if (ret)
		fprintf(stderr, "bench: cannot load the bench programs: %s\n", strerror(-ret));
	return ret;
}

/* A variant shares every map of the counter by name (lists, counters), so
 * it sees the same lists and its counts land in the same place; only its
 * own .rodata/.bss stay its own. */
static int load_variant(struct bench *b, const char *path)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog;
	struct bpf_map *map, *mine;
	int err;

	if (!obj) {
		err = -errno;
		goto fail;
	}
	b->variant_obj[b->nr_variants] = obj;
	bpf_object__for_each_map(map, obj) {
		mine = bpf_object__find_map_by_name(b->ctr->obj, bpf_map__name(map));
		if (mine && !strchr(bpf_map__name(map), '.') &&
		    (err = bpf_map__reuse_fd(map, bpf_map__fd(mine))))
			goto fail;
	}
	err = bpf_object__load(obj);
	prog = err ? NULL : bpf_object__next_program(obj, NULL);
	if (!err && !prog)
		err = -ENOENT;
	if (err)
		goto fail;
	b->variant_fd[b->nr_variants++] = bpf_program__fd(prog);
	return 0;
fail:
	fprintf(stderr, "bench: cannot load variant %s: %s\n", path, strerror(-err));
	return err;
}

int bench_use_mix(struct bench *b, int i)
{
	const struct bench_stream *s = &b->mixes[i].stream;
	int ret = bench_stream_store(s, bpf_map__fd(b->harness->maps.mix_blobs));

	if (ret)
		return ret;
	b->harness->bss->mix_nr_blobs = s->nr_blobs;
	b->harness->bss->mix_blob = 0;
	b->harness->bss->mix_off = 0;
	b->gen->bss->mix_nr_blobs = s->nr_blobs;
	b->gen->bss->mix_blob = 0;
	b->gen->bss->mix_off = 0;
	return 0;
}

struct attach_arg {
	struct bench *b;
	int prog_fd;
};

static int attach_in_ns(void *p)
{
	struct attach_arg *a = p;
	int ret = bpf_xdp_attach(a->b->rx_ifindex, a->prog_fd, XDP_FLAGS_DRV_MODE, NULL);

	return ret < 0 ? ret : 0;
}

int bench_attach_rx(struct bench *b, int prog_fd)
{
	struct attach_arg a = { b, prog_fd };
	int ret = bench_in_netns(b->opt.rx_ns, attach_in_ns, &a);

	if (ret)
		fprintf(stderr, "bench: cannot attach XDP (native) to %s in %s: %s\n",
			b->opt.rx_if, b->opt.rx_ns, strerror(-ret));
	return ret;
}

static int detach_in_ns(void *p)
{
	struct bench *b = p;

	return bpf_xdp_detach(b->rx_ifindex, XDP_FLAGS_DRV_MODE, NULL);
}

static int resolve_gen(void *p)
{
	struct bench *b = p;

	b->gen_ifindex = if_nametoindex(b->opt.gen_if);
	return b->gen_ifindex ? 0 : -errno;
}

static int resolve_rx(void *p)
{
	struct bench *b = p;

	b->rx_ifindex = if_nametoindex(b->opt.rx_if);
	return b->rx_ifindex ? 0 : -errno;
}

int bench_setup(struct bench *b)
{
	int ret;

	b->ncpus = libbpf_num_possible_cpus();
	ret = bench_in_netns(b->opt.gen_ns, resolve_gen, b);
	ret = ret ?: bench_in_netns(b->opt.rx_ns, resolve_rx, b);
	if (ret) {
		fprintf(stderr, "bench: no interface %s in %s or %s in %s\n", b->opt.gen_if,
			b->opt.gen_ns, b->opt.rx_if, b->opt.rx_ns);
		return ret;
	}
	ret = load_lists(b);
	for (int i = 0; !ret && i < BENCH_NR_MIXES; i++)
		ret = make_mix(b, i);
	ret = ret ?: load_bench_progs(b);
	ret = ret ?: load_counter(b);
	for (int i = 0; !ret && i < b->opt.nr_variants; i++)
		ret = load_variant(b, b->opt.variants[i]);
	/* The receiving veth keeps a program from here on: veth only takes
	 * XDP frames from its peer while one is attached. */
	ret = ret ?: bench_attach_rx(b, bpf_program__fd(b->sink->progs.bench_drop));
	return ret;
}

void bench_teardown(struct bench *b)
{
	if (b->rx_ifindex)
		bench_in_netns(b->opt.rx_ns, detach_in_ns, b);
	bench_gen_bpf__destroy(b->gen);
	bench_harness_bpf__destroy(b->harness);
	bench_drop_bpf__destroy(b->sink);
	for (int i = 0; i < BENCH_MAX_VARIANTS; i++)
		bpf_object__close(b->variant_obj[i]);
	darknet_counter_bpf__destroy(b->ctr);
	for (int i = 0; i < BENCH_NR_MIXES; i++) {
		mix_frames_free(&b->mixes[i].frames);
		bench_stream_free(&b->mixes[i].stream);
	}
	prefix_list_free(&b->darknets);
	prefix_list_free(&b->scanners);
}
