/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * berthd dial-stdio: standard input and output joined to the engine's unix socket, as
 * `docker system dial-stdio` joins them to dockerd's. A client reaches the engine over SSH by
 * running it on the host (`ssh HOST berthd dial-stdio`) and speaking HTTP on the pipe.
 */

/* argv[0] is "dial-stdio". Returns the process's exit status when it cannot connect; once
 * connected it ends the process itself (_exit) when the engine closes the stream. */
int berthd_dial_stdio(int argc, char **argv);
