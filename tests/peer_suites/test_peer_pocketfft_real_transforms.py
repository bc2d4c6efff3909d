"""scipy's own scipy/fft/_pocketfft/tests/test_real_transforms.py, run against front_kernels (see _peer.py)."""
from peer_suites._peer import load

load(globals(), "scipy", "fft/_pocketfft/tests/test_real_transforms.py", {
    "from scipy.fft._pocketfft.realtransforms import (":
        "from peer_suites.shim_scipy_fft import (",
})
