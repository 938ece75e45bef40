/* SPDX-License-Identifier: Apache-2.0 */
/* udprecv PORT FILE: receive UDP datagrams on PORT and append each to FILE (busybox's nc has no
 * UDP, and the tests need a UDP server inside a busybox container). Built static by the test. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        perror("udprecv");
        return 1;
    }
    for (;;) {
        char buf[2048];
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n < 0)
            return 1;
        FILE *f = fopen(argv[2], "a");
        if (!f)
            return 1;
        fwrite(buf, 1, (size_t)n, f);
        fclose(f);
    }
}
