/* test_webconfig.c: --web.config.file parsing: every refusal with its message, good configs, paths. */
#define _GNU_SOURCE
#include <crypt.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "webconfig.h"
#include "array_size.h"

/* Written by tests/fixtures/make-tls-certs.sh; run from the repository root
 * (scripts/run-tests.sh does) or point DN_TLS_CERT_SCRIPT at it. */
#define CERT_SCRIPT "tests/fixtures/make-tls-certs.sh"

static char dir[64];
static char err[512];
static struct dn_webconfig wc;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static void setup(void)
{
	strcpy(dir, "/tmp/dn-webconfig-XXXXXX");
	cr_assert_not_null(mkdtemp(dir), "mkdtemp");
}

static void teardown(void)
{
	webconfig_free(&wc);
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void make_certs(void)
{
	const char *script = getenv("DN_TLS_CERT_SCRIPT") ?: CERT_SCRIPT;
	char cmd[512];

	cr_assert_eq(access(script, X_OK), 0, "%s not found: run from the repository root",
		     script);
	snprintf(cmd, sizeof(cmd), "%s %s", script, dir);
	cr_assert_eq(system(cmd), 0, "%s failed (is openssl installed?)", cmd);
}

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f, "create %s", path);
	fputs(text, f);
	fclose(f);
}

/* Load text as dir/web.yml; returns webconfig_load's answer. */
static int load(const char *text)
{
	char path[256];

	write_file("web.yml", text);
	snprintf(path, sizeof(path), "%s/web.yml", dir);
	err[0] = '\0';
	return webconfig_load(path, &wc, err, sizeof(err));
}

/* A refusal with code and an error that names web.yml, at line (0: none;
 * libyaml's own errors add a column after the line). */
static void expect_refused_code(int code, const char *name, const char *text, int line,
				const char *msg)
{
	char where[320];
	int ret = load(text);

	cr_expect_eq(ret, code, "%s: refused with %d (got %d, err \"%s\")", name, code, ret,
		     err);
	if (line)
		snprintf(where, sizeof(where), "%s/web.yml:%d:", dir, line);
	else
		snprintf(where, sizeof(where), "%s/web.yml: ", dir);
	cr_expect(!strncmp(err, where, strlen(where)), "%s: \"%s\" starts with \"%s\"", name,
		  err, where);
	cr_expect_not_null(strstr(err, msg), "%s: \"%s\" says \"%s\"", name, err, msg);
	cr_expect_null(strchr(err, '\n'), "%s: one line", name);
	cr_expect(!wc.tls && !wc.auth && !wc.cert_pem && !wc.path, "%s: nothing kept", name);
}

#define expect_refused(...) expect_refused_code(-EINVAL, __VA_ARGS__)

TestSuite(webconfig, .init = setup, .fini = teardown);

Test(webconfig, no_file_means_plain_http)
{
	struct http_options opts = {0};

	cr_assert_eq(webconfig_load(NULL, &wc, err, sizeof(err)), 0);
	webconfig_apply(&wc, &opts);
	cr_expect(!wc.tls && !wc.auth, "nothing configured");
	cr_expect(!opts.tls_cert_pem && !opts.auth, "options untouched");
}

Test(webconfig, empty_file_and_null_sections)
{
	cr_expect_eq(load(""), 0, "empty file: %s", err);
	cr_expect(!wc.tls && !wc.auth, "empty file configures nothing");
	webconfig_free(&wc);
	cr_expect_eq(load("tls_server_config:\nbasic_auth_users: ~\n"), 0, "null sections: %s",
		     err);
	cr_expect(!wc.tls && !wc.auth, "null sections configure nothing");
}

Test(webconfig, unreadable_files)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/missing.yml", dir);
	cr_expect_eq(webconfig_load(path, &wc, err, sizeof(err)), -ENOENT, "missing file");
	cr_expect_not_null(strstr(err, "cannot read web config file"), "%s", err);
	cr_expect_not_null(strstr(err, "missing.yml: No such file or directory"), "%s", err);
	cr_expect_eq(webconfig_load(dir, &wc, err, sizeof(err)), -EISDIR, "a directory");
	cr_expect_not_null(strstr(err, "Is a directory"), "%s", err);
	if (geteuid() == 0)
		return;   /* root reads a mode 000 file */
	write_file("secret.yml", "basic_auth_users:\n");
	snprintf(path, sizeof(path), "%s/secret.yml", dir);
	cr_assert_eq(chmod(path, 0), 0);
	cr_expect_eq(webconfig_load(path, &wc, err, sizeof(err)), -EACCES, "unreadable file");
	cr_expect_not_null(strstr(err, "secret.yml: Permission denied"), "%s", err);
}

Test(webconfig, yaml_errors)
{
	expect_refused("syntax", "tls_server_config:\n  cert_file: [a\n", 3, "invalid YAML");
	expect_refused("tab indent", "basic_auth_users:\n\talice: x\n", 2, "invalid YAML");
	expect_refused("not a mapping", "- a\n- b\n", 1, "top level: expected a mapping, found a list");
	expect_refused("second document", "basic_auth_users:\n---\nfoo: 1\n", 3,
		       "a second YAML document");
	expect_refused("duplicate key", "tls_server_config:\ntls_server_config:\n", 2,
		       "duplicate key 'tls_server_config'");
	expect_refused("NUL in a string", "tls_server_config:\n  cert_file: \"a\\0b\"\n", 2,
		       "cert_file: contains a NUL character");
}

Test(webconfig, unknown_and_unsupported_keys)
{
	expect_refused("unknown top key", "\nbasic_auth_user:\n", 2,
		       "unknown key 'basic_auth_user'");
	expect_refused("unknown tls key", "tls_server_config:\n  cert_file: a\n  certfile: b\n",
		       3, "tls_server_config: unknown key 'certfile'");
	expect_refused("unsupported tls key",
		       "tls_server_config:\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n", 2,
		       "'cipher_suites' is not supported by darknet-counter");
	expect_refused("unknown http key", "http_server_config:\n  http3: true\n", 2,
		       "http_server_config: unknown key 'http3'");
}

Test(webconfig, wrong_types)
{
	expect_refused("section as string", "tls_server_config: yes\n", 1,
		       "tls_server_config: expected a mapping, found a string");
	expect_refused("users as list", "basic_auth_users:\n  - alice\n", 2,
		       "basic_auth_users: expected a mapping, found a list");
	expect_refused("path as list", "tls_server_config:\n  cert_file: [a, b]\n", 2,
		       "cert_file: expected a string, found a list");
	expect_refused("hash as mapping", "basic_auth_users:\n  alice: {a: b}\n", 2,
		       "alice: expected a string, found a mapping");
}

Test(webconfig, tls_key_rules)
{
	expect_refused("cert without key", "tls_server_config:\n  cert_file: c.pem\n", 1,
		       "key_file is missing");
	expect_refused("key without cert", "tls_server_config:\n  key_file: k.pem\n", 1,
		       "cert_file is missing");
	expect_refused("only a client auth type",
		       "tls_server_config:\n  client_auth_type: RequestClientCert\n", 1,
		       "cert_file is missing");
	expect_refused("bad client_auth_type",
		       "tls_server_config:\n  cert_file: c\n  key_file: k\n"
		       "  client_auth_type: RequireCert\n", 4,
		       "client_auth_type: unknown value 'RequireCert'");
	expect_refused("verify without CA",
		       "tls_server_config:\n  cert_file: c\n  key_file: k\n"
		       "  client_auth_type: RequireAndVerifyClientCert\n", 4,
		       "client_auth_type RequireAndVerifyClientCert needs client_ca_file");
	expect_refused("verify-if-given without CA",
		       "tls_server_config:\n  cert_file: c\n  key_file: k\n"
		       "  client_auth_type: VerifyClientCertIfGiven\n", 4,
		       "client_auth_type VerifyClientCertIfGiven needs client_ca_file");
	expect_refused("CA without client auth",
		       "tls_server_config:\n  cert_file: c\n  key_file: k\n"
		       "  client_ca_file: ca.pem\n", 4,
		       "client_ca_file is set but client_auth_type is NoClientCert");
	expect_refused("bad min_version",
		       "tls_server_config:\n  cert_file: c\n  key_file: k\n  min_version: TLS14\n",
		       4, "min_version: unknown value 'TLS14'");
	expect_refused("min above max",
		       "tls_server_config:\n  cert_file: c\n  key_file: k\n"
		       "  min_version: TLS13\n  max_version: TLS12\n", 5,
		       "min_version TLS13 is above max_version TLS12");
}

Test(webconfig, user_rules)
{
	expect_refused("plain password", "basic_auth_users:\n  alice: secret\n", 2,
		       "the password of 'alice' is not a bcrypt hash");
	expect_refused("apr1 hash", "basic_auth_users:\n  bob: $apr1$Ke2sm7zF$7FCh6k9kbyDbmSStFY1Pd0\n",
		       2, "the password of 'bob' is not a bcrypt hash");
	expect_refused("no hash", "basic_auth_users:\n  alice:\n", 2,
		       "the password of 'alice' is not a bcrypt hash");
	expect_refused("colon in name",
		       "basic_auth_users:\n  \"a:b\": $2y$05$1b.IOVHb.VQXDjXV9Yi08uyONl36s.h7sYQ1RHknSW7HF0CRvnESG\n",
		       2, "user name 'a:b' contains ':'");
	expect_refused("duplicate user",
		       "basic_auth_users:\n  alice: $2y$05$1b.IOVHb.VQXDjXV9Yi08uyONl36s.h7sYQ1RHknSW7HF0CRvnESG\n"
		       "  alice: $2y$05$1b.IOVHb.VQXDjXV9Yi08uyONl36s.h7sYQ1RHknSW7HF0CRvnESG\n",
		       3, "duplicate key 'alice'");
}

Test(webconfig, users_and_http_server_config)
{
	struct http_options opts = {0};

	cr_assert_eq(load("basic_auth_users:\n"
			  "  alice: $2y$05$1b.IOVHb.VQXDjXV9Yi08uyONl36s.h7sYQ1RHknSW7HF0CRvnESG\n"
			  "  'bob': \"$2y$05$1b.IOVHb.VQXDjXV9Yi08uyONl36s.h7sYQ1RHknSW7HF0CRvnESG\"\n"
			  "http_server_config:\n  http2: false\n  headers:\n    X-Frame-Options: deny\n"),
		     0, "%s", err);
	cr_assert_not_null(wc.auth);
	cr_expect_eq(auth_nr_users(wc.auth), 2, "alice and bob");
	cr_expect(!wc.tls, "no TLS");
	webconfig_apply(&wc, &opts);
	cr_expect_eq(opts.auth, auth_check_peer, "auth callback set");
	cr_expect_eq(opts.auth_ctx, wc.auth, "auth context set");
	cr_expect_null(opts.tls_cert_pem, "plain HTTP");
	/* htpasswd -nbB's hash of "pw" */
	cr_expect_eq(opts.auth(opts.auth_ctx, "bob", "pw", NULL), 0, "bob logs in");
	cr_expect_eq(opts.auth(opts.auth_ctx, "bob", "nope", NULL), 401, "wrong password");
}

Test(webconfig, tls_with_relative_paths)
{
	struct http_options opts = {0};
	char want[256];

	make_certs();
	cr_assert_eq(load("tls_server_config:\n  cert_file: server.pem\n  key_file: \"server.key\"\n"
			  "  client_auth_type: RequireAndVerifyClientCert\n"
			  "  client_ca_file: ./ca.pem\n"), 0, "%s", err);
	cr_expect(wc.tls, "TLS on");
	snprintf(want, sizeof(want), "%s/server.pem", dir);
	cr_expect_str_eq(wc.cert_file, want, "cert_file resolved against the config's directory");
	snprintf(want, sizeof(want), "%s/./ca.pem", dir);
	cr_expect_str_eq(wc.client_ca_file, want, "client_ca_file resolved");
	cr_expect_eq(wc.client_auth, HTTP_CLIENT_CERT_REQUIRE_VERIFY);
	cr_expect_str_eq(wc.priorities, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
			 "default versions TLS12..TLS13");
	webconfig_apply(&wc, &opts);
	cr_expect_eq(opts.tls_cert_pem, wc.cert_pem, "certificate PEM");
	cr_expect_eq(opts.tls_key_pem, wc.key_pem, "key PEM");
	cr_expect_eq(opts.tls_client_ca_pem, wc.ca_pem, "CA PEM");
	cr_expect_eq(opts.tls_client_auth, HTTP_CLIENT_CERT_REQUIRE_VERIFY);
	cr_expect_str_eq(opts.tls_priorities, wc.priorities);
	cr_expect(!strncmp(wc.cert_pem, "-----BEGIN CERTIFICATE-----", 27), "cert read");
	cr_expect_not_null(strstr(wc.key_pem, "PRIVATE KEY"), "key read");
	cr_expect_null(opts.auth, "no basic auth");
}

Test(webconfig, paths_from_a_subdirectory_and_absolute)
{
	char sub[128], path[256], abs_key[256], want[256];
	FILE *f;

	make_certs();
	snprintf(sub, sizeof(sub), "%s/conf", dir);
	cr_assert_eq(mkdir(sub, 0700), 0);
	snprintf(path, sizeof(path), "%s/web.yml", sub);
	snprintf(abs_key, sizeof(abs_key), "%s/server.key", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "tls_server_config:\n  cert_file: ../server.pem\n  key_file: %s\n", abs_key);
	fclose(f);
	cr_assert_eq(webconfig_load(path, &wc, err, sizeof(err)), 0, "%s", err);
	snprintf(want, sizeof(want), "%s/../server.pem", sub);
	cr_expect_str_eq(wc.cert_file, want, "relative to conf/");
	cr_expect_str_eq(wc.key_file, abs_key, "absolute path kept");
	webconfig_free(&wc);

	/* a config path without a directory: the files are beside it, in "." */
	cr_assert_eq(chdir(sub), 0);
	cr_assert_eq(webconfig_load("web.yml", &wc, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(wc.cert_file, "./../server.pem", "relative to the current directory");
}

Test(webconfig, client_auth_types_and_versions)
{
	static const struct {
		const char *yaml;
		enum http_client_auth auth;
		const char *prio;
	} cases[] = {
		{ "client_auth_type: NoClientCert\n", HTTP_CLIENT_CERT_NONE,
		  "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2" },
		{ "client_auth_type: RequestClientCert\n", HTTP_CLIENT_CERT_REQUEST, NULL },
		{ "client_auth_type: RequireAnyClientCert\n", HTTP_CLIENT_CERT_REQUIRE_ANY, NULL },
		{ "client_auth_type: RequireClientCert\n", HTTP_CLIENT_CERT_REQUIRE_ANY, NULL },
		{ "client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: ca-bundle.pem\n",
		  HTTP_CLIENT_CERT_VERIFY_IF_GIVEN, NULL },
		{ "min_version: TLS13\n", HTTP_CLIENT_CERT_NONE, "NORMAL:-VERS-ALL:+VERS-TLS1.3" },
		{ "min_version: TLS10\n  max_version: TLS11\n", HTTP_CLIENT_CERT_NONE,
		  "NORMAL:-VERS-ALL:+VERS-TLS1.1:+VERS-TLS1.0" },
	};
	char text[512];

	make_certs();
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(text, sizeof(text), "tls_server_config:\n  cert_file: server.pem\n"
			 "  key_file: server.key\n  %s", cases[i].yaml);
		cr_expect_eq(load(text), 0, "case %zu (%s): %s", i, cases[i].yaml, err);
		cr_expect_eq(wc.client_auth, cases[i].auth, "case %zu: client auth", i);
		if (cases[i].prio)
			cr_expect_str_eq(wc.priorities, cases[i].prio, "case %zu: priorities", i);
		webconfig_free(&wc);
	}
}

Test(webconfig, bad_certificate_files)
{
	make_certs();
	write_file("garbage.pem", "not a certificate\n");
	expect_refused_code(-ENOENT, "missing cert",
		       "tls_server_config:\n  cert_file: nope.pem\n  key_file: server.key\n", 0,
		       "cannot read cert_file ");
	cr_expect_not_null(strstr(err, "/nope.pem: No such file or directory"), "%s", err);
	expect_refused("key of another certificate",
		       "tls_server_config:\n  cert_file: server.pem\n  key_file: client.key\n", 0,
		       "client.key: The certificate and the given key do not match");
	expect_refused("garbage key",
		       "tls_server_config:\n  cert_file: server.pem\n  key_file: garbage.pem\n", 0,
		       "garbage.pem: no PEM private key in it");
	expect_refused("certificate is a key",
		       "tls_server_config:\n  cert_file: server.key\n  key_file: server.key\n", 0,
		       "server.key: no PEM certificate in it");
	expect_refused("garbage CA",
		       "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n"
		       "  client_auth_type: RequireAndVerifyClientCert\n"
		       "  client_ca_file: garbage.pem\n", 0,
		       "garbage.pem: no PEM certificate in it");
	expect_refused_code(-EISDIR, "CA is a directory",
		       "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n"
		       "  client_auth_type: RequestClientCert\n  client_ca_file: .\n", 0,
		       "cannot read client_ca_file ");
	cr_expect_not_null(strstr(err, "Is a directory"), "%s", err);
}

/* htpasswd -nbB -C 5's hash of "pw", and one of cost 4 (of "x"). */
#define HASH5 "$2y$05$1b.IOVHb.VQXDjXV9Yi08uyONl36s.h7sYQ1RHknSW7HF0CRvnESG"
#define HASH4 "$2y$04$1b.IOVHb.VQXDjXV9Yi08uyONl36s.h7sYQ1RHknSW7HF0CRvnESG"
#define MANY_USERS 10000

/* basic_auth_users with MANY_USERS users user0.., user i on line i + 2;
 * one user in three has cost 4; user dup_of is repeated at dup_at (if set). */
static char *many_users(size_t dup_at, size_t dup_of)
{
	size_t cap = 64 + MANY_USERS * 96, n = 0;
	char *text = malloc(cap);

	cr_assert_not_null(text);
	n += snprintf(text, cap, "basic_auth_users:\n");
	for (size_t i = 0; i < MANY_USERS; i++)
		n += snprintf(text + n, cap - n, "  user%zu: %s\n", i == dup_at && dup_at ?
			      dup_of : i, i % 3 ? HASH5 : HASH4);
	return text;
}

/* Loading n users compared each with all before it, twice, and recounted
 * the common cost at each: 4,000 users took 55 s. The timeout fails the
 * quadratic versions. */
Test(webconfig, ten_thousand_users, .timeout = 5)
{
	char *text = many_users(0, 0);
	struct auth_stats st;

	cr_assert_eq(load(text), 0, "%s", err);
	free(text);
	cr_assert_eq(auth_nr_users(wc.auth), MANY_USERS);
	cr_expect_eq(auth_check(wc.auth, "user9998", "pw"), 0, "the last cost-5 user logs in");
	cr_expect_eq(auth_check(wc.auth, "user9998", "px"), 401, "wrong password");
	cr_expect_eq(auth_check(wc.auth, "user10000", "pw"), 401, "unknown user");
	auth_get_stats(wc.auth, &st);
	cr_expect_eq(st.dummy_cost, 5, "unknown users pay the common cost");
}

Test(webconfig, duplicate_among_many_users, .timeout = 5)
{
	char *text = many_users(7000, 3);

	expect_refused("user3 again", text, 7002, "duplicate key 'user3'");
	free(text);
	/* the first repeat in file order, not the first key repeated */
	expect_refused("b a a b", "basic_auth_users:\n  b: " HASH5 "\n  a: " HASH5 "\n  a: "
		       HASH5 "\n  b: " HASH5 "\n", 4, "duplicate key 'a'");
	expect_refused("a b b a", "basic_auth_users:\n  a: " HASH5 "\n  b: " HASH5 "\n  b: "
		       HASH5 "\n  a: " HASH5 "\n", 4, "duplicate key 'b'");
}

/* n copies of unit after prefix, then suffix. */
static char *repeat(const char *prefix, const char *unit, size_t n, const char *suffix)
{
	size_t len = strlen(prefix) + n * strlen(unit) + strlen(suffix) + 1;
	char *text = malloc(len);

	cr_assert_not_null(text);
	strcpy(text, prefix);
	for (size_t i = 0; i < n; i++)
		strcat(text + strlen(prefix) + i * strlen(unit), unit);
	strcat(text, suffix);
	return text;
}

/* libyaml is quadratic in the depth of flow collections: a 1 MiB file of
 * '[' did not load in a minute. Refused before libyaml loads it. */
Test(webconfig, deep_flow_nesting, .timeout = 5)
{
	char *text = repeat("basic_auth_users: ", "[", (1 << 20) - 32, "");

	expect_refused("1 MiB of [", text, 1, "nesting deeper than 32");
	free(text);
	text = repeat("http_server_config:\n  headers:\n    X: ", "{a: ", 200000, "");
	expect_refused("{a: {a: ...", text, 3, "nesting deeper than 32");
	free(text);
	text = repeat("basic_auth_users: ", "[", 33, "");
	expect_refused("33 levels", text, 1, "nesting deeper than 32");
	free(text);
	text = repeat("basic_auth_users: ", "[", 32, "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n");
	expect_refused("32 levels are YAML", text, 1, "basic_auth_users: expected a mapping");
	free(text);
	/* what libyaml reads as a string is no collection */
	text = repeat("basic_auth_users:\n  \"", "[{", 40, "\": " HASH5 "\n  # [[[[[[[[[[[[[[[[[["
		      "[[[[[[[[[[[[[[[[\n  'a''[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[': " HASH5 "\n");
	cr_expect_eq(load(text), 0, "brackets in strings and comments: %s", err);
	free(text);
}
