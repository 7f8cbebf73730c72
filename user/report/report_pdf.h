/* report_pdf.h: printing the report's HTML page to PDF with headless Chromium. */
#ifndef DN_REPORT_PDF_H
#define DN_REPORT_PDF_H

#include <stddef.h>

/* 0 with the path of a Chromium to run, or -ENOENT. */
int rpt_find_chromium(char *path, size_t n);
int rpt_print_pdf(const char *chromium, const char *html, const char *pdf,
		  char *err, size_t errlen);

#endif
