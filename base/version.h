/* version.h - the version of leakfleet and leakfleet-agent (`--version` of both). */
#ifndef LF_VERSION_H
#define LF_VERSION_H

#define LEAKFLEET_VERSION "0.1.0"

#endif
