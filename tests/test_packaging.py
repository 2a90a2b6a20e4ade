"""The wheel carries the bundled model and works from a fresh virtual environment."""

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_installs_and_runs_from_a_fresh_venv(tmp_path):
    if not (REPO / "models" / "default" / "config.json").is_file():
        pytest.fail("the bundled default model is missing from models/default")
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation",
                    "--outdir", str(dist), str(REPO)], check=True, capture_output=True)
    wheel = next(dist.glob("lstmwriter-*.whl"))
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    _see_running_packages(python)
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)],
                   check=True, capture_output=True)
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "d"),
           "XDG_CACHE_HOME": str(tmp_path / "c"),
           "XDG_CONFIG_HOME": str(tmp_path / "f")}
    exe = env_dir / "bin" / "lstmwriter"
    version = subprocess.run([exe, "--version"], capture_output=True, text=True,
                             check=True, env=env, cwd=tmp_path)
    from lstmwriter import __version__

    assert version.stdout.strip() == f"lstmwriter {__version__}"
    generated = subprocess.run([exe, "generate", "default", "--seed", "It was ",
                                "--length", "50", "--random-seed", "3"],
                               capture_output=True, text=True,
                               env=env, cwd=tmp_path, timeout=120)
    assert generated.returncode == 0, generated.stderr
    assert len(generated.stdout.strip()) >= 20
    where = subprocess.run([python, "-c",
                            "import lstmwriter; print(lstmwriter.__file__)"],
                           capture_output=True, text=True, check=True, env=env,
                           cwd=tmp_path)
    assert str(env_dir) in where.stdout  # ran from the wheel, not the source tree
    words = subprocess.run(  # the bundled model's word LSTM came along
        [python, "-c", "from lstmwriter.core.store import ModelStore, word_model_of; "
         "print(word_model_of(ModelStore().load('default')) is not None)"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert words.stdout.strip() == "True", words.stderr


def _see_running_packages(python: Path) -> None:
    """Let the new venv import the dependencies (torch, Qt, ...) of the environment
    running the tests, a virtual one or not, as a user's own install would have them:
    a .pth file appends its package folders after the venv's own (so the installed
    wheel, not the source tree, is what imports as lstmwriter)."""
    folders = [p for p in sys.path if Path(p).is_dir()
               and Path(p).name in ("site-packages", "dist-packages")]
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True).stdout.strip()
    assert folders
    (Path(purelib) / "running_env.pth").write_text("\n".join(folders) + "\n")
