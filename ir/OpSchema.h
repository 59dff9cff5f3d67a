//===- OpSchema.h - what every ATen operator takes, returns, writes, aliases ----===//
//
// fxir's operator knowledge, as data. The table ir/schemas/op_schemas.txt is generated
// from the installed torch (ir/schemas/gen_op_schemas.py) and compiled into fxir::ir;
// this file parses it and answers questions about an operator: its arguments with
// their defaults, which arguments it writes (`Tensor(a!)`), which results alias which
// arguments (`Tensor(a)`), and its tags (`pointwise`, `inplace_view`, `core`, ...).
//
// Everything in fxir that needs to know about an ATen op asks here: the .pt2 reader
// fills omitted defaults, dce/cse ask for side effects, functionalize asks for written
// and aliased arguments, code generators ask for `pointwise`. No hand-kept op lists, no
// name patterns ("ends with _").
//
// Does not: know higher-order ops (scan, cond, ...: not dispatcher operators) or
// fxir's own ops; link LibTorch (tests/torch/OpSchemaTableTest.cpp compares every
// entry with c10::Dispatcher).
//===----------------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"

namespace fxir {

/// An alias annotation: `(a)`, `(a!)`, `(a|b)`, `(a -> *)`.
struct AliasInfo {
  llvm::SmallVector<std::string, 1> beforeSets; ///< "a", "b"; "*" is the wildcard
  llvm::SmallVector<std::string, 1> afterSets;  ///< as written after `->`; often empty
  bool isWrite = false;                         ///< `!`

  /// The sets the value belongs to after the op: those after `->`, or, when no `->`
  /// is written, the before sets (c10's rule).
  llvm::ArrayRef<std::string> effectiveAfterSets() const {
    return afterSets.empty() ? llvm::ArrayRef<std::string>(beforeSets)
                             : llvm::ArrayRef<std::string>(afterSets);
  }
};

/// A type in a schema: a base type, or Optional / List / Dict over other types.
struct SchemaType {
  enum class Kind : uint8_t {
    Tensor, Int, SymInt, Float, SymFloat, Bool, SymBool, Complex, Str, Scalar,
    ScalarType, Layout, Device,
    MemoryFormat, Generator, Storage, Stream, QScheme, Any, CustomClass,
    Optional, ///< elems[0]?
    List,     ///< elems[0][] or elems[0][fixedSize]
    Dict,     ///< Dict(elems[0], elems[1])
  };
  Kind kind = Kind::Any;
  std::vector<SchemaType> elems;
  int64_t fixedSize = -1;        ///< List only: N in `int[N]`, -1 when unsized
  std::string className;         ///< CustomClass only: `__torch__.torch.classes...`
  std::optional<AliasInfo> alias; ///< annotation written on this node

  bool isOptional() const { return kind == Kind::Optional; }
  bool isList() const { return kind == Kind::List; }
  /// The type under any Optional.
  const SchemaType &stripOptional() const;
  /// Tensor, Tensor?, Tensor[], Tensor?[] (anything holding tensors).
  bool containsTensor() const;
  /// The annotation on this node or, for lists and optionals, on the element.
  const AliasInfo *anyAlias() const;
  /// Schema text of the type, as c10 prints it ("Tensor(a!)", "SymInt[2]", "int[]?").
  std::string str() const;
};

/// A default value as written in a schema (`=1`, `=None`, `=[0, 0]`, `="mean"`).
/// Defaults of ScalarType, Layout and MemoryFormat arguments are c10's enum numbers
/// (`ScalarType? dtype=4` is int64: see dtypeFromC10Code).
struct DefaultValue {
  enum class Kind : uint8_t { None, Int, Float, Bool, Str, List, Ident };
  Kind kind = Kind::None;
  int64_t intValue = 0;
  double floatValue = 0;
  bool boolValue = false;
  std::string strValue;             ///< Str (unescaped) or Ident (e.g. contiguous_format)
  std::vector<DefaultValue> elems;  ///< List
  std::string text;                 ///< exactly as written in the schema
};

struct SchemaArgument {
  std::string name;
  SchemaType type;
  std::optional<DefaultValue> defaultValue;
  bool kwargOnly = false; ///< after the `*` marker
};

struct SchemaReturn {
  std::string name; ///< may be empty
  SchemaType type;
};

/// One operator overload's schema, with its tags and where torch registered it.
struct OpSchema {
  /// Who registers the operator: LibTorch's C++ code (present in every process that
  /// links LibTorch), C++ code in torch's Python extension (libtorch_python.so), or
  /// Python code at import. A LibTorch-only process (the executor) has only LibTorch.
  enum class Origin : uint8_t { LibTorch, LibTorchPython, Python };

  std::string ns;       ///< "aten"
  std::string name;     ///< "add"
  std::string overload; ///< "Tensor"; empty for the default overload
  std::vector<SchemaArgument> arguments;
  std::vector<SchemaReturn> returns;
  bool varArgs = false;  ///< `(...)`
  bool varRets = false;  ///< `-> ...`
  bool tupleReturn = false; ///< returns written in parentheses
  std::vector<std::string> tags;
  Origin origin = Origin::LibTorch;

  /// "aten::add"
  std::string qualifiedName() const;
  /// "aten::add.Tensor", or "aten::clone" for the default overload.
  std::string fullName() const;
  /// The schema text, as c10 prints it (round-trips with parseOpSchema).
  std::string str() const;

  bool hasTag(std::string_view tag) const;
  /// Indices of arguments the op writes (`Tensor(a!)`, `Tensor(a!)[]`, `Tensor[](a!)`).
  llvm::SmallVector<unsigned, 2> writtenArguments() const;
  /// True when the op writes any argument.
  bool isMutating() const { return !writtenArguments().empty(); }
  /// The argument whose alias set result `resultIndex` shares, if any: `Tensor(a)` of
  /// view ops, `Tensor(a!)` of in-place and out= ops.
  std::optional<unsigned> aliasedArgument(unsigned resultIndex) const;
  /// The same for result `resultIndex` of an fxir op, where a trailing `Tensor[]` return
  /// (split, unbind, chunk) is as many results as it has tensors (the .pt2 reader's
  /// convention): every one of those aliases what the list return aliases.
  std::optional<unsigned> aliasedArgumentOfResult(unsigned resultIndex) const;
  /// Index of the argument called `name`, if any.
  std::optional<unsigned> argumentIndex(std::string_view name) const;
};

/// Parses one schema string ("aten::add.Tensor(Tensor self, ...) -> Tensor"). Errors
/// give the column and what was expected.
absl::StatusOr<OpSchema> parseOpSchema(std::string_view text);

/// The table: every operator of one torch version, looked up by name and overload.
class OpSchemaTable {
public:
  /// The table compiled into fxir::ir (ir/schemas/op_schemas.txt). Indexed on first
  /// use (names, columns, origins: ~1 ms); each schema is parsed the first time it is
  /// looked up, and all() parses every one. Thread-safe. Parsing the whole table takes
  /// 10-15 ms, which a process that compiles one cached program should not pay.
  static const OpSchemaTable &builtin();

  /// Parses a table in op_schemas.txt format; errors name `sourceName` and the line.
  static absl::StatusOr<std::unique_ptr<OpSchemaTable>> parse(std::string_view text,
                                                              std::string_view sourceName);

  /// The torch version the table was generated from ("2.13.0+cpu").
  const std::string &torchVersion() const { return torchVersion_; }
  /// Every schema (parses the ones a lazily parsed table has not parsed yet).
  llvm::ArrayRef<OpSchema> all() const;
  size_t size() const { return schemas_.size(); }
  /// The position of `s`, a schema of this table, in all().
  size_t indexOf(const OpSchema &s) const { return static_cast<size_t>(&s - schemas_.data()); }
  /// The namespaces of the table's operators ("aten", "prims", ...), without parsing.
  std::vector<std::string> namespaces() const;

  /// `qualifiedName` as "aten::index_put_"; `overload` as "default" or "" for the
  /// default overload. NotFound names the operator and the table's torch version.
  absl::StatusOr<const OpSchema *> lookup(std::string_view qualifiedName,
                                          std::string_view overload) const;
  /// "aten::add.Tensor" / "aten::clone" / "aten::clone.default".
  absl::StatusOr<const OpSchema *> lookup(std::string_view fullName) const;

  /// The functional counterpart of an in-place operator, as torchgen groups them: the
  /// operator of the same namespace and overload named without the trailing `_`
  /// (`aten::add_.Tensor` -> `aten::add.Tensor`, `aten::copy_` -> `aten::copy`), accepted
  /// only if it writes nothing and its arguments are the in-place one's (names, types
  /// and defaults) without the alias annotations. Null when there is none (out=
  /// variants, ops that write several arguments, ops without a functional twin).
  const OpSchema *functionalVariant(const OpSchema &inplace) const;

  OpSchemaTable(const OpSchemaTable &) = delete;
  OpSchemaTable &operator=(const OpSchemaTable &) = delete;
  ~OpSchemaTable();

private:
  OpSchemaTable();
  static absl::StatusOr<std::unique_ptr<OpSchemaTable>>
  parse(std::string_view text, std::string_view sourceName, bool lazy);
  /// Schema `i`, parsed on first use when the table is lazy.
  const OpSchema &at(unsigned i) const;
  std::string torchVersion_;
  std::string sourceName_;
  mutable std::vector<OpSchema> schemas_;
  llvm::StringMap<unsigned> byFullName_; ///< "aten::add.Tensor", "aten::clone"
  /// A lazy table: each schema's line (schema, tags, origin) and line number until it
  /// is parsed, once (std::call_once per row).
  struct Pending {
    std::string_view line;
    size_t lineNo = 0;
  };
  std::vector<Pending> pending_;
  std::unique_ptr<std::once_flag[]> once_;
};

} // namespace fxir
