/* strbuf.c: a growable byte buffer for rendering text. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

void strbuf_init(struct strbuf *sb)
{
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	sb->err = 0;
}

static int strbuf_fail(struct strbuf *sb, int err)
{
	sb->err = err;
	return err;
}

int strbuf_reserve(struct strbuf *sb, size_t extra)
{
	size_t need, cap;
	char *buf;

	if (sb->err)
		return sb->err;
	if (extra > SIZE_MAX - sb->len - 1)
		return strbuf_fail(sb, -ENOMEM);
	need = sb->len + extra + 1;
	if (need <= sb->cap)
		return 0;
	/* Doubling keeps a render of n bytes at O(n) copying overall. */
	cap = sb->cap ? sb->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	buf = realloc(sb->buf, cap);
	if (!buf)
		return strbuf_fail(sb, -ENOMEM);
	/* a fresh buffer reads as "" at once, as strbuf_str() promises */
	buf[sb->len] = '\0';
	sb->buf = buf;
	sb->cap = cap;
	return 0;
}

int strbuf_append(struct strbuf *sb, const void *data, size_t n)
{
	int ret = strbuf_reserve(sb, n);

	if (ret)
		return ret;
	if (n)
		memcpy(sb->buf + sb->len, data, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
	return 0;
}

int strbuf_puts(struct strbuf *sb, const char *s)
{
	return strbuf_append(sb, s, strlen(s));
}

int strbuf_putc(struct strbuf *sb, char c)
{
	return strbuf_append(sb, &c, 1);
}

int strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
{
	size_t room;
	va_list again;
	int n, ret;

	/* Try in the space we have: most lines fit, and then vsnprintf runs
	 * once. Reserve a little first so buf is never NULL here. */
	ret = strbuf_reserve(sb, 64);
	if (ret)
		return ret;
	room = sb->cap - sb->len;
	va_copy(again, ap);
	n = vsnprintf(sb->buf + sb->len, room, fmt, ap);
	if (n >= 0 && (size_t)n >= room) {
		ret = strbuf_reserve(sb, (size_t)n);
		if (!ret)
			n = vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, again);
	}
	va_end(again);
	if (ret)
		return ret;
	if (n < 0) {
		/* Only an invalid format gets here; restore the terminator. */
		sb->buf[sb->len] = '\0';
		return strbuf_fail(sb, -EINVAL);
	}
	sb->len += (size_t)n;
	return 0;
}

int strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = strbuf_vprintf(sb, fmt, ap);
	va_end(ap);
	return ret;
}

void strbuf_truncate(struct strbuf *sb, size_t len)
{
	if (len < sb->len) {
		sb->len = len;
		sb->buf[len] = '\0';
	}
}

void strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	sb->err = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

void strbuf_free(struct strbuf *sb)
{
	free(sb->buf);
	strbuf_init(sb);
}

const char *strbuf_str(const struct strbuf *sb)
{
	return sb->buf ? sb->buf : "";
}
