/* fuzz_config.c - libFuzzer target for the YAML config: parse, key table, typed reads. */
#include "alloc.h"
#include "config.h"
#include "serve_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lf_error err;
    struct config *cfg = config_parse((const char *)data, size, "fuzz.yaml", &err);
    serve_config_check(cfg, &err);
    const struct config_node *root = config_root(cfg);
    for (size_t i = 0; i < config_node_len(root); i++) {
        const struct config_node *node = config_node_at(root, i);
        const char *s = NULL, **list = NULL;
        int64_t v = 0;
        bool b = false;
        double d = 0;
        size_t n = 0;
        config_node_str(cfg, config_get(root, cfg, config_node_key(root, i)), NULL, &s, &err);
        config_node_int(cfg, node, 0, INT64_MIN, INT64_MAX, &v, &err);
        config_node_bool(cfg, node, false, &b, &err);
        config_node_double(cfg, node, 0, -1e300, 1e300, &d, &err);
        config_node_duration_seconds(cfg, node, 0, &v, &err);
        if (config_node_strings(cfg, node, &list, &n, &err) == LF_OK)
            lf_free(list);
    }
    config_free(cfg);
    return 0;
}
