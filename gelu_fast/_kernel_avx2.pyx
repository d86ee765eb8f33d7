# cython: language_level=3
# Kernels compiled for the avx2 instruction-set level; see _kernel.pxi.
include "_kernel.pxi"
