/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* Shared between the reading and writing halves of shared/archive; not for other modules. */
#include <archive.h>
#include <archive_entry.h>

#include "shared/archive/archive.h"

/* Clean a tar entry name into a destination-relative path ("./a//b/" -> "a/b", "/etc" ->
 * "etc", "" or "/" -> "."). Returns NULL when the cleaned name climbs out with "..". */
char *bt_tar_clean_name(const char *name);

/* Fill e from a libarchive entry; name is the cleaned name (kept by the caller). */
void bt_tar_entry_from_archive(struct bt_tar_entry *e, struct archive_entry *ae, const char *name,
                               const char *clean_linkname);
