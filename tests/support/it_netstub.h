/*
 * it_netstub.h: two small network stubs for the error-path tests.
 *
 * Blackhole: a TCP listener with the smallest backlog whose loop never runs,
 * so nothing is ever accepted. Once one connection fills the backlog, further
 * SYNs are dropped and a connect to the port hangs until the connector gives
 * up: this is how the tests make the proxy's ConnectTimeout fire without
 * sending a packet off the machine.
 *
 * DNS stub: a UDP server on 127.0.0.1:53 (only usable in the sandbox, where
 * /etc/resolv.conf points there and the test runs as root in its own network
 * namespace). NXDOMAIN mode answers every query "no such name" from its own
 * thread; SILENT mode binds the port and never reads, so resolvers time out.
 */
#ifndef PC_TESTS_SUPPORT_IT_NETSTUB_H
#define PC_TESTS_SUPPORT_IT_NETSTUB_H

typedef struct pc_it_blackhole_s pc_it_blackhole_t;

/*
 * Starts a blackhole on 127.0.0.1 and fills its backlog. Returns 0,
 * UV_ENOTSUP if connects to it do not hang on this system (the caller
 * should skip), or another UV_E* code.
 */
int pc_it_blackhole_start(pc_it_blackhole_t **out, int *port);

/* Closes the listener and the connection that filled it; NULL is allowed. */
void pc_it_blackhole_stop(pc_it_blackhole_t *b);

typedef enum { PC_IT_DNS_NXDOMAIN = 0, PC_IT_DNS_SILENT } pc_it_dns_mode_t;

typedef struct pc_it_dns_s pc_it_dns_t;

/* Binds 127.0.0.1:53/udp. 0 or the bind error. */
int pc_it_dns_start(pc_it_dns_t **out, pc_it_dns_mode_t mode);

/* Stops and frees; NULL is allowed. */
void pc_it_dns_stop(pc_it_dns_t *d);

/* How many queries the NXDOMAIN stub has answered so far. */
unsigned pc_it_dns_queries(pc_it_dns_t *d);

#endif
