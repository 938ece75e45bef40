/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Where the running program's own files are: its directory, the modules it loads on first
 * use (lib/berth/NAME.so), and the data installed beside it. A build tree and an installation
 * have the same shape: bin/berth, lib/berth/, and data beside bin/ (build/boot2vm in a build,
 * share/berth/boot2vm installed).
 */

/* The directory of the running executable (/proc/self/exe); NULL when it cannot be read. The
 * caller frees. */
char *bt_self_dir(void);

/* The executable prog would run as: prog itself when it holds a "/", else the first
 * executable prog in $PATH's directories (an empty element is "."), or in fallback_path when
 * PATH is unset or empty. NULL when there is none. The caller frees. */
char *bt_path_lookup(const char *prog, const char *fallback_path);

/* The path of one of Berth's loadable modules: $BERTH_LIB_DIR/FILE when that is set, else
 * <dir of the executable>/../lib/berth/FILE (FILE alone when the executable cannot be found,
 * which dlopen() searches for). The caller frees. */
char *bt_module_path(const char *file);
