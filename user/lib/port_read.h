/* port_read.h: reads the split port counters (low byte + high part, struct dn_port_low) consistently. */
#ifndef DN_PORT_READ_H
#define DN_PORT_READ_H

#include <stddef.h>
#include <linux/types.h>

/* One port of one CPU: slots high parts and the 8 low bytes, read as a
 * pair that the program had at one instant. Adds high + low per slot to
 * sum and returns 0, or returns -EAGAIN (sum untouched) while a carry is
 * under way: a busy byte, or the high part moved during the read. */
int port_read_one(const __u64 *high, const __u64 *low, unsigned int slots, __u64 *sum);

/* Sum a low table and its high table (values of high_size bytes, slots
 * used) over every CPU block into out, DN_PORT_KEYS values of high_size
 * bytes. Both maps are mmap-ed read-only for the read. 0 or -errno;
 * -EBUSY if a carry stayed under way for a whole second. */
int port_tables_read(int low_fd, int high_fd, size_t high_size, unsigned int slots, void *out);

#endif
