# cython: language_level=3
# Kernels compiled for the baseline instruction-set level; see _kernel.pxi.
include "_kernel.pxi"
