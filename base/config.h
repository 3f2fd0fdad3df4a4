/* config.h - the YAML configuration file, read with libyaml into a generic tree of
 * maps, sequences and scalars, and typed accessors by dotted path ("detect.threshold",
 * "tokens.0.token"). Errors carry file:line:column ("config.yaml:7:12:
 * detect.threshold: expected an integer"). Anchors and aliases are expanded under a
 * node budget and nesting is capped, so a small file cannot become a large tree. */
#ifndef LF_CONFIG_H
#define LF_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define CONFIG_MAX_BYTES   ((size_t)1 << 20) /* largest config file accepted */
#define CONFIG_MAX_DEPTH   64                /* deepest nesting of maps and sequences */
#define CONFIG_MAX_NODES   20000             /* nodes after alias expansion */
#define CONFIG_MAX_ANCHORS 1024              /* distinct anchors (&name) in one file */

enum config_type {
    CONFIG_NULL,   /* an empty value, `~` or `null` (plain, not quoted) */
    CONFIG_SCALAR, /* any other scalar; its text is config_node_scalar() */
    CONFIG_MAP,
    CONFIG_SEQ,
};

struct config;
struct config_node;

/* Parses len bytes of YAML (copied, not kept) (one document; an empty one is an empty map; the root
 * must be a map). name labels errors ("config.yaml"; NULL gives "config"). Returns a new config
 * (caller frees with config_free), or NULL with err set: LF_EINVAL for YAML syntax errors,
 * duplicate keys, non-scalar keys, a non-map root or more than one document, an alias to an unknown
 * anchor (message "NAME:LINE:COL: ..."), LF_ETOOBIG past CONFIG_MAX_BYTES, CONFIG_MAX_DEPTH,
 * CONFIG_MAX_NODES or CONFIG_MAX_ANCHORS, LF_ENOMEM. */
struct config *config_parse(const char *buf, size_t len, const char *name, struct lf_error *err);

/* As config_parse, for a document whose top level is a list (an empty one is an empty
 * list), such as a file of Prometheus target groups; its items' paths are "0", "1.labels". */
struct config *config_parse_list(const char *buf, size_t len, const char *name,
                                 struct lf_error *err);

/* Reads and parses the file at path (errors name the path). As config_parse, plus
 * LF_EIO when the file cannot be read. */
struct config *config_load(const char *path, struct lf_error *err);

/* Frees cfg and every node; NULL does nothing. */
void config_free(struct config *cfg);

/* The name used in messages (borrowed, valid until config_free). */
const char *config_name(const struct config *cfg);

/* The root map (borrowed). */
const struct config_node *config_root(const struct config *cfg);

/* The node at dotted_path below from (NULL = the root of cfg): segments name map keys,
 * or index sequences in decimal ("tokens.1.admin"); a key that itself holds a '.' is
 * reached by iterating its map instead. Returns a borrowed node, or NULL when any segment
 * is missing. An empty path returns from itself. */
const struct config_node *config_get(const struct config_node *from, const struct config *cfg,
                                     const char *dotted_path);

/* ---- nodes (all borrowed, valid until config_free; NULL node gives 0 / NULL) ---- */

enum config_type config_node_type(const struct config_node *node);

/* Entries of a map or items of a sequence; 0 for anything else. */
size_t config_node_len(const struct config_node *node);

/* The i-th item of a sequence or the i-th value of a map (file order); NULL past the end. */
const struct config_node *config_node_at(const struct config_node *node, size_t i);

/* The i-th key of a map (file order); NULL for non-maps or past the end. */
const char *config_node_key(const struct config_node *node, size_t i);

/* The text of a scalar (NUL-terminated; "" for CONFIG_NULL); NULL for maps and sequences. */
const char *config_node_scalar(const struct config_node *node);

/* Where the node is: its dotted path from the root ("tokens.1.admin", "" for the root)
 * and its 1-based line and column in the file. */
const char *config_node_path(const struct config_node *node);
size_t config_node_line(const struct config_node *node);
size_t config_node_column(const struct config_node *node);

/* ---- typed values -------------------------------------------------------------------
 * Each comes in two forms: by dotted path from the root, and on a node found with
 * config_get/config_node_at. A missing key or a CONFIG_NULL value gives dflt; a value of
 * the wrong type or out of range fails with LF_EINVAL and err set to
 * "NAME:LINE:COL: PATH: expected ...", leaving *out unchanged. */

/* A scalar as text (borrowed, valid until config_free). */
int config_str(const struct config *cfg, const char *path, const char *dflt, const char **out,
               struct lf_error *err);
int config_node_str(const struct config *cfg, const struct config_node *node, const char *dflt,
                    const char **out, struct lf_error *err);

/* A decimal integer within [min, max]. */
int config_int(const struct config *cfg, const char *path, int64_t dflt, int64_t min, int64_t max,
               int64_t *out, struct lf_error *err);
int config_node_int(const struct config *cfg, const struct config_node *node, int64_t dflt,
                    int64_t min, int64_t max, int64_t *out, struct lf_error *err);

/* A decimal number ("0.05", "-3", "1e-3"; no hex, inf or nan) within [min, max]. */
int config_double(const struct config *cfg, const char *path, double dflt, double min, double max,
                  double *out, struct lf_error *err);
int config_node_double(const struct config *cfg, const struct config_node *node, double dflt,
                       double min, double max, double *out, struct lf_error *err);

/* true/false, yes/no, on/off (any case). */
int config_bool(const struct config *cfg, const char *path, bool dflt, bool *out,
                struct lf_error *err);
int config_node_bool(const struct config *cfg, const struct config_node *node, bool dflt, bool *out,
                     struct lf_error *err);

/* A duration in the grammar of units.h ("90", "90s", "500ms", "1h30m", "2d", "1w"), in
 * milliseconds; never negative. LF_EINVAL "NAME:LINE:COL: PATH: expected a duration
 * such as ..." listing the units. */
int config_duration_ms(const struct config *cfg, const char *path, int64_t dflt_ms, int64_t *out_ms,
                       struct lf_error *err);
int config_node_duration_ms(const struct config *cfg, const struct config_node *node,
                            int64_t dflt_ms, int64_t *out_ms, struct lf_error *err);

/* The same grammar, for settings kept in whole seconds: a value that is not a whole
 * number of seconds ("1500ms") is LF_EINVAL. */
int config_duration_seconds(const struct config *cfg, const char *path, int64_t dflt, int64_t *out,
                            struct lf_error *err);
int config_node_duration_seconds(const struct config *cfg, const struct config_node *node,
                                 int64_t dflt, int64_t *out, struct lf_error *err);

/* A size in bytes in the grammar of units.h ("65536", "64K", "256M", "1G"), in
 * [min, max]; LF_EINVAL otherwise. */
int config_size(const struct config *cfg, const char *path, uint64_t dflt, uint64_t min,
                uint64_t max, uint64_t *out, struct lf_error *err);
int config_node_size(const struct config *cfg, const struct config_node *node, uint64_t dflt,
                     uint64_t min, uint64_t max, uint64_t *out, struct lf_error *err);

/* A list of strings: a sequence of scalars, or one scalar as a list of one. *out is a
 * new array of borrowed strings (caller frees the array with lf_free; NULL when *n is
 * 0); missing or null gives an empty list. */
int config_strings(const struct config *cfg, const char *path, const char ***out, size_t *n,
                   struct lf_error *err);
int config_node_strings(const struct config *cfg, const struct config_node *node, const char ***out,
                        size_t *n, struct lf_error *err);

/* Fails with LF_EINVAL naming the first key of the map at path (NULL or "" = the root)
 * that is not in known (n_known names, "*" accepting any), e.g. to catch a misspelt
 * key: "config.yaml:3:1: detect.treshold: unknown key". A missing map passes. */
int config_check_keys(const struct config *cfg, const char *path, const char *const *known,
                      size_t n_known, struct lf_error *err);

/* ---- schemas: every key of a file at every level ------------------------------------ */

/* What the value of a known key is. */
enum config_shape {
    CONFIG_VALUE,   /* a scalar or a list of scalars: its typed read checks it */
    CONFIG_SECTION, /* a map holding only the keys of its table */
    CONFIG_ENTRIES, /* a list of maps, each holding only the keys of its table */
};

/* One key a map may hold. A table of them ends with an entry whose name is NULL; the
 * name "*" stands for any key (a map of names, such as owners.services). */
struct config_key {
    const char *name;
    enum config_shape shape;
    const struct config_key *keys; /* the table of a CONFIG_SECTION or CONFIG_ENTRIES */
};

/* Checks the whole file against a schema, keys being the table of the root map. Fails
 * with LF_EINVAL at the first problem in file order: a key that its map's table does not
 * hold ("config.yaml:3:3: repo.root: unknown key", at the key), a section that is not a
 * map or entries that are not a list of maps ("config.yaml:1:7: repo: expected a map",
 * at the value). A null value (a missing key) passes. */
int config_check_schema(const struct config *cfg, const struct config_key *keys,
                        struct lf_error *err);

#endif
