/* fuzz_patterns.c - the user-supplied patterns and names a task config carries (common/):
 * the Go-regexp translator (dm_regex: block-allow-list `~` names, binlog event filter
 * sql-pattern, sql-skip patterns), the table-selector wildcards (dm_wildcard_valid /
 * dm_wildcard_match) and the name rules (dm_name_check / dm_name_check_new /
 * dm_task_name_meta_check).
 * Input: [u8 flags][pattern]\0[subject] (no NUL: the subject is the pattern itself);
 * flags bit 0 = DM_REGEX_ICASE, bit 1 = icase wildcards. A compiled regex must match the
 * same way with and without a length; a refused one must say why; a name check's offset
 * must lie inside the name. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"
#include "dm_name.h"
#include "dm_regex.h"
#include "dm_tblfilter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void names(const char *s, size_t n)
{
    size_t at = (size_t)-1;
    if (dm_name_check(s, n, &at) && at >= n + 1)
        abort();
    at = (size_t)-1;
    if (dm_name_check_new(s, n, &at) && at >= n + 1)
        abort();
    (void)dm_task_name_meta_check(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data + 1, size - 1);
    buf[size - 1] = '\0';
    size_t plen = strlen(buf);
    const char *pat = buf, *subj = plen < size - 1 ? buf + plen + 1 : buf;
    size_t slen = plen < size - 1 ? size - 1 - plen - 1 : plen;
    char err[512];
    struct dm_regex *re = NULL;
    int rc = dm_regex_compile(pat, (data[0] & 1) ? DM_REGEX_ICASE : 0, &re, err, sizeof err);
    if (rc == DM_OK) {
        if (!re || strcmp(dm_regex_pattern(re), pat) != 0)
            abort();
        bool m1 = dm_regex_match_n(re, subj, slen);
        if (strlen(subj) == slen && dm_regex_match(re, subj) != m1)
            abort();
        dm_regex_free(re);
    } else if (re || !memchr(err, '\0', sizeof err) || !err[0]) {
        abort();
    }
    if (dm_wildcard_valid(pat))
        (void)dm_wildcard_match(pat, subj, data[0] & 2);
    names(pat, plen);
    names(subj, strlen(subj));
    free(buf);
    return 0;
}
