/*
 * sockaddr.h: converting between socket addresses and the forms the rest of
 * the core uses ("ip:port" text for logs, pc_addr_t bytes for policy).
 */
#ifndef PC_SOCKADDR_H
#define PC_SOCKADDR_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "addr.h"

/* Writes "ip:port" (IPv4) or "[ip]:port" (IPv6) into out. */
void pc__sockaddr_format(const struct sockaddr *sa, char *out, size_t cap);

/* The address as bytes for the policy modules; IPv4-mapped IPv6 becomes IPv4. */
void pc__sockaddr_to_addr(const struct sockaddr *sa, pc_addr_t *out);

/* Builds the socket address for a (policy) address and a port. */
void pc__sockaddr_from_addr(const pc_addr_t *a, uint16_t port, struct sockaddr_storage *out);

#endif
