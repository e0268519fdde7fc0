# Cross-compiling for 64-bit ARM Linux with Debian's g++-aarch64-linux-gnu; binaries run on this
# machine under qemu-user (ctest uses CMAKE_CROSSCOMPILING_EMULATOR). The sysroot is Debian's
# libc6-arm64-cross / libstdc++6-arm64-cross in /usr/aarch64-linux-gnu.
# This stands in for a phone: Android's arm64-v8a and iOS's arm64 are the same instruction set;
# the NDK and Xcode bring their own toolchain files.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_STRIP aarch64-linux-gnu-strip)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /usr/aarch64-linux-gnu)
