#include "secure/signing.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "base/secrets.hpp"

namespace otaflow::secure {
namespace {

struct pkey_free {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;

struct md_ctx_free {
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};

struct bio_free {
  void operator()(BIO* b) const noexcept { BIO_free(b); }
};

result<std::string> read_small_file(const std::filesystem::path& file, bool secret) {
  if (secret) OTAFLOW_TRY(check_private_file(file.string(), "Ed25519 key"));
  std::ifstream in(file, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in && !in.eof()) return make_error(errc::io, file.string() + ": cannot read it");
  return ss.str();
}

ed25519_public raw_public(EVP_PKEY* k) {
  ed25519_public pub{};
  std::size_t len = pub.size();
  EVP_PKEY_get_raw_public_key(k, pub.data(), &len);
  return pub;
}

}  // namespace

sha256_digest sha256(std::initializer_list<byte_view> parts) {
  // One fetched digest for the process and one context per thread: the audit chain hashes
  // every record, and a fresh context plus an implicit fetch per call cost more than the hash.
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local std::unique_ptr<EVP_MD_CTX, md_ctx_free> ctx(EVP_MD_CTX_new());
  sha256_digest out{};
  EVP_DigestInit_ex(ctx.get(), md, nullptr);
  for (const auto p : parts) EVP_DigestUpdate(ctx.get(), p.data(), p.size());
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx.get(), out.data(), &len);
  return out;
}

std::array<std::uint8_t, 20> sha1(byte_view data) {
  std::array<std::uint8_t, 20> out{};
  unsigned len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha1(), nullptr);
  return out;
}

result<sha256_digest> sha256_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return make_error(errc::io, file.string() + ": cannot read it");
  std::unique_ptr<EVP_MD_CTX, md_ctx_free> ctx(EVP_MD_CTX_new());
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) return make_error(errc::io, file.string() + ": read failed");
  OPENSSL_cleanse(buf.data(), buf.size());  // the file may hold keys
  sha256_digest out{};
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx.get(), out.data(), &len);
  return out;
}

ed25519_signer::ed25519_signer(void* pkey) : pkey_(pkey) {
  pub_ = raw_public(static_cast<EVP_PKEY*>(pkey));
}

ed25519_signer::~ed25519_signer() {
  EVP_PKEY_free(static_cast<EVP_PKEY*>(pkey_));
}

result<std::unique_ptr<ed25519_signer>> ed25519_signer::load(const std::filesystem::path& file) {
  auto text = read_small_file(file, true);
  if (!text) return std::move(text).error();
  std::unique_ptr<BIO, bio_free> bio(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())));
  pkey_ptr k(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  OPENSSL_cleanse(text->data(), text->size());
  if (!k || EVP_PKEY_get_id(k.get()) != EVP_PKEY_ED25519) {
    return make_error(errc::bad_argument, file.string() + ": not an Ed25519 private key (PEM)");
  }
  return std::unique_ptr<ed25519_signer>(new ed25519_signer(k.release()));
}

result<std::unique_ptr<ed25519_signer>> ed25519_signer::generate(
    const std::filesystem::path& file) {
  pkey_ptr k(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!k) return make_error(errc::internal, "Ed25519 key generation failed");
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return make_error(errc::io, file.string() + ": cannot create it (it must not exist)");
  }
  FILE* f = ::fdopen(fd, "w");
  const bool ok =
      f != nullptr && PEM_write_PrivateKey(f, k.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  if (f != nullptr) {
    if (std::fclose(f) != 0 || !ok) return make_error(errc::io, file.string() + ": write failed");
  } else {
    ::close(fd);
    return make_error(errc::io, file.string() + ": write failed");
  }
  return std::unique_ptr<ed25519_signer>(new ed25519_signer(k.release()));
}

ed25519_signature ed25519_signer::sign(byte_view message) const {
  ed25519_signature sig{};
  std::unique_ptr<EVP_MD_CTX, md_ctx_free> ctx(EVP_MD_CTX_new());
  std::size_t len = sig.size();
  EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, static_cast<EVP_PKEY*>(pkey_));
  EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size());
  return sig;
}

bool ed25519_verify(const ed25519_public& pub, byte_view message, byte_view sig) noexcept {
  if (sig.size() != 64) return false;
  pkey_ptr k(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, pub.data(), pub.size()));
  if (!k) return false;
  std::unique_ptr<EVP_MD_CTX, md_ctx_free> ctx(EVP_MD_CTX_new());
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, k.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), message.data(), message.size()) == 1;
}

result<ed25519_public> read_ed25519_public(const std::string& text_or_file) {
  if (text_or_file.size() == 64) {
    if (auto raw = from_hex(text_or_file); raw && raw->size() == 32) {
      ed25519_public pub{};
      std::copy(raw->begin(), raw->end(), pub.begin());
      return pub;
    }
  }
  auto text = read_small_file(text_or_file, false);
  if (!text) return std::move(text).error();
  std::unique_ptr<BIO, bio_free> bio(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())));
  pkey_ptr k(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!k) {
    // A private key file: take its public half (the caller should not need the private key,
    // but an operator may point at the signing key itself).
    std::unique_ptr<BIO, bio_free> b2(
        BIO_new_mem_buf(text->data(), static_cast<int>(text->size())));
    k.reset(PEM_read_bio_PrivateKey(b2.get(), nullptr, nullptr, nullptr));
    OPENSSL_cleanse(text->data(), text->size());
  }
  if (!k || EVP_PKEY_get_id(k.get()) != EVP_PKEY_ED25519) {
    return make_error(errc::bad_argument,
                      text_or_file + ": not an Ed25519 public key (64 hex digits or PEM)");
  }
  return raw_public(k.get());
}

}  // namespace otaflow::secure
