/* opt.c - command-line options read one way for every command: a table of names in, one
 * argument (option, value, operand) out per call. Nothing is allocated or reordered;
 * values are borrowed from argv. */
#include "opt.h"

#include <string.h>

void opt_init(struct opt_reader *reader, int argc, char **argv)
{
    reader->argc = argc;
    reader->argv = argv;
    reader->next = 1;
    reader->operands_only = false;
}

int opt_next(struct opt_reader *reader, const struct opt_spec *specs, size_t n_specs,
             const char **value, struct lf_error *err)
{
    *value = NULL;
    if (reader->next >= reader->argc)
        return OPT_END;
    const char *arg = reader->argv[reader->next++];
    if (reader->operands_only || arg[0] != '-' || strcmp(arg, "-") == 0) {
        *value = arg;
        return OPT_OPERAND;
    }
    if (strcmp(arg, "--") == 0) {
        reader->operands_only = true;
        return opt_next(reader, specs, n_specs, value, err);
    }
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
        return OPT_HELP;
    const char *eq = strchr(arg, '=');
    size_t name_len = eq != NULL && arg[1] == '-' ? (size_t)(eq - arg) : strlen(arg);
    for (size_t i = 0; i < n_specs; i++) {
        const struct opt_spec *spec = &specs[i];
        if (strlen(spec->name) != name_len || memcmp(spec->name, arg, name_len) != 0)
            continue;
        if (arg[name_len] == '=') {
            if (!spec->has_value) {
                lf_fail(err, LF_EUSAGE, "%s takes no value, not '%s'", spec->name, arg);
                return OPT_ERROR;
            }
            *value = arg + name_len + 1;
        } else if (spec->has_value) {
            if (reader->next >= reader->argc) {
                lf_fail(err, LF_EUSAGE, "%s needs a value", spec->name);
                return OPT_ERROR;
            }
            *value = reader->argv[reader->next++];
        }
        return spec->id;
    }
    lf_fail(err, LF_EUSAGE, "unknown option '%s'", arg);
    return OPT_ERROR;
}
