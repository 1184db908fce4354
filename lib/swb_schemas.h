/*
 * swb_schemas - the Avro schemas of schemas/ (the .avsc files), embedded at build time
 * (tools/embed_schemas.cmake generates the table). Read-only, static.
 */
#ifndef SWB_SCHEMAS_H
#define SWB_SCHEMAS_H

#include <stddef.h>

struct swb_schema_src {
        const char *name; /* file name without .avsc, e.g. "AgentRequest" */
        const char *json; /* the file's text */
};

extern const struct swb_schema_src swb_schema_srcs[];
extern const size_t swb_schema_srcs_cnt;

#endif
