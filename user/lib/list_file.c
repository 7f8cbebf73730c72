/* list_file.c: opening a list file (regular files only) and reading it in bounded lines. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "list_file.h"

int list_file_open(const char *path, FILE **f, char *reason, size_t len)
{
	struct stat st;
	int fd, flags, ret;

	/* O_NONBLOCK: open(2) of a FIFO with no writer would wait forever */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		ret = -errno;
		snprintf(reason, len, "%s", strerror(errno));
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		snprintf(reason, len, "%s", strerror(errno));
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		snprintf(reason, len, "%s", S_ISDIR(st.st_mode) ? "is a directory" :
			 "not a regular file");
		goto cleanup;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) || !(*f = fdopen(fd, "r"))) {
		ret = -errno;
		snprintf(reason, len, "%s", strerror(errno));
		goto cleanup;
	}
	return 0;
cleanup:
	close(fd);
	return ret;
}

int list_file_line(FILE *f, char *buf, size_t cap, size_t *n)
{
	size_t max = cap - 1 < DN_LIST_MAX_LINE ? cap - 1 : DN_LIST_MAX_LINE;
	int c;

	*n = 0;
	errno = 0;
	while ((c = getc_unlocked(f)) != EOF) {
		if (*n == max) {
			buf[*n] = '\0';
			return -E2BIG;
		}
		buf[(*n)++] = (char)c;
		if (c == '\n')
			break;
	}
	buf[*n] = '\0';
	/* EOF is also what a failed read returns: ferror() tells them apart */
	if (c == EOF && ferror(f))
		return errno ? -errno : -EIO;
	return *n ? 1 : 0;
}

static int visible_name(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Byte order, not alphasort()'s strcoll(): the load order (and so the ids
 * given to orgs) must not depend on the daemon's locale. */
static int name_order(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int list_dir_each(const char *dir, int (*fn)(void *ctx, const char *path), void *ctx,
		  char *reason, size_t len)
{
	struct dirent **names;
	char path[PATH_MAX];
	struct stat st;
	int n, ret = 0;

	n = scandir(dir, &names, visible_name, name_order);
	if (n < 0) {
		ret = -errno;
		snprintf(reason, len, "%s", strerror(errno));
		return ret;
	}
	for (int i = 0; i < n; i++) {
		if (!ret) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
			/* stat, not d_type: a symlink to a list file is a list
			 * file; subdirectories, sockets and the like are not. */
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
				ret = fn(ctx, path);
		}
		free(names[i]);
	}
	free(names);
	return ret;
}
