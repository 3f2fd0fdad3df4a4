/* config.c - the YAML configuration file: libyaml's event stream built into a tree of
 * maps, sequences and scalars in one arena, and typed reads by dotted path. The builder
 * keeps an explicit stack (no recursion on input depth), caps nesting, anchors and the
 * node count, and expands an alias by copying its anchor's subtree against that node
 * budget, so "billion laughs" input fails fast with LF_ETOOBIG. It knows no config key:
 * the keys and their meaning belong to the commands that read them (docs/config.md). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "alloc.h"
#include "file.h"
#include "arena.h"
#include "str.h"
#include "units.h"
#include "utf8.h"

#define PATH_MAX_BYTES   200 /* longer node paths are cut (they only label messages) */
#define LF_STRINGIFY_(x) #x
#define LF_STRINGIFY(x)  LF_STRINGIFY_(x)

struct config_node {
    enum config_type type;
    const char *text;           /* scalars: NUL-terminated text ("" for null) */
    const char **keys;          /* maps: n keys, file order */
    struct config_node **items; /* maps: n values; sequences: n items */
    size_t n;
    const char *path;
    size_t line, column;         /* 1-based */
    size_t key_line, key_column; /* where its key starts (map values), else as above */
    size_t height;               /* 0 for scalars, 1 + tallest child otherwise */
};

struct config {
    struct arena arena;
    char *name;
    struct config_node *root;
};

/* ---- building -------------------------------------------------------------------- */

struct frame {
    struct config_node *node;
    struct config_node **items; /* growing with lf_realloc until the container ends */
    const char **keys;
    size_t n, cap;
    const char *pending_key; /* maps: the key read, waiting for its value */
    yaml_mark_t key_mark;
    char *anchor; /* lf_strdup'd anchor name of this container, or NULL */
};

struct anchor {
    const char *name;
    const struct config_node *node;
};

struct builder {
    struct config *cfg;
    struct frame frames[CONFIG_MAX_DEPTH];
    size_t depth;
    struct anchor *anchors;
    size_t n_anchors, cap_anchors;
    size_t n_nodes;
    struct lf_error *err;
};

static int fail_at(struct builder *b, yaml_mark_t mark, enum lf_code code, const char *what)
{
    return lf_fail(b->err, code, "%s:%zu:%zu: %s", b->cfg->name, mark.line + 1, mark.column + 1,
                   what);
}

static int no_memory(struct builder *b)
{
    return lf_fail(b->err, LF_ENOMEM, "%s: out of memory", b->cfg->name);
}

/* The path of a child of parent named by key (maps) or by index (sequences). */
static const char *child_path(struct arena *arena, const char *parent, const char *key,
                              size_t index)
{
    char buf[PATH_MAX_BYTES + 1];
    char idx[24];
    if (key == NULL) {
        snprintf(idx, sizeof(idx), "%zu", index);
        key = idx;
    }
    int w = snprintf(buf, sizeof(buf), "%s%s%s", parent, parent[0] == '\0' ? "" : ".", key);
    size_t len = w < 0 ? 0 : utf8_cut(buf, (size_t)w, sizeof(buf) - 1); /* on a boundary */
    return arena_strdup(arena, buf, len).p;
}

/* Where a new value goes: the path it will have, given the innermost open container. */
static const char *next_path(struct builder *b)
{
    if (b->depth == 0)
        return "";
    struct frame *f = &b->frames[b->depth - 1];
    if (f->node->type == CONFIG_MAP)
        return child_path(&b->cfg->arena, f->node->path, f->pending_key, 0);
    return child_path(&b->cfg->arena, f->node->path, NULL, f->n);
}

static struct config_node *new_node(struct builder *b, enum config_type type, const char *path,
                                    yaml_mark_t mark)
{
    if (b->n_nodes >= CONFIG_MAX_NODES) {
        fail_at(b, mark, LF_ETOOBIG,
                "more than " LF_STRINGIFY(CONFIG_MAX_NODES) " values once aliases are expanded");
        return NULL;
    }
    struct config_node *node = arena_alloc(&b->cfg->arena, sizeof(*node));
    if (node == NULL || path == NULL) {
        no_memory(b);
        return NULL;
    }
    memset(node, 0, sizeof(*node));
    node->type = type;
    node->path = path;
    node->line = mark.line + 1;
    node->column = mark.column + 1;
    b->n_nodes++;
    return node;
}

static int frame_push(struct frame *f, const char *key, struct config_node *node)
{
    /* items and keys (of a map) share one capacity */
    size_t cap = f->cap, keys_cap = f->cap;
    if (!LF_ALLOC_GROW(f->items, f->n + 1, cap, 8))
        return LF_ENOMEM;
    if (f->node->type == CONFIG_MAP && !LF_ALLOC_GROW(f->keys, f->n + 1, keys_cap, 8))
        return LF_ENOMEM;
    f->cap = cap;
    if (f->node->type == CONFIG_MAP)
        f->keys[f->n] = key;
    f->items[f->n++] = node;
    return LF_OK;
}

/* Hands a finished value to the open container (or makes it the root). */
static int attach(struct builder *b, struct config_node *node)
{
    if (b->depth == 0) {
        b->cfg->root = node;
        return LF_OK;
    }
    struct frame *f = &b->frames[b->depth - 1];
    if (node->height + 1 > f->node->height)
        f->node->height = node->height + 1;
    const char *key = f->pending_key;
    f->pending_key = NULL;
    node->key_line = node->line;
    node->key_column = node->column;
    if (f->node->type == CONFIG_MAP) {
        node->key_line = f->key_mark.line + 1;
        node->key_column = f->key_mark.column + 1;
    }
    if (frame_push(f, key, node) != LF_OK)
        return no_memory(b);
    return LF_OK;
}

static bool in_key_position(const struct builder *b)
{
    if (b->depth == 0)
        return false;
    const struct frame *f = &b->frames[b->depth - 1];
    return f->node->type == CONFIG_MAP && f->pending_key == NULL;
}

static const struct config_node *find_anchor(const struct builder *b, const char *name)
{
    for (size_t i = b->n_anchors; i-- > 0;) {
        if (strcmp(b->anchors[i].name, name) == 0)
            return b->anchors[i].node;
    }
    return NULL;
}

static int add_anchor(struct builder *b, const char *name, const struct config_node *node,
                      yaml_mark_t mark)
{
    if (b->n_anchors == CONFIG_MAX_ANCHORS)
        return fail_at(b, mark, LF_ETOOBIG,
                       "more than " LF_STRINGIFY(CONFIG_MAX_ANCHORS) " anchors");
    if (!LF_ALLOC_GROW(b->anchors, b->n_anchors + 1, b->cap_anchors, 8))
        return no_memory(b);
    const char *copy = arena_strdup(&b->cfg->arena, name, strlen(name)).p;
    if (copy == NULL)
        return no_memory(b);
    b->anchors[b->n_anchors++] = (struct anchor){ copy, node };
    return LF_OK;
}

/* A copy of src's subtree placed at path; keys and texts are shared (immutable). */
static struct config_node *copy_tree(struct builder *b, const struct config_node *src,
                                     const char *path, yaml_mark_t mark)
{
    struct config_node *node = new_node(b, src->type, path, mark);
    if (node == NULL)
        return NULL;
    node->text = src->text;
    node->keys = src->keys;
    node->n = src->n;
    node->height = src->height;
    node->line = src->line;
    node->column = src->column;
    node->key_line = src->key_line;
    node->key_column = src->key_column;
    if (src->n == 0)
        return node;
    node->items = arena_alloc(&b->cfg->arena, src->n * sizeof(*node->items));
    if (node->items == NULL) {
        no_memory(b);
        return NULL;
    }
    for (size_t i = 0; i < src->n; i++) {
        const char *sub =
                child_path(&b->cfg->arena, path, src->type == CONFIG_MAP ? src->keys[i] : NULL, i);
        node->items[i] = copy_tree(b, src->items[i], sub, mark);
        if (node->items[i] == NULL)
            return NULL;
    }
    return node;
}

static bool is_null_text(const char *s, size_t len)
{
    return len == 0 || (len == 1 && s[0] == '~') ||
           (len == 4 &&
            (memcmp(s, "null", 4) == 0 || memcmp(s, "Null", 4) == 0 || memcmp(s, "NULL", 4) == 0));
}

static int on_scalar(struct builder *b, const yaml_event_t *ev)
{
    const char *value = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    const char *text = arena_strdup(&b->cfg->arena, value, len).p;
    if (text == NULL)
        return no_memory(b);
    if (in_key_position(b)) {
        b->frames[b->depth - 1].pending_key = text;
        b->frames[b->depth - 1].key_mark = ev->start_mark;
        if (ev->data.scalar.anchor == NULL)
            return LF_OK;
        /* an anchored key may be aliased later, as a key or a value */
        struct config_node *key = new_node(b, CONFIG_SCALAR, text, ev->start_mark);
        if (key == NULL)
            return b->err != NULL ? b->err->code : LF_ENOMEM;
        key->text = text;
        return add_anchor(b, (const char *)ev->data.scalar.anchor, key, ev->start_mark);
    }
    bool null = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && ev->data.scalar.tag == NULL &&
                is_null_text(value, len);
    struct config_node *node =
            new_node(b, null ? CONFIG_NULL : CONFIG_SCALAR, next_path(b), ev->start_mark);
    if (node == NULL)
        return b->err != NULL ? b->err->code : LF_ENOMEM;
    node->text = null ? "" : text;
    if (ev->data.scalar.anchor != NULL) {
        int rc = add_anchor(b, (const char *)ev->data.scalar.anchor, node, ev->start_mark);
        if (rc != LF_OK)
            return rc;
    }
    return attach(b, node);
}

static int on_alias(struct builder *b, const yaml_event_t *ev)
{
    const char *name = (const char *)ev->data.alias.anchor;
    const struct config_node *target = find_anchor(b, name);
    if (target == NULL)
        return fail_at(b, ev->start_mark, LF_EINVAL, "alias to an unknown anchor");
    if (in_key_position(b)) {
        if (target->type != CONFIG_SCALAR && target->type != CONFIG_NULL)
            return fail_at(b, ev->start_mark, LF_EINVAL, "a key must be a scalar");
        b->frames[b->depth - 1].pending_key = target->text;
        b->frames[b->depth - 1].key_mark = ev->start_mark;
        return LF_OK;
    }
    if (b->depth + target->height > CONFIG_MAX_DEPTH)
        return fail_at(b, ev->start_mark, LF_ETOOBIG,
                       "nesting deeper than " LF_STRINGIFY(CONFIG_MAX_DEPTH) " levels");
    struct config_node *node = copy_tree(b, target, next_path(b), ev->start_mark);
    if (node == NULL)
        return b->err != NULL ? b->err->code : LF_ENOMEM;
    node->line = ev->start_mark.line + 1;
    node->column = ev->start_mark.column + 1;
    return attach(b, node);
}

static int on_start(struct builder *b, const yaml_event_t *ev, enum config_type type)
{
    if (in_key_position(b))
        return fail_at(b, ev->start_mark, LF_EINVAL, "a key must be a scalar");
    if (b->depth == CONFIG_MAX_DEPTH)
        return fail_at(b, ev->start_mark, LF_ETOOBIG,
                       "nesting deeper than " LF_STRINGIFY(CONFIG_MAX_DEPTH) " levels");
    struct config_node *node = new_node(b, type, next_path(b), ev->start_mark);
    if (node == NULL)
        return b->err != NULL ? b->err->code : LF_ENOMEM;
    const yaml_char_t *anchor =
            type == CONFIG_MAP ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    struct frame *f = &b->frames[b->depth];
    memset(f, 0, sizeof(*f));
    f->node = node;
    if (anchor != NULL) {
        f->anchor = lf_strdup((const char *)anchor);
        if (f->anchor == NULL)
            return no_memory(b);
    }
    b->depth++;
    return LF_OK;
}

static int compare_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Fails on the second occurrence of a key in the finished map f. */
static int check_duplicates(struct builder *b, const struct frame *f)
{
    if (f->n < 2)
        return LF_OK;
    const char **sorted = lf_malloc(f->n * sizeof(*sorted));
    if (sorted == NULL)
        return no_memory(b);
    memcpy(sorted, f->keys, f->n * sizeof(*sorted));
    qsort(sorted, f->n, sizeof(*sorted), compare_keys);
    const char *dup = NULL;
    for (size_t i = 1; i < f->n && dup == NULL; i++) {
        if (strcmp(sorted[i - 1], sorted[i]) == 0)
            dup = sorted[i];
    }
    int rc = LF_OK;
    if (dup != NULL) {
        bool seen = false;
        for (size_t i = 0; i < f->n; i++) {
            if (strcmp(f->keys[i], dup) != 0)
                continue;
            if (seen) {
                const struct config_node *n = f->items[i];
                rc = lf_fail(b->err, LF_EINVAL, "%s:%zu:%zu: %s: duplicate key", b->cfg->name,
                             n->key_line, n->key_column, n->path);
                break;
            }
            seen = true;
        }
    }
    lf_free(sorted);
    return rc;
}

static int on_end(struct builder *b, const yaml_event_t *ev)
{
    struct frame *f = &b->frames[b->depth - 1];
    struct config_node *node = f->node;
    int rc = node->type == CONFIG_MAP ? check_duplicates(b, f) : LF_OK;
    if (rc != LF_OK)
        return rc;
    if (f->n > 0) {
        node->items = arena_alloc(&b->cfg->arena, f->n * sizeof(*node->items));
        if (node->items == NULL)
            return no_memory(b);
        memcpy(node->items, f->items, f->n * sizeof(*node->items));
        if (node->type == CONFIG_MAP) {
            node->keys = arena_alloc(&b->cfg->arena, f->n * sizeof(*node->keys));
            if (node->keys == NULL)
                return no_memory(b);
            memcpy(node->keys, f->keys, f->n * sizeof(*node->keys));
        }
    }
    node->n = f->n;
    if (f->anchor != NULL) {
        rc = add_anchor(b, f->anchor, node, ev->start_mark);
        if (rc != LF_OK)
            return rc;
    }
    lf_free(f->items);
    lf_free(f->keys);
    lf_free(f->anchor);
    memset(f, 0, sizeof(*f));
    b->depth--;
    return attach(b, node);
}

static int syntax_error(struct builder *b, const yaml_parser_t *parser)
{
    if (parser->error == YAML_MEMORY_ERROR)
        return no_memory(b);
    const char *problem = parser->problem != NULL ? parser->problem : "malformed yaml";
    if (parser->error == YAML_READER_ERROR)
        return lf_fail(b->err, LF_EINVAL, "%s: byte %zu: %s", b->cfg->name, parser->problem_offset,
                       problem);
    if (parser->context != NULL)
        return lf_fail(b->err, LF_EINVAL, "%s:%zu:%zu: %s %s", b->cfg->name,
                       parser->problem_mark.line + 1, parser->problem_mark.column + 1,
                       parser->context, problem);
    return lf_fail(b->err, LF_EINVAL, "%s:%zu:%zu: %s", b->cfg->name, parser->problem_mark.line + 1,
                   parser->problem_mark.column + 1, problem);
}

static int build(struct builder *b, const char *buf, size_t len)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return no_memory(b);
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    int rc = LF_OK;
    size_t documents = 0;
    bool done = false;
    while (!done && rc == LF_OK) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = syntax_error(b, &parser);
            break;
        }
        switch (ev.type) {
        case YAML_DOCUMENT_START_EVENT:
            if (documents++ > 0)
                rc = fail_at(b, ev.start_mark, LF_EINVAL, "more than one document");
            break;
        case YAML_SCALAR_EVENT:
            rc = on_scalar(b, &ev);
            break;
        case YAML_ALIAS_EVENT:
            rc = on_alias(b, &ev);
            break;
        case YAML_SEQUENCE_START_EVENT:
            rc = on_start(b, &ev, CONFIG_SEQ);
            break;
        case YAML_MAPPING_START_EVENT:
            rc = on_start(b, &ev, CONFIG_MAP);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            rc = on_end(b, &ev);
            break;
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    return rc;
}

/* config_parse and config_parse_list: root is the type the top level must have. */
static struct config *parse(const char *buf, size_t len, const char *name, enum config_type root,
                            struct lf_error *err)
{
    if (name == NULL)
        name = "config";
    if (len > CONFIG_MAX_BYTES) {
        lf_fail(err, LF_ETOOBIG, "%s: %zu bytes is over the %zu byte limit", name, len,
                CONFIG_MAX_BYTES);
        return NULL;
    }
    struct config *cfg = lf_calloc(1, sizeof(*cfg));
    if (cfg == NULL) {
        lf_fail(err, LF_ENOMEM, "%s: out of memory", name);
        return NULL;
    }
    arena_init(&cfg->arena, 0);
    cfg->name = lf_strdup(name);
    if (cfg->name == NULL) {
        lf_fail(err, LF_ENOMEM, "%s: out of memory", name);
        config_free(cfg);
        return NULL;
    }
    struct builder b;
    memset(&b, 0, sizeof(b));
    b.cfg = cfg;
    b.err = err;
    int rc = build(&b, buf == NULL ? "" : buf, buf == NULL ? 0 : len);
    for (size_t i = 0; i < b.depth; i++) {
        lf_free(b.frames[i].items);
        lf_free(b.frames[i].keys);
        lf_free(b.frames[i].anchor);
    }
    lf_free(b.anchors);
    if (rc == LF_OK && (cfg->root == NULL || cfg->root->type == CONFIG_NULL)) {
        yaml_mark_t start = { 0, 0, 0 };
        cfg->root = new_node(&b, root, "", start);
        if (cfg->root == NULL)
            rc = err != NULL ? err->code : LF_ENOMEM;
    } else if (rc == LF_OK && cfg->root->type != root) {
        rc = lf_fail(err, LF_EINVAL, "%s:%zu:%zu: the top level must be %s", name, cfg->root->line,
                     cfg->root->column, root == CONFIG_MAP ? "a map of keys" : "a list");
    }
    if (rc != LF_OK) {
        config_free(cfg);
        return NULL;
    }
    return cfg;
}

struct config *config_parse(const char *buf, size_t len, const char *name, struct lf_error *err)
{
    return parse(buf, len, name, CONFIG_MAP, err);
}

struct config *config_parse_list(const char *buf, size_t len, const char *name,
                                 struct lf_error *err)
{
    return parse(buf, len, name, CONFIG_SEQ, err);
}

struct config *config_load(const char *path, struct lf_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    struct lf_error why;
    int rc = file_load(path, CONFIG_MAX_BYTES, &buf, &len, &why);
    if (rc != LF_OK) {
        lf_fail(err, rc == LF_ENOTFOUND ? LF_EIO : rc, "%s: %s", path, why.msg);
        return NULL;
    }
    struct config *cfg = config_parse(buf, len, path, err);
    lf_free(buf);
    return cfg;
}

void config_free(struct config *cfg)
{
    if (cfg == NULL)
        return;
    arena_release(&cfg->arena);
    lf_free(cfg->name);
    lf_free(cfg);
}

const char *config_name(const struct config *cfg)
{
    return cfg == NULL ? NULL : cfg->name;
}

const struct config_node *config_root(const struct config *cfg)
{
    return cfg == NULL ? NULL : cfg->root;
}

/* ---- look-up --------------------------------------------------------------------- */

static const struct config_node *child(const struct config_node *node, const char *seg, size_t len)
{
    if (node->type == CONFIG_MAP) {
        for (size_t i = 0; i < node->n; i++) {
            if (strlen(node->keys[i]) == len && memcmp(node->keys[i], seg, len) == 0)
                return node->items[i];
        }
        return NULL;
    }
    if (node->type == CONFIG_SEQ) {
        int64_t index = 0;
        if (len > 0 && seg[0] != '-' && str_to_int64(str_make(seg, len), &index) &&
            (uint64_t)index < node->n)
            return node->items[index];
    }
    return NULL;
}

const struct config_node *config_get(const struct config_node *from, const struct config *cfg,
                                     const char *dotted_path)
{
    const struct config_node *node = from != NULL ? from : config_root(cfg);
    if (node == NULL || dotted_path == NULL)
        return node;
    const char *p = dotted_path;
    while (*p != '\0' && node != NULL) {
        const char *dot = strchr(p, '.');
        size_t len = dot == NULL ? strlen(p) : (size_t)(dot - p);
        node = child(node, p, len);
        p += len;
        if (*p == '.')
            p++;
    }
    return node;
}

enum config_type config_node_type(const struct config_node *node)
{
    return node == NULL ? CONFIG_NULL : node->type;
}

size_t config_node_len(const struct config_node *node)
{
    if (node == NULL || (node->type != CONFIG_MAP && node->type != CONFIG_SEQ))
        return 0;
    return node->n;
}

const struct config_node *config_node_at(const struct config_node *node, size_t i)
{
    if (i >= config_node_len(node))
        return NULL;
    return node->items[i];
}

const char *config_node_key(const struct config_node *node, size_t i)
{
    if (node == NULL || node->type != CONFIG_MAP || i >= node->n)
        return NULL;
    return node->keys[i];
}

const char *config_node_scalar(const struct config_node *node)
{
    if (node == NULL || (node->type != CONFIG_SCALAR && node->type != CONFIG_NULL))
        return NULL;
    return node->text == NULL ? "" : node->text;
}

const char *config_node_path(const struct config_node *node)
{
    return node == NULL ? NULL : node->path;
}

size_t config_node_line(const struct config_node *node)
{
    return node == NULL ? 0 : node->line;
}

size_t config_node_column(const struct config_node *node)
{
    return node == NULL ? 0 : node->column;
}

/* ---- typed values ---------------------------------------------------------------- */

static int type_error(const struct config *cfg, const struct config_node *node,
                      struct lf_error *err, const char *what)
{
    return lf_fail(err, LF_EINVAL, "%s:%zu:%zu: %s: expected %s", config_name(cfg), node->line,
                   node->column, node->path, what);
}

static bool is_absent(const struct config_node *node)
{
    return node == NULL || node->type == CONFIG_NULL;
}

int config_node_str(const struct config *cfg, const struct config_node *node, const char *dflt,
                    const char **out, struct lf_error *err)
{
    if (is_absent(node)) {
        *out = dflt;
        return LF_OK;
    }
    if (node->type != CONFIG_SCALAR)
        return type_error(cfg, node, err, "a string");
    *out = node->text;
    return LF_OK;
}

int config_str(const struct config *cfg, const char *path, const char *dflt, const char **out,
               struct lf_error *err)
{
    return config_node_str(cfg, config_get(NULL, cfg, path), dflt, out, err);
}

int config_node_int(const struct config *cfg, const struct config_node *node, int64_t dflt,
                    int64_t min, int64_t max, int64_t *out, struct lf_error *err)
{
    if (is_absent(node)) {
        *out = dflt;
        return LF_OK;
    }
    int64_t value = 0;
    if (node->type != CONFIG_SCALAR || !str_to_int64(str_from_cstr(node->text), &value))
        return type_error(cfg, node, err, "an integer");
    if (value < min || value > max) {
        return lf_fail(err, LF_EINVAL, "%s:%zu:%zu: %s: expected an integer from %lld to %lld",
                       config_name(cfg), node->line, node->column, node->path, (long long)min,
                       (long long)max);
    }
    *out = value;
    return LF_OK;
}

int config_int(const struct config *cfg, const char *path, int64_t dflt, int64_t min, int64_t max,
               int64_t *out, struct lf_error *err)
{
    return config_node_int(cfg, config_get(NULL, cfg, path), dflt, min, max, out, err);
}

/* A plain decimal number: strtod alone would also take hex, inf and nan. */
static bool parse_double(const char *s, double *out)
{
    size_t digits = 0;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p >= '0' && *p <= '9')
            digits++;
        else if (*p != '-' && *p != '+' && *p != '.' && *p != 'e' && *p != 'E')
            return false;
    }
    if (digits == 0)
        return false;
    char *end = NULL;
    errno = 0;
    double value = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE || value != value)
        return false;
    *out = value;
    return true;
}

int config_node_double(const struct config *cfg, const struct config_node *node, double dflt,
                       double min, double max, double *out, struct lf_error *err)
{
    if (is_absent(node)) {
        *out = dflt;
        return LF_OK;
    }
    double value = 0;
    if (node->type != CONFIG_SCALAR || !parse_double(node->text, &value))
        return type_error(cfg, node, err, "a number");
    if (value < min || value > max) {
        return lf_fail(err, LF_EINVAL, "%s:%zu:%zu: %s: expected a number from %g to %g",
                       config_name(cfg), node->line, node->column, node->path, min, max);
    }
    *out = value;
    return LF_OK;
}

int config_double(const struct config *cfg, const char *path, double dflt, double min, double max,
                  double *out, struct lf_error *err)
{
    return config_node_double(cfg, config_get(NULL, cfg, path), dflt, min, max, out, err);
}

int config_node_bool(const struct config *cfg, const struct config_node *node, bool dflt, bool *out,
                     struct lf_error *err)
{
    if (is_absent(node)) {
        *out = dflt;
        return LF_OK;
    }
    static const char *const yes[] = { "true", "yes", "on" };
    static const char *const no[] = { "false", "no", "off" };
    if (node->type == CONFIG_SCALAR) {
        for (size_t i = 0; i < 3; i++) {
            if (strcasecmp(node->text, yes[i]) == 0) {
                *out = true;
                return LF_OK;
            }
            if (strcasecmp(node->text, no[i]) == 0) {
                *out = false;
                return LF_OK;
            }
        }
    }
    return type_error(cfg, node, err, "true or false");
}

int config_bool(const struct config *cfg, const char *path, bool dflt, bool *out,
                struct lf_error *err)
{
    return config_node_bool(cfg, config_get(NULL, cfg, path), dflt, out, err);
}

int config_node_duration_ms(const struct config *cfg, const struct config_node *node,
                            int64_t dflt_ms, int64_t *out_ms, struct lf_error *err)
{
    if (is_absent(node)) {
        *out_ms = dflt_ms;
        return LF_OK;
    }
    int64_t value = 0;
    if (node->type != CONFIG_SCALAR || !units_duration_ms(node->text, strlen(node->text), &value))
        return type_error(cfg, node, err, UNITS_DURATION_EXPECTED);
    *out_ms = value;
    return LF_OK;
}

int config_duration_ms(const struct config *cfg, const char *path, int64_t dflt_ms, int64_t *out_ms,
                       struct lf_error *err)
{
    return config_node_duration_ms(cfg, config_get(NULL, cfg, path), dflt_ms, out_ms, err);
}

int config_node_duration_seconds(const struct config *cfg, const struct config_node *node,
                                 int64_t dflt, int64_t *out, struct lf_error *err)
{
    if (is_absent(node)) {
        *out = dflt;
        return LF_OK;
    }
    int64_t ms = 0;
    int rc = config_node_duration_ms(cfg, node, 0, &ms, err);
    if (rc != LF_OK)
        return rc;
    if (ms % 1000 != 0)
        return type_error(cfg, node, err, "a whole number of seconds, such as 90s or 1m30s");
    *out = ms / 1000;
    return LF_OK;
}

int config_duration_seconds(const struct config *cfg, const char *path, int64_t dflt, int64_t *out,
                            struct lf_error *err)
{
    return config_node_duration_seconds(cfg, config_get(NULL, cfg, path), dflt, out, err);
}

int config_node_size(const struct config *cfg, const struct config_node *node, uint64_t dflt,
                     uint64_t min, uint64_t max, uint64_t *out, struct lf_error *err)
{
    if (is_absent(node)) {
        *out = dflt;
        return LF_OK;
    }
    uint64_t value = 0;
    if (node->type != CONFIG_SCALAR || !units_size(node->text, strlen(node->text), &value))
        return type_error(cfg, node, err, UNITS_SIZE_EXPECTED);
    if (value < min || value > max)
        return lf_fail(err, LF_EINVAL, "%s:%zu:%zu: %s: expected a size from %llu to %llu bytes",
                       config_name(cfg), node->line, node->column, node->path,
                       (unsigned long long)min, (unsigned long long)max);
    *out = value;
    return LF_OK;
}

int config_size(const struct config *cfg, const char *path, uint64_t dflt, uint64_t min,
                uint64_t max, uint64_t *out, struct lf_error *err)
{
    return config_node_size(cfg, config_get(NULL, cfg, path), dflt, min, max, out, err);
}

int config_node_strings(const struct config *cfg, const struct config_node *node, const char ***out,
                        size_t *n, struct lf_error *err)
{
    *out = NULL;
    *n = 0;
    if (is_absent(node))
        return LF_OK;
    if (node->type == CONFIG_MAP)
        return type_error(cfg, node, err, "a list of strings");
    size_t count = node->type == CONFIG_SCALAR ? 1 : node->n;
    if (count == 0)
        return LF_OK;
    for (size_t i = 0; node->type == CONFIG_SEQ && i < count; i++) {
        if (node->items[i]->type != CONFIG_SCALAR)
            return type_error(cfg, node->items[i], err, "a string");
    }
    const char **list = lf_malloc(count * sizeof(*list));
    if (list == NULL)
        return lf_fail(err, LF_ENOMEM, "%s: out of memory", config_name(cfg));
    for (size_t i = 0; i < count; i++)
        list[i] = node->type == CONFIG_SCALAR ? node->text : node->items[i]->text;
    *out = list;
    *n = count;
    return LF_OK;
}

int config_strings(const struct config *cfg, const char *path, const char ***out, size_t *n,
                   struct lf_error *err)
{
    return config_node_strings(cfg, config_get(NULL, cfg, path), out, n, err);
}

static int unknown_key(const struct config *cfg, const struct config_node *value,
                       struct lf_error *err)
{
    return lf_fail(err, LF_EINVAL, "%s:%zu:%zu: %s: unknown key", config_name(cfg), value->key_line,
                   value->key_column, value->path);
}

int config_check_keys(const struct config *cfg, const char *path, const char *const *known,
                      size_t n_known, struct lf_error *err)
{
    const struct config_node *node = config_get(NULL, cfg, path == NULL ? "" : path);
    if (is_absent(node))
        return LF_OK;
    if (node->type != CONFIG_MAP)
        return type_error(cfg, node, err, "a map");
    for (size_t i = 0; i < node->n; i++) {
        bool ok = false;
        for (size_t k = 0; k < n_known && !ok; k++)
            ok = strcmp(known[k], "*") == 0 || strcmp(known[k], node->keys[i]) == 0;
        if (!ok)
            return unknown_key(cfg, node->items[i], err);
    }
    return LF_OK;
}

/* Checks one map against its table; recursion follows the schema, whose depth is fixed
 * in the program, never the file's. */
static int check_map(const struct config *cfg, const struct config_node *map,
                     const struct config_key *keys, struct lf_error *err)
{
    if (is_absent(map))
        return LF_OK;
    if (map->type != CONFIG_MAP)
        return type_error(cfg, map, err, "a map");
    for (size_t i = 0; i < map->n; i++) {
        const struct config_key *key = keys;
        while (key->name != NULL && strcmp(key->name, "*") != 0 &&
               strcmp(key->name, map->keys[i]) != 0)
            key++;
        const struct config_node *value = map->items[i];
        if (key->name == NULL)
            return unknown_key(cfg, value, err);
        int rc = LF_OK;
        if (key->shape == CONFIG_SECTION) {
            rc = check_map(cfg, value, key->keys, err);
        } else if (key->shape == CONFIG_ENTRIES && !is_absent(value)) {
            if (value->type != CONFIG_SEQ)
                return type_error(cfg, value, err, "a list of maps");
            for (size_t k = 0; k < value->n && rc == LF_OK; k++)
                rc = is_absent(value->items[k]) ? type_error(cfg, value->items[k], err, "a map")
                                                : check_map(cfg, value->items[k], key->keys, err);
        }
        if (rc != LF_OK)
            return rc;
    }
    return LF_OK;
}

int config_check_schema(const struct config *cfg, const struct config_key *keys,
                        struct lf_error *err)
{
    return check_map(cfg, config_root(cfg), keys, err);
}
