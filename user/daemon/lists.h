/* lists.h: the darknet and scanner lists from the command line and files, loaded and reloaded. */
#ifndef DN_LISTS_H
#define DN_LISTS_H

#include <stdbool.h>
#include <stdint.h>
#include "config.h"
#include "prefix.h"

struct dn_lists {
	struct dn_prefix_list darknets;
	struct dn_prefix_list scanners;
	int64_t newest_mtime;    /* ns, of every list file read, to notice changes */
};

/* Read --darknet, --darknet-file and --scanners into l. With no --darknet
 * and no --darknet-file, 0.0.0.0/0 and ::/0: every IP packet counts; a
 * --darknet-file that yields no prefix is an error. 0 or -errno with "--option
 * file:line: reason" in err; l is untouched on error. */
int lists_load(const struct dn_config *cfg, struct dn_lists *l, char *err, size_t errlen);
void lists_free(struct dn_lists *l);
/* Newest modification time in ns of every list path (directories: of their
 * files), or of one path; 0 when unreadable. */
int64_t lists_newest_mtime(const struct dn_config *cfg);
int64_t lists_path_mtime(const char *path);

#endif
