/* test_strbuf.c: the growable buffer: appends, printf, growth, sticky errors. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

Test(strbuf, empty_buffer_reads_as_empty_string)
{
	struct strbuf sb = STRBUF_INIT;

	cr_expect_str_eq(strbuf_str(&sb), "", "empty: \"\"");
	cr_expect_eq(sb.len, 0, "empty: len 0");
	strbuf_free(&sb);
}

Test(strbuf, appends_concatenate)
{
	struct strbuf sb = STRBUF_INIT;

	cr_assert_eq(strbuf_puts(&sb, "darknet"), 0, "append: puts");
	cr_assert_eq(strbuf_putc(&sb, '_'), 0, "append: putc");
	cr_assert_eq(strbuf_append(&sb, "packets_totalXYZ", 13), 0, "append: bytes");
	cr_assert_eq(strbuf_printf(&sb, "{port=\"%u\"} %d", 23u, 5), 0, "append: printf");
	cr_expect_str_eq(strbuf_str(&sb), "darknet_packets_total{port=\"23\"} 5", "append: content");
	cr_expect_eq(sb.len, strlen("darknet_packets_total{port=\"23\"} 5"), "append: len");
	strbuf_free(&sb);
	cr_expect_null(sb.buf, "free: storage released");
	cr_expect_eq(sb.len + sb.cap, 0, "free: reset to empty");
}

Test(strbuf, binary_data_with_nul_bytes)
{
	struct strbuf sb = STRBUF_INIT;
	static const char data[] = { 'a', 0, 'b', 0 };

	cr_assert_eq(strbuf_append(&sb, data, sizeof(data)), 0, "binary: append");
	cr_expect_eq(sb.len, 4, "binary: len counts NULs");
	cr_expect_arr_eq(sb.buf, data, sizeof(data), "binary: bytes kept");
	cr_expect_eq(sb.buf[4], 0, "binary: terminated after the data");
	strbuf_free(&sb);
}

Test(strbuf, printf_longer_than_the_free_space_grows)
{
	struct strbuf sb = STRBUF_INIT;
	char big[5000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_eq(strbuf_puts(&sb, "<"), 0, "printf grow: first");
	/* Longer than both the first allocation and the in-place attempt. */
	cr_assert_eq(strbuf_printf(&sb, "%s|%s", big, big), 0, "printf grow: long");
	cr_assert_eq(strbuf_puts(&sb, ">"), 0, "printf grow: after");
	cr_expect_eq(sb.len, 2 * 4999 + 3, "printf grow: len");
	cr_expect_eq(sb.buf[0], '<', "printf grow: head kept");
	cr_expect_eq(sb.buf[5000], '|', "printf grow: middle");
	cr_expect_eq(sb.buf[sb.len - 1], '>', "printf grow: tail");
	cr_expect_eq(strlen(sb.buf), sb.len, "printf grow: terminated");
	strbuf_free(&sb);
}

Test(strbuf, many_small_appends)
{
	struct strbuf sb = STRBUF_INIT;

	for (int i = 0; i < 100000; i++)
		cr_assert_eq(strbuf_printf(&sb, "%d\n", i % 10), 0, "many: append %d", i);
	cr_expect_eq(sb.len, 200000, "many: len");
	cr_expect_eq(memcmp(sb.buf + 199998, "9\n", 3), 0, "many: last line and NUL");
	strbuf_free(&sb);
}

Test(strbuf, reset_keeps_memory_truncate_cuts)
{
	struct strbuf sb = STRBUF_INIT;
	char *before;
	size_t cap;

	strbuf_puts(&sb, "hello world");
	strbuf_truncate(&sb, 5);
	cr_expect_str_eq(strbuf_str(&sb), "hello", "truncate: cut");
	strbuf_truncate(&sb, 50);
	cr_expect_str_eq(strbuf_str(&sb), "hello", "truncate: longer length is a no-op");
	before = sb.buf;
	cap = sb.cap;
	strbuf_reset(&sb);
	cr_expect_eq(sb.len, 0, "reset: empty");
	cr_expect_str_eq(strbuf_str(&sb), "", "reset: reads empty");
	cr_expect_eq(sb.buf, before, "reset: same storage");
	cr_expect_eq(sb.cap, cap, "reset: same capacity");
	strbuf_free(&sb);
}

Test(strbuf, out_of_memory_is_sticky_until_reset)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_puts(&sb, "kept");
	cr_expect_eq(strbuf_reserve(&sb, SIZE_MAX - 2), -ENOMEM, "oom: size overflow");
	cr_expect_eq(sb.err, -ENOMEM, "oom: recorded");
	cr_expect_eq(strbuf_puts(&sb, "more"), -ENOMEM, "oom: later append refused");
	cr_expect_eq(strbuf_printf(&sb, "%d", 1), -ENOMEM, "oom: later printf refused");
	cr_expect_str_eq(strbuf_str(&sb), "kept", "oom: content untouched");
	strbuf_reset(&sb);
	cr_expect_eq(sb.err, 0, "oom: reset clears the error");
	cr_expect_eq(strbuf_puts(&sb, "ok"), 0, "oom: usable after reset");
	/* An allocation the allocator refuses, not just an overflow. */
	cr_expect_eq(strbuf_reserve(&sb, (size_t)1 << 62), -ENOMEM, "oom: realloc failure");
	cr_expect_str_eq(strbuf_str(&sb), "ok", "oom: content kept after realloc failure");
	strbuf_free(&sb);
	cr_expect_eq(sb.err, 0, "free: error cleared");
}

/* A reserve on a fresh buffer hands out memory: it must already read as
 * the empty string (the heap is dirtied first so that luck cannot pass). */
Test(strbuf, reserve_on_a_fresh_buffer_is_terminated)
{
	struct strbuf sb;
	char *dirty;

	for (size_t size = 256; size <= 4096; size *= 2) {
		dirty = malloc(size);
		cr_assert_not_null(dirty);
		memset(dirty, 'x', size);
		free(dirty);
		strbuf_init(&sb);
		cr_assert_eq(strbuf_reserve(&sb, size - 1), 0, "reserve %zu", size - 1);
		cr_expect_eq(sb.buf[sb.len], '\0', "reserve %zu: buf[len] is %#x", size - 1,
			     (unsigned char)sb.buf[sb.len]);
		cr_expect_str_eq(strbuf_str(&sb), "", "reserve %zu: content", size - 1);
		strbuf_free(&sb);
	}
}
