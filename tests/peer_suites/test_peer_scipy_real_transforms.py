"""scipy's own scipy/fft/tests/test_real_transforms.py, run against front_kernels (see _peer.py)."""
from peer_suites._peer import load

load(globals(), "scipy", "fft/tests/test_real_transforms.py", {
    "from scipy.fft import dct, idct, dctn, idctn, dst, idst, dstn, idstn":
        "from peer_suites.shim_scipy_fft import dct, idct, dctn, idctn, dst, idst, dstn, idstn",
    "import scipy.fft as fft": "import peer_suites.shim_scipy_fft as fft",
    "from scipy._lib._array_api import": "from peer_suites._peer_xp import",
})
