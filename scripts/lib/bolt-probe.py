#!/usr/bin/env python3
"""Readiness probe for a Bolt server: handshake, HELLO, LOGON, RUN "RETURN 1", PULL.

Why raw sockets and not the `neo4j` driver: the driver sends GOODBYE when it
closes, and FalkorDB has a bug where the connection after a GOODBYE hangs at
handshake (see BOLT-SERVERS.md). This probe never sends GOODBYE: it closes the
socket. It proposes Bolt 5.4 first, because FalkorDB only reads the first
proposal and closes on anything outside 5.1-5.7.

Exit 0 when every connection got the record [1]; 1 otherwise, with one line on
stderr saying why. Only the standard library: it runs before anything else.
"""

import argparse
import socket
import ssl
import struct
import sys

# --- PackStream v2: only what this probe sends and reads ---------------------


def pack(value) -> bytes:
    if value is None:
        return b"\xc0"
    if value is True:
        return b"\xc3"
    if value is False:
        return b"\xc2"
    if isinstance(value, int):
        if -16 <= value < 128:
            return struct.pack(">b", value)
        return b"\xcb" + struct.pack(">q", value)
    if isinstance(value, str):
        data = value.encode()
        if len(data) < 16:
            return bytes([0x80 + len(data)]) + data
        if len(data) < 256:
            return b"\xd0" + bytes([len(data)]) + data
        return b"\xd1" + struct.pack(">H", len(data)) + data
    if isinstance(value, dict):
        assert len(value) < 16
        out = bytes([0xA0 + len(value)])
        for key, item in value.items():
            out += pack(key) + pack(item)
        return out
    raise TypeError(f"cannot pack {type(value)}")


def struct_message(signature: int, *fields) -> bytes:
    return bytes([0xB0 + len(fields), signature]) + b"".join(pack(f) for f in fields)


class Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def size(self, marker: int, tiny_base: int, fmts: dict) -> int:
        if tiny_base <= marker < tiny_base + 16:
            return marker - tiny_base
        fmt = fmts[marker]
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def value(self):
        m = self.take(1)[0]
        if m < 0x80:
            return m
        if m >= 0xF0:
            return m - 0x100
        ints = {0xC8: ">b", 0xC9: ">h", 0xCA: ">i", 0xCB: ">q"}
        if m in ints:
            return struct.unpack(ints[m], self.take(struct.calcsize(ints[m])))[0]
        if m == 0xC0:
            return None
        if m in (0xC2, 0xC3):
            return m == 0xC3
        if m == 0xC1:
            return struct.unpack(">d", self.take(8))[0]
        if 0x80 <= m < 0x90 or m in (0xD0, 0xD1, 0xD2):
            return self.take(self.size(m, 0x80, {0xD0: ">B", 0xD1: ">H", 0xD2: ">I"})).decode()
        if 0x90 <= m < 0xA0 or m in (0xD4, 0xD5, 0xD6):
            n = self.size(m, 0x90, {0xD4: ">B", 0xD5: ">H", 0xD6: ">I"})
            return [self.value() for _ in range(n)]
        if 0xA0 <= m < 0xB0 or m in (0xD8, 0xD9, 0xDA):
            n = self.size(m, 0xA0, {0xD8: ">B", 0xD9: ">H", 0xDA: ">I"})
            return {self.value(): self.value() for _ in range(n)}
        if 0xB0 <= m < 0xC0:
            signature = self.take(1)[0]
            return (signature, [self.value() for _ in range(m - 0xB0)])
        if m in (0xCC, 0xCD, 0xCE):
            return self.take(self.size(m, 0, {0xCC: ">B", 0xCD: ">H", 0xCE: ">I"}))
        raise ValueError(f"unknown PackStream marker 0x{m:02x}")


# --- Bolt framing -------------------------------------------------------------

SUCCESS, RECORD, IGNORED, FAILURE = 0x70, 0x71, 0x7E, 0x7F
NAMES = {SUCCESS: "SUCCESS", RECORD: "RECORD", IGNORED: "IGNORED", FAILURE: "FAILURE"}


def recv_exact(sock, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("server closed the connection")
        data += chunk
    return data


def send(sock, message: bytes) -> None:
    # One chunk is enough: probe messages are far below 65535 bytes.
    sock.sendall(struct.pack(">H", len(message)) + message + b"\x00\x00")


def receive(sock):
    data = b""
    while True:
        size = struct.unpack(">H", recv_exact(sock, 2))[0]
        if size == 0:
            if data:
                return Reader(data).value()
            continue  # a NOOP keep-alive chunk
        data += recv_exact(sock, size)


def expect_success(sock, what: str) -> dict:
    signature, fields = receive(sock)
    if signature != SUCCESS:
        detail = fields[0] if fields else ""
        raise RuntimeError(f"{what}: {NAMES.get(signature, hex(signature))} {detail}")
    return fields[0] if fields else {}


def probe_once(args) -> None:
    raw = socket.create_connection((args.host, args.port), timeout=args.timeout)
    sock = raw
    try:
        if args.tls:
            context = ssl.create_default_context(cafile=args.ca)
            sock = context.wrap_socket(raw, server_hostname=args.server_name or args.host)
        # Bolt 5.4 first, then 5.1-5.4 as a range for servers that read all four.
        sock.sendall(
            b"\x60\x60\xb0\x17" + bytes([0, 0, 4, 5]) + bytes([0, 3, 4, 5]) + bytes(8)
        )
        agreed = recv_exact(sock, 4)
        if agreed == bytes(4):
            raise RuntimeError("server accepted no proposed Bolt version")
        send(
            sock,
            struct_message(
                0x01,
                {"user_agent": "sluice-probe/1", "bolt_agent": {"product": "sluice-probe/1"}},
            ),
        )
        expect_success(sock, "HELLO")
        # Like the neo4j drivers, leave out an empty password: FalkorDB refuses
        # `credentials: ""` (Unauthorized) but accepts basic auth without the key.
        auth = {"scheme": "basic", "principal": args.user}
        if args.password:
            auth["credentials"] = args.password
        send(sock, struct_message(0x6A, auth))
        expect_success(sock, "LOGON")
        extra = {"db": args.database} if args.database else {}
        send(sock, struct_message(0x10, "RETURN 1 AS x", {}, extra))
        expect_success(sock, "RUN")
        send(sock, struct_message(0x3F, {"n": -1}))
        records = []
        while True:
            signature, fields = receive(sock)
            if signature == RECORD:
                records.append(fields[0])
                continue
            if signature != SUCCESS:
                raise RuntimeError(f"PULL: {NAMES.get(signature, hex(signature))} {fields}")
            break
        if records != [[1]]:
            raise RuntimeError(f"RETURN 1 gave {records!r}")
    finally:
        sock.close()  # never GOODBYE: see the module docstring


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", default="neo4j")
    parser.add_argument("--password", default="")
    parser.add_argument("--database", default="", help="sent as RUN's db (not for FalkorDB)")
    parser.add_argument("--tls", action="store_true")
    parser.add_argument("--ca", help="CA file for --tls")
    parser.add_argument("--server-name", help="TLS server name (default: --host)")
    parser.add_argument("--connections", type=int, default=1, help="probe this many times in a row")
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args()
    for attempt in range(args.connections):
        try:
            probe_once(args)
        except (OSError, RuntimeError, ValueError) as error:
            print(f"bolt-probe {args.host}:{args.port} connection {attempt + 1}: {error}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
