#!/usr/bin/env bash
# The generated man pages and completion scripts (build folder docs/) say what --help says: every subcommand and
# every option of `espprov --help` is in espprov(1) and in the bash completion; the exit codes of README's table are
# in espprov(1); the pages render without groff warnings; the scripts parse under bash and zsh and complete.
#   docs_test.sh DOCS_DIR BIN_DIR
set -euo pipefail
docs=$1
bin=$2
export LC_ALL=C.UTF-8 MANWIDTH=120
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

render() {  # page -> text, failing on any groff or man warning
  local warnings
  warnings=$(man --warnings -l "$1" 2>&1 >/dev/null) || { fail "man -l $1 failed"; return; }
  [ -z "$warnings" ] || fail "man -l $1 warns: $warnings"
  man -l "$1" 2>/dev/null | col -b
}

for page in espprov.1 espprov-ca.8 espprov-sim.1; do
  [ -s "$docs/$page" ] || fail "$docs/$page is missing"
done
espprov_text=$(render "$docs/espprov.1")
ca_text=$(render "$docs/espprov-ca.8")
sim_text=$(render "$docs/espprov-sim.1")

# Subcommands and their options, as --help lists them.
subcommands=$("$bin/espprov" --help | awk '/^Subcommands:/ {on = 1; next} on && /^  [a-z]/ {print $1}')
[ -n "$subcommands" ] || fail "no subcommands in espprov --help"
options_of() {  # espprov SUBCOMMAND... --help -> its long options
  "$@" --help | grep -oE '^ +(-[a-zA-Z], )?--[a-z0-9-]+' | grep -oE -- '--[a-z0-9-]+' | grep -v -- '^--help$' || true
}
section_of() {  # the rendered subsection "espprov SUB", up to the next subsection
  awk -v head="   espprov $1" '$0 == head {on = 1; next} on && /^   espprov / {exit} on' <<<"$espprov_text"
}
source "$docs/espprov.bash"
offered=" $(_espprov_subcommands '') "
for sub in $subcommands; do
  section=$(section_of "$sub")
  [ -n "$section" ] || fail "espprov(1) has no section for '$sub'"
  [[ $offered == *" $sub "* ]] || fail "bash completion does not offer '$sub'"
  completed=" $(_espprov_options "$sub") "
  for option in $(options_of "$bin/espprov" "$sub"); do
    [[ $section == *"$option"* ]] || fail "espprov(1) section '$sub' lacks $option"
    [[ $completed == *" $option "* ]] || fail "bash completion of '$sub' lacks $option"
  done
done
for option in $(options_of "$bin/espprov-ca" serve); do
  grep -qF -- "$option" <<<"$ca_text" || fail "espprov-ca(8) lacks serve $option"
done
for option in $("$bin/espprov-sim" --help | grep -oE -- '--[a-z0-9-]+' | sort -u | grep -v -- '^--help$'); do
  grep -qF -- "$option" <<<"$sim_text" || fail "espprov-sim(1) lacks $option"
done

# Exit codes: README's table (one row per provision::ErrorCode) against the EXIT STATUS section.
readme=$(dirname "$0")/../../README.md
status_text=$(sed -n '/^EXIT STATUS/,/^SEE ALSO/p' <<<"$espprov_text")
rows=$(grep -cE '^\| [0-9]+ \| `[a-z_]+` \|' "$readme" || true)
[ "$rows" -gt 20 ] || fail "README's exit-code table not found"
while read -r code name; do
  grep -qE "^ +$code +$name: " <<<"$status_text" ||
    fail "espprov(1) EXIT STATUS lacks $code $name"
done < <(grep -oE '^\| [0-9]+ \| `[a-z_]+` \|' "$readme" | tr -d '|`' | awk '{print $1, $2}')

# The scripts parse, and complete what the definition says.
for tool in espprov espprov-ca espprov-sim; do
  bash -n "$docs/$tool.bash" || fail "bash -n $tool.bash"
  zsh -n "$docs/_$tool" || fail "zsh -n _$tool"
done
complete_words() {  # words... (the last is the one being completed) -> what bash completion offers
  COMP_WORDS=("$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _espprov
  printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
}
[ "$(complete_words espprov provision --ca-b)" = "--ca-bundle " ] || fail "--ca-b does not complete to --ca-bundle"
[ "$(complete_words espprov mac --format '')" = "csv json text " ] || fail "--format does not offer its choices"
[[ " $(complete_words espprov wifi '') " == *" list "* ]] || fail "wifi does not offer its subcommands"
[ "$(_espprov_value provision --port)" = port ] || fail "provision --port does not complete serial ports"
[ "$(_espprov_value 'wifi list' --port)" = port ] || fail "wifi list --port does not complete serial ports"
fake=$(mktemp -d)
trap 'rm -rf "$fake"' EXIT
touch "$fake/record.json"
[ "$(complete_words espprov uuid --in "$fake/rec")" = "$fake/record.json " ] || fail "--in does not complete files"

[ "$failures" -eq 0 ] || { echo "$failures failures" >&2; exit 1; }
echo "ok: $(wc -w <<<"$subcommands") subcommands, 3 man pages, 6 completion scripts"
