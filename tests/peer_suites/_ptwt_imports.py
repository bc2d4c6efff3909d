"""The import replacements shared by ptwt's test modules: its sample image (scipy.datasets.face
downloads) and its own test helper (ptwt's tests import it as the package ``tests``)."""
SAMPLE_IMAGE = {"from scipy import datasets\n": "from peer_suites.scipy_datasets_standin import datasets\n"}
MACKEY_GLASS = {"from tests._mackey_glass import": "from peer_suites.vendored.ptwt._mackey_glass import"}
