"""``--auditor-dist-default=MODE``: xdist's ``--dist`` when the project chose none.

``auditor run`` passes it when it picks the worker count itself (``worksteal``: an idle worker
takes half of a busy one's queue, so the contiguous first batches of ``load`` do not leave one
worker with the slow end of a sorted selection). A ``--dist`` on the command line or in
``addopts`` wins: xdist's own default is ``no``, turned into ``load`` in its
``pytest_cmdline_main`` when ``-n`` asks for workers, and this wrapper runs before it.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest


class DistDefault:
    @pytest.hookimpl(hookwrapper=True)
    def pytest_cmdline_main(self, config: pytest.Config) -> Generator[None, None, None]:
        mode = config.getoption("auditor_dist_default", None)
        option = config.option
        if mode and getattr(option, "dist", None) == "no" and not getattr(option, "distload", 0):
            option.dist = mode
        yield
