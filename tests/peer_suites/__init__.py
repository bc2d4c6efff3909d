"""scipy's and PyWavelets' own test modules run against front_kernels (see conftest.py)."""
