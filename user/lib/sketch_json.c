/* sketch_json.c: the /api/v1/sketches JSON document: HyperLogLog registers in base64, rendered by a sensor and parsed by `darknet-counter union`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sketch_json.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void sketch_json_base64(struct strbuf *sb, const unsigned char *in, size_t n)
{
	char q[4];

	if (strbuf_reserve(sb, (n + 2) / 3 * 4))
		return;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
			     (i + 2 < n ? in[i + 2] : 0);

		q[0] = b64[v >> 18 & 63];
		q[1] = b64[v >> 12 & 63];
		q[2] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		q[3] = i + 2 < n ? b64[v & 63] : '=';
		strbuf_append(sb, q, 4);
	}
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p ? (int)(p - b64) : -1;
}

int sketch_json_unbase64(const char *text, size_t len, unsigned char *out, size_t cap)
{
	size_t n = 0;

	if (len % 4)
		return -EINVAL;
	for (size_t i = 0; i < len; i += 4) {
		int v[4], pad = 0;

		for (int j = 0; j < 4; j++) {
			bool last = i + 4 == len;

			v[j] = b64_value(text[i + j]);
			if (v[j] < 0 && last && j >= 2 && text[i + j] == '=' &&
			    (j == 3 || text[i + 3] == '=')) {
				v[j] = 0;
				pad++;
			} else if (v[j] < 0) {
				return -EINVAL;
			}
		}
		uint32_t w = (uint32_t)v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3];

		if (n + 3 - pad > cap)
			return -EINVAL;
		out[n++] = w >> 16;
		if (pad < 2)
			out[n++] = w >> 8 & 0xff;
		if (pad < 1)
			out[n++] = w & 0xff;
	}
	return (int)n;
}

/* A JSON string of ours: names only, so escape what JSON requires. */
static void put_string(struct strbuf *sb, const char *s)
{
	strbuf_putc(sb, '"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			strbuf_printf(sb, "\\%c", c);
		else if (c < 0x20)
			strbuf_printf(sb, "\\u%04x", c);
		else
			strbuf_putc(sb, c);
	}
	strbuf_putc(sb, '"');
}

void sketch_json_begin(struct strbuf *sb, double sensor_time, unsigned int interval_s)
{
	strbuf_printf(sb, "{\"precision\":%d,\"hash\":\"%s\",\"sensor_time\":%.3f,"
		      "\"interval_s\":%u,\"sketches\":[", DN_SKETCH_P, SKETCH_JSON_HASH,
		      sensor_time, interval_s);
}

void sketch_json_add(struct strbuf *sb, int first, const char *iface, const char *family,
		     const char *cls, const char *window, const struct dn_sketch *s)
{
	unsigned char regs[DN_SKETCH_REGS];

	/* register r is byte r whatever the host's byte order */
	for (unsigned int r = 0; r < DN_SKETCH_REGS; r++)
		regs[r] = sketch_get(s, r);
	strbuf_puts(sb, first ? "\n{\"iface\":" : ",\n{\"iface\":");
	put_string(sb, iface);
	strbuf_puts(sb, ",\"family\":");
	put_string(sb, family);
	strbuf_puts(sb, ",\"class\":");
	put_string(sb, cls);
	strbuf_puts(sb, ",\"window\":");
	put_string(sb, window);
	strbuf_puts(sb, ",\"registers\":\"");
	sketch_json_base64(sb, regs, sizeof(regs));
	strbuf_puts(sb, "\"}");
}

void sketch_json_end(struct strbuf *sb)
{
	strbuf_puts(sb, "\n]}\n");
}

/* The parser: recursive descent over the one document it needs. */
struct jp {
	const char *start, *p, *end;
	char *err;
	size_t errlen;
};

static int fail(struct jp *j, const char *what)
{
	snprintf(j->err, j->errlen, "sketch document, byte %zu: %s", (size_t)(j->p - j->start),
		 what);
	return -EINVAL;
}

static void ws(struct jp *j)
{
	while (j->p < j->end && strchr(" \t\r\n", *j->p) && *j->p)
		j->p++;
}

static bool eat(struct jp *j, char c)
{
	ws(j);
	if (j->p < j->end && *j->p == c) {
		j->p++;
		return true;
	}
	return false;
}

/* A string's raw text (escapes left in) between its quotes. */
static int raw_string(struct jp *j, const char **s, size_t *n)
{
	if (!eat(j, '"'))
		return fail(j, "expected a string");
	*s = j->p;
	while (j->p < j->end && *j->p != '"') {
		if ((unsigned char)*j->p < 0x20)
			return fail(j, "control character in a string");
		j->p += *j->p == '\\' ? 2 : 1;
	}
	if (j->p >= j->end)
		return fail(j, "unterminated string");
	*n = j->p - *s;
	j->p++;
	return 0;
}

/* A string decoded into out (cap bytes): escapes of ASCII; others as '?'. */
static int string(struct jp *j, char *out, size_t cap)
{
	const char *s;
	size_t n, o = 0;
	int ret = raw_string(j, &s, &n);

	for (size_t i = 0; !ret && i < n; i++) {
		char c = s[i];

		if (c == '\\') {
			c = s[++i];
			if (c == 'u') {
				unsigned int u = 0;

				if (i + 4 >= n || sscanf(s + i + 1, "%4x", &u) != 1)
					return fail(j, "bad \\u escape");
				i += 4;
				c = u < 0x80 ? (char)u : '?';
			} else {
				const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
				const char *k = c ? strchr(from, c) : NULL;

				if (!k)
					return fail(j, "bad escape");
				c = to[k - from];
			}
		}
		if (o + 1 >= cap)
			return fail(j, "string too long");
		out[o++] = c;
	}
	if (!ret)
		out[o] = '\0';
	return ret;
}

static int number(struct jp *j, double *v)
{
	char buf[64], *e;
	size_t n = 0;

	ws(j);
	while (j->p + n < j->end && n < sizeof(buf) - 1 && strchr("+-.eE0123456789", j->p[n]) &&
	       j->p[n])
		n++;
	memcpy(buf, j->p, n);
	buf[n] = '\0';
	*v = strtod(buf, &e);
	if (!n || *e)
		return fail(j, "expected a number");
	j->p += n;
	return 0;
}

static int skip_value(struct jp *j, int depth)
{
	const char *s;
	size_t n;
	double v;
	int ret = 0;

	if (depth > 16)
		return fail(j, "nested too deep");
	ws(j);
	if (j->p >= j->end)
		return fail(j, "unexpected end");
	if (*j->p == '"')
		return raw_string(j, &s, &n);
	if (*j->p == '{' || *j->p == '[') {
		char close = *j->p == '{' ? '}' : ']';

		j->p++;
		if (eat(j, close))
			return 0;
		do {
			if (close == '}' && (ret = raw_string(j, &s, &n)))
				return ret;
			if (close == '}' && !eat(j, ':'))
				return fail(j, "expected ':'");
			if ((ret = skip_value(j, depth + 1)))
				return ret;
		} while (eat(j, ','));
		return eat(j, close) ? 0 : fail(j, "expected ',' or the end of a list");
	}
	for (const char *const *w = (const char *const[]){ "true", "false", "null", NULL }; *w;
	     w++)
		if ((size_t)(j->end - j->p) >= strlen(*w) && !strncmp(j->p, *w, strlen(*w))) {
			j->p += strlen(*w);
			return 0;
		}
	return number(j, &v);
}

static int registers(struct jp *j, struct dn_sketch *out)
{
	unsigned char regs[DN_SKETCH_REGS];
	const char *s;
	size_t n;
	int ret = raw_string(j, &s, &n);

	if (ret)
		return ret;
	if (sketch_json_unbase64(s, n, regs, sizeof(regs)) != DN_SKETCH_REGS)
		return fail(j, "registers are not base64 of 4096 bytes");
	sketch_clear(out);
	for (unsigned int r = 0; r < DN_SKETCH_REGS; r++) {
		if (regs[r] > DN_SKETCH_MAX_RANK)
			return fail(j, "a register above the largest rank");
		sketch_raise(out, r, regs[r]);
	}
	return 0;
}

static int entry(struct jp *j, struct sketch_json_entry *e)
{
	char key[32];
	int ret = 0, have_regs = 0;

	memset(e, 0, sizeof(*e));
	if (!eat(j, '{'))
		return fail(j, "expected a sketch object");
	do {
		if ((ret = string(j, key, sizeof(key))))
			return ret;
		if (!eat(j, ':'))
			return fail(j, "expected ':'");
		if (!strcmp(key, "iface"))
			ret = string(j, e->iface, sizeof(e->iface));
		else if (!strcmp(key, "family"))
			ret = string(j, e->family, sizeof(e->family));
		else if (!strcmp(key, "class"))
			ret = string(j, e->cls, sizeof(e->cls));
		else if (!strcmp(key, "window"))
			ret = string(j, e->window, sizeof(e->window));
		else if (!strcmp(key, "registers") && ++have_regs)
			ret = registers(j, &e->s);
		else
			ret = skip_value(j, 1);
		if (ret)
			return ret;
	} while (eat(j, ','));
	if (!eat(j, '}'))
		return fail(j, "expected ',' or '}'");
	if (!have_regs || !e->family[0] || !e->cls[0] || !e->window[0])
		return fail(j, "a sketch without family, class, window or registers");
	return 0;
}

int sketch_json_parse(const char *text, size_t len, sketch_json_fn fn, void *ctx,
		      double *sensor_time, char *err, size_t errlen)
{
	struct jp j = { text, text, text + len, err, errlen };
	struct sketch_json_entry *e = malloc(sizeof(*e));
	int ret = 0, seen_precision = 0, seen_hash = 0;
	char key[32], hash[32];
	double v;

	if (!e)
		return -ENOMEM;
	if (!eat(&j, '{')) {
		ret = fail(&j, "not a JSON object");
		goto cleanup;
	}
	do {
		if ((ret = string(&j, key, sizeof(key))))
			goto cleanup;
		if (!eat(&j, ':')) {
			ret = fail(&j, "expected ':'");
			goto cleanup;
		}
		if (!strcmp(key, "precision")) {
			ret = number(&j, &v);
			if (!ret && v != DN_SKETCH_P) {
				snprintf(err, errlen, "sketch document: precision %g, this "
					 "program merges only precision %d", v, DN_SKETCH_P);
				ret = -EINVAL;
			}
			seen_precision = 1;
		} else if (!strcmp(key, "hash")) {
			ret = string(&j, hash, sizeof(hash));
			if (!ret && strcmp(hash, SKETCH_JSON_HASH)) {
				snprintf(err, errlen, "sketch document: hash \"%s\", this program "
					 "merges only \"%s\"", hash, SKETCH_JSON_HASH);
				ret = -EINVAL;
			}
			seen_hash = 1;
		} else if (!strcmp(key, "sensor_time")) {
			ret = number(&j, &v);
			if (!ret && sensor_time)
				*sensor_time = v;
		} else if (!strcmp(key, "sketches")) {
			if (!seen_precision || !seen_hash) {
				ret = fail(&j, "\"sketches\" before \"precision\" and \"hash\"");
				goto cleanup;
			}
			if (!eat(&j, '[')) {
				ret = fail(&j, "\"sketches\" is not a list");
				goto cleanup;
			}
			if (eat(&j, ']'))
				continue;
			do {
				ret = entry(&j, e) ?: fn(ctx, e);
			} while (!ret && eat(&j, ','));
			if (!ret && !eat(&j, ']'))
				ret = fail(&j, "expected ',' or ']'");
		} else {
			ret = skip_value(&j, 1);
		}
		if (ret)
			goto cleanup;
	} while (eat(&j, ','));
	if (!eat(&j, '}'))
		ret = fail(&j, "expected ',' or '}'");
	else if (!seen_precision || !seen_hash)
		ret = fail(&j, "no \"precision\" or \"hash\"");
cleanup:
	free(e);
	return ret;
}
