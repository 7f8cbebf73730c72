/* bench_stream.c: packs pre-generated mix frames into the blobs the bench's XDP programs replay. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "bench.h"

static size_t rec_size(size_t len)
{
	return sizeof(struct bench_rec) + ((len + 7) & ~(size_t)7);
}

/* Blobs needed: the same walk as the packing below, without writing. */
static uint32_t count_blobs(const struct mix_frames *f)
{
	uint32_t blobs = 1;
	size_t off = 0;

	for (size_t i = 0; i < f->n; i++) {
		if (off > BENCH_REC_LIMIT) {
			blobs++;
			off = 0;
		}
		off += rec_size(f->info[i].len);
	}
	return blobs;
}

int bench_stream_pack(const struct mix_frames *f, struct bench_stream *s)
{
	struct bench_rec *r;
	uint32_t blob = 0;
	size_t off = 0;

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < f->n; i++)
		if (f->info[i].len > BENCH_FRAME_MAX || f->info[i].len < 14)
			return -E2BIG;
	s->nr_blobs = count_blobs(f);
	/* calloc: a zero header after the last record ends the stream */
	s->blobs = calloc(s->nr_blobs, BENCH_BLOB_SIZE);
	if (!s->blobs)
		return -ENOMEM;
	for (size_t i = 0; i < f->n; i++) {
		if (off > BENCH_REC_LIMIT) {
			blob++;
			off = 0;
		}
		r = (struct bench_rec *)(s->blobs + (size_t)blob * BENCH_BLOB_SIZE + off);
		r->len = f->info[i].len;
		memcpy(r + 1, mix_frame(f, i), r->len);
		off += rec_size(r->len);
		s->bytes += r->len;
	}
	s->nr_frames = f->n;
	return 0;
}

int bench_stream_store(const struct bench_stream *s, int map_fd)
{
	for (uint32_t i = 0; i < s->nr_blobs; i++)
		if (bpf_map_update_elem(map_fd, &i, s->blobs + (size_t)i * BENCH_BLOB_SIZE, 0))
			return -errno;
	return 0;
}

void bench_stream_free(struct bench_stream *s)
{
	free(s->blobs);
	memset(s, 0, sizeof(*s));
}
