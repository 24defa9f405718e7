/*
 * http_reply.c: the responses Portcullis writes itself.
 *
 * Bodies are text chosen by the proxy. Nothing from the request is
 * reflected, so an error page can never carry a client's bytes to anyone.
 */
#include "http_reply.h"

#include "portcullis/error.h"

#include <stdio.h>
#include <string.h>

const char pc_http_connect_ok[] = "HTTP/1.1 200 Connection Established\r\n\r\n";
const size_t pc_http_connect_ok_len = sizeof(pc_http_connect_ok) - 1;

const char *
pc_http_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 414:
        return "URI Too Long";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    case 508:
        return "Loop Detected";
    default:
        return "Error";
    }
}

int
pc_http_reply_error(int status, const char *detail, char *out, size_t cap, size_t *out_len)
{
    char body[512];
    const char *reason = pc_http_reason(status);
    int blen;
    int n;

    if (detail != NULL) {
        blen = snprintf(body, sizeof(body), "%d %s: %s\n", status, reason, detail);
    } else {
        blen = snprintf(body, sizeof(body), "%d %s\n", status, reason);
    }
    if (blen < 0 || (size_t)blen >= sizeof(body)) {
        return PC_E_NO_SPACE;
    }
    n = snprintf(out, cap,
                 "HTTP/1.1 %d %s\r\n"
                 "Content-Type: text/plain; charset=utf-8\r\n"
                 "Content-Length: %d\r\n"
                 "Cache-Control: no-store\r\n"
                 "Connection: close\r\n"
                 "\r\n"
                 "%s",
                 status, reason, blen, body);
    if (n < 0 || (size_t)n >= cap) {
        return PC_E_NO_SPACE;
    }
    *out_len = (size_t)n;
    return 0;
}
