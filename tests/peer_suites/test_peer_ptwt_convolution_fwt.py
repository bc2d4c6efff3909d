"""ptwt's own tests/test_convolution_fwt.py, run against front_kernels.compat.ptwt (see _peer.py)."""
import pytest

pytest.importorskip("ptwt", reason="ptwt (its internals are imported by its tests) is not installed")

from peer_suites._peer import load_vendored
from peer_suites._ptwt_imports import MACKEY_GLASS, SAMPLE_IMAGE

load_vendored(globals(), "ptwt/test_convolution_fwt.py", {
    "from ptwt.conv_transform import wavedec, waverec\n": "from front_kernels.compat.ptwt import wavedec, waverec\n",
    "from ptwt.conv_transform_2 import wavedec2, waverec2\n": "from front_kernels.compat.ptwt import wavedec2, waverec2\n",
    **SAMPLE_IMAGE, **MACKEY_GLASS,
})
