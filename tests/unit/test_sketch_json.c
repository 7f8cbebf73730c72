/* test_sketch_json.c: the /api/v1/sketches document: base64, rendering, and parsing it back register for register. */
#include <errno.h>
#include <string.h>
#include <criterion/criterion.h>
#include "sketch_json.h"

static struct dn_sketch a, b;

static void b64(const char *in, const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	unsigned char back[16];
	int n;

	sketch_json_base64(&sb, (const unsigned char *)in, strlen(in));
	cr_assert_str_eq(strbuf_str(&sb), want, "base64(\"%s\")", in);
	n = sketch_json_unbase64(sb.buf, sb.len, back, sizeof(back));
	cr_assert_eq(n, (int)strlen(in), "unbase64(\"%s\"): %d bytes", want, n);
	cr_assert_eq(memcmp(back, in, n), 0, "unbase64(\"%s\")", want);
	strbuf_free(&sb);
}

/* RFC 4648 section 10's test vectors. */
Test(sketch_json, base64_rfc4648_vectors)
{
	b64("", "");
	b64("f", "Zg==");
	b64("fo", "Zm8=");
	b64("foo", "Zm9v");
	b64("foob", "Zm9vYg==");
	b64("fooba", "Zm9vYmE=");
	b64("foobar", "Zm9vYmFy");
}

Test(sketch_json, unbase64_refuses_what_is_not_base64)
{
	unsigned char out[8];

	cr_expect_eq(sketch_json_unbase64("Zm9", 3, out, sizeof(out)), -EINVAL, "length not 4k");
	cr_expect_eq(sketch_json_unbase64("Zm!v", 4, out, sizeof(out)), -EINVAL, "bad character");
	cr_expect_eq(sketch_json_unbase64("Z=9v", 4, out, sizeof(out)), -EINVAL, "padding inside");
	cr_expect_eq(sketch_json_unbase64("Zm9vYmFy", 8, out, 5), -EINVAL, "more than cap");
}

struct got {
	struct sketch_json_entry e[4];
	int n;
};

static int collect(void *ctx, const struct sketch_json_entry *e)
{
	struct got *g = ctx;

	if (g->n >= 4)
		return -E2BIG;
	g->e[g->n++] = *e;
	return 0;
}

static void render(struct strbuf *sb)
{
	sketch_clear(&a);
	sketch_clear(&b);
	for (uint64_t i = 0; i < 5000; i++)
		sketch_add_hash(&a, dn_sketch_hash4(i));
	sketch_raise(&b, 0, 1);
	sketch_raise(&b, 4095, DN_SKETCH_MAX_RANK);
	sketch_raise(&b, 1, 7);
	sketch_json_begin(sb, 1700000000.5, 60);
	sketch_json_add(sb, 1, "eth\"1", "ipv4", "scan", "1h", &a);
	sketch_json_add(sb, 0, "eth1", "all", "all", "24h", &b);
	sketch_json_end(sb);
}

Test(sketch_json, renders_the_documented_format)
{
	struct strbuf sb = STRBUF_INIT;
	const char *s;

	render(&sb);
	cr_assert_eq(sb.err, 0);
	s = strbuf_str(&sb);
	cr_expect(!strncmp(s, "{\"precision\":12,\"hash\":\"mix13-v1\",\"sensor_time\":"
			   "1700000000.500,\"interval_s\":60,\"sketches\":[", 87), "head: %.100s", s);
	cr_expect(strstr(s, "{\"iface\":\"eth\\\"1\",\"family\":\"ipv4\",\"class\":\"scan\","
			 "\"window\":\"1h\",\"registers\":\""), "first entry, iface escaped: %.300s", s);
	/* b: register 0 = 1, register 1 = 7, the rest 0 but the last = 53 */
	cr_expect(strstr(s, "\"registers\":\"AQcAAAAA"), "register r is byte r: %s",
		  strstr(s, "\"all\""));
	/* 4096 = 3 x 1365 + 1: the last register (53 = 0x35) alone, padded */
	cr_expect(strstr(s, "AAANQ==\"}\n]}\n"), "the last register ends the document");
	strbuf_free(&sb);
}

Test(sketch_json, parses_back_register_for_register)
{
	struct strbuf sb = STRBUF_INIT;
	struct got g = { .n = 0 };
	char err[256] = "";
	double t = 0;

	render(&sb);
	cr_assert_eq(sketch_json_parse(sb.buf, sb.len, collect, &g, &t, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(g.n, 2);
	cr_expect_float_eq(t, 1700000000.5, 1e-6);
	cr_expect_str_eq(g.e[0].iface, "eth\"1");
	cr_expect_str_eq(g.e[0].family, "ipv4");
	cr_expect_str_eq(g.e[0].cls, "scan");
	cr_expect_str_eq(g.e[0].window, "1h");
	cr_expect_eq(memcmp(&g.e[0].s, &a, sizeof(a)), 0, "sketch a back as it was");
	cr_expect_str_eq(g.e[1].window, "24h");
	cr_expect_eq(memcmp(&g.e[1].s, &b, sizeof(b)), 0, "sketch b back as it was");
	strbuf_free(&sb);
}

static int parse_err(const char *doc, char *err, size_t len)
{
	struct got g = { .n = 0 };

	return sketch_json_parse(doc, strlen(doc), collect, &g, NULL, err, len);
}

Test(sketch_json, refuses_other_precision_hash_and_bad_registers)
{
	char err[256];

	cr_expect_eq(parse_err("{\"precision\":14,\"hash\":\"mix13-v1\",\"sketches\":[]}", err,
			       sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "precision 14"), "%s", err);
	cr_expect_eq(parse_err("{\"precision\":12,\"hash\":\"fmix64\",\"sketches\":[]}", err,
			       sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "fmix64"), "%s", err);
	cr_expect_eq(parse_err("{\"precision\":12,\"hash\":\"mix13-v1\",\"sketches\":[{\"iface\":"
			       "\"x\",\"family\":\"ipv4\",\"class\":\"scan\",\"window\":\"5m\","
			       "\"registers\":\"AAAA\"}]}", err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "4096 bytes"), "%s", err);
	cr_expect_eq(parse_err("<html>", err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "not a JSON object"), "%s", err);
	cr_expect_eq(parse_err("{\"precision\":12,\"hash\":\"mix13-v1\",\"sketches\":[", err,
			       sizeof(err)), -EINVAL, "truncated");
	/* unknown fields are skipped, an empty list is fine */
	cr_expect_eq(parse_err("{\"precision\":12,\"hash\":\"mix13-v1\",\"x\":{\"y\":[1,true,null"
			       ",\"z\"]},\"sketches\":[]}", err, sizeof(err)), 0, "%s", err);
}

Test(sketch_json, refuses_a_rank_no_hash_can_give)
{
	struct strbuf sb = STRBUF_INIT;
	unsigned char regs[DN_SKETCH_REGS] = { [9] = DN_SKETCH_MAX_RANK + 1 };
	char err[256];

	strbuf_puts(&sb, "{\"precision\":12,\"hash\":\"mix13-v1\",\"sketches\":[{\"iface\":\"x\","
		    "\"family\":\"ipv4\",\"class\":\"scan\",\"window\":\"5m\",\"registers\":\"");
	sketch_json_base64(&sb, regs, sizeof(regs));
	strbuf_puts(&sb, "\"}]}");
	cr_expect_eq(parse_err(strbuf_str(&sb), err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "largest rank"), "%s", err);
	strbuf_free(&sb);
}
