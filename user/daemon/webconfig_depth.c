/* webconfig_depth.c: refuses web config files whose flow collections nest too deep for libyaml. */
#include <errno.h>
#include <yaml.h>
#include "webconfig.h"

/* libyaml's scanner walks its stack of possible simple keys, one entry per
 * open flow collection, at every token: n nested '[' or '{' cost O(n^2)
 * (20,000 '{a: ' take 2.6 s; a 1 MiB file minutes). The web config needs at
 * most two levels. Before the file is loaded, its tokens are read with
 * libyaml's own scanner (no guessing at quotes or comments) and the reading
 * stops at the first collection deeper than WEBCONFIG_MAX_DEPTH: the
 * scanner never holds more than that many levels plus its bounded
 * lookahead (a simple key is at most 1024 characters), so the check is
 * linear in the file. A scan error is left to the load to report. */
int webconfig_check_depth(const char *text, size_t len, size_t *line)
{
	yaml_parser_t y;
	yaml_token_t t;
	size_t depth = 0;
	int ret = 0;

	yaml_parser_initialize(&y);
	yaml_parser_set_input_string(&y, (const unsigned char *)text, len);
	while (!ret && yaml_parser_scan(&y, &t)) {
		yaml_token_type_t type = t.type;

		if (type == YAML_FLOW_SEQUENCE_START_TOKEN ||
		    type == YAML_FLOW_MAPPING_START_TOKEN) {
			if (++depth > WEBCONFIG_MAX_DEPTH) {
				*line = t.start_mark.line + 1;
				ret = -E2BIG;
			}
		} else if ((type == YAML_FLOW_SEQUENCE_END_TOKEN ||
			    type == YAML_FLOW_MAPPING_END_TOKEN) && depth) {
			depth--;
		}
		yaml_token_delete(&t);
		if (type == YAML_STREAM_END_TOKEN)
			break;
	}
	yaml_parser_delete(&y);
	return ret;
}
