/* dm_crypt.h - DM-compatible password encryption (dm-v1-wire.md §6): AES-256-CFB128
 * with DM's fixed key, blob = IV(16) || '@' || ciphertext, standard base64 with padding.
 * Thread-safety: reentrant (OpenSSL EVP). */
#ifndef DM_CRYPT_H
#define DM_CRYPT_H

#include <stddef.h>

/* Encrypt `plain` with a fresh random IV; *out is a malloc'd base64 string.
 * DM_E_INVAL (NULL args), DM_E_TOO_LARGE (over 1 MiB), DM_E_NOMEM, DM_E_INTERNAL. */
int dm_crypt_encrypt(const char *plain, char **out);
/* Decrypt DM ciphertext; *out malloc'd (NULL on error). DM_E_PARSE for bad base64 /
 * too short / missing '@' (DM 11050/11047/11048) and for a plaintext with a NUL byte. */
int dm_crypt_decrypt(const char *cipher, char **out);
/* v1.0.6+ DecryptOrPlaintext: the decrypted text if `s` decrypts, else a copy of s. */
char *dm_crypt_decrypt_or_plain(const char *s);

#endif /* DM_CRYPT_H */
