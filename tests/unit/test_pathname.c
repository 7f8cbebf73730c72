/* test_pathname.c: interface and namespace names that would leave their directory are refused. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bpffs.h"
#include "darknet_counter.h"
#include "netns.h"
#include "pathname.h"

Test(pathname, interface_names)
{
	static const char *const good[] = { "eth0", "veth-dn.1", "a", "fifteen_bytes_x", "br@0" };
	static const char *const bad[] = {
		"", ".", "..", "../../victim", "a/b", "eth0:1", "eth 0", "tab\tx",
		"sixteen_bytes_xx",
	};
	char err[256];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_expect_eq(pathname_check_ifname(good[i], err, sizeof(err)), 0,
			     "ifname '%s' refused: %s", good[i], err);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		cr_expect_eq(pathname_check_ifname(bad[i], err, sizeof(err)), -EINVAL,
			     "ifname '%s' accepted", bad[i]);
		cr_expect(strstr(err, "invalid interface name"), "ifname '%s': message '%s'",
			  bad[i], err);
	}
}

Test(pathname, netns_names)
{
	static const char *const good[] = { "dn-e2e-1-0", "a", "with space", "x..y" };
	static const char *const bad[] = { "", ".", "..", "../x", "a/b", "/abs" };
	char err[256];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_expect_eq(pathname_check_netns(good[i], err, sizeof(err)), 0,
			     "netns '%s' refused: %s", good[i], err);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		cr_expect_eq(pathname_check_netns(bad[i], err, sizeof(err)), -EINVAL,
			     "netns '%s' accepted", bad[i]);
		cr_expect(strstr(err, "invalid network namespace name"), "netns '%s': message '%s'",
			  bad[i], err);
	}
}

/* Every path built from the names goes through the checks. */
Test(pathname, pin_dir_and_netns_refuse_traversal)
{
	char dir[256], want[256], err[256] = "";
	int saved = 7;

	cr_expect_eq(bpffs_iface_dir(dir, sizeof(dir), "/tmp/x/root", "../../victim", NULL),
		     -EINVAL, "pin dir of ../../victim built");
	cr_expect_str_empty(dir, "pin dir of ../../victim: '%s'", dir);
	cr_expect_eq(bpffs_iface_dir(dir, sizeof(dir), "/tmp/x/root", "eth0", "../.."),
		     -EINVAL, "pin dir in netns ../.. built");
	cr_expect_eq(bpffs_iface_dir(dir, sizeof(dir), "/tmp/x/root", "eth0", "ns1"), 0,
		     "pin dir of eth0@ns1");
	snprintf(want, sizeof(want), "/tmp/x/root/v%d/eth0@ns1", DN_LAYOUT_VERSION);
	cr_expect_str_eq(dir, want, "pin dir");
	cr_expect_eq(netns_enter_err("../../proc/1/ns/net", &saved, err, sizeof(err)), -EINVAL,
		     "netns ../../proc/1/ns/net entered");
	cr_expect_eq(saved, -1, "netns refused: saved fd");
	cr_expect(strstr(err, "invalid network namespace name"), "netns refused: '%s'", err);
}
