"""Builds tabagent_cache._core with CMake: the project's own CMakeLists.txt with TABAGENT_PYTHON=ON
(the core built position-independent, no tests), target _core, written where setuptools wants it.

Environment: TABAGENT_PYTHON_BUILD_DIR (default <repo>/build/python), CMAKE_BUILD_PARALLEL_LEVEL
(default 2), TABAGENT_PYTHON_BUILD_TYPE (default Release).
"""
import os
import pathlib
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent


class CMakeExtension(Extension):
    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        target = pathlib.Path(self.get_ext_fullpath(ext.name)).resolve()
        build_dir = pathlib.Path(os.environ.get("TABAGENT_PYTHON_BUILD_DIR", ROOT / "build" / "python"))
        out_dir = build_dir / "module"
        configure = ["cmake", "-S", str(ROOT), "-B", str(build_dir),
                     "-DTABAGENT_PYTHON=ON", "-DTABAGENT_BUILD_TESTS=OFF", "-DTABAGENT_UNITY=ON",
                     "-DCMAKE_BUILD_TYPE=" + os.environ.get("TABAGENT_PYTHON_BUILD_TYPE", "Release"),
                     "-DPython3_EXECUTABLE=" + sys.executable,
                     "-DTABAGENT_PYTHON_OUTPUT_DIR=" + str(out_dir)]
        if shutil.which("ninja"):
            configure += ["-G", "Ninja"] if not (build_dir / "CMakeCache.txt").exists() else []
        subprocess.run(configure, check=True)
        env = dict(os.environ)
        env.setdefault("CMAKE_BUILD_PARALLEL_LEVEL", "2")
        subprocess.run(["cmake", "--build", str(build_dir), "--target", "_core"], check=True, env=env)
        built = out_dir / target.name
        if not built.exists():
            raise RuntimeError("CMake did not produce %s" % built)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built, target)


setup(ext_modules=[CMakeExtension("tabagent_cache._core")], cmdclass={"build_ext": CMakeBuild})
