/* dm_crypt.c - see dm_crypt.h. DM v1.0 pkg/encrypt: AES-256-CFB128, fixed key,
 * blob = IV || '@' || ciphertext, standard padded base64. */
#include "dm_crypt.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dm_error.h"

#define CRYPT_IV_LEN 16
#define CRYPT_MAX_PLAIN (1u << 20)   /* passwords; bounds every allocation below */

static const unsigned char crypt_key[32] = {
    0xa5, 0x29, 0xb7, 0x66, 0x59, 0x97, 0xf0, 0x43, 0xa3, 0x0a, 0xc8, 0xfa, 0xdc, 0xb5, 0x1d, 0x6a,
    0xa0, 0x32, 0xc2, 0x26, 0xab, 0x5b, 0x77, 0x50, 0x53, 0x0b, 0x12, 0xb8, 0xc1, 0xa1, 0x6a, 0x48,
};

/* One CFB128 pass (the same call encrypts or decrypts); `out` holds `len` bytes. */
static int cfb_run(int enc, const unsigned char *iv, const unsigned char *in, size_t len,
                   unsigned char *out)
{
    int result = DM_E_INTERNAL;
    int n = 0, fin = 0;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (!c)
        return DM_E_NOMEM;
    if (EVP_CipherInit_ex(c, EVP_aes_256_cfb128(), NULL, crypt_key, iv, enc) != 1)
        goto out;
    if (len > 0 && EVP_CipherUpdate(c, out, &n, in, (int)len) != 1)
        goto out;
    if (EVP_CipherFinal_ex(c, out + n, &fin) != 1 || (size_t)(n + fin) != len)
        goto out;
    result = DM_OK;
out:
    EVP_CIPHER_CTX_free(c);
    return result;
}

int dm_crypt_encrypt(const char *plain, char **out)
{
    if (!plain || !out)
        return DM_E_INVAL;
    *out = NULL;
    size_t plen = strlen(plain);
    if (plen > CRYPT_MAX_PLAIN)
        return DM_E_TOO_LARGE;
    size_t blen = CRYPT_IV_LEN + 1 + plen;
    int result = DM_E_NOMEM;
    unsigned char *blob = malloc(blen);
    char *b64 = malloc(4 * ((blen + 2) / 3) + 1);
    if (!blob || !b64)
        goto out;
    result = DM_E_INTERNAL;
    if (RAND_bytes(blob, CRYPT_IV_LEN) != 1)
        goto out;
    blob[CRYPT_IV_LEN] = '@';
    result = cfb_run(1, blob, (const unsigned char *)plain, plen, blob + CRYPT_IV_LEN + 1);
    if (result != DM_OK)
        goto out;
    EVP_EncodeBlock((unsigned char *)b64, blob, (int)blen);
    *out = b64;
    b64 = NULL;
out:
    free(blob);
    free(b64);
    return result;
}

/* Strict standard base64 (with padding) -> bytes. */
static int b64_decode(const char *s, unsigned char **out, size_t *out_len)
{
    size_t n = strlen(s);
    if (n == 0 || n % 4 != 0 || n > 4 * ((CRYPT_MAX_PLAIN + 17 + 2) / 3))
        return DM_E_PARSE;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                  (ch >= '0' && ch <= '9') || ch == '+' || ch == '/' ||
                  (ch == '=' && i >= n - 2 && (i == n - 1 || s[n - 1] == '='));
        if (!ok)
            return DM_E_PARSE;
    }
    unsigned char *buf = malloc(n / 4 * 3 + 1);
    if (!buf)
        return DM_E_NOMEM;
    int got = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)n);
    if (got < 0) {
        free(buf);
        return DM_E_PARSE;
    }
    size_t len = (size_t)got;
    if (s[n - 1] == '=')
        len--;
    if (s[n - 2] == '=')
        len--;
    *out = buf;
    *out_len = len;
    return DM_OK;
}

int dm_crypt_decrypt(const char *cipher, char **out)
{
    if (!cipher || !out)
        return DM_E_INVAL;
    *out = NULL;
    unsigned char *blob = NULL;
    size_t blen = 0;
    int result = b64_decode(cipher, &blob, &blen);
    if (result != DM_OK)
        return result;
    char *plain = NULL;
    result = DM_E_PARSE;
    if (blen < CRYPT_IV_LEN + 1 || blob[CRYPT_IV_LEN] != '@')
        goto out;
    size_t plen = blen - CRYPT_IV_LEN - 1;
    result = DM_E_NOMEM;
    plain = malloc(plen + 1);
    if (!plain)
        goto out;
    result = cfb_run(0, blob, blob + CRYPT_IV_LEN + 1, plen, (unsigned char *)plain);
    if (result != DM_OK)
        goto out;
    plain[plen] = '\0';
    if (strlen(plain) != plen) {   /* embedded NUL: not a C-string password */
        result = DM_E_PARSE;
        goto out;
    }
    *out = plain;
    plain = NULL;
out:
    free(blob);
    free(plain);
    return result;
}

char *dm_crypt_decrypt_or_plain(const char *s)
{
    if (!s)
        return NULL;
    char *plain = NULL;
    if (dm_crypt_decrypt(s, &plain) == DM_OK)
        return plain;
    return strdup(s);
}
