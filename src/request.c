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

#include <stdlib.h>
#include <string.h>

static bool
head_line_too_long(const pc_buf_t *b)
{
    return b->len > PC_LINE_MAX && memchr(b->base + b->off, '\n', PC_LINE_MAX) == NULL;
}

/* len cut so that the text and its NUL fit in cap bytes. */
static size_t
cut(size_t len, size_t cap)
{
    return len < cap ? len : cap - 1;
}

/* Copies len bytes of src and a NUL to *p, moves *p past them; returns the copy. */
static const char *
put_text(char **p, const char *src, size_t len)
{
    char *s = *p;

    if (len > 0) {
        memcpy(s, src, len);
    }
    s[len] = '\0';
    *p = s + len + 1;
    return s;
}

/* The value of the first field named name (cut to cap), or NULL. */
static const pc_http_header_t *
find_field(const pc_http_request_t *req, const char *name, size_t *len, size_t cap)
{
    int i = pc_http_find_header(req->headers, req->num_headers, name, strlen(name), 0);

    *len = i >= 0 ? cut(req->headers[i].value_len, cap) : 0;
    return i >= 0 ? &req->headers[i] : NULL;
}

/*
 * The access-log texts of the request (method, target, User-Agent, Referer,
 * each cut to its bound as before) in one block of their real size.
 */
static pc_txn_text_t *
txn_text_new(const pc_http_request_t *req)
{
    size_t ml = cut(req->method_len, PC_TXN_METHOD_CAP);
    size_t tl = cut(req->target_len, PC_TXN_TARGET_CAP);
    size_t ul, rl;
    const pc_http_header_t *ua = find_field(req, "User-Agent", &ul, PC_TXN_UA_CAP);
    const pc_http_header_t *ref = find_field(req, "Referer", &rl, PC_TXN_REFERER_CAP);
    pc_txn_text_t *t = malloc(sizeof(*t) + ml + tl + ul + rl + 4);
    char *p;

    if (t == NULL) {
        return NULL;
    }
    p = t->text;
    t->method = put_text(&p, req->method, ml);
    t->target = put_text(&p, req->target, tl);
    t->user_agent = ua != NULL ? put_text(&p, ua->value, ul) : NULL;
    t->referer = ref != NULL ? put_text(&p, ref->value, rl) : NULL;
    return t;
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

/* Starts the transaction's record; false (and the connection closed) without memory. */
static bool
begin_txn(pc_conn_t *c, const pc_http_request_t *req)
{
    refresh_conf(c);
    pc__conn_txn_begin(c);
    c->client_minor = req->minor_version;
    c->txt = txn_text_new(req);
    if (c->txt == NULL) {
        pc_conn_close(c);
        return false;
    }
    return true;
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
    return c->cbuf.len > from
           && memchr(c->cbuf.base + c->cbuf.off + from, '\n', c->cbuf.len - from) != NULL;
}

void
pc__request_parse_head(pc_conn_t *c)
{
    pc_http_header_t headers[PC_MAX_HEADERS];
    pc_http_request_t req;
    int r;

    req.headers = headers;
    r = PC_HTTP_INCOMPLETE;
    if (c->cbuf.len > 0 && (line_arrived(c) || c->cbuf.len <= EARLY_CHECK_BYTES)) {
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
    if (!begin_txn(c, &req)) {
        return;
    }
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
