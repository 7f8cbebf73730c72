/* list_file.h: opening a list file (regular files only) and reading it in bounded lines. */
#ifndef DN_LIST_FILE_H
#define DN_LIST_FILE_H

#include <stddef.h>
#include <stdio.h>

/* Longest line a list file may have, newline included. A CIDR, an org name
 * and a comment fit many times over; a file that is one endless line (a
 * device, a file being overwritten with binary data) is refused instead of
 * read into memory (docs/hardening.md). */
#define DN_LIST_MAX_LINE 4096

/* Open path for reading if it is a regular file (a symlink to one is).
 * Opened non-blocking first so that a FIFO cannot hang the daemon before
 * it is refused. 0 and *f, or -errno with the reason (without the path) in
 * reason: "not a regular file", "is a directory", strerror(). */
int list_file_open(const char *path, FILE **f, char *reason, size_t len);

/* Read one line into buf (cap >= DN_LIST_MAX_LINE + 1), NUL-terminated,
 * its length (newline included, NULs counted) in *n. Returns 1 for a line,
 * 0 at the end of the file, -E2BIG for a line longer than
 * DN_LIST_MAX_LINE, or -errno for a read error (never taken for the end). */
int list_file_line(FILE *f, char *buf, size_t cap, size_t *n);

/* Call fn(ctx, path) for every regular file in dir (symlinks to one
 * included) whose name does not start with '.', in byte order of the names,
 * until one returns non-zero: its value. -errno with reason set when dir
 * cannot be listed (reason untouched otherwise). */
int list_dir_each(const char *dir, int (*fn)(void *ctx, const char *path), void *ctx,
		  char *reason, size_t len);

#endif
