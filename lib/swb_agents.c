/* The agent plugin registry: adding an agent is one file in lib/agents/ plus one line here. */
#include <string.h>

#include "swb_agent.h"

extern const struct swb_agent_plugin swb_agent_hotel;
extern const struct swb_agent_plugin swb_agent_flight;
extern const struct swb_agent_plugin swb_agent_tour;
extern const struct swb_agent_plugin swb_agent_customer_service;

const struct swb_agent_plugin *const swb_agent_plugins[] = {
        &swb_agent_hotel,
        &swb_agent_flight,
        &swb_agent_tour,
        &swb_agent_customer_service,
        NULL,
};

const struct swb_agent_plugin *swb_agent_find(const char *name)
{
        size_t i;
        for (i = 0; name && swb_agent_plugins[i]; i++)
                if (!strcmp(swb_agent_plugins[i]->name, name))
                        return swb_agent_plugins[i];
        return NULL;
}
