/* tasks_stream.c - GET /api/v1/tasks/{name}/status/stream (Server-Sent Events).
 * Not implemented yet: needs a streaming response in the transport (MHD callback
 * response + timer); answers 501 problem+json until then. */
#include "handlers.h"

enum route_rc h_stream_task_status(struct route_ctx *c)
{
    return route_not_supported(c, "status streaming (SSE) is not implemented yet; poll "
                                  "GET /api/v1/tasks/{name}");
}
