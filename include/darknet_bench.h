/* darknet_bench.h: the packed frame stream the bench's XDP programs replay, shared by kernel and user side. */
#ifndef DARKNET_BENCH_H
#define DARKNET_BENCH_H

#include <linux/types.h>

/* BPF_PROG_TEST_RUN replays one frame; to make consecutive packets differ,
 * the bench's harness and generator programs rewrite the frame from a stream
 * of pre-generated mix frames. The stream is packed back to back as real
 * packets are (the nicter mix has 560-byte fragments beside 54-byte SYNs, so
 * fixed slots would multiply the bytes every packet drags through the
 * cache): records of struct bench_rec, 8-byte aligned, in the values of the
 * mix_blobs ARRAY map, BENCH_BLOB_SIZE bytes each. */
#define BENCH_BLOB_SIZE (1u << 20)
#define BENCH_FRAME_MAX 1600   /* = FRAME_MAX of user/frame.h */

/* A record never starts past this offset, so that the longest one fits in
 * its blob. A writer whose next record would start past it, and a reader
 * reaching it, both go on at offset 0 of the next blob; a record of length
 * 0 also ends a blob (the stream's last blob ends with one, then wraps). */
#define BENCH_REC_LIMIT (BENCH_BLOB_SIZE - sizeof(struct bench_rec) - BENCH_FRAME_MAX)

struct bench_rec {
	__u16 len;       /* frame bytes that follow; 0 = go to the next blob */
	__u16 pad[3];
	/* __u8 data[len], then padding to 8 bytes */
};

#ifndef __bpf__
_Static_assert(sizeof(struct bench_rec) == 8, "record header");
#endif

#endif /* DARKNET_BENCH_H */
