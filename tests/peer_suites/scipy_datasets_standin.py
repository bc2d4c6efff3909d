"""Stand-in for scipy.datasets.face (which downloads): a deterministic uint8 image of its shape."""
import numpy as np


class datasets:
    @staticmethod
    def face(gray=False):
        rng = np.random.default_rng(0)
        y, x = np.mgrid[0:768, 0:1024]
        base = 128 + 60 * np.sin(x / 37.0) * np.cos(y / 23.0) + 30 * np.sin((x + 2 * y) / 11.0)
        img = np.stack([base + 10 * c for c in range(3)], -1) + rng.normal(0, 8, (768, 1024, 3))
        img = np.clip(img, 0, 255).astype(np.uint8)
        return img.mean(-1).astype(np.uint8) if gray else img
