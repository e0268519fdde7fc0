// Throwaway TLS material for tests, made with the openssl CLI in a test's temp dir: a private CA
// (ca.pem/ca.key), a second unrelated CA (other_ca.pem), and a server certificate for
// localhost / 127.0.0.1 signed by the first (server.pem/server.key).
//
// Thread safety: writes only inside `dir`.
#ifndef VITRINE_TESTS_SUPPORT_TEST_CERTS_H_
#define VITRINE_TESTS_SUPPORT_TEST_CERTS_H_

#include <string>

namespace vitrine::testing {

// True when the openssl CLI is on PATH (tests skip, saying so, when it is not).
bool HaveOpensslCli();

// Creates the files above in `dir`. Returns "" on success, else the failing command.
std::string MakeTestCertificates(const std::string& dir);

}  // namespace vitrine::testing

#endif  // VITRINE_TESTS_SUPPORT_TEST_CERTS_H_
