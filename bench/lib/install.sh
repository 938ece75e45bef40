# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
# bench/lib/install.sh: install the peers from Debian's packages, idempotently.
# Sourced by bench/run; expects BENCH_DIR.

# Print the package names in packages.txt (comments and blank lines dropped).
bench_package_list() {
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$BENCH_DIR/packages.txt" | awk '{ print $1 }'
}

# Install whatever in packages.txt is not installed yet; a no-op when all are.
bench_install_packages() {
	local pkg missing=()
	while read -r pkg; do
		if ! dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed$'; then
			missing+=("$pkg")
		fi
	done < <(bench_package_list)
	if ((${#missing[@]} == 0)); then
		log "packages: all installed"
		return 0
	fi
	log "packages: installing ${missing[*]}"
	# docker.io's and containerd's maintainer scripts would start the system
	# daemons on their default sockets; bench wants only its own private ones.
	# A policy-rc.d that exits 101 tells invoke-rc.d not to start anything.
	# Add one only for the duration of the install, and only if none exists.
	(
		if [[ ! -e /usr/sbin/policy-rc.d ]]; then
			printf '#!/bin/sh\n# temporary, from berth bench/run\nexit 101\n' >/usr/sbin/policy-rc.d
			chmod 0755 /usr/sbin/policy-rc.d
			trap 'rm -f /usr/sbin/policy-rc.d' EXIT
		fi
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
	)
}
