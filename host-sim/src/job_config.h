/* job_config - the job config file: JSON (proto3 JSON mapping of neosync.plugin.v1.JobConfig)
 * parsed with json_proto, then checked for what the proto cannot express (required fields,
 * unique hook names, limits). Errors read "FILE:LINE:COL: what (at $.json.path)" and never
 * contain a connection URL: they name the field instead. */
#ifndef NSP_JOB_CONFIG_H
#define NSP_JOB_CONFIG_H

#include <stddef.h>

#include "neosync/plugin/v1/job.pb-c.h"

/* Most tables copied at once (hydration.parallelism). */
#define NSP_JOB_CONFIG_MAX_PARALLELISM 64

/* Read, parse and validate the job config at path. On success *out owns the config (free it
 * with nsp_job_config_free); on error returns -1, *out is NULL and err holds one line. */
int nsp_job_config_load_file(const char *path, Neosync__Plugin__V1__JobConfig **out, char *err,
                             size_t errlen);

/* As nsp_job_config_load_file, from len bytes of text; filename is used in error messages. */
int nsp_job_config_parse(const char *text, size_t len, const char *filename,
                         Neosync__Plugin__V1__JobConfig **out, char *err, size_t errlen);

void nsp_job_config_free(Neosync__Plugin__V1__JobConfig *cfg);

#endif
