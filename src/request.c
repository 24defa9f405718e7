/*
 * request.c: reading the request head of each transaction.
 *
 * Owns the limits on a head (request line 8 KiB -> 414, head 16 KiB (PC_HEAD_MAX) or more
 * than 100 fields -> 431), when to parse (only once a new line has arrived),
 * the start of the transaction record for the access log, the Host check,
 * and the dispatch: CONNECT is checked here (target, port, policy) and handed
 * to the connector; anything else goes to http_proxy.c.
 *
 * Host never routes: the target's authority wins and the Host sent on is
 * written from it (RFC 9112 section 3.2.2), so a Host that names another
 * place is replaced, not obeyed. A Host that is present must still be valid
 * (one field; an authority by the target's rules, pc_target_check_host_fields),
 * else 400, for every method, CONNECT included; a missing Host is allowed.
 */
#include "conn.h"

#include "conf_load.h"

#include <string.h>

static bool
head_line_too_long(const pc_buf_t *b)
{
    const char *p = b->base + b->off;
    size_t n = b->len < PC_LINE_MAX ? b->len : PC_LINE_MAX;

    return b->len > PC_LINE_MAX && memchr(p, '\n', n) == NULL;
}

static void
copy_text(char *dst, size_t cap, const char *src, size_t len)
{
    if (len >= cap) {
        len = cap - 1;
    }
    memcpy(dst, src, len);
    dst[len] = '\0';
}

static void
start_connect_request(pc_conn_t *c, const pc_http_request_t *req, size_t head_len)
{
    int err = pc_target_parse_authority(req->target, req->target_len, 0, &c->target);

    if (err != 0) {
        pc__conn_reply_error(c, 400, "invalid CONNECT target");
        return;
    }
    if (!pc_portset_has(&c->conf->connect_ports, c->target.port)) {
        pc__gate_refuse_port(c);
        return;
    }
    if (!pc__gate_host(c)) {
        return;
    }
    pc__buf_consume(&c->cbuf, head_len);
    pc__buf_compact(&c->cbuf);
    c->mode = MODE_TUNNEL;
    pc__conn_connect(c);
}

/* A reload reaches a keep-alive connection at its next request. */
static void
refresh_conf(pc_conn_t *c)
{
    pc_conf_t *now = pc__server_conf(c->server);

    if (now != c->conf) {
        pc_conf_ref(now);
        pc_conf_unref(c->conf);
        c->conf = now;
    }
}

static void
begin_txn(pc_conn_t *c, const pc_http_request_t *req)
{
    int i;

    refresh_conf(c);
    pc__conn_txn_begin(c);
    copy_text(c->method, sizeof(c->method), req->method, req->method_len);
    copy_text(c->target_text, sizeof(c->target_text), req->target, req->target_len);
    c->client_minor = req->minor_version;
    i = pc_http_find_header(req->headers, req->num_headers, "User-Agent", 10, 0);
    if (i >= 0) {
        copy_text(c->user_agent, sizeof(c->user_agent), req->headers[i].value,
                  req->headers[i].value_len);
    }
    i = pc_http_find_header(req->headers, req->num_headers, "Referer", 7, 0);
    if (i >= 0) {
        copy_text(c->referer, sizeof(c->referer), req->headers[i].value, req->headers[i].value_len);
    }
}

/*
 * Bytes of a head that are parsed even before a LF arrives: enough for the
 * method, so that something that is not HTTP at all (a TLS ClientHello from
 * a client configured for an HTTPS proxy, a port scanner's probe) gets its
 * 400 at once instead of waiting out HeaderTimeout.
 */
#define EARLY_CHECK_BYTES 64

/*
 * True if a LF arrived since the last look. A head can only complete (or a
 * line become parseable) when one does; skipping the parse otherwise keeps a
 * client that sends one byte at a time from costing a re-parse per byte.
 */
static bool
line_arrived(pc_conn_t *c)
{
    size_t from = c->head_scanned;

    c->head_scanned = c->cbuf.len;
    return memchr(c->cbuf.base + c->cbuf.off + from, '\n', c->cbuf.len - from) != NULL;
}

void
pc__request_parse_head(pc_conn_t *c)
{
    pc_http_header_t headers[PC_MAX_HEADERS];
    pc_http_request_t req;
    int r;

    req.headers = headers;
    r = PC_HTTP_INCOMPLETE;
    if (line_arrived(c) || c->cbuf.len <= EARLY_CHECK_BYTES) {
        r = pc_http_parse_request(c->cbuf.base + c->cbuf.off, c->cbuf.len, &req, PC_MAX_HEADERS);
    }
    if (r == PC_HTTP_INCOMPLETE) {
        if (head_line_too_long(&c->cbuf)) {
            pc__conn_reply_error(c, 414, "request line too long");
        } else if (c->cbuf.len >= PC_HEAD_MAX) {
            pc__conn_reply_error(c, 431, "request head too large");
        } else {
            pc__buf_make_room(&c->cbuf); /* pipelined: the head may sit far along */
            pc__conn_read_client(c, true);
        }
        return;
    }
    if (r == PC_HTTP_TOO_MANY_HEADERS) {
        pc__conn_reply_error(c, 431, "too many header fields");
        return;
    }
    if (r < 0) {
        pc__conn_reply_error(c, 400, "malformed request");
        return;
    }
    begin_txn(c, &req);
    if (req.target_len + req.method_len + 12 > PC_LINE_MAX) {
        pc__conn_reply_error(c, 414, "request line too long");
    } else if (pc_target_check_host_fields(req.headers, req.num_headers) != 0) {
        pc__conn_reply_error(c, 400, "invalid Host header field");
    } else if (req.method_len == 7 && memcmp(req.method, "CONNECT", 7) == 0) {
        start_connect_request(c, &req, (size_t)r);
    } else {
        pc__http_start(c, &req, (size_t)r);
    }
}
