/*
 * error.h: Portcullis error codes.
 *
 * Every function that can fail returns 0 on success or a negative code. System
 * and network errors are libuv's UV_E* codes, passed through unchanged (they lie
 * in -1 ... -4095). Project errors come from the table below, at -20000 and
 * lower, so the two ranges never collide.
 */
#ifndef PC_ERROR_H
#define PC_ERROR_H

#define PC_ERRNO_MAP(XX)                                                    \
    XX(BAD_REQUEST, -20001, "malformed HTTP request")                       \
    XX(HEAD_TOO_BIG, -20002, "request head exceeds limit")                  \
    XX(URI_TOO_LONG, -20003, "request line exceeds limit")                  \
    XX(DENIED_ACL, -20004, "client address denied")                         \
    XX(DENIED_FILTER, -20005, "destination refused by policy")              \
    XX(DENIED_PORT, -20006, "CONNECT port not allowed")                     \
    XX(BAD_RESPONSE, -20007, "malformed HTTP response from origin")         \
    XX(NOT_IMPLEMENTED, -20008, "request not supported by this proxy")      \
    XX(CONF_SYNTAX, -20009, "configuration syntax error")                   \
    XX(CONF_VALUE, -20010, "configuration value invalid")                   \
    XX(BAD_HOST, -20011, "malformed host name")                             \
    XX(NOMEM, -20012, "out of memory")                                      \
    XX(TOO_MANY_HEADERS, -20013, "too many header fields")                  \
    XX(UPSTREAM_CLOSED, -20014, "origin closed the connection prematurely") \
    XX(TIMEOUT, -20015, "timed out")                                        \
    XX(NO_SPACE, -20016, "output buffer too small")                         \
    XX(DENIED_LIMIT, -20017, "too many connections from this address")

typedef enum {
#define PC__ERR_ENUM(name, code, msg) PC_E_##name = (code),
    PC_ERRNO_MAP(PC__ERR_ENUM)
#undef PC__ERR_ENUM
} pc_errno_t;

/* A message for any code: project codes from the table, others from libuv. */
const char *pc_strerror(int err);

/* The symbolic name ("PC_E_BAD_REQUEST", "ECONNREFUSED") for any code. */
const char *pc_err_name(int err);

/*
 * An error as the error log writes it, message and name: "connection
 * refused (ECONNREFUSED)". Use as PC_LOG(..., "... " PC_ERR_FMT, ...,
 * PC_ERR_ARGS(err)).
 */
#define PC_ERR_FMT       "%s (%s)"
#define PC_ERR_ARGS(err) pc_strerror(err), pc_err_name(err)

#endif
