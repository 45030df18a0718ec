# shellcheck shell=bash
# Common settings and helpers for the OpenZFS lab scripts (build, start, stop, ssh, selftest).
# Sourced, not executed.  Every setting can be overridden from the environment.

ZL_HERE=${ZL_HERE:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}

# Which OpenZFS / kernel combination to build:
#   bpo    : zfs-dkms + zfsutils-linux 2.3.x and the 6.12 cloud kernel, both from bookworm-backports (default)
#   stable : zfs-dkms + zfsutils-linux 2.1.11 and the 6.1 cloud kernel from bookworm (+ security updates)
ZFS_LAB_VARIANT=${ZFS_LAB_VARIANT:-bpo}
ZFS_LAB_SUITE=${ZFS_LAB_SUITE:-bookworm}
ZFS_LAB_CACHE=${ZFS_LAB_CACHE:-/var/cache/zfs-lab}
ZFS_LAB_IMAGE_DIR=${ZFS_LAB_IMAGE_DIR:-$ZFS_LAB_CACHE/$ZFS_LAB_VARIANT}
ZFS_LAB_RUN_DIR=${ZFS_LAB_RUN_DIR:-/var/tmp/zfs-lab}
ZFS_LAB_SSH_PORT=${ZFS_LAB_SSH_PORT:-10022}

zl_log() { printf '[zfs-lab %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
zl_die() { zl_log "ERROR: $*"; exit 1; }

zl_need_root() { [ "$(id -u)" = 0 ] || zl_die "must run as root"; }

# Install the host packages providing the given commands (pairs "command:package"),
# only if one of the commands is missing.  apt-get only, no other registry.
zl_host_tools() {
  local pair cmd pkg missing=()
  for pair in "$@"; do
    cmd=${pair%%:*}; pkg=${pair#*:}
    command -v "$cmd" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  zl_log "installing host packages: ${missing[*]}"
  local log; log=$(mktemp /tmp/zfs-lab-apt.XXXXXX)
  if ! { timeout 600 apt-get update && DEBIAN_FRONTEND=noninteractive timeout 1200 \
         apt-get install -y --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    tail -n 20 "$log" >&2; zl_die "apt-get install ${missing[*]} failed (log: $log)"
  fi
  rm -f "$log"
}

# Print "SUITE URI" for every enabled 'deb' entry in the given apt source files
# (deb822 *.sources and one-line *.list formats).
zl_apt_entries() {
  local f
  for f in "$@"; do
    [ -r "$f" ] || continue
    case $f in
      *.sources)
        awk '
          function flush(  n, m, i, j, U, S) {
            if (types ~ /(^|[ \t])deb([ \t]|$)/ && enabled != "no") {
              n = split(uris, U, /[ \t]+/); m = split(suites, S, /[ \t]+/)
              for (i = 1; i <= n; i++) if (U[i] != "") for (j = 1; j <= m; j++) if (S[j] != "") print S[j], U[i]
            }
            types = uris = suites = enabled = key = ""
          }
          /^[ \t]*#/ { next }
          /^[ \t]*$/ { flush(); next }
          /^[ \t]/   { v = $0; sub(/^[ \t]+/, "", v)
                       if (key == "uris") uris = uris " " v; else if (key == "suites") suites = suites " " v; next }
          { key = $0; sub(/:.*/, "", key); key = tolower(key); v = $0; sub(/^[^:]*:[ \t]*/, "", v)
            if (key == "types") types = v; else if (key == "uris") uris = v
            else if (key == "suites") suites = v; else if (key == "enabled") enabled = tolower(v) }
          END { flush() }' "$f" ;;
      *.list)
        awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                           if (i + 1 <= NF) print $(i + 1), $i }' "$f" ;;
    esac
  done
}

# Sets ZL_MIRROR (archive for $ZFS_LAB_SUITE, -updates, -backports) and ZL_SECURITY_MIRROR
# (archive for $ZFS_LAB_SUITE-security, may be empty) from the host's apt configuration,
# unless ZFS_LAB_MIRROR / ZFS_LAB_SECURITY_MIRROR are given.
zl_find_mirrors() {
  local files=()
  if [ -n "${ZFS_LAB_APT_SOURCES:-}" ]; then
    files=("$ZFS_LAB_APT_SOURCES")
  elif [ -r /etc/apt/sources.list.d/debian.sources ]; then
    files=(/etc/apt/sources.list.d/debian.sources)
  else
    files=(/etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list)
  fi
  local entries; entries=$(zl_apt_entries "${files[@]}")
  ZL_MIRROR=${ZFS_LAB_MIRROR:-$(awk -v s="$ZFS_LAB_SUITE" '$1 == s { print $2; exit }' <<<"$entries")}
  ZL_SECURITY_MIRROR=${ZFS_LAB_SECURITY_MIRROR-$(awk -v s="$ZFS_LAB_SUITE-security" '$1 == s { print $2; exit }' <<<"$entries")}
  ZL_MIRROR=${ZL_MIRROR%/}; ZL_SECURITY_MIRROR=${ZL_SECURITY_MIRROR%/}
  [ -n "$ZL_MIRROR" ] || zl_die "no apt source for suite '$ZFS_LAB_SUITE' found in ${files[*]}; set ZFS_LAB_MIRROR"
}

# Runtime files of a started guest.
ZL_PIDFILE=$ZFS_LAB_RUN_DIR/qemu.pid
ZL_QMP=$ZFS_LAB_RUN_DIR/qmp.sock
ZL_CONSOLE_SOCK=$ZFS_LAB_RUN_DIR/console.sock
ZL_CONSOLE_LOG=$ZFS_LAB_RUN_DIR/console.log
ZL_QEMU_LOG=$ZFS_LAB_RUN_DIR/qemu.log
ZL_SSH_CONFIG=$ZFS_LAB_RUN_DIR/ssh_config
ZL_MUX_SOCK=$ZFS_LAB_RUN_DIR/mux.sock
ZL_STATE=$ZFS_LAB_RUN_DIR/state.env

# True if the PID is a live process (zombies count as gone: the sandbox's init may reap late).
zl_alive() {
  local st
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# PID of the running lab qemu, or nothing.  Only trusts the pidfile if that PID is a
# qemu-system process started with this run directory.
zl_qemu_pid() {
  local pid
  [ -r "$ZL_PIDFILE" ] || return 1
  pid=$(tr -dc 0-9 <"$ZL_PIDFILE")
  [ -n "$pid" ] && zl_alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "qemu-system.*$ZFS_LAB_RUN_DIR/" || return 1
  echo "$pid"
}

# Send one QMP command (JSON) to the running qemu; prints the replies.
zl_qmp() {
  python3 - "$ZL_QMP" "$1" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
f = s.makefile("rw")
f.readline()                                    # greeting
f.write(json.dumps({"execute": "qmp_capabilities"}) + "\n"); f.flush(); f.readline()
f.write(sys.argv[2] + "\n"); f.flush()
try:
    print(f.readline().strip())
except Exception as e:
    print(e)
EOF
}

# ssh into the guest using the per-run ssh_config (written by start).
zl_ssh() {
  [ -r "$ZL_SSH_CONFIG" ] || zl_die "no $ZL_SSH_CONFIG: is the lab started? (run $ZL_HERE/start)"
  ssh -F "$ZL_SSH_CONFIG" zfs-lab "$@"
}

# While the build runs (it is silent for minutes during the dkms compile), print one line every
# ZFS_LAB_HEARTBEAT seconds (default 180) with the elapsed time and the log's last line.
# Ends by itself when the build shell ($$) is gone.  Args: log file, build start ($SECONDS).
zl_heartbeat() {
  local log=$1 t0=$2
  while sleep "${ZFS_LAB_HEARTBEAT:-180}" </dev/null >/dev/null 2>&1 && kill -0 $$ 2>/dev/null; do
    zl_log "[$((SECONDS - t0))s] still building: $(tail -n 1 "$log" 2>/dev/null | tr -d '\r' | cut -c1-100)"
  done
}
