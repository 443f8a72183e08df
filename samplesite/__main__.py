"""Serve the sample site until killed: python -m samplesite --port 8765 [--round N] [--hostile]."""

import argparse
import threading

from . import SampleSite


def main():
    parser = argparse.ArgumentParser(prog="python -m samplesite", description=__doc__)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--round", type=int, default=1)
    parser.add_argument("--hostile", action="store_true")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to wait before each response")
    parser.add_argument("--generated", type=int, default=0, help="serve N synthetic articles instead")
    parser.add_argument("--pages-per-article", type=int, default=3)
    args = parser.parse_args()
    site = SampleSite(
        round=args.round,
        hostile=args.hostile,
        delay=args.delay,
        generated=args.generated,
        pages_per_article=args.pages_per_article,
        port=args.port,
    ).start()
    print(site.hub_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        site.stop()


if __name__ == "__main__":
    main()
