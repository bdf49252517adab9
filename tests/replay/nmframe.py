#!/usr/bin/env python3
"""Chrome native-messaging frames <-> readable lines.

encode: each input line becomes one frame. A JSON line is framed as written. Directives give the
        byte-exact cases that JSON cannot express:
          !empty          a frame of length 0
          !raw TEXT       frame whose body is TEXT exactly (may be invalid JSON)
          !hex HEX        frame whose body is these bytes (e.g. invalid UTF-8)
          !bytes HEX      raw bytes with no framing (a lying length, a cut-off header)
          !nest N         frame holding N nested arrays
          !pad N JSON     JSON framed, then padded with spaces to N bytes
        Blank lines and lines starting with '#' are skipped.
decode: frames on stdin become one JSON line each; a partial frame at the end is an error.
"""
import json
import struct
import sys


def frame(body: bytes) -> bytes:
    return struct.pack("=I", len(body)) + body


def encode_line(line: str) -> bytes:
    line = line.rstrip("\n")
    if not line.strip() or line.lstrip().startswith("#"):
        return b""
    if line.strip() == "!empty":
        return frame(b"")
    if line.startswith("!raw "):
        return frame(line[5:].encode("utf-8"))
    if line.startswith("!hex "):
        return frame(bytes.fromhex(line[5:].replace(" ", "")))
    if line.startswith("!bytes "):
        return bytes.fromhex(line[7:].replace(" ", ""))
    if line.startswith("!nest "):
        n = int(line[6:])
        return frame(b"[" * n + b"]" * n)
    if line.startswith("!pad "):
        _, size, text = line.split(" ", 2)
        body = text.encode("utf-8")
        return frame(body + b" " * (int(size) - len(body)))
    json.loads(line)  # fixtures must be valid JSON unless marked otherwise
    return frame(line.encode("utf-8"))


def encode(text: str) -> bytes:
    return b"".join(encode_line(l) for l in text.splitlines())


def decode(data: bytes):
    """Returns (frames, leftover_bytes). Each frame is parsed JSON (or the raw text if not JSON)."""
    frames, pos = [], 0
    while pos + 4 <= len(data):
        (length,) = struct.unpack_from("=I", data, pos)
        if pos + 4 + length > len(data):
            break
        body = data[pos + 4 : pos + 4 + length]
        try:
            frames.append(json.loads(body))
        except ValueError:
            frames.append({"__not_json__": body.decode("utf-8", "replace")})
        pos += 4 + length
    return frames, data[pos:]


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in ("encode", "decode"):
        sys.exit("usage: nmframe.py encode|decode < input > output")
    if sys.argv[1] == "encode":
        sys.stdout.buffer.write(encode(sys.stdin.read()))
    else:
        frames, rest = decode(sys.stdin.buffer.read())
        for f in frames:
            print(json.dumps(f, sort_keys=True))
        if rest:
            sys.exit(f"partial frame at the end ({len(rest)} bytes)")


if __name__ == "__main__":
    main()
