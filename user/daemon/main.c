/* main.c: darknet-counter: count darknet packets in XDP, serve them to Prometheus. */
#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "bpffs.h"
#include "config.h"
#include "darknet_counter.skel.h"
#include "events_api.h"
#include "geo_export.h"
#include "exporter.h"
#include "geo_check.h"
#include "geo_state.h"
#include "http.h"
#include "landing.h"
#include "listmaps.h"
#include "maps.h"
#include "lists.h"
#include "lists_install.h"
#include "loader.h"
#include "log.h"
#include "netns.h"
#include "privs.h"
#include "report_main.h"
#include "sketch_api.h"
#include "status.h"
#include "union.h"
#include "webconfig.h"

struct daemon {
	struct dn_config cfg;
	struct dn_lists lists;
	struct geo_state geo;
	struct dn_iface ifaces[DN_MAX_IFACES];
	bool detached[DN_MAX_IFACES];   /* logged as detached behind our back */
	int nr_attached;
	int listen_fd;
	struct exporter ex;
	struct dn_webconfig web;
	struct http_server *http;
	char err[512];
};

/* Every callee names what failed in err. One that returns an error with
 * err empty is a bug; the step then names itself (and the errno) rather
 * than leave "error: " bare, and a stray newline cannot split the line. */
__attribute__((format(printf, 4, 5)))
static int step_failed(int ret, char *err, size_t errlen, const char *fmt, ...)
{
	char step[128];
	va_list ap;
	size_t n;

	if (!ret) {
		err[0] = '\0';   /* the next step starts with a clean slate */
		return 0;
	}
	if (!err[0]) {
		va_start(ap, fmt);
		vsnprintf(step, sizeof(step), fmt, ap);
		va_end(ap);
		snprintf(err, errlen, "%s: %s", step, strerror(ret < 0 ? -ret : ret));
	}
	for (char *p = err; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	for (n = strlen(err); n && err[n - 1] == ' '; n--)
		err[n - 1] = '\0';
	return ret;
}

static int attach_all(struct daemon *d)
{
	struct dn_config *cfg = &d->cfg;
	struct dn_events_opts ev = {
		.scan_entries = cfg->scan_table_entries,
		.victim_entries = cfg->dos_table_entries,
		.dst_shift = maps_events_dst_shift(&d->lists.darknets),
		.enabled = !cfg->no_events,
	};
	int ret;

	for (int i = 0; i < cfg->nr_ifaces; i++) {
		struct dn_iface *ifc = &d->ifaces[i];

		ret = loader_open(ifc, cfg->ifaces[i], cfg->netns, cfg->pin_root,
				  cfg->action, &ev, d->err, sizeof(d->err));
		if (step_failed(ret, d->err, sizeof(d->err), "open %s", cfg->ifaces[i]))
			return ret;
		/* before load: off, the verifier drops the sketch code */
		ifc->skel->rodata->dn_distinct = !cfg->no_distinct;
		/* the DoS window (docs/events.md): tests shorten it */
		ifc->skel->rodata->dn_event_window_ns = cfg->dos_window * 1000000000ull;
		ifc->skel->rodata->dn_geo_enabled = geo_export_bits(cfg);   /* likewise */
		ret = loader_attach(ifc, cfg->mode, d->err, sizeof(d->err));
		if (step_failed(ret, d->err, sizeof(d->err), "attach to %s", ifc->name))
			return ret;
		d->nr_attached++;
		ret = lists_install(ifc, &d->lists, d->err, sizeof(d->err));
		if (step_failed(ret, d->err, sizeof(d->err), "install the lists on %s", ifc->name))
			return ret;
		pr_info("%s: %s XDP program in %s mode (%s)%s\n", ifc->name,
			ifc->adopted ? "continuing the counters of the" : "attached the",
			config_mode_name(ifc->mode),
			ifc->legacy ? "libxdp legacy mode, no dispatcher" : "libxdp dispatcher",
			ifc->adopted ? "" : "");
	}
	return 0;
}

/* Undo a failed start: nothing this run attached or pinned stays behind;
 * a predecessor's program and counters stay as they were. */
static void rollback(struct daemon *d)
{
	char err[256];

	for (int i = 0; i < d->cfg.nr_ifaces; i++)
		if (d->ifaces[i].ifindex && !d->ifaces[i].adopted &&
		    loader_detach(&d->ifaces[i], err, sizeof(err)))
			pr_warn("undoing the start: %s\n", err);
	for (int i = 0; i < d->cfg.nr_ifaces; i++)
		loader_close(&d->ifaces[i]);
}

/* Returns the newest list mtime taken before the files were read: a file
 * changed while they were being read is newer and reloads at the next
 * check, whether this reload worked or not. */
static int64_t reload_lists(struct daemon *d, const char *why)
{
	int64_t before = lists_newest_mtime(&d->cfg);
	int nr = d->cfg.nr_ifaces, swapped = 0;
	struct list_plan *plans = calloc(nr, sizeof(*plans));
	struct dn_lists fresh;
	char err[512];
	int ret = lists_load(&d->cfg, &fresh, err, sizeof(err));
	bool loaded = !ret;

	if (!ret && !plans) {
		ret = -ENOMEM;
		snprintf(err, sizeof(err), "out of memory");
	}
	/* Every interface's maps are built before any is swapped in: a list
	 * that does not fit one interface leaves all on the previous lists. */
	for (int i = 0; !ret && i < nr; i++)
		ret = list_plan_prepare(&d->ifaces[i], &fresh, &plans[i], err, sizeof(err));
	/* Under the scrape lock: a scrape sees the id tables before or after. */
	pthread_mutex_lock(&d->ex.lock);
	for (int i = 0; !ret && i < nr; i++) {
		ret = list_plan_commit(&d->ifaces[i], &plans[i], err, sizeof(err));
		swapped += !ret;
	}
	for (int i = 0; !ret && i < nr; i++)
		ret = distinct_assign_dst(&d->ex.distinct, i, err, sizeof(err));
	if (ret) {
		d->ex.self.reload_errors++;
	} else {
		d->ex.self.last_reload_success = exporter_now();
		d->ex.self.darknet_entries = fresh.darknets.len;
		d->ex.self.scanner_entries = fresh.scanners.len;
	}
	pthread_mutex_unlock(&d->ex.lock);
	for (int i = 0; plans && i < nr; i++)
		list_plan_free(&plans[i]);
	free(plans);
	if (ret && !swapped) {
		pr_err("reload (%s) failed, keeping the previous lists: %s\n", why, err);
		if (loaded)
			lists_free(&fresh);
		return before;
	}
	if (ret)   /* a map update failed midway: say so, do not claim the old lists */
		pr_err("reload (%s) failed after %d of %d interfaces took the new lists: %s\n",
		       why, swapped, nr, err);
	lists_free(&d->lists);
	d->lists = fresh;
	if (!ret)
		events_set_darknet(&d->ex.events, events_darknet_v4(&fresh.darknets));
	if (!ret)
		pr_info("reloaded lists (%s): %zu darknet prefixes, %zu scanner prefixes\n",
			why, fresh.darknets.len, fresh.scanners.len);
	return before;
}

/* The geo databases reload on their own: a bad one keeps the previous
 * tables and does not hold back the lists (or the reverse). Returns the
 * newest mtime taken before the files were read, as reload_lists. */
static int64_t reload_geo(struct daemon *d, const char *why)
{
	int64_t before = geo_state_newest_mtime(&d->cfg);
	char err[512];
	int ret;

	if (!geo_state_wanted(&d->cfg))
		return before;
	ret = geo_state_load(&d->geo, &d->cfg, d->ifaces, d->cfg.nr_ifaces, &d->ex.lock, err,
			     sizeof(err));
	if (ret) {
		pthread_mutex_lock(&d->ex.lock);
		d->ex.self.reload_errors++;
		pthread_mutex_unlock(&d->ex.lock);
		pr_err("geo reload (%s) failed, keeping the previous tables: %s\n", why, err);
	} else {
		pr_info("reloaded the geo databases (%s): %zu country ranges, %zu AS ranges, %.2f s\n",
			why, d->geo.country.len, d->geo.asn.len, d->geo.load_seconds);
	}
	return before;
}

/* Log once when our program disappears from an interface (someone else
 * detached or replaced it), and once when it is back. The metric
 * darknet_xdp_attached says the same at every scrape. */
static void check_attached(struct daemon *d)
{
	for (int i = 0; i < d->cfg.nr_ifaces; i++) {
		bool attached = loader_is_attached(&d->ifaces[i]) == 1;

		if (attached == !d->detached[i])
			continue;
		d->detached[i] = !attached;
		if (attached)
			pr_info("%s: our XDP program is attached again\n", d->ifaces[i].name);
		else
			pr_err("%s: the XDP program was detached or replaced behind our back; "
			       "packets are no longer counted\n", d->ifaces[i].name);
	}
}

/* The main thread only waits for signals and, every second, looks after the
 * lists and the attachment; scrapes run on libmicrohttpd's threads. */
/* Seconds on the monotonic clock: a wall clock set back (NTP, an operator)
 * would stop the periodic checks until it caught up again. */
static int64_t mono_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static int serve(struct daemon *d, const sigset_t *sigs)
{
	struct timespec tick = { .tv_sec = 1 };
	int64_t last_check = mono_sec();
	int64_t seen = d->lists.newest_mtime, now;
	int64_t geo_seen = geo_state_newest_mtime(&d->cfg);
	int sig;

	for (;;) {
		sig = sigtimedwait(sigs, NULL, &tick);
		if (sig == SIGINT || sig == SIGTERM)
			return 0;
		if (sig == SIGHUP) {
			seen = reload_lists(d, "SIGHUP");
			geo_seen = reload_geo(d, "SIGHUP");
		}
		/* A changed file reloads once per change: a bad one is not
		 * retried (and counted again) until it changes again. */
		if (d->cfg.reload_interval &&
		    mono_sec() - last_check >= (int64_t)d->cfg.reload_interval) {
			last_check = mono_sec();
			now = lists_newest_mtime(&d->cfg);
			if (now != seen) {
				reload_lists(d, "a list file changed");
				seen = now;   /* taken before this reload read the files */
			}
			now = geo_state_newest_mtime(&d->cfg);
			if (now != geo_seen) {
				reload_geo(d, "a geo database file changed");
				geo_seen = now;
			}
		}
		check_attached(d);
		pthread_mutex_lock(&d->ex.lock);
		distinct_tick(&d->ex.distinct, exporter_now(), d->ex.ports);
		pthread_mutex_unlock(&d->ex.lock);
	}
}

static int setup_exporter(struct daemon *d)
{
	int ret = exporter_init(&d->ex, d->ifaces, d->cfg.nr_ifaces, &d->cfg,
				d->err, sizeof(d->err));

	if (step_failed(ret, d->err, sizeof(d->err), "set up the exporter"))
		return ret;
	d->ex.self.darknet_entries = d->lists.darknets.len;
	d->ex.self.scanner_entries = d->lists.scanners.len;
	d->ex.self.last_reload_success = exporter_now();
	d->ex.geo = &d->geo;
	landing_set_telemetry_path(d->cfg.telemetry_path);
	return 0;
}

static int start_events(struct daemon *d)
{
	int ret = events_init(&d->ex.events, d->ifaces, d->cfg.nr_ifaces, &d->cfg,
			      events_darknet_v4(&d->lists.darknets),
			      maps_events_dst_shift(&d->lists.darknets), d->err, sizeof(d->err));

	if (step_failed(ret, d->err, sizeof(d->err), "set up the events"))
		return ret;
	ret = events_start(&d->ex.events, d->err, sizeof(d->err));
	return step_failed(ret, d->err, sizeof(d->err), "start the event sweeper");
}

/* Called with privileges already dropped: capset() and no_new_privs apply
 * to the calling thread only, and libmicrohttpd's threads inherit them from
 * this one when they are created (docs/hardening.md). */
static int start_http(struct daemon *d)
{
	struct http_options opts = {
		.telemetry_path = d->cfg.telemetry_path,
		.metrics = exporter_metrics,
		.landing = exporter_landing,
		.sketches = exporter_sketches,
		.events = exporter_events,
		.ctx = &d->ex,
	};
	int ret;

	webconfig_apply(&d->web, &opts);
	ret = http_start(d->listen_fd, &opts, &d->http, d->err, sizeof(d->err));
	return step_failed(ret, d->err, sizeof(d->err), "start the HTTP server on %s",
			   d->cfg.listen_address);
}

/* Each step stops the start with its reason in d->err (see step_failed). */
static int setup(struct daemon *d)
{
	struct dn_config *cfg = &d->cfg;
	char *err = d->err;
	size_t len = sizeof(d->err);
	int saved_ns, ret;

	ret = privs_check(err, len);
	if (step_failed(ret, err, len, "check privileges"))
		return ret;
	ret = lists_load(cfg, &d->lists, err, len);
	if (step_failed(ret, err, len, "load the lists"))
		return ret;
	ret = webconfig_load(cfg->web_config_file, &d->web, err, len);
	if (step_failed(ret, err, len, "load --web.config.file %s", cfg->web_config_file))
		return ret;
	ret = http_listen(cfg->listen_address, &d->listen_fd, err, len);
	if (step_failed(ret, err, len, "listen on %s", cfg->listen_address))
		return ret;
	if (cfg->netns) {
		ret = netns_enter_err(cfg->netns, &saved_ns, err, len);
		if (step_failed(ret, err, len, "enter network namespace %s", cfg->netns))
			return ret;
		close(saved_ns);   /* we stay: attachment checks run in there */
	}
	ret = bpffs_ensure(cfg->pin_root, err, len);
	if (step_failed(ret, err, len, "prepare bpffs at %s", cfg->pin_root))
		return ret;
	/* The socket is bound (a port below 1024 needs no capability later);
	 * privileges go before the first HTTP thread exists. */
	ret = attach_all(d);
	if (!ret && geo_state_wanted(cfg)) {
		ret = geo_state_load(&d->geo, cfg, d->ifaces, cfg->nr_ifaces, NULL, err, len);
		if (!step_failed(ret, err, len, "load the geo databases"))
			pr_info("geo: %zu country ranges, %zu AS ranges (%zu ASes) in %.2f s; "
				"tables %zu + %zu bytes\n", d->geo.country.len, d->geo.asn.len,
				d->geo.asn.nr_names, d->geo.load_seconds, d->geo.v4_bytes,
				d->geo.v6_bytes);
	}
	ret = ret ?: setup_exporter(d);
	if (!ret) {
		ret = privs_drop(cfg->user, err, len);
		step_failed(ret, err, len, "drop privileges");
	}
	/* after the drop: the events file is opened, and later rotated, by
	 * the same user */
	ret = ret ?: start_events(d);
	ret = ret ?: start_http(d);
	if (ret) {
		events_free(&d->ex.events);
		rollback(d);
	}
	return ret;
}

static void shutdown_daemon(struct daemon *d)
{
	http_stop(d->http);
	events_free(&d->ex.events);   /* the sweeper uses the maps: before they close */
	for (int i = 0; i < d->cfg.nr_ifaces; i++) {
		if (d->cfg.detach_on_exit) {
			int ret = loader_detach(&d->ifaces[i], d->err, sizeof(d->err));

			if (step_failed(ret, d->err, sizeof(d->err), "detach from %s",
					d->ifaces[i].name))
				pr_err("%s (run 'darknet-counter detach %s' as root)\n", d->err,
				       d->ifaces[i].name);
			else
				pr_info("%s: detached, pinned state removed\n", d->ifaces[i].name);
		}
		loader_close(&d->ifaces[i]);
	}
	if (!d->cfg.detach_on_exit)
		pr_info("exiting; the XDP program keeps counting (darknet-counter detach IFACE removes it)\n");
	exporter_free(&d->ex);
	webconfig_free(&d->web);
	lists_free(&d->lists);
	geo_state_free(&d->geo);
}

static int run(struct daemon *d)
{
	sigset_t sigs;

	/* Block before libmicrohttpd starts its thread, which inherits the mask,
	 * so every signal reaches sigtimedwait() in serve(). */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (geo_state_wanted(&d->cfg) && geo_state_init(&d->geo)) {
		pr_err("start: geo: out of memory\n");
		return 1;
	}
	if (step_failed(setup(d), d->err, sizeof(d->err), "start")) {
		pr_err("%s\n", d->err);
		return 1;
	}
	pr_info("serving metrics on %s://%s%s\n", d->web.tls ? "https" : "http",
		d->cfg.listen_address,
		d->cfg.telemetry_path);
	serve(d, &sigs);
	shutdown_daemon(d);
	return 0;
}

int main(int argc, char **argv)
{
	static struct daemon d = { .listen_fd = -1 };
	int ret;

	/* A fixed threshold: glibc otherwise raises it to the size of each
	 * large block freed, so the 20 MiB scanner table of the second reload
	 * on came from the heap and stayed there, 20 MiB more RSS at a time
	 * as the heap fragmented (docs/hardening.md "Soak"). */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	if (argc > 1 && !strcmp(argv[1], "report"))
		return report_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "union"))   /* a client: no daemon options */
		return union_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "geo-check"))   /* no interface, no daemon */
		return geo_check_main(argc - 1, argv + 1);
	ret = config_parse(&d.cfg, argc, argv);

	if (ret)
		return ret > 0 ? 0 : 2;
	log_set_verbose(d.cfg.verbose);
	log_route_libraries();
	switch (d.cfg.command) {
	case DN_CMD_STATUS:
		ret = status_print(&d.cfg, d.err, sizeof(d.err));
		if (step_failed(ret, d.err, sizeof(d.err), "status"))
			pr_err("%s\n", d.err);
		ret = ret ? 1 : 0;
		break;
	case DN_CMD_DETACH:
		ret = status_detach(&d.cfg, d.err, sizeof(d.err));
		if (step_failed(ret, d.err, sizeof(d.err), "detach"))
			pr_err("%s\n", d.err);
		ret = ret ? 1 : 0;
		break;
	default:
		ret = run(&d);
	}
	config_free(&d.cfg);
	return ret;
}
