/*
 * error.c: messages and names for Portcullis error codes.
 *
 * Project codes come from PC_ERRNO_MAP; everything else is a libuv code and is
 * handed to libuv, the same way uv_strerror() is generated from UV_ERRNO_MAP.
 */
#include "portcullis/error.h"

#include <uv.h>

const char *
pc_strerror(int err)
{
    switch (err) {
#define PC__ERR_MSG(name, code, msg) \
    case PC_E_##name:                \
        return msg;
        PC_ERRNO_MAP(PC__ERR_MSG)
#undef PC__ERR_MSG
    default:
        return uv_strerror(err);
    }
}

const char *
pc_err_name(int err)
{
    switch (err) {
#define PC__ERR_NAME(name, code, msg) \
    case PC_E_##name:                 \
        return "PC_E_" #name;
        PC_ERRNO_MAP(PC__ERR_NAME)
#undef PC__ERR_NAME
    default:
        return uv_err_name(err);
    }
}
