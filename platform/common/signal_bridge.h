/*
 * signal_bridge.h: signals to platform events through libuv (internal to
 * platform/). Each OS file supplies its table of signal -> event; the bridge
 * owns the uv_signal_t handles and their lifetime.
 */
#ifndef PC_SIGNAL_BRIDGE_H
#define PC_SIGNAL_BRIDGE_H

#include <stddef.h>

#include "portcullis/platform.h"

#define PC__SIGNAL_BRIDGE_MAX 8

typedef struct {
    int signum;
    pc_event_t ev;
} pc__signal_map_t;

typedef struct pc__sigbridge_s pc__sigbridge_t;

/*
 * Starts one uv_signal_t per entry of map (at most PC__SIGNAL_BRIDGE_MAX).
 * Same contract as pc_platform_events_start().
 */
int pc__signal_bridge_start(uv_loop_t *loop, const pc__signal_map_t *map, size_t n, pc_event_cb cb,
                            void *data, pc__sigbridge_t **out);

/* Stops delivery and closes the handles; frees itself once they are closed. */
void pc__signal_bridge_stop(pc__sigbridge_t *b);

#endif
