"""What every fuzz scenario shares: its command line (the same options from
Ops/reliability for each) and the time budget after which it takes no new input."""

import argparse
import sys
import time


def parse_args(uses_redis):
    parser = argparse.ArgumentParser()
    for option in ("--nightdesk", "--root", "--out"):
        parser.add_argument(option, required=True)
    if uses_redis:
        parser.add_argument("--redis", required=True)
    else:
        parser.add_argument("--redis", help="unused: this scenario needs no Redis")
    parser.add_argument("--inputs", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--budget", type=float, default=1e9, help="seconds; no new input after this")
    parser.add_argument("--timeout", type=int, default=30)
    return parser.parse_args()


class Budget:
    """Inputs are taken until the budget's seconds are used up; says so when it ends a run early."""

    def __init__(self, scenario, args):
        self.scenario, self.seconds, self.inputs = scenario, args.budget, args.inputs
        self.started = time.monotonic()

    def used_up(self, n):
        if time.monotonic() - self.started <= self.seconds:
            return False
        print("%s: time budget of %.0f s used up after %d of %d inputs" % (self.scenario, self.seconds, n, self.inputs),
              file=sys.stderr)
        return True

    def elapsed(self):
        return time.monotonic() - self.started
