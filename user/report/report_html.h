/* report_html.h: the report as one self-contained HTML page (inline SVG and CSS, no script). */
#ifndef DN_REPORT_HTML_H
#define DN_REPORT_HTML_H

#include "report.h"
#include "strbuf.h"

/* 0, or -ENOMEM with the page incomplete. */
int rpt_render_html(const struct rpt_report *r, struct strbuf *sb);

/* report_sections.c: the sections after the time charts. */
void rpt_section_open(struct strbuf *sb, const char *id, const char *title);
void rpt_section_close(struct strbuf *sb);
/* What a section counts and how; caption text is trusted HTML. */
void rpt_caption(struct strbuf *sb, const char *html);
/* One line in place of a section whose data is absent. */
void rpt_absent(struct strbuf *sb, const char *title, const char *why);
/* "23/tcp" -> "23/TCP" as NICTER writes ports. */
void rpt_port_label(const char *key, char *buf, size_t n);

void rpt_html_ports(struct strbuf *sb, const struct rpt_report *r);
void rpt_html_orgs(struct strbuf *sb, const struct rpt_report *r);
void rpt_html_classes(struct strbuf *sb, const struct rpt_report *r);
void rpt_html_movers(struct strbuf *sb, const struct rpt_report *r);
void rpt_html_class_sources(struct strbuf *sb, const struct rpt_report *r);

#endif
