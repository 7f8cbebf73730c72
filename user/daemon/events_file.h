/* events_file.h: the NDJSON events file: appends, size rotation with fsync, write errors counted, ids already written read back from its tail. */
#ifndef DN_EVENTS_FILE_H
#define DN_EVENTS_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EV_FILE_MAX_BYTES_DEFAULT (100ull << 20)
#define EV_FILE_MAX_BYTES_MIN 4096ull
/* How much of the end of the file (and of its rotated predecessor) is read
 * back at start for ids already written: far more than the events one
 * sweep can close between a write and the deletion of its entry. */
#define EV_FILE_TAIL_BYTES (1u << 20)

struct ev_idset;

struct ev_file {
	char *path;
	char *rotated;            /* path ".1" */
	int fd;                   /* -1: not open (the next write retries) */
	uint64_t size;
	uint64_t max_bytes;
	uint64_t write_errors;    /* lines not written (whole lines only) */
	uint64_t rotations;
	int last_errno;           /* 0 after a write succeeds */
	struct ev_idset *seen;    /* ids found in the tails at open */
};

/* Open path for appending (created 0640) and read the ids in the tails of
 * path and path.1. 0, or -errno with err naming the file: the writer stays
 * usable, with the file closed; each write tries to open it again and a
 * failure counts as a write error. */
int ev_file_open(struct ev_file *f, const char *path, uint64_t max_bytes,
		 char *err, size_t errlen);
void ev_file_close(struct ev_file *f);
/* Whether id was in the tails read at open (written by a predecessor). */
bool ev_file_seen(const struct ev_file *f, const char *id);
/* Append one line (len bytes, ending in '\n'); rotates first when it
 * would pass max_bytes (fsync, rename to path.1, fsync of the directory).
 * A line is written whole or not at all (a short write is cut back).
 * 0 or -errno with err naming the file; errors are counted. */
int ev_file_write(struct ev_file *f, const char *line, size_t len, char *err, size_t errlen);

/* The ids set, exposed for the unit tests. */
int ev_idset_new(struct ev_idset **s);
int ev_idset_add(struct ev_idset *s, const char *id, size_t len);
bool ev_idset_has(const struct ev_idset *s, const char *id, size_t len);
size_t ev_idset_size(const struct ev_idset *s);
void ev_idset_free(struct ev_idset *s);
/* Add every "id":"..." of the last tail_bytes of the file at path (a
 * missing file adds nothing). 0 or -errno. */
int ev_idset_read_tail(struct ev_idset *s, const char *path, size_t tail_bytes);

#endif
