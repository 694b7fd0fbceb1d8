#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build of escapade. Honours the build contract: $CC $CFLAGS
# $LIB_FUZZING_ENGINE $FUZZING_ENGINE $SRC $WORK $OUT. Installs into $OUT, for every
# target, the binary fuzz_<t> with fuzz_<t>.options, fuzz_<t>.dict (generated from the
# target's tables) and fuzz_<t>_seed_corpus.zip (corpora/<t>/ and its regressions).
src=${SRC:?}/escapade
[ -d "$src" ] || src=$(cd "$(dirname "$0")/.." && pwd)
custom=OFF
[ "${FUZZING_ENGINE:-libfuzzer}" = libfuzzer ] && custom=ON
cmake -S "$src" -B "${WORK:?}/escapade-build" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER="${CC:?}" -DCMAKE_C_FLAGS="${CFLAGS:-}" \
  -DESCAPADE_ENGINE=external -DESCAPADE_LIB_FUZZING_ENGINE="${LIB_FUZZING_ENGINE:?}" \
  -DESCAPADE_CUSTOM_MUTATOR=$custom \
  -DESCAPADE_SANITIZE= -DESCAPADE_TESTS=OFF -DESCAPADE_WERROR=OFF \
  -DESCAPADE_FUZZ_DESTINATION=. -DCMAKE_INSTALL_PREFIX="${OUT:?}"
cmake --build "$WORK/escapade-build" -j "$(nproc)"
cmake --install "$WORK/escapade-build" >/dev/null
