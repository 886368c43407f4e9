// dm_regex.cc - Go regexp semantics over RE2 (dm_regex.h): the only file including re2.
#include "dm_regex.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include <re2/re2.h>

#include "dm_error.h"

struct dm_regex {
    re2::RE2 *re;
    char *pattern;
    bool rune_starts;     /* may hold \B: search from rune starts only (dm_regex_match_n) */
};

// Go's regexp/syntax ErrorCode texts for RE2's codes (the two parsers share their origin,
// so the codes correspond one to one).
static const char *go_error_text(re2::RE2::ErrorCode code)
{
    switch (code) {
    case re2::RE2::ErrorBadEscape: return "invalid escape sequence";
    case re2::RE2::ErrorBadCharClass: return "invalid character class";
    case re2::RE2::ErrorBadCharRange: return "invalid character class range";
    case re2::RE2::ErrorMissingBracket: return "missing closing ]";
    case re2::RE2::ErrorMissingParen: return "missing closing )";
    case re2::RE2::ErrorUnexpectedParen: return "unexpected )";
    case re2::RE2::ErrorTrailingBackslash: return "trailing backslash at end of expression";
    case re2::RE2::ErrorRepeatArgument: return "missing argument to repetition operator";
    case re2::RE2::ErrorRepeatSize: return "invalid repeat count";
    case re2::RE2::ErrorRepeatOp: return "invalid nested repetition operator";
    case re2::RE2::ErrorBadPerlOp: return "invalid or unsupported Perl syntax";
    case re2::RE2::ErrorBadUTF8: return "invalid UTF-8";
    case re2::RE2::ErrorBadNamedCapture: return "invalid named capture";
    case re2::RE2::ErrorPatternTooLarge: return "expression too large";
    default: return "regexp/syntax: internal error";
    }
}

// Where RE2 is more permissive than Go, the pattern is scanned first: `\C` (any byte) is
// RE2-only (Go: invalid escape). Escapes, `\Q...\E` and character classes are skipped so
// that only real syntax counts (`\C` inside a class is RE2's own error). Duplicate capture
// names are fine in both (Go's SubexpIndex documents them).
static const char *skip_class(const char *s)   // s at '[': returns the closing ']'
{
    const char *q = s + 1;
    if (*q == '^')
        q++;
    if (*q == ']')
        q++;                                    // a leading ']' is literal
    for (; *q && *q != ']'; q++) {
        if (*q == '\\' && q[1]) {
            q++;
        } else if (*q == '[' && q[1] == ':') {  // [:alpha:]
            const char *e = std::strstr(q + 2, ":]");
            if (e)
                q = e + 1;
        }
    }
    return *q ? q : q - 1;
}

static void go_error(char *err, size_t cap, const char *code, const char *expr, size_t len);

static bool go_only_check(const char *p, char *err, size_t cap)
{
    for (const char *s = p; *s; s++) {
        if (*s == '[') {
            s = skip_class(s);
        } else if (*s == '\\' && s[1] == 'C') {
            go_error(err, cap, "invalid escape sequence", s, 2);
            return false;
        } else if (*s == '\\' && s[1] == 'Q') {  // literal text up to \E (or the end)
            const char *e = std::strstr(s + 2, "\\E");
            if (!e)
                return true;
            s = e + 1;
        } else if (*s == '\\' && s[1]) {
            s++;
        }
    }
    return true;
}

static void go_error(char *err, size_t cap, const char *code, const char *expr, size_t len)
{
    if (cap)
        std::snprintf(err, cap, "error parsing regexp: %s: `%.*s`", code, (int)len, expr);
}

extern "C" int dm_regex_compile(const char *pattern, unsigned flags, struct dm_regex **out,
                                char *err, size_t cap)
{
    *out = nullptr;
    size_t plen = std::strlen(pattern);
    if (plen > DM_REGEX_MAX_PATTERN) {
        if (cap)
            std::snprintf(err, cap, "error parsing regexp: expression too large: pattern of "
                          "%zu bytes (at most %u)", plen, DM_REGEX_MAX_PATTERN);
        return DM_E_INVAL;
    }
    if (!go_only_check(pattern, err, cap))
        return DM_E_INVAL;
    struct dm_regex *r = static_cast<struct dm_regex *>(std::calloc(1, sizeof *r));
    if (!r || !(r->pattern = strdup(pattern))) {
        std::free(r);
        return DM_E_NOMEM;
    }
    re2::RE2::Options o;
    o.set_log_errors(false);
    o.set_max_mem(DM_REGEX_MAX_MEM);
    o.set_case_sensitive(!(flags & DM_REGEX_ICASE));
    r->re = new (std::nothrow) re2::RE2(re2::StringPiece(pattern, plen), o);
    if (!r->re) {
        dm_regex_free(r);
        return DM_E_NOMEM;
    }
    if (!r->re->ok()) {
        re2::RE2::ErrorCode code = r->re->error_code();
        const std::string &arg = r->re->error_arg();
        if (code == re2::RE2::ErrorPatternTooLarge)     // Go's ErrLarge names the whole regexp
            go_error(err, cap, go_error_text(code), pattern, plen);
        else
            go_error(err, cap, go_error_text(code), arg.data(), arg.size());
        dm_regex_free(r);
        return DM_E_INVAL;
    }
    r->rune_starts = std::strstr(pattern, "\\B") != nullptr;
    *out = r;
    return DM_OK;
}

/* RE2 evaluates \B at every byte, Go's regexp at rune boundaries only: "\B" matched
 * inside "ß" (between its two bytes) where Go finds no match. A pattern that may hold \B
 * over text with multi-byte runes is matched anchored at each rune start instead (every
 * other assertion and every consuming item work rune by rune in UTF-8 mode). */
static bool match_rune_starts(const re2::RE2 &re, const char *s, size_t len)
{
    re2::StringPiece text(s, len);
    for (size_t i = 0; i <= len; i++) {
        if (i < len && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80)
            continue;
        if (re.Match(text, i, len, re2::RE2::ANCHOR_START, nullptr, 0))
            return true;
    }
    return false;
}

extern "C" bool dm_regex_match_n(const struct dm_regex *re, const char *s, size_t len)
{
    if (re->rune_starts) {
        for (size_t i = 0; i < len; i++)
            if (static_cast<unsigned char>(s[i]) >= 0x80)
                return match_rune_starts(*re->re, s, len);
    }
    return re2::RE2::PartialMatch(re2::StringPiece(s, len), *re->re);
}

extern "C" bool dm_regex_match(const struct dm_regex *re, const char *s)
{
    return dm_regex_match_n(re, s, std::strlen(s));
}

extern "C" const char *dm_regex_pattern(const struct dm_regex *re)
{
    return re->pattern;
}

extern "C" void dm_regex_free(struct dm_regex *re)
{
    if (!re)
        return;
    delete re->re;
    std::free(re->pattern);
    std::free(re);
}
