/* SPDX-License-Identifier: Apache-2.0 */
/* berth: the host client. Everything lives in host/cli; this only hands over argv. */
#include "host/cli/commands.h"

int main(int argc, char **argv)
{
    return berth_main(argc, argv);
}
