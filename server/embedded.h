/* embedded.h - files compiled into the binary by tools/embed.c at build time: the
 * schema migrations (schema/NNNN_name.sql) and the dashboard (web/). */
#ifndef LF_EMBEDDED_H
#define LF_EMBEDDED_H

#include <stddef.h>

struct embedded_file {
    const char *name;          /* path relative to its folder: "0001_init.sql", "index.html" */
    const unsigned char *data; /* NUL-terminated for convenience; len excludes it */
    size_t len;
};

/* schema/NNNN_name.sql files in name order; ends with a { NULL } row. */
extern const struct embedded_file embedded_schema[];

/* web/ assets; ends with a { NULL } row. */
extern const struct embedded_file embedded_web[];

#endif
