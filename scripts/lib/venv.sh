# Sourced by the scripts that drive a Python client: a cached virtualenv with it installed.

# pip_venv VENV LABEL PACKAGE...: makes VENV and pip-installs PACKAGE... into it, unless an earlier
# run finished doing so. The stamp is written last, so a venv left half-made by an interrupted
# install is made again.
pip_venv() {
    local venv=$1 label=$2
    shift 2
    [ -f "$venv/.portcullis-installed" ] && return 0
    echo "== creating the $label venv at $venv"
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "$@"
    touch "$venv/.portcullis-installed"
}
