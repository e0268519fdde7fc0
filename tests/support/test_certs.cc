#include "tests/support/test_certs.h"

#include <cstdlib>
#include <fstream>

namespace vitrine::testing {
namespace {

bool Run(const std::string& dir, const std::string& cmd) {
  return std::system((cmd + " >> " + dir + "/openssl.log 2>&1").c_str()) == 0;
}

std::string MakeCa(const std::string& dir, const std::string& name) {
  const std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
      "-keyout " +
      dir + "/" + name + ".key -out " + dir + "/" + name + ".pem -subj /CN=" + name;
  return Run(dir, cmd) ? "" : cmd;
}

}  // namespace

bool HaveOpensslCli() { return std::system("openssl version > /dev/null 2>&1") == 0; }

std::string MakeTestCertificates(const std::string& dir) {
  for (const char* ca : {"ca", "other_ca"}) {
    if (std::string failed = MakeCa(dir, ca); !failed.empty()) return failed;
  }
  std::ofstream(dir + "/ext.cnf")
      << "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n";
  const std::string csr =
      "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
      "-keyout " +
      dir + "/server.key -out " + dir + "/server.csr -subj /CN=localhost";
  if (!Run(dir, csr)) return csr;
  const std::string sign = "openssl x509 -req -in " + dir + "/server.csr -CA " + dir +
                           "/ca.pem -CAkey " + dir + "/ca.key -CAcreateserial -days 2 -extfile " +
                           dir + "/ext.cnf -out " + dir + "/server.pem";
  return Run(dir, sign) ? "" : sign;
}

}  // namespace vitrine::testing
