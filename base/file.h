/* file.h - reading a whole file, capped: the one loader of the configuration, rules and
 * CODEOWNERS files, the agent's discovery files and token, and its spooled profiles. */
#ifndef LF_FILE_H
#define LF_FILE_H

#include <stddef.h>

#include "error.h"

/* Reads the whole file at path into a new NUL-terminated buffer (caller lf_frees *out):
 * LF_OK with *out and *out_len set. Fails, with *out NULL and err's message the bare
 * reason for the caller to prefix with the path: LF_ENOTFOUND (no such file, strerror),
 * LF_ETOOBIG when it holds more than max bytes ("larger than MAX bytes"), LF_EIO
 * (strerror), LF_ENOMEM. Reads to the end rather than trusting the size fstat gives, so
 * a file that grows while read is still capped. */
int file_load(const char *path, size_t max, char **out, size_t *out_len, struct lf_error *err);

#endif
