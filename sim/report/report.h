/* report.h — what the report writer (report.c) needs from its folder helper (dir.c). Internal
 * to libppsim; prefix ppsr_. */
#ifndef PPSR_REPORT_H
#define PPSR_REPORT_H

#include "ppsim.h"

/* The first bytes of every index.md ppsim writes: an HTML comment, invisible on GitHub, by which
 * a later run knows the folder is a report it may replace. */
#define PPSR_REPORT_MARKER "<!-- ppsim report"

/* Makes a fresh folder beside dir, "DIR.new.XXXXXX", for the report to be built in; the caller
 * frees *tmp. */
pps_status ppsr_dir_stage(const char *dir, char **tmp, pps_error *err);
/* Puts folder tmp in dir's place: renamed when dir does not exist; else, when dir is empty or a
 * ppsim report holding only files, exchanged with it in one step (renameat2 RENAME_EXCHANGE;
 * two renames where the filesystem lacks it) and the old one removed. Anything else at dir is
 * refused (PPS_EIO naming why) and left alone; tmp then stays for the caller to remove. */
pps_status ppsr_dir_replace(const char *tmp, const char *dir, pps_error *err);
/* Removes a folder of files (no subfolders), ignoring failures. */
void ppsr_dir_remove(const char *dir);

#endif
