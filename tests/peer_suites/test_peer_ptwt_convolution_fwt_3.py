"""ptwt's own tests/test_convolution_fwt_3.py, run against front_kernels.compat.ptwt (see _peer.py)."""
import pytest

pytest.importorskip("ptwt", reason="ptwt (its internals are imported by its tests) is not installed")

from peer_suites._peer import load_vendored

load_vendored(globals(), "ptwt/test_convolution_fwt_3.py", {
    "from ptwt.conv_transform_3 import wavedec3, waverec3\n": "from front_kernels.compat.ptwt import wavedec3, waverec3\n",
})
