/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* Times on the command line (--since, --until), read as docker's GetTimestamp reads them:
 * a Go duration ("42m", "1h30m", "1.5h") counts back from now; RFC 3339 dates and times
 * ("2013-01-02", "2013-01-02T13:23:37Z", "...T13:23:37.5+02:00", local time without a zone);
 * a Unix time ("1700000000", "1700000000.123") as it is. The result is the API's form
 * "seconds[.nanoseconds]". */
#include <stdbool.h>

#include "shared/base/err.h"

char *berth_timestamp(const char *value, bt_err **err);

/* Go's time.ParseDuration into nanoseconds; false when value is not a duration. */
bool berth_parse_duration(const char *value, long long *ns);
