#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Print the release of the newest installed Debian 6.12 kernel image that has
# matching headers: the guest kernel tsmbpf builds for and boots.
for v in $(ls /boot/vmlinuz-6.12.* 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -V -r); do
	if [ -d "/usr/src/linux-headers-$v" ]; then
		echo "$v"
		exit 0
	fi
done
exit 1
