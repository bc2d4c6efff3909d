"""torch-dct's own torch_dct/test/test_dct.py, run against front_kernels.compat.torch_dct (see _peer.py)."""
from peer_suites._peer import load_vendored

load_vendored(globals(), "torch_dct/test_dct.py", {
    "import torch_dct as dct\n": "import front_kernels.compat.torch_dct as dct\n",
})
