"""ptwt's own tests/test_separable_conv_fwt.py, run against front_kernels.compat.ptwt (see _peer.py).
Its tests of ptwt's private ``_separable_conv_wavedecn`` / ``_separable_conv_waverecn`` keep calling
ptwt (they are internals, not part of the API the compat module offers)."""
import pytest

pytest.importorskip("ptwt", reason="ptwt (its internals are imported by its tests) is not installed")

from peer_suites._peer import load_vendored

load_vendored(globals(), "ptwt/test_separable_conv_fwt.py", {
    "    fswavedec2,\n    fswavedec3,\n    fswaverec2,\n    fswaverec3,\n)\n":
        ")\nfrom front_kernels.compat.ptwt import fswavedec2, fswavedec3, fswaverec2, fswaverec3\n",
})
