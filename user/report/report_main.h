/* report_main.h: the entry of `darknet-counter report`, called by the daemon's main(). */
#ifndef DN_REPORT_MAIN_H
#define DN_REPORT_MAIN_H

/* argv[0] is "report"; returns the process exit status (0, 1 error, 2 usage). */
int report_main(int argc, char **argv);

#endif
