# Sourced by scripts/setup*.sh: Python virtual environments cached by what is in
# them, shared by every clone of the project on this machine.
#
#   cached_venv LINK PYTHON KEY_FILE...
#
# The venv lives in $STREAMSTACK_CACHE/venvs/<name of LINK>-<key>, the key a
# sha256 over the interpreter's version and the KEY_FILEs' contents (the pinned
# requirements); LINK (.venv, .venv-flink) becomes a symlink to it. A second
# clone, or CI's fresh clone, finds it ready: no pip run. A venv that was never
# finished (no .created stamp) is made anew. Prints the venv's path.
STREAMSTACK_CACHE=${STREAMSTACK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/streamstack}
export STREAMSTACK_CACHE

cached_venv() {
  local link=$1 py=$2; shift 2
  local key dir name
  name=$(basename "$link")
  key=$( { "$py" -c 'import sys; print(sys.version)'; cat "$@"; } | sha256sum | cut -c1-16)
  dir=$STREAMSTACK_CACHE/venvs/${name#.}-$key
  if [[ ! -f $dir/.created ]]; then
    rm -rf "$dir"
    mkdir -p "$(dirname "$dir")"
    "$py" -m venv "$dir" >&2
    "$dir/bin/pip" install --quiet --upgrade 'pip==25.3' >&2 || true
    touch "$dir/.created"
  fi
  # A real directory from an older set-up is replaced by the link.
  if [[ -e $link && ! -L $link ]]; then
    echo "setup: replacing the old $(basename "$link") directory with a link to $dir" >&2
    rm -rf "$link"
  fi
  ln -sfn "$dir" "$link"
  echo "$dir"
}

# installed_once DIR STAMP_NAME FILE... : true when DIR/STAMP_NAME records FILEs' sha256.
installed_once() {
  local dir=$1 stamp=$2; shift 2
  [[ -f $dir/$stamp && $(cat "$dir/$stamp") == "$(cat "$@" | sha256sum | cut -d' ' -f1)" ]]
}

# mark_installed DIR STAMP_NAME FILE...
mark_installed() {
  local dir=$1 stamp=$2; shift 2
  cat "$@" | sha256sum | cut -d' ' -f1 > "$dir/$stamp"
}
