/* events_file.c: the NDJSON events file: appends, size rotation with fsync, write errors counted, ids already written read back from its tail. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "events_file.h"

/* Open addressing over FNV-1a hashes; ids are short strings. */
struct ev_idset {
	char **slot;
	size_t cap, n;
};

static uint64_t fnv1a(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

int ev_idset_new(struct ev_idset **out)
{
	struct ev_idset *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->cap = 1024;
	s->slot = calloc(s->cap, sizeof(*s->slot));
	if (!s->slot) {
		free(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

static size_t find(const struct ev_idset *s, const char *id, size_t len)
{
	size_t i = fnv1a(id, len) & (s->cap - 1);

	while (s->slot[i] && (strlen(s->slot[i]) != len || memcmp(s->slot[i], id, len)))
		i = (i + 1) & (s->cap - 1);
	return i;
}

static int grow(struct ev_idset *s)
{
	struct ev_idset big = { .cap = s->cap * 2 };

	big.slot = calloc(big.cap, sizeof(*big.slot));
	if (!big.slot)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++)
		if (s->slot[i])
			big.slot[find(&big, s->slot[i], strlen(s->slot[i]))] = s->slot[i];
	free(s->slot);
	s->slot = big.slot;
	s->cap = big.cap;
	return 0;
}

int ev_idset_add(struct ev_idset *s, const char *id, size_t len)
{
	size_t i;

	if (s->n * 2 >= s->cap && grow(s))
		return -ENOMEM;
	i = find(s, id, len);
	if (s->slot[i])
		return 0;
	s->slot[i] = strndup(id, len);
	if (!s->slot[i])
		return -ENOMEM;
	s->n++;
	return 0;
}

bool ev_idset_has(const struct ev_idset *s, const char *id, size_t len)
{
	return s && s->slot[find(s, id, len)];
}

size_t ev_idset_size(const struct ev_idset *s)
{
	return s ? s->n : 0;
}

void ev_idset_free(struct ev_idset *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
	free(s);
}

int ev_idset_read_tail(struct ev_idset *s, const char *path, size_t tail_bytes)
{
	static const char key[] = "{\"id\":\"";
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = 0;
	struct stat st;
	char *buf = NULL;
	ssize_t got;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st)) {
		ret = -errno;
		goto cleanup;
	}
	if ((size_t)st.st_size < tail_bytes)
		tail_bytes = st.st_size;
	buf = malloc(tail_bytes + 1);
	if (!buf) {
		ret = -ENOMEM;
		goto cleanup;
	}
	got = pread(fd, buf, tail_bytes, st.st_size - tail_bytes);
	if (got < 0) {
		ret = -errno;
		goto cleanup;
	}
	buf[got] = '\0';
	/* Every line opens with its id (events_json.c); a line cut by the
	 * tail's start is skipped, as it does not start a line. */
	for (char *p = buf; p && !ret; p = strchr(p, '\n')) {
		char *end;

		if (*p == '\n')
			p++;
		if (strncmp(p, key, sizeof(key) - 1))
			continue;
		p += sizeof(key) - 1;
		end = strpbrk(p, "\"\n");
		if (end && *end == '"')
			ret = ev_idset_add(s, p, end - p);
	}
cleanup:
	free(buf);
	close(fd);
	return ret;
}

static int open_append(struct ev_file *f, char *err, size_t errlen)
{
	struct stat st;

	f->fd = open(f->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (f->fd < 0 || fstat(f->fd, &st)) {
		int ret = -errno;

		snprintf(err, errlen, "cannot open the events file %s: %s", f->path,
			 strerror(-ret));
		if (f->fd >= 0)
			close(f->fd);
		f->fd = -1;
		return ret;
	}
	f->size = st.st_size;
	return 0;
}

int ev_file_open(struct ev_file *f, const char *path, uint64_t max_bytes,
		 char *err, size_t errlen)
{
	int ret;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->max_bytes = max_bytes;
	f->path = strdup(path);
	if (f->path && asprintf(&f->rotated, "%s.1", path) < 0)
		f->rotated = NULL;
	ret = f->path && f->rotated ? ev_idset_new(&f->seen) : -ENOMEM;
	if (ret) {
		snprintf(err, errlen, "events file %s: %s", path, strerror(-ret));
		return ret;
	}
	/* unreadable tails only weaken the restart guarantee: the open
	 * decides whether the file is usable */
	ev_idset_read_tail(f->seen, f->rotated, EV_FILE_TAIL_BYTES);
	ev_idset_read_tail(f->seen, f->path, EV_FILE_TAIL_BYTES);
	return open_append(f, err, errlen);
}

void ev_file_close(struct ev_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	ev_idset_free(f->seen);
	f->seen = NULL;
	free(f->path);
	free(f->rotated);
	f->path = f->rotated = NULL;
}

bool ev_file_seen(const struct ev_file *f, const char *id)
{
	return ev_idset_has(f->seen, id, strlen(id));
}

static void fsync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd;

	if (!copy)
		return;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(copy);
}

/* The file's lines are on disk before it takes the rotated name, and the
 * rename is on disk before the new file gets lines. */
static int rotate(struct ev_file *f, char *err, size_t errlen)
{
	int ret = 0;

	if (fsync(f->fd) || rename(f->path, f->rotated)) {
		ret = -errno;
		snprintf(err, errlen, "cannot rotate the events file %s to %s: %s", f->path,
			 f->rotated, strerror(-ret));
		return ret;
	}
	close(f->fd);
	f->fd = -1;
	fsync_dir(f->path);
	f->rotations++;
	return open_append(f, err, errlen);
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		buf += n;
		len -= n;
	}
	return 0;
}

int ev_file_write(struct ev_file *f, const char *line, size_t len, char *err, size_t errlen)
{
	int ret = 0;

	if (f->fd < 0)
		ret = open_append(f, err, errlen);
	if (!ret && f->size && f->size + len > f->max_bytes)
		ret = rotate(f, err, errlen);
	if (!ret) {
		ret = write_all(f->fd, line, len);
		if (ret) {
			snprintf(err, errlen, "cannot write to the events file %s: %s", f->path,
				 strerror(-ret));
			/* no half line stays behind for the next one to join */
			if (ftruncate(f->fd, f->size)) {
				/* the write error is what gets reported */
			}
		} else {
			f->size += len;
		}
	}
	if (ret) {
		f->write_errors++;
		f->last_errno = -ret;
	} else {
		f->last_errno = 0;
	}
	return ret;
}
