/* test_dm_metrics.c - common/dm_metrics.c (families, labels, escaping, histograms,
 * collectors, the series cap) and common/dm_status_http.c over raw sockets (answers,
 * malformed / oversized / slow requests, a full connection table). */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dm_error.h"
#include "dm_metrics.h"
#include "dm_status_http.h"
#include "testutil.h"

static struct dm_metric c_plain = DM_METRIC_COUNTER("t_plain_total", "a plain counter", "");
static struct dm_metric g_lab = DM_METRIC_GAUGE("t_gauge", "a gauge\nwith \\ newline", "node,task");
static struct dm_metric h_exp = DM_METRIC_HISTOGRAM("t_size", "sizes", "", 16, 2, 3);
static struct dm_metric g_cap = DM_METRIC_GAUGE("t_many", "many series", "k");

static char *render(void)
{
    struct dm_buf b;
    dm_buf_init(&b, 1u << 24);
    ck_assert_int_eq(dm_metrics_render(&b), DM_OK);
    dm_buf_addc(&b, '\0');
    return dm_buf_take(&b);
}

START_TEST(families_and_text)
{
    dm_metric_register(&c_plain);
    char *t = render();
    ck_assert_ptr_nonnull(strstr(t, "# HELP t_plain_total a plain counter\n"
                                    "# TYPE t_plain_total counter\nt_plain_total 0\n"));
    free(t);
    dm_metric_add(&c_plain, 1);
    dm_metric_add(&c_plain, 2.5);
    dm_metric_set(&g_lab, 0.1, "relay", "a\"b\\c\nd");
    dm_metric_set(&g_lab, 7, "relay", "x");
    dm_metric_set(&g_lab, 8, "relay", "x");
    t = render();
    ck_assert_ptr_nonnull(strstr(t, "t_plain_total 3.5\n"));
    ck_assert_ptr_nonnull(strstr(t, "# HELP t_gauge a gauge\\nwith \\\\ newline\n"));
    ck_assert_ptr_nonnull(strstr(t, "t_gauge{node=\"relay\",task=\"a\\\"b\\\\c\\nd\"} 0.1\n"));
    ck_assert_ptr_nonnull(strstr(t, "t_gauge{node=\"relay\",task=\"x\"} 8\n"));
    ck_assert_ptr_nonnull(strstr(t, "process_open_fds "));
    free(t);
    dm_metric_clear(&g_lab);
    t = render();
    ck_assert_ptr_nonnull(strstr(t, "# TYPE t_gauge gauge\n#"));   /* no series left */
    free(t);
}
END_TEST

START_TEST(histogram_cumulative)
{
    dm_metric_observe(&h_exp, 10);    /* <= 16 */
    dm_metric_observe(&h_exp, 16);    /* <= 16 (le is inclusive) */
    dm_metric_observe(&h_exp, 40);    /* <= 64 */
    dm_metric_observe(&h_exp, 1000);  /* +Inf */
    char *t = render();
    ck_assert_ptr_nonnull(strstr(t, "t_size_bucket{le=\"16\"} 2\nt_size_bucket{le=\"32\"} 2\n"
                                    "t_size_bucket{le=\"64\"} 3\nt_size_bucket{le=\"+Inf\"} 4\n"
                                    "t_size_sum 1066\nt_size_count 4\n"));
    free(t);
}
END_TEST

START_TEST(series_cap)
{
    char k[32];
    for (int i = 0; i < DM_METRIC_MAX_SERIES + 5; i++) {
        snprintf(k, sizeof k, "v%d", i);
        dm_metric_set(&g_cap, i, k);
    }
    char *t = render();
    ck_assert_ptr_nonnull(strstr(t, "dm_metrics_dropped_total 5\n"));
    ck_assert_ptr_null(strstr(t, "t_many{k=\"v1024\"}"));
    free(t);
    dm_metric_clear(&g_cap);
}
END_TEST

static int ncollect;
static struct dm_metric g_col = DM_METRIC_GAUGE("t_collected", "set by a collector", "");
static void collect(void *arg)
{
    ncollect++;
    dm_metric_set(&g_col, *(int *)arg);
}

START_TEST(collector)
{
    int v = 42;
    ck_assert_int_eq(dm_metrics_add_collector(collect, &v), DM_OK);
    char *t = render();
    ck_assert_int_eq(ncollect, 1);
    ck_assert_ptr_nonnull(strstr(t, "t_collected 42\n"));
    free(t);
    dm_metrics_remove_collector(collect, &v);
    free(render());
    ck_assert_int_eq(ncollect, 1);
}
END_TEST

/* ---- the HTTP listener over raw sockets ---- */

static int dial(int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* Send req (n bytes), read until EOF (at most ms): the answer, malloc'd. */
static char *exchange(int port, const char *req, size_t n, int ms)
{
    int fd = dial(port);
    if (n)
        ck_assert_int_eq(send(fd, req, n, MSG_NOSIGNAL), (ssize_t)n);
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    long long end = tu_now_ms() + ms;
    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        long long left = end - tu_now_ms();
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            break;
        if (len + 4096 > cap)
            out = realloc(out, cap *= 2);
        ssize_t k = recv(fd, out + len, cap - len - 1, 0);
        if (k <= 0)
            break;
        len += (size_t)k;
    }
    out[len] = '\0';
    close(fd);
    return out;
}

static void expect(int port, const char *req, const char *status_line, const char *also)
{
    char *a = exchange(port, req, strlen(req), 8000);
    ck_assert_msg(strncmp(a, status_line, strlen(status_line)) == 0, "%s -> %.200s", req, a);
    if (also)
        ck_assert_msg(strstr(a, also) != NULL, "%s -> %.300s", req, a);
    free(a);
}

START_TEST(http_answers)
{
    struct dm_status_http *s = NULL;
    char err[256];
    int port = 0;
    ck_assert_int_eq(dm_status_http_start("127.0.0.1:0", "v-test\n", &s, &port, err, sizeof err),
                     DM_OK);
    ck_assert_int_gt(port, 0);
    dm_metric_register(&c_plain);
    expect(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 OK\r\n",
           "Content-Type: text/plain; version=0.0.4");
    expect(port, "GET /metrics?x=1 HTTP/1.0\n\n", "HTTP/1.1 200 OK\r\n", "t_plain_total");
    expect(port, "GET /status HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\n", "\r\n\r\nv-test\n");
    char *a = exchange(port, "HEAD /metrics HTTP/1.1\r\n\r\n", 26, 8000);
    ck_assert_ptr_nonnull(strstr(a, "Content-Length: "));
    ck_assert_ptr_null(strstr(a, "# HELP"));
    free(a);
    expect(port, "POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", "HTTP/1.1 405 ",
           "Allow: GET, HEAD");
    expect(port, "GET /nope HTTP/1.1\r\n\r\n", "HTTP/1.1 404 ", NULL);
    expect(port, "GET /metrics\r\n\r\n", "HTTP/1.1 400 ", NULL);
    expect(port, "\r\n\r\n", "HTTP/1.1 400 ", NULL);
    expect(port, "GET /metrics SSH-2.0\r\n\r\n", "HTTP/1.1 400 ", NULL);
    a = exchange(port, "GET /\0metrics HTTP/1.1\r\n\r\n", 27, 8000);
    ck_assert_msg(strncmp(a, "HTTP/1.1 400 ", 13) == 0, "%s", a);
    free(a);
    /* an endless head: 431 after 8 KiB, never more read */
    char *big = malloc(20000);
    memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
    memset(big + 26, 'a', 20000 - 26);
    a = exchange(port, big, 9000, 8000);
    ck_assert_msg(strncmp(a, "HTTP/1.1 431 ", 13) == 0, "%.100s", a);
    free(a);
    free(big);
    /* a connection that says nothing gets 408 after the head deadline (5 s) */
    long long t0 = tu_now_ms();
    a = exchange(port, "GET /metr", 9, 9000);
    ck_assert_msg(strncmp(a, "HTTP/1.1 408 ", 13) == 0, "%s", a);
    ck_assert_int_ge(tu_now_ms() - t0, 4500);
    free(a);
    dm_status_http_stop(s);
}
END_TEST

START_TEST(http_full_table)
{
    struct dm_status_http *s = NULL;
    char err[256];
    int port = 0, idle[20];
    ck_assert_int_eq(dm_status_http_start("127.0.0.1:0", "v\n", &s, &port, err, sizeof err),
                     DM_OK);
    for (int i = 0; i < 20; i++)
        idle[i] = dial(port);   /* 16 held by the server, 4 in the backlog before ours */
    long long t0 = tu_now_ms();
    char *a = exchange(port, "GET /status HTTP/1.1\r\n\r\n", 24, 20000);
    long long took = tu_now_ms() - t0;
    ck_assert_msg(strncmp(a, "HTTP/1.1 200 OK", 15) == 0, "%s", a);
    ck_assert_int_le(took, 9000);   /* served once the first 16 got their 408 (5 s) */
    free(a);
    for (int i = 0; i < 20; i++)
        close(idle[i]);
    expect(port, "GET /status HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK", NULL);
    dm_status_http_stop(s);
    /* a bad address is a clear error */
    ck_assert_int_eq(dm_status_http_start("nonsense", "v", &s, &port, err, sizeof err), DM_E_IO);
    ck_assert_ptr_nonnull(strstr(err, "host:port"));
    ck_assert_int_eq(dm_status_http_start("127.0.0.1:notaport", "v", &s, &port, err, sizeof err),
                     DM_E_IO);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dm_metrics");
    TCase *tc = tcase_create("registry");
    tcase_add_test(tc, families_and_text);
    tcase_add_test(tc, histogram_cumulative);
    tcase_add_test(tc, series_cap);
    tcase_add_test(tc, collector);
    suite_add_tcase(s, tc);
    TCase *th = tcase_create("http");
    tcase_set_timeout(th, 60);
    tcase_add_test(th, http_answers);
    tcase_add_test(th, http_full_table);
    suite_add_tcase(s, th);
    return tu_run_suite(s, true);
}
