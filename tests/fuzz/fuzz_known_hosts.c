/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Files of ~/.ssh: known_hosts as our loader feeds it, line by line, to libssh2 (any input
 * loads; checks and host-key preferences then work on what was read), and the header of a
 * private key file (is it encrypted?).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/transport/ssh-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static LIBSSH2_SESSION *session;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    if (!session) {
        tp_ssh_library_init();
        session = libssh2_session_init();
        if (!session)
            abort();
    }
    (void)tp_key_file_is_encrypted((const char *)data, size);
    struct tp_known_hosts *kh = tp_kh_load_buffer(session, (const char *)data, size, "fuzz");
    static const char key[] = "\0\0\0\x0bssh-ed25519\0\0\0\x20"
                              "0123456789abcdef0123456789abcdef";
    int line = 0;
    const char *names[] = {"example.com", "[127.0.0.1]:2222", "revoked"};
    for (size_t i = 0; i < 3; i++) {
        enum tp_kh_status st = tp_kh_check(kh, names[i], key, sizeof(key) - 1,
                                           LIBSSH2_HOSTKEY_TYPE_ED25519, &line);
        if (st != TP_KH_MATCH && st != TP_KH_MISMATCH && st != TP_KH_NOTFOUND &&
            st != TP_KH_REVOKED)
            abort();
        if (line < 0)
            abort();
        bt_autofree char *prefs = tp_kh_hostkey_prefs(kh, names[i]);
        if (!strstr(prefs, "ssh-ed25519"))
            abort();
    }
    tp_kh_free(kh);
    return 0;
}
