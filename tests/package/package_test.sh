#!/usr/bin/env bash
# Checks of the Debian packages and the installed library that scripts/package built in RELEASE_TREE.
#   package_test.sh deb_installs_and_runs|lintian|find_package_consumer RELEASE_TREE SOURCE_DIR
set -euo pipefail
check=$1
tree=$2
source_dir=$3
version=$(sed -nE 's/^project\(espprov VERSION ([0-9.]+).*/\1/p' "$source_dir/CMakeLists.txt")
arch=$(dpkg --print-architecture)
deb_dir=$tree/deb
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export LC_ALL=C.UTF-8 MANWIDTH=100
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
finish() { [ "$failures" -eq 0 ] || { echo "$failures failures" >&2; exit 1; }; echo "ok: $check"; }

tools_deb=$deb_dir/espprov_${version}_${arch}.deb
ca_deb=$deb_dir/espprov-ca_${version}_${arch}.deb
dev_deb=$deb_dir/libprovision-dev_${version}_${arch}.deb

deb_installs_and_runs() {
  for deb in "$tools_deb" "$ca_deb" "$dev_deb"; do [ -s "$deb" ] || fail "missing $deb"; done
  [ "$failures" -eq 0 ] || return
  # Into a scratch root, as dpkg would unpack them.
  local root=$work/root
  dpkg-deb -x "$tools_deb" "$root"
  dpkg-deb -x "$ca_deb" "$root"
  [ "$("$root/usr/bin/espprov" --version)" = "$version" ] || fail "espprov --version is not $version"
  [ "$("$root/usr/sbin/espprov-ca" --version)" = "$version" ] || fail "espprov-ca --version is not $version"
  grep -q '"uuid":"04e4822c-719e-45b0-b360-7e2819faca53"' <<<"$("$root/usr/bin/espprov" uuid --mac A0B1C2D3E4F5)" ||
    fail "the installed espprov does not derive the known UUID"
  grep -q -- '--count' <<<"$("$root/usr/bin/espprov-sim" --help)" || fail "espprov-sim --help"

  for page in man1/espprov.1.gz man1/espprov-sim.1.gz man8/espprov-ca.8.gz; do
    local file=$root/usr/share/man/$page warnings
    warnings=$(man --warnings -l "$file" 2>&1 >/dev/null) || fail "man -l $page failed"
    [ -z "$warnings" ] || fail "man -l $page warns: $warnings"
  done
  local text
  text=$(man -l "$root/usr/share/man/man1/espprov.1.gz" | col -b)
  for heading in NAME SYNOPSIS SUBCOMMANDS "EXIT STATUS"; do
    grep -q "^$heading" <<<"$text" || fail "espprov(1) has no $heading"
  done
  grep -qE '^ +43 +ca_untrusted: ' <<<"$text" || fail "espprov(1) lacks exit code 43"
  grep -q "RUNNING AS A SERVICE" <<<"$(man -l "$root/usr/share/man/man8/espprov-ca.8.gz" | col -b)" ||
    fail "espprov-ca(8) does not say how to run the service"

  bash -n "$root/usr/share/bash-completion/completions/espprov" || fail "bash -n completion"
  bash -n "$root/usr/share/bash-completion/completions/espprov-ca" || fail "bash -n espprov-ca completion"
  zsh -n "$root/usr/share/zsh/vendor-completions/_espprov" || fail "zsh -n completion"
  bash -c "source '$root/usr/share/bash-completion/completions/espprov' && complete -p espprov" >/dev/null ||
    fail "the completion does not register for espprov"
  [ -s "$root/lib/udev/rules.d/70-espprov.rules" ] || fail "udev rules missing"
  grep -q 'GROUP="dialout"' "$root/lib/udev/rules.d/70-espprov.rules" || fail "udev rules set no group"

  # The service unit: hardened as documented, and systemd reads it without complaint.
  local unit=$root/lib/systemd/system/espprov-ca.service
  for setting in DynamicUser=yes ProtectSystem=strict StateDirectory=espprov-ca StateDirectoryMode=0700 \
                 NoNewPrivileges=yes UMask=0077 LoadCredential=token:/etc/espprov-ca/token; do
    grep -qx "$setting" "$unit" || fail "espprov-ca.service lacks $setting"
  done
  if command -v systemd-analyze >/dev/null; then
    # verify reads the unit against this machine: the unpacked program stands in for the installed one. Any
    # remark (an unknown or misspelt setting is only a warning to systemd) fails.
    local verify
    mkdir -p "$work/unit"
    sed "s|/usr/sbin/espprov-ca|$root/usr/sbin/espprov-ca|g" "$unit" >"$work/unit/espprov-ca.service"
    verify=$(systemd-analyze verify --man=no "$work/unit/espprov-ca.service" 2>&1) || fail "systemd-analyze verify"
    [ -z "$verify" ] || fail "systemd-analyze verify: $verify"
    local exposure
    exposure=$(systemd-analyze security --offline=yes --root="$root" /lib/systemd/system/espprov-ca.service 2>&1 |
      sed -nE 's/.*Overall exposure level for .*: ([0-9.]+).*/\1/p')
    awk -v e="${exposure:-99}" 'BEGIN {exit !(e <= 2.0)}' || fail "systemd-analyze security exposure ${exposure:-?} > 2.0"
  fi

  # Release binaries: stripped, their debug info in the -dbgsym package under their build id.
  for tool in usr/bin/espprov usr/sbin/espprov-ca usr/bin/espprov-sim; do
    file -b "$root/$tool" | grep -q ', stripped' || fail "$tool is not stripped"
  done
  local id
  id=$(readelf -n "$root/usr/bin/espprov" | sed -nE 's/.*Build ID: ([0-9a-f]+).*/\1/p')
  [ -n "$id" ] || fail "espprov has no build id"
  # (listings are captured before grep: grep -q stops reading early, and pipefail would take the broken pipe)
  local listing
  listing=$(dpkg-deb -c "$deb_dir/espprov-dbgsym_${version}_${arch}.ddeb")
  grep -qF "/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug" <<<"$listing" ||
    fail "espprov-dbgsym has no debug file for build id $id"

  # Depends: from dpkg-shlibdeps, so every shared library the tools load comes from a Debian package.
  local depends
  depends=$(dpkg-deb -f "$tools_deb" Depends)
  for lib in libc6 libssl3 libsqlite3-0 zlib1g; do
    grep -q "$lib" <<<"$depends" || fail "espprov Depends lacks $lib: $depends"
  done
  grep -q libssl3 <<<"$(dpkg-deb -f "$ca_deb" Depends)" || fail "espprov-ca Depends lacks libssl3"
  if grep -q 'not found' <<<"$(ldd "$root/usr/bin/espprov")"; then fail "espprov needs a library that is not installed"; fi
}

lintian_check() {
  # Errors fail; warnings are printed for the record.
  lintian --fail-on error --tag-display-limit 0 "$tools_deb" "$ca_deb" "$dev_deb" || fail "lintian reports errors"
}

find_package_consumer() {
  local prefix=$work/prefix
  cmake --install "$tree" --prefix "$prefix" --component dev >/dev/null
  [ -f "$prefix/include/provision/identity.hpp" ] || fail "headers not installed"
  cmake -S "$source_dir/tests/package/consumer" -B "$work/consumer" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$prefix" >/dev/null || { fail "find_package(provision) failed"; return; }
  cmake --build "$work/consumer" >/dev/null || { fail "the consumer does not build"; return; }
  [ "$("$work/consumer/provision_consumer" A0B1C2D3E4F5)" = "04e4822c-719e-45b0-b360-7e2819faca53" ] ||
    fail "the consumer derives another UUID"
  local status=0
  "$work/consumer/provision_consumer" 00:00 2>/dev/null || status=$?
  [ "$status" -eq 3 ] || fail "the consumer's bad MAC exits $status, not bad_input (3)"
}

case $check in
  deb_installs_and_runs) deb_installs_and_runs ;;
  lintian) lintian_check ;;
  find_package_consumer) find_package_consumer ;;
  *) echo "unknown check $check" >&2; exit 2 ;;
esac
finish
