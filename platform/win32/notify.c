/*
 * notify.c: service-manager notifications on Windows.
 *
 * Nothing to do yet: a console process has no manager to tell. The service
 * mode (issue 4) reports its states to the service control manager itself.
 */
#include "portcullis/platform.h"

void
pc_platform_notify(pc_service_state_t state)
{
    (void)state;
}
