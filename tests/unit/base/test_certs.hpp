#pragma once
// Certificates made at test time with the `openssl` command line into a fresh temporary
// directory: a CA, a server certificate for "localhost" and 127.0.0.1 signed by it, a client
// certificate signed by it, and a second CA that signed nothing of ours (an untrusted CA).
// EC P-256 keys (quick to make); every key file is mode 600.

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace otaflow::testing {

struct test_certs {
  std::filesystem::path dir;
  std::string ca, other_ca, server_cert, server_key, client_cert, client_key;
  bool ok = false;

  test_certs() {
    char tmpl[] = "/tmp/otaflow-certs-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return;
    dir = tmpl;
    const auto p = [this](const char* f) { return (dir / f).string(); };
    ca = p("ca.crt");
    other_ca = p("other-ca.crt");
    server_cert = p("server.crt");
    server_key = p("server.key");
    client_cert = p("client.crt");
    client_key = p("client.key");
    std::ofstream(p("server.ext")) << "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                                      "basicConstraints=CA:FALSE\n"
                                      "extendedKeyUsage=serverAuth\n";
    std::ofstream(p("client.ext")) << "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n";
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    const std::string ca_ext =
        " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign";
    const std::string d = dir.string() + "/";
    ok = run("openssl req -x509 -days 2 -subj '/CN=otaflow test CA'" + ec + ca_ext + " -keyout " +
             d + "ca.key -out " + ca) &&
         run("openssl req -x509 -days 2 -subj '/CN=untrusted test CA'" + ec + ca_ext + " -keyout " +
             d + "other-ca.key -out " + other_ca) &&
         run("openssl req -subj '/CN=localhost'" + ec + " -keyout " + server_key + " -out " + d +
             "server.csr") &&
         run("openssl x509 -req -days 2 -in " + d + "server.csr -CA " + ca + " -CAkey " + d +
             "ca.key -CAcreateserial -extfile " + d + "server.ext -out " + server_cert) &&
         run("openssl req -subj '/CN=otaflow-esme'" + ec + " -keyout " + client_key + " -out " + d +
             "client.csr") &&
         run("openssl x509 -req -days 2 -in " + d + "client.csr -CA " + ca + " -CAkey " + d +
             "ca.key -CAcreateserial -extfile " + d + "client.ext -out " + client_cert);
    for (const auto& k : {server_key, client_key}) ::chmod(k.c_str(), 0600);
  }
  ~test_certs() {
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
  }
  test_certs(const test_certs&) = delete;
  test_certs& operator=(const test_certs&) = delete;

 private:
  static bool run(const std::string& cmd) {
    return std::system((cmd + " 2>/dev/null").c_str()) == 0;
  }
};

}  // namespace otaflow::testing
