/* test_cmdline.c: end-to-end: bad command lines fail with one clear line and leave nothing attached. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "darknet_counter.h"
#include "lib/netfix.h"
#include "lib/proc.h"
#include "e2e_steps.h"

static struct netfix fx;

static void setup(void)
{
	char err[256];

	cr_assert_eq(netfix_setup(&fx, err, sizeof(err)), 0, "cmdline setup: %s", err);
}

static void teardown(void)
{
	netfix_teardown(&fx);
}

/*
 * Run the daemon with the fixture's usual options, then `args` (NULL-ended),
 * then the interface (unless iface is NULL: args then end the command line),
 * prefixed by `wrap` (e.g. setpriv) if not NULL. Checks what every bad
 * command line must do: exit non-zero without crashing, say one line that
 * contains `needle`, attach nothing and pin nothing.
 */
static void expect_refused(const char *name, const char *const *wrap, const char *const *args,
			   const char *iface, const char *needle, int foreign_id)
{
	const char *argv[64];
	char *prog = e2e_prog("darknet-counter"), *all;
	int argc = 0, port = e2e_free_port(), lines, id = -1, attached;
	char addr[32];
	struct e2e_run r;

	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	for (; wrap && *wrap; wrap++)
		argv[argc++] = *wrap;
	argv[argc++] = prog;
	argv[argc++] = "--netns";
	argv[argc++] = fx.ns_sensor;
	argv[argc++] = "--bpffs-dir";
	argv[argc++] = fx.pin_dir;
	argv[argc++] = "--web.listen-address";
	argv[argc++] = addr;
	for (; args && *args; args++)
		argv[argc++] = *args;
	if (iface)
		argv[argc++] = iface;
	argv[argc] = NULL;

	cr_assert_eq(e2e_run((char *const *)argv, 20000, &r), 0, "cmdline %s: cannot run", name);
	if (asprintf(&all, "%s%s", r.out, r.err) < 0)
		all = NULL;
	cr_assert(all, "cmdline %s: out of memory", name);
	cr_expect_neq(r.status, -1, "cmdline %s: still running after 20 s", name);
	cr_expect(r.status > 0 && r.status < 128,
		  "cmdline %s: exit status %d, want a non-zero exit (no crash)", name, r.status);
	lines = e2e_count_lines(all);
	cr_expect_eq(lines, 1, "cmdline %s: %d lines of output, want one:\n%s", name, lines, all);
	cr_expect(strstr(all, needle), "cmdline %s: message does not mention '%s':\n%s", name,
		  needle, all);

	attached = netfix_xdp_attached(&fx, &id);
	if (foreign_id) {
		cr_expect(attached == 1 && id == foreign_id,
			  "cmdline %s: the other program (id %d) was touched: attached %d, id %d",
			  name, foreign_id, attached, id);
	} else {
		cr_expect_eq(attached, 0, "cmdline %s: an XDP program (id %d) is left attached",
			     name, id);
	}
	cr_expect_eq(e2e_count_entries(fx.pin_dir), 0, "cmdline %s: pinned state left under %s",
		     name, fx.pin_dir);
	free(all);
	free(prog);
	e2e_run_free(&r);
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

Test(cmdline, unknown_interface, .init = setup, .fini = teardown, .timeout = 30)
{
	expect_refused("unknown interface", NULL, ARGS("--darknet", "198.51.100.0/24"),
		       "dnnosuchif0", "dnnosuchif0", 0);
}

Test(cmdline, malformed_cidr_option, .init = setup, .fini = teardown, .timeout = 30)
{
	expect_refused("malformed --darknet", NULL, ARGS("--darknet", "198.51.100.300/24"),
		       fx.if_sensor, "198.51.100.300/24", 0);
}

Test(cmdline, malformed_cidr_in_file, .init = setup, .fini = teardown, .timeout = 30)
{
	char *path = netfix_tmp(&fx, "darknets.txt"), needle[300];

	e2e_put(path, "# darknets\n198.51.100.0/24\n203.0.113.0/2x5\n");
	snprintf(needle, sizeof(needle), "%s:3:", path);
	expect_refused("malformed CIDR in --darknet-file", NULL,
		       ARGS("--darknet-file", path), fx.if_sensor, needle, 0);
	free(path);
}

/* Read as empty, a darknet file would have made every address darknet. */
Test(cmdline, empty_darknet_file, .init = setup, .fini = teardown, .timeout = 30)
{
	char *path = netfix_tmp(&fx, "darknets.txt"), needle[300];

	e2e_put(path, "# nothing here yet\n");
	snprintf(needle, sizeof(needle), "%s: no darknet prefix in it", path);
	expect_refused("comments-only --darknet-file", NULL, ARGS("--darknet-file", path),
		       fx.if_sensor, needle, 0);
	free(path);
}

Test(cmdline, darknet_file_not_regular, .init = setup, .fini = teardown, .timeout = 30)
{
	expect_refused("--darknet-file /dev/zero", NULL, ARGS("--darknet-file", "/dev/zero"),
		       fx.if_sensor, "/dev/zero: not a regular file", 0);
}

Test(cmdline, prefix_length_out_of_range, .init = setup, .fini = teardown, .timeout = 30)
{
	expect_refused("prefix length 33", NULL, ARGS("--darknet", "198.51.100.0/33"),
		       fx.if_sensor, "33", 0);
}

Test(cmdline, prefix_length_out_of_range_v6, .init = setup, .fini = teardown, .timeout = 30)
{
	expect_refused("prefix length 129", NULL, ARGS("--darknet", "2001:db8::/129"),
		       fx.if_sensor, "129", 0);
}

Test(cmdline, malformed_scanner_file, .init = setup, .fini = teardown, .timeout = 30)
{
	char *path = netfix_tmp(&fx, "scanners.txt"), needle[300];

	e2e_put(path, "45.2.0.0/24 alpha\n45.3.0.0/33 beta\n");
	snprintf(needle, sizeof(needle), "%s:2:", path);
	expect_refused("prefix length 33 in --scanners", NULL,
		       ARGS("--darknet", "198.51.100.0/24", "--scanners", path), fx.if_sensor,
		       needle, 0);
	free(path);
}

Test(cmdline, port_in_use, .init = setup, .fini = teardown, .timeout = 30)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char addr[32];

	cr_assert_geq(fd, 0, "port in use: socket");
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "port in use: bind");
	cr_assert_eq(listen(fd, 4), 0, "port in use: listen");
	getsockname(fd, (struct sockaddr *)&sa, &len);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", ntohs(sa.sin_port));
	/* the later --web.listen-address wins over the fixture's */
	expect_refused("port in use", NULL,
		       ARGS("--darknet", "198.51.100.0/24", "--web.listen-address", addr),
		       fx.if_sensor, "in use", 0);
	close(fd);
}

Test(cmdline, bad_action, .init = setup, .fini = teardown, .timeout = 30)
{
	expect_refused("--action maybe", NULL, ARGS("--action", "maybe"), fx.if_sensor,
		       "maybe", 0);
}

Test(cmdline, bad_xdp_mode, .init = setup, .fini = teardown, .timeout = 30)
{
	expect_refused("--xdp-mode turbo", NULL, ARGS("--xdp-mode", "turbo"), fx.if_sensor,
		       "turbo", 0);
}

Test(cmdline, not_root, .init = setup, .fini = teardown, .timeout = 30)
{
	if (access("/usr/bin/setpriv", X_OK))
		cr_skip_test("cmdline not root: no setpriv");
	expect_refused("not root",
		       ARGS("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"),
		       ARGS("--darknet", "198.51.100.0/24"), fx.if_sensor, "CAP_", 0);
}

Test(cmdline, foreign_xdp_program, .init = setup, .fini = teardown, .timeout = 30)
{
	int id = netfix_attach_foreign(&fx, 0);

	cr_assert_gt(id, 0, "foreign program: cannot attach one (%s)", strerror(-id));
	expect_refused("foreign XDP program (skb mode) attached", NULL,
		       ARGS("--darknet", "198.51.100.0/24"), fx.if_sensor, fx.if_sensor, id);
}

Test(cmdline, foreign_xdp_program_native, .init = setup, .fini = teardown, .timeout = 30)
{
	int id = netfix_attach_foreign(&fx, 1);

	cr_assert_gt(id, 0, "foreign program: cannot attach one natively (%s)", strerror(-id));
	expect_refused("foreign XDP program (native mode) attached", NULL,
		       ARGS("--darknet", "198.51.100.0/24"), fx.if_sensor, fx.if_sensor, id);
}

/* `detach` removes the pin directory named after the interface (and the
 * namespace): a name that climbs out of --bpffs-dir must remove nothing. */
Test(cmdline, detach_refuses_path_traversal, .init = setup, .fini = teardown, .timeout = 30)
{
	char *prog = e2e_prog("darknet-counter"), *root = netfix_tmp(&fx, "root");
	char victim[512], keep[600], vdir[600], ifname[600];
	struct e2e_run r;

	/* ROOT/vN/../../victim@NS is TMP/victim@NS */
	snprintf(victim, sizeof(victim), "%s/victim@%s", fx.tmpdir, fx.ns_sensor);
	snprintf(keep, sizeof(keep), "%s/precious", victim);
	snprintf(vdir, sizeof(vdir), "%s/v%d", root, DN_LAYOUT_VERSION);
	cr_assert_eq(e2e_sh("mkdir -p '%s' '%s'", victim, vdir), 0, "detach traversal: mkdir");
	e2e_put(keep, "do not delete\n");
	cr_assert_eq(e2e_runl(20000, &r, prog, "detach", "--netns", fx.ns_sensor, "--bpffs-dir",
			      root, "../../victim", NULL), 0, "detach traversal: cannot run");
	cr_expect(r.status > 0 && r.status < 128, "detach traversal: exit %d, want an error",
		  r.status);
	cr_expect(strstr(r.err, "invalid interface name"),
		  "detach traversal: stderr does not say 'invalid interface name':\n%s", r.err);
	cr_expect_eq(access(keep, F_OK), 0, "detach traversal: %s was deleted", keep);
	e2e_run_free(&r);

	/* the namespace name: --netns '../..' */
	snprintf(ifname, sizeof(ifname), "%s", fx.if_sensor);
	cr_assert_eq(e2e_runl(20000, &r, prog, "detach", "--netns", "../..", "--bpffs-dir",
			      root, ifname, NULL), 0, "detach netns traversal: cannot run");
	cr_expect(r.status > 0 && r.status < 128, "detach netns traversal: exit %d", r.status);
	cr_expect(strstr(r.err, "invalid network namespace name"),
		  "detach netns traversal: stderr:\n%s", r.err);
	e2e_run_free(&r);
	free(root);
	free(prog);
}
