"""``chalice local`` with one fix: API Gateway's greedy ``{proxy+}`` routes.

Chalice's local route matcher only matches routes with as many path segments as the URL, so the
app's catch-all ``/{proxy+}`` (which answers unknown routes with a 404 problem body in AWS) never
matches locally and chalice local answers 403 "Missing Authentication Token" instead. This module
teaches the matcher the greedy fallback, then runs the real ``chalice local`` command in-process:

    python -m localdev.chalice_local --stage local --port 8000     # = chalice local --no-autoreload ...
"""
from __future__ import annotations

import sys


def patch_route_matcher() -> None:
    from chalice import local

    if getattr(local.RouteMatcher, "_greedy_proxy", False):
        return
    original = local.RouteMatcher.match_route

    def match_route(self, url):
        try:
            return original(self, url)
        except ValueError:
            greedy = [r for r in self.route_urls if r.endswith("+}")]
            if not greedy:
                raise
            from urllib.parse import parse_qs, urlparse
            parsed = urlparse(url)
            route = greedy[0]
            name = route.rsplit("{", 1)[1][:-2]
            return local.MatchResult(route, {name: parsed.path.lstrip("/")},
                                     parse_qs(parsed.query, keep_blank_values=True))

    local.RouteMatcher.match_route = match_route
    local.RouteMatcher._greedy_proxy = True


def main(argv: list[str] | None = None) -> None:
    patch_route_matcher()
    from chalice.cli import main as chalice_main

    sys.argv = ["chalice", "local", "--no-autoreload", *(argv if argv is not None else sys.argv[1:])]
    chalice_main()


if __name__ == "__main__":
    main()
