#!/usr/bin/env python3
"""One Kafka transaction through librdkafka's C API (ctypes), no Java and no compiler.

Usage: kafka_txn_produce.py BROKERS TOPIC TRANSACTIONAL_ID PREFIX COUNT commit|abort

Produces COUNT records PREFIX-0 .. PREFIX-(COUNT-1) (key = value) in one transaction of the
given transactional id, then commits or aborts it. Exit 0 when init, begin, every delivery and
the commit (or abort) succeeded; 1 with the error otherwise. A consumer with
isolation.level=read_committed then sees the committed records and never the aborted ones.
"""
import ctypes
import ctypes.util
import sys

TIMEOUT_MS = 60000  # init/commit may wait for a new transaction coordinator after a node died
RD_KAFKA_PRODUCER = 0
RD_KAFKA_PARTITION_UA = -1
RD_KAFKA_MSG_F_COPY = 0x2


def load():
    name = ctypes.util.find_library("rdkafka") or "librdkafka.so.1"
    lib = ctypes.CDLL(name)
    vp, cp, sz, i = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int
    sigs = {
        "rd_kafka_version_str": ([], cp),
        "rd_kafka_conf_new": ([], vp),
        "rd_kafka_conf_set": ([vp, cp, cp, cp, sz], i),
        "rd_kafka_new": ([i, vp, cp, sz], vp),
        "rd_kafka_init_transactions": ([vp, i], vp),
        "rd_kafka_begin_transaction": ([vp], vp),
        "rd_kafka_commit_transaction": ([vp, i], vp),
        "rd_kafka_abort_transaction": ([vp, i], vp),
        "rd_kafka_error_string": ([vp], cp),
        "rd_kafka_error_destroy": ([vp], None),
        "rd_kafka_topic_new": ([vp, cp, vp], vp),
        "rd_kafka_topic_destroy": ([vp], None),
        "rd_kafka_produce": ([vp, ctypes.c_int32, i, cp, sz, cp, sz, vp], i),
        "rd_kafka_last_error": ([], i),
        "rd_kafka_err2str": ([i], cp),
        "rd_kafka_poll": ([vp, i], i),
        "rd_kafka_flush": ([vp, i], i),
        "rd_kafka_destroy": ([vp], None),
    }
    for fn, (args, res) in sigs.items():
        f = getattr(lib, fn)
        f.argtypes, f.restype = args, res
    return lib


def check(lib, what, err):
    """Raises on a non-NULL rd_kafka_error_t*, naming the step."""
    if err:
        msg = lib.rd_kafka_error_string(err).decode()
        lib.rd_kafka_error_destroy(err)
        raise RuntimeError(f"{what}: {msg}")


def main(argv):
    if len(argv) != 7 or argv[6] not in ("commit", "abort") or not argv[5].isdigit():
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    brokers, topic, txn_id, prefix, count, end = argv[1:]
    lib = load()
    errstr = ctypes.create_string_buffer(512)
    conf = lib.rd_kafka_conf_new()
    for key, value in (("bootstrap.servers", brokers), ("transactional.id", txn_id),
                       ("acks", "all"), ("enable.idempotence", "true")):
        if lib.rd_kafka_conf_set(conf, key.encode(), value.encode(), errstr, 512) != 0:
            raise RuntimeError(f"config {key}={value}: {errstr.value.decode()}")
    rk = lib.rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, 512)
    if not rk:
        raise RuntimeError(f"rd_kafka_new: {errstr.value.decode()}")
    try:
        check(lib, "init_transactions", lib.rd_kafka_init_transactions(rk, TIMEOUT_MS))
        check(lib, "begin_transaction", lib.rd_kafka_begin_transaction(rk))
        rkt = lib.rd_kafka_topic_new(rk, topic.encode(), None)
        for n in range(int(count)):
            value = f"{prefix}-{n}".encode()
            if lib.rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, value,
                                    len(value), value, len(value), None) != 0:
                code = lib.rd_kafka_last_error()
                raise RuntimeError(f"produce {value.decode()}: "
                                   f"{lib.rd_kafka_err2str(code).decode()}")
            lib.rd_kafka_poll(rk, 0)
        lib.rd_kafka_topic_destroy(rkt)
        # Written to the log before the end: an abort would otherwise drop records still queued
        # in the client, and a read_uncommitted consumer could not tell the difference.
        code = lib.rd_kafka_flush(rk, TIMEOUT_MS)
        if code != 0:
            raise RuntimeError(f"flush: {lib.rd_kafka_err2str(code).decode()}")
        if end == "commit":
            # A failed delivery makes the commit fail.
            check(lib, "commit_transaction", lib.rd_kafka_commit_transaction(rk, TIMEOUT_MS))
        else:
            check(lib, "abort_transaction", lib.rd_kafka_abort_transaction(rk, TIMEOUT_MS))
    finally:
        lib.rd_kafka_destroy(rk)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except RuntimeError as e:
        print(f"kafka_txn_produce: {e}", file=sys.stderr)
        sys.exit(1)
