/* report_json.h: the report's figures as a JSON document. */
#ifndef DN_REPORT_JSON_H
#define DN_REPORT_JSON_H

#include <jansson.h>
#include "report.h"

/* A new reference; NULL only when out of memory. */
json_t *rpt_json(const struct rpt_report *r);
int rpt_write_json(const struct rpt_report *r, const char *path, char *err, size_t errlen);

#endif
