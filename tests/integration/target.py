"""How the tests start the binaries under test: natively, or a Windows .exe under Wine (issue 14).

A binary whose name ends in ".exe" is started as `wine <exe> args...`; the path-valued environment
variables the tests set (data dir, cache, HF_HOME...) are handed to it in Windows form
("Z:\\tmp\\x": Wine maps the Unix root to drive Z:), and paths the program reports back are turned
into Unix paths again by `from_target_path`. Everything else (the fake hub, Python, curl) stays
native, as on a Windows machine whose network peers are other machines.
"""
import os
import pathlib
import shutil

PATH_VARIABLES = ("TABAGENT_HOME", "TABAGENT_CACHE", "HF_HOME", "HF_HUB_CACHE", "HF_TOKEN_PATH")


def is_windows(binary):
    return str(binary).lower().endswith(".exe")


def wine():
    found = shutil.which(os.environ.get("TABAGENT_WINE", "wine"))
    if not found:
        raise RuntimeError("a Windows binary is under test but wine is not installed")
    return found


def command(binary, *args):
    """argv that starts `binary` with `args` on this machine."""
    args = [str(a) for a in args]
    return [wine(), str(binary), *args] if is_windows(binary) else [str(binary), *args]


def to_target_path(path, binary):
    """A path of this machine as the program under test spells it."""
    if not is_windows(binary):
        return str(path)
    return "Z:" + str(pathlib.Path(path).absolute()).replace("/", "\\")


def from_target_path(text, binary):
    """Inverse of to_target_path for a path the program reported."""
    if not is_windows(binary) or not text[:2].upper() == "Z:":
        return text
    return text[2:].replace("\\", "/")


def target_env(env, binary):
    """`env` for the program under test: unchanged natively; under Wine, path variables in Windows
    form plus a quiet, prompt-free Wine prefix (WINEPREFIX from the caller, else the CI one)."""
    if not is_windows(binary):
        return env
    out = dict(env)
    for name in PATH_VARIABLES:
        if name in out and out[name].startswith("/"):
            out[name] = to_target_path(out[name], binary)
    out.setdefault("WINEPREFIX", os.environ.get("WINEPREFIX",
                                                str(pathlib.Path.home() / ".cache/tabagent/wine")))
    out.setdefault("WINEDEBUG", "-all")
    out.setdefault("WINEDLLOVERRIDES", "mscoree,mshtml=")
    return out
