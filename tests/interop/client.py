#!/usr/bin/python3
"""A client that is not ours: Debian's python3-avro plus kcat, using only schemas/
and the documented encoding (Avro single-object encoding: C3 01, the 8-byte
little-endian CRC-64-AVRO fingerprint of the schema's Parsing Canonical Form,
then the Avro binary body).

Publishes one AgentRequest to swb.requests, then reads back its AgentReply from
swb.replies and its AuditEvents from swb.audit. Exit 0 when both arrived.

usage: client.py BROKERS SCHEMA_DIR TEXT EXPECTED_AGENT
"""
import datetime
import io
import struct
import subprocess
import sys
import time
import uuid

import avro.io
import avro.schema

EMPTY = 0xC15D213AA4D7A795


def _fp_table():
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (EMPTY & -(fp & 1))
        table.append(fp)
    return table


FP_TABLE = _fp_table()


def fingerprint(data: bytes) -> int:
    """CRC-64-AVRO (Rabin), as the Avro specification writes it."""
    fp = EMPTY
    for b in data:
        fp = (fp >> 8) ^ FP_TABLE[(fp ^ b) & 0xFF]
    return fp


PRIMITIVES = ("null", "boolean", "int", "long", "float", "double", "bytes", "string")


def canonical_form(schema):
    """python3-avro 1.11.1's canonical_form keeps {"type":"long"} for a field with a
    logicalType, against the specification's [PRIMITIVES] rule ("convert primitive
    schemas to their simple form"); Java's SchemaNormalization and ours write "long".
    Apply that one rule on top of the library's output."""
    pcf = schema.canonical_form
    for p in PRIMITIVES:
        pcf = pcf.replace('{"type":"%s"}' % p, '"%s"' % p)
    return pcf


def load(schema_dir, name):
    schema = avro.schema.parse(open(f"{schema_dir}/{name}.avsc").read())
    fp = fingerprint(canonical_form(schema).encode())
    return schema, struct.pack("<Q", fp)


def encode(schema, fp, record):
    buf = io.BytesIO()
    avro.io.DatumWriter(schema).write(record, avro.io.BinaryEncoder(buf))
    return b"\xc3\x01" + fp + buf.getvalue()


def decode(schemas, payload):
    if len(payload) < 10 or payload[:2] != b"\xc3\x01":
        return None, None
    for name, (schema, fp) in schemas.items():
        if payload[2:10] == fp:
            reader = avro.io.DatumReader(schema)
            return name, reader.read(avro.io.BinaryDecoder(io.BytesIO(payload[10:])))
    return None, None


def consume(brokers, topic, offsets):
    """Every message of topic after the given per-partition start (kcat, binary-safe)."""
    out = subprocess.run(
        ["kcat", "-C", "-b", brokers, "-t", topic, "-o", "beginning", "-e", "-q",
         "-f", "%p %o %R%s"],
        check=True, capture_output=True, timeout=60).stdout
    msgs = []
    pos = 0
    while pos < len(out):
        sp1 = out.index(b" ", pos)
        sp2 = out.index(b" ", sp1 + 1)
        part, off = int(out[pos:sp1]), int(out[sp1 + 1:sp2])
        (n,) = struct.unpack(">i", out[sp2 + 1:sp2 + 5])
        start = sp2 + 5
        msgs.append((part, off, out[start:start + max(n, 0)]))
        pos = start + max(n, 0)
    return msgs


def main():
    brokers, schema_dir, text, expected_agent = sys.argv[1:5]
    req_schema, req_fp = load(schema_dir, "AgentRequest")
    schemas = {n: load(schema_dir, n) for n in ("AgentReply", "AuditEvent")}
    request_id = str(uuid.uuid4())
    session_id = "interop-" + request_id[:8]
    # Only the required fields: everything else takes the schema's defaults.
    record = {"request_id": request_id, "session_id": session_id,
              "user_id": "interop-user", "text": text,
              "tenant_id": "default", "channel": "api", "locale": "en",
              "created_at": datetime.datetime.now(datetime.timezone.utc), "reply_topic": None, "metadata": {}}
    payload = encode(req_schema, req_fp, record)
    subprocess.run(["kcat", "-P", "-b", brokers, "-t", "swb.requests", "-k", session_id],
                   input=payload, check=True, timeout=30)

    reply, stages = None, set()
    deadline = time.time() + 60
    while time.time() < deadline and (reply is None or len(stages) < 5):
        for _, _, p in consume(brokers, "swb.replies", None):
            name, obj = decode(schemas, p)
            if name == "AgentReply" and obj["request_id"] == request_id:
                reply = obj
        for _, _, p in consume(brokers, "swb.audit", None):
            name, obj = decode(schemas, p)
            if name == "AuditEvent" and obj["request_id"] == request_id:
                stages.add((obj["stage"], obj["agent"]))
        if reply is None or len(stages) < 5:
            time.sleep(0.5)
    if reply is None:
        print(f"interop: no AgentReply for {request_id}", file=sys.stderr)
        return 1
    print(f"interop: reply from [{reply['agent']}] status={reply['status']}: {reply['text']}")
    print(f"interop: audit stages: {sorted(stages)}")
    if reply["agent"] != expected_agent:
        print(f"interop: expected agent {expected_agent}", file=sys.stderr)
        return 1
    want = {("received", "supervisor"), ("classified", "supervisor"), ("routed", "supervisor"),
            ("received", expected_agent), ("replied", expected_agent)}
    if not want <= stages:
        print(f"interop: missing audit stages {sorted(want - stages)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
