/* pathname.c: interface and network namespace names that become path components, checked. */
#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "pathname.h"

static bool is_dot_or_dotdot(const char *name)
{
	return !strcmp(name, ".") || !strcmp(name, "..");
}

int pathname_check_ifname(const char *name, char *err, size_t errlen)
{
	const char *why = NULL;

	if (!name[0])
		why = "is empty";
	else if (strlen(name) >= IFNAMSIZ)
		why = "is longer than 15 bytes";
	else if (is_dot_or_dotdot(name))
		why = "is not a name";
	for (const char *p = name; !why && *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p))
			why = "has '/', ':' or white space in it";
	if (!why)
		return 0;
	snprintf(err, errlen, "invalid interface name '%.*s': %s", 64, name, why);
	return -EINVAL;
}

int pathname_check_netns(const char *name, char *err, size_t errlen)
{
	const char *why = NULL;

	if (!name[0])
		why = "is empty";
	else if (strlen(name) >= NAME_MAX)
		why = "is too long";
	else if (is_dot_or_dotdot(name))
		why = "is not a name";
	else if (strchr(name, '/'))
		why = "has '/' in it";
	if (!why)
		return 0;
	snprintf(err, errlen, "invalid network namespace name '%.*s': %s", 64, name, why);
	return -EINVAL;
}
