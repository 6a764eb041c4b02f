#!/usr/bin/env python3
"""Deterministic sample events for the streamstack pipeline, and what Flink must make of them.

The library lives in the collection, so the ``pipeline_verify`` module can use
it: ``collections/ansible_collections/streamstack/pipeline/plugins/module_utils/events.py``
(standard library only; confluent-kafka only for ``--kafka``). This file
re-exports it (``import generator`` keeps working) and is the command line::

    python files/flink/generator.py --count 1000 --seed 7 --malformed 0.1            # JSON lines on stdout
    python files/flink/generator.py --count 0 --rate 200 --kafka 127.0.0.1:9092 --topic events-raw
    python files/flink/generator.py --count 300 --expected                            # expected outputs as JSON
    python files/flink/generator.py --count 10 --id-prefix run42-                     # event ids run42-000000...

``--count 0`` means unlimited (until interrupted); ``--rate 0`` means as fast
as possible. Every payload is one line (no payload contains a newline byte), so
stdout is valid "JSON lines" apart from the deliberately malformed payloads.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

_COLLECTIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "collections")
if _COLLECTIONS not in sys.path:
    sys.path.insert(0, _COLLECTIONS)

from ansible_collections.streamstack.pipeline.plugins.module_utils.events import *  # noqa: E402,F401,F403
from ansible_collections.streamstack.pipeline.plugins.module_utils.events import (  # noqa: E402,F401
    DEFAULT_BASE_TS,
    DEFAULT_ID_PREFIX,
    _dumps,
    _paced,
    _payload,
    expected_outputs,
    generate,
    produce,
    stream,
)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100, help="events to make; 0 = unlimited")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--malformed", type=float, default=0.1, help="fraction of malformed events (0..1)")
    parser.add_argument("--rate", type=float, default=0.0, help="events per second; 0 = as fast as possible")
    parser.add_argument("--base-ts", type=int, default=DEFAULT_BASE_TS, help="ts of event 0, epoch ms")
    parser.add_argument(
        "--id-prefix", default=DEFAULT_ID_PREFIX, help="event ids are this prefix + the index on six digits"
    )
    parser.add_argument("--kafka", metavar="BOOTSTRAP", help="produce to Kafka instead of stdout")
    parser.add_argument("--topic", help="topic for --kafka")
    parser.add_argument("--expected", action="store_true", help="print the expected processed / dead-letter outputs")
    args = parser.parse_args(argv)
    if args.count == 0:
        if args.expected:
            parser.error("--expected needs a finite --count")
        events = stream(args.seed, args.malformed, args.base_ts, id_prefix=args.id_prefix)
    else:
        events = generate(args.count, args.seed, args.malformed, args.base_ts, id_prefix=args.id_prefix)
    if args.expected:
        processed, dead = expected_outputs(events)
        json.dump(
            {"processed": processed, "dead_letter": [d.decode("utf-8", "backslashreplace") for d in dead]},
            sys.stdout,
            indent=1,
        )
        sys.stdout.write("\n")
        return 0
    if args.kafka:
        if not args.topic:
            parser.error("--kafka needs --topic")
        sent = produce(events, args.kafka, args.topic, args.rate)
        print("produced %d events to %s" % (sent, args.topic), file=sys.stderr)
        return 0
    out = sys.stdout.buffer
    try:
        for event in _paced(events, args.rate):
            out.write(event.payload + b"\n")
            if args.rate:
                out.flush()
    except BrokenPipeError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
