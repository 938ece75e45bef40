/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* Every command function, one per cmd-<verb>.c (a few files hold close relatives). */
#include "host/cli/commands.h"

int berth_cmd_build(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_attach(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_cp(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_exec(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_logs(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_events(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_start(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_import(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_load(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_rmi(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_save(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_export(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_diff(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_update(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_system_prune(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_tag(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_commit(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_ps(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_images(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_inspect(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_container_inspect(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_image_inspect(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_info(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_history(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_top(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_stats(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_system_df(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_port(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_container_prune(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_image_prune(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_context_create(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_context_ls(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_context_use(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_context_rm(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_context_inspect(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_context_show(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_completion(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_docs(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_create(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_kill(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_pause(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_rename(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_restart(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_rm(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_run(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_stop(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_unpause(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_wait(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_volume_create(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_volume_inspect(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_volume_ls(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_volume_prune(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_volume_rm(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_network_connect(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_network_create(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_network_disconnect(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_network_inspect(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_network_ls(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_network_prune(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_network_rm(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_pull(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_push(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_login(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_logout(struct berth_cli *cli, int argc, char **argv);

/* cmd-machine.c: `berth machine`'s commands, ending with a NULL name */
extern const struct berth_cmd berth_machine_cmds[];
