# Set-up in one line, for bash or zsh, from the repository root:
#
#     . scripts/venv.sh all     # neuralab with plots and scikit-learn's digits: `neuralab tour`
#     . scripts/venv.sh test    # editable install with the test tools: `python -m pytest`
#
# Creates the virtual environment .venv/ (once), activates it in your shell, and pip-installs
# neuralab with that extra into it. A virtual environment because Debian's and Ubuntu's system
# Python refuse `pip install` outside one (PEP 668, "externally-managed-environment"); where
# Python's venv module is missing (Debian/Ubuntu without python3-venv) it is installed with
# apt-get when you are root or have sudo. Sourced, not run: it must activate .venv in *your*
# shell, so it returns instead of exiting, and it leaves your shell's options alone.

_neuralab_venv() {
    _extra=${1:-all}
    case $_extra in
        test) set -- -e ".[test]" ;;
        all|data|plot) set -- ".[$_extra]" ;;
        *) echo "scripts/venv.sh: unknown extra '$_extra'; use all or test" >&2; return 2 ;;
    esac
    if [ ! -f pyproject.toml ] || [ ! -d src/neuralab ]; then
        echo "scripts/venv.sh: run it from the neuralab repository root (where pyproject.toml is)" >&2
        return 2
    fi
    if ! command -v python3 >/dev/null 2>&1; then
        echo "scripts/venv.sh: python3 (3.10 or newer) is not installed" >&2
        return 1
    fi
    if [ ! -x .venv/bin/python ] || ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
        rm -rf .venv  # a half-made one (e.g. venv without ensurepip) would only get in the way
        if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
            _sudo=
            [ "$(id -u)" = 0 ] || _sudo=sudo
            if command -v apt-get >/dev/null 2>&1 && { [ -z "$_sudo" ] || command -v sudo >/dev/null 2>&1; }; then
                echo "scripts/venv.sh: Python's venv module is missing; installing python3-venv with apt-get" >&2
                $_sudo apt-get update -qq && $_sudo apt-get install -y -qq python3-venv >/dev/null || {
                    echo "scripts/venv.sh: could not install python3-venv; install it and run this again" >&2
                    return 1
                }
            else
                echo "scripts/venv.sh: Python's venv module is missing; install it (e.g. python3-venv) and run this again" >&2
                return 1
            fi
        fi
        python3 -m venv .venv || return 1
    fi
    . .venv/bin/activate || return 1
    python -m pip install --disable-pip-version-check "$@"
}

_neuralab_venv "$@" && { unset -f _neuralab_venv; unset _extra _sudo; }
