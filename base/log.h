/* log.h - leveled logging to stderr for the daemons and the CLI, one line an event,
 * whatever the message holds (line-based shippers never split one), in logfmt:
 *   ts=2026-11-25T10:00:00.123Z level=info msg="serve: listening on 127.0.0.1:8080"
 *   ts=2026-11-25T10:00:30.004Z level=info msg="detection pass" sites=412 suspects=3
 * or, with log_set_format(LOG_FORMAT_JSON), one JSON object a line with the same keys
 * (values that are plain numbers as numbers). */
#ifndef LF_LOG_H
#define LF_LOG_H

#include <stdbool.h>

enum log_level {
    LOG_LEVEL_DEBUG,
    LOG_LEVEL_INFO,
    LOG_LEVEL_WARN,
    LOG_LEVEL_ERROR,
};

enum log_format {
    LOG_FORMAT_LOGFMT, /* the default */
    LOG_FORMAT_JSON,
};

/* Sets the lowest level printed (default LOG_LEVEL_INFO). Thread-safe to call at start. */
void log_set_level(enum log_level level);

/* Parses "debug", "info", "warn", "error"; false for anything else. */
bool log_level_from_name(const char *name, enum log_level *out);

/* Sets the line format (default LOG_FORMAT_LOGFMT). Call at start, before threads. */
void log_set_format(enum log_format format);

/* Parses "logfmt", "json"; false for anything else. */
bool log_format_from_name(const char *name, enum log_format *out);

/* Prints one line at level when level is enabled: the formatted text is the msg value,
 * quoted and escaped (a newline in it becomes \n). Thread-safe (one write per line). */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints one event: msg, then key/value pairs of strings up to a NULL key; a NULL value
 * leaves its key out. Keys are the caller's words ([a-z_]); values are quoted and escaped
 * as needed. Lines are capped at 4 KiB (a long value is cut, its quotes closed). */
void log_fields(enum log_level level, const char *msg, ...) __attribute__((sentinel));

#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)

#endif
