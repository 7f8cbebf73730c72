/* test_errors.c: each user-facing failure returns -errno with one line in err naming its object. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "bpffs.h"
#include "config.h"
#include "exporter.h"
#include "http.h"
#include "lists.h"
#include "log.h"
#include "darknet_sketch.h"
#include "loader.h"
#include "maps.h"
#include "netns.h"
#include "privs.h"
#include "status.h"
#include "webconfig.h"
#include "array_size.h"

static char dir[64];          /* scratch on /tmp: not bpffs */
static char bpf_root[64];     /* on bpffs, root tests only */
static char err[512];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static void setup(void)
{
	strcpy(dir, "/tmp/dn-errors-XXXXXX");
	cr_assert_not_null(mkdtemp(dir), "setup: mkdtemp");
	bpf_root[0] = '\0';
	log_route_libraries();   /* libbpf's and libxdp's chatter: debug, not shown */
}

static void teardown(void)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (bpf_root[0])
		nftw(bpf_root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(errors, .init = setup, .fini = teardown, .timeout = 30);

/* err emptied before each call: a reason must come from the call itself. */
static char *fresh(void)
{
	memset(err, 0, sizeof(err));
	return err;
}

/* The contract: -errno, and err holds one line that names object. */
static void expect_reason(const char *name, int ret, const char *object)
{
	size_t n = strlen(err);

	cr_expect_lt(ret, 0, "%s: want -errno, got %d", name, ret);
	cr_expect_gt(n, 0, "%s: err is empty", name);
	cr_expect(!n || err[n - 1] != '\n', "%s: trailing newline in \"%s\"", name, err);
	cr_expect_null(strpbrk(err, "\r\n"), "%s: more than one line: \"%s\"", name, err);
	cr_expect_not_null(strstr(err, object), "%s: \"%s\" does not name %s", name, err,
			   object);
}

static const char *scratch(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
	return buf;
}

static void put_file(const char *path)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "cannot create the test file %s", path);
	fclose(f);
}

/* The loader tests open lo (loader_open attaches nothing). As root, which
 * could attach, they run in a network namespace of their own, so the host's
 * lo is never touched; unprivileged, nothing can be attached at all. */
static bool own_netns(void)
{
	if (geteuid())
		return false;
	cr_assert_eq(unshare(CLONE_NEWNET), 0, "unshare(CLONE_NEWNET): %s", strerror(errno));
	return true;
}

static void need_bpffs_root(const char *name)
{
	if (!own_netns() || !bpffs_holds("/sys/fs/bpf"))
		cr_skip_test("%s: needs root and bpffs at /sys/fs/bpf", name);
	snprintf(bpf_root, sizeof(bpf_root), "/sys/fs/bpf/dn-unit-errors-%d", getpid());
}

Test(errors, loader_unknown_interface)
{
	struct dn_iface ifc;
	int ret;

	ret = loader_open(&ifc, "dnnosuchif0", NULL, dir, XDP_PASS, NULL, fresh(), sizeof(err));
	expect_reason("loader_open unknown interface", ret, "dnnosuchif0");
	loader_close(&ifc);
	ret = loader_open(&ifc, "dnnosuchif0", "dnnosuchns0", dir, XDP_PASS, NULL, fresh(),
			  sizeof(err));
	expect_reason("loader_open unknown interface in a netns (interface)", ret,
		      "dnnosuchif0");
	expect_reason("loader_open unknown interface in a netns (netns)", ret, "dnnosuchns0");
	loader_close(&ifc);
}

Test(errors, loader_pin_root_is_a_file)
{
	struct dn_iface ifc;
	char file[128];
	int ret;

	own_netns();
	put_file(scratch(file, sizeof(file), "file"));
	ret = loader_open(&ifc, "lo", NULL, file, XDP_PASS, NULL, fresh(), sizeof(err));
	expect_reason("loader_open pin root a regular file", ret, file);
	cr_expect_null(ifc.skel, "loader_open pin root a regular file: skeleton kept");
	loader_close(&ifc);
}

Test(errors, loader_pin_dir_not_on_bpffs)
{
	struct dn_iface ifc;
	int ret;

	own_netns();
	ret = loader_open(&ifc, "lo", NULL, dir, XDP_PASS, NULL, fresh(), sizeof(err));
	expect_reason("loader_open pin dir not on bpffs", ret, dir);
	cr_expect_not_null(strstr(err, "bpffs"), "loader_open pin dir not on bpffs: \"%s\" "
			   "does not say bpffs", err);
	loader_close(&ifc);
}

/* A map of another shape where class_counters is pinned: an older build's. */
Test(errors, loader_incompatible_pinned_map)
{
	char pin_dir[PATH_MAX], path[PATH_MAX + 32];
	struct dn_iface ifc;
	int fd, ret;

	need_bpffs_root("loader_open incompatible pin");
	bpffs_iface_dir(pin_dir, sizeof(pin_dir), bpf_root, "lo", NULL);
	cr_assert_eq(bpffs_mkdirs(pin_dir), 0, "loader_open incompatible pin: mkdir %s", pin_dir);
	snprintf(path, sizeof(path), "%s/class_counters", pin_dir);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "class_counters", 4, 4, 1, NULL);
	cr_assert_geq(fd, 0, "loader_open incompatible pin: map create: %s", strerror(errno));
	cr_assert_eq(bpf_obj_pin(fd, path), 0, "loader_open incompatible pin: pin %s", path);
	close(fd);
	ret = loader_open(&ifc, "lo", NULL, bpf_root, XDP_PASS, NULL, fresh(), sizeof(err));
	expect_reason("loader_open incompatible pin", ret, path);
	loader_close(&ifc);
}

/* A sketches map of another layout (an older precision) where the
 * distinct-count registers are pinned: refused naming it, before attaching. */
Test(errors, loader_incompatible_pinned_sketch_map)
{
	char pin_dir[PATH_MAX], path[PATH_MAX + 32];
	struct dn_iface ifc;
	int fd, ret;

	need_bpffs_root("loader_open incompatible sketch pin");
	bpffs_iface_dir(pin_dir, sizeof(pin_dir), bpf_root, "lo", NULL);
	cr_assert_eq(bpffs_mkdirs(pin_dir), 0, "incompatible sketch pin: mkdir %s", pin_dir);
	snprintf(path, sizeof(path), "%s/sketches", pin_dir);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "sketches", 4, 1024, DN_SKETCH_KEYS, NULL);
	cr_assert_geq(fd, 0, "incompatible sketch pin: map create: %s", strerror(errno));
	cr_assert_eq(bpf_obj_pin(fd, path), 0, "incompatible sketch pin: pin %s", path);
	close(fd);
	ret = loader_open(&ifc, "lo", NULL, bpf_root, XDP_PASS, NULL, fresh(), sizeof(err));
	expect_reason("loader_open incompatible sketch pin", ret, path);
	cr_expect_null(ifc.skel, "incompatible sketch pin: skeleton kept");
	loader_close(&ifc);
}

/* A loopback interface is refused in any mode (in our own netns). */
Test(errors, loader_attach_loopback)
{
	struct dn_attachment cur = { 0 };
	struct dn_iface ifc;
	char detach_err[256];
	int ret;

	need_bpffs_root("loader_attach on lo");
	ret = loader_open(&ifc, "lo", NULL, bpf_root, XDP_PASS, NULL, fresh(), sizeof(err));
	cr_assert_eq(ret, 0, "loader_attach on lo: open: %s", err);
	ret = loader_attach(&ifc, XDP_MODE_SKB, fresh(), sizeof(err));
	expect_reason("loader_attach on lo", ret, "refusing to attach to lo");
	cr_expect_eq(loader_query(ifc.ifindex, &cur), 0, "loader_attach on lo: query");
	cr_expect(!cur.prog_id && !cur.foreign_id, "loader_attach on lo: a program is attached");
	cr_expect_eq(loader_detach(&ifc, detach_err, sizeof(detach_err)), 0,
		     "loader_attach on lo: clean up: %s", detach_err);
	loader_close(&ifc);
}

/* A pin directory that cannot be removed (something else is in it). */
Test(errors, loader_detach_pin_dir_not_empty)
{
	struct dn_iface ifc = { .name = "lo" };
	char sub[PATH_MAX];
	int ret;

	own_netns();
	ifc.ifindex = if_nametoindex("lo");
	scratch(ifc.pin_dir, sizeof(ifc.pin_dir), "pins");
	snprintf(sub, sizeof(sub), "%s/not-a-pin", ifc.pin_dir);
	cr_assert_eq(bpffs_mkdirs(sub), 0, "loader_detach: mkdir %s", sub);
	ret = loader_detach(&ifc, fresh(), sizeof(err));
	expect_reason("loader_detach pin dir not empty (interface)", ret, "of lo ");
	expect_reason("loader_detach pin dir not empty (path)", ret, ifc.pin_dir);
}

Test(errors, maps_open_pinned_empty_dir)
{
	char want[128];
	struct dn_maps m;
	int ret;

	ret = maps_open_pinned_err(&m, dir, fresh(), sizeof(err));
	expect_reason("maps_open_pinned on an empty dir", ret,
		      scratch(want, sizeof(want), "class_counters"));
	cr_expect_eq(m.class_counters, -1, "maps_open_pinned on an empty dir: an fd left open");
}

Test(errors, bpffs_ensure_bad_roots)
{
	char file[128], under[160];
	int ret;

	put_file(scratch(file, sizeof(file), "file"));
	snprintf(under, sizeof(under), "%s/pins", file);
	ret = bpffs_ensure(under, fresh(), sizeof(err));
	expect_reason("bpffs_ensure under a regular file", ret, under);
	ret = bpffs_ensure(dir, fresh(), sizeof(err));
	expect_reason("bpffs_ensure on tmpfs", ret, dir);
}

/* A socket of ours on 127.0.0.1, any port; its "127.0.0.1:PORT" in addr. */
static int listen_loopback(char *addr, size_t len)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "bind: %s", strerror(errno));
	cr_assert_eq(listen(fd, 4), 0, "listen: %s", strerror(errno));
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0, "getsockname");
	snprintf(addr, len, "127.0.0.1:%d", ntohs(sa.sin_port));
	return fd;
}

Test(errors, http_listen_port_in_use)
{
	char addr[32];
	int taken = listen_loopback(addr, sizeof(addr)), fd = -1, ret;

	ret = http_listen(addr, &fd, fresh(), sizeof(err));
	expect_reason("http_listen port in use", ret, addr);
	cr_expect_eq(ret, -EADDRINUSE, "http_listen port in use: want -EADDRINUSE, got %d", ret);
	close(taken);
}

Test(errors, http_listen_bad_addresses)
{
	static const char *const bad[] = {
		"nonsense", "127.0.0.1:", "127.0.0.1:http", "127.0.0.1:70000",
		"127.0.0.1:-1", ":123456",
	};
	char name[96];
	int fd = -1, ret;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(name, sizeof(name), "http_listen \"%s\"", bad[i]);
		ret = http_listen(bad[i], &fd, fresh(), sizeof(err));
		expect_reason(name, ret, bad[i]);
		if (!ret)
			close(fd);
	}
}

static int no_body(void *ctx, char **body, size_t *len)
{
	(void)ctx; (void)body; (void)len;
	return -ENOTSUP;   /* never asked for: no request is made */
}

/* Start on a fresh socket with opts; the server is stopped if it started. */
static int start(const struct http_options *opts, char *addr, size_t len)
{
	struct http_server *srv;
	int fd = listen_loopback(addr, len), ret;

	ret = http_start(fd, opts, &srv, fresh(), sizeof(err));
	if (!ret)
		http_stop(srv);
	close(fd);
	return ret;
}

Test(errors, http_start_refused)
{
	struct http_options opts = { .telemetry_path = "/metrics", .metrics = no_body };
	char addr[32];
	int ret;

	ret = start(&opts, addr, sizeof(addr));
	cr_assert_eq(ret, 0, "http_start plain on %s: %s", addr, err);
	opts.tls_cert_pem = "not a certificate";
	opts.tls_key_pem = "not a key";
	ret = start(&opts, addr, sizeof(addr));
	expect_reason("http_start with a bad TLS certificate", ret, addr);
	opts.tls_cert_pem = NULL;
	opts.tls_key_pem = NULL;
	opts.tls_client_auth = HTTP_CLIENT_CERT_REQUIRE_VERIFY;
	ret = start(&opts, addr, sizeof(addr));
	expect_reason("http_start verifying client certificates with no CA", ret, addr);
}

Test(errors, web_config_unreadable)
{
	struct dn_webconfig wc;
	char path[128];
	int ret;

	ret = webconfig_load(scratch(path, sizeof(path), "missing.yml"), &wc, fresh(),
			     sizeof(err));
	expect_reason("web config missing", ret, path);
	ret = webconfig_load(dir, &wc, fresh(), sizeof(err));
	expect_reason("web config a directory", ret, dir);
	if (!geteuid())
		return;   /* root reads a mode 000 file */
	put_file(scratch(path, sizeof(path), "secret.yml"));
	cr_assert_eq(chmod(path, 0), 0, "web config unreadable: chmod");
	ret = webconfig_load(path, &wc, fresh(), sizeof(err));
	expect_reason("web config unreadable", ret, path);
}

Test(errors, list_files_missing)
{
	struct dn_config cfg = { .nr_darknet_files = 1 };
	struct dn_lists l;
	char path[128];
	int ret;

	prefix_list_init(&cfg.darknets);
	cfg.darknet_files[0] = scratch(path, sizeof(path), "darknets.txt");
	ret = lists_load(&cfg, &l, fresh(), sizeof(err));
	expect_reason("--darknet-file missing", ret, path);
	expect_reason("--darknet-file missing (option)", ret, "--darknet-file");
	cfg.nr_darknet_files = 0;
	cfg.nr_scanner_paths = 1;
	cfg.scanner_paths[0] = scratch(path, sizeof(path), "scanners.d");
	ret = lists_load(&cfg, &l, fresh(), sizeof(err));
	expect_reason("--scanners missing", ret, path);
	expect_reason("--scanners missing (option)", ret, "--scanners");
}

Test(errors, netns_missing)
{
	struct dn_config cfg = { .pin_root = dir, .nr_ifaces = 1, .ifaces = { "dnnosuchif0" } };
	char ns[64];
	int saved = -1, ret;

	snprintf(ns, sizeof(ns), "dn-unit-nosuch-%d", getpid());
	ret = netns_enter_err(ns, &saved, fresh(), sizeof(err));
	expect_reason("netns_enter missing namespace", ret, ns);
	cr_expect_eq(saved, -1, "netns_enter missing namespace: saved fd left open");
	cfg.netns = ns;
	ret = status_detach(&cfg, fresh(), sizeof(err));
	expect_reason("detach --netns missing namespace", ret, ns);
}

Test(errors, status_pin_root_is_a_file)
{
	struct dn_config cfg = { 0 };
	char file[128];
	int ret;

	put_file(scratch(file, sizeof(file), "file"));
	cfg.pin_root = file;
	ret = status_print(&cfg, fresh(), sizeof(err));
	expect_reason("status with --bpffs-dir a regular file", ret, file);
}

Test(errors, privs_drop_unknown_user)
{
	int ret = privs_drop("dn-nosuch-user", fresh(), sizeof(err));

	expect_reason("--user unknown", ret, "dn-nosuch-user");
}

Test(errors, exporter_bad_watch_ports)
{
	struct dn_config cfg = { .watch_ports = "90-80",
				 .max_port_series = DN_DEFAULT_MAX_PORT_SERIES };
	struct exporter ex;
	int ret;

	ret = exporter_init(&ex, NULL, 0, &cfg, fresh(), sizeof(err));
	expect_reason("--watch-ports 90-80", ret, "--watch-ports 90-80");
	exporter_free(&ex);
}
