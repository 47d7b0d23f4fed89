"""Serve one simulated inquiry platform on its own:

    python -m api.simulators.inquiry --code platform-a --name 模拟询价平台甲 --secret <text> --port 8101

The price profile is the demo platform's of the same name (valuation.estimate.PLATFORMS), else a neutral one.
The control key comes from --control-key or CARENFORCE_SIM_CONTROL_KEY; without either, one is made up and
printed.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys

import uvicorn

from api.simulators.inquiry.app import create_app
from api.simulators.inquiry.platforms import SimPlatform
from valuation.estimate import PLATFORMS, PriceSource

CONTROL_KEY_ENV = "CARENFORCE_SIM_CONTROL_KEY"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m api.simulators.inquiry", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--code", required=True, help="the platform's code, e.g. platform-a")
    parser.add_argument("--name", required=True, help="its name, e.g. 模拟询价平台甲")
    parser.add_argument("--secret", required=True, help="the secret shared with the court (32+ characters)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument("--valid-months", type=int, default=6, help="how long a report is valid")
    parser.add_argument("--control-key", default=os.environ.get(CONTROL_KEY_ENV, ""))
    args = parser.parse_args(argv)
    source = next((p for p in PLATFORMS if p.name == args.name), PriceSource(args.name))
    try:
        platform = SimPlatform(
            code=args.code,
            name=args.name,
            secret=args.secret,
            source=source,
            report_valid_months=args.valid_months,
        )
    except ValueError as exc:
        parser.error(str(exc))
    control_key = args.control_key
    if not control_key:
        control_key = secrets.token_urlsafe(24)
        print(f"control key: {control_key}", file=sys.stderr)
    uvicorn.run(create_app(platform, control_key=control_key), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
