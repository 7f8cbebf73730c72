/* test_port_read.c: one port's split counter (high part + low byte) read as a pair, or refused while it carries. */
#include <errno.h>
#include <string.h>
#include <criterion/criterion.h>
#include "darknet_counter.h"
#include "port_read.h"

/* Eight low bytes as the program stores them: byte s is slot s. */
static __u64 low_word(const __u8 bytes[8])
{
	__u64 w;

	memcpy(&w, bytes, sizeof(w));
	return w;
}

Test(port_read, adds_high_and_low_per_slot)
{
	__u64 high[DN_TCP_PORT_SLOTS] = { 255, 0, 510, 0, 0, 0, 7650, 0 };
	__u8 bytes[8] = { 1, 2, 0, 0, 0, 0, 254, 0 };
	__u64 low = low_word(bytes), sum[DN_TCP_PORT_SLOTS] = { 10 };

	cr_assert_eq(port_read_one(high, &low, DN_TCP_PORT_SLOTS, sum), 0);
	cr_expect_eq(sum[0], 10 + 256, "slot 0 adds to what sum held");
	cr_expect_eq(sum[1], 2);
	cr_expect_eq(sum[2], 510);
	cr_expect_eq(sum[6], 7650 + 254);
}

Test(port_read, a_busy_byte_is_read_again)
{
	__u64 high[DN_TCP_PORT_SLOTS] = { 255 }, sum[DN_TCP_PORT_SLOTS] = { 0 };
	__u8 bytes[8] = { 3, 0, 0, DN_PORT_LOW_BUSY, 0, 0, 0, 0 };
	__u64 low = low_word(bytes);

	cr_assert_eq(port_read_one(high, &low, DN_TCP_PORT_SLOTS, sum), -EAGAIN);
	for (int s = 0; s < DN_TCP_PORT_SLOTS; s++)
		cr_expect_eq(sum[s], 0, "a refused read leaves slot %d of sum alone", s);
}

Test(port_read, only_the_slots_asked_for)
{
	/* UDP has five slots: bytes past them are not counters */
	__u64 high[DN_UDP_PORT_SLOTS] = { 0, 0, 0, 0, 255 }, sum[DN_UDP_PORT_SLOTS] = { 0 };
	__u8 bytes[8] = { 0, 0, 0, 0, 9, DN_PORT_LOW_BUSY, 77, 77 };
	__u64 low = low_word(bytes);

	cr_assert_eq(port_read_one(high, &low, DN_UDP_PORT_SLOTS, sum), 0);
	cr_expect_eq(sum[DN_UDP_SLOT_UDP_PROBE], 264);
}
