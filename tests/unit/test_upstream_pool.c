/*
 * test_upstream_pool.c: the pool of idle origin connections, with real TCP
 * connections on 127.0.0.1 to a listener in the test's own loop: take what
 * was put (and only by its host and port), an origin closing an idle
 * connection, expiry, the size bound, a refusing admit, and closing the pool
 * with connections in it (nothing may leak: ASan and valgrind run this too).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "upstream_pool.h"

#define MAX_PEERS 8

typedef struct {
    uv_loop_t loop;
    uv_tcp_t listener;
    int port;
    uv_tcp_t peers[MAX_PEERS]; /* the origin's side of each connection */
    int num_peers;
    int peer_eofs; /* origin-side connections that saw the proxy close */
    char buf[256];
} world_t;

static void
on_peer_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    world_t *w = s->data;

    (void)buf;
    if (nread < 0) {
        w->peer_eofs++;
        uv_read_stop(s);
    }
}

static void
on_peer_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    world_t *w = h->data;

    (void)suggested;
    *buf = uv_buf_init(w->buf, sizeof(w->buf));
}

static void
on_connection(uv_stream_t *server, int status)
{
    world_t *w = server->data;
    uv_tcp_t *peer = &w->peers[w->num_peers];

    assert_int_equal(status, 0);
    assert_true(w->num_peers < MAX_PEERS);
    uv_tcp_init(&w->loop, peer);
    peer->data = w;
    assert_int_equal(uv_accept(server, (uv_stream_t *)peer), 0);
    assert_int_equal(uv_read_start((uv_stream_t *)peer, on_peer_alloc, on_peer_read), 0);
    w->num_peers++;
}

static void
world_init(world_t *w)
{
    struct sockaddr_in sa;
    struct sockaddr_storage bound;
    int len = (int)sizeof(bound);

    memset(w, 0, sizeof(*w));
    assert_int_equal(uv_loop_init(&w->loop), 0);
    uv_tcp_init(&w->loop, &w->listener);
    w->listener.data = w;
    assert_int_equal(uv_ip4_addr("127.0.0.1", 0, &sa), 0);
    assert_int_equal(uv_tcp_bind(&w->listener, (const struct sockaddr *)&sa, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&w->listener, 16, on_connection), 0);
    assert_int_equal(uv_tcp_getsockname(&w->listener, (struct sockaddr *)&bound, &len), 0);
    w->port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
}

static void
on_timeout(uv_timer_t *t)
{
    *(bool *)t->data = true;
}

/* Runs the loop until *flag (or, with flag NULL, for ms), at most ms. */
static void
run_until(world_t *w, const bool *flag, uint64_t ms)
{
    uv_timer_t t;
    bool expired = false;

    uv_timer_init(&w->loop, &t);
    t.data = &expired;
    uv_timer_start(&t, on_timeout, ms, 0);
    while (!expired && (flag == NULL || !*flag)) {
        uv_run(&w->loop, UV_RUN_ONCE);
    }
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&w->loop, UV_RUN_NOWAIT);
}

static void
on_noop_close(uv_handle_t *h)
{
    (void)h;
}

static void
world_free(world_t *w)
{
    int i;

    for (i = 0; i < w->num_peers; i++) {
        if (!uv_is_closing((uv_handle_t *)&w->peers[i])) {
            uv_close((uv_handle_t *)&w->peers[i], on_noop_close);
        }
    }
    uv_close((uv_handle_t *)&w->listener, on_noop_close);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&w->loop), 0);
}

typedef struct {
    bool done;
    int status;
} result_t;

static void
on_connected(pc_upstream_t *up, int status, void *data)
{
    result_t *r = data;

    (void)up;
    r->done = true;
    r->status = status;
}

/* A connected upstream to the world's listener. */
static pc_upstream_t *
connect_up(world_t *w)
{
    pc_target_t t;
    pc_upstream_t *up = NULL;
    result_t r = {false, -1};
    int before = w->num_peers;

    memset(&t, 0, sizeof(t));
    strcpy(t.host, "127.0.0.1");
    t.host_len = strlen(t.host);
    t.port = (uint16_t)w->port;
    assert_int_equal(pc_upstream_connect(&w->loop, NULL, &t, NULL, on_connected, &r, &up), 0);
    run_until(w, &r.done, 5000);
    assert_true(r.done);
    assert_int_equal(r.status, 0);
    while (w->num_peers == before) {
        uv_run(&w->loop, UV_RUN_ONCE); /* the origin accepts it */
    }
    return up;
}

static void
on_released(void *data)
{
    *(bool *)data = true;
}

static void
close_up(world_t *w, pc_upstream_t *up)
{
    bool released = false;

    pc_upstream_close(up, on_released, &released);
    run_until(w, &released, 5000);
    assert_true(released);
}

static void
close_pool(world_t *w, pc_upstream_pool_t *p)
{
    bool done = false;

    pc_upstream_pool_close(p, on_released, &done);
    run_until(w, &done, 5000);
    assert_true(done);
}

static void
test_take_what_was_put(void **state)
{
    world_t w;
    pc_upstream_pool_t *p;
    pc_upstream_t *up, *got;
    pc_upstream_pool_stats_t st;

    (void)state;
    world_init(&w);
    assert_int_equal(pc_upstream_pool_create(&w.loop, 8, 10000, &p), 0);
    up = connect_up(&w);
    pc_upstream_pool_put(p, up, "origin.test", 80);
    assert_null(pc_upstream_pool_take(p, "origin.test", 8080, NULL, NULL)); /* other port */
    assert_null(pc_upstream_pool_take(p, "other.test", 80, NULL, NULL));    /* other host */
    got = pc_upstream_pool_take(p, "origin.test", 80, NULL, NULL);
    assert_ptr_equal(got, up);
    assert_null(pc_upstream_pool_take(p, "origin.test", 80, NULL, NULL)); /* taken once */
    pc_upstream_pool_stats(p, &st);
    assert_int_equal(st.stored, 1);
    assert_int_equal(st.reused, 1);
    assert_int_equal(st.idle, 0);
    /* Still a working connection: the origin sees it close only now. */
    run_until(&w, NULL, 50);
    assert_int_equal(w.peer_eofs, 0);
    close_up(&w, got);
    run_until(&w, NULL, 100);
    assert_int_equal(w.peer_eofs, 1);
    close_pool(&w, p);
    world_free(&w);
}

static void
test_origin_close_drops_idle(void **state)
{
    world_t w;
    pc_upstream_pool_t *p;
    pc_upstream_pool_stats_t st;
    int i;

    (void)state;
    world_init(&w);
    assert_int_equal(pc_upstream_pool_create(&w.loop, 8, 10000, &p), 0);
    pc_upstream_pool_put(p, connect_up(&w), "origin.test", 80);
    pc_upstream_pool_put(p, connect_up(&w), "origin.test", 80);
    uv_close((uv_handle_t *)&w.peers[0], on_noop_close); /* the origin closes one */
    for (i = 0; i < 100; i++) {
        pc_upstream_pool_stats(p, &st);
        if (st.dropped == 1) {
            break;
        }
        run_until(&w, NULL, 20);
    }
    pc_upstream_pool_stats(p, &st);
    assert_int_equal(st.dropped, 1);
    assert_int_equal(st.idle, 1);
    /* Unasked-for bytes end the other one too. */
    {
        char bytes[] = "HTTP/1.1 408 x\r\n\r\n";
        uv_buf_t b = uv_buf_init(bytes, (unsigned)strlen(bytes));

        assert_true(uv_try_write((uv_stream_t *)&w.peers[1], &b, 1) > 0);
    }
    for (i = 0; i < 100 && st.dropped < 2; i++) {
        run_until(&w, NULL, 20);
        pc_upstream_pool_stats(p, &st);
    }
    assert_int_equal(st.dropped, 2);
    assert_null(pc_upstream_pool_take(p, "origin.test", 80, NULL, NULL));
    close_pool(&w, p);
    world_free(&w);
}

static void
test_expiry_and_size_bound(void **state)
{
    world_t w;
    pc_upstream_pool_t *p;
    pc_upstream_pool_stats_t st;
    pc_upstream_t *b;

    (void)state;
    world_init(&w);
    assert_int_equal(pc_upstream_pool_create(&w.loop, 2, 100, &p), 0);
    pc_upstream_pool_put(p, connect_up(&w), "a.test", 80);
    pc_upstream_pool_put(p, connect_up(&w), "b.test", 80);
    pc_upstream_pool_put(p, connect_up(&w), "c.test", 80); /* the oldest, a, makes room */
    pc_upstream_pool_stats(p, &st);
    assert_int_equal(st.evicted, 1);
    assert_int_equal(st.idle, 2);
    assert_null(pc_upstream_pool_take(p, "a.test", 80, NULL, NULL));
    b = pc_upstream_pool_take(p, "b.test", 80, NULL, NULL);
    assert_non_null(b);
    close_up(&w, b);
    /* c expires after 100 ms of idleness. */
    run_until(&w, NULL, 400);
    pc_upstream_pool_stats(p, &st);
    assert_int_equal(st.expired, 1);
    assert_int_equal(st.idle, 0);
    assert_null(pc_upstream_pool_take(p, "c.test", 80, NULL, NULL));
    run_until(&w, NULL, 50);
    assert_int_equal(w.peer_eofs, 3); /* a, b and c all closed */
    close_pool(&w, p);
    world_free(&w);
}

static bool
refuse_all(const struct sockaddr *sa, void *data)
{
    assert_int_equal(sa->sa_family, AF_INET);
    (*(int *)data)++;
    return false;
}

static void
test_admit_refusal_and_close_with_idle(void **state)
{
    world_t w;
    pc_upstream_pool_t *p;
    pc_upstream_pool_stats_t st;
    int asked = 0;

    (void)state;
    world_init(&w);
    assert_int_equal(pc_upstream_pool_create(&w.loop, 8, 10000, &p), 0);
    pc_upstream_pool_put(p, connect_up(&w), "origin.test", 80);
    pc_upstream_pool_put(p, connect_up(&w), "origin.test", 80);
    pc_upstream_pool_put(p, connect_up(&w), "keep.test", 80);
    assert_null(pc_upstream_pool_take(p, "origin.test", 80, refuse_all, &asked));
    assert_int_equal(asked, 2); /* both were asked about, and both closed */
    pc_upstream_pool_stats(p, &st);
    assert_int_equal(st.evicted, 2);
    assert_int_equal(st.idle, 1);
    /* Closing the pool closes what it holds; puts after that close at once. */
    close_pool(&w, p);
    run_until(&w, NULL, 50);
    assert_int_equal(w.peer_eofs, 3);
    world_free(&w);
}

static void
test_zero_size_pool_keeps_nothing(void **state)
{
    world_t w;
    pc_upstream_pool_t *p;
    pc_upstream_pool_stats_t st;

    (void)state;
    world_init(&w);
    assert_int_equal(pc_upstream_pool_create(&w.loop, 0, 10000, &p), 0);
    pc_upstream_pool_put(p, connect_up(&w), "origin.test", 80);
    assert_null(pc_upstream_pool_take(p, "origin.test", 80, NULL, NULL));
    pc_upstream_pool_stats(p, &st);
    assert_int_equal(st.idle, 0);
    run_until(&w, NULL, 50);
    assert_int_equal(w.peer_eofs, 1);
    close_pool(&w, p);
    world_free(&w);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_take_what_was_put),
        cmocka_unit_test(test_origin_close_drops_idle),
        cmocka_unit_test(test_expiry_and_size_bound),
        cmocka_unit_test(test_admit_refusal_and_close_with_idle),
        cmocka_unit_test(test_zero_size_pool_keeps_nothing),
    };

    return cmocka_run_group_tests_name("upstream_pool", tests, NULL, NULL);
}
