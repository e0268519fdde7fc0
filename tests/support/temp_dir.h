// RAII temporary directory for hermetic tests: created empty under $TMPDIR (or /tmp), removed
// with everything in it when the object dies.
//
// Thread safety: a TempDir is a value owned by one test; path() may be read from any thread.
#ifndef VITRINE_TESTS_SUPPORT_TEMP_DIR_H_
#define VITRINE_TESTS_SUPPORT_TEMP_DIR_H_

#include <string>
#include <string_view>

namespace vitrine::testing {

class TempDir {
 public:
  // Creates "<tmp>/vitrine-test-XXXXXX". Aborts if the directory cannot be made (nothing a test
  // could do without it).
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Absolute path, no trailing slash.
  const std::string& path() const { return path_; }
  // path() + "/" + name; does not create anything.
  std::string File(std::string_view name) const;

 private:
  std::string path_;
};

}  // namespace vitrine::testing

#endif  // VITRINE_TESTS_SUPPORT_TEMP_DIR_H_
