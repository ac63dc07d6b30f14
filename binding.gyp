{
  # The native backend: plain C11 kernels behind N-API (native/src, see docs/native-backend.md).
  # Every kernel source is compiled once per ISA of the target architecture into a static
  # library each; the addon links them and picks one at load time:
  #   x86-64:  AVX-512, AVX2+FMA and scalar (the only place -mavx* flags are passed)
  #   AArch64: NEON and scalar (NEON is in every ARMv8-A core; no flags needed)
  #   others:  scalar
  # The scalar path is plain C and builds everywhere. scripts/build-native.mjs runs node-gyp.
  'variables': {
    'kernel_sources': [
      'native/src/gemm.c',
      'native/src/elementwise.c',
      'native/src/reduce.c',
      'native/src/softmax.c',
      'native/src/norm.c',
      'native/src/loss.c',
      'native/src/misc.c',
      'native/src/attention.c',
      'native/src/paged_attention.c',
      'native/src/quant.c',
      'native/src/stream.c',
      'native/src/table.c',
    ],
    # no -ffast-math: NaN/Inf must propagate as in the reference kernels; no implicit FMA
    # contraction: kernels say where they fuse (vfma), so rounding is the same on every path
    'kernel_cflags': ['-std=gnu11', '-O3', '-fPIC', '-fno-math-errno', '-fno-trapping-math', '-fno-strict-aliasing', '-ffp-contract=off'],
  },
  'target_defaults': {
    'cflags!': ['-O2', '-O0'],
    'cflags': ['<@(kernel_cflags)'],
    'conditions': [
      ['OS=="mac"', {
        'xcode_settings': {
          'GCC_OPTIMIZATION_LEVEL': '3',
          'OTHER_CFLAGS': ['<@(kernel_cflags)'],
        },
      }],
    ],
  },
  'targets': [
    {
      'target_name': 'llmts_kernels_scalar',
      'type': 'static_library',
      'sources': ['<@(kernel_sources)'],
      'defines': ['LLMTS_ISA_SCALAR'],
    },
    {
      'target_name': 'llmts_native',
      'sources': ['native/src/addon.c', 'native/src/pool.c', 'native/src/par.c'],
      'dependencies': ['llmts_kernels_scalar'],
      'libraries': ['-lm', '-lpthread'],
      'conditions': [
        ['target_arch=="x64"', {'dependencies': ['llmts_kernels_avx2', 'llmts_kernels_avx512']}],
        ['target_arch=="arm64"', {'dependencies': ['llmts_kernels_neon']}],
      ],
    },
  ],
  'conditions': [
    ['target_arch=="x64"', {
      'targets': [
        {
          'target_name': 'llmts_kernels_avx2',
          'type': 'static_library',
          'sources': ['<@(kernel_sources)'],
          'defines': ['LLMTS_ISA_AVX2'],
          'cflags': ['-mavx2', '-mfma'],
          'xcode_settings': {'OTHER_CFLAGS': ['-mavx2', '-mfma']},
        },
        {
          'target_name': 'llmts_kernels_avx512',
          'type': 'static_library',
          'sources': ['<@(kernel_sources)'],
          'defines': ['LLMTS_ISA_AVX512'],
          'cflags': ['-mavx2', '-mfma', '-mavx512f', '-mavx512dq', '-mavx512bw', '-mavx512vl', '-mprefer-vector-width=512'],
          'xcode_settings': {'OTHER_CFLAGS': ['-mavx2', '-mfma', '-mavx512f', '-mavx512dq', '-mavx512bw', '-mavx512vl']},
        },
      ],
    }],
    ['target_arch=="arm64"', {
      'targets': [
        {
          'target_name': 'llmts_kernels_neon',
          'type': 'static_library',
          'sources': ['<@(kernel_sources)'],
          'defines': ['LLMTS_ISA_NEON'],
        },
      ],
    }],
  ],
}
