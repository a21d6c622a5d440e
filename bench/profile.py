"""`python -m bench.profile`: profile one case in-process with pyinstrument.

Uses the data set `python -m bench` keeps (seeding it the first time), warms up,
then profiles `--repeat` requests and prints the call tree (or writes HTML).
"""

from __future__ import annotations

import argparse
import asyncio

from pyinstrument import Profiler

from bench.one_case import one_case_client, one_case_parser


def arguments() -> argparse.Namespace:
    parser = one_case_parser("python -m bench.profile", __doc__, repeat=20)
    parser.add_argument("--html", help="write an HTML report here instead of printing")
    return parser.parse_args()


async def profile(args: argparse.Namespace) -> Profiler:
    async with one_case_client(args) as (case, variables, client):
        for _ in range(3):
            await client.request(case.query, variables)
        profiler = Profiler(async_mode="enabled")
        with profiler:
            for _ in range(args.repeat):
                await client.request(case.query, variables)
    return profiler


def main() -> None:
    args = arguments()
    profiler = asyncio.run(profile(args))
    if args.html:
        with open(args.html, "w") as out:
            out.write(profiler.output_html())
    else:
        print(profiler.output_text(unicode=True, show_all=False))


if __name__ == "__main__":
    main()
