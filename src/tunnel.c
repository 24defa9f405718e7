/*
 * tunnel.c: the byte relay behind a CONNECT.
 *
 * After the origin connects the client gets "200 Connection Established" and
 * bytes flow both ways unchanged. Each direction keeps reading into the room
 * its buffer has after the bytes being written, and writes what gathered
 * once the write in flight completes; a full buffer stops the reading
 * (backpressure: a slow reader stalls its writer through TCP flow control,
 * never through our memory). An EOF from one side becomes a
 * shutdown of the other side's write half once the pending bytes are out
 * (half-close); the tunnel ends when both directions are finished, on an
 * error, or on the idle timeout.
 */
#include "conn.h"

#include "http_reply.h"

static void
maybe_done(pc_conn_t *c)
{
    if (c->client_shut && c->up_shut && c->client_eof && c->up_eof) {
        pc__conn_finish_txn(c);
    }
}

/* Both half-closes end here; req tells which side's write half was shut. */
static void
on_shutdown(uv_shutdown_t *req, int status)
{
    pc_conn_t *c = req->data;

    if (c->closing) {
        return;
    }
    if (status != 0) {
        pc_conn_close(c);
        return;
    }
    if (req == &c->up_sd) {
        c->up_shut = true;
    } else {
        c->client_shut = true;
    }
    maybe_done(c);
}

/*
 * Client -> origin: write what is buffered (unless a write is in flight),
 * pass the EOF on once everything is written, and read while the buffer has
 * room after the bytes in flight.
 */
static void
pump_up(pc_conn_t *c)
{
    if (c->closing || c->up_sd.data != NULL) {
        return;
    }
    if (!c->up_writing && c->cbuf.len > 0) {
        pc__buf_make_room(&c->cbuf);
        if (pc__conn_write_up(c, c->cbuf.base + c->cbuf.off, c->cbuf.len, c->cbuf.len) != 0) {
            pc_conn_close(c);
            return;
        }
    }
    if (!c->up_writing && c->cbuf.len == 0 && c->client_eof) {
        c->up_sd.data = c;
        if (uv_shutdown(&c->up_sd, pc_upstream_stream(c->up), on_shutdown) != 0) {
            pc_conn_close(c);
        }
        return;
    }
    pc__conn_read_client(c, pc__buf_room(&c->cbuf) > 0);
}

/* Origin -> client, the same. */
static void
pump_down(pc_conn_t *c)
{
    if (c->closing || c->client_sd.data != NULL) {
        return;
    }
    if (!c->client_writing && c->ubuf.len > 0) {
        pc__buf_make_room(&c->ubuf);
        if (pc__conn_write_client(c, c->ubuf.base + c->ubuf.off, c->ubuf.len, c->ubuf.len) != 0) {
            pc_conn_close(c);
            return;
        }
    }
    if (!c->client_writing && c->ubuf.len == 0 && c->up_eof) {
        c->client_sd.data = c;
        if (uv_shutdown(&c->client_sd, (uv_stream_t *)&c->client, on_shutdown) != 0) {
            pc_conn_close(c);
        }
        return;
    }
    pc__conn_read_up(c, pc__buf_room(&c->ubuf) > 0);
}

void
pc__tunnel_on_connected(pc_conn_t *c)
{
    c->status = 200;
    c->resp_started = true;
    c->client_sd.data = NULL;
    c->up_sd.data = NULL;
    if (pc__conn_write_client(c, pc_http_connect_ok, pc_http_connect_ok_len, 0) != 0) {
        pc_conn_close(c);
        return;
    }
    pump_up(c); /* bytes sent right after the CONNECT head go first */
}

void
pc__tunnel_on_client_data(pc_conn_t *c)
{
    pc__conn_touch(c);
    pump_up(c);
}

void
pc__tunnel_on_up_data(pc_conn_t *c)
{
    pc__conn_touch(c);
    pump_down(c);
}

void
pc__tunnel_on_client_written(pc_conn_t *c)
{
    pc__conn_touch(c);
    pump_down(c);
}

void
pc__tunnel_on_up_written(pc_conn_t *c)
{
    pc__conn_touch(c);
    pump_up(c);
}

void
pc__tunnel_on_eof(pc_conn_t *c, bool from_client)
{
    if (from_client) {
        pump_up(c);
    } else {
        pump_down(c);
    }
}
