/* dm_hex.h - the value of one hexadecimal digit, shared by every parser that reads hex
 * (percent-decoding in the router and the HTTP/2 client, TOML escapes, SQL hex literals of
 * the Load unit). Thread-safety: pure. */
#ifndef DM_HEX_H
#define DM_HEX_H

/* 0-15 for '0'-'9', 'a'-'f', 'A'-'F'; -1 for anything else. */
static inline int dm_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

#endif /* DM_HEX_H */
