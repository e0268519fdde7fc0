#include "sync_server/recsys/sequences.h"

#include <charconv>
#include <fstream>
#include <sstream>

namespace vitrine::recsys {
namespace {

Status Invalid(std::string message) {
  return Status(Status::Kind::kInvalid, "invalid_dataset", std::move(message));
}

// Parses a positive decimal id at `pos`, advancing past it. Returns 0 when none is there.
int64_t ParseId(std::string_view line, size_t& pos) {
  while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t' || line[pos] == '\r')) ++pos;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(line.data() + pos, line.data() + line.size(), value);
  if (ec != std::errc() || value <= 0) return 0;
  pos = static_cast<size_t>(end - line.data());
  return value;
}

bool OnlySpaceLeft(std::string_view line, size_t pos) {
  return line.find_first_not_of(" \t\r", pos) == std::string_view::npos;
}

// Items beyond this are a corrupt file, not a catalog (and would make dense arrays explode).
constexpr int64_t kMaxItemId = 50'000'000;

}  // namespace

size_t SequenceSet::interaction_count() const {
  size_t n = 0;
  for (const auto& s : sequences) n += s.size();
  return n;
}

StatusOr<SequenceSet> ParseS3RecSequences(std::istream& in) {
  SequenceSet set;
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (OnlySpaceLeft(line, 0)) continue;
    size_t pos = 0;
    if (ParseId(line, pos) == 0) {
      return Invalid("line " + std::to_string(line_no) + ": expected a positive user id");
    }
    std::vector<ItemIndex> items;
    while (!OnlySpaceLeft(line, pos)) {
      const int64_t id = ParseId(line, pos);
      if (id == 0 || id > kMaxItemId) {
        return Invalid("line " + std::to_string(line_no) + ": item ids must be integers in 1.." +
                       std::to_string(kMaxItemId));
      }
      items.push_back(static_cast<ItemIndex>(id - 1));
      if (id > set.item_count) set.item_count = static_cast<int32_t>(id);
    }
    set.sequences.push_back(std::move(items));
  }
  if (in.bad()) return Invalid("read error");
  return set;
}

StatusOr<SequenceSet> LoadS3RecSequences(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return Invalid("cannot open " + path.string());
  return ParseS3RecSequences(in);
}

Status LoadS3RecTitles(const std::filesystem::path& path, int32_t item_count, ItemText* text) {
  std::ifstream in(path);
  if (!in) return Invalid("cannot open " + path.string());
  text->titles.assign(static_cast<size_t>(item_count), std::string());
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line_no == 1 || line.empty()) continue;  // header
    const size_t tab1 = line.find('\t');
    const size_t tab2 = tab1 == std::string::npos ? tab1 : line.find('\t', tab1 + 1);
    size_t pos = 0;
    const int64_t id = ParseId(std::string_view(line).substr(0, tab1), pos);
    if (tab2 == std::string::npos || id == 0) {
      return Invalid(path.filename().string() + " line " + std::to_string(line_no) +
                     ": expected id<TAB>asin<TAB>title");
    }
    if (id > item_count) continue;  // an item no sequence mentions
    std::string title = line.substr(tab2 + 1);
    if (!title.empty() && title.back() == '\r') title.pop_back();
    text->titles[static_cast<size_t>(id - 1)] = std::move(title);
  }
  return Status::Ok();
}

Status LoadS3RecAttributes(const std::filesystem::path& path, int32_t item_count, ItemText* text) {
  std::ifstream in(path);
  if (!in) return Invalid("cannot open " + path.string());
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string json = buffer.str();
  text->attributes.assign(static_cast<size_t>(item_count), {});
  // The file is one flat object of string keys to integer arrays; anything else is rejected.
  size_t pos = json.find('{');
  if (pos == std::string::npos) return Invalid("attributes: expected a JSON object");
  ++pos;
  auto skip_space = [&] {
    while (pos < json.size() && std::isspace(static_cast<unsigned char>(json[pos]))) ++pos;
  };
  auto expect = [&](char c) {
    skip_space();
    if (pos >= json.size() || json[pos] != c) return false;
    ++pos;
    return true;
  };
  auto number = [&](int64_t& value) {
    skip_space();
    auto [end, ec] = std::from_chars(json.data() + pos, json.data() + json.size(), value);
    if (ec != std::errc()) return false;
    pos = static_cast<size_t>(end - json.data());
    return true;
  };
  skip_space();
  if (pos < json.size() && json[pos] == '}') return Status::Ok();
  while (true) {
    int64_t id = 0;
    if (!expect('"') || !number(id) || !expect('"') || !expect(':') || !expect('[')) {
      return Invalid("attributes: malformed entry near byte " + std::to_string(pos));
    }
    std::vector<int32_t> attrs;
    skip_space();
    if (pos < json.size() && json[pos] == ']') {
      ++pos;
    } else {
      while (true) {
        int64_t a = 0;
        if (!number(a) || a < 0 || a > kMaxItemId) {
          return Invalid("attributes: expected a non-negative integer near byte " +
                         std::to_string(pos));
        }
        attrs.push_back(static_cast<int32_t>(a));
        if (expect(']')) break;
        if (!expect(','))
          return Invalid("attributes: expected , or ] near byte " + std::to_string(pos));
      }
    }
    if (id >= 1 && id <= item_count)
      text->attributes[static_cast<size_t>(id - 1)] = std::move(attrs);
    if (expect('}')) return Status::Ok();
    if (!expect(','))
      return Invalid("attributes: expected , or } near byte " + std::to_string(pos));
  }
}

LeaveOneOut SplitLeaveOneOut(const SequenceSet& all) {
  LeaveOneOut split;
  split.train.item_count = all.item_count;
  split.train.sequences.reserve(all.sequences.size());
  for (size_t u = 0; u < all.sequences.size(); ++u) {
    const auto& s = all.sequences[u];
    if (s.size() < 3) {
      split.train.sequences.push_back(s);
      continue;
    }
    split.train.sequences.emplace_back(s.begin(), s.end() - 2);
    split.evaluated.push_back(static_cast<int32_t>(u));
    split.validation.push_back(s[s.size() - 2]);
    split.test.push_back(s.back());
  }
  return split;
}

SequenceSet FitSet(const LeaveOneOut& split, FitFor purpose) {
  SequenceSet set = split.train;
  if (purpose == FitFor::kTest) {
    for (size_t i = 0; i < split.evaluated.size(); ++i) {
      set.sequences[static_cast<size_t>(split.evaluated[i])].push_back(split.validation[i]);
    }
  }
  return set;
}

}  // namespace vitrine::recsys
