/* bench_scrape.c: scrape CPU time, daemon RSS and kernel map memory (section 5). */
#include <stdio.h>
#include "bench.h"

int bench_section_scrape(struct bench *b)
{
	fprintf(b->out, "\n5. Scrape: not yet\n");
	return 0;
}
