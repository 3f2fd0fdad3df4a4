/* utf8json.c - JSON strings repaired to valid UTF-8. Valid bytes (every string a current
 * version stores) cost one check and no copy; others one repaired copy. */
#include "utf8json.h"

#include <string.h>

#include "alloc.h"
#include "utf8.h"

json_t *utf8json_string(const char *p, size_t len)
{
    if (p == NULL)
        return json_null();
    if (utf8_valid(p, len))
        return json_stringn_nocheck(p, len);
    size_t clean_len = utf8_sanitized_len(p, len);
    char *clean = lf_malloc(clean_len + 1);
    if (clean == NULL)
        return NULL;
    utf8_sanitize(p, len, clean);
    json_t *value = json_stringn_nocheck(clean, clean_len);
    lf_free(clean);
    return value;
}

json_t *utf8json_cstr(const char *s)
{
    return s == NULL ? json_null() : utf8json_string(s, strlen(s));
}
