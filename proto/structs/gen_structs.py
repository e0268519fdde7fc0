#!/usr/bin/env python3
"""Plain C++ structs and a wire codec for the proto3 files of the wire contract.

The browser build of the SDK cannot afford protobuf-lite (its runtime and generated classes are a
third of the module). This generator reads the same .proto files protoc reads and writes, per
file, a header and a source with one class per message: the accessors protoc's C++ generator
names (`x()`, `set_x`, `mutable_x`, `has_x`, `add_x`, `x_size`, `clear_x`), `std::vector` for
repeated fields, `std::map` for maps, and `ParseFromString` / `ParseFromArray` /
`SerializeToString` / `SerializeAsString` with protobuf's wire semantics: fields in number order,
proto3 defaults omitted, unknown fields skipped (not kept), a known field with another wire type
treated as unknown, repeated messages merged, strings checked for UTF-8. The codec is
table-driven: each class carries a compile-time table of its fields (`kWireInfo`, built with
`wire_structs::Field`), and one encoder and one decoder in the runtime (`runtime.h`, shared by all
generated files) walk the tables, so the code does not grow with the contract (the browser build
counts every byte). `tests/proto/structs_codec_test.cc` checks the output byte for byte against
protobuf on randomly filled messages and on mutated inputs.

It understands the subset the contract uses and refuses anything else by name, so a new construct
in a .proto file fails the build here instead of being mis-encoded: messages (not nested),
enums (top level or nested in a message), scalar / string / bytes / enum / message fields,
`repeated` of those, `map<string, string>`, `reserved`, comments. Not supported: `oneof`,
`optional`, nested messages, groups, field options, extensions, services, other map types.

  gen_structs.py --proto-root DIR --out DIR --namespace vitrine::v1 --suffix .pb FILE.proto...

writes OUT/<FILE>.<suffix>.h and .cc (`--suffix .pb` makes drop-in names for protoc's output).
"""

import argparse
import os
import re
import sys

SCALARS = {
    # proto type: C++ type (the runtime derives the wire type from it, see wire_structs::Field)
    'int32': 'int32_t',
    'int64': 'int64_t',
    'uint32': 'uint32_t',
    'uint64': 'uint64_t',
    'bool': 'bool',
    'float': 'float',
    'double': 'double',
}
STRINGS = {'string', 'bytes'}


class ProtoError(Exception):
  pass


class Enum:
  def __init__(self, name, values, outer=None):
    self.name, self.values, self.outer = name, values, outer

  @property
  def cpp_name(self):
    return f'{self.outer}_{self.name}' if self.outer else self.name


class Field:
  def __init__(self, label, type_name, name, number, map_types=None):
    self.label, self.type_name, self.name, self.number = label, type_name, name, number
    self.map_types = map_types
    self.kind = None  # scalar | string | enum | message | map, resolved later
    self.enum = None


class Message:
  def __init__(self, name):
    self.name, self.fields, self.enums = name, [], []


class ProtoFile:
  def __init__(self, path):
    self.path, self.package, self.imports = path, None, []
    self.messages, self.enums = [], []


def tokenize(text, path):
  text = re.sub(r'/\*.*?\*/', ' ', text, flags=re.S)
  text = re.sub(r'//[^\n]*', ' ', text)
  tokens = re.findall(r'"[^"\n]*"|[A-Za-z_][A-Za-z0-9_.]*|-?\d+|[{}=;<>,\[\]()]|\S', text)
  for t in tokens:
    if not re.fullmatch(r'"[^"\n]*"|[A-Za-z_][A-Za-z0-9_.]*|-?\d+|[{}=;<>,\[\]()]', t):
      raise ProtoError(f'{path}: unexpected character {t!r}')
  return tokens


class Parser:
  def __init__(self, tokens, path):
    self.t, self.i, self.path = tokens, 0, path

  def peek(self):
    return self.t[self.i] if self.i < len(self.t) else None

  def next(self):
    tok = self.peek()
    if tok is None:
      raise ProtoError(f'{self.path}: unexpected end of file')
    self.i += 1
    return tok

  def expect(self, want):
    tok = self.next()
    if tok != want:
      raise ProtoError(f'{self.path}: expected {want!r}, found {tok!r}')

  def skip_statement(self):
    while self.next() != ';':
      pass

  def parse_enum(self, outer=None):
    name = self.next()
    self.expect('{')
    values = []
    while self.peek() != '}':
      if self.peek() in ('option', 'reserved'):
        self.skip_statement()
        continue
      vname = self.next()
      self.expect('=')
      number = int(self.next())
      if self.peek() == '[':
        raise ProtoError(f'{self.path}: enum value options are not supported ({vname})')
      self.expect(';')
      values.append((vname, number))
    self.expect('}')
    if not values or values[0][1] != 0:
      raise ProtoError(f'{self.path}: proto3 enum {name} must start with a 0 value')
    return Enum(name, values, outer)

  def parse_message(self):
    msg = Message(self.next())
    self.expect('{')
    while self.peek() != '}':
      tok = self.peek()
      if tok == 'enum':
        self.next()
        msg.enums.append(self.parse_enum(outer=msg.name))
      elif tok == 'reserved':
        self.skip_statement()
      elif tok in ('message', 'oneof', 'optional', 'group', 'extensions', 'extend', 'option',
                   'required'):
        raise ProtoError(f'{self.path}: {msg.name}: `{tok}` is not supported by gen_structs.py '
                         '(extend the generator or keep this message out of the browser build)')
      else:
        label = None
        if tok == 'repeated':
          label = self.next()
        if self.peek() == 'map':
          self.next()
          self.expect('<')
          key = self.next()
          self.expect(',')
          value = self.next()
          self.expect('>')
          if (key, value) != ('string', 'string') or label:
            raise ProtoError(f'{self.path}: {msg.name}: only map<string, string> is supported')
          name = self.next()
          self.expect('=')
          f = Field('map', None, name, int(self.next()), (key, value))
        else:
          type_name = self.next()
          name = self.next()
          self.expect('=')
          f = Field(label, type_name, name, int(self.next()))
        if self.peek() == '[':
          raise ProtoError(f'{self.path}: {msg.name}.{f.name}: field options are not supported')
        self.expect(';')
        msg.fields.append(f)
    self.expect('}')
    return msg

  def parse_file(self):
    pf = ProtoFile(self.path)
    while self.peek() is not None:
      tok = self.next()
      if tok == 'syntax':
        self.expect('=')
        if self.next() != '"proto3"':
          raise ProtoError(f'{self.path}: only proto3 is supported')
        self.expect(';')
      elif tok == 'package':
        pf.package = self.next()
        self.expect(';')
      elif tok == 'import':
        pf.imports.append(self.next().strip('"'))
        self.expect(';')
      elif tok == 'option':
        self.skip_statement()
      elif tok == 'message':
        pf.messages.append(self.parse_message())
      elif tok == 'enum':
        pf.enums.append(self.parse_enum())
      else:
        raise ProtoError(f'{self.path}: `{tok}` is not supported by gen_structs.py')
    return pf


def resolve(files):
  """Gives every field its kind; checks names, numbers and the order of message definitions."""
  messages, enums = {}, {}
  for pf in files:
    for e in pf.enums:
      enums[e.name] = e
    for m in pf.messages:
      messages[m.name] = m
      for e in m.enums:
        enums[f'{m.name}.{e.name}'] = e
  for pf in files:
    for m in pf.messages:
      numbers, names = set(), set()
      for f in m.fields:
        if f.number in numbers or f.name in names:
          raise ProtoError(f'{pf.path}: {m.name}: field {f.name} = {f.number} is declared twice')
        if not 1 <= f.number <= 536870911 or 19000 <= f.number <= 19999:
          raise ProtoError(f'{pf.path}: {m.name}.{f.name}: invalid field number {f.number}')
        numbers.add(f.number)
        names.add(f.name)
        if f.label == 'map':
          f.kind = 'map'
        elif f.type_name in SCALARS:
          f.kind = 'scalar'
        elif f.type_name in STRINGS:
          f.kind = 'string'
        else:
          local = f'{m.name}.{f.type_name}'
          if local in enums:
            f.kind, f.enum = 'enum', enums[local]
          elif f.type_name in enums:
            f.kind, f.enum = 'enum', enums[f.type_name]
          elif f.type_name in messages:
            f.kind = 'message'
          else:
            raise ProtoError(f'{pf.path}: {m.name}.{f.name}: unknown type {f.type_name}')
  # Messages hold their sub-messages by value: every one must be defined before it is used.
  defined = set()
  for pf in files:
    for m in pf.messages:
      for f in m.fields:
        if f.kind == 'message' and f.type_name not in defined:
          raise ProtoError(f'{pf.path}: {m.name}.{f.name}: {f.type_name} must be defined before '
                           'the messages that use it (it is held by value)')
      defined.add(m.name)


def header_guard(rel, suffix):
  return re.sub(r'[^A-Za-z0-9]', '_', f'VITRINE_GEN_{rel}{suffix}_H_').upper()


def cpp_type(f):
  if f.kind == 'scalar':
    return SCALARS[f.type_name]
  if f.kind == 'string':
    return 'std::string'
  if f.kind == 'enum':
    return f.enum.cpp_name
  if f.kind == 'message':
    return f.type_name
  return 'std::map<std::string, std::string>'


def emit_enum(e, out):
  out.append(f'enum {e.cpp_name} : int {{')
  for vname, number in e.values:
    prefix = f'{e.cpp_name}_' if e.outer else ''
    out.append(f'  {prefix}{vname} = {number},')
  out.append('};')
  lo = min(v for _, v in e.values)
  hi = max(v for _, v in e.values)
  out.append(f'constexpr {e.cpp_name} {e.cpp_name}_MIN = static_cast<{e.cpp_name}>({lo});')
  out.append(f'constexpr {e.cpp_name} {e.cpp_name}_MAX = static_cast<{e.cpp_name}>({hi});')
  cases = ' || '.join(f'value == {v}' for _, v in e.values)
  out.append(f'constexpr bool {e.cpp_name}_IsValid(int value) {{ return {cases}; }}')
  out.append('')


def emit_accessors(f, out):
  n, t = f.name, cpp_type(f)
  m = f'{n}_'
  if f.label == 'repeated':
    out.append(f'  int {n}_size() const {{ return static_cast<int>({m}.size()); }}')
    out.append(f'  const std::vector<{t}>& {n}() const {{ return {m}; }}')
    out.append(f'  std::vector<{t}>* mutable_{n}() {{ return &{m}; }}')
    out.append(f'  void clear_{n}() {{ {m}.clear(); }}')
    if f.kind in ('string', 'message'):
      out.append(f'  const {t}& {n}(int i) const {{ return {m}[static_cast<size_t>(i)]; }}')
      out.append(f'  {t}* mutable_{n}(int i) {{ return &{m}[static_cast<size_t>(i)]; }}')
      out.append(f'  {t}* add_{n}() {{ return &{m}.emplace_back(); }}')
      if f.kind == 'string':
        out.append(f'  void add_{n}(std::string_view v) {{ {m}.emplace_back(v); }}')
        out.append(f'  void set_{n}(int i, std::string_view v) '
                   f'{{ {m}[static_cast<size_t>(i)].assign(v.data(), v.size()); }}')
    else:
      out.append(f'  {t} {n}(int i) const {{ return {m}[static_cast<size_t>(i)]; }}')
      out.append(f'  void set_{n}(int i, {t} v) {{ {m}[static_cast<size_t>(i)] = v; }}')
      out.append(f'  void add_{n}({t} v) {{ {m}.push_back(v); }}')
  elif f.kind == 'map':
    out.append(f'  int {n}_size() const {{ return static_cast<int>({m}.size()); }}')
    out.append(f'  const {t}& {n}() const {{ return {m}; }}')
    out.append(f'  {t}* mutable_{n}() {{ return &{m}; }}')
    out.append(f'  void clear_{n}() {{ {m}.clear(); }}')
  elif f.kind == 'string':
    out.append(f'  const std::string& {n}() const {{ return {m}; }}')
    out.append(f'  void set_{n}(std::string_view v) {{ {m}.assign(v.data(), v.size()); }}')
    out.append(f'  void set_{n}(std::string&& v) {{ {m} = std::move(v); }}')
    out.append(f'  void set_{n}(const char* v) {{ {m}.assign(v); }}')
    out.append(f'  void set_{n}(const void* v, size_t size) '
               f'{{ {m}.assign(static_cast<const char*>(v), size); }}')
    out.append(f'  std::string* mutable_{n}() {{ return &{m}; }}')
    out.append(f'  void clear_{n}() {{ {m}.clear(); }}')
  elif f.kind == 'message':
    out.append(f'  bool has_{n}() const {{ return {m}.has_value(); }}')
    out.append(f'  const {t}& {n}() const {{ return {m} ? *{m} : {t}::default_instance(); }}')
    out.append(f'  {t}* mutable_{n}() {{ return {m} ? &*{m} : &{m}.emplace(); }}')
    out.append(f'  void clear_{n}() {{ {m}.reset(); }}')
  else:
    out.append(f'  {t} {n}() const {{ return {m}; }}')
    out.append(f'  void set_{n}({t} v) {{ {m} = v; }}')
    out.append(f'  void clear_{n}() {{ {m} = {t}{{}}; }}')


def member_decl(f):
  t = cpp_type(f)
  if f.label == 'repeated':
    return f'std::vector<{t}> {f.name}_;'
  if f.kind == 'message':
    return f'std::optional<{t}> {f.name}_;'
  if f.kind in ('scalar', 'enum'):
    return f'{t} {f.name}_ = {t}{{}};'
  return f'{t} {f.name}_;'


def emit_message_decl(m, out):
  out.append(f'class {m.name} : public ::vitrine::wire_structs::MessageBase {{')
  out.append(' public:')
  for e in m.enums:
    out.append(f'  using {e.name} = {e.cpp_name};')
    for vname, _ in e.values:
      out.append(f'  static constexpr {e.name} {vname} = {e.cpp_name}_{vname};')
    out.append(f'  static constexpr bool {e.name}_IsValid(int value) '
               f'{{ return {e.cpp_name}_IsValid(value); }}')
  out.append('')
  out.append('  // An empty message, what an unset message field reads as.')
  out.append(f'  static const {m.name}& default_instance();')
  out.append('')
  for f in sorted(m.fields, key=lambda x: x.number):
    emit_accessors(f, out)
  out.append('')
  out.append('  // Replaces the content with `data`; false (content unspecified) on malformed input.')
  out.append('  bool ParseFromString(std::string_view data);')
  out.append('  bool ParseFromArray(const void* data, int size);')
  out.append('  // Appends nothing: replaces *out with the encoding. Always succeeds.')
  out.append('  bool SerializeToString(std::string* out) const;')
  out.append('  std::string SerializeAsString() const;')
  out.append('  void Clear() { ::vitrine::wire_structs::Clear(kWireInfo, *this); }')
  out.append('')
  out.append('  // The codec proper, shared by nested messages: the runtime\'s, driven by kWireInfo.')
  out.append('  void EncodeTo(std::string& out) const '
             '{ ::vitrine::wire_structs::Encode(kWireInfo, *this, out); }')
  out.append('  bool MergeFrom(::vitrine::wire_structs::Reader& in) '
             '{ return ::vitrine::wire_structs::Decode(kWireInfo, *this, in); }')
  out.append('')
  out.append('  // The fields as the codec sees them (runtime.h); not part of protobuf\'s API.')
  out.append('  static const ::vitrine::wire_structs::MessageInfo kWireInfo;')
  out.append('')
  out.append(' private:')
  if m.fields:
    out.append('  static const ::vitrine::wire_structs::FieldInfo kWireFields[];')
  for f in sorted(m.fields, key=lambda x: x.number):
    out.append(f'  {member_decl(f)}')
  out.append('};')
  out.append('')


def table_entry(m, f):
  w = '::vitrine::wire_structs'
  utf8 = ', /*utf8=*/true' if f.type_name == 'string' else ''
  return f'  {w}::Field<&{m.name}::{f.name}_>({f.number}{utf8}),'


def emit_message_defs(m, out):
  w = '::vitrine::wire_structs'
  out.append(f'const {m.name}& {m.name}::default_instance() {{')
  out.append(f'  static const {m.name} empty;')
  out.append('  return empty;')
  out.append('}')
  out.append('')
  fields = sorted(m.fields, key=lambda x: x.number)
  if fields:
    # Evaluated at compile time (Field is constexpr): the tables are data, with no code to run.
    out.append(f'const {w}::FieldInfo {m.name}::kWireFields[] = {{')
    for f in fields:
      out.append(table_entry(m, f))
    out.append('};')
    out.append(f'const {w}::MessageInfo {m.name}::kWireInfo = {{kWireFields, {len(fields)}}};')
  else:
    out.append(f'const {w}::MessageInfo {m.name}::kWireInfo = {{nullptr, 0}};')
  out.append('')
  out.append(f'bool {m.name}::ParseFromString(std::string_view data) {{')
  out.append(f'  return {w}::Parse(kWireInfo, *this, data);')
  out.append('}')
  out.append('')
  out.append(f'bool {m.name}::ParseFromArray(const void* data, int size) {{')
  out.append('  if (size < 0 || (data == nullptr && size > 0)) return false;')
  out.append('  return ParseFromString('
             'std::string_view(static_cast<const char*>(data), static_cast<size_t>(size)));')
  out.append('}')
  out.append('')
  out.append(f'bool {m.name}::SerializeToString(std::string* out) const {{')
  out.append('  out->clear();')
  out.append('  EncodeTo(*out);')
  out.append('  return true;')
  out.append('}')
  out.append('')
  out.append(f'std::string {m.name}::SerializeAsString() const {{')
  out.append('  std::string out;')
  out.append('  EncodeTo(out);')
  out.append('  return out;')
  out.append('}')
  out.append('')


def generate(pf, rel, args, runtime_include):
  stem = rel[:-len('.proto')]
  ns = args.namespace
  guard = header_guard(stem, args.suffix)
  h = [f'// Generated by proto/structs/gen_structs.py from {rel}. Do not edit.',
       '// Plain structs with protobuf-compatible accessors; see gen_structs.py for the subset.',
       f'#ifndef {guard}', f'#define {guard}', '',
       '#include <cstddef>', '#include <cstdint>', '#include <map>', '#include <optional>',
       '#include <string>', '#include <string_view>', '#include <utility>', '#include <vector>',
       '', f'#include "{runtime_include}"']
  for imp in pf.imports:
    h.append(f'#include "{imp[:-len(".proto")]}{args.suffix}.h"')
  h += ['', f'namespace {ns} {{', '']
  for e in pf.enums:
    emit_enum(e, h)
  for m in pf.messages:
    for e in m.enums:
      emit_enum(e, h)
    emit_message_decl(m, h)
  h += [f'}}  // namespace {ns}', '', f'#endif  // {guard}', '']

  c = [f'// Generated by proto/structs/gen_structs.py from {rel}. Do not edit.',
       f'#include "{stem}{args.suffix}.h"', '', f'namespace {ns} {{', '']
  for m in pf.messages:
    emit_message_defs(m, c)
  c += [f'}}  // namespace {ns}', '']
  return stem, '\n'.join(h), '\n'.join(c)


def write_if_changed(path, text):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  if os.path.exists(path):
    with open(path, encoding='utf-8') as f:
      if f.read() == text:
        return
  with open(path, 'w', encoding='utf-8') as f:
    f.write(text)


def main():
  ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
  ap.add_argument('--proto-root', required=True)
  ap.add_argument('--out', required=True)
  ap.add_argument('--namespace', required=True)
  ap.add_argument('--suffix', default='.pb')
  ap.add_argument('--runtime-include', default='proto/structs/runtime.h')
  ap.add_argument('files', nargs='+')
  args = ap.parse_args()
  try:
    parsed = {}
    order = []

    def load(rel):
      if rel in parsed:
        return
      path = os.path.join(args.proto_root, rel)
      with open(path, encoding='utf-8') as f:
        pf = Parser(tokenize(f.read(), rel), rel).parse_file()
      parsed[rel] = pf
      for imp in pf.imports:
        load(imp)
      order.append(rel)

    for rel in args.files:
      load(rel)
    files = [parsed[r] for r in order]
    packages = {pf.package for pf in files}
    if len(packages) != 1:
      raise ProtoError(f'all files must share one package, found {sorted(packages)}')
    resolve(files)
    for rel in args.files:
      stem, header, source = generate(parsed[rel], rel, args, args.runtime_include)
      write_if_changed(os.path.join(args.out, f'{stem}{args.suffix}.h'), header)
      write_if_changed(os.path.join(args.out, f'{stem}{args.suffix}.cc'), source)
  except (ProtoError, OSError, ValueError) as e:
    print(f'gen_structs.py: {e}', file=sys.stderr)
    return 1
  return 0


if __name__ == '__main__':
  sys.exit(main())
