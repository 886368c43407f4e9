# Third-party libraries, all from Debian 12 packages (scripts/setup installs them).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
pkg_check_modules(GRPC REQUIRED IMPORTED_TARGET grpc gpr)
pkg_check_modules(ABSL_SYNC REQUIRED IMPORTED_TARGET absl_synchronization)
pkg_check_modules(PROTOBUFC REQUIRED IMPORTED_TARGET libprotobuf-c)
pkg_check_modules(MHD REQUIRED IMPORTED_TARGET libmicrohttpd)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
# libjwt: the GnuTLS flavour when installed (scripts/setup.sh installs it). GnuTLS is loaded
# anyway (libmicrohttpd links it) and its HMAC costs the gateway about 0.2 MiB of RSS where
# OpenSSL 3's provider machinery pages in about 2 MiB on the first token (docs/benchmarks.md).
pkg_check_modules(JWT IMPORTED_TARGET libjwt-gnutls)
if(NOT JWT_FOUND)
  pkg_check_modules(JWT REQUIRED IMPORTED_TARGET libjwt)
endif()
pkg_check_modules(MARIADB REQUIRED IMPORTED_TARGET libmariadb)
pkg_check_modules(YAML REQUIRED IMPORTED_TARGET yaml-0.1)
# RE2: Go regexp semantics for user patterns (common/dm_regex.cc; gRPC links it anyway)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
pkg_check_modules(CRYPTO REQUIRED IMPORTED_TARGET libcrypto)
pkg_check_modules(LIBEDIT REQUIRED IMPORTED_TARGET libedit)
# GnuTLS: libmicrohttpd's TLS; gateway/http_tls.c reads through its sessions
pkg_check_modules(GNUTLS REQUIRED IMPORTED_TARGET gnutls)
if(DMGW_TESTS)
  pkg_check_modules(CHECK REQUIRED IMPORTED_TARGET check)
endif()
find_program(PROTOC_C protoc-c REQUIRED)
