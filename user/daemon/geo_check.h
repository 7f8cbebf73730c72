/* geo_check.h: `darknet-counter geo-check`: validate geo databases, print their load time and table sizes. */
#ifndef DN_GEO_CHECK_H
#define DN_GEO_CHECK_H

/* argv[0] is "geo-check". Exit status: 0 valid, 1 refused, 2 usage. */
int geo_check_main(int argc, char **argv);

#endif
