/*
 * http_proxy.c: forwarding one plain HTTP transaction.
 *
 * The request head was parsed by conn.c. Here: the target is checked and
 * rewritten, the origin is reached, the new head and the framed request body
 * go up (IdleTimeout), the response head is parsed, checked and rewritten
 * (ResponseTimeout, a deadline from the end of the request), and the framed
 * response body comes down (IdleTimeout). Bodies are relayed as the raw bytes that were
 * validated (Content-Length counted, chunked scanned by pc_chunked_scan), so
 * the receiver sees exactly what was checked, never more. One write per
 * direction is in flight at a time and the side feeding it is not read
 * meanwhile (backpressure).
 */
#include "conn.h"

#include "http_rewrite.h"
#include "portcullis/error.h"

#include <stdlib.h>
#include <string.h>

static void req_pump(pc_conn_t *c);
static void resp_pump(pc_conn_t *c);
static int resp_body_bytes(pc_conn_t *c, size_t *n, bool *done);

/* p reallocated to n bytes (p itself if that fails). */
static char *
shrink(char *p, size_t n)
{
    char *q = realloc(p, n > 0 ? n : 1);

    return q != NULL ? q : p;
}

/* ---- request side ---------------------------------------------------------- */

static int
check_request(pc_conn_t *c, const pc_http_request_t *req, const char **path, size_t *path_len,
              char *path_buf, size_t path_cap)
{
    int err = pc_target_parse_absolute(req->target, req->target_len, &c->target, path, path_len,
                                       path_buf, path_cap);

    if (err == PC_E_NOT_IMPLEMENTED) {
        pc__conn_reply_error(c, 501, "only http:// URLs can be fetched; use CONNECT for https");
        return err;
    }
    if (err != 0) {
        pc__conn_reply_error(c, 400, "absolute http:// URL with a valid host required");
        return err;
    }
    if (pc_http_request_framing(req, &c->req_fr) != 0) {
        pc__conn_reply_error(c, 400, "ambiguous or invalid message framing");
        return PC_E_BAD_REQUEST;
    }
    if (pc_http_via_has(req->headers, req->num_headers, c->conf->via_name)) {
        PC_LOG(PC_LOGL_WARN, c->id, "%s: forwarding loop (Via names us)", c->peer);
        pc__conn_reply_error(c, 508, "forwarding loop detected");
        return PC_E_BAD_REQUEST;
    }
    if (!pc__gate_host(c)) {
        return PC_E_DENIED_FILTER;
    }
    return 0;
}

void
pc__http_start(pc_conn_t *c, const pc_http_request_t *req, size_t head_len)
{
    char host[PC_HOST_MAX + 16];
    char path_buf[PC_LINE_MAX + 2]; /* request.c refused longer targets (414) */
    const char *path = NULL;
    size_t path_len = 0, host_len;
    int err;

    if (check_request(c, req, &path, &path_len, path_buf, sizeof(path_buf)) != 0) {
        return;
    }
    c->is_head = req->method_len == 4 && memcmp(req->method, "HEAD", 4) == 0;
    c->close_after = !c->req_fr.keep_alive;
    host_len = pc_target_format_host(&c->target, 80, host, sizeof(host));
    c->head_out = malloc(PC_HEAD_OUT_SIZE);
    if (c->head_out == NULL) {
        pc_conn_close(c);
        return;
    }
    err =
        pc_http_rewrite_request(req, &c->req_fr, host, host_len, path, path_len, c->conf->via_name,
                                c->head_out, PC_HEAD_OUT_SIZE, &c->head_out_len);
    if (err != 0) {
        pc__conn_reply_error(c, 431, "request head too large");
        return;
    }
    /* Kept until the response head arrives (it may be resent): only its own size. */
    c->head_out = shrink(c->head_out, c->head_out_len);
    pc__buf_consume(&c->cbuf, head_len);
    c->req_left = c->req_fr.kind == PC_BODY_LENGTH ? c->req_fr.length : 0;
    c->req = REQ_BODY;
    pc__conn_connect(c);
}

void
pc__http_on_connected(pc_conn_t *c)
{
    size_t len = c->head_out_len;

    c->body_ends_after_write =
        c->req_fr.kind == PC_BODY_NONE || (c->req_fr.kind == PC_BODY_LENGTH && c->req_left == 0);
    if (pc__conn_write_up(c, c->head_out, len, 0) != 0) {
        pc__conn_reply_error(c, 502, "cannot write to origin");
        return;
    }
    c->resp = RESP_HEAD;
    pc__conn_read_up(c, true);
}

/* How many bytes at the start of cbuf (not empty) belong to the request body. */
static int
req_body_bytes(pc_conn_t *c, size_t *n, bool *done)
{
    const char *p = c->cbuf.base + c->cbuf.off;
    size_t avail = c->cbuf.len;
    int r;

    if (c->req_fr.kind == PC_BODY_CHUNKED) {
        r = pc_chunked_scan(&c->req_ch, p, avail, n);
        if (r < 0) {
            return -1;
        }
        *done = r == 1;
        return 0;
    }
    *n = avail < c->req_left ? avail : (size_t)c->req_left;
    c->req_left -= *n;
    *done = c->req_left == 0;
    return 0;
}

static void
check_done(pc_conn_t *c)
{
    if (c->resp != RESP_DONE || c->client_writing) {
        return;
    }
    if (c->req != REQ_DONE) {
        c->close_after = true; /* the origin answered before the body was sent */
    }
    pc__conn_finish_txn(c);
}

static void
req_pump(pc_conn_t *c)
{
    size_t n = 0;
    bool done = false;

    if (c->req != REQ_BODY || c->up_writing || !c->up_connected) {
        return;
    }
    if (c->cbuf.len == 0) {
        pc__conn_read_client(c, true);
        return;
    }
    if (req_body_bytes(c, &n, &done) != 0) {
        pc__conn_reply_error(c, 400, "invalid chunked request body");
        return;
    }
    pc__conn_read_client(c, false);
    c->body_ends_after_write = done;
    if (pc__conn_write_up(c, c->cbuf.base + c->cbuf.off, n, n) != 0) {
        pc__conn_reply_error(c, 502, "cannot write to origin");
    }
}

void
pc__http_on_up_written(pc_conn_t *c)
{
    pc__conn_touch(c);
    if (c->body_ends_after_write) {
        c->body_ends_after_write = false;
        c->req = REQ_DONE;
        if (c->resp == RESP_HEAD) {
            /* The whole request is out: the origin has ResponseTimeout to answer. */
            pc__conn_set_deadline(c, c->conf->response_timeout_ms);
        }
        check_done(c);
        return;
    }
    req_pump(c);
}

void
pc__http_on_client_data(pc_conn_t *c)
{
    pc__conn_touch(c);
    if (c->req == REQ_BODY) {
        req_pump(c);
    } else {
        pc__conn_read_client(c, false);
    }
}

/* ---- response side ----------------------------------------------------------- */

static int
check_response(pc_conn_t *c, const pc_http_response_t *res)
{
    if (pc_http_response_framing(res, c->is_head, &c->resp_fr) != 0) {
        return -1;
    }
    if (res->status == 101) {
        return -1; /* Upgrade was removed from the request: a 101 is a protocol error */
    }
    if (c->resp_fr.kind == PC_BODY_CHUNKED && c->client_minor == 0) {
        return -1; /* chunked is not allowed in answer to an HTTP/1.0 request */
    }
    return 0;
}

static void
send_response_head(pc_conn_t *c, const pc_http_response_t *res, size_t head_len)
{
    bool interim = res->status < 200;
    bool close = false, done = false;
    size_t len, body = 0;

    if (!interim) {
        close = c->close_after || c->resp_fr.kind == PC_BODY_CLOSE || c->req != REQ_DONE
                || pc__server_stopping(c->server);
        c->close_after = close;
        c->status = res->status;
    }
    free(c->resp_out);
    c->resp_out = malloc(PC_HEAD_OUT_SIZE);
    if (c->resp_out == NULL
        || pc_http_rewrite_response(res, &c->resp_fr, close, c->client_minor, c->conf->via_name,
                                    c->resp_out, PC_HEAD_OUT_SIZE, &len)
               != 0) {
        pc__conn_reply_error(c, 502, "response head too large");
        return;
    }
    c->ubuf.off += head_len;
    c->ubuf.len -= head_len;
    if (!interim) {
        /* The response head ends ResponseTimeout: bodies may trickle (streams). */
        pc__conn_set_timer(c, c->conf->idle_timeout_ms);
        free(c->head_out); /* answered: it will not be resent */
        c->head_out = NULL;
        c->resp = RESP_BODY;
        c->resp_left = c->resp_fr.kind == PC_BODY_LENGTH ? c->resp_fr.length : 0;
        /* The body bytes already here go out with the head, in one write. */
        if (c->resp_fr.kind != PC_BODY_NONE && c->ubuf.len > 0
            && resp_body_bytes(c, &body, &done) != 0) {
            /* Nothing went to the client yet: it gets a clean 502, not a torn 200. */
            PC_LOG(PC_LOGL_INFO, c->id, "%s: invalid chunked body from origin", c->target.host);
            c->close_after = true;
            pc__conn_reply_error(c, 502, "malformed response from origin");
            return;
        }
        c->resp_ends_after_write = c->resp_fr.kind == PC_BODY_NONE
                                   || (c->resp_fr.kind == PC_BODY_LENGTH && c->resp_left == 0)
                                   || done;
        if (body > 0 && !c->resp_ends_after_write) {
            /* More of the body may gather after these bytes while they go out. */
            pc__conn_read_up(c, pc__buf_room(&c->ubuf) > 0);
        }
    }
    if (pc__conn_write_client_head(c, len, body) != 0) {
        pc_conn_close(c);
        return;
    }
    c->resp_started = true;
}

static void
parse_response(pc_conn_t *c)
{
    pc_http_header_t headers[PC_MAX_HEADERS];
    pc_http_response_t res;
    int r;

    res.headers = headers;
    r = PC_HTTP_INCOMPLETE; /* an empty ubuf holds no block to point into */
    if (c->ubuf.len > 0) {
        r = pc_http_parse_response(c->ubuf.base + c->ubuf.off, c->ubuf.len, &res, PC_MAX_HEADERS);
    }
    if (r == PC_HTTP_INCOMPLETE) {
        if (c->up_eof) {
            pc__conn_reply_error(c, 502, "origin closed the connection without a response");
        } else if (c->ubuf.len >= PC_HEAD_MAX) {
            pc__conn_reply_error(c, 502, "response head from origin too large");
        } else {
            pc__conn_read_up(c, true);
        }
        return;
    }
    if (r < 0 || check_response(c, &res) != 0) {
        PC_LOG(PC_LOGL_INFO, c->id, "%s: malformed response from origin", c->target.host);
        pc__conn_reply_error(c, 502, "malformed response from origin");
        return;
    }
    if (res.status < 200 && c->client_minor == 0) {
        c->ubuf.off += (size_t)r; /* HTTP/1.0 clients do not get interim responses */
        c->ubuf.len -= (size_t)r;
        resp_pump(c);
        return;
    }
    send_response_head(c, &res, (size_t)r);
}

/* How many bytes at the start of ubuf (not empty) belong to the response body. */
static int
resp_body_bytes(pc_conn_t *c, size_t *n, bool *done)
{
    const char *p = c->ubuf.base + c->ubuf.off;
    size_t avail = c->ubuf.len;
    int r;

    switch (c->resp_fr.kind) {
    case PC_BODY_CHUNKED:
        r = pc_chunked_scan(&c->resp_ch, p, avail, n);
        *done = r == 1;
        return r < 0 ? -1 : 0;
    case PC_BODY_LENGTH:
        *n = avail < c->resp_left ? avail : (size_t)c->resp_left;
        c->resp_left -= *n;
        *done = c->resp_left == 0;
        return 0;
    default:
        *n = avail;
        *done = false;
        return 0;
    }
}

static void
resp_body(pc_conn_t *c)
{
    size_t n = 0;
    bool done = false;

    if (c->ubuf.len == 0) {
        if (!c->up_eof) {
            pc__conn_read_up(c, true);
        } else if (c->resp_fr.kind == PC_BODY_CLOSE) {
            c->resp = RESP_DONE; /* a close-delimited body ends here */
            c->close_after = true;
            pc__conn_release_up(c);
            check_done(c);
        } else {
            pc_conn_close(c); /* the origin died mid-body: never fake an ending */
        }
        return;
    }
    if (resp_body_bytes(c, &n, &done) != 0) {
        PC_LOG(PC_LOGL_INFO, c->id, "%s: invalid chunked body from origin", c->target.host);
        pc_conn_close(c);
        return;
    }
    c->resp_ends_after_write = done;
    if (pc__conn_write_client(c, c->ubuf.base + c->ubuf.off, n, n) != 0) {
        pc_conn_close(c);
        return;
    }
    /* More of the body may gather after these bytes while they are written;
     * after the last ones, reading stays as it is (see pc__http_on_client_written). */
    if (!done) {
        pc__conn_read_up(c, pc__buf_room(&c->ubuf) > 0);
    }
}

static void
resp_pump(pc_conn_t *c)
{
    if (c->client_writing || c->closing) {
        return;
    }
    if (c->resp == RESP_HEAD) {
        parse_response(c);
    } else if (c->resp == RESP_BODY) {
        resp_body(c);
    }
}

void
pc__http_on_up_data(pc_conn_t *c)
{
    if (c->resp == RESP_IDLE || c->resp == RESP_DONE) {
        pc__conn_read_up(c, false); /* nothing was asked: drop the origin */
        pc__conn_release_up(c);
        c->close_after = true;
        return;
    }
    resp_pump(c);
}

void
pc__http_on_client_written(pc_conn_t *c)
{
    pc__conn_touch(c);
    if (c->resp == RESP_BODY && c->resp_ends_after_write) {
        c->resp_ends_after_write = false;
        c->resp = RESP_DONE;
        c->resp_extra = c->ubuf.len > 0; /* bytes past the body: that connection is not reused */
        c->ubuf.off = 0;
        c->ubuf.len = 0; /* anything the origin sent past the body is dropped */
        /* Reading stays on: a connection that goes to the pool is read there,
         * and one that does not is closed now (check_done) or on what comes. */
        check_done(c);
        return;
    }
    resp_pump(c);
}

void
pc__http_on_up_eof(pc_conn_t *c, int err)
{
    if (pc__conn_retry_fresh(c)) {
        return; /* a reused connection the origin had closed: resent on a new one */
    }
    if (err != UV_EOF && !c->resp_started) {
        pc__conn_reply_error(c, 502, "origin connection failed");
        return;
    }
    if (err != UV_EOF) {
        pc_conn_close(c);
        return;
    }
    if (c->resp == RESP_IDLE || c->resp == RESP_DONE) {
        pc__conn_release_up(c);
        return;
    }
    resp_pump(c);
}
