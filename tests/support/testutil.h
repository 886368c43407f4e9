/* testutil.h - small helpers shared by the tests (hermetic temp dirs, ports, files). */
#ifndef DM_TESTUTIL_H
#define DM_TESTUTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include <check.h>

/* Source tree root ($DMGW_SOURCE_DIR, set by ctest) and build dir ($DMGW_BUILD_DIR). */
const char *tu_source_dir(void);
const char *tu_build_dir(void);
/* New empty temp directory (malloc'd path). */
char *tu_mkdtemp(void);
/* rm -rf path. */
void tu_rmrf(const char *path);
/* A TCP port on 127.0.0.1 free right now. */
int tu_free_port(void);
/* A TCP socket (close-on-exec, blocking) connected to 127.0.0.1:port; -1 on failure. */
int tu_connect_lo(int port);
/* Read a whole file (malloc'd, NUL-terminated), *len optional; NULL on error. */
char *tu_read_file(const char *path, size_t *len);
/* Read "$DMGW_SOURCE_DIR/<rel>". */
char *tu_read_source_file(const char *rel, size_t *len);
/* Write a file; 0 on success. */
int tu_write_file(const char *path, const char *data, size_t len);
/* Monotonic milliseconds. */
long long tu_now_ms(void);
/* Next value of a seeded splitmix64 stream (*state advances): the same stream on every
 * platform, so a printed seed replays a randomized test. */
uint64_t tu_splitmix64(uint64_t *state);
/* Run every test of suite s (freed here) and return EXIT_SUCCESS or EXIT_FAILURE. nofork: run
 * in this process (needed with gRPC or other threads, which do not survive fork()). */
int tu_run_suite(Suite *s, bool nofork);

#endif
