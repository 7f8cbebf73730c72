/* union.h: `darknet-counter union URL...`: the distinct sources of several sensors together, by merging their /api/v1/sketches. */
#ifndef DN_UNION_H
#define DN_UNION_H

/* argv[0] is "union". Exit code: 0, 1 (a sensor failed), 2 (usage). */
int union_main(int argc, char **argv);

#endif
