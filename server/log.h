/* log.h - leveled logging to stderr for the daemons and the CLI, one line a message:
 * "2026-11-25T10:00:00Z info serve: listening on 127.0.0.1:8080". */
#ifndef LF_LOG_H
#define LF_LOG_H

#include <stdbool.h>

enum log_level {
    LOG_LEVEL_DEBUG,
    LOG_LEVEL_INFO,
    LOG_LEVEL_WARN,
    LOG_LEVEL_ERROR,
};

/* Sets the lowest level printed (default LOG_LEVEL_INFO). Thread-safe to call at start. */
void log_set_level(enum log_level level);

/* Parses "debug", "info", "warn", "error"; false for anything else. */
bool log_level_from_name(const char *name, enum log_level *out);

/* Prints one line at level when level is enabled. Thread-safe (one write per line). */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)

#endif
