#!/usr/bin/env python3
"""The platform seam (src/core/platform/README.md): no OS header and no platform macro test in src/
outside src/core/platform/. Usage: platform_seam.py SRC_DIR   (exit 1 and a list when violated)."""
import pathlib
import re
import sys

OS_HEADERS = re.compile(
    r'#\s*include\s*<(unistd|fcntl|dirent|poll|dlfcn|signal|termios|spawn|pwd|netdb|windows|winsock2|'
    r'ws2tcpip|io|direct|shlobj|sys/[a-z_]+|netinet/[a-z_]+|arpa/[a-z_]+|mach/[a-z_]+|mach-o/[a-z_]+)\.h>')
PLATFORM_MACROS = re.compile(r'\b(_WIN32|_WIN64|__linux__|__APPLE__|__MINGW32__|__MINGW64__|_MSC_VER)\b')


def main() -> int:
    src = pathlib.Path(sys.argv[1]).resolve()
    seam = src / 'core' / 'platform'
    problems = []
    for path in sorted(src.rglob('*')):
        if path.suffix not in ('.cpp', '.hpp', '.h') or seam in path.parents:
            continue
        for number, line in enumerate(path.read_text(encoding='utf-8').splitlines(), 1):
            if OS_HEADERS.search(line) or PLATFORM_MACROS.search(line):
                problems.append(f'{path.relative_to(src)}:{number}: {line.strip()}')
    for problem in problems:
        print(problem)
    if problems:
        print(f'{len(problems)} OS dependencies outside src/core/platform/ (see its README.md)')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
