// Corpus replayer: links with a fuzz target when libFuzzer is not used (g++),
// so every CI run replays tests/fuzz/corpus/<target>/ through the decoder.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  std::size_t n = 0;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path p(argv[i]);
    std::vector<std::filesystem::path> files;
    if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(p))
        if (e.is_regular_file()) files.push_back(e.path());
    } else if (std::filesystem::exists(p)) {
      files.push_back(p);
    }
    for (const auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      std::vector<std::uint8_t> buf((std::istreambuf_iterator<char>(in)), {});
      LLVMFuzzerTestOneInput(buf.data(), buf.size());
      ++n;
    }
  }
  // Also run a few fixed shapes so an empty corpus still exercises the target.
  const std::uint8_t edge[] = {0x00, 0xFF, 0x80, 0x81, 0x82, 0x7F, 0x02, 0x70, 0x00};
  for (std::size_t len = 0; len <= sizeof edge; ++len) LLVMFuzzerTestOneInput(edge, len);
  std::printf("replayed %zu corpus inputs\n", n);
  return 0;
}
