# cython: language_level=3
# Kernels compiled for the avx512 instruction-set level; see _kernel.pxi.
include "_kernel.pxi"
