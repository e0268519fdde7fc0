// Picks a loopback TCP port for tests that must pass a port number to something they start
// (a server process, a config file) instead of binding port 0 themselves.
//
// Thread safety: safe to call from any thread.
// Caveat: the port is free when this returns and is released before the caller binds it, so
// another process may take it in between; prefer binding port 0 directly where the code under
// test allows it.
#ifndef VITRINE_TESTS_SUPPORT_FREE_PORT_H_
#define VITRINE_TESTS_SUPPORT_FREE_PORT_H_

#include <cstdint>

namespace vitrine::testing {

// A port on 127.0.0.1 the kernel just handed out for an ephemeral bind. Aborts the test binary
// (gtest fatal failure is not available outside a TEST body) only if no socket can be made.
uint16_t FreePort();

}  // namespace vitrine::testing

#endif  // VITRINE_TESTS_SUPPORT_FREE_PORT_H_
